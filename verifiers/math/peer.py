"""A second MATH grader for audits: math-verify (Hugging Face), run beside ours, never instead.

Why: a training curve is only about the model if the grader is right; running an independent
grader on the same responses measures how much the grader itself decides the reward.

How: math-verify interrupts itself with `signal.alarm`, which raises off the main thread (as in
a trainer's or a vector env's worker thread). Here its own timeouts are disabled and each check
runs in the same killable worker processes as our symbolic path (`worker.WorkerPool`), under a
hard wall-clock limit, so a hostile response is a `timeout` verdict, never a hang or a crash.
math-verify does its own answer extraction from the whole response; that is part of what is
audited. Use: `peer_grade_many([(response, gold), ...])` -> a `Verdict` per pair.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import cast

from verifiers.math.worker import WorkerPool, default_pool
from verifiers.verdict import Verdict, VerdictReason

PEER = "math-verify"
PEER_TIMEOUT_S = 2.0
"""Wall-clock limit of one peer check (math-verify parses with sympy: slower than ours)."""


def require_peer() -> None:
    """Raise ImportError naming the fix when math-verify is not installed."""
    if importlib.util.find_spec("math_verify") is None:
        raise ImportError(
            "the MATH grader audit needs math-verify, which is not installed: "
            "pip install 'math-verify>=0.9' (or pip install -e '.[dev]')"
        )


def peer_reason(response: str, gold: str) -> str:
    """math-verify's verdict on `response` against `gold`; for worker processes only (its
    timeouts are off: the worker's caller enforces the limit by killing it)."""
    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # "timeout is disabled", per call
    try:
        answer = parse(response, parsing_timeout=None)  # type: ignore[arg-type]
        target = parse(f"${gold}$", parsing_timeout=None)  # type: ignore[arg-type]
        if not answer:
            return "no_answer"
        return "equal" if verify(target, answer, timeout_seconds=None) else "not_equal"
    except MemoryError:
        return "memory_limit"
    except Exception:  # noqa: BLE001 - the worker boundary: a peer failure is a verdict
        return "parse_error"


def peer_grade_many(
    pairs: Sequence[tuple[str, str]],
    *,
    workers: int = 2,
    timeout_s: float = PEER_TIMEOUT_S,
    pool: WorkerPool | None = None,
) -> list[Verdict]:
    """math-verify's verdicts on (response, gold) pairs, `workers` at a time; `extracted` is
    None (the peer's extraction is its own)."""
    require_peer()
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
    if not pairs:
        return []
    target = pool or default_pool()
    with ThreadPoolExecutor(max_workers=min(workers, len(pairs))) as executor:
        reasons = list(executor.map(lambda p: target.check_peer(p[0], p[1], timeout_s), pairs))
    return [Verdict(r == "equal", None, cast(VerdictReason, r)) for r in reasons]
