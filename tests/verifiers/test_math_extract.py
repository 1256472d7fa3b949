"""Extraction of the marked final answer (verifiers.math.extract)."""

from __future__ import annotations

import pytest

from verifiers.math import extract_answer

MARKED = [
    (r"so the answer is $\boxed{\frac{1}{2}}$.", r"\frac{1}{2}"),
    (r"\boxed{1} first, then finally \boxed{\{1,2\}}", r"\{1,2\}"),
    (r"nested \boxed{\frac{\sqrt{2}}{\left(3\right)}}", r"\frac{\sqrt{2}}{\left(3\right)}"),
    (r"bare token \boxed 5$ in math", "5"),
    (r"\fbox{7}", "7"),
    ("Final Answer: The final answer is $12$. I hope it is correct.", "12"),
    ("Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", r"\frac{3}{4}"),
    ("The final answer is 8.", "8"),
    ("The answer is 3.5.", "3.5"),
    ("Thus the answer is: $x = 2$", "x = 2"),
    (r"\boxed{5}. So the answer is correct.", "5"),  # a box outranks prose
    (r"\boxed{1}, \boxed{2} and \boxed{3}", "1, 2, 3"),  # boxes joined by connectors
    (r"\boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}", "(2, 2), (6, 2)"),
    (r"\boxed{12} so the total is \boxed{24}", "24"),  # prose between boxes: last box only
    (r"escaped braces \boxed{\{1, 2\}}", r"\{1, 2\}"),
]


@pytest.mark.parametrize(("response", "expected"), MARKED)
def test_marked_answers_are_extracted(response: str, expected: str) -> None:
    assert extract_answer(response) == expected


@pytest.mark.parametrize(
    "response",
    [
        "I think it is 12",  # an unmarked number is not an answer
        r"\boxed{}",
        r"the last box is cut off \boxed{3",
        r"\boxed{2} then revised to \boxed{3",  # a truncated revision marks nothing
        "",
    ],
)
def test_unmarked_or_malformed_answers_give_none(response: str) -> None:
    assert extract_answer(response) is None


def test_last_number_fallback_is_opt_in() -> None:
    assert extract_answer("x is 12 and y is 13") is None
    assert extract_answer("x is 12 and y is 13", last_number_fallback=True) == "13"
    assert extract_answer("total 1,250.", last_number_fallback=True) == "1,250"


def test_extraction_is_linear_on_long_responses() -> None:
    response = "{" * 50_000 + r"\boxed{" * 1000 + "x" * 50_000
    assert extract_answer(response) is None
    assert extract_answer("a " * 100_000 + r"\boxed{4}") == "4"


def test_non_string_response_is_rejected_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="response must be a str"):
        extract_answer(12)  # type: ignore[arg-type]
