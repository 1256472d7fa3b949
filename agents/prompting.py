"""Prompting-only baselines of the paper: Base and Self-Refine (no training).

- Base: the model answers turn 1, then is prompted with the env's own correction instruction
  (SCoRe's "Base" row): exactly `PolicyAgent` with greedy decoding.
- Self-Refine (Madaan et al. 2023): at each later turn the model first writes feedback on its
  previous attempt (asked with `feedback_instruction`), then a revision given that feedback (asked
  with `refine_instruction`); the revision is the turn's answer. Meaningful for instruction-tuned
  models. The embedded tiny model has only ever learned to answer `Q:` prompts and the Arith
  correction instruction, so its "feedback" is another worked solution and its "revision" a further
  re-solve in a longer context: it measures what prompting alone does to a model that cannot
  follow the prompt, not a working self-critique.

Both are evaluated with `score-env eval --agent base --policy PATH` (or `self-refine`); PATH may be
`tiny` for the cached embedded model (built on first use).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.policy import GREEDY, Policy, PolicyConfig, SamplingConfig
from agents.policy.agent import PolicyAgent, messages_of
from agents.policy.chat import Message, encode, new_turn_text


@dataclass(frozen=True)
class SelfRefineConfig:
    """The two prompts of a Self-Refine turn (short: the tiny model has 256 positions)."""

    feedback_instruction: str = "Give feedback on the solution above."
    """Asks for a critique of the previous attempt."""
    refine_instruction: str = "Improve the solution using the feedback."
    """Asks for the revised answer, after the feedback."""

    def __post_init__(self) -> None:
        if not self.feedback_instruction.strip() or not self.refine_instruction.strip():
            raise ValueError(f"SelfRefineConfig instructions must be non-empty, got {self!r}")


class SelfRefineAgent:
    """Turn 1 as Base; every later turn is feedback, then revision, by prompting alone.

    A small context (the tiny model has 256 positions) may not hold question, attempt, feedback
    request, feedback, revision request and revision: the feedback is capped at half of the room
    left after the revision request, and a row without room for both keeps its previous attempt
    as its answer (counted in `n_no_room`).
    """

    min_room = 8  # tokens: below this a feedback or revision cannot be meaningful

    def __init__(
        self,
        policy: Policy,
        sampling: SamplingConfig = GREEDY,
        config: SelfRefineConfig = SelfRefineConfig(),
        seed: int | None = 0,
    ) -> None:
        self.base = PolicyAgent(policy, sampling, seed)
        self.config = config
        self.feedback_log: list[str] = []  # the latest turn's feedback texts, for inspection
        self.n_no_room = 0

    def act(self, observations: Sequence[str], infos: Sequence[Mapping[str, Any]]) -> list[str]:
        conversations = messages_of(observations, infos)
        if all(_n_attempts(m) == 0 for m in conversations):
            return self.base.act(observations, infos)
        # Self-Refine replaces the env's instruction by its own two prompts.
        attempts = [_through_last_attempt(m) for m in conversations]
        answers = [a[-1]["content"] for a in attempts]  # kept where there is no room to refine
        asked = [[*a, _user(self.config.feedback_instruction)] for a in attempts]
        prompts = self.base.book.prompts(asked)
        refine_turn = self._refine_turn_length(asked[0])
        rooms = [self.base.policy.max_context - len(p) - refine_turn for p in prompts]
        rows = [i for i, room in enumerate(rooms) if room // 2 >= self.min_room]
        self.n_no_room += len(conversations) - len(rows)
        self.feedback_log = [""] * len(conversations)
        if not rows:
            return answers
        feedback_cap = min(self.base.sampling.max_new_tokens, min(rooms[i] for i in rows) // 2)
        feedback = self._sample([asked[i] for i in rows], [prompts[i] for i in rows], feedback_cap)
        revise = [
            [*asked[i], {"role": "assistant", "content": f}, _user(self.config.refine_instruction)]
            for i, f in zip(rows, feedback, strict=True)
        ]
        revisions = self._sample(
            revise, self.base.book.prompts(revise), self.base.sampling.max_new_tokens
        )
        for i, f, r in zip(rows, feedback, revisions, strict=True):
            self.feedback_log[i], answers[i] = f, r
        return answers

    def _refine_turn_length(self, asked: list[Message]) -> int:
        conversation = [
            *asked,
            {"role": "assistant", "content": ""},
            _user(self.config.refine_instruction),
        ]
        return len(
            encode(
                self.base.policy.tokenizer, new_turn_text(self.base.policy.tokenizer, conversation)
            )
        )

    def _sample(
        self, conversations: list[list[Message]], prompts: list[list[int]], cap: int
    ) -> list[str]:
        sampling = dataclasses.replace(self.base.sampling, max_new_tokens=cap)
        samples = self.base.policy.sample(prompts, sampling, seed=self.base.next_seed())
        self.base.book.remember(conversations, samples)
        return samples.texts


def _user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}


def _n_attempts(messages: Sequence[Message]) -> int:
    return sum(m["role"] == "assistant" for m in messages)


def _through_last_attempt(messages: Sequence[Message]) -> list[Message]:
    roles = [m["role"] for m in messages]
    return list(messages[: len(roles) - roles[::-1].index("assistant")])


def load_policy(path: str) -> Policy:
    """`tiny` (or `tiny:<recipe>`) is the cached embedded model (built on first use); anything
    else a dir or hub id."""
    from agents.tiny.build import is_tiny, resolve_model

    if path == "" or is_tiny(path):
        path = resolve_model(path or "tiny")
    elif not Path(path).exists() and "/" not in path:
        raise ValueError(f"--policy {path!r}: not a model directory, a hub id (org/name) or 'tiny'")
    return Policy.from_pretrained(path, PolicyConfig(frozen_reference=False))


def base_from_spec(rest: str, seed: int) -> PolicyAgent:
    """`base:PATH`: the Base baseline, greedy."""
    return PolicyAgent(load_policy(rest), GREEDY, seed)


def self_refine_from_spec(rest: str, seed: int) -> SelfRefineAgent:
    """`self-refine:PATH`: the Self-Refine baseline, greedy."""
    return SelfRefineAgent(load_policy(rest), GREEDY, seed=seed)
