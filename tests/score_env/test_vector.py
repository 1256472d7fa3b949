"""The batched env (default make_vec path) and gymnasium's Sync/Async vectorizers."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import score_env
from score_env import SelfCorrectEnv, SelfCorrectVectorEnv, infos_to_list
from score_env.tasks.arith import ArithTask
from score_env.wrappers import ScoreShapingVector

gym.register_envs(score_env)
IDS = ["L1/61+41*2", "L2/37+48*2-15", "L1/32*7+5"]
GOLDS = ["143", "118", "229"]


def test_make_vec_defaults_to_the_batched_env():
    vec = gym.make_vec("SelfCorrect-Arith-v0", num_envs=4)
    assert isinstance(vec.unwrapped, SelfCorrectVectorEnv) and vec.num_envs == 4


def test_batch_terminates_together_and_needs_reset():
    vec = SelfCorrectVectorEnv(3)
    obs, infos = vec.reset(options={"problem_ids": IDS})
    assert obs[1] == "Q:37+48*2-15\n"
    first = [f"\\boxed{{{GOLDS[0]}}}", "\\boxed{0}", ""]
    obs, rewards, terminated, truncated, infos = vec.step(first)
    assert rewards.tolist() == [1.0, 0.0, 0.0] and not terminated.any() and not truncated.any()
    second = [f"\\boxed{{{g}}}" for g in GOLDS]
    obs, rewards, terminated, _, infos = vec.step(second)
    assert rewards.tolist() == [1.0, 1.0, 1.0] and terminated.all()
    per_env = infos_to_list(infos, 3)
    assert [i["transition"] for i in per_env] == ["c->c", "i->c", "i->c"]
    assert per_env[2]["extracted_per_turn"] == [None, "229"]
    with pytest.raises(RuntimeError, match="reset"):
        vec.step(second)
    vec.reset(seed=3)
    assert vec.step(second)[2].tolist() == [False] * 3


def test_batched_grading_is_one_call_per_step():
    calls: list[int] = []

    class CountingArith(ArithTask):
        def grade_many(self, problems, responses):
            calls.append(len(responses))
            return super().grade_many(problems, responses)

    vec = SelfCorrectVectorEnv(3, task=CountingArith())
    vec.reset(options={"problem_ids": IDS})
    vec.step(["\\boxed{1}", "", "\\boxed{2}"])  # the empty response never reaches the verifier
    assert calls == [2]


def test_bad_batched_input():
    vec = SelfCorrectVectorEnv(2)
    with pytest.raises(ValueError, match="num_envs=2"):
        vec.reset(options={"problem_ids": IDS})
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="num_envs=2"):
        vec.step("one string")
    with pytest.raises(TypeError, match="must be a str"):
        vec.step(["ok", None])


def _play(vec, seed):
    obs, infos = vec.reset(seed=seed)
    golds = [str(g) for g in infos["gold"]]
    obs, r1, *_ = vec.step(["\\boxed{0}"] * len(golds))
    obs, r2, *_ = vec.step([f"\\boxed{{{g}}}" for g in golds])
    return golds, r1.tolist(), r2.tolist(), list(obs)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_gymnasium_vectorizers_match_single_env(mode):
    kwargs = {"shared_memory": False} if mode == "async" else {}
    vec = gym.make_vec(
        "SelfCorrect-Arith-v0", num_envs=2, vectorization_mode=mode, vector_kwargs=kwargs
    )
    try:
        golds, r1, r2, obs = _play(vec, seed=5)
    finally:
        vec.close()
    assert r1 == [0.0, 0.0] and r2 == [1.0, 1.0]
    single = SelfCorrectEnv()
    _, info = single.reset(seed=5)
    assert info["gold"] == golds[0]
    assert all(
        o.startswith("Q:") and o.endswith(f"\\boxed{{{g}}}\n")
        for o, g in zip(obs, golds, strict=True)
    )


def test_async_with_shared_memory_fails_loudly():
    with pytest.raises(TypeError, match="shared_memory=False"):
        gym.make_vec("SelfCorrect-Arith-v0", num_envs=2, vectorization_mode="async")


def test_vector_shaping():
    vec = ScoreShapingVector(SelfCorrectVectorEnv(3), alpha=2.0)
    vec.reset(options={"problem_ids": IDS})
    vec.step([f"\\boxed{{{GOLDS[0]}}}", "\\boxed{0}", "\\boxed{0}"])
    _, rewards, terminated, _, infos = vec.step(["\\boxed{0}", f"\\boxed{{{GOLDS[1]}}}", "x"])
    assert terminated.all()
    np.testing.assert_allclose(rewards, [0.0 - 2.0, 1.0 + 2.0, 0.0])
