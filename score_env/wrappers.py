"""Reward shaping for SCoRe Stage II, kept out of the env (a cross-cutting concern).

Stage II rewards the second attempt with a progress bonus (SCoRe, Kumar et al. 2024, Eq. 4):

    b(y2 | y1, y*) = α · (r̂(y2, y*) - r̂(y1, y*))

added to the last turn's reward, so a fix (i→c) earns 1 + α, a regression (c→i) -α, and staying
put earns no bonus. Turn-1 rewards are unchanged.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import VectorEnv, VectorWrapper


def progress_bonus(r1: Any, r2: Any, alpha: float) -> Any:
    """α · (r2 - r1)  # Eq. 4

    The one definition of the bonus: floats here, numpy arrays in `ScoreShapingVector`, torch
    tensors in the SCoRe trainer (`agents.methods.score.objectives.shaping_bonus` is this function).

    >>> progress_bonus(0.0, 1.0, 10.0), progress_bonus(1.0, 0.0, 10.0), progress_bonus(1.0, 1.0, 10.0)
    (10.0, -10.0, 0.0)
    """
    return alpha * (r2 - r1)


class ScoreShaping(gym.Wrapper, gym.utils.RecordConstructorArgs):  # type: ignore[type-arg]
    """Adds α(r2 - r1) to the last turn's reward; the bonus is also put in `info["bonus"]`.

    It records its constructor args so that gymnasium can re-make a stack that contains it
    (`check_env`'s close check and `env.spec` rely on that)."""

    def __init__(self, env: gym.Env, alpha: float = 10.0) -> None:  # type: ignore[type-arg]
        gym.utils.RecordConstructorArgs.__init__(self, alpha=alpha)
        super().__init__(env)
        self.alpha = float(alpha)  # α, the paper's Stage II bonus coefficient

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated:
            info["bonus"] = progress_bonus(info["r1"], info["r2"], self.alpha)
            reward = float(reward) + info["bonus"]
        return obs, float(reward), terminated, truncated, info


class ScoreShapingVector(VectorWrapper):
    """The batched form of `ScoreShaping` for `SelfCorrectVectorEnv`."""

    def __init__(self, env: VectorEnv, alpha: float = 10.0) -> None:  # type: ignore[type-arg]
        super().__init__(env)
        self.alpha = float(alpha)  # α, Eq. 4

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        if "r1" in infos:
            mask = infos["_r1"]
            r1, r2 = infos["r1"].astype(float), infos["r2"].astype(float)
            bonus = np.where(mask, progress_bonus(r1, r2, self.alpha), 0.0)
            rewards = rewards + bonus
            infos["bonus"], infos["_bonus"] = bonus, mask
        return obs, rewards, terminated, truncated, infos
