"""`PolicyAgent`: a `Policy` behind the env's batched Agent interface (greedy by default).

Each turn's prompt is built from `info["messages"]`. When the conversation continues one this
agent answered, the prompt is built token-exactly (previous prompt ids + the sampled response ids
+ the template's new-turn tokens), as in training; otherwise (e.g. the env truncated the response)
the whole conversation is rendered with the chat template.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from agents.policy.chat import Message
from agents.policy.config import GREEDY, SamplingConfig
from agents.policy.policy import Policy, TurnSamples

logger = logging.getLogger(__name__)

_Key = tuple[tuple[str, str], ...]
_CACHE_LIMIT = 100_000  # conversations remembered for token-exact continuation


def conversation_key(messages: Sequence[Message]) -> _Key:
    return tuple((m["role"], m["content"]) for m in messages)


class PromptBook:
    """Remembers each answered conversation's exact ids, to continue it token-exactly."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._ids: OrderedDict[_Key, tuple[list[int], list[int]]] = OrderedDict()

    def prompts(self, conversations: Sequence[Sequence[Message]]) -> list[list[int]]:
        """The prompt ids for the next assistant turn of each conversation."""
        out = []
        for messages in conversations:
            roles = [m["role"] for m in messages]
            last = len(roles) - 1 - roles[::-1].index("assistant") if "assistant" in roles else -1
            known = (
                self._ids.pop(conversation_key(messages[: last + 1]), None) if last >= 0 else None
            )
            if known is None:
                if last >= 0:
                    logger.debug("re-rendering a conversation this agent did not answer verbatim")
                out += self.policy.first_prompt_ids([messages])
            else:
                out += self.policy.next_prompt_ids([known[0]], [known[1]], [messages])
        return out

    def knows(self, conversation: Sequence[Message]) -> bool:
        """Whether `conversation` (ending with an answer) can be continued token-exactly."""
        return conversation_key(conversation) in self._ids

    def remember(self, conversations: Sequence[Sequence[Message]], samples: TurnSamples) -> None:
        """Record that each conversation was answered by `samples` (as the env will echo it)."""
        for messages, prompt, response, text in zip(
            conversations, samples.prompt_ids, samples.response_ids, samples.texts, strict=True
        ):
            answered = [*messages, {"role": "assistant", "content": text}]
            self._ids[conversation_key(answered)] = (prompt, response)
        while len(self._ids) > _CACHE_LIMIT:
            self._ids.popitem(last=False)


class PolicyAgent:
    """Answers every turn by sampling from `policy` (the paper's "Base" when prompted by the env).

    `seed` makes non-greedy sampling reproducible across runs (one derived seed per `act` call).
    `later_turn_sampling` (default: `sampling`) decodes the turns after the first, e.g. a sampled
    first attempt and a greedy second one, to ask whether the model can fix its own sampled slips.
    """

    def __init__(
        self,
        policy: Policy,
        sampling: SamplingConfig = GREEDY,
        seed: int | None = 0,
        later_turn_sampling: SamplingConfig | None = None,
    ) -> None:
        self.policy = policy
        self.sampling = sampling
        self.later_turn_sampling = later_turn_sampling or sampling
        self.book = PromptBook(policy)
        self._rng = np.random.default_rng(seed)

    def next_seed(self) -> int:
        return int(self._rng.integers(2**31))

    def act(self, observations: Sequence[str], infos: Sequence[Mapping[str, Any]]) -> list[str]:
        conversations = messages_of(observations, infos)
        if self.later_turn_sampling == self.sampling:
            return self._answer(conversations, self.sampling)
        texts: list[str] = [""] * len(conversations)
        later = [any(m["role"] == "assistant" for m in c) for c in conversations]
        for is_later, sampling in ((False, self.sampling), (True, self.later_turn_sampling)):
            group = [i for i, flag in enumerate(later) if flag == is_later]
            if group:
                answers = self._answer([conversations[i] for i in group], sampling)
                for i, text in zip(group, answers, strict=True):
                    texts[i] = text
        return texts

    def _answer(self, conversations: list[list[Message]], sampling: SamplingConfig) -> list[str]:
        samples = self.policy.sample(
            self.book.prompts(conversations), sampling, seed=self.next_seed()
        )
        self.book.remember(conversations, samples)
        return samples.texts


def messages_of(
    observations: Sequence[str], infos: Sequence[Mapping[str, Any]]
) -> list[list[Message]]:
    """Each episode's chat messages from its info (the env's `info["messages"]`)."""
    if len(observations) != len(infos):
        raise ValueError(
            f"act: got {len(observations)} observations but {len(infos)} infos; expected one each"
        )
    out = []
    for i, info in enumerate(infos):
        messages = info.get("messages")
        if not messages:
            raise ValueError(f"act: infos[{i}] has no 'messages' (the env's chat conversation)")
        out.append(list(messages))
    return out
