"""From two answer strings to a verdict reason: the fast path and the symbolic path.

`judge_fast` runs in the caller's process and decides only what needs no sympy (most MATH
pairs: equal after normalisation, plain numbers, structure mismatches); it returns None
otherwise. `judge_symbolic` is the same comparison with sympy leaves and runs only inside a
worker process (`verifiers.math.worker`), which bounds its time and memory.
"""

from __future__ import annotations

import logging

from verifiers.math.compare import FastLeaves, equivalent
from verifiers.math.structure import parse

logger = logging.getLogger(__name__)

MAX_FAST_CHARS = 1000
"""Longer answers skip the in-process path (its parser recurses on brackets)."""
MAX_FAST_DEPTH = 40


def _depth(s: str) -> int:
    depth = deepest = 0
    for ch in s:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


def judge_fast(answer: str, gold: str, approximate: bool = False) -> str | None:
    """'equal' / 'not_equal' when decidable without sympy, else None (go to a worker)."""
    for s in (answer, gold):
        if len(s) > MAX_FAST_CHARS or _depth(s) > MAX_FAST_DEPTH:
            return None
    try:
        result = equivalent(parse(answer), parse(gold), FastLeaves(approximate))
    except RecursionError:  # defence in depth: the worker path bounds this with a timeout
        return None
    if result is None:
        return None
    return "equal" if result else "not_equal"


def judge_symbolic(answer: str, gold: str, approximate: bool = False) -> str:
    """The full comparison; for worker processes only (unbounded without their limits)."""
    from verifiers.math.symbolic import SymbolicLeaves

    leaves = SymbolicLeaves(approximate)
    try:
        result = equivalent(parse(answer), parse(gold), leaves)
    except MemoryError:
        return "memory_limit"
    except RecursionError:
        return "parse_error"
    except Exception:  # noqa: BLE001 - sympy raises many types on odd input; this is the
        # worker boundary, where any failure to compare becomes a verdict, never a crash.
        logger.debug("comparison failed for %r vs %r", answer[:80], gold[:80], exc_info=True)
        return "parse_error"
    if result:
        return "equal"
    if leaves.parse_failures:
        return "parse_error"
    # None here: a leaf was too large to evaluate and the rest did not decide either way
    return "undecided" if result is None else "not_equal"
