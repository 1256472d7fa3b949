"""One self-correction episode's state, shared by the single env and the batched env.

Turn 1 shows the problem. After each turn but the last, the conversation grows by the agent's
response and the self-correction instruction (prefixed by the verifier's feedback only in feedback
mode). Nothing else is added, so an intrinsic-mode conversation never reveals whether turn 1 was
right. The same conversation is given twice: as chat messages (`info["messages"]`, for chat
templates) and as plain text (the observation, for plain LMs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from score_env.spaces import UnicodeText
from score_env.tasks import make_task
from score_env.tasks.base import EMPTY_OUTCOME, Problem, Task, TurnOutcome

Transition = Literal["i->c", "c->i", "c->c", "i->i"]
FEEDBACK_LIMIT = 1000  # characters of verifier feedback shown in feedback mode


@dataclass(frozen=True)
class EnvConfig:
    """What every SelfCorrect env takes besides its task.

    Attributes:
        max_turns: attempts per episode; 2 is the paper's setting (answer, then self-correct).
        feedback: show the verifier's feedback before the instruction (extrinsic correction).
        correction_instruction: the text after each non-final attempt; None = the task's default.
        max_response_chars: longer responses are truncated to this and flagged in `info`;
            None = the task's default.
    """

    max_turns: int = 2
    feedback: bool = False
    correction_instruction: str | None = None
    max_response_chars: int | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.max_turns, int) and self.max_turns >= 1):
            raise ValueError(f"max_turns must be an int >= 1, got {self.max_turns!r}")
        if self.max_response_chars is not None and self.max_response_chars < 1:
            raise ValueError(f"max_response_chars must be >= 1, got {self.max_response_chars!r}")
        if self.correction_instruction is not None and not isinstance(
            self.correction_instruction, str
        ):
            raise TypeError(
                f"correction_instruction must be a str, got {type(self.correction_instruction)}"
            )


def transition(first: bool, last: bool) -> Transition:
    """The paper's outcome classes: i->c is a fix, c->i a regression (Table 1 of SCoRe)."""
    return f"{'c' if first else 'i'}->{'c' if last else 'i'}"  # type: ignore[return-value]


def clip_response(action: Any, limit: int) -> tuple[str, bool]:
    """Validate an action and truncate it to `limit` characters; returns (text, was_truncated)."""
    if not isinstance(action, str):
        raise TypeError(
            f"a SelfCorrect action must be a str (the model's response), "
            f"got {type(action).__name__}: {action!r:.80}"
        )
    return (action[:limit], True) if len(action) > limit else (action, False)


def grade_responses(task: Task, problems: list[Problem], responses: list[str]) -> list[TurnOutcome]:
    """Grade a batch in one verifier call; empty responses score 0 without reaching it."""
    live = [i for i, r in enumerate(responses) if r.strip()]
    graded = task.grade_many([problems[i] for i in live], [responses[i] for i in live])
    outcomes = [EMPTY_OUTCOME] * len(responses)
    for i, outcome in zip(live, graded, strict=True):
        outcomes[i] = outcome
    return outcomes


@dataclass
class Episode:
    """The conversation and per-turn outcomes of one problem."""

    problem: Problem
    task_name: str
    instruction: str
    separator: str
    max_turns: int
    feedback: bool
    messages: list[dict[str, str]] = field(default_factory=list)
    outcomes: list[TurnOutcome] = field(default_factory=list)
    truncated: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.messages = [{"role": "user", "content": self.problem.prompt}]

    @property
    def done(self) -> bool:
        return len(self.outcomes) >= self.max_turns

    def record(self, response: str, outcome: TurnOutcome, was_truncated: bool) -> None:
        self.messages.append({"role": "assistant", "content": response})
        self.outcomes.append(outcome)
        self.truncated.append(was_truncated)
        if not self.done:
            note = outcome.feedback[:FEEDBACK_LIMIT] + " " if self.feedback else ""
            self.messages.append({"role": "user", "content": note + self.instruction})

    def text(self) -> str:
        """The plain-text observation: every message followed by the task's separator."""
        return "".join(m["content"] + self.separator for m in self.messages)

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "task": self.task_name,
            "problem_id": self.problem.problem_id,
            "gold": self.problem.gold,
            "subject": self.problem.subject,
            "level": self.problem.level,
            "turn": len(self.outcomes),
            "messages": [dict(m) for m in self.messages],
            **self.problem.extra,
        }
        if self.outcomes:
            last = self.outcomes[-1]
            info.update(
                correct=last.correct,
                extracted=last.extracted,
                reason=last.reason,
                response_truncated=self.truncated[-1],
                correct_per_turn=[o.correct for o in self.outcomes],
                extracted_per_turn=[o.extracted for o in self.outcomes],
                reason_per_turn=[o.reason for o in self.outcomes],
            )
            if last.audit is not None:
                info.update(
                    audit_peer=last.audit.peer,
                    audit_peer_correct=last.audit.peer_correct,
                    audit_peer_reason=last.audit.peer_reason,
                    audit_agree=last.audit.peer_correct == last.correct,
                )
        if self.done:
            first, final = self.outcomes[0].correct, self.outcomes[-1].correct
            info.update(r1=float(first), r2=float(final), transition=transition(first, final))
        return info


def observation_limit(task: Task, config: EnvConfig, instruction: str) -> int:
    """An upper bound on the observation's length, for the observation space."""
    response = config.max_response_chars or task.default_max_response_chars
    sep = len(task.turn_separator)
    note = FEEDBACK_LIMIT + 1 if config.feedback else 0
    return (
        task.max_prompt_chars
        + sep
        + config.max_turns * (response + sep)
        + (config.max_turns - 1) * (note + len(instruction) + sep)
    )


@dataclass(frozen=True)
class EpisodeSetup:
    """A task plus an EnvConfig resolved against the task's defaults; makes episodes and spaces."""

    task: Task
    config: EnvConfig
    instruction: str
    max_response_chars: int

    @classmethod
    def build(
        cls, task: str | Task, config: EnvConfig, task_kwargs: dict[str, Any]
    ) -> EpisodeSetup:
        built = make_task(task, **task_kwargs)
        return cls(
            task=built,
            config=config,
            instruction=config.correction_instruction or built.correction_instruction,
            max_response_chars=config.max_response_chars or built.default_max_response_chars,
        )

    def action_space(self) -> UnicodeText:
        return UnicodeText(self.max_response_chars)

    def observation_space(self) -> UnicodeText:
        return UnicodeText(observation_limit(self.task, self.config, self.instruction))

    def new_episode(self, problem: Problem) -> Episode:
        return Episode(
            problem=problem,
            task_name=self.task.name,
            instruction=self.instruction,
            separator=self.task.turn_separator,
            max_turns=self.config.max_turns,
            feedback=self.config.feedback,
        )
