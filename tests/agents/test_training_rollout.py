"""Two-turn rollouts through the real batched Arith env with a (random) tiny policy, and the
per-step statistics against hand counts."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from training_fixtures import SMALL, hand_batch

import score_env
from agents.policy import Policy, PolicyConfig, SamplingConfig
from agents.tiny.model import build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer
from agents.training.rollout import collect_rollouts, concat, rollout_metrics

SAMPLING = SamplingConfig(max_new_tokens=12)


@pytest.fixture(scope="module")
def policy() -> Policy:
    tokenizer = build_char_tokenizer()
    return Policy(build_tiny_model(tokenizer, SMALL, seed=0), tokenizer, PolicyConfig())


@pytest.fixture()
def env():  # type: ignore[no-untyped-def]
    gym.register_envs(score_env)
    return gym.make_vec("SelfCorrect-Arith-v0", num_envs=6, vectorization_mode="vector_entry_point")


def test_rollout_is_token_exact_and_grouped(policy: Policy, env) -> None:  # type: ignore[no-untyped-def]
    batch = collect_rollouts(policy, env, SAMPLING, seed=5, samples_per_prompt=3)
    assert len(batch) == 6 and len(batch.turns) == 2
    assert batch.group.tolist() == [0, 0, 0, 1, 1, 1]
    assert batch.problem_ids[0] == batch.problem_ids[2] != batch.problem_ids[3]
    for i in range(6):
        # turn 2 conditions on exactly the tokens sampled at turn 1
        prefix = batch.first.prompt_ids[i] + batch.first.response_ids[i]
        assert batch.second.prompt_ids[i][: len(prefix)] == prefix
        assert len(batch.second.prompt_ids[i]) > len(prefix)  # + the correction instruction
        for turn in batch.turns:
            decoded = policy.tokenizer.decode(turn.response_ids[i], skip_special_tokens=True)
            assert decoded == turn.texts[i]
    for turn in batch.turns:
        assert turn.rewards.tolist() == turn.correct.astype(np.float32).tolist()
    assert batch.timings["generate"] > 0 and batch.timings["verify"] > 0


def test_same_seed_replays_the_same_batch(policy: Policy, env) -> None:  # type: ignore[no-untyped-def]
    a = collect_rollouts(policy, env, SAMPLING, seed=11)
    b = collect_rollouts(policy, env, SAMPLING, seed=11)
    c = collect_rollouts(policy, env, SAMPLING, seed=12)
    assert a.problem_ids == b.problem_ids and a.second.response_ids == b.second.response_ids
    assert a.problem_ids != c.problem_ids


def test_bad_group_size_is_named(policy: Policy, env) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="samples_per_prompt=4"):
        collect_rollouts(policy, env, SAMPLING, seed=0, samples_per_prompt=4)


def test_rollout_metrics_match_hand_counts() -> None:
    batch = hand_batch(
        c1=[False, False, True, True, False],
        c2=[True, False, True, False, True],
        texts=(["12", "ab", "x", "y", "7"], ["12", "ab", "x", "z", "8"]),
    )
    m = rollout_metrics(batch)
    assert m["train/reward_t1"] == pytest.approx(2 / 5)
    assert m["train/reward_t2"] == pytest.approx(3 / 5)
    assert m["train/delta"] == pytest.approx(1 / 5)
    assert m["train/delta_i2c"] == pytest.approx(2 / 5)  # rows 0 and 4
    assert m["train/delta_c2i"] == pytest.approx(1 / 5)  # row 3
    assert m["train/edit_ratio"] == pytest.approx((0 + 0 + 0 + 1 + 1) / 5)
    assert m["train/response_len"] == 2.0


def test_concat_and_select_keep_rows_together() -> None:
    a = hand_batch([True, False], [True, True], group=[0, 0])
    b = hand_batch([False], [False], group=[0])
    both = concat([a, b])
    assert both.group.tolist() == [0, 0, 1]  # groups stay distinct
    assert both.transitions == ["c->c", "i->c", "i->i"]
    picked = both.select([2, 1])
    assert picked.transitions == ["i->i", "i->c"]
    assert picked.second.prompt_ids == [both.second.prompt_ids[2], both.second.prompt_ids[1]]


def test_diagnostics_kl_is_zero_at_the_reference_and_grows_after_a_change(
    policy: Policy,
    env,  # type: ignore[no-untyped-def]
) -> None:
    import torch

    from agents.training.rollout import policy_diagnostics

    batch = collect_rollouts(policy, env, SAMPLING, seed=3)
    before = policy_diagnostics(policy, batch)
    assert before["train/kl_t1"] == pytest.approx(0.0, abs=1e-6)
    assert before["train/kl_t2"] == pytest.approx(0.0, abs=1e-6)
    assert before["train/entropy"] > 0
    saved = {k: v.clone() for k, v in policy.model.state_dict().items()}
    try:
        with torch.no_grad():
            policy.model.lm_head.weight.mul_(3.0)  # sharper distributions: far from the reference
        after = policy_diagnostics(policy, batch)
    finally:
        policy.model.load_state_dict(saved)
    assert after["train/kl_t1"] > 0.1 and after["train/kl_t2"] > 0.1
    assert after["train/entropy"] < before["train/entropy"]


def test_train_context_collects_only_from_a_self_correct_env(policy: Policy) -> None:
    from accelerate import Accelerator

    from agents.training.config import load_config
    from agents.training.method import TrainContext

    other = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync")
    ctx = TrainContext(load_config(None), policy, policy.model, Accelerator(cpu=True), other)
    with pytest.raises(TypeError, match="SyncVectorEnv, expected a SelfCorrectVectorEnv"):
        ctx.collect(0)
