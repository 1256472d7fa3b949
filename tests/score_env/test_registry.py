"""Every registered id: made both ways, passes gymnasium's check_env, and batches."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import score_env
import score_env.data
from score_env import ENV_IDS, SelfCorrectVectorEnv

gym.register_envs(score_env)

NEEDS = {  # the shared data file each id needs beyond the package
    "SelfCorrect-Arith-v0": None,
    "SelfCorrect-Countdown-v0": None,
    "SelfCorrect-MATH-v0": "math500_test.jsonl",
    "SelfCorrect-HumanEval-v0": None,
    "SelfCorrect-MBPP-v0": "mbpp.jsonl",
}
SPLIT = {"SelfCorrect-MBPP-v0": "test"}


def _skip_unless_available(env_id: str) -> None:
    data = NEEDS[env_id]
    if data is not None and not (score_env.data.shared_data_dir() / data).is_file():
        pytest.skip(f"{env_id} needs {data} in {score_env.data.shared_data_dir()} (../shared/data)")


def test_every_id_is_listed():
    assert set(NEEDS) == set(ENV_IDS) and all(i in gym.registry for i in ENV_IDS)


@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
def test_check_env(env_id):
    _skip_unless_available(env_id)
    kwargs = {"split": SPLIT[env_id]} if env_id in SPLIT else {}
    env = gym.make(f"score_env:{env_id}", **kwargs)
    check_env(env.unwrapped)
    vec = gym.make_vec(env_id, num_envs=3, **kwargs)
    assert isinstance(vec.unwrapped, SelfCorrectVectorEnv)
    obs, infos = vec.reset(seed=0)
    assert len(obs) == 3 and all(isinstance(o, str) and o for o in obs)
    _, rewards, terminated, _, _ = vec.step(["I don't know."] * 3)
    assert rewards.tolist() == [0.0] * 3 and not terminated.any()
