r"""verifiers.countdown: hand-labelled verdicts, reward hacks, hostile input, properties.

Each row's expected reason is a judgement written before running the grader. The reward-hack
rows are the holes found in public Countdown graders (regex number checks, `eval`, trusting the
model's "= N", reading only the last line, format credit); each must earn `correct=False`.
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple, get_args

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifiers.countdown import (
    MAX_DEPTH,
    MAX_EXPRESSION_CHARS,
    MAX_RESPONSE_CHARS,
    ExpressionError,
    evaluate,
    extract_expression,
    grade,
    grade_many,
    numbers_used,
)
from verifiers.verdict import VerdictReason


class Case(NamedTuple):
    response: str
    numbers: tuple[int, ...]
    target: int
    reason: str
    category: str


_N = (2, 6, 25)  # (6 - 2) * 25 = 100

_LABELLED: list[tuple[str, tuple[int, ...], int, str, str]] = [
    # --- right answers: any order, spacing, redundant parentheses, exact rationals
    (r"\boxed{(6-2)*25}", _N, 100, "equal", "correct"),
    (r"\boxed{ 25 * (6 - 2) }", _N, 100, "equal", "correct"),
    (r"\boxed{((6)-(2))*(25)}", _N, 100, "equal", "correct"),
    (r"first \boxed{6+2+25}, then \boxed{(6-2)*25}", _N, 100, "equal", "correct"),
    (r"\boxed{25/(6/2)}", _N, 8, "not_equal", "exact"),  # 25/3, exact, not rounded to 8
    (r"\boxed{(25+2)/(6/2)}", (25, 2, 6, 2), 9, "equal", "exact"),  # 27/3 through a fraction
    (r"\boxed{6/(25/25)}", (6, 25, 25), 6, "equal", "correct"),  # a repeated given number
    (r"\boxed{2*(6/4)}", (2, 6, 4), 3, "equal", "exact"),  # 3/2 in the middle, 3 at the end
    (r"\boxed{(25-6)*2-38}", (25, 6, 2, 38), 0, "equal", "correct"),
    (r"\boxed{6-25+2}", _N, -17, "equal", "correct"),  # negative targets by subtraction
    (r"\boxed{0*6+2+25}", (0, 6, 2, 25), 27, "equal", "correct"),
    (r"\boxed{100}", (100,), 100, "equal", "correct"),
    (r"\boxed{6-2-25}", _N, -21, "equal", "correct"),  # left-associative
    (r"\boxed{6-(2-25)}", _N, 29, "equal", "correct"),
    (r"\boxed{2+6*25}", _N, 152, "equal", "correct"),  # precedence
    (r"\boxed{25/2*6}", _N, 75, "equal", "correct"),
    # --- wrong values
    (r"\boxed{(6-2)*25}", _N, 99, "not_equal", "wrong-value"),
    (r"\boxed{6-2*25}", _N, 100, "not_equal", "wrong-value"),  # precedence, not left-to-right
    (r"\boxed{25/(2*6)}", _N, 2, "not_equal", "wrong-value"),  # 25/12 is not 2
    (r"\boxed{6-2-25}", _N, 29, "not_equal", "wrong-value"),
    # --- the numbers: a multiset, each exactly once
    (r"\boxed{(6-2)*25}", (2, 6, 25, 3), 100, "wrong_numbers", "numbers"),  # 3 unused
    (r"\boxed{6*6-2+25}", _N, 59, "wrong_numbers", "numbers"),  # 6 twice
    (r"\boxed{6*25}", _N, 150, "wrong_numbers", "numbers"),
    (r"\boxed{4*25}", _N, 100, "wrong_numbers", "numbers"),  # 4 not given
    (r"\boxed{62+25}", _N, 87, "wrong_numbers", "numbers"),  # digit concatenation
    (r"\boxed{625-2}", _N, 623, "wrong_numbers", "numbers"),
    (r"\boxed{12}", (1, 2), 12, "wrong_numbers", "numbers"),
    (r"\boxed{12}", (12,), 12, "equal", "numbers"),  # 12 given: a literal, not a join
    # --- division by zero
    (r"\boxed{25/(6-6)+2}", (25, 6, 6, 2), 2, "division_by_zero", "division"),
    (r"\boxed{0/(25-25)}", (0, 25, 25), 0, "division_by_zero", "division"),
    (r"\boxed{2/0*0}", (2, 0, 0), 0, "division_by_zero", "division"),
    (r"\boxed{6/0}", _N, 0, "wrong_numbers", "division"),  # 0 not given: numbers first
    # --- no answer
    ("(6-2)*25 = 100", _N, 100, "no_answer", "no-answer"),
    (r"\boxed (6-2)*25", _N, 100, "no_answer", "no-answer"),
    (r"\boxed{(6-2)*25", _N, 100, "no_answer", "no-answer"),  # truncated
    (r"\boxed{6+2+25} then \boxed{(6-2)*25", _N, 100, "no_answer", "no-answer"),
    ("", _N, 100, "no_answer", "no-answer"),
    # --- syntax outside the language
    (r"\boxed{}", _N, 100, "invalid_expression", "syntax"),
    (r"\boxed{(6-2)*25)}", _N, 100, "invalid_expression", "syntax"),
    (r"\boxed{((6-2)*25}", _N, 100, "invalid_expression", "syntax"),
    (r"\boxed{(6-2)25}", _N, 100, "invalid_expression", "syntax"),  # implicit multiplication
    (r"\boxed{6 2 25}", _N, 100, "invalid_expression", "syntax"),
    (r"\boxed{(6-2)*25+}", _N, 100, "invalid_expression", "syntax"),
    (r"\boxed{(6-2)x25}", _N, 100, "invalid_expression", "syntax"),
    (r"\boxed{(6-2)\times 25}", _N, 100, "invalid_expression", "syntax"),
    (r"\boxed{(6−2)*25}", _N, 100, "invalid_expression", "syntax"),  # U+2212 minus
    (r"\boxed{(6-2)//25}", _N, 0, "invalid_expression", "syntax"),
    (r"\boxed{06-2*25}", (6, 2, 25), -44, "invalid_expression", "syntax"),  # leading zero
    (r"\boxed{00+6*2+25}", (0, 6, 2, 25), 37, "invalid_expression", "syntax"),
]

_REWARD_HACKS: list[tuple[str, tuple[int, ...], int, str, str]] = [
    # regex number checks: `2.5` read as the numbers 2 and 5
    (r"\boxed{2.5*6}", (2, 5, 6), 15, "invalid_expression", "decimal"),
    (r"\boxed{(2.5+5.5)*2}", (2, 5, 5, 5, 2), 16, "invalid_expression", "decimal"),
    (r"\boxed{1,5*2}", (1, 5, 2), 3, "invalid_expression", "decimal"),
    # powers
    (r"\boxed{2**6-25+61}", (2, 6, 25, 61), 100, "invalid_expression", "power"),
    (r"\boxed{2^6+36}", (2, 6, 36), 100, "invalid_expression", "power"),
    (r"\boxed{2* *6}", (2, 6), 64, "invalid_expression", "power"),
    # unary minus / plus
    (r"\boxed{-3+6*2}", (3, 6, 2), 9, "invalid_expression", "unary"),
    (r"\boxed{3*-2+6}", (3, 2, 6), 0, "invalid_expression", "unary"),
    (r"\boxed{6--2}", (6, 2), 8, "invalid_expression", "unary"),
    (r"\boxed{+6+2}", (6, 2), 8, "invalid_expression", "unary"),
    (r"\boxed{6-(-2)}", (6, 2), 8, "invalid_expression", "unary"),
    # payloads for a grader that calls eval
    (r"\boxed{__import__('os').getpid()}", (), 0, "invalid_expression", "eval"),
    (r"\boxed{1 if 1 else 2}", (1, 1, 2), 1, "invalid_expression", "eval"),
    (r"\boxed{(lambda:1)()}", (1,), 1, "invalid_expression", "eval"),
    (r"\boxed{True+1}", (1,), 2, "invalid_expression", "eval"),
    (r"\boxed{0x10}", (0,), 16, "invalid_expression", "eval"),
    (r"\boxed{1_0*10}", (10, 10), 100, "invalid_expression", "eval"),
    (r"\boxed{1e2}", (1, 2), 100, "invalid_expression", "eval"),
    (r"\boxed{6%4}", (6, 4), 2, "invalid_expression", "eval"),
    (r"\boxed{abs(2-6)*25}", _N, 100, "invalid_expression", "eval"),
    # the model's own "= N"
    (r"\boxed{3+4} = 25", (3, 4), 25, "not_equal", "self-report"),
    (r"3+4=25 so \boxed{3+4}", (3, 4), 25, "not_equal", "self-report"),
    (r"\boxed{3+4=25}", (3, 4), 25, "invalid_expression", "self-report"),
    (r"\boxed{25}", (3, 4), 25, "wrong_numbers", "self-report"),  # the target as the answer
    # only the last line read
    ("\\boxed{3+4}\nso the answer is 25\n", (3, 4), 25, "not_equal", "last-line"),
    ("\\boxed{3*4}\n25\n\\boxed", (3, 4), 12, "equal", "last-line"),
    # format without content earns nothing
    (r"<answer>\boxed{3+4}</answer>", (3, 4), 25, "not_equal", "format-credit"),
    (r"\boxed{answer}", (3, 4), 7, "invalid_expression", "format-credit"),
    # nested boxes and unbalanced braces
    (r"\boxed{\boxed{3+4}}", (3, 4), 7, "invalid_expression", "nested"),
    (r"\boxed{\boxed{3+4} \boxed{3*4}}", (3, 4), 12, "invalid_expression", "nested"),
    (r"\boxed{{3+4}}", (3, 4), 7, "invalid_expression", "braces"),
    (r"\boxed{3+4}}}", (3, 4), 7, "equal", "braces"),
    (r"\boxed{3+4{}", (3, 4), 7, "no_answer", "braces"),
    # unicode digits and spaces
    (r"\boxed{３+4}", (3, 4), 7, "invalid_expression", "unicode"),
    (r"\boxed{٣+4}", (3, 4), 7, "invalid_expression", "unicode"),
    (r"\boxed{3+４}", (3, 4), 7, "invalid_expression", "unicode"),
    ("\\boxed{3\u00a0+4}", (3, 4), 7, "invalid_expression", "unicode"),
    (r"\boxed{3＋4}", (3, 4), 7, "invalid_expression", "unicode"),
]


def _cases(rows: list[tuple[str, tuple[int, ...], int, str, str]]) -> list[Case]:
    return [Case(*row) for row in rows]


@pytest.mark.parametrize("case", _cases(_LABELLED + _REWARD_HACKS), ids=lambda c: c.category)
def test_table(case: Case) -> None:
    verdict = grade(case.response, case.numbers, case.target)
    assert (verdict.reason, verdict.correct) == (case.reason, case.reason == "equal")
    assert verdict.extracted == extract_expression(case.response)


def test_batch_form_matches_single_grades() -> None:
    rows = _cases(_LABELLED + _REWARD_HACKS)
    verdicts = grade_many(
        [c.response for c in rows], [c.numbers for c in rows], [c.target for c in rows]
    )
    assert verdicts == [grade(c.response, c.numbers, c.target) for c in rows]
    with pytest.raises(ValueError, match="one length, got 2, 1 and 2"):
        grade_many(["a", "b"], [(1,)], [1, 2])
    with pytest.raises(TypeError, match=r"responses\[1\] must be a str"):
        grade_many(["a", b"b"], [(1,), (1,)], [1, 2])  # type: ignore[list-item]


def test_model_text_is_never_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for payload in (
        f"__import__('os').system('touch {marker}')",
        f"eval(\"open('{marker}','w')\")",
        f'exec(\'open("{marker}","w")\')',
    ):
        verdict = grade(rf"\boxed{{{payload}}}", [1], 0)
        assert not verdict.correct and verdict.reason in ("invalid_expression", "too_long")
    assert not marker.exists()


_HOSTILE = {
    "huge-literal": "\\boxed{" + "9" * 150 + "*" + "9" * 45 + "}",
    "huge-literal-long": "\\boxed{" + "9" * 5000 + "}",
    "10k-chars": "x" * 10_000 + "\\boxed{(6-2)*25}",
    "10k-braces": "{" * 10_000 + "\\boxed{(6-2)*25}",
    "10k-boxes": "\\boxed{1}" * 1200,
    "500-parens": "\\boxed{" + "(" * 500 + "6" + ")" * 500 + "}",
    "90-parens": "\\boxed{" + "(" * 90 + "6" + ")" * 90 + "}",
    "unclosed-box-10k": "\\boxed{" + "(" * 10_000,
    "2000-open-boxes": "\\boxed{" * 2000,
    "long-sum": "\\boxed{" + "+".join(["1"] * 5000) + "}",
    "over-max-response": "\\boxed{(6-2)*25}" + " " * MAX_RESPONSE_CHARS,
    "million-chars": "(" * 1_000_000,
    "6k-empty-boxes": "\\boxed{}" * (MAX_RESPONSE_CHARS // 8),
    "25k-brace-pairs": "\\boxed{" + "{}" * (MAX_RESPONSE_CHARS // 2 - 8) + "}",
}
_HOSTILE_REASONS = {
    "huge-literal": "wrong_numbers",
    "huge-literal-long": "too_long",
    "10k-chars": "equal",
    "10k-braces": "equal",  # braces outside a box are prose
    "10k-boxes": "wrong_numbers",
    "500-parens": "too_long",
    "90-parens": "too_long",
    "unclosed-box-10k": "no_answer",
    "2000-open-boxes": "no_answer",
    "long-sum": "too_long",
    "over-max-response": "too_long",
    "million-chars": "too_long",
    "6k-empty-boxes": "invalid_expression",
    "25k-brace-pairs": "too_long",
}


@pytest.mark.parametrize("name", list(_HOSTILE))
def test_hostile_input_is_answered_within_a_second(name: str) -> None:
    start = time.perf_counter()
    verdict = grade(_HOSTILE[name], _N, 100)
    elapsed = time.perf_counter() - start
    assert verdict.reason == _HOSTILE_REASONS[name]
    assert elapsed < 1.0, f"{name}: {elapsed:.3f} s"


def test_bounds() -> None:
    at_limit = "(" * MAX_DEPTH + "6" + ")" * MAX_DEPTH
    assert evaluate(at_limit) == 6
    with pytest.raises(ExpressionError, match="nested deeper") as deep:
        evaluate("(" + at_limit + ")")
    assert deep.value.reason == "too_long"
    longest = "+".join(["1"] * (MAX_EXPRESSION_CHARS // 2))
    assert len(longest) < MAX_EXPRESSION_CHARS and evaluate(longest) == MAX_EXPRESSION_CHARS // 2
    with pytest.raises(ExpressionError, match="over 200") as long:
        evaluate(longest + "+11")
    assert long.value.reason == "too_long"


def test_helpers() -> None:
    assert evaluate("25/(6/2)") == Fraction(25, 3)
    assert numbers_used("25 / (6/2) + 25") == [25, 6, 2, 25]
    assert numbers_used("6/0") == [6, 0]  # literals are defined even where the value is not
    with pytest.raises(ExpressionError, match="divides by zero") as zero:
        evaluate("6/(2-2)")
    assert zero.value.reason == "division_by_zero" and isinstance(zero.value, ValueError)
    with pytest.raises(ExpressionError, match="decimal point '.' at position 1"):
        numbers_used("2.5")
    with pytest.raises(ExpressionError, match=r"unary '-' at position 2"):
        evaluate("3*-2")
    with pytest.raises(ExpressionError, match="leading zero"):
        evaluate("03")
    assert extract_expression(r"\boxed{ 1 + 2 } and \boxed{\frac{1}{2}}") == r"\frac{1}{2}"


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(TypeError, match="response must be a str, got bytes"):
        grade(b"\\boxed{1}", [1], 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="numbers must be a sequence of ints, got str"):
        grade(r"\boxed{1}", "1", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"numbers\[1\] must be an int, got float 2.5"):
        grade(r"\boxed{1}", [1, 2.5], 1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="target must be an int, got bool"):
        grade(r"\boxed{1}", [1], True)
    with pytest.raises(ValueError, match="numbers must be >= 0"):
        grade(r"\boxed{1}", [1, -2], 1)
    with pytest.raises(TypeError, match="expression must be a str"):
        evaluate(None)  # type: ignore[arg-type]
    # numpy integers, as an env's np_random draws them, are ints
    assert grade(r"\boxed{6*2}", np.array([2, 6]), np.int64(12)).correct


_REASONS = set(get_args(VerdictReason))
_EXPRESSION_TEXT = st.text(alphabet="0123456789+-*/() .^x{}\\boxed３", max_size=80)


@settings(max_examples=400, deadline=1000)
@given(st.text(max_size=300) | _EXPRESSION_TEXT.map(lambda s: "\\boxed{" + s + "}"))
def test_random_text_never_raises(text: str) -> None:
    verdict = grade(text, _N, 100)
    assert verdict.reason in _REASONS and verdict.correct is (verdict.reason == "equal")


_OPERATORS = ("+", "-", "*", "/")


@st.composite
def _expressions(draw: st.DrawFn) -> tuple[str, Fraction | None, list[int]]:
    """A random expression over a random multiset, with its value computed independently."""
    numbers = draw(st.lists(st.integers(0, 120), min_size=1, max_size=6))
    leaves: list[tuple[str, Fraction | None]] = [(str(n), Fraction(n)) for n in numbers]
    while len(leaves) > 1:  # join two random subtrees until one is left
        i = draw(st.integers(0, len(leaves) - 1))
        left = leaves.pop(i)
        right = leaves.pop(draw(st.integers(0, len(leaves) - 1)))
        op = draw(st.sampled_from(_OPERATORS))
        value = _combine(op, left[1], right[1])
        leaves.append((f"({left[0]}{draw(st.sampled_from(['', ' ']))}{op}{right[0]})", value))
    return leaves[0][0], leaves[0][1], draw(st.permutations(numbers))


def _combine(op: str, a: Fraction | None, b: Fraction | None) -> Fraction | None:
    if a is None or b is None or (op == "/" and b == 0):
        return None
    return {"+": a + b, "-": a - b, "*": a * b}[op] if op != "/" else a / b


@settings(max_examples=400, deadline=1000)
@given(_expressions())
def test_random_valid_expressions_evaluate_exactly(
    case: tuple[str, Fraction | None, list[int]],
) -> None:
    expression, value, shuffled = case
    assert sorted(numbers_used(expression)) == sorted(shuffled)
    if value is None:
        with pytest.raises(ExpressionError) as error:
            evaluate(expression)
        assert error.value.reason == "division_by_zero"
        assert grade(rf"\boxed{{{expression}}}", shuffled, 0).reason == "division_by_zero"
        return
    assert evaluate(expression) == value
    target = int(value)
    expected = "equal" if value == target else "not_equal"
    assert grade(rf"\boxed{{{expression}}}", shuffled, target).reason == expected
    assert grade(rf"\boxed{{{expression}}}", shuffled, target + 1).reason == "not_equal"
