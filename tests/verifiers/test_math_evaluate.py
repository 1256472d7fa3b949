"""The in-process arithmetic evaluator: exact where rational, never 'equal' from floats."""

from __future__ import annotations

import pytest

from verifiers.math.evaluate import decide, read


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (r"2^{10}", "1024", True),  # exact rationals decide both ways
        (r"\frac{1}{2^{98}}", r"\frac{1}{2^{99}}", False),
        (r"\frac{1}{2006!}", r"\frac{1}{2004!}", False),
        (r"10^{100}+1", r"10^{100}", False),  # a float would call these equal
        (r"\frac{3}{4}\cdot 8", "6", True),
        (r"\frac{\sqrt{3}}{3}", r"\frac{\sqrt{3}}{2}", False),  # irrationals: only 'different'
        (r"\sqrt{8}", r"2\sqrt{2}", None),  # equal irrationals are left to sympy
        (r"\pi", r"\frac{22}{7}", False),
        (r"\pi", "3.14", True),  # a decimal gold: correct rounding, >= 3 significant digits
        (r"\pi", "3.1", False),
        ("3.14", r"\pi", False),  # a decimal answer to an exact gold: exactly equal only
        ("0.75", r"\frac{3}{4}", True),
        (r"\sqrt{-4}", "2", False),  # 2i
        ("x+1", "x+1", None),  # a variable: outside the subset
        (r"4\frac{2}{3}+1", "1", None),  # a mixed number inside an expression: sympy decides
        (r"9^{9^{9^{9}}}", "1", None),  # too big to evaluate either way
        (r"\cdot".join([r"2^{19999}"] * 20), "1", False),  # exact size capped; mpmath decides
    ],
)
def test_decide(a: str, b: str, expected: bool | None) -> None:
    assert decide(a, b) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("3.14", r"\pi", True), ("3.1", r"\pi", False), (r"1.5\pi", r"\frac{3\pi}{2}", None)],
)
def test_decide_approximate(a: str, b: str, expected: bool | None) -> None:
    assert decide(a, b, approximate=True) is expected


@pytest.mark.parametrize("text", ["2.5.3", "(1", "1)", r"\frac{1}", "2^", "", r"\alpha", "(" * 100])
def test_malformed_or_unsupported_text_is_not_read(text: str) -> None:
    assert read(text) is None
