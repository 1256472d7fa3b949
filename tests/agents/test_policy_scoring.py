"""Scoring is exact: log-probabilities, masks, KL and entropy against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from agents.policy import GREEDY, Policy, PolicyConfig, SamplingConfig, per_token_kl
from agents.policy.scoring import left_pad, masked_mean
from agents.tiny.model import TinyModelConfig, build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer

SMALL = TinyModelConfig(n_layer=1, n_embd=32, n_head=2, n_positions=128)
QUESTIONS = ["Q:1+2*3", "Q:37+48*2-15", "Q:(5+6)*7"]


@pytest.fixture(scope="module")
def policy() -> Policy:
    tokenizer = build_char_tokenizer()
    return Policy(build_tiny_model(tokenizer, SMALL, seed=0), tokenizer, PolicyConfig())


def _prompts(policy: Policy) -> list[list[int]]:
    return policy.first_prompt_ids([[{"role": "user", "content": q}] for q in QUESTIONS])


def _hand_logprobs(model: torch.nn.Module, prompt: list[int], response: list[int]) -> list[float]:
    """One unpadded row at a time, log-softmax by hand: no masks or position tricks involved."""
    ids = torch.tensor([prompt + response])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0].double()
    out = []
    for t, token in enumerate(response):
        row = logits[len(prompt) + t - 1]
        out.append((row[token] - torch.log(torch.exp(row).sum())).item())
    return out


def test_logprobs_match_hand_computation_with_padding(policy: Policy) -> None:
    prompts = _prompts(policy)
    responses = [[10, 11, 12, 1], [20], [30, 31, 32, 33, 34, 35]]  # ragged: pads on both sides
    with torch.no_grad():
        logprobs, mask = policy.response_logprobs(prompts, responses)
    assert logprobs.shape == mask.shape == (3, 6)
    for i, (p, r) in enumerate(zip(prompts, responses, strict=True)):
        assert mask[i].tolist() == [1.0] * len(r) + [0.0] * (6 - len(r))
        expected = _hand_logprobs(policy.model, p, r)
        assert logprobs[i, : len(r)].tolist() == pytest.approx(expected, abs=1e-5)
        assert logprobs[i, len(r) :].abs().sum() == 0


def test_scores_are_the_sampling_distribution(policy: Policy) -> None:
    """The logits `generate` sampled from (left-padded, with a KV cache) are the ones scored."""
    prompts = _prompts(policy)
    ids, attention = left_pad(prompts, policy.tokenizer.pad_token_id)
    with torch.no_grad():
        out = policy.model.generate(
            input_ids=ids,
            attention_mask=attention,
            do_sample=False,
            max_new_tokens=8,
            min_new_tokens=8,
            output_logits=True,
            return_dict_in_generate=True,
            pad_token_id=policy.tokenizer.pad_token_id,
        )
        responses = out.sequences[:, ids.shape[1] :].tolist()
        logprobs, _ = policy.response_logprobs(prompts, responses)
    step_logprobs = torch.stack(out.logits, dim=1).log_softmax(-1)  # (B, T, V)
    expected = step_logprobs.gather(-1, torch.tensor(responses).unsqueeze(-1)).squeeze(-1)
    assert torch.allclose(logprobs, expected, atol=1e-5)


def test_logprobs_are_differentiable(policy: Policy) -> None:
    prompts = _prompts(policy)
    logprobs, mask = policy.response_logprobs(prompts, [[5, 6], [7], [8, 9, 10]])
    masked_mean(logprobs, mask).backward()
    grads = [p.grad for p in policy.model.parameters() if p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)
    policy.model.zero_grad()


def test_reference_is_frozen_initial_weights(policy: Policy) -> None:
    prompts = _prompts(policy)
    responses = [[10, 11], [12], [13, 14, 15]]
    before = policy.reference_logprobs(prompts, responses).logprobs
    tokenizer = policy.tokenizer
    fresh = Policy(build_tiny_model(tokenizer, SMALL, seed=0), tokenizer, PolicyConfig())
    with torch.no_grad():
        for p in fresh.model.parameters():
            p.add_(0.05)
        moved = fresh.response_logprobs(prompts, responses).logprobs
    after = fresh.reference_logprobs(prompts, responses).logprobs
    assert torch.allclose(before, after)
    assert not torch.allclose(moved, after)
    assert not any(p.requires_grad for p in fresh.reference.parameters())


def test_kl_estimators_on_an_enumerable_distribution() -> None:
    """E_p[k1] = E_p[k3] = KL(p||q) exactly when every outcome is weighted by p; k3 >= 0."""
    p = torch.tensor([0.5, 0.3, 0.2])
    q = torch.tensor([0.2, 0.3, 0.5])
    exact = float((p * (p / q).log()).sum())
    for name in ("k1", "k3"):
        per_outcome = per_token_kl(p.log(), q.log(), name)
        assert float((p * per_outcome).sum()) == pytest.approx(exact, abs=1e-6)
    assert (per_token_kl(p.log(), q.log(), "k3") >= 0).all()
    # k2 = (log p - log q)^2 / 2 at one outcome: (log 0.5 - log 0.2)^2 / 2
    assert float(per_token_kl(p.log(), q.log(), "k2")[0]) == pytest.approx(
        0.5 * math.log(2.5) ** 2, abs=1e-6
    )
    with pytest.raises(ValueError, match="k4"):
        per_token_kl(p, q, "k4")  # type: ignore[arg-type]


def test_entropy_matches_hand_computation(policy: Policy) -> None:
    prompts = _prompts(policy)[:1]
    with torch.no_grad():
        scored = policy.score(prompts, [[10, 11]])
        logits = policy.model(input_ids=torch.tensor([prompts[0] + [10, 11]])).logits[0]
    probs = logits[len(prompts[0]) - 1].double().softmax(-1)
    assert float(scored.entropy[0, 0]) == pytest.approx(
        float(-(probs * probs.log()).sum()), abs=1e-5
    )


def test_seeded_sampling_is_reproducible(policy: Policy) -> None:
    prompts = _prompts(policy)
    sampling = SamplingConfig(max_new_tokens=16)
    a = policy.sample(prompts, sampling, seed=7)
    b = policy.sample(prompts, sampling, seed=7)
    c = policy.sample(prompts, sampling, seed=8)
    assert a == b
    assert a.response_ids != c.response_ids
    assert policy.sample(prompts, GREEDY) == policy.sample(prompts, GREEDY)


def test_stop_strings_end_the_response(policy: Policy) -> None:
    prompts = _prompts(policy)
    sampling = SamplingConfig(max_new_tokens=40, stop_strings=("=", ";"))
    samples = policy.sample(prompts * 4, sampling, seed=0)
    for ids, text, done in zip(samples.response_ids, samples.texts, samples.finished, strict=True):
        inner = policy.tokenizer.decode(ids[:-1])
        assert "=" not in inner and ";" not in inner  # cut at the first stop string
        if done and ids[-1] not in policy.eos_token_ids:
            assert text.endswith(("=", ";"))


def test_bad_inputs_name_the_problem(policy: Policy) -> None:
    with pytest.raises(ValueError, match="equally many"):
        policy.response_logprobs([[1, 2]], [[3], [4]])
    with pytest.raises(ValueError, match="max_context"):
        policy.sample([[5] * 200], GREEDY)
    with pytest.raises(ValueError, match="temperature"):
        SamplingConfig(temperature=0.0)
    with pytest.raises(ValueError, match="top_p"):
        SamplingConfig(top_p=0.0)
    with pytest.raises(ValueError, match="dtype"):
        PolicyConfig(dtype="float8")


def test_one_forward_scores_both_turns_as_two_would(policy: Policy) -> None:
    """The second turn's sequence holds the first turn token for token, so one forward over it
    gives both turns' scores; turns that are not nested are scored one by one."""
    prompts = _prompts(policy)
    first = policy.sample(prompts, SamplingConfig(max_new_tokens=12), seed=1).response_ids
    second_prompts = [[*p, *r, 7, 8] for p, r in zip(prompts, first, strict=True)]
    second = policy.sample(second_prompts, SamplingConfig(max_new_tokens=9), seed=2).response_ids
    turns = [(prompts, first), (second_prompts, second)]
    with torch.no_grad():
        joint = policy.score_turns(turns)
        apart = [policy.score(p, r) for p, r in turns]
        reference = policy.reference_turns(turns)
    for a, b, ref in zip(joint, apart, reference, strict=True):
        assert torch.equal(a.mask, b.mask)
        assert (a.logprobs - b.logprobs).abs().max() < 1e-5
        assert (a.entropy - b.entropy).abs().max() < 1e-5
        assert (ref.logprobs - b.logprobs).abs().max() < 1e-5  # the policy is still the reference
    loose = [(prompts, first), ([[5, *p] for p in second_prompts], second)]
    with torch.no_grad():
        fallback = policy.score_turns(loose)
    assert (fallback[0].logprobs - apart[0].logprobs).abs().max() < 1e-5


