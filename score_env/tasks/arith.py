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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from score_env.tasks.base import Problem, ProceduralTask, TurnOutcome
from verifiers.arith import grade
from verifiers.verdict import Verdict

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
        numbers = [
            rng.randint(2, 9) if i > 0 and ops[i - 1] == "*" else rng.randint(1, 99)
            for i in range(n_ops + 1)
        ]
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


# ---------------------------------------------------------------------------------------------
# The env-facing task. Prompts are compact on purpose: a character-level tiny model with a
# ~256-character context is trained on them (turn 1 `Q:37+48*2-15`, one short instruction line).

ARITH_CORRECTION_INSTRUCTION = "Check the solution above and fix any mistake."
TEST_SEED = 2409_12917  # the held-out set's own stream, never touched by training draws
TEST_PER_LEVEL = 500


def problem_id(problem: ArithProblem) -> str:
    """`L2/37+48*2-15`: the level and expression, enough to rebuild the problem anywhere."""
    return f"L{problem.level}/{problem.expression}"


def problem_from_id(pid: str) -> ArithProblem:
    """Inverse of `problem_id`; raises KeyError naming a malformed id."""
    head, _, expression = pid.partition("/")
    if not (head.startswith("L") and head[1:].isdigit() and int(head[1:]) in LEVELS and expression):
        raise KeyError(f"malformed Arith problem_id {pid!r}; expected e.g. 'L2/37+48*2-15'")
    try:
        return problem_from_expression(expression, int(head[1:]))
    except (ValueError, IndexError, _OutOfRange) as err:
        raise KeyError(f"malformed Arith problem_id {pid!r}: {err}") from err


@cache
def held_out(level: int) -> tuple[ArithProblem, ...]:
    """The fixed test problems of `level`: TEST_PER_LEVEL distinct ones from TEST_SEED's stream."""
    rng = random.Random(TEST_SEED * 10 + level)
    seen: dict[str, ArithProblem] = {}
    while len(seen) < TEST_PER_LEVEL:
        p = sample_problem(rng, level)
        seen.setdefault(p.expression, p)
    return tuple(seen.values())


class ArithTask(ProceduralTask):
    """Multi-step integer arithmetic, graded exactly by `verifiers.arith`.

    Args:
        level: one level (1-4) or a list of levels to mix uniformly.
        split: "train" draws fresh problems from the env's seeded stream, never one of the held-out
            test problems; "test" is the fixed held-out set (TEST_PER_LEVEL per level, levels
            interleaved so any prefix is balanced).
    """

    name = "arith"
    correction_instruction = ARITH_CORRECTION_INSTRUCTION
    turn_separator = "\n"
    default_max_response_chars = 1024

    def __init__(self, level: int | Sequence[int] = LEVELS, split: str = "train") -> None:
        levels = (level,) if isinstance(level, int) else tuple(level)
        if not levels or any(lv not in LEVELS for lv in levels):
            raise ValueError(f"Arith level must be in {LEVELS} (or a list of them), got {level!r}")
        if split not in ("train", "test"):
            raise ValueError(f"Arith split must be 'train' or 'test', got {split!r}")
        self.levels = levels
        self.split = split

    @cached_property
    def test_ids(self) -> tuple[str, ...]:
        per_level = [held_out(lv) for lv in self.levels]
        return tuple(problem_id(p) for group in zip(*per_level, strict=True) for p in group)

    @cached_property
    def _excluded(self) -> frozenset[str]:
        return frozenset(p.expression for lv in LEVELS for p in held_out(lv))

    def problem(self, problem_id: str) -> Problem:
        return self._as_problem(problem_from_id(problem_id))

    def draw(self, stream: random.Random) -> Problem:
        while True:
            p = sample_problem(stream, self.levels[stream.randrange(len(self.levels))])
            if p.expression not in self._excluded:
                return self._as_problem(p)

    @property
    def max_prompt_chars(self) -> int:
        return 32  # "Q:" + at most 5 two-digit numbers, 4 operators and a bracket pair

    def grade_many(
        self, problems: Sequence[Problem], responses: Sequence[str]
    ) -> list[TurnOutcome]:
        # Exact integer comparison is microseconds per response: no worker pool is worth it.
        return [_outcome(grade(r, p.gold)) for p, r in zip(problems, responses, strict=True)]

    @staticmethod
    def _as_problem(p: ArithProblem) -> Problem:
        return Problem(problem_id(p), f"Q:{p.expression}", str(p.answer), level=p.level)


def _outcome(verdict: Verdict) -> TurnOutcome:
    if verdict.extracted is None:
        feedback = "No \\boxed{} answer was found."
    else:
        feedback = f"The answer {verdict.extracted} is {'correct' if verdict.correct else 'wrong'}."
    return TurnOutcome(verdict.correct, verdict.extracted, verdict.reason, feedback)
