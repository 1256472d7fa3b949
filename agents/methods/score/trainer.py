"""The SCoRe trainer: Stage I then Stage II on two-turn rollouts, driven by the run loop.

Per update (`prepare` then `loss` on each micro-batch, see `agents.training.method`):

1. `phase_at(step)` picks what this update does: the one dispatch point for SCoRe's variants.
   Steps `0 .. stage_one_steps-1` are Stage I (Eq. 3); the rest are Stage II, by REINFORCE with
   the shaped reward (Eq. 4), or one of the Table 4 ablations (single-turn REINFORCE, STaR).
2. Sample `env.num_envs` two-turn episodes, k = `samples_per_prompt` per problem (leave-one-out
   groups), with the policy at temperature `sampling.temperature` (1.0 in the paper).
   In Stage II a step's first attempts come from the frozen base model with probability
   `base_first_attempt_fraction` (section 5.2); that step's turn 1 then gets no gradient.
3. REINFORCE phases: log probabilities of both turns under the frozen reference, each turn's
   return and leave-one-out advantage (`objectives.turn_advantages`), and the REINFORCE loss
   (`objectives.reinforce_loss`) per micro-batch. When the whole batch is one micro-batch the
   policy's log probabilities come from the same forward pass that is back-propagated; otherwise
   they are computed once without gradient in `prepare`, because the leave-one-out baseline needs
   the whole group's returns before any micro-batch's loss.
4. STaR phase: keep this step's episodes that turned a wrong first attempt right (and right ones,
   with `star_keep_correct`) and fine-tune turn 2 on them (`agents.methods.star.star_examples`,
   `agents.training.sft.SupervisedUpdates`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import torch
from torch import Tensor

from agents.methods.score.config import ScoreConfig
from agents.methods.score.objectives import (
    Advantages,
    KLPenalty,
    Objective,
    TurnTerms,
    objective_loss,
    turn_advantages,
)
from agents.methods.star import star_examples
from agents.policy import Policy, ResponseLogprobs
from agents.training.method import StepData, TrainContext
from agents.training.registry import MethodSpec
from agents.training.rollout import RolloutBatch, TurnBatch
from agents.training.sft import SupervisedUpdates


class Phase(str, Enum):
    STAGE_I = "stage_i"  # Eq. 3
    STAGE_II = "stage_ii"  # Eq. 4
    SINGLE_TURN = "single_turn"  # Table 4: w/o multi-turn training
    STAR = "star"  # Table 4: STaR instead of REINFORCE in Stage II


_STAGE_TWO = {"reinforce": Phase.STAGE_II, "single_turn": Phase.SINGLE_TURN, "star": Phase.STAR}
_OBJECTIVE = {
    Phase.STAGE_I: Objective.STAGE_I,
    Phase.STAGE_II: Objective.STAGE_II,
    Phase.SINGLE_TURN: Objective.SINGLE_TURN,
}


def phase_at(config: ScoreConfig, step: int) -> Phase:
    """What update `step` makes: Stage I for the first `stage_one_steps`, then Stage II's kind."""
    return Phase.STAGE_I if step < config.stage_one_steps else _STAGE_TWO[config.stage_two_update]


@dataclass(frozen=True)
class ReinforceMicroBatch:
    """Rows of a two-turn batch with what the loss needs; `advantages` is None when this
    micro-batch is the whole batch (then they come from the differentiable forward itself)."""

    objective: Objective
    turn1: TurnBatch
    turn2: TurnBatch
    ref_logprobs: tuple[Tensor, Tensor]  # (B, T1), (B, T2) under π_ref
    train_turn1: Tensor  # (B,) bool
    advantages: Advantages | None


