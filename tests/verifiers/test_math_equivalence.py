"""Answer equivalence: the hand-labelled table plus the layers it is built from."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from math_cases import CASES, Case

from verifiers.math import Verdict, grade, grade_many, is_equivalent
from verifiers.math.judge import judge_fast
from verifiers.math.normalize import normalize
from verifiers.math.numeric import numbers_equal, parse_number


def test_table_covers_every_category_with_both_verdicts() -> None:
    assert len(CASES) >= 150
    by_category = Counter((c.category, c.equal) for c in CASES)
    for category in {c.category for c in CASES} - {"hostile"}:
        assert by_category[(category, True)] >= 1, category
        assert by_category[(category, False)] >= 1, category


@pytest.mark.parametrize("case", CASES, ids=[f"{c.category}:{c.answer}~{c.gold}" for c in CASES])
def test_hand_labelled_pair(case: Case) -> None:
    assert is_equivalent(case.answer, case.gold) is case.equal


def test_grade_many_agrees_with_the_table_in_parallel() -> None:
    verdicts = grade_many([(rf"\boxed{{{c.answer}}}", c.gold) for c in CASES], workers=2)
    assert [v.correct for v in verdicts] == [c.equal for c in CASES]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (r"\left( \dfrac{1}{2}, 3 \right)", r"(\frac{1}{2},3)"),
        (r"1{,}000", "1000"),
        (r"\$1,000", "1000"),
        (r"5\text{ cm}^2", "5"),
        (r"90^\circ", "90"),
        (r"\text{two}", "2"),
        (r".5", "0.5"),
        (r"\log_2 8", r"\log_2 8"),
        (r"\sin x", r"\sin x"),
    ],
)
def test_normalize(raw: str, normal: str) -> None:
    assert normalize(raw) == normal


def test_numbers_are_exact_rationals() -> None:
    mixed = parse_number(r"4\frac{2}{3}")
    assert mixed is not None and mixed.value == Fraction(14, 3)
    sci = parse_number(r"1.5\times10^{-3}")
    assert sci is not None and sci.value == Fraction(3, 2000)
    assert parse_number(r"10^{1000}") is None  # out of the fast path's bounds
    assert parse_number("1" * 100) is None


@pytest.mark.parametrize(
    ("approx", "exact", "equal"),
    [
        ("0.333", "1/3", True),
        ("0.33", "1/3", False),
        ("0.3334", "1/3", False),
        ("2.5", "5/2", True),
    ],
)
def test_decimal_against_exact_needs_correct_rounding(approx: str, exact: str, equal: bool) -> None:
    a, b = parse_number(approx), parse_number(exact)
    assert a is not None and b is not None
    assert numbers_equal(a, b) is equal


def test_fast_path_decides_plain_answers_without_sympy() -> None:
    assert judge_fast(r"\dfrac{14}{3}", r"4\frac{2}{3}") == "equal"
    assert judge_fast("(1,2]", "(1,2)") == "not_equal"
    assert judge_fast(r"\sqrt{8}", r"2\sqrt{2}") is None  # needs the symbolic path


def test_grade_reports_reasons() -> None:
    assert grade(r"so $\boxed{4\frac{2}{3}}$", r"\frac{14}{3}") == Verdict(
        True, r"4\frac{2}{3}", "equal"
    )
    assert grade("no marked answer 14/3", r"\frac{14}{3}") == Verdict(False, None, "no_answer")
    assert grade(r"\boxed{5}", "6").reason == "not_equal"
    assert grade(r"\boxed{\frac{}{}{}}", r"\sqrt{2}").reason == "parse_error"


def test_boxed_gold_is_unboxed() -> None:
    assert is_equivalent("-2, 1", r"\(\boxed{1}\) and \(\boxed{-2}\).")


def test_bad_arguments_are_rejected_with_clear_errors() -> None:
    with pytest.raises(TypeError, match="gold must be a str"):
        grade(r"\boxed{1}", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout_s must be > 0"):
        is_equivalent("1", "1", timeout_s=0)
    with pytest.raises(ValueError, match="workers must be >= 1"):
        grade_many([("a", "b")], workers=0)
    with pytest.raises(TypeError, match=r"pairs\[0\]"):
        grade_many(["not a pair"])  # type: ignore[list-item]
