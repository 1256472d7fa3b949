"""The grader audit in training: `audit/*` against hand counts, the text sample of
disagreements, the config field, and the peer's verdicts carried from the MATH env's info."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from training_fixtures import SMALL, hand_batch

import score_env
from agents.policy import Policy, PolicyConfig, SamplingConfig
from agents.tiny.model import build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer
from agents.training.audit import audit_metrics, disagreements
from agents.training.config import load_config
from agents.training.rollout import collect_rollouts, concat


def audited(c1, c2, p1, p2):  # type: ignore[no-untyped-def]
    batch = hand_batch(c1, c2)
    turns = tuple(
        dataclasses.replace(turn, peer_correct=np.array(peer))
        for turn, peer in zip(batch.turns, (p1, p2), strict=True)
    )
    return dataclasses.replace(batch, turns=turns)


def test_audit_metrics_match_hand_counts() -> None:
    batch = audited(
        [True, False, True], [True, True, False], [True, True, True], [True, True, True]
    )
    m = audit_metrics(batch)
    # 6 graded responses; ours accepts 4, the peer 6; they differ on turn-1 row 1, turn-2 row 2.
    assert m == {
        "audit/disagree": pytest.approx(2 / 6),
        "audit/accept_ours": pytest.approx(4 / 6),
        "audit/accept_peer": pytest.approx(6 / 6),
    }
    assert audit_metrics(hand_batch([True], [False])) == {}  # no audit, no audit/* keys


def test_disagreements_name_the_turn_and_both_verdicts() -> None:
    batch = audited([True, False], [True, True], [True, True], [False, True])
    text = disagreements(batch)
    assert text is not None
    assert "L1/1** turn 1: ours False, peer True" in text
    assert "L1/0** turn 2: ours True, peer False" in text
    assert disagreements(audited([True], [False], [True], [False])) is None


def test_concat_and_select_keep_the_peer_verdicts() -> None:
    a = audited([True], [False], [False], [False])
    b = audited([False], [True], [False], [True])
    both = concat([a, b])
    assert both.first.peer_correct is not None and both.first.peer_correct.tolist() == [False] * 2
    assert both.select([1]).second.peer_correct.tolist() == [True]  # type: ignore[union-attr]
    assert concat([a, hand_batch([True], [True])]).first.peer_correct is None


def test_the_config_field_is_for_math_envs_only() -> None:
    config = load_config(None, ["env.id=SelfCorrect-MATH-v0", "env.audit=true"])
    assert config.env.audit is True
    with pytest.raises(ValueError, match="env.audit=True is invalid"):
        load_config(None, ["env.audit=true"])  # the default Arith env has no peer grader


def test_rollouts_carry_the_peer_verdicts_and_the_reward_stays_ours(tmp_path: Path) -> None:
    pytest.importorskip("math_verify", reason="the audit's peer grader, math-verify")
    path = tmp_path / "m.jsonl"
    rows = [{"problem": f"{i}+1?", "answer": str(i + 1), "unique_id": f"p{i}"} for i in range(4)]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    tokenizer = build_char_tokenizer()
    policy = Policy(build_tiny_model(tokenizer, SMALL, seed=0), tokenizer, PolicyConfig())
    gym.register_envs(score_env)
    batches = {}
    for audit in (False, True):
        env = gym.make_vec("SelfCorrect-MATH-v0", num_envs=4, vectorization_mode="vector_entry_point",
                           data_path=path, prompt_template="{problem}", correction_instruction="Again:",
                           audit=audit)  # fmt: skip
        sampling = SamplingConfig(max_new_tokens=8)
        batches[audit] = collect_rollouts(
            policy, env, sampling, seed=3, problems=["p0", "p1", "p2", "p3"]
        )
        env.close()
    plain, checked = batches[False], batches[True]
    assert plain.first.peer_correct is None
    for turn, same in zip(checked.turns, plain.turns, strict=True):
        assert turn.peer_correct is not None and turn.peer_correct.dtype == bool
        assert turn.texts == same.texts and turn.rewards.tolist() == same.rewards.tolist()
    assert set(audit_metrics(checked)) == {
        "audit/disagree",
        "audit/accept_ours",
        "audit/accept_peer",
    }


def test_the_run_logger_writes_the_disagreements_as_text(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from agents.training.logger import RunLogger

    logger = RunLogger(tmp_path)
    logger.samples(audited([True, False], [True, True], [True, True], [False, True]), step=1)
    logger.scalars(audit_metrics(audited([True], [True], [False], [True])), step=1)
    logger.close()
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    assert "audit/disagree" in events.Tags()["scalars"]
    assert "audit/disagreements/text_summary" in events.Tags()["tensors"]
