"""TokenPolicyAgent: a token-level policy (e.g. a trained SB3 model) as a text `Agent`.

A policy trained on `score_env.token_mdp.TokenMDP` acts on numeric observations one token at a
time. This adapter replays the same MDP from the text env's conversation (`info["messages"]`,
through the same `build_observation`, `turn_over` and `response_text` the wrapper uses), so the
policy runs on the plain SelfCorrect envs and `score_env.evaluate` reports the paper's metrics
for it exactly as for the language-model agents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from score_env.token_mdp import TokenMDP
from score_env.token_mdp.codec import build_observation, response_text, turn_over

# (B, L) observations -> (B,) action indices
Predictor = Callable[[NDArray[np.int64]], NDArray[np.integer[Any]]]


class TokenPolicyAgent:
    """Writes each response token by token with `predict`, batched over episodes.

    Args:
        predict: maps a (B, L) batch of observations to B action indices.
        token_env: a TokenMDP built like the one the policy was trained on; only its
            observation layout, action vocabulary and length cap are read.
    """

    def __init__(self, predict: Predictor, token_env: TokenMDP) -> None:
        self.predict = predict
        self.layout = token_env.layout
        self.tokens = token_env.tokens
        self.config = token_env.config

    def act(self, observations: Sequence[str], infos: Sequence[Mapping[str, Any]]) -> list[str]:
        written: list[list[str]] = [[] for _ in observations]
        live = list(range(len(observations)))
        while live:
            batch = np.stack(
                [build_observation(self.layout, infos[i]["messages"], written[i]) for i in live]
            )  # (B_live, L)
            actions = np.asarray(self.predict(batch)).reshape(-1)
            for i, action in zip(live, actions, strict=True):
                written[i].append(self.tokens[int(action)])
            live = [i for i in live if not turn_over(written[i], self.config.max_turn_tokens)]
        return [response_text(tokens, self.config.action_form) for tokens in written]


def uniform_random_predictor(n_actions: int, seed: int = 0) -> Predictor:
    """The random-policy baseline: every action index equally likely, independently."""
    rng = np.random.default_rng(seed)
    return lambda obs: rng.integers(n_actions, size=len(obs))
