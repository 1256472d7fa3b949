"""The Task abstraction: what differs between Arith, MATH, HumanEval and MBPP.

A task knows its problems, how to phrase turn 1 and the self-correction instruction, and how to
grade a batch of responses through its verifier's batch API. Everything about turns, observations
and rewards lives in the env (`score_env.env`), so a new task is one small module.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

# The paper's self-correction instructions (SCoRe, Kumar et al. 2024, Appendix C).
MATH_CORRECTION_INSTRUCTION = (
    "There might be an error in the solution above because of lack of understanding of the "
    "question. Please correct the error, if any, and rewrite the solution. Only output the final "
    "solution! At the end of the Solution, when you give your final answer, write it in the form "
    '"Final Answer: The final answer is $answer$. I hope it is correct."'
)
CODE_CORRECTION_INSTRUCTION = (
    "There might be an error in the code above because of lack of understanding of the question. "
    "Please correct the error, if any, and rewrite the solution. Only output the final correct "
    "Python program!"
)


@dataclass(frozen=True)
class Problem:
    """One problem as the env sees it.

    `prompt` is the turn-1 user message. `gold` is what the verifier compares against: the answer
    for Arith/MATH, a reference program for code tasks (scripted oracle agents read it from `info`).
    `extra` holds task-specific fields that the env copies into `info` (Countdown's `numbers` and
    `target`), so an agent can read the problem's structure without parsing the prompt.
    """

    problem_id: str
    prompt: str
    gold: str
    subject: str | None = None
    level: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Audit:
    """A second grader's verdict on the same response, kept beside the reward, never in it."""

    peer: str  # which grader, e.g. "math-verify"
    peer_correct: bool
    peer_reason: str


@dataclass(frozen=True)
class TurnOutcome:
    """The verifier's judgement of one response, in the env's task-independent terms.

    `extracted` is the final answer found (MATH/Arith) or the extracted program (code); `reason`
    says why (e.g. "equal", "no_answer", "failed", "timeout", "empty"); `feedback` is the text a
    feedback-mode env shows at the next turn (never shown otherwise); `audit` a second grader's
    verdict when the task was asked to audit its grader.
    """

    correct: bool
    extracted: str | None
    reason: str
    feedback: str
    audit: Audit | None = None


EMPTY_OUTCOME = TurnOutcome(False, None, "empty", "The response was empty.")


class Task(ABC):
    """A source of problems plus a batched grader. Subclasses are small; see `tasks/arith.py`."""

    name: str
    correction_instruction: str
    turn_separator: str = "\n\n"  # between messages in the plain-text observation
    default_max_response_chars: int = 8192

    @property
    @abstractmethod
    def problem_ids(self) -> Sequence[str]:
        """The ids of this split in a fixed order; empty for a procedural (endless) stream."""

    @abstractmethod
    def problem(self, problem_id: str) -> Problem:
        """The problem with id `problem_id`; raises KeyError naming it when unknown."""

    def sample(self, rng: np.random.Generator) -> Problem:
        """Draw one problem with `rng` (uniformly from the split; procedural tasks override)."""
        ids = self.problem_ids
        return self.problem(ids[int(rng.integers(len(ids)))])

    @property
    @abstractmethod
    def max_prompt_chars(self) -> int:
        """An upper bound on `len(problem.prompt)`, for the observation space."""

    @abstractmethod
    def grade_many(
        self, problems: Sequence[Problem], responses: Sequence[str]
    ) -> list[TurnOutcome]:
        """Grade `responses[i]` against `problems[i]` in one call to the verifier's batch API."""

    def _unknown(self, problem_id: str) -> KeyError:
        return KeyError(
            f"unknown problem_id {problem_id!r} for task {self.name!r}; "
            f"expected one of its {len(self.problem_ids)} ids, e.g. {list(self.problem_ids[:3])}"
        )


class ProceduralTask(Task):
    """A built-in task whose `train` split is an endless seeded stream and whose `test` split is
    a fixed held-out list that the stream never draws (Arith, Countdown)."""

    split: str

    @property
    @abstractmethod
    def test_ids(self) -> Sequence[str]:
        """The held-out test problems' ids, in a fixed order."""

    @abstractmethod
    def draw(self, stream: random.Random) -> Problem:
        """A fresh train problem from `stream`, never a held-out one."""

    @property
    def problem_ids(self) -> Sequence[str]:
        return self.test_ids if self.split == "test" else ()  # train is an endless stream

    def sample(self, rng: np.random.Generator) -> Problem:
        if self.split == "test":
            return super().sample(rng)
        return self.draw(random.Random(int(rng.integers(2**63))))


ProblemT = TypeVar("ProblemT", bound=Problem)


class FixedTask(Task, Generic[ProblemT]):
    """A task whose split is a fixed list of problems (MATH, HumanEval, MBPP)."""

    def __init__(self, problems: Sequence[ProblemT]) -> None:
        if not problems:
            raise ValueError(f"task {self.name!r} has no problems")
        self._problems = {p.problem_id: p for p in problems}
        self._ids = tuple(self._problems)
        self._max_prompt = max(len(p.prompt) for p in problems)

    @property
    def problem_ids(self) -> Sequence[str]:
        return self._ids

    def problem(self, problem_id: str) -> ProblemT:
        if problem_id not in self._problems:
            raise self._unknown(problem_id)
        return self._problems[problem_id]

    @property
    def max_prompt_chars(self) -> int:
        return self._max_prompt
