"""Exact numbers without sympy: integers, decimals, fractions, mixed numbers, scientific notation.

Most MATH answers are plain numbers; reading them into `fractions.Fraction` is exact, takes
microseconds and is safe in the caller's process because every size is bounded here (at most
`MAX_DIGITS` digits, exponents of ten at most `MAX_EXP10`). Anything else returns None and goes
to the symbolic path in a worker process.

Exact against exact compares exactly. A decimal literal against an exact value is a decimal
*approximation*: it matches when it is that value correctly rounded to the places it shows and
it shows at least `MIN_SIGNIFICANT` significant digits (`0.333` and `3.14` pass for 1/3 and
pi-like values, `0.3` does not). Two decimals compare exactly (`2.50` is `2.5`, not `2.499`).

>>> parse_number(r"-4\\frac{2}{3}").value
Fraction(-14, 3)
>>> numbers_equal(parse_number("0.333"), parse_number(r"\\frac{1}{3}"))
True
>>> numbers_equal(parse_number("0.3"), parse_number(r"\\frac{1}{3}"))
False
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


def numbers_equal(a: Number, b: Number) -> bool:
    """Exact where both are exact or both decimal; correct rounding where one is a decimal."""
    if a.value == b.value:
        return True
    if (a.places is None) == (b.places is None):
        return False
    approx, exact = (a, b) if a.places is not None else (b, a)
    assert approx.places is not None
    if approx.significant < MIN_SIGNIFICANT:
        return False
    return abs(approx.value - exact.value) <= Fraction(1, 2 * 10**approx.places)
