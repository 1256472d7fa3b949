"""Pair-SFT's hyperparameters: the `method:` section of a Pair-SFT config (no torch: parsing a
config imports only this)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PairSFTConfig:
    """The `method:` section of a Pair-SFT config."""

    keep_correct: bool = False
    """D+_SFT: also add right -> right pairs, not only wrong -> right."""
    samples_per_prompt: int = 4
    """k first attempts per problem from the base model (must divide `env.num_envs`)."""
    rollout_batches: int = 8
    """Batches of `env.num_envs` episodes each process samples to build the dataset."""

    def __post_init__(self) -> None:
        for name in ("samples_per_prompt", "rollout_batches"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"method.{name}={value!r} is invalid: expected an integer >= 1")
