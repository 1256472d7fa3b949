"""Supervised fine-tuning on chosen turns: the loss and the dataset STaR and Pair-SFT share.

An `SFTExample` is one (context, response) pair: the context is everything the policy saw before
the turn being taught (for a correction: the problem, the first attempt and the instruction,
token-exact), the response is the target. The loss is the negative log-likelihood of the response
tokens only, through the policy's mask, so the context (including the first attempt) gets no
gradient: only the turn being taught is trained.

Normalisation: each sequence's NLL is averaged over its own tokens, then sequences are averaged.
Every example weighs the same regardless of length, and because DDP averages gradients over
processes, N processes with B/N sequences each give the same update as one with B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import Tensor

from agents.training.method import StepData, TrainContext
from agents.training.rollout import RolloutBatch


@dataclass(frozen=True)
class SFTExample:
    """One supervised target: `response_ids` given `prompt_ids`; `kind` says where it came from
    (e.g. "i->c" for a corrected trace), for logging the dataset's make-up."""

    prompt_ids: tuple[int, ...]
    response_ids: tuple[int, ...]
    kind: str

    def __post_init__(self) -> None:
        if not self.response_ids:
            raise ValueError("SFTExample.response_ids is empty: there is nothing to train on")


def sft_loss(logprobs: Tensor, mask: Tensor) -> Tensor:
    """Mean over sequences of the mean NLL of each sequence's response tokens.

    logprobs, mask: [B, T] (log pi(y_t | context, y_<t) and 1 on real response tokens).
    loss = (1/B) * sum_b [ -sum_t mask[b,t] * logprobs[b,t] / sum_t mask[b,t] ]
    """
    if logprobs.shape != mask.shape or logprobs.dim() != 2:
        raise ValueError(
            f"logprobs {tuple(logprobs.shape)} and mask {tuple(mask.shape)} must be "
            "the same [B, T] shape"
        )
    mask = mask.to(logprobs.dtype)
    tokens = mask.sum(dim=1)
    if bool((tokens == 0).any()):
        raise ValueError("sft_loss: a sequence has no response tokens under the mask")
    per_sequence = -(logprobs * mask).sum(dim=1) / tokens  # [B]
    return per_sequence.mean()


class SFTDataset:
    """A list of examples served as fixed-size micro-batches, cycling with a seeded reshuffle
    each epoch. Its `state_dict` (the examples and the position) is what makes a resumed run read
    the same data in the same order."""

    def __init__(self, seed: int) -> None:
        self.examples: list[SFTExample] = []
        self.seed = seed
        self.epoch = 0
        self.position = 0
        self._order: list[int] = []

    def replace(self, examples: Sequence[SFTExample]) -> None:
        """Start over on a new dataset (a new STaR iteration)."""
        self.examples = list(examples)
        self.epoch = 0
        self.position = 0
        self._order = self._shuffled()

    def __len__(self) -> int:
        return len(self.examples)

    def next_batch(self, size: int) -> list[SFTExample]:
        """The next `size` examples, wrapping into a freshly shuffled epoch as needed."""
        if not self.examples:
            raise RuntimeError("SFTDataset.next_batch on an empty dataset")
        batch: list[SFTExample] = []
        while len(batch) < size:
            if self.position >= len(self._order):
                self.epoch += 1
                self.position = 0
                self._order = self._shuffled()
            batch.append(self.examples[self._order[self.position]])
            self.position += 1
        return batch

    def _shuffled(self) -> list[int]:
        rng = np.random.default_rng([self.seed, self.epoch])
        return [int(i) for i in rng.permutation(len(self.examples))]

    def state_dict(self) -> dict[str, Any]:
        return {
            "examples": [(e.prompt_ids, e.response_ids, e.kind) for e in self.examples],
            "seed": self.seed,
            "epoch": self.epoch,
            "position": self.position,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.examples = [SFTExample(tuple(p), tuple(r), k) for p, r, k in state["examples"]]
        self.seed, self.epoch, self.position = state["seed"], state["epoch"], state["position"]
        self._order = self._shuffled()


def kind_counts(examples: Sequence[SFTExample]) -> dict[str, int]:
    """How many examples of each kind, for logging a dataset's make-up."""
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    return counts


def as_lists(examples: Sequence[SFTExample]) -> tuple[list[list[int]], list[list[int]]]:
    """Prompt and response ids as the lists of lists `Policy.response_logprobs` takes."""
    return [list(e.prompt_ids) for e in examples], [list(e.response_ids) for e in examples]


def token_count(examples: Sequence[SFTExample]) -> int:
    return int(sum(len(e.response_ids) for e in examples))


class SupervisedUpdates:
    """The update half of STaR and Pair-SFT: a dataset shared by all processes, served as
    micro-batches, and the masked NLL on them.

    `set_examples` gathers every process's examples (in rank order), so all processes hold the same
    dataset; each update draws `grad_accum_steps` global micro-batches of
    `micro_batch_size x processes` examples and each process trains on its slice.
    """

    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        self.dataset = SFTDataset(seed=ctx.config.run.seed)

    def set_examples(self, local: Sequence[SFTExample]) -> list[SFTExample]:
        """Replace the dataset by the union of every process's `local` examples; returns it."""
        from accelerate.utils import gather_object

        examples = list(local)
        if self.ctx.world_size > 1:
            parts: list[list[SFTExample]] = gather_object([examples])  # one list per process
            examples = [e for part in parts for e in part]  # in rank order
        self.dataset.replace(examples)
        return examples

    def step_data(
        self, rollout: RolloutBatch | None = None, metrics: dict[str, float] | None = None
    ) -> StepData:
        """This process's micro-batches for one update (none while the dataset is empty)."""
        optim, rank = self.ctx.config.optim, self.ctx.rank
        micro: list[list[SFTExample]] = []
        if len(self.dataset):
            size = optim.micro_batch_size
            for _ in range(optim.grad_accum_steps):
                batch = self.dataset.next_batch(size * self.ctx.world_size)
                micro.append(batch[rank * size : (rank + 1) * size])
        return StepData(
            micro_batches=micro,
            rollout=rollout,
            metrics={
                "sft/dataset_size": float(len(self.dataset)),
                "sft/epoch": float(self.dataset.epoch),
                **(metrics or {}),
            },
            n_samples=sum(len(m) for m in micro),
            n_tokens=sum(token_count(m) for m in micro),
        )

    def loss(self, micro_batch: list[SFTExample]) -> tuple[Tensor, dict[str, float]]:
        prompts, responses = as_lists(micro_batch)
        logprobs, mask = self.ctx.policy.response_logprobs(prompts, responses, model=self.ctx.model)
        return sft_loss(logprobs, mask), {}


class SupervisedMethod:
    """What every supervised method shares (all of `Method` but `prepare`): the masked NLL on the
    dataset, and the dataset with its position as the state a resume restores."""

    def __init__(self, ctx: TrainContext) -> None:
        self.ctx = ctx
        self.updates = SupervisedUpdates(ctx)

    def loss(self, micro_batch: list[SFTExample]) -> tuple[Tensor, dict[str, float]]:
        return self.updates.loss(micro_batch)

    def state_dict(self) -> dict[str, Any]:
        return {"dataset": self.updates.dataset.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.updates.dataset.load_state_dict(state["dataset"])
