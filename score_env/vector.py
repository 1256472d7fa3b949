"""SelfCorrectVectorEnv: B episodes stepped together, graded in one verifier batch call.

Policies generate a batch at a time, so this is the default path:
`gym.make_vec("SelfCorrect-Arith-v0", num_envs=B)` (vectorization_mode "vector_entry_point").
Every episode has the same number of turns, so all B terminate on the same step; there is no
autoreset (`AutoresetMode.DISABLED`): start the next batch with `reset()`, optionally
`reset(options={"problem_ids": [...B ids...]})`. Observations are a tuple of B strings; infos
follow gymnasium's vector convention (a dict of arrays with `_key` masks); turn them into B
per-episode dicts with `score_env.infos_to_list(infos, B)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from score_env.episode import EnvConfig, Episode, EpisodeSetup, clip_response, grade_responses
from score_env.tasks import Task


class SelfCorrectVectorEnv(VectorEnv):  # type: ignore[type-arg]
    """`num_envs` SelfCorrect episodes sharing one task and one batched verifier call per step."""

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.DISABLED, "render_modes": []}

    def __init__(
        self,
        num_envs: int,
        task: str | Task = "arith",
        *,
        max_turns: int = 2,
        feedback: bool = False,
        correction_instruction: str | None = None,
        max_response_chars: int | None = None,
        **task_kwargs: Any,
    ) -> None:
        if not (isinstance(num_envs, int) and num_envs >= 1):
            raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
        self.num_envs = num_envs
        config = EnvConfig(max_turns, feedback, correction_instruction, max_response_chars)
        self.setup = EpisodeSetup.build(task, config, task_kwargs)
        self.task = self.setup.task
        self.single_action_space = self.setup.action_space()
        self.single_observation_space = self.setup.observation_space()
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._episodes: list[Episode] = []

    def reset(
        self, *, seed: int | Sequence[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[tuple[str, ...], dict[str, Any]]:
        if seed is not None and not isinstance(seed, int):
            raise TypeError(f"seed must be an int or None for SelfCorrectVectorEnv, got {seed!r}")
        super().reset(seed=seed)
        options = options or {}
        if "problem_ids" in options:
            ids = list(options["problem_ids"])
            if len(ids) != self.num_envs:
                raise ValueError(
                    f"options['problem_ids'] must hold num_envs={self.num_envs} ids, got {len(ids)}"
                )
            problems = [self.task.problem(pid) for pid in ids]
        else:
            problems = [self.task.sample(self.np_random) for _ in range(self.num_envs)]
        self._episodes = [self.setup.new_episode(p) for p in problems]
        return self._observe()

    def step(
        self, actions: Sequence[str]
    ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._episodes or self._episodes[0].done:
            raise RuntimeError(
                "SelfCorrectVectorEnv.step() called before reset() or after the batch ended; "
                "all episodes end together, so call reset() to start the next batch"
            )
        if isinstance(actions, str) or len(actions) != self.num_envs:
            raise ValueError(
                f"actions must be a sequence of num_envs={self.num_envs} strings, got {actions!r:.120}"
            )
        clipped = [clip_response(a, self.setup.max_response_chars) for a in actions]
        responses = [text for text, _ in clipped]
        outcomes = grade_responses(self.task, [e.problem for e in self._episodes], responses)
        for episode, (text, cut), outcome in zip(self._episodes, clipped, outcomes, strict=True):
            episode.record(text, outcome, cut)
        observations, infos = self._observe()
        rewards = np.array([float(o.correct) for o in outcomes], dtype=np.float64)
        terminated = np.full(self.num_envs, self._episodes[0].done)
        return observations, rewards, terminated, np.zeros(self.num_envs, dtype=bool), infos

    def _observe(self) -> tuple[tuple[str, ...], dict[str, Any]]:
        infos: dict[str, Any] = {}
        for i, episode in enumerate(self._episodes):
            infos = self._add_info(infos, episode.info(), i)
        return tuple(e.text() for e in self._episodes), infos


def infos_to_list(infos: dict[str, Any], num_envs: int) -> list[dict[str, Any]]:
    """Gymnasium's batched info dict (arrays plus `_key` masks) as `num_envs` per-episode dicts."""
    out: list[dict[str, Any]] = [{} for _ in range(num_envs)]
    for key, values in infos.items():
        if key.startswith("_"):
            continue
        mask = infos.get(f"_{key}", np.ones(num_envs, dtype=bool))
        for i in range(num_envs):
            if mask[i]:
                value = values[i]
                out[i][key] = value.item() if isinstance(value, np.generic) else value
    return out
