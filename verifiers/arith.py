"""Exact-integer verifier for the built-in Arith task.

The Arith task's gold is an integer, so equivalence is integer equality of the last
`\\boxed{...}`; no sympy and no worker process is needed (this is on the hot path of the tiny
model's RL loop).

>>> grade("48*2=96;37+96=133;\\\\boxed{133}", "133").correct
True
>>> grade("37+96=133", "133").reason
'no_answer'
>>> grade("\\\\boxed{" + "9" * 5000 + "}", "133").reason
'too_long'
"""

from __future__ import annotations

import re

from verifiers.verdict import Verdict

_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_INTEGER = re.compile(r"[+-]?\d+")
MAX_DIGITS = 1000
"""Longest integer the grader reads (leading zeros aside). Python's `int()` refuses more than
4,300 digits, and no Arith answer comes near this, so a longer one is `too_long`, never a crash."""


def extract_answer(response: str) -> str | None:
    """The contents of the last `\\boxed{...}` in `response`, stripped, or None."""
    found = _BOXED.findall(response)
    return found[-1].strip() if found else None


def grade(response: str, gold: str) -> Verdict:
    """Judge `response` correct iff its last boxed answer is the integer `gold`."""
    extracted = extract_answer(response)
    if extracted is None:
        return Verdict(False, None, "no_answer")
    if not _INTEGER.fullmatch(extracted):
        return Verdict(False, extracted, "parse_error")
    sign, digits = extracted[0] if extracted[0] in "+-" else "", extracted.lstrip("+-")
    digits = digits.lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        return Verdict(False, extracted, "too_long")
    correct = int(sign + digits) == int(gold)
    return Verdict(correct, extracted, "equal" if correct else "not_equal")
