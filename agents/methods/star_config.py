"""STaR's hyperparameters: the `method:` section of a STaR config (no torch: parsing a config
imports only this)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StarConfig:
    """The `method:` section of a STaR config."""

    iterations: int = 3
    """Collect-then-fine-tune rounds (the paper: 3); must divide `run.total_steps`."""
    keep_correct: bool = False
    """D+_STaR: also keep traces right at both attempts (c->c), not only corrections (i->c)."""
    rollout_batches: int = 8
    """Batches of `env.num_envs` episodes each process samples per iteration."""

    def __post_init__(self) -> None:
        if not (isinstance(self.iterations, int) and self.iterations >= 1):
            raise ValueError(
                f"method.iterations={self.iterations!r} is invalid: expected an integer >= 1"
            )
        if not (isinstance(self.rollout_batches, int) and self.rollout_batches >= 1):
            raise ValueError(
                f"method.rollout_batches={self.rollout_batches!r} is invalid: "
                "expected an integer >= 1"
            )
