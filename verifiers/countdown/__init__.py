"""Countdown: an arithmetic expression over given numbers, graded by exact recomputation.

Public API:
- `grade(response, numbers, target)` -> `Verdict(correct, extracted, reason)`.
- `grade_many(responses, numbers_list, targets)` -> list of `Verdict`.
- `extract_expression(response)` -> the last top-level `\\boxed{}`'s contents, or None.
- `parse(expression)` -> `Parsed(value, numbers)`; `evaluate(expression)` -> `Fraction`;
  `numbers_used(expression)` -> the literals in order. These raise `ExpressionError` (a
  `ValueError` with a `reason`) for text outside the language.

Checking is one parse and one comparison, cheaper than the search that solves the puzzle; this
is what lets a second attempt check a first. No sympy, no worker process, no `eval`.
"""

from verifiers.countdown.expression import (
    MAX_DEPTH,
    MAX_EXPRESSION_CHARS,
    ExpressionError,
    ExpressionReason,
    Parsed,
    evaluate,
    numbers_used,
    parse,
)
from verifiers.countdown.grader import MAX_RESPONSE_CHARS, extract_expression, grade, grade_many
from verifiers.verdict import Verdict

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPRESSION_CHARS",
    "MAX_RESPONSE_CHARS",
    "ExpressionError",
    "ExpressionReason",
    "Parsed",
    "Verdict",
    "evaluate",
    "extract_expression",
    "grade",
    "grade_many",
    "numbers_used",
    "parse",
]
