"""Worker pools under a stampede: 32 threads released at once never start more worker processes
than the pool's size (math: max_workers + spares; code: its fixed number of judges)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from verifiers.math import PoolConfig, WorkerPool

THREADS = 32


def _math_workers() -> set[int]:
    """Live children of this process that are math verifier workers (read from /proc)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"verifiers.math.worker" in cmdline:
            pids.add(int(entry.name))
    return pids


def _stampede(call: Callable[[int], object], sample: Callable[[], int]) -> tuple[list, int]:
    """Run `call(i)` on THREADS threads released by one barrier; the most `sample()` ever saw."""
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS
    peak, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], sample())
            done.wait(0.01)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = call(i)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    done.set()
    watcher.join()
    return results, max(peak[0], sample())


def test_math_pool_never_exceeds_max_plus_spares() -> None:
    others = _math_workers()  # other pools' workers (the default pool of earlier tests)
    pool = WorkerPool(PoolConfig(max_workers=2, spares=1))
    try:
        # sqrt(8) vs 2 sqrt(2) is beyond the in-process fast path: every call needs a worker
        results, peak = _stampede(
            lambda i: pool.check(
                rf"\sqrt{{{8 * (i + 1) ** 2}}}", rf"{2 * (i + 1)}\sqrt{{2}}", 30.0
            ),
            lambda: len(_math_workers() - others),
        )
        assert results == ["equal"] * THREADS
        assert 1 <= peak <= pool.limit == 3, peak
    finally:
        pool.close()
    assert _math_workers() - others == set()


def test_code_pool_keeps_its_judges() -> None:
    from verifiers.code import CodeTask, JudgePool

    square = "def f(x):\n    return x * x\n"
    task = CodeTask(square, "def check(candidate):\n    assert candidate(3) == 9\n", "f")
    with JudgePool(2) as pool:
        before = set(pool.judge_pids())
        results, peak = _stampede(lambda i: pool.check(task), lambda: len(pool.judge_pids()))
        assert all(r.passed for r in results)
        assert peak == 2 and set(pool.judge_pids()) == before  # none added, none replaced
