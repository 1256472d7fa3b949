"""Countdown: combine the given numbers with `+ - * /` to reach the target, each used once.

Why this task: solving is a search over expressions, while checking a candidate is one evaluation
and one comparison with the target. A second attempt can therefore know something the first did
not (whether the first reached the target), which is what self-correction needs and what Arith
lacks (there, re-checking a carry is the same computation as making it).

A problem is a list of numbers and a target, shown compactly for a character-level model:

    Q:3,6,7>25

and answered with a boxed expression (`verifiers.countdown` recomputes it exactly):

    (6*3)+7:6*3=18;18+7=25;\\boxed{(6*3)+7}

Problems are generated so that they are solvable: the numbers are drawn from `number_range`, and
the target is the value of a random left-to-right expression over all of them, e.g.
`(a op b) op c`, whose intermediate results stay in `0..max_intermediate` (and divide exactly).
The held-out `test` split is a fixed set drawn from its own seed; `train` draws fresh problems and
never one that `test` holds (compared as the multiset of numbers with the target, so a reordering
of a test problem is never trained on either).
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property

from score_env.tasks.base import Problem, ProceduralTask, TurnOutcome
from verifiers.countdown import grade_many
from verifiers.verdict import Verdict

COUNTDOWN_CORRECTION_INSTRUCTION = "Fix any mistake."
"""Short on purpose: every character is a position of the tiny model's 256-token context, and
the second attempt is written after the first attempt and this line."""
INSTRUCT_PROMPT = (
    "Using the numbers {numbers}, write an arithmetic expression that equals {target}. Use each "
    "number exactly once, with + - * / and parentheses only. Show your work, then give the final "
    "expression (not its value) in \\boxed{{}}, for example \\boxed{{(6*3)+7}}."
)
"""`prompt_template="instruct"`: a plain-language prompt for chat models (the compact default
`Q:3,6,7>25` suits the character-level tiny model)."""
OPERATORS = "+-*/"
MAX_DRAWS = 100_000  # draws before settings are declared unsatisfiable
TEST_SEED = 2409_12917_2  # the held-out set's own stream, never touched by training draws


@dataclass(frozen=True)
class Settings:
    """The difficulty of a Countdown stream; the env's keyword arguments of the same names."""

    n_numbers: int = 3
    """How many numbers a problem gives (all must be used)."""
    number_range: tuple[int, int] = (1, 19)
    """Inclusive range of the given numbers."""
    target_range: tuple[int, int] = (10, 99)
    """Inclusive range of the target."""
    operators: str = "+-*"
    """The operators generated solutions use (the verifier accepts any of `+ - * /`)."""
    max_intermediate: int = 99
    """Generated solutions keep every intermediate result in 0..max_intermediate."""
    test_size: int = 1000
    """Problems in the held-out test split."""

    def __post_init__(self) -> None:
        if not 2 <= self.n_numbers <= 6:
            raise ValueError(f"Countdown n_numbers must be in 2..6, got {self.n_numbers!r}")
        for name in ("number_range", "target_range"):
            lo, hi = getattr(self, name)
            if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi <= 10_000):
                raise ValueError(
                    f"Countdown {name} must be two integers 0 <= lo <= hi <= 10000, got "
                    f"{getattr(self, name)!r}"
                )
        if not self.operators or any(
            op not in OPERATORS or self.operators.count(op) > 1 for op in self.operators
        ):
            raise ValueError(
                f"Countdown operators must be distinct characters of {OPERATORS!r}, got "
                f"{self.operators!r}"
            )
        if not 1 <= self.max_intermediate <= 100_000:
            raise ValueError(
                f"Countdown max_intermediate must be in 1..100000, got {self.max_intermediate!r}"
            )
        if not 1 <= self.test_size <= 100_000:
            raise ValueError(f"Countdown test_size must be in 1..100000, got {self.test_size!r}")


@dataclass(frozen=True)
class Step:
    """One binary operation of a left-to-right solution: `left op right = value`."""

    left: int
    op: str
    right: int
    value: int

    def __str__(self) -> str:
        return f"{self.left}{self.op}{self.right}={self.value}"


@dataclass(frozen=True)
class Chain:
    """A left-to-right expression over an ordering of the numbers, with its evaluation steps.

    `values` are the intermediate results; an operation whose result is not an integer in range
    never makes a Chain (see `chains`)."""

    order: tuple[int, ...]
    ops: tuple[str, ...]
    steps: tuple[Step, ...]

    @property
    def value(self) -> int:
        return self.steps[-1].value

    @property
    def expression(self) -> str:
        """`(a*b)+c`: every partial result but the last in brackets, so the order is explicit."""
        text = str(self.order[0])
        for i, (op, n) in enumerate(zip(self.ops, self.order[1:], strict=True)):
            text = f"{text}{op}{n}"
            if i < len(self.ops) - 1:
                text = f"({text})"
        return text

    @property
    def trace(self) -> str:
        """The worked attempt the tiny model is taught: proposal, honest evaluation, answer."""
        steps = ";".join(str(s) for s in self.steps)
        return f"{self.expression}:{steps};\\boxed{{{self.expression}}}"


