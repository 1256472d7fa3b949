"""The lean tiny-GPT-2 sampler samples exactly what is scored, and decodes as `generate` does."""

from __future__ import annotations

import pytest
import torch
from transformers import GenerationConfig
from transformers.generation.logits_process import TopPLogitsWarper

from agents.policy import GREEDY, Policy, PolicyConfig, SamplingConfig, fast_sampler
from agents.policy.scoring import left_pad
from agents.tiny.model import TinyModelConfig, build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer

SMALL = TinyModelConfig(n_layer=2, n_embd=32, n_head=2, n_positions=128)
QUESTIONS = ["Q:1+2*3", "Q:37+48*2-15", "Q:(5+6)*7", "Q:9"]


@pytest.fixture(scope="module")
def policy() -> Policy:
    tokenizer = build_char_tokenizer()
    return Policy(build_tiny_model(tokenizer, SMALL, seed=1), tokenizer, PolicyConfig())


def _prompts(policy: Policy) -> list[list[int]]:
    return policy.first_prompt_ids([[{"role": "user", "content": q}] for q in QUESTIONS])


def _padded(rows: list[list[float]], width: int) -> torch.Tensor:
    out = torch.zeros(len(rows), width)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row)
    return out


def test_the_tiny_gpt2_takes_the_lean_path(policy: Policy) -> None:
    assert fast_sampler.supports(policy.model)
    assert not fast_sampler.supports(policy.model.to(torch.float64))
    policy.model.to(torch.float32)


@pytest.mark.parametrize(
    "sampling",
    [
        SamplingConfig(max_new_tokens=24),
        SamplingConfig(temperature=0.7, top_p=0.9, max_new_tokens=24),
        SamplingConfig(temperature=1.5, max_new_tokens=24),
        SamplingConfig(greedy=True, max_new_tokens=24),
    ],
    ids=["t1", "t0.7-p0.9", "t1.5", "greedy"],
)
def test_sampled_logprobs_are_the_scored_ones(policy: Policy, sampling: SamplingConfig) -> None:
    prompts = _prompts(policy) * 4
    samples = policy.sample(prompts, sampling, seed=3)
    assert samples.logprobs is not None
    assert [len(x) for x in samples.logprobs] == [len(r) for r in samples.response_ids]
    temperature = 1.0 if sampling.greedy else sampling.temperature
    with torch.no_grad():
        scored, mask = policy.response_logprobs(prompts, samples.response_ids, None, temperature)
    mine = _padded(samples.logprobs, scored.shape[1])
    assert (mine - scored).abs().max() < 1e-5
    assert mask.sum() == sum(len(r) for r in samples.response_ids)


def test_greedy_gives_the_tokens_of_generate(policy: Policy) -> None:
    prompts = _prompts(policy)
    ids, attention = left_pad(prompts, policy.tokenizer.pad_token_id)
    generation = GenerationConfig(
        do_sample=False,
        max_new_tokens=30,
        top_k=None,
        pad_token_id=policy.tokenizer.pad_token_id,
        eos_token_id=sorted(policy.eos_token_ids),
    )
    with torch.no_grad():
        out = policy.model.generate(
            input_ids=ids, attention_mask=attention, generation_config=generation
        )
    expected = [policy._cut(row, ())[0] for row in out[:, ids.shape[1] :].tolist()]
    assert policy.sample(prompts, SamplingConfig(greedy=True, max_new_tokens=30)).response_ids == (
        expected
    )


@pytest.mark.parametrize("top_p", [0.05, 0.5, 0.9, 0.999])
def test_nucleus_keeps_what_the_generate_warper_keeps(top_p: float) -> None:
    scores = torch.randn(16, 50, generator=torch.Generator().manual_seed(0)) * 3
    expected = TopPLogitsWarper(top_p)(torch.zeros(16, 1, dtype=torch.long), scores.clone())
    assert torch.equal(fast_sampler.nucleus(scores, top_p), expected)


def test_a_tiny_nucleus_is_greedy(policy: Policy) -> None:
    prompts = _prompts(policy)
    nucleus = SamplingConfig(top_p=1e-6, max_new_tokens=20)
    greedy = SamplingConfig(greedy=True, max_new_tokens=20)
    assert policy.sample(prompts, nucleus, seed=5).response_ids == (
        policy.sample(prompts, greedy).response_ids
    )


