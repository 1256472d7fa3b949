"""The SCoRe trainer: Stage I then Stage II on two-turn rollouts, driven by the run loop.

Per update (`prepare` then `loss` on each micro-batch, see `agents.training.method`):

1. `phase_at(config, step)` returns the frozen `Phase` of this update: its per-turn rewards, KL
   weights, which turns train and where the KL goes. Steps `0 .. stage_one_steps-1` are Stage I
   (Eq. 3); the rest are Stage II, by REINFORCE with the shaped reward (Eq. 4), or one of the
   Table 4 ablations (single-turn REINFORCE, STaR).
2. Sample `env.num_envs` two-turn episodes, k = `samples_per_prompt` per problem (leave-one-out
   groups), with the policy at temperature `sampling.temperature` (1.0 in the paper).
   In Stage II a step's first attempts come from the frozen base model with probability
   `base_first_attempt_fraction` (section 5.2); that step's turn 1 then gets no gradient.
3. REINFORCE phases, in `prepare`: log probabilities of both turns under the frozen reference
   (one forward over each episode's second-turn sequence, which holds the first turn token for
   token), the policy's own log probabilities as its sampler returned them (a scoring forward
   only when the sampler gave none), and from them each turn's return and leave-one-out advantage
   over the whole batch (`objectives.turn_advantages`: the baseline needs every sample of a
   group). Then `loss`, per micro-batch: one differentiable forward over both turns and
   `objectives.objective_loss` with those advantages.
4. STaR phase: keep this step's episodes that turned a wrong first attempt right (and right ones,
   with `star_keep_correct`) and fine-tune turn 2 on them (`agents.methods.star.star_examples`,
   `agents.training.sft.SupervisedUpdates`).

One update, read in three files: this one (`prepare` -> `ctx.collect` -> `_reinforce_batches`,
then `loss`), `objectives.py` (`phase_at`, `turn_advantages`, `objective_loss`: the equations),
and `agents/training/loop.py` (`_update`: `loss / n_micro_batches`, `backward`, clip, AdamW).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from agents.methods.score.config import ScoreConfig
from agents.methods.score.objectives import (
    Advantages,
    Phase,
    TurnTerms,
    objective_loss,
    phase_at,
    turn_advantages,
)
from agents.methods.star import star_examples
from agents.policy import Policy, ResponseLogprobs, kl_per_sequence
from agents.removed import removed_names
from agents.training.method import StepData, TrainContext
from agents.training.rollout import RolloutBatch, TurnBatch
from agents.training.sft import SupervisedUpdates


@dataclass(frozen=True)
class ReinforceMicroBatch:
    """Rows of a two-turn batch with what the loss needs: the reference's log-probs and the
    advantages, both computed over the whole batch in `prepare`."""

    phase: Phase
    turn1: TurnBatch
    turn2: TurnBatch
    ref_logprobs: tuple[Tensor, Tensor]  # (B, T1), (B, T2) under π_ref
    trains_turn1: Tensor  # (B,) bool: False where the first attempt came from the base model
    advantages: Advantages


class ScoreMethod:
    """SCoRe for the run loop (`agents.training.method.Method`)."""

    def __init__(self, ctx: TrainContext, config: ScoreConfig) -> None:
        accum = ctx.config.optim.grad_accum_steps
        if accum != 1:
            raise ValueError(
                f"optim.grad_accum_steps={accum} is not supported by run.method=score: an update "
                "is one batch of env.num_envs episodes (the leave-one-out baseline needs whole "
                "groups), split into optim.micro_batch_size rows; set grad_accum_steps to 1 and "
                "raise env.num_envs for a larger batch"
            )
        self.ctx = ctx
        self.config = config
        self.star = SupervisedUpdates(ctx)  # only used by the `stage_two_update: star` ablation
        self.micro_batch_size = ctx.config.optim.micro_batch_size
        self._base_sampler: Policy | None = None

    # ---------------------------------------------------------------- prepare
    def prepare(self, step: int) -> StepData:
        phase = phase_at(self.config, step)
        use_base = phase.stage == 2 and self._mix_base(step)
        rollout = self.ctx.collect(
            step,
            samples_per_prompt=self.config.samples_per_prompt,
            first_turn_sampler=self._base_policy() if use_base else None,
        )
        metrics = {
            "score/stage": float(phase.stage),
            "score/base_first_attempts": float(use_base),
        }
        if phase.star:  # Table 4: filtered SFT on this step's own corrections
            examples = self.star.set_examples(star_examples(rollout, self.config.star_keep_correct))
            metrics["score/star_kept"] = float(len(examples))
            return self.star.step_data(rollout, metrics)
        micro = self._reinforce_batches(rollout, phase, trains_turn1=not use_base)
        # Trained on: both turns' responses of every episode (the loop adds the generated ones).
        return StepData(
            micro, rollout, metrics, n_samples=2 * len(rollout), n_tokens=rollout.n_tokens()
        )

    def _mix_base(self, step: int) -> bool:
        fraction = self.config.base_first_attempt_fraction
        return (
            fraction > 0 and np.random.default_rng(self.ctx.seed_for(step, 1)).random() < fraction
        )

    def _base_policy(self) -> Policy:
        """A sampler over the frozen reference weights (the base model) with the same tokenizer."""
        if self._base_sampler is None:
            reference = self.ctx.policy.reference
            if reference is None:
                raise ValueError(
                    "base_first_attempt_fraction > 0 needs a policy with a frozen "
                    "reference copy (LoRA policies are not supported for this)"
                )
            cfg = dataclasses.replace(self.ctx.policy.config, frozen_reference=False, lora=None)
            self._base_sampler = Policy(reference, self.ctx.policy.tokenizer, cfg)
        return self._base_sampler

    def _reinforce_batches(
        self, rollout: RolloutBatch, phase: Phase, trains_turn1: bool
    ) -> list[ReinforceMicroBatch]:
        """The whole batch's returns and leave-one-out advantages (the baseline needs every
        sample of a group), then the batch cut into micro-batches for the loss."""
        policy, size = self.ctx.policy, self.micro_batch_size
        t1, t2 = rollout.first, rollout.second
        ref1, ref2 = _chunked(policy.reference_turns, (t1, t2), size)
        sampled = self._sampled_logprobs(t1, t2)
        with torch.no_grad():
            old1, old2 = sampled or _chunked(policy.score_turns, (t1, t2), size)
        trains = torch.full((len(rollout),), trains_turn1, dtype=torch.bool)
        adv = turn_advantages(
            phase,
            _terms(old1.logprobs, ref1.logprobs, old1.mask, t1),
            _terms(old2.logprobs, ref2.logprobs, old2.mask, t2),
            self.config.samples_per_prompt,
            trains,
        )
        out = []
        for start in range(0, len(rollout), size):
            rows = list(range(start, min(start + size, len(rollout))))
            m1, m2 = t1.select(rows), t2.select(rows)
            refs = (_trim(ref1.logprobs[rows], m1), _trim(ref2.logprobs[rows], m2))
            sub = Advantages(*(x[rows] for x in adv))
            out.append(ReinforceMicroBatch(phase, m1, m2, refs, trains[rows], sub))
        return out

    def _sampled_logprobs(self, *turns: TurnBatch) -> tuple[ResponseLogprobs, ...] | None:
        """The policy's log-probs as its sampler returned them, when they are the ones the loss
        scores (temperature 1, every turn sampled by the policy); None otherwise."""
        sampling = self.ctx.config.sampling
        if not (sampling.greedy or sampling.temperature == 1.0):
            return None
        if any(t.logprobs is None for t in turns):
            return None
        return tuple(_padded(t.logprobs or [], t) for t in turns)

    # ---------------------------------------------------------------- loss
    def loss(self, micro_batch: Any) -> tuple[Tensor, dict[str, float]]:
        if not isinstance(micro_batch, ReinforceMicroBatch):  # a list of SFTExample (STaR phase)
            return self.star.loss(micro_batch)
        return self._reinforce_loss(micro_batch)

    def _reinforce_loss(self, mb: ReinforceMicroBatch) -> tuple[Tensor, dict[str, float]]:
        """One differentiable forward over both turns (the second turn's sequence holds the
        first), then Eq. 2 with the advantages `prepare` computed for the whole batch."""
        s1, s2 = self.ctx.policy.score_turns(_pairs((mb.turn1, mb.turn2)), model=self.ctx.model)
        terms1 = _terms(s1.logprobs, mb.ref_logprobs[0], s1.mask, mb.turn1)
        terms2 = _terms(s2.logprobs, mb.ref_logprobs[1], s2.mask, mb.turn2)
        adv = mb.advantages
        loss = objective_loss(mb.phase, terms1, terms2, adv, mb.trains_turn1)
        tokens = s1.mask.sum() + s2.mask.sum()
        entropy = ((s1.entropy.sum() + s2.entropy.sum()) / tokens.clamp(min=1)).item()
        with torch.no_grad():
            kl1 = kl_per_sequence(terms1.logprobs, terms1.ref_logprobs, terms1.mask).mean()
            kl2 = kl_per_sequence(terms2.logprobs, terms2.ref_logprobs, terms2.mask).mean()
        return loss, {
            "train/kl_t1": kl1.item(),
            "train/kl_t2": kl2.item(),
            "train/entropy": entropy,
            "score/return_t1": adv.return_t1.mean().item(),
            "score/return_t2": adv.return_t2.mean().item(),
            "score/abs_advantage_t2": adv.advantage_t2.abs().mean().item(),
        }

    # ---------------------------------------------------------------- resume
    def state_dict(self) -> dict[str, Any]:
        # Every step's rollouts are sampled afresh from a seed fixed by the step; only the STaR
        # ablation's dataset carries over.
        return {"star_dataset": self.star.dataset.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.star.dataset.load_state_dict(state["star_dataset"])


def _pairs(turns: Sequence[TurnBatch]) -> list[tuple[list[list[int]], list[list[int]]]]:
    return [(t.prompt_ids, t.response_ids) for t in turns]


@torch.no_grad()
def _chunked(score: Any, turns: Sequence[TurnBatch], size: int) -> list[ResponseLogprobs]:
    """`score([(prompts, responses), ...])` in chunks of `size` rows (memory: the logits of a
    whole batch of long responses under a large vocabulary do not fit), one (B, T) per turn."""
    n = len(turns[0].texts)
    parts = [
        score(_pairs([t.select(range(i, min(i + size, n))) for t in turns]))
        for i in range(0, n, size)
    ]
    out = []
    for j in range(len(turns)):
        chunks = [part[j] for part in parts]
        width = max(c.logprobs.shape[1] for c in chunks)

        def cat(tensors: list[Tensor], width: int = width) -> Tensor:
            return torch.cat([torch.nn.functional.pad(t, (0, width - t.shape[1])) for t in tensors])

        out.append(
            ResponseLogprobs(cat([c.logprobs for c in chunks]), cat([c.mask for c in chunks]))
        )
    return out


def _padded(rows: list[list[float]], turn: TurnBatch) -> ResponseLogprobs:
    """Per-token values of each response as one (B, T) tensor and its mask."""
    width = max(1, max(len(r) for r in turn.response_ids))
    values, mask = torch.zeros(len(rows), width), torch.zeros(len(rows), width)
    for i, row in enumerate(rows):
        values[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1.0
    return ResponseLogprobs(values, mask)


def _terms(logprobs: Tensor, ref_logprobs: Tensor, mask: Tensor, turn: TurnBatch) -> TurnTerms:
    reward = torch.as_tensor(turn.rewards, dtype=torch.float32, device=logprobs.device)
    return TurnTerms(logprobs, _trim(ref_logprobs, turn).to(logprobs.device), mask, reward)


def _trim(logprobs: Tensor, turn: TurnBatch) -> Tensor:
    """Cut padding columns so a row subset's (B, T) matches a fresh scoring of those rows."""
    return logprobs[:, : max(1, max(len(r) for r in turn.response_ids))]


def build(ctx: TrainContext, config: ScoreConfig) -> ScoreMethod:
    return ScoreMethod(ctx, config)


# The registry builds the spec from the class and builder `catalog.METHODS` names.
__getattr__ = removed_names(__name__, {"SPEC": "agents.training.registry.get_method('score')"})
