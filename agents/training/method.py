"""What the run loop asks of a training method, and what it hands it.

The loop (`agents.training.loop.train`) owns the model, optimiser, processes, logging, evaluation
and checkpoints. A method owns only its algorithm, in two calls per update:

    data = method.prepare(step)          # sample rollouts / pick examples; no gradients
    for micro in data.micro_batches:     # the loop accumulates gradients over these
        loss, metrics = method.loss(micro)

plus `state_dict()` / `load_state_dict()` for whatever it must carry across a resume (a dataset and
the position in it). A new method implements this protocol and adds its config class and builder
to `agents.training.catalog.METHODS`.

Every process runs `prepare` on its own share of the data; all processes must return the same
number of micro-batches (DDP synchronises once per update).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from torch import Tensor

from agents.training.rollout import (
    RolloutBatch,
    collect_rollouts,
    draw_problems,
    self_correct_env,
)

if TYPE_CHECKING:
    from accelerate import Accelerator
    from gymnasium.vector import VectorEnv
    from torch import nn

    from agents.policy import Policy, SamplingConfig
    from agents.training.config import TrainConfig


@dataclass
class StepData:
    """What `Method.prepare` returns for one update.

    `micro_batches` are opaque to the loop and go back to `Method.loss` one by one. `rollout` (when
    the method sampled episodes this step) is logged as the `train/reward_t1` ... statistics and
    as text samples, and its final-turn reward drives best-checkpoint selection. `metrics` holds
    any other `group/name` scalars. `n_samples` / `n_tokens` count the sequences and target tokens
    trained on, for throughput.
    """

    micro_batches: list[Any]
    rollout: RolloutBatch | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    n_samples: int = 0
    n_tokens: int = 0


class Method(Protocol):
    def prepare(self, step: int) -> StepData: ...

    def loss(self, micro_batch: Any) -> tuple[Tensor, dict[str, float]]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass
class TrainContext:
    """Everything a method may use, built once by the loop.

    `policy.model` is the bare module (sampling); `model` is the same parameters as prepared by
    accelerate (DDP-wrapped when several processes run): pass it to `policy.response_logprobs(...,
    model=ctx.model)` for differentiable log probabilities so gradients synchronise.
    """

    config: TrainConfig
    policy: Policy
    model: nn.Module
    accelerator: Accelerator
    env: VectorEnv  # type: ignore[type-arg]  # gym.make_vec of a SelfCorrect id, maybe wrapped

    @property
    def rank(self) -> int:
        return int(self.accelerator.process_index)

    @property
    def world_size(self) -> int:
        return int(self.accelerator.num_processes)

    def seed_for(self, step: int, purpose: int = 0) -> int:
        """A seed that depends only on (run seed, process, step, purpose): sampling at a given step
        is the same whether or not the run was resumed in between."""
        seq = np.random.SeedSequence([self.config.run.seed, self.rank, step, purpose])
        return int(seq.generate_state(1)[0] & 0x7FFFFFFF)

    def collect(
        self,
        step: int,
        purpose: int = 0,
        *,
        samples_per_prompt: int = 1,
        first_turn_sampler: Policy | None = None,
        sampling: SamplingConfig | None = None,
    ) -> RolloutBatch:
        """This process's share of the episodes of `step` (`env.num_envs` of them).

        The step's problems are drawn once for all processes from (run seed, step, purpose) and
        split by rank, so N processes with B episodes each play the same problems as one process
        with N*B. `purpose` tells apart several collections in one step.
        """
        base = self_correct_env(self.env)
        k = samples_per_prompt
        if k < 1 or base.num_envs % k:
            raise ValueError(
                f"samples_per_prompt={k} must be >= 1 and divide env.num_envs={base.num_envs}"
            )
        per_rank = base.num_envs // k
        problems = draw_problems(
            base.task, [self.config.run.seed, step, purpose], per_rank * self.world_size
        )
        return collect_rollouts(
            self.policy,
            self.env,
            sampling or self.config.sampling,
            self.seed_for(step, purpose),
            problems=problems[self.rank * per_rank : (self.rank + 1) * per_rank],
            samples_per_prompt=k,
            first_turn_sampler=first_turn_sampler,
        )