def apply_operator(op: str, a: int, b: int) -> Fraction:
    if op == "+":
        return Fraction(a + b)
    if op == "-":
        return Fraction(a - b)
    if op == "*":
        return Fraction(a * b)
    return Fraction(a, b) if b else Fraction(-1)  # a division by zero never makes a Chain


def chains(numbers: Sequence[int], operators: str, max_intermediate: int) -> Iterator[Chain]:
    """Every left-to-right chain over all of `numbers` whose intermediates are integers in
    0..max_intermediate (orderings of equal numbers are listed once)."""
    for order in dict.fromkeys(itertools.permutations(numbers)):
        for ops in itertools.product(operators, repeat=len(numbers) - 1):
            value, steps, ok = order[0], [], True
            for op, n in zip(ops, order[1:], strict=True):
                result = apply_operator(op, value, n)
                if result.denominator != 1 or not 0 <= result <= max_intermediate:
                    ok = False
                    break
                steps.append(Step(value, op, n, int(result)))
                value = int(result)
            if ok:
                yield Chain(order, ops, tuple(steps))


@cache
def all_chains(
    numbers: tuple[int, ...], operators: str, max_intermediate: int
) -> tuple[Chain, ...]:
    """`chains` as a cached tuple (a 3-number puzzle has at most 54)."""
    return tuple(chains(numbers, operators, max_intermediate))


def solutions(
    numbers: tuple[int, ...], target: int, operators: str, max_intermediate: int
) -> tuple[Chain, ...]:
    """The chains over `numbers` that reach `target`, in a fixed order."""
    return tuple(c for c in all_chains(numbers, operators, max_intermediate) if c.value == target)


@dataclass(frozen=True)
class CountdownProblem:
    numbers: tuple[int, ...]
    """In the order the prompt shows them."""
    target: int

    @property
    def key(self) -> tuple[tuple[int, ...], int]:
        """The multiset of numbers and the target: what makes two problems the same puzzle."""
        return tuple(sorted(self.numbers)), self.target

    @property
    def problem_id(self) -> str:
        """`3,6,7>25`, which is also the prompt after `Q:`."""
        return ",".join(map(str, self.numbers)) + f">{self.target}"


def sample_problem(rng: random.Random, settings: Settings) -> CountdownProblem:
    """Draw numbers, then a random valid chain over them; its value is the target."""
    lo, hi = settings.number_range
    t_lo, t_hi = settings.target_range
    for _ in range(MAX_DRAWS):
        numbers = tuple(rng.randint(lo, hi) for _ in range(settings.n_numbers))
        order = list(numbers)
        rng.shuffle(order)
        ops = [rng.choice(settings.operators) for _ in range(len(numbers) - 1)]
        value: Fraction = Fraction(order[0])
        for op, n in zip(ops, order[1:], strict=True):
            value = apply_operator(op, int(value), n)
            if value.denominator != 1 or not 0 <= value <= settings.max_intermediate:
                break
        else:
            if t_lo <= value <= t_hi:
                return CountdownProblem(numbers, int(value))
    raise ValueError(
        f"Countdown settings {settings} gave no problem in {MAX_DRAWS} draws: no expression over "
        f"numbers in number_range reaches target_range; widen one of them"
    )


def parse_problem_id(pid: str) -> CountdownProblem:
    """Inverse of `CountdownProblem.problem_id`; KeyError naming a malformed id."""
    head, sep, target = pid.partition(">")
    try:
        numbers = tuple(int(x) for x in head.split(","))
        if not sep or not target.isdigit() or any(n < 0 for n in numbers) or len(numbers) > 6:
            raise ValueError("bad shape")
        return CountdownProblem(numbers, int(target))
    except ValueError as err:
        raise KeyError(f"malformed Countdown problem_id {pid!r}; expected e.g. '3,6,7>25'") from err


@cache
def held_out(settings: Settings) -> tuple[CountdownProblem, ...]:
    """The fixed test problems for `settings`: `test_size` distinct puzzles from TEST_SEED."""
    difficulty = repr(dataclasses.astuple(settings)[:-1])  # not test_size: one stream, any size
    rng = random.Random(f"{TEST_SEED}:{difficulty}")
    seen: dict[tuple[tuple[int, ...], int], CountdownProblem] = {}
    stale = 0  # draws since the last new puzzle
    while stale < 20_000:
        p = sample_problem(rng, settings)
        stale = 0 if p.key not in seen else stale + 1
        seen.setdefault(p.key, p)
        if len(seen) == settings.test_size:
            return tuple(seen.values())
    raise ValueError(
        f"Countdown settings {settings} hold fewer than test_size={settings.test_size} distinct "
        f"problems; widen number_range or target_range, or lower test_size"
    )