def test_length_buckets_score_each_row_as_its_own_forward(policy: Policy) -> None:
    """48 episodes of scattered lengths go through several length groups; every row's scores
    are those of scoring it alone, in the caller's row order, and gradients reach the model."""
    prompts = _prompts(policy) * 16
    first = policy.sample(prompts, SamplingConfig(max_new_tokens=20), seed=3).response_ids
    first = [r[: 1 + i % 17] for i, r in enumerate(first)]  # lengths 1..17, out of order
    second_prompts = [[*p, *r, 7] for p, r in zip(prompts, first, strict=True)]
    second = [[5 + i % 9] * (1 + (i * 7) % 11) for i in range(len(prompts))]
    turns = [(prompts, first), (second_prompts, second)]
    joint = policy.score_turns(turns)
    with torch.no_grad():
        for i in (0, 5, 17, 30, 47):
            alone = [policy.score([p[i]], [r[i]]) for p, r in turns]
            for a, b in zip(joint, alone, strict=True):
                width = b.mask.shape[1]
                assert torch.equal(a.mask[i, :width], b.mask[0])
                assert (a.logprobs[i, :width] - b.logprobs[0]).abs().max() < 1e-5
                assert a.mask[i, width:].sum() == 0
    masked_mean(joint[0].logprobs + 0, joint[0].mask).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in policy.model.parameters())
    policy.model.zero_grad()
