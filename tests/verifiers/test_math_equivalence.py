"""Answer equivalence: the hand-labelled table plus the layers it is built from."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from math_cases import APPROXIMATE_CASES, CASES, Case

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


@pytest.mark.parametrize(
    "case", APPROXIMATE_CASES, ids=[f"{c.answer}~{c.gold}" for c in APPROXIMATE_CASES]
)
def test_approximate_accepts_a_rounded_decimal_for_an_exact_gold(case: Case) -> None:
    assert is_equivalent(case.answer, case.gold, approximate=True) is case.equal
    assert grade(rf"\boxed{{{case.answer}}}", case.gold, approximate=True).correct is case.equal


def test_approximate_keeps_every_equal_pair_of_the_strict_table() -> None:
    equal = [c for c in CASES if c.equal]
    verdicts = grade_many([(rf"\boxed{{{c.answer}}}", c.gold) for c in equal], approximate=True)
    assert [c for c, v in zip(equal, verdicts, strict=True) if not v.correct] == []


def test_strict_is_the_default_and_approximate_must_be_a_bool() -> None:
    assert not is_equivalent("3.14", r"\pi") and not grade(r"\boxed{3.14}", r"\pi").correct
    with pytest.raises(TypeError, match="approximate must be a bool"):
        is_equivalent("3.14", r"\pi", approximate="yes")  # type: ignore[arg-type]


def test_grade_many_agrees_with_the_table_in_parallel() -> None:
    verdicts = grade_many([(rf"\boxed{{{c.answer}}}", c.gold) for c in CASES], workers=2)
    assert [v.correct for v in verdicts] == [c.equal for c in CASES]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (r"\left( \dfrac{1}{2}, 3 \right)", r"(\frac{1}{2},3)"),
        (r"1{,}000", "1000"),
        (r"\$1,000", "1000"),
        (r"32, 349", "32,349"),  # a list: the comma stays
        (r"x = 1,000,000", "x=1000000"),
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
    ("answer", "gold", "strict", "approximate"),
    [
        ("1/3", "0.333", True, True),  # a decimal gold: correct rounding either way
        ("1/3", "0.33", False, False),
        ("1/3", "0.3334", False, False),
        ("0.333", "1/3", False, True),  # an exact gold: rounding only when approximate
        ("0.3334", "1/3", False, False),
        ("2.5", "5/2", True, True),
    ],
)
def test_decimal_against_exact(answer: str, gold: str, strict: bool, approximate: bool) -> None:
    a, b = parse_number(answer), parse_number(gold)
    assert a is not None and b is not None
    assert numbers_equal(a, b) is strict
    assert numbers_equal(a, b, approximate=True) is approximate


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
