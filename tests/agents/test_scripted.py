"""Scripted agents reach their closed-form metrics through the real env and evaluate()."""

from __future__ import annotations

import math

import pytest

import score_env
from agents.interface import Agent
from agents.scripted import Rates, ScriptedAgent, parse_rates
from agents.specs import load_agent

N = 2000  # the Arith test split


@pytest.mark.parametrize(
    "spec, rates",
    [
        ("oracle", Rates(1.0, 1.0)),
        ("wrong", Rates(0.0, 0.0)),
        ("repeat", Rates(0.5, 0.0)),
        ("repeat:0.8", Rates(0.8, 0.0)),
        ("fix:0.3", Rates(0.0, 0.3)),
        ("fix:0.3:0.4", Rates(0.4, 0.3)),
    ],
)
def test_specs(spec, rates):
    assert parse_rates(spec) == rates


@pytest.mark.parametrize("spec", ["nope", "fix", "fix:x", "oracle:1", "fix:1.5"])
def test_bad_specs(spec):
    with pytest.raises(ValueError, match="scripted agent"):
        parse_rates(spec)


def test_unknown_agent_kind():
    with pytest.raises(ValueError, match="unknown agent kind 'hf'"):
        load_agent("hf:gpt2")


@pytest.mark.parametrize(
    "rates",
    [Rates(1.0, 1.0), Rates(0.0, 0.0), Rates(0.5, 0.0), Rates(0.0, 0.3), Rates(0.4, 0.3, 0.2)],
)
def test_closed_form_metrics_on_arith(rates):
    agent = ScriptedAgent(rates, seed=1)
    assert isinstance(agent, Agent)
    result = score_env.evaluate(agent, "SelfCorrect-Arith-v0", split="test", batch_size=256)
    m = result.overall
    assert m.n == N
    assert m.delta == m.delta_i2c - m.delta_c2i or math.isclose(m.delta, m.delta_i2c - m.delta_c2i)
    for name, expected in rates.expected().items():
        got = getattr(m, name)
        # exact when deterministic, else within 4.5 binomial standard errors (seeded, so stable)
        sigma = math.sqrt(max(expected * (1 - expected), 0.0) / N)
        assert abs(got - expected) <= 4.5 * sigma + 1e-12, (name, got, expected)


def test_repeat_agent_changes_nothing():
    result = score_env.evaluate(
        load_agent("scripted:repeat"), "SelfCorrect-Arith-v0", split="test", n_problems=300
    )
    assert result.overall.edit_ratio == 0.0 and result.overall.change_rate == 0.0
    assert result.overall.acc_t1 == result.overall.acc_t2


def test_train_split_evaluation_draws_fresh_seeded_problems():
    a = score_env.evaluate(
        load_agent("scripted:oracle"), "SelfCorrect-Arith-v0", n_problems=50, seed=3
    )
    b = score_env.evaluate(
        load_agent("scripted:oracle"), "SelfCorrect-Arith-v0", n_problems=50, seed=3
    )
    assert [e.problem_id for e in a.episodes] == [e.problem_id for e in b.episodes]
    assert a.overall.acc_t2 == 1.0


def test_evaluate_rejects_what_it_cannot_batch():
    import gymnasium as gym

    single = gym.make("SelfCorrect-Arith-v0")
    with pytest.raises(TypeError, match="SelfCorrectVectorEnv"):
        score_env.evaluate(load_agent("scripted:oracle"), single, n_problems=2)  # type: ignore[arg-type]


def test_evaluate_rejects_short_agent_output():
    class Mute:
        def act(self, observations, infos):
            return []

    with pytest.raises(ValueError, match="returned 0 responses for 4"):
        score_env.evaluate(Mute(), "SelfCorrect-Arith-v0", n_problems=4, batch_size=4)