class ScoreMethod:
    """SCoRe for the run loop (`agents.training.method.Method`)."""

    def __init__(self, ctx: TrainContext, config: ScoreConfig) -> None:
        self.ctx = ctx
        self.config = config
        self.coefficients = config.coefficients
        self.kl_penalty = KLPenalty(config.kl_penalty)
        self.star = SupervisedUpdates(ctx)  # only used by the `stage_two_update: star` ablation
        self.micro_batch_size = ctx.config.optim.micro_batch_size
        self._base_sampler: Policy | None = None

    # ---------------------------------------------------------------- prepare
    def prepare(self, step: int) -> StepData:
        phase = phase_at(self.config, step)
        use_base = phase is not Phase.STAGE_I and self._mix_base(step)
        rollout = self.ctx.collect(
            step,
            samples_per_prompt=self.config.samples_per_prompt,
            first_turn_sampler=self._base_policy() if use_base else None,
        )
        metrics = {
            "score/stage": 1.0 if phase is Phase.STAGE_I else 2.0,
            "score/base_first_attempts": float(use_base),
        }
        if phase is Phase.STAR:  # Table 4: filtered SFT on this step's own corrections
            examples = self.star.set_examples(star_examples(rollout, self.config.star_keep_correct))
            metrics["score/star_kept"] = float(len(examples))
            return self.star.step_data(rollout, metrics)
        micro = self._reinforce_batches(rollout, _OBJECTIVE[phase], train_turn1=not use_base)
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
        self, rollout: RolloutBatch, objective: Objective, train_turn1: bool
    ) -> list[ReinforceMicroBatch]:
        policy, (t1, t2) = self.ctx.policy, (rollout.first, rollout.second)
        size = self.micro_batch_size
        ref1 = _chunked(policy.reference_logprobs, t1, size).logprobs
        ref2 = _chunked(policy.reference_logprobs, t2, size).logprobs
        trains = torch.full((len(rollout),), train_turn1, dtype=torch.bool)
        if len(rollout) <= self.micro_batch_size:  # one pass: advantages from the same forward
            return [ReinforceMicroBatch(objective, t1, t2, (ref1, ref2), trains, None)]
        with torch.no_grad():
            terms1 = _terms(_chunked(policy.response_logprobs, t1, size), ref1, t1)
            terms2 = _terms(_chunked(policy.response_logprobs, t2, size), ref2, t2)
            adv = turn_advantages(
                objective,
                terms1,
                terms2,
                self.coefficients,
                self.config.samples_per_prompt,
                trains,
                self.kl_penalty,
            )
        out = []
        for start in range(0, len(rollout), self.micro_batch_size):
            rows = list(range(start, min(start + self.micro_batch_size, len(rollout))))
            sub = Advantages(*(x[rows] for x in adv))
            out.append(
                ReinforceMicroBatch(
                    objective,
                    t1.select(rows),
                    t2.select(rows),
                    (_trim(ref1[rows], t1.select(rows)), _trim(ref2[rows], t2.select(rows))),
                    trains[rows],
                    sub,
                )
            )
        return out

    # ---------------------------------------------------------------- loss
    def loss(self, micro_batch: Any) -> tuple[Tensor, dict[str, float]]:
        if not isinstance(micro_batch, ReinforceMicroBatch):  # a list of SFTExample (STaR phase)
            return self.star.loss(micro_batch)
        return self._reinforce_loss(micro_batch)

    def _reinforce_loss(self, mb: ReinforceMicroBatch) -> tuple[Tensor, dict[str, float]]:
        policy, model = self.ctx.policy, self.ctx.model
        s1 = policy.score(mb.turn1.prompt_ids, mb.turn1.response_ids, model=model)
        s2 = policy.score(mb.turn2.prompt_ids, mb.turn2.response_ids, model=model)
        terms1 = _terms(s1, mb.ref_logprobs[0], mb.turn1)
        terms2 = _terms(s2, mb.ref_logprobs[1], mb.turn2)
        adv = mb.advantages or turn_advantages(
            mb.objective,
            terms1,
            terms2,
            self.coefficients,
            self.config.samples_per_prompt,
            mb.train_turn1,
            self.kl_penalty,
        )
        loss = objective_loss(
            mb.objective, terms1, terms2, self.coefficients, adv, mb.train_turn1, self.kl_penalty
        )
        tokens = s1.mask.sum() + s2.mask.sum()
        entropy = ((s1.entropy.sum() + s2.entropy.sum()) / tokens.clamp(min=1)).item()
        return loss, {
            "train/kl_t1": adv.kl_t1.mean().item(),
            "train/kl_t2": adv.kl_t2.mean().item(),
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


@torch.no_grad()
def _chunked(score: Any, turn: TurnBatch, size: int) -> ResponseLogprobs:
    """`score(prompt_ids, response_ids)` in chunks of `size` rows (memory: the logits of a whole
    batch of long responses under a large vocabulary do not fit), padded to one (B, T)."""
    parts = [
        score(turn.prompt_ids[i : i + size], turn.response_ids[i : i + size])
        for i in range(0, len(turn.texts), size)
    ]
    width = max(p.logprobs.shape[1] for p in parts)

    def cat(tensors: list[Tensor]) -> Tensor:
        return torch.cat([torch.nn.functional.pad(t, (0, width - t.shape[1])) for t in tensors])

    return ResponseLogprobs(cat([p.logprobs for p in parts]), cat([p.mask for p in parts]))


def _terms(scored: Any, ref_logprobs: Tensor, turn: TurnBatch) -> TurnTerms:
    reward = torch.as_tensor(turn.rewards, dtype=torch.float32, device=scored.logprobs.device)
    return TurnTerms(
        scored.logprobs, _trim(ref_logprobs, turn).to(scored.logprobs.device), scored.mask, reward
    )


def _trim(logprobs: Tensor, turn: TurnBatch) -> Tensor:
    """Cut padding columns so a row subset's (B, T) matches a fresh scoring of those rows."""
    return logprobs[:, : max(1, max(len(r) for r in turn.response_ids))]


def build(ctx: TrainContext, config: ScoreConfig) -> ScoreMethod:
    return ScoreMethod(ctx, config)


SPEC = MethodSpec(
    config_cls=ScoreConfig,
    build=build,
    description="SCoRe (Kumar et al. 2024): Stage I (Eq. 3) then Stage II (Eq. 4), and ablations",
)
