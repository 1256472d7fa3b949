"""The typed verdict every answer-checking verifier returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

VerdictReason = Literal[
    "equal",
    "not_equal",
    "no_answer",
    "parse_error",
    "timeout",
    "memory_limit",
    "too_long",
    "undecided",
    "wrong_numbers",
    "invalid_expression",
    "division_by_zero",
]


@dataclass(frozen=True)
class Verdict:
    """Outcome of checking one response against one gold answer.

    `correct` is the reward-bearing bit; `extracted` is the final answer found in the response
    (None when none was marked); `reason` says why, so that training logs can tell a wrong answer
    from a missing one or a verifier timeout (`timeout`: over the wall-clock limit;
    `memory_limit`: over the memory cap, or the checking process died; `too_long`: an answer
    longer than the verifier reads; `undecided`: values too large to compare, scored as wrong). Countdown adds
    `wrong_numbers` (not the given multiset), `invalid_expression` (outside its language) and
    `division_by_zero`; its `too_long` also covers a nesting bound.
    """

    correct: bool
    extracted: str | None
    reason: VerdictReason
