"""Pretraining data for the tiny model: Arith worked solutions, one- and two-turn.

What the base model must and must not learn:

- Turn 1: `<|user|>Q:37+48*2<|assistant|>48*2=96;37+96=133;\\boxed{133}<|end|>`, supervised on the
  gold solution (the env's turn-1 message is exactly `Q:` + expression).
- Turn 2: after the env's instruction, a well-formed second attempt, but NOT the skill SCoRe is
  meant to teach. The turn-1 content of a two-turn trace is the gold solution or a corrupted one
  (one step's result wrong, the error propagated consistently through the later steps), and the
  turn-2 target is always a fresh gold solution. Whatever turn 1 holds, the best turn-2 prediction
  is the gold one, computed from the question: turn 2 is an independent re-solve, so the base
  model's turn-2 accuracy tracks its turn-1 accuracy (Δ ≈ 0) and keeping a right answer / fixing a
  wrong one is left for RL to learn. The corrupted turn-1 content is never a training target.

Held-out test problems of the env (`score_env.tasks.arith.held_out`) are never trained on.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from transformers import PreTrainedTokenizerBase

from score_env.tasks.arith import (
    ARITH_CORRECTION_INSTRUCTION,
    LEVELS,
    ArithProblem,
    held_out,
    parse_expression,
    sample_problem,
)
from verifiers.arith import grade
from verifiers.verdict import Verdict

IGNORE = -100  # label of a token that is context, not target
Grader = Callable[[str], Verdict]  # a held-out problem's verifier, response -> verdict
ENV_ID = "SelfCorrect-Arith-v0"


@dataclass(frozen=True)
class Example:
    """One training sequence: token ids and labels (IGNORE where the token is only context)."""

    input_ids: list[int]
    labels: list[int]


def _apply(op: str, a: int, b: int) -> int:
    return a + b if op == "+" else a - b if op == "-" else a * b


def _reduce(
    numbers: list[int], ops: list[str], steps: list[str], error: tuple[int, int] | None
) -> int:
    """The Arith reduction order (`*` first, then `+`/`-`, left to right); `error = (k, delta)`
    adds `delta` to the result of step k, and later steps use the wrong value."""
    numbers, ops = list(numbers), list(ops)
    for precedence in ("*", "+-"):
        i = 0
        while i < len(ops):
            if ops[i] not in precedence:
                i += 1
                continue
            value = _apply(ops[i], numbers[i], numbers[i + 1])
            if error is not None and error[0] == len(steps):
                value += error[1]
            steps.append(f"{numbers[i]}{ops[i]}{numbers[i + 1]}={value}")
            numbers[i : i + 2] = [value]
            del ops[i]
    return numbers[0]


def worked_solution(expression: str, error: tuple[int, int] | None = None) -> tuple[str, int]:
    """The solution text of `expression` and its answer; with `error`, a consistently wrong one."""
    numbers, ops, bracket = parse_expression(expression)
    steps: list[str] = []
    if bracket is not None:
        inner = _reduce(numbers[bracket : bracket + 2], ops[bracket : bracket + 1], steps, error)
        numbers = numbers[:bracket] + [inner] + numbers[bracket + 2 :]
        ops = ops[:bracket] + ops[bracket + 1 :]
    answer = _reduce(numbers, ops, steps, error)
    return ";".join((*steps, f"\\boxed{{{answer}}}")), answer


def corrupted_solution(problem: ArithProblem, rng: random.Random) -> str:
    """A plausible wrong solution: one step's result off by a small amount, then propagated."""
    while True:
        k = rng.randrange(len(problem.steps))
        delta = rng.choice((-10, -2, -1, 1, 2, 10)) * rng.choice((1, 1, 1, rng.randint(1, 9)))
        text, answer = worked_solution(problem.expression, (k, delta))
        if answer != problem.answer and "=-" not in text:
            return text


@cache
def _held_out_expressions() -> frozenset[str]:
    return frozenset(p.expression for level in LEVELS for p in held_out(level))


def sample_train_problem(rng: random.Random, levels: Sequence[int]) -> ArithProblem:
    """A problem of a uniformly chosen level in `levels`, never one of the env's test problems."""
    while True:
        problem = sample_problem(rng, rng.choice(levels))
        if problem.expression not in _held_out_expressions():
            return problem


