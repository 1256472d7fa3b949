"""The SFT loss and masks against a hand calculation, and the dataset's order and resume state."""

from __future__ import annotations

import math

import pytest
import torch
from training_fixtures import SMALL

from agents.policy import Policy, PolicyConfig
from agents.tiny.model import build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer
from agents.training.sft import SFTDataset, SFTExample, sft_loss


def test_sft_loss_matches_hand_calculation() -> None:
    logprobs = torch.tensor([[-1.0, -2.0, -3.0], [-0.5, -9.0, -9.0]])
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    # sequence 0: (1 + 2 + 3) / 3 = 2; sequence 1: 0.5 / 1 (the padded -9s are masked out)
    assert sft_loss(logprobs, mask).item() == pytest.approx((2.0 + 0.5) / 2)


def test_sft_loss_rejects_empty_rows_and_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="no response tokens"):
        sft_loss(torch.zeros(2, 3), torch.tensor([[1, 1, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match="same"):
        sft_loss(torch.zeros(2, 3), torch.ones(2, 4))


def test_only_response_tokens_get_gradient() -> None:
    """Through the policy's mask, the context (problem and first attempt) gets no loss: the loss
    equals the hand-computed mean NLL of the response tokens alone."""
    tokenizer = build_char_tokenizer()
    policy = Policy(build_tiny_model(tokenizer, SMALL, seed=1), tokenizer, PolicyConfig())
    prompt = policy.first_prompt_ids([[{"role": "user", "content": "Q:1+2*3"}]])[0]
    response = tokenizer.encode("2*3=6;1+6=7", add_special_tokens=False)
    logprobs, mask = policy.response_logprobs([prompt], [response])
    loss = sft_loss(logprobs, mask)
    with torch.no_grad():
        logits = policy.model(input_ids=torch.tensor([prompt + response])).logits[0].double()
    nll = [
        -(logits[len(prompt) + t - 1].log_softmax(-1)[tok]).item() for t, tok in enumerate(response)
    ]
    assert mask.sum().item() == len(response)
    assert loss.item() == pytest.approx(sum(nll) / len(nll), abs=1e-5)
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in policy.model.parameters())


def _examples(n: int) -> list[SFTExample]:
    return [SFTExample((1, 2), (10 + i,), "i->c") for i in range(n)]


def test_dataset_cycles_epochs_and_resumes_in_place() -> None:
    data = SFTDataset(seed=3)
    data.replace(_examples(5))
    first_epoch = [e.response_ids[0] for e in data.next_batch(5)]
    assert sorted(first_epoch) == [10, 11, 12, 13, 14]  # every example once per epoch
    data.next_batch(2)  # into epoch 1
    saved = data.state_dict()
    expected = data.next_batch(6)
    restored = SFTDataset(seed=0)
    restored.load_state_dict(saved)
    assert restored.next_batch(6) == expected
    assert data.epoch == 2 and math.isfinite(data.position)


def test_empty_response_is_rejected() -> None:
    with pytest.raises(ValueError, match="response_ids is empty"):
        SFTExample((1,), (), "i->c")
