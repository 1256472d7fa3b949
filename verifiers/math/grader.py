"""The public entry points: grade a response, compare two answers, grade a batch in parallel.

Each check first tries the in-process fast path (`judge.judge_fast`, microseconds, no sympy);
only undecided pairs go to a worker process under a hard wall-clock limit (`timeout_s`,
default 1 s) and memory cap. Nothing here raises on a hostile answer: an overrun is
`Verdict(False, extracted, "timeout")`.

Strict by default: a decimal answer meets an exact gold only with exactly the gold's value
(`0.25` for `\\frac14`, never `3.14` for `\\pi`); `approximate=True` accepts a correctly
rounded decimal (see `numeric.rounding_places`). A decimal gold is always met by rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import cast

from verifiers.math.extract import extract_answer, unbox
from verifiers.math.judge import judge_fast
from verifiers.math.worker import WorkerPool, default_pool
from verifiers.verdict import Verdict, VerdictReason

DEFAULT_TIMEOUT_S = 1.0


def _check_args(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}: {value!r:.60}")
    return value


def _check_approximate(approximate: object) -> bool:
    if not isinstance(approximate, bool):
        raise TypeError(f"approximate must be a bool, got {type(approximate).__name__}")
    return approximate


def _judge(
    answer: str, gold: str, timeout_s: float, pool: WorkerPool | None, approximate: bool
) -> VerdictReason:
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
    answer, gold = unbox(answer), unbox(gold)
    fast = judge_fast(answer, gold, approximate)
    if fast is not None:
        return cast(VerdictReason, fast)
    target = pool or default_pool()
    return cast(VerdictReason, target.check(answer, gold, timeout_s, approximate))


def is_equivalent(
    answer: str,
    gold: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    approximate: bool = False,
    pool: WorkerPool | None = None,
) -> bool:
    """True iff the (already extracted) `answer` is mathematically equivalent to `gold`.

    >>> is_equivalent(r"\\dfrac{1}{2}", "0.5")
    True
    >>> is_equivalent("3.14", r"\\pi"), is_equivalent("3.14", r"\\pi", approximate=True)
    (False, True)
    """
    _check_args("answer", answer), _check_args("gold", gold)
    approximate = _check_approximate(approximate)
    return _judge(answer, gold, timeout_s, pool, approximate) == "equal"


def grade(
    response: str,
    gold: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    last_number_fallback: bool = False,
    approximate: bool = False,
    pool: WorkerPool | None = None,
) -> Verdict:
    """Extract the marked final answer of `response` and judge it against `gold`.

    >>> grade(r"... so the area is $\\boxed{4\\frac{2}{3}}$.", r"\\frac{14}{3}")
    Verdict(correct=True, extracted='4\\\\frac{2}{3}', reason='equal')
    """
    _check_args("response", response), _check_args("gold", gold)
    approximate = _check_approximate(approximate)
    extracted = extract_answer(response, last_number_fallback=last_number_fallback)
    if extracted is None:
        return Verdict(False, None, "no_answer")
    reason = _judge(extracted, gold, timeout_s, pool, approximate)
    return Verdict(reason == "equal", extracted, reason)


def grade_many(
    pairs: Iterable[tuple[str, str]],
    *,
    workers: int = 2,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    last_number_fallback: bool = False,
    approximate: bool = False,
    pool: WorkerPool | None = None,
) -> list[Verdict]:
    """`grade` over (response, gold) pairs, with up to `workers` symbolic checks at once.

    Fast-path pairs are decided in this thread; the rest run on the persistent worker pool.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
    approximate = _check_approximate(approximate)
    pairs = list(pairs)
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise TypeError(f"pairs[{i}] must be a (response, gold) pair, got {pair!r:.80}")
        _check_args(f"pairs[{i}][0]", pair[0]), _check_args(f"pairs[{i}][1]", pair[1])
    extracted = [extract_answer(r, last_number_fallback=last_number_fallback) for r, _ in pairs]
    golds = [unbox(g) for _, g in pairs]
    reasons: list[str | None] = [
        "no_answer" if e is None else judge_fast(unbox(e), g, approximate)
        for e, g in zip(extracted, golds, strict=True)
    ]
    slow = [i for i, r in enumerate(reasons) if r is None]
    if slow:
        target = pool or default_pool()
        with ThreadPoolExecutor(max_workers=min(workers, len(slow))) as executor:
            futures = {
                i: executor.submit(
                    target.check, unbox(str(extracted[i])), golds[i], timeout_s, approximate
                )
                for i in slow
            }
            for i, future in futures.items():
                reasons[i] = future.result()
    return [
        Verdict(r == "equal", e, cast(VerdictReason, r))
        for e, r in zip(extracted, reasons, strict=True)
    ]