class ExampleEncoder:
    """Renders problems into token ids exactly as the chat template and `agents.policy` would.

    The template's pieces around the question, and the new-turn text after an attempt, are
    rendered once; contents are then mapped character by character (the tiny tokenizer is
    character-level), which keeps data generation far cheaper than a training step.
    """

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, instruction: str = ARITH_CORRECTION_INSTRUCTION
    ) -> None:
        from agents.policy.chat import new_turn_text, render

        self.tokenizer = tokenizer
        self.instruction = instruction
        self.vocab: dict[str, int] = tokenizer.get_vocab()
        self.eos = [tokenizer.eos_token_id]
        marker = "\x00"
        before, after = render(tokenizer, [{"role": "user", "content": marker}]).split(marker)
        self.question_prefix, self.question_suffix = self.encode(before), self.encode(after)
        attempt = {"role": "assistant", "content": ""}
        turn = new_turn_text(
            tokenizer,
            [
                {"role": "user", "content": marker},
                attempt,
                {"role": "user", "content": instruction},
            ],
        )
        eos_text = str(tokenizer.eos_token)
        # The sampled attempt ends with eos; the new turn's tokens follow it (agents.policy.chat).
        self.new_turn = self.encode(turn[len(eos_text) :] if turn.startswith(eos_text) else turn)

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def chars(self, text: str) -> list[int]:
        return [self.vocab[c] for c in text]

    def prompt(self, problem: ArithProblem) -> list[int]:
        return self.question(f"Q:{problem.expression}")

    def question(self, content: str) -> list[int]:
        """The turn-1 prompt ids for the user message `content`."""
        return self.question_prefix + self.chars(content) + self.question_suffix

    def conversation(self, content: str, attempts: Sequence[tuple[str, bool]]) -> Example:
        """The question `content`, then each `(attempt, is_target)` as one assistant turn with
        the env's instruction between turns; an attempt is supervised only if `is_target`."""
        ids = self.question(content)
        labels = [IGNORE] * len(ids)
        for i, (attempt, is_target) in enumerate(attempts):
            if i:
                ids += self.new_turn
                labels += [IGNORE] * len(self.new_turn)
            turn = self.chars(attempt) + self.eos
            ids += turn
            labels += turn if is_target else [IGNORE] * len(turn)
        return Example(ids, labels)

    def one_turn(self, problem: ArithProblem) -> Example:
        return self.conversation(f"Q:{problem.expression}", [(problem.solution, True)])

    def two_turn(self, problem: ArithProblem, first_attempt: str) -> Example:
        """Turn 1 holds `first_attempt` (a target only if it is the gold); turn 2 is the gold."""
        return self.conversation(
            f"Q:{problem.expression}",
            [(first_attempt, first_attempt == problem.solution), (problem.solution, True)],
        )


@dataclass(frozen=True)
class DataMix:
    """What a pretraining batch is made of."""

    task: ClassVar[str] = "arith"
    """The built-in task, the prefix of the model's cache directory."""
    DATA_VERSION: ClassVar[int] = 1
    """Bumped when this module or the tokenizer changes what a mix produces (in the cache key)."""

    levels: tuple[int, ...] = (1, 2)
    """Arith levels, mixed uniformly. L1-L2 keep the default recipe's accuracy away from 0 and 1
    (measured in docs/results.md); evaluate the tiny model with the env's `level=[1, 2]`."""
    two_turn_fraction: float = 0.3
    """Share of batches made of two-turn traces (token-balanced against one-turn batches)."""
    gold_first_fraction: float = 0.5
    """Share of two-turn traces whose turn 1 is the gold solution (else a corrupted one)."""

    def __post_init__(self) -> None:
        if not self.levels or any(level not in LEVELS for level in self.levels):
            raise ValueError(
                f"DataMix.levels must be a non-empty subset of {LEVELS}, got {self.levels!r}"
            )
        for name in ("two_turn_fraction", "gold_first_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"DataMix.{name} must be in [0, 1], got {getattr(self, name)!r}")

    @property
    def env_id(self) -> str:
        return ENV_ID

    @property
    def instruction(self) -> str:
        """The env's turn-2 instruction, which two-turn traces show between the attempts."""
        return ARITH_CORRECTION_INSTRUCTION

    @property
    def env_kwargs(self) -> dict[str, Any]:
        """The env keyword arguments that give this corpus's problems."""
        return {"level": list(self.levels)}

    def sample_batch(
        self, encoder: ExampleEncoder, rng: random.Random, tokens: int
    ) -> list[Example]:
        return sample_batch(encoder, self, rng, tokens)

    def heldout(self, n: int) -> dict[str, list[tuple[str, Grader]]]:
        """The first `n` held-out test problems of each level, as (prompt content, grader)."""
        return {
            f"L{level}": [
                (f"Q:{p.expression}", functools.partial(grade, gold=str(p.answer)))
                for p in held_out(level)[:n]
            ]
            for level in self.levels
        }


def fill_batch(tokens: int, make: Callable[[], Example]) -> list[Example]:
    """Examples from `make` until they hold about `tokens` tokens (every corpus's batch size)."""
    batch: list[Example] = []
    total = 0
    while total < tokens:
        batch.append(make())
        total += len(batch[-1].input_ids)
    return batch


def sample_batch(
    encoder: ExampleEncoder, mix: DataMix, rng: random.Random, tokens: int
) -> list[Example]:
    """About `tokens` tokens of examples, all one-turn or all two-turn (little padding)."""
    two_turn = rng.random() < mix.two_turn_fraction

    def make() -> Example:
        problem = sample_train_problem(rng, mix.levels)
        if not two_turn:
            return encoder.one_turn(problem)
        if rng.random() < mix.gold_first_fraction:
            return encoder.two_turn(problem, problem.solution)
        return encoder.two_turn(problem, corrupted_solution(problem, rng))

    return fill_batch(tokens, make)
