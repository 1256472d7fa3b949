"""The one interface every agent implements (re-exported as `agents.interface.Agent`).

It lives here, below `agents`, because `score_env.evaluate` consumes it and dependencies flow
verifiers -> score_env -> agents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Agent(Protocol):
    """A batched policy: one response per observation.

    `observations[i]` is episode i's conversation as plain text; `infos[i]` is its info dict, whose
    `"messages"` holds the same conversation as chat messages (`{"role", "content"}`) for chat
    templates, and `"turn"` the number of attempts made so far. Return exactly
    `len(observations)` strings. A learning agent must not read `infos[i]["gold"]`.
    """

    def act(self, observations: Sequence[str], infos: Sequence[Mapping[str, Any]]) -> list[str]: ...
