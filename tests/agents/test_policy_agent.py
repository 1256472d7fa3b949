"""PolicyAgent and the prompting baselines play real env episodes through `score_env.evaluate`."""

from __future__ import annotations

import dataclasses

import pytest

import score_env
from agents.interface import Agent
from agents.policy import GREEDY, Policy, PolicyConfig, SamplingConfig
from agents.policy.agent import PolicyAgent
from agents.prompting import SelfRefineAgent, SelfRefineConfig, load_policy
from agents.tiny.model import TinyModelConfig, build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer
from score_env.tasks.arith import ARITH_CORRECTION_INSTRUCTION

SHORT = dataclasses.replace(GREEDY, max_new_tokens=12)


@pytest.fixture(scope="module")
def policy() -> Policy:
    tokenizer = build_char_tokenizer()
    model = build_tiny_model(tokenizer, TinyModelConfig(1, 32, 2, 256), seed=2)
    return Policy(model, tokenizer, PolicyConfig(frozen_reference=False))


def test_policy_agent_plays_two_turns_token_exactly(policy: Policy) -> None:
    agent = PolicyAgent(policy, SHORT)
    assert isinstance(agent, Agent)
    question = [{"role": "user", "content": "Q:12+3*4"}]
    (first,) = agent.act(["Q:12+3*4\n"], [{"messages": question, "turn": 0}])
    turn2 = [
        *question,
        {"role": "assistant", "content": first},
        {"role": "user", "content": ARITH_CORRECTION_INSTRUCTION},
    ]
    assert agent.book.knows(turn2[:2])
    prompt = agent.book.prompts([turn2])[0]
    first_ids = policy.first_prompt_ids([question])[0]
    sampled = policy.sample([first_ids], SHORT, seed=None).response_ids[0]  # greedy: same tokens
    assert prompt[: len(first_ids) + len(sampled)] == first_ids + sampled
    assert not agent.book.knows(turn2[:2])  # used once, then forgotten


def test_policy_agent_evaluates_with_reproducible_sampling(policy: Policy) -> None:
    sampling = SamplingConfig(max_new_tokens=12)
    runs = [
        score_env.evaluate(
            PolicyAgent(policy, sampling, seed=3),
            "SelfCorrect-Arith-v0",
            n_problems=8,
            batch_size=8,
            split="test",
        )
        for _ in range(2)
    ]
    assert runs[0].overall.n == 8
    assert [e.responses for e in runs[0].episodes] == [e.responses for e in runs[1].episodes]
    assert all(len(e.responses) == 2 for e in runs[0].episodes)


def test_later_turns_can_decode_differently_from_the_first(policy: Policy) -> None:
    """A sampled first attempt and a greedy second one, even within one mixed batch."""
    sampled = SamplingConfig(max_new_tokens=12)
    mixed = PolicyAgent(policy, sampled, seed=3, later_turn_sampling=SHORT)
    question = [{"role": "user", "content": "Q:12+3*4"}]
    second_turn = [
        *question,
        {"role": "assistant", "content": "3*4=12;12+12=24;\\boxed{24}"},
        {"role": "user", "content": ARITH_CORRECTION_INSTRUCTION},
    ]
    infos = [{"messages": question, "turn": 0}, {"messages": second_turn, "turn": 1}]
    first, second = mixed.act(["Q:12+3*4\n", "..."], infos)
    (greedy_second,) = PolicyAgent(policy, SHORT).act(["..."], infos[1:])
    (sampled_first,) = PolicyAgent(policy, sampled, seed=3).act(["Q:12+3*4\n"], infos[:1])
    assert second == greedy_second
    assert first == sampled_first
    sampled_seconds = {
        PolicyAgent(policy, sampled, seed=s).act(["..."], infos[1:])[0] for s in range(4)
    }
    assert sampled_seconds != {greedy_second}  # the later turn really was decoded differently


def test_self_refine_asks_for_feedback_then_revision(policy: Policy) -> None:
    config = SelfRefineConfig()
    agent = SelfRefineAgent(policy, SHORT, config)
    result = score_env.evaluate(
        agent, "SelfCorrect-Arith-v0", n_problems=4, batch_size=4, split="test"
    )
    assert result.overall.n == 4 and len(agent.feedback_log) == 4
    episode = result.episodes[0]
    question = {"role": "user", "content": f"Q:{episode.problem_id.split('/', 1)[1]}"}
    revised = [
        question,
        {"role": "assistant", "content": episode.responses[0]},
        {"role": "user", "content": config.feedback_instruction},
        {"role": "assistant", "content": agent.feedback_log[0]},
        {"role": "user", "content": config.refine_instruction},
        {"role": "assistant", "content": episode.responses[1]},
    ]
    assert agent.base.book.knows(revised)  # turn 2's answer is the revision after the feedback


def test_bad_agent_inputs_are_named(policy: Policy) -> None:
    agent = PolicyAgent(policy, SHORT)
    with pytest.raises(ValueError, match="messages"):
        agent.act(["Q:1+1"], [{"turn": 0}])
    with pytest.raises(ValueError, match="infos"):
        agent.act(["Q:1+1", "Q:2+2"], [{"messages": [{"role": "user", "content": "Q:1+1"}]}])
    with pytest.raises(ValueError, match="not a model directory"):
        load_policy("no-such-model")
    with pytest.raises(ValueError, match="unknown tiny model 'tiny:nope'"):
        load_policy("tiny:nope")
    with pytest.raises(ValueError, match="non-empty"):
        SelfRefineConfig(feedback_instruction=" ")


def test_self_refine_without_room_keeps_the_attempt(policy: Policy) -> None:
    cramped = Policy(
        policy.model, policy.tokenizer, PolicyConfig(frozen_reference=False, max_context=60)
    )
    agent = SelfRefineAgent(cramped, SHORT)
    result = score_env.evaluate(
        agent, "SelfCorrect-Arith-v0", n_problems=3, batch_size=3, split="test"
    )
    assert agent.n_no_room == 3
    assert all(e.responses[0] == e.responses[1] for e in result.episodes)
