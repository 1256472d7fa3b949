"""Pretraining data for the Countdown tiny model: attempts that are honest about their value.

An attempt proposes an expression, evaluates it step by step, and boxes it:

    (6*3)+7:6*3=18;18+7=25;\\boxed{(6*3)+7}

What the base model must learn, and what it must not:

- **Honest evaluation.** An attempt is a solution with probability `1 - proposal_fraction`, else
  a random expression over the numbers; either way its steps are computed exactly. So when an
  attempt misses, its own text says so (the last value is not the target). Gold-only traces would
  teach the opposite: that the last value always equals the target, and a wrong answer would hide
  its mistake behind a falsified step.
- **A latent second-turn skill that is never tied to the check.** In a two-turn trace, turn 2
  repeats turn 1 verbatim with probability `copy_fraction`; otherwise it is a short local search
  that starts from turn 1 (`try:` and turn 1's numbers, in turn 1's order, with other operators,
  each evaluated, until one reaches the target), which fixes many misses cheaply. Which of the
  two happens is independent of whether turn 1 reached the target, so the base model can keep an
  answer and can search from it, but has never been shown *when* to do which: a search after a
  hit looks for another solution and usually ends on a miss. Choosing by the visible check (keep
  a hit, search after a miss) is what RL has to elicit, and because searching after a hit breaks
  it, these traces are worse at turn 2 than at turn 1 on average: the corpus does not teach "fix
  when wrong".

Held-out test puzzles (`score_env.tasks.countdown.held_out`) are never trained on.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agents.tiny.data import Example, ExampleEncoder, Grader, fill_batch
from score_env.tasks.countdown import (
    COUNTDOWN_CORRECTION_INSTRUCTION,
    Chain,
    CountdownProblem,
    Settings,
    all_chains,
    held_out,
    sample_train_problem,
    solutions,
)
from verifiers.countdown import grade

ENV_ID = "SelfCorrect-Countdown-v0"
SEARCH = "try:"  # opens a turn-2 search, so keeping and searching differ at the first token


def prompt_content(problem: CountdownProblem) -> str:
    """The env's turn-1 message."""
    return f"Q:{problem.problem_id}"


@dataclass(frozen=True)
class CountdownMix:
    """What a Countdown pretraining batch is made of."""

    task: ClassVar[str] = "countdown"
    """The built-in task, the prefix of the model's cache directory."""
    DATA_VERSION: ClassVar[int] = 1
    """Bumped when this module changes what a mix produces (it is part of the cache key)."""

    settings: Settings = field(default_factory=Settings)
    """The puzzles (the env's default difficulty)."""
    two_turn_fraction: float = 0.5
    """Share of batches made of two-turn traces (token-balanced against one-turn batches)."""
    proposal_fraction: float = 0.3
    """Share of attempts that are a random expression rather than a solution."""
    copy_fraction: float = 0.6
    """Share of two-turn traces whose turn 2 repeats turn 1 (else turn 2 is a search). Above one
    half, so that the base model's greedy second attempt keeps the first."""
    search_size: int = 4
    """Most candidates a turn-2 search writes before it boxes the last one."""

    def __post_init__(self) -> None:
        if not 1 <= self.search_size <= 8:
            raise ValueError(f"CountdownMix.search_size must be in 1..8, got {self.search_size!r}")
        for name in ("two_turn_fraction", "proposal_fraction", "copy_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(
                    f"CountdownMix.{name} must be in [0, 1], got {getattr(self, name)!r}"
                )

    @property
    def env_id(self) -> str:
        return ENV_ID

    @property
    def instruction(self) -> str:
        """The env's turn-2 instruction, which two-turn traces show between the attempts."""
        return COUNTDOWN_CORRECTION_INSTRUCTION

    @property
    def env_kwargs(self) -> dict[str, Any]:
        """The env keyword arguments that give this corpus's puzzles."""
        s = self.settings
        return {
            "n_numbers": s.n_numbers,
            "number_range": list(s.number_range),
            "target_range": list(s.target_range),
            "operators": s.operators,
            "max_intermediate": s.max_intermediate,
            "test_size": s.test_size,
        }

    def attempt(
        self, problem: CountdownProblem, rng: random.Random, avoid: Collection[str] = ()
    ) -> Chain | None:
        """A solution, or with `proposal_fraction` a random expression; never one in `avoid`
        (None when every expression is)."""
        s = self.settings
        pool: tuple[Chain, ...] = ()
        if rng.random() >= self.proposal_fraction:
            pool = solutions(problem.numbers, problem.target, s.operators, s.max_intermediate)
            pool = tuple(c for c in pool if c.expression not in avoid)
        if not pool:
            pool = tuple(
                c
                for c in all_chains(problem.numbers, s.operators, s.max_intermediate)
                if c.expression not in avoid
            )
        return pool[rng.randrange(len(pool))] if pool else None

    def search(self, problem: CountdownProblem, first: Chain, rng: random.Random) -> str:
        """Turn 2 when it does not repeat turn 1: `try:`, then up to `search_size` candidates with
        turn 1's numbers in turn 1's order and other operators, evaluated honestly, stopping at
        the first that reaches the target; the last one tried is boxed. Those that keep turn 1's
        first step come first (one operation each, on the value turn 1 wrote), in a random
        order, then the rest.

        This uses the first attempt, and each candidate costs an evaluation, where solving is a
        search over every order and operator. Whether a search happens does not depend on turn
        1: a search after a hit looks for another solution, usually misses, and boxes a miss."""
        s = self.settings
        same_order = [
            c
            for c in all_chains(problem.numbers, s.operators, s.max_intermediate)
            if c.order == first.order and c.ops != first.ops
        ]
        rng.shuffle(same_order)
        same_order.sort(key=lambda c: c.steps[0] != first.steps[0])  # stable: keeps the shuffle
        tried: list[Chain] = []
        for candidate in same_order[: self.search_size]:
            tried.append(candidate)
            if candidate.value == problem.target:
                break
        if not tried:
            return first.trace
        steps = "|".join(";".join(map(str, c.steps)) for c in tried)
        return f"{SEARCH}{steps};\\boxed{{{tried[-1].expression}}}"

    def example(self, encoder: ExampleEncoder, rng: random.Random, two_turn: bool) -> Example:
        problem = sample_train_problem(rng, self.settings)
        first = self.attempt(problem, rng)
        assert first is not None  # a generated problem always has chains
        attempts = [(first.trace, True)]
        if two_turn:
            copy = rng.random() < self.copy_fraction
            attempts.append((first.trace if copy else self.search(problem, first, rng), True))
        return encoder.conversation(prompt_content(problem), attempts)

    def sample_batch(
        self, encoder: ExampleEncoder, rng: random.Random, tokens: int
    ) -> list[Example]:
        """About `tokens` tokens of examples, all one-turn or all two-turn (little padding)."""
        two_turn = rng.random() < self.two_turn_fraction
        return fill_batch(tokens, lambda: self.example(encoder, rng, two_turn))

    def heldout(self, n: int) -> dict[str, list[tuple[str, Grader]]]:
        """The first `n` held-out test puzzles, as (prompt content, grader), in one group."""
        return {
            "all": [
                (prompt_content(p), functools.partial(grade, numbers=p.numbers, target=p.target))
                for p in held_out(self.settings)[:n]
            ]
        }