def test_decoding_stops_once_every_row_has_ended(policy: Policy) -> None:
    ids, attention = left_pad(_prompts(policy), policy.tokenizer.pad_token_id)
    every_token = frozenset(range(len(policy.tokenizer)))
    tokens, logprobs, steps = fast_sampler.sample(
        policy.model, ids, attention, GREEDY, 20, every_token, policy.tokenizer.pad_token_id
    )
    assert steps == 1 and tokens.shape == (4, 20)
    assert (tokens[:, 1:] == policy.tokenizer.pad_token_id).all() and (logprobs[:, 1:] == 0).all()


def test_stop_strings_cut_the_logprobs_too(policy: Policy) -> None:
    prompts = _prompts(policy) * 4
    samples = policy.sample(prompts, SamplingConfig(max_new_tokens=40, stop_strings=("1",)), seed=0)
    assert samples.logprobs is not None
    for ids, scores in zip(samples.response_ids, samples.logprobs, strict=True):
        assert len(ids) == len(scores)
        assert "1" not in policy.tokenizer.decode(ids[:-1])


def test_rows_that_end_early_leave_the_batch_without_changing_the_others(policy: Policy) -> None:
    """With a third of the vocabulary ending a row, rows end at scattered steps and the batch
    shrinks several times; every row's tokens and log-probs are still the scored ones, and greedy
    rows are exactly what `generate` decodes with the same end tokens."""
    prompts = _prompts(policy) * 8
    ids, attention = left_pad(prompts, policy.tokenizer.pad_token_id)
    ends = frozenset(range(2, len(policy.tokenizer), 3))
    pad = policy.tokenizer.pad_token_id
    for sampling in (
        SamplingConfig(max_new_tokens=30),
        SamplingConfig(greedy=True, max_new_tokens=30),
    ):
        torch.manual_seed(0)
        tokens, logprobs, steps = fast_sampler.sample(
            policy.model, ids, attention, sampling, 30, ends, pad
        )
        rows = [
            row[: next((i + 1 for i, x in enumerate(row) if x in ends), steps)]
            for row in tokens[:, :steps].tolist()
        ]
        assert len({len(r) for r in rows}) > 3  # rows really ended at different steps
        with torch.no_grad():
            scored, _ = policy.response_logprobs(prompts, rows)
        assert (logprobs[:, : scored.shape[1]] - scored).abs().max() < 1e-5
    generation = GenerationConfig(
        do_sample=False, max_new_tokens=30, top_k=None, pad_token_id=pad, eos_token_id=sorted(ends)
    )
    with torch.no_grad():
        out = policy.model.generate(
            input_ids=ids, attention_mask=attention, generation_config=generation
        )
    expected = [
        row[: next((i + 1 for i, x in enumerate(row) if x in ends), len(row))]
        for row in out[:, ids.shape[1] :].tolist()
    ]
    assert rows == expected


@pytest.mark.parametrize(
    "sampling",
    [SamplingConfig(), SamplingConfig(temperature=0.5, top_p=0.8)],
    ids=["t1", "t0.5-p0.8"],
)
def test_tokens_are_drawn_with_the_nucleus_probabilities(sampling: SamplingConfig) -> None:
    """20,000 draws from one row of logits: frequencies within 4 standard errors of the target
    probabilities (temperature, then nucleus), and no token outside the nucleus ever drawn."""
    logits = torch.randn(1, 12, generator=torch.Generator().manual_seed(1)) * 2
    target = fast_sampler.nucleus(logits / sampling.temperature, sampling.top_p).softmax(-1)[0]
    torch.manual_seed(0)
    tokens, _ = fast_sampler._next_tokens(logits.expand(20_000, 12), sampling)
    freq = torch.bincount(tokens, minlength=12).double() / 20_000
    stderr = (target.double() * (1 - target.double()) / 20_000).sqrt()
    assert ((freq - target).abs() <= 4 * stderr + 1e-9).all(), (freq, target)
    assert (freq[target == 0] == 0).all()
