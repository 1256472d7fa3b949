"""Registered ids. gymnasium 1.x has no entry-point plugin loading, so registration happens when
`score_env` is imported: `import score_env; gym.register_envs(score_env); gym.make(id)`, or
`gym.make("score_env:SelfCorrect-MATH-v0")`, which imports `score_env` itself."""

from __future__ import annotations

import gymnasium as gym

ENV_IDS: dict[str, str] = {
    "SelfCorrect-Arith-v0": "arith",
    "SelfCorrect-Countdown-v0": "countdown",
    "SelfCorrect-MATH-v0": "math",
    "SelfCorrect-HumanEval-v0": "humaneval",
    "SelfCorrect-MBPP-v0": "mbpp",
}


def register_all() -> None:
    for env_id, task in ENV_IDS.items():
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point="score_env.env:SelfCorrectEnv",
            vector_entry_point="score_env.vector:SelfCorrectVectorEnv",
            kwargs={"task": task},
        )
