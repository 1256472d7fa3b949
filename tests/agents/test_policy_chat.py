"""Multi-turn prompts are token-exact; save/load and LoRA round trips keep the scores."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from agents.policy import GREEDY, LoraSettings, Policy, PolicyConfig, SamplingConfig
from agents.policy.chat import PLAIN_CHAT_TEMPLATE
from agents.tiny.model import TinyModelConfig, build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer

SMALL = TinyModelConfig(n_layer=1, n_embd=32, n_head=2, n_positions=160)
INSTRUCTION = "Check the solution above and fix any mistake."
# A Qwen3-style template: earlier assistant turns lose their <think> block when re-rendered.
STRIPPING_TEMPLATE = (
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'assistant' -%}<|assistant|>{{ m['content'].split('</think>')[-1] }}<|end|>"
    "{%- else -%}<|user|>{{ m['content'] }}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}<|assistant|>{%- endif -%}"
)


def _policy(template: str | None = None, **config: object) -> Policy:
    tokenizer = build_char_tokenizer()
    if template is not None:
        tokenizer.chat_template = template
    return Policy(build_tiny_model(tokenizer, SMALL, seed=1), tokenizer, PolicyConfig(**config))


def _turn2(question: str, attempt: str) -> list[dict[str, str]]:
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": attempt},
        {"role": "user", "content": INSTRUCTION},
    ]


def test_two_turn_prompt_and_masks_token_by_token() -> None:
    policy = _policy()
    tok = policy.tokenizer
    first = policy.first_prompt_ids([[{"role": "user", "content": "Q:1+2*3"}]])
    assert tok.convert_ids_to_tokens(first[0]) == ["<|user|>", *"Q:1+2*3", "<|assistant|>"]
    response = tok("2*3=6;\\boxed{7}<|end|>", add_special_tokens=False)["input_ids"]
    second = policy.next_prompt_ids(first, [response], [_turn2("Q:1+2*3", "2*3=6;\\boxed{7}")])
    expected_tail = ["<|user|>", *INSTRUCTION, "<|assistant|>"]
    assert second[0] == first[0] + response + tok.convert_tokens_to_ids(expected_tail)
    # The turn-2 response is scored alone: the question, turn-1 attempt and instruction are prompt.
    turn2_response = tok("\\boxed{7}<|end|>", add_special_tokens=False)["input_ids"]
    _, mask = policy.response_logprobs(second, [turn2_response])
    assert mask.tolist() == [[1.0] * len(turn2_response)]


def test_truncated_response_gets_the_end_of_turn_token() -> None:
    policy = _policy()
    tok = policy.tokenizer
    first = policy.first_prompt_ids([[{"role": "user", "content": "Q:1+2"}]])
    cut = tok("1+2=", add_special_tokens=False)["input_ids"]  # hit max_new_tokens: no <|end|>
    second = policy.next_prompt_ids(first, [cut], [_turn2("Q:1+2", "1+2=")])
    assert tok.convert_ids_to_tokens(second[0][len(first[0]) + len(cut) :])[:2] == [
        "<|end|>",
        "<|user|>",
    ]


def test_history_rewriting_template_keeps_sampled_tokens() -> None:
    policy = _policy(STRIPPING_TEMPLATE)
    tok = policy.tokenizer
    first = policy.first_prompt_ids([[{"role": "user", "content": "Q:4*5"}]])
    attempt = "<think>4*5 is 20</think>\\boxed{20}"
    response = tok(attempt + "<|end|>", add_special_tokens=False)["input_ids"]
    second = policy.next_prompt_ids(first, [response], [_turn2("Q:4*5", attempt)])
    assert second[0][: len(first[0]) + len(response)] == first[0] + response
    assert "<think>4*5 is 20</think>" in tok.decode(second[0])
    rerendered = policy.first_prompt_ids([_turn2("Q:4*5", attempt)])[0]
    assert "<think>" not in tok.decode(rerendered)  # what naive re-rendering would have scored
    assert second[0][-len(INSTRUCTION) - 2 :] == rerendered[-len(INSTRUCTION) - 2 :]


def test_sampled_two_turn_episode_is_token_exact() -> None:
    policy = _policy()
    sampling = SamplingConfig(max_new_tokens=10)
    questions = ["Q:1+2*3", "Q:9-4"]
    first = policy.first_prompt_ids([[{"role": "user", "content": q}] for q in questions])
    turn1 = policy.sample(first, sampling, seed=0)
    conversations = [_turn2(q, t) for q, t in zip(questions, turn1.texts, strict=True)]
    second = policy.next_prompt_ids(first, turn1.response_ids, conversations)
    for p, r, s in zip(first, turn1.response_ids, second, strict=True):
        assert s[: len(p) + len(r)] == p + r
    turn2 = policy.sample(second, sampling, seed=0)
    _, mask = policy.response_logprobs(second, turn2.response_ids)
    assert mask.sum(-1).tolist() == [float(len(r)) for r in turn2.response_ids]


def test_plain_template_for_a_tokenizer_without_one() -> None:
    policy = _policy(template=None)
    policy.tokenizer.chat_template = None
    fresh = Policy(policy.model, policy.tokenizer, PolicyConfig())
    assert fresh.tokenizer.chat_template == PLAIN_CHAT_TEMPLATE
    ids = fresh.first_prompt_ids([[{"role": "user", "content": "Q:1+1"}]])[0]
    assert fresh.tokenizer.decode(ids) == "User: Q:1+1\nAssistant:"


def test_messages_are_validated() -> None:
    policy = _policy()
    with pytest.raises(ValueError, match="last message must be the user"):
        policy.first_prompt_ids([[{"role": "assistant", "content": "x"}]])
    with pytest.raises(ValueError, match="previous assistant turn"):
        policy.next_prompt_ids([[1]], [[2]], [[{"role": "user", "content": "x"}]])
    with pytest.raises(ValueError, match="batch sizes differ"):
        policy.next_prompt_ids([[1]], [], [_turn2("Q:1", "1")])


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    policy = _policy()
    prompts = policy.first_prompt_ids([[{"role": "user", "content": "Q:2+2"}]])
    policy.save_pretrained(tmp_path)
    assert AutoModelForCausalLM.from_pretrained(tmp_path) is not None
    assert AutoTokenizer.from_pretrained(tmp_path).chat_template == policy.tokenizer.chat_template
    loaded = Policy.from_pretrained(tmp_path, PolicyConfig(device="cpu"))
    assert loaded.first_prompt_ids([[{"role": "user", "content": "Q:2+2"}]]) == prompts
    with torch.no_grad():
        a = policy.response_logprobs(prompts, [[10, 11, 1]]).logprobs
        b = loaded.response_logprobs(prompts, [[10, 11, 1]]).logprobs
    assert torch.allclose(a, b)
    assert policy.sample(prompts, GREEDY) == loaded.sample(prompts, GREEDY)


def test_lora_reference_is_the_base_and_adapters_round_trip(tmp_path: Path) -> None:
    base_dir = tmp_path / "base"
    _policy().save_pretrained(base_dir)
    lora = LoraSettings(r=4, alpha=8, target_modules=("c_attn", "c_fc"))
    policy = Policy.from_pretrained(base_dir, PolicyConfig(lora=lora))
    assert policy.reference is None
    prompts = policy.first_prompt_ids([[{"role": "user", "content": "Q:3*3"}]])
    response = [[10, 12, 14, 1]]
    base = Policy.from_pretrained(base_dir).response_logprobs(prompts, response).logprobs.detach()
    trainable = policy.trainable_parameters()
    assert trainable and all(
        "lora" in n for n, p in policy.model.named_parameters() if p.requires_grad
    )
    with torch.no_grad():
        for p in trainable:
            p.add_(0.1)
    assert torch.allclose(policy.reference_logprobs(prompts, response).logprobs, base)
    tuned = policy.response_logprobs(prompts, response).logprobs.detach()
    assert not torch.allclose(tuned, base)
    policy.save_pretrained(tmp_path / "adapter")
    reloaded = Policy.from_pretrained(tmp_path / "adapter", PolicyConfig(lora=lora))
    assert torch.allclose(reloaded.response_logprobs(prompts, response).logprobs, tuned, atol=1e-6)
    assert torch.allclose(reloaded.reference_logprobs(prompts, response).logprobs, base)
