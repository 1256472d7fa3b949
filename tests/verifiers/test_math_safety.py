"""Safety of verifiers.math: hard limits from outside, no eval, threads, daemonic workers."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from verifiers.math import PoolConfig, Verdict, WorkerPool, default_pool, grade, is_equivalent
from verifiers.math.judge import judge_fast

HOSTILE = [
    r"9^{9^{9^{9}}}-1",  # parsing alone evaluates part of the tower
    "(" * 300 + "1" + ")" * 300,
    "1+" * 10_000 + "1",
    r"\sum_{n=1}^{10^{12}} n^{n}",
]


@pytest.fixture(scope="module")
def pool() -> WorkerPool:
    own = WorkerPool(PoolConfig(max_workers=2))
    own.warm_up(2)
    yield own
    own.close()


@pytest.mark.parametrize("answer", HOSTILE, ids=["tower", "parens", "long-sum", "big-sum"])
def test_hostile_answer_is_bounded_and_never_raises(answer: str, pool: WorkerPool) -> None:
    start = time.monotonic()
    verdict = grade(rf"\boxed{{{answer}}}", "2", timeout_s=1.0, pool=pool)
    elapsed = time.monotonic() - start
    assert verdict.correct is False
    assert verdict.reason in ("timeout", "not_equal", "parse_error", "undecided")
    assert elapsed < 10  # loose on a shared CI box; benchmarks/ reports the real latency


def test_fast_path_never_raises_on_random_latex() -> None:
    rng = random.Random(0)
    tokens = list("(){}[],;=<>+-^_.0123456789xyC ") + [
        r"\frac", r"\sqrt", r"\{", r"\}", r"\pm", r"\cup", r"\infty", r"\text{ and }",
        r"\begin{pmatrix}", r"\end{pmatrix}", r"\\", "&", r"\left(", r"\right)", r"\$", "%",
    ]  # fmt: skip
    for _ in range(3000):
        a = "".join(rng.choice(tokens) for _ in range(rng.randrange(1, 25)))
        b = "".join(rng.choice(tokens) for _ in range(rng.randrange(1, 25)))
        assert judge_fast(a, b) in ("equal", "not_equal", None)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "text",
    ["1 " + "a" * 60 + "!", "^" + " " * 2000 + "x", "\\" + "a" * 500 + "1", r"\boxed{" * 2000],
)
def test_in_process_path_has_no_catastrophic_backtracking(text: str) -> None:
    assert judge_fast(text, "1") in ("equal", "not_equal", None)


def test_overrun_kills_and_replaces_the_worker(pool: WorkerPool) -> None:
    killed = pool.killed
    verdict = grade(r"\boxed{" + "(" * 300 + "1" + ")" * 300 + "}", "1", pool=pool)
    assert verdict == Verdict(False, verdict.extracted, "timeout")
    assert pool.killed == killed + 1
    assert is_equivalent(r"\sqrt{8}", r"2\sqrt{2}", pool=pool)  # the replacement works


def test_huge_powers_are_compared_without_evaluation(pool: WorkerPool) -> None:
    assert is_equivalent(r"2^{2^{40}}", r"2^{2^{40}}", pool=pool)
    # too large to evaluate and not identical: neither shown equal nor shown different
    for answer, gold in ((r"2^{2^{40}}", r"2^{2^{40}}+1"), (r"2^{2^{2^{2^2}}}", r"2^{65536}")):
        verdict = grade(rf"\boxed{{{answer}}}", gold, pool=pool)
        assert (verdict.correct, verdict.reason) == (False, "undecided"), (answer, gold)
    # a decided part still decides: a tuple whose other entry differs is not_equal
    assert grade(r"\boxed{(2^{2^{40}}, 1)}", r"(2^{2^{40}}+1, 2)", pool=pool).reason == "not_equal"


def test_model_text_is_never_evaluated(tmp_path: Path, pool: WorkerPool) -> None:
    marker = tmp_path / "pwned"
    for payload in (
        f"__import__('os').system('touch {marker}')",
        f"\\text{{__import__('os').system('touch {marker}')}}",
        f"\\frac{{__import__('os').system('touch {marker}')}}{{2}}",
        f"eval(\"open('{marker}','w')\")",
    ):
        assert grade(rf"\boxed{{{payload}}}", "0", pool=pool).correct is False
        assert grade(r"\boxed{1}", payload, pool=pool).correct is False
    assert not marker.exists()


def test_workers_have_an_address_space_cap(pool: WorkerPool) -> None:
    limits = [Path(f"/proc/{w.proc.pid}/limits").read_text() for w in pool._all]
    cap = str(pool.config.memory_mb * 1024 * 1024)
    assert limits and all(f"Max address space         {cap}" in text for text in limits)


def test_concurrent_threads_get_correct_verdicts(pool: WorkerPool) -> None:
    pairs = [(r"\sqrt{8}", r"2\sqrt{2}", True), (r"\sqrt{8}", r"2\sqrt{3}", False)] * 8

    def check(pair: tuple[str, str, bool]) -> bool:
        return is_equivalent(pair[0], pair[1], pool=pool) is pair[2]

    with ThreadPoolExecutor(max_workers=6) as executor:
        assert all(executor.map(check, pairs))


def _grade_in_child(queue: mp.Queue) -> None:
    verdict = grade(r"\boxed{\frac{\sqrt{2}}{2}}", r"\frac{1}{\sqrt{2}}")
    queue.put((os.getpid() == default_pool().pid, verdict.correct, verdict.reason))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_works_inside_daemonic_processes(method: str) -> None:
    default_pool()  # a parent pool that a forked child must not reuse
    ctx = mp.get_context(method)
    queue = ctx.Queue()
    child = ctx.Process(target=_grade_in_child, args=(queue,), daemon=True)
    child.start()
    result = queue.get(timeout=120)
    child.join(timeout=30)
    assert result == (True, True, "equal")


class _GradingEnv(gym.Env):
    """A one-step env whose reward is the math verdict (as the SCoRe env will use it)."""

    observation_space = gym.spaces.Discrete(1)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):  # type: ignore[no-untyped-def]
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):  # type: ignore[no-untyped-def]
        answer = r"\boxed{\sqrt{8}}" if action == 1 else r"\boxed{\sqrt{3}}"
        verdict = grade(answer, r"2\sqrt{2}")
        return 0, float(verdict.correct), True, False, {}


def test_works_inside_gymnasium_async_vector_env_workers() -> None:
    envs = gym.vector.AsyncVectorEnv([_GradingEnv, _GradingEnv], context="fork")
    try:
        envs.reset(seed=0)
        _, rewards, _, _, _ = envs.step(np.array([1, 0]))
    finally:
        envs.close()
    assert rewards.tolist() == [1.0, 0.0]
