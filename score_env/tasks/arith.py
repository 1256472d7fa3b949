"""The built-in procedural task: multi-step integer arithmetic with worked solutions.

It needs no data, has an exact gold answer, and is what the embedded tiny model trains on.
A problem is an expression such as `37+48*2-15`; its worked solution reduces it one operation at a
time in the usual order (brackets, then `*`, then `+`/`-` left to right) and boxes the result:

    48*2=96;37+96=133;133-15=118;\\boxed{118}

Difficulty levels (numbers 1-99, the factor right of `*` a single digit 2-9, every intermediate
result in 0-999, so the solution chain stays short and the answer fits three digits):

| level | operations | example        |
|-------|------------|----------------|
| 1     | 2          | `37+48*2`      |
| 2     | 3          | `37+48*2-15`   |
| 3     | 3, bracket | `(37+48)*2-15` |
| 4     | 4, bracket | `(37+48)*2-15+6` |
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LEVELS = (1, 2, 3, 4)
_N_OPERATIONS = {1: 2, 2: 3, 3: 3, 4: 4}
_BRACKETED = {1: False, 2: False, 3: True, 4: True}
_MAX_INTERMEDIATE = 999


@dataclass(frozen=True)
class ArithProblem:
    """One expression with its exact answer and worked solution steps."""

    expression: str
    answer: int
    steps: tuple[str, ...]  # e.g. ("48*2=96", "37+96=133")
    level: int

    @property
    def solution(self) -> str:
        """The worked solution in the format the tiny model is taught."""
        return ";".join((*self.steps, f"\\boxed{{{self.answer}}}"))


def _apply(op: str, a: int, b: int) -> int:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    raise ValueError(f"unknown operator {op!r}; expected one of '+', '-', '*'")


def _reduce_flat(numbers: list[int], ops: list[str], steps: list[str]) -> int:
    """Reduce a bracket-free sequence: every `*` first, then `+`/`-`, each left to right."""
    numbers, ops = list(numbers), list(ops)
    for precedence in (("*",), ("+", "-")):
        i = 0
        while i < len(ops):
            if ops[i] in precedence:
                value = _apply(ops[i], numbers[i], numbers[i + 1])
                steps.append(f"{numbers[i]}{ops[i]}{numbers[i + 1]}={value}")
                if not 0 <= value <= _MAX_INTERMEDIATE:
                    raise _OutOfRange
                numbers[i : i + 2] = [value]
                del ops[i]
            else:
                i += 1
    return numbers[0]


class _OutOfRange(Exception):
    """An intermediate result left 0-999: the sample is rejected and drawn again."""


def solve(numbers: list[int], ops: list[str], bracket: int | None) -> tuple[int, list[str]]:
    """Evaluate `numbers` joined by `ops`, with `(numbers[bracket] op numbers[bracket+1])` grouped.

    Returns the value and the reduction steps. Raises `_OutOfRange` when an intermediate result
    leaves 0-999.
    """
    steps: list[str] = []
    if bracket is not None:
        inner = _reduce_flat(numbers[bracket : bracket + 2], ops[bracket : bracket + 1], steps)
        numbers = numbers[:bracket] + [inner] + numbers[bracket + 2 :]
        ops = ops[:bracket] + ops[bracket + 1 :]
    return _reduce_flat(numbers, ops, steps), steps


def render(numbers: list[int], ops: list[str], bracket: int | None) -> str:
    parts: list[str] = []
    for i, n in enumerate(numbers):
        text = str(n)
        if bracket is not None and i == bracket:
            text = "(" + text
        if bracket is not None and i == bracket + 1:
            text = text + ")"
        parts.append(text)
        if i < len(ops):
            parts.append(ops[i])
    return "".join(parts)


def sample_problem(rng: random.Random, level: int) -> ArithProblem:
    """Draw one problem of `level` from `rng` (rejection sampling on the 0-999 constraint)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    n_ops = _N_OPERATIONS[level]
    while True:
        ops = [rng.choice("+-*") for _ in range(n_ops)]
        bracket: int | None = None
        if _BRACKETED[level]:
            # A bracket only matters around a `+`/`-` that a `*` follows: `(a+b)*c`.
            candidates = [i for i in range(n_ops - 1) if ops[i] in "+-" and ops[i + 1] == "*"]
            if not candidates:
                continue
            bracket = rng.choice(candidates)
        numbers = [rng.randint(2, 9) if i > 0 and ops[i - 1] == "*" else rng.randint(1, 99)
                   for i in range(n_ops + 1)]
        try:
            value, steps = solve(numbers, ops, bracket)
        except _OutOfRange:
            continue
        return ArithProblem(render(numbers, ops, bracket), value, tuple(steps), level)


def parse_expression(expression: str) -> tuple[list[int], list[str], int | None]:
    """Inverse of `render`, so a problem can be rebuilt from its id. Raises ValueError."""
    numbers: list[int] = []
    ops: list[str] = []
    bracket: int | None = None
    digits = ""
    for ch in expression + "+":  # sentinel operator flushes the last number
        if ch.isdigit():
            digits += ch
        elif ch == "(":
            bracket = len(numbers)
        elif ch == ")":
            continue
        elif ch in "+-*":
            if not digits:
                raise ValueError(f"malformed arithmetic expression {expression!r}")
            numbers.append(int(digits))
            ops.append(ch)
            digits = ""
        else:
            raise ValueError(f"unexpected character {ch!r} in arithmetic expression {expression!r}")
    return numbers, ops[:-1], bracket


def problem_from_expression(expression: str, level: int) -> ArithProblem:
    """Rebuild the problem whose expression is `expression` (e.g. from a problem id)."""
    numbers, ops, bracket = parse_expression(expression)
    value, steps = solve(numbers, ops, bracket)
    return ArithProblem(expression, value, tuple(steps), level)