def sample_train_problem(rng: random.Random, settings: Settings) -> CountdownProblem:
    """A fresh problem that is not one of the held-out test puzzles (in any order)."""
    excluded = _held_out_keys(settings)
    while True:
        p = sample_problem(rng, settings)
        if p.key not in excluded:
            return p


@cache
def _held_out_keys(settings: Settings) -> frozenset[tuple[tuple[int, ...], int]]:
    return frozenset(p.key for p in held_out(settings))


class CountdownTask(ProceduralTask):
    """Countdown with a procedural train stream and a fixed held-out test set.

    Args:
        split: "train" (fresh seeded problems, never a test puzzle) or "test" (fixed).
        prompt_template: None for the compact `Q:3,6,7>25`; "instruct" for INSTRUCT_PROMPT; or
            any format string with `{numbers}` (e.g. `[3, 6, 7]`) and `{target}`.
        n_numbers, number_range, target_range, operators, max_intermediate, test_size: the
            difficulty (`Settings`).
    """

    name = "countdown"
    correction_instruction = COUNTDOWN_CORRECTION_INSTRUCTION
    turn_separator = "\n"
    default_max_response_chars = 1024

    def __init__(
        self,
        split: str = "train",
        n_numbers: int = Settings.n_numbers,
        number_range: Sequence[int] = Settings.number_range,
        target_range: Sequence[int] = Settings.target_range,
        operators: str = Settings.operators,
        max_intermediate: int = Settings.max_intermediate,
        test_size: int = Settings.test_size,
        prompt_template: str | None = None,
    ) -> None:
        if prompt_template == "instruct":
            prompt_template = INSTRUCT_PROMPT
        if prompt_template is not None:
            try:
                prompt_template.format(numbers=[1, 2], target=3)
            except (KeyError, IndexError, ValueError) as err:
                raise ValueError(
                    f"Countdown prompt_template must be None, 'instruct' or a format string with "
                    f"{{numbers}} and {{target}}, got {prompt_template!r}: {err!r}"
                ) from err
        self.prompt_template = prompt_template
        if split not in ("train", "test"):
            raise ValueError(f"Countdown split must be 'train' or 'test', got {split!r}")
        for name, value in (("number_range", number_range), ("target_range", target_range)):
            if isinstance(value, str) or len(value) != 2:
                raise ValueError(f"Countdown {name} must be a pair [lo, hi], got {value!r}")
        self.settings = Settings(
            n_numbers,
            (number_range[0], number_range[1]),
            (target_range[0], target_range[1]),
            operators,
            max_intermediate,
            test_size,
        )
        self.split = split

    @cached_property
    def test_ids(self) -> tuple[str, ...]:
        return tuple(p.problem_id for p in held_out(self.settings))

    def problem(self, problem_id: str) -> Problem:
        return self._as_problem(parse_problem_id(problem_id))

    def draw(self, stream: random.Random) -> Problem:
        return self._as_problem(sample_train_problem(stream, self.settings))

    @property
    def max_prompt_chars(self) -> int:
        width = len(str(max(self.settings.number_range[1], self.settings.target_range[1])))
        compact = 2 + (width + 1) * (self.settings.n_numbers + 1)
        if self.prompt_template is None:
            return compact
        return len(self.prompt_template) + (width + 2) * (self.settings.n_numbers + 1)

    def grade_many(
        self, problems: Sequence[Problem], responses: Sequence[str]
    ) -> list[TurnOutcome]:
        verdicts = grade_many(
            responses,
            [p.extra["numbers"] for p in problems],
            [p.extra["target"] for p in problems],
        )
        return [_outcome(v) for v in verdicts]

    def _as_problem(self, p: CountdownProblem) -> Problem:
        found = solutions(
            tuple(p.numbers), p.target, self.settings.operators, self.settings.max_intermediate
        )
        if not found:  # an id typed by hand may name an unsolvable puzzle: grade it, no gold
            found = solutions(tuple(p.numbers), p.target, OPERATORS, 10**9)
        gold = found[0].expression if found else ""
        prompt = f"Q:{p.problem_id}"
        if self.prompt_template is not None:
            prompt = self.prompt_template.format(numbers=list(p.numbers), target=p.target)
        return Problem(
            p.problem_id,
            prompt,
            gold,
            extra={"numbers": p.numbers, "target": p.target},
        )


def _outcome(verdict: Verdict) -> TurnOutcome:
    if verdict.extracted is None:
        feedback = "No \\boxed{} expression was found."
    elif verdict.correct:
        feedback = f"The expression {verdict.extracted} reaches the target."
    else:
        feedback = f"The expression {verdict.extracted} is wrong ({verdict.reason})."
    return TurnOutcome(verdict.correct, verdict.extracted, verdict.reason, feedback)
