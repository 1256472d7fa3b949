"""The tiny model's architecture: a GPT-2 sized for 2 CPU cores.

2 layers x 128 wide (0.43M parameters with the character vocabulary): small enough that a CPU
build finishes its recipe in minutes, where a wider model stays undertrained in the same budget
(its base metrics: docs/results.md). No dropout, so sampling and scoring are the same function.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerBase


@dataclass(frozen=True)
class TinyModelConfig:
    """Shape of the tiny GPT-2."""

    n_layer: int = 2
    """Transformer blocks."""
    n_embd: int = 128
    """Width."""
    n_head: int = 4
    """Attention heads (must divide n_embd)."""
    n_positions: int = 256
    """Context: a two-turn Arith episode with the env's instruction fits in about 200."""

    def __post_init__(self) -> None:
        for name in ("n_layer", "n_embd", "n_head", "n_positions"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"TinyModelConfig.{name} must be >= 1, got {getattr(self, name)!r}"
                )
        if self.n_embd % self.n_head:
            raise ValueError(
                f"TinyModelConfig.n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})"
            )


def build_tiny_model(
    tokenizer: PreTrainedTokenizerBase, config: TinyModelConfig = TinyModelConfig(), seed: int = 0
) -> GPT2LMHeadModel:
    """A randomly initialised GPT-2 over `tokenizer`'s vocabulary (seeded)."""
    gpt2 = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=config.n_positions,
        n_embd=config.n_embd,
        n_layer=config.n_layer,
        n_head=config.n_head,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = GPT2LMHeadModel(gpt2)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model
