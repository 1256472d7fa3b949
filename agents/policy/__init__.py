"""A policy over any Hugging Face causal LM: token-exact multi-turn prompts, sampling, scoring.

Public API (what the trainers build on):

- `PolicyConfig(model, device="auto", dtype="auto", lora=None, frozen_reference=True,
  max_context=None, generation_batch_size=256)`; `LoraSettings(r, alpha, dropout, target_modules)`;
  `SamplingConfig(temperature=1.0, top_p=1.0, max_new_tokens=128, greedy=False, stop_strings=())`;
  `GREEDY` (the paper's evaluation decoding).
- `Policy.from_pretrained(path_or_id, config=None)`, `Policy(model, tokenizer, config)`,
  `.save_pretrained(dir)`; attributes `.model` (train this), `.tokenizer`, `.reference` (frozen copy,
  None with LoRA where the adapter-disabled base is the reference), `.device`, `.max_context`.
- `.first_prompt_ids(messages_batch) -> list[list[int]]`;
  `.next_prompt_ids(prev_prompt_ids, prev_response_ids, conversations) -> list[list[int]]`:
  previous prompt + the exact sampled response tokens + the template's new-turn tokens.
- `.sample(prompt_ids, sampling, seed=None) -> TurnSamples(prompt_ids, response_ids, texts, finished,
  logprobs)`: a small GPT-2 on the CPU decodes in `fast_sampler` (and returns the log-probs it
  sampled from); every other model through `generate` (`logprobs` None).
- `.response_logprobs(prompt_ids, response_ids, model=None) -> ResponseLogprobs(logprobs, mask)`,
  each (B, T), mask 1 on response tokens only (prompt, instruction and padding excluded);
  `.reference_logprobs(...)` (no grad); `.score(...) -> ScoredResponses(logprobs, mask, entropy)`.
- `per_token_kl(logprobs, ref_logprobs, "k1"|"k2"|"k3")`, `masked_mean`, `masked_sum`;
  `kl_per_sequence` (k3 summed over a response: what every method logs as `train/kl_t<turn>`).
- `PolicyAgent(policy, sampling=GREEDY, seed=0)`: the evaluation Agent (token-exact turn 2 too).

Devices: "auto" picks CUDA with bfloat16 when available, else CPU float32. The model stays in eval
mode (no dropout) so that sampling and scoring are the same distribution.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from agents.policy.config import GREEDY, LoraSettings, PolicyConfig, SamplingConfig

if TYPE_CHECKING:
    from agents.policy.agent import PolicyAgent
    from agents.policy.policy import Policy, TurnSamples
    from agents.policy.scoring import (
        ResponseLogprobs,
        ScoredResponses,
        kl_per_sequence,
        masked_mean,
        masked_sum,
        per_token_kl,
    )

# Imported on first use: the configs above need no torch, so a training config parses without it.
_LAZY = {
    "PolicyAgent": "agents.policy.agent",
    "Policy": "agents.policy.policy",
    "TurnSamples": "agents.policy.policy",
    **dict.fromkeys(
        (
            "ResponseLogprobs",
            "ScoredResponses",
            "kl_per_sequence",
            "masked_mean",
            "masked_sum",
            "per_token_kl",
        ),
        "agents.policy.scoring",
    ),
}

__all__ = [
    "GREEDY",
    "LoraSettings",
    "Policy",
    "PolicyAgent",
    "PolicyConfig",
    "ResponseLogprobs",
    "SamplingConfig",
    "ScoredResponses",
    "TurnSamples",
    "kl_per_sequence",
    "masked_mean",
    "masked_sum",
    "per_token_kl",
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
