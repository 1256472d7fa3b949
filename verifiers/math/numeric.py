"""Exact numbers without sympy: integers, decimals, fractions, mixed numbers, scientific notation.

Most MATH answers are plain numbers; reading them into `fractions.Fraction` is exact, takes
microseconds and is safe in the caller's process because every size is bounded here (at most
`MAX_DIGITS` digits, exponents of ten at most `MAX_EXP10`). Anything else returns None and goes
to the symbolic path in a worker process.

Strict by default: an exact gold is met only by an answer of exactly equal value (`0.25` is
1/4, `0.333` is not 1/3), as MATH's own grading has it; otherwise a policy learns that decimals
are a cheaper answer than exact forms. A *decimal gold* is an approximation the problem asked
for: an answer matches when the decimal is that answer correctly rounded to the places it shows
and it shows at least `MIN_SIGNIFICANT` significant digits (1/3 passes for `0.333`, not for
`0.3`). `approximate=True` applies the same rule to a decimal answer against an exact gold
(`0.333` for 1/3). Two decimals compare exactly (`2.50` is `2.5`, not `2.499`).

>>> parse_number(r"-4\\frac{2}{3}").value
Fraction(-14, 3)
>>> numbers_equal(parse_number(r"\\frac{1}{3}"), parse_number("0.333"))
True
>>> numbers_equal(parse_number("0.333"), parse_number(r"\\frac{1}{3}"))
False
>>> numbers_equal(parse_number("0.333"), parse_number(r"\\frac{1}{3}"), approximate=True)
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_DIGITS = 60
MAX_EXP10 = 60
MIN_SIGNIFICANT = 3

_INT = rf"\d{{1,{MAX_DIGITS}}}"
_DEC = rf"(?:\d{{0,{MAX_DIGITS}}}\.\d{{1,{MAX_DIGITS}}}|\d{{1,{MAX_DIGITS}}}\.?)"
_SIGNED_DEC = r"[-+]?" + _DEC
_BRACED = r"\{(" + _SIGNED_DEC + r")\}"
_PATTERNS = {
    "decimal": re.compile(r"(" + _DEC + r")"),
    "sci": re.compile(
        r"("
        + _DEC
        + r")(?:\\times|\\cdot|\*)10\^(?:\{([-+]?\d{1,3})\}|(\d))|("
        + _DEC
        + r")[eE]([-+]?\d{1,3})"
    ),
    "frac": re.compile(r"\\frac" + _BRACED + _BRACED),
    "slash": re.compile(r"(" + _DEC + r")/(" + _DEC + r")"),
    "mixed": re.compile(r"(" + _INT + r")\\frac\{(" + _INT + r")\}\{(" + _INT + r")\}"),
}


@dataclass(frozen=True)
class Number:
    """An exactly known rational `value`; `places` is set when it was written as a decimal."""

    value: Fraction
    places: int | None = None
    significant: int = 0


def _decimal(text: str) -> Number:
    value = Fraction(text)
    if "." not in text:
        return Number(value)
    places = len(text.split(".", 1)[1])
    digits = text.replace(".", "").lstrip("+-").lstrip("0")
    return Number(value, places, len(digits))


def _unsigned(s: str) -> Number | None:
    m = _PATTERNS["decimal"].fullmatch(s)
    if m:
        return _decimal(s)
    m = _PATTERNS["sci"].fullmatch(s)
    if m:
        mantissa, exp = (m[1], m[2] or m[3]) if m[1] else (m[4], m[5])
        if abs(int(exp)) > MAX_EXP10:
            return None
        return Number(Fraction(mantissa) * Fraction(10) ** int(exp))
    for kind in ("frac", "slash"):
        m = _PATTERNS[kind].fullmatch(s)
        if m:
            top, bottom = _decimal(m[1]), _decimal(m[2])
            if bottom.value == 0 or top.places is not None or bottom.places is not None:
                return None  # `\frac{0.5}{2}` and division by zero go to the symbolic path
            return Number(top.value / bottom.value)
    m = _PATTERNS["mixed"].fullmatch(s)
    if m and int(m[3]) != 0:
        # MATH convention: `4\frac{2}{3}` is 4 + 2/3 (a mixed number), not 4 * 2/3.
        return Number(int(m[1]) + Fraction(int(m[2]), int(m[3])))
    return None


def parse_number(s: str) -> Number | None:
    """The number a normalised answer denotes, or None when it is not a plain number."""
    if len(s) > 4 * MAX_DIGITS:
        return None
    sign = 1
    while s[:1] in ("-", "+") or (s.startswith("(") and s.endswith(")")):
        if s[0] == "(":
            s = s[1:-1]
        else:
            sign, s = (-sign if s[0] == "-" else sign), s[1:]
    number = _unsigned(s)
    if number is None:
        return None
    return Number(sign * number.value, number.places, number.significant)


def rounding_places(
    answer_places: int | None, gold_places: int | None, approximate: bool
) -> int | None:
    """The decimal places of the side judged by correct rounding, or None: compare exactly.

    Rounding applies when exactly one side is a decimal and it is the gold (the problem asked
    for a decimal), or, with `approximate`, when it is the answer.
    """
    if (answer_places is None) == (gold_places is None):
        return None
    if gold_places is not None:
        return gold_places
    return answer_places if approximate else None


def numbers_equal(answer: Number, gold: Number, approximate: bool = False) -> bool:
    """Exact values compare exactly; a decimal is judged by correct rounding where
    `rounding_places` says so."""
    if answer.value == gold.value:
        return True
    places = rounding_places(answer.places, gold.places, approximate)
    if places is None:
        return False
    decimal, exact = (gold, answer) if gold.places is not None else (answer, gold)
    if decimal.significant < MIN_SIGNIFICANT:
        return False
    return abs(decimal.value - exact.value) <= Fraction(1, 2 * 10**places)
