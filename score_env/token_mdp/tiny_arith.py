"""The easiest self-correction setting: one operation on single-digit operands (`Q:3+4`).

Classic RL agents explore token by token at random, and a full Arith problem (`Q:37+48*2`,
answers up to 999, ~20-token solutions) gives a random policy a reward of essentially zero: there
is nothing to learn from. This task keeps the Arith prompt format and grades through the very
same `ArithTask.grade_many` (`verifiers.arith`, exact integers), but draws `a op b` with
`0 <= a, b <= max_operand`, so a short answer is within reach of random exploration and the
mapping from problem to answer is small enough for an MLP policy to learn in seconds.

It is a finite split (every pair once, in a fixed order), so `score_env.evaluate` can run all of
it, and its problem ids (`T/3+4`) rebuild a problem anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from score_env.tasks.arith import ArithTask, problem_from_expression
from score_env.tasks.base import Problem, Task, TurnOutcome

_OPERATORS = "+-*"


class TinyArithTask(Task):
    """`a op b` for every operand pair in 0..max_operand and every operator in `operators`.

    Args:
        max_operand: the largest operand, 1-9 (default 4: `+` answers are 0-8, one digit).
        operators: which of `+`, `-`, `*` to use; a `-` whose result would be negative is left
            out, so every answer is a non-negative integer like Arith's.
    """

    name = "arith-tiny"
    turn_separator = ArithTask.turn_separator
    correction_instruction = ArithTask.correction_instruction
    default_max_response_chars = ArithTask.default_max_response_chars

    def __init__(self, max_operand: int = 4, operators: str = "+") -> None:
        if not (isinstance(max_operand, int) and 1 <= max_operand <= 9):
            raise ValueError(f"max_operand must be an int in 1..9, got {max_operand!r}")
        if not operators or any(op not in _OPERATORS for op in operators):
            raise ValueError(
                f"operators must be a non-empty string of {_OPERATORS!r}, got {operators!r}"
            )
        self.max_operand = max_operand
        self.operators = operators
        self._grader = ArithTask(level=1)  # grading only: the same verifier path as Arith

    @cached_property
    def _ids(self) -> tuple[str, ...]:
        n = range(self.max_operand + 1)
        return tuple(
            f"T/{a}{op}{b}" for op in self.operators for a in n for b in n if op != "-" or a >= b
        )

    @property
    def problem_ids(self) -> Sequence[str]:
        return self._ids

    def problem(self, problem_id: str) -> Problem:
        if problem_id not in self._ids:
            raise self._unknown(problem_id)
        expression = problem_id.removeprefix("T/")
        answer = problem_from_expression(expression, level=0).answer
        return Problem(problem_id, f"Q:{expression}", str(answer), level=0)

    @property
    def max_prompt_chars(self) -> int:
        return 5  # "Q:" + digit, operator, digit

    def grade_many(
        self, problems: Sequence[Problem], responses: Sequence[str]
    ) -> list[TurnOutcome]:
        return self._grader.grade_many(problems, responses)

    def __repr__(self) -> str:
        return f"TinyArithTask(max_operand={self.max_operand}, operators={self.operators!r})"
