"""SCoRe's objectives as pure functions on tensors (Kumar et al. 2024, arXiv 2409.12917, section 5).

Nothing here knows about models, environments or optimisers: a trainer computes per-token log
probabilities of both turns under the policy and the frozen reference, the verifier's rewards, and
hands them in with the `Phase` of this update; these functions return the scalar loss to minimise.
Keeping them pure lets the tests check every term against a hand calculation on tiny tensors.

The pieces, each tied to its equation:

* Eq. 2, on-policy REINFORCE with a KL penalty against the frozen base model, after Ahmadian et al.
  2024 ("Back to Basics"): the whole response of a turn is one action; the KL is estimated per
  token, `log π(y_t|·) − log π_ref(y_t|·)` at each generated token, summed over the response, and
  folded into that turn's return: `R = r − β·KL`. The score-function gradient of this return is an
  unbiased gradient of `E[r] − β·KL(π‖π_ref)` (the missing `E[∇ log π]` term is zero).
* The baseline: the paper does not name one. We use the leave-one-out mean over the k samples of the
  same prompt (RLOO, Ahmadian et al. 2024): `b_i = (Σ_{j≠i} R_j) / (k − 1)`
  (`leave_one_out_baseline`). It is unbiased because it does not depend on sample i, and it needs
  no value network.
* Eq. 3, Stage I: maximise `E[r̂(y2, y*)] − β2·KL(π(·|x1) ‖ π_ref(·|x1))`, with the small β1 KL on
  the second turn as well: turn 1 is only held close to the base model, turn 2 is trained for reward.
* Eq. 4, Stage II: maximise `E[Σ_t r̂(y_t, y*)] − β1·Σ_t KL(π(·|x_t) ‖ π_ref(·|x_t))`, where the
  second turn's reward carries the bonus `b = α·(r̂(y2) − r̂(y1))`.
* γ = 0 between turns: each turn is credited only with its own immediate return, so the first
  attempt is never paid for the second one's reward.
* Where the KL goes (`KLPenalty`): Eq. 2 folds it into the return (`"reward"`, the score-function
  estimate above), or it is a differentiable loss term `β·Σ_t k3_t` with
  `k3_t = e^{ρ_t} − 1 − ρ_t`, `ρ_t = log π_ref(y_t|·) − log π(y_t|·)` (`"loss"`, as GRPO does).
  Both pull π toward π_ref; the loss form acts on every sampled token directly instead of
  through a sequence-level advantage.

Which of these an update uses is one frozen `Phase`: its rewards, its two KL weights, whether turn
2 trains, and where the KL goes. `Phase.stage_one`, `Phase.stage_two` and `Phase.single_turn` build
the paper's three; `phase_at` picks one per step from the config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from agents.methods.score.config import KLPenalty, ScoreConfig
from agents.policy.scoring import kl_per_sequence
from agents.removed import removed_names
from score_env.wrappers import progress_bonus as shaping_bonus  # Eq. 4: α·(r̂(y2) − r̂(y1))

_REMOVED = {
    "BASELINE": "leave_one_out_baseline (the only baseline: the string named no switch)",
    "Objective": "Phase (Phase.stage_one / stage_two / single_turn, or phase_at(config, step))",
    "Coefficients": "ScoreConfig's fields; phase_at(config, step) makes them a Phase (kl_coefs, bonus_coef)",
    "kl_weights": "Phase.kl_coefs",
}


__getattr__ = removed_names(__name__, _REMOVED)


@dataclass(frozen=True)
class Phase:
    """Everything one update does: the returns it pays, the KL it charges, the turns it trains.

    R1 = `turn1_reward`·r̂(y1) and R2 = r̂(y2) + α·(r̂(y2) − r̂(y1)) (R2 = 0 when turn 2 does not
    train), then minus (β_1st, β_2nd)·KL = `kl_coefs` per turn, in the return or in the loss
    (`kl_penalty`). `star` marks the Table 4 ablation that replaces REINFORCE by filtered SFT on
    i→c traces (the trainer reads it; the functions here never see such a phase).
    """

    name: str
    stage: int  # 1 (Eq. 3) or 2 (Eq. 4 and its Table 4 ablations)
    turn1_reward: float  # weight of r̂(y1) in R1: 0 in Stage I (Eq. 3), 1 after
    bonus_coef: float  # α, Eq. 4 (0 outside Stage II)
    kl_coefs: tuple[float, float]  # KL weight on (turn 1, turn 2)
    trains_turn2: bool = True
    kl_penalty: KLPenalty = KLPenalty.REWARD
    star: bool = False

    @classmethod
    def stage_one(
        cls, beta1: float, beta2: float, kl_penalty: KLPenalty = KLPenalty.REWARD
    ) -> Phase:
        """Eq. 3: turn 1 earns nothing and is held at π_ref by β2; turn 2 earns r̂(y2), KL β1."""
        return cls("stage_i", 1, 0.0, 0.0, (beta2, beta1), kl_penalty=KLPenalty(kl_penalty))

    @classmethod
    def stage_two(
        cls,
        beta1: float,
        alpha: float,
        kl_penalty: KLPenalty = KLPenalty.REWARD,
        star: bool = False,
    ) -> Phase:
        """Eq. 4 with γ = 0: turn 1 earns r̂(y1), turn 2 r̂(y2) + α·(r̂(y2) − r̂(y1)); β1 on both."""
        name = "star" if star else "stage_ii"
        return cls(name, 2, 1.0, alpha, (beta1, beta1), kl_penalty=KLPenalty(kl_penalty), star=star)

    @classmethod
    def single_turn(cls, beta1: float, kl_penalty: KLPenalty = KLPenalty.REWARD) -> Phase:
        """Table 4, "w/o multi-turn training": Eq. 2 on the first attempt; turn 2 untrained."""
        return cls("single_turn", 2, 1.0, 0.0, (beta1, 0.0), False, KLPenalty(kl_penalty))

    def rewards(self, r1: Tensor, r2: Tensor) -> tuple[Tensor, Tensor]:
        """Each turn's reward before the KL term: (R1, R2) of this phase's equation."""
        shaped = r2 + shaping_bonus(r1, r2, self.bonus_coef)
        return self.turn1_reward * r1, shaped if self.trains_turn2 else torch.zeros_like(r2)


def phase_at(config: ScoreConfig, step: int) -> Phase:
    """What update `step` makes: the one dispatch point for SCoRe and its Table 4 ablations.

    Steps `0 .. stage_one_steps-1` are Stage I (Eq. 3); the rest are Stage II (Eq. 4), or the
    ablation `stage_two_update` names.
    """
    beta1, beta2, alpha = config.second_turn_kl_coef, config.first_turn_kl_coef, config.bonus_coef
    kl = config.kl_penalty
    if step < config.stage_one_steps:
        return Phase.stage_one(beta1, beta2, kl)
    if config.stage_two_update == "single_turn":
        return Phase.single_turn(beta1, kl)
    return Phase.stage_two(beta1, alpha, kl, star=config.stage_two_update == "star")


class TurnTerms(NamedTuple):
    """One turn's per-token log probabilities (all [B, T]) and its verifier reward ([B])."""

    logprobs: Tensor  # log π_θ(y_t | ·): differentiable
    ref_logprobs: Tensor  # log π_ref(y_t | ·) of the frozen base model: no gradient
    mask: Tensor  # 1 on response tokens, 0 on padding
    reward: Tensor  # r̂(y, y*) from the verifier, e.g. 0/1


class Advantages(NamedTuple):
    """Each turn's return and advantage (all [B], detached), for the loss, logging and tests."""

    return_t1: Tensor  # [B] R1: turn 1's KL-regularised return
    return_t2: Tensor  # [B] R2: turn 2's (shaped) KL-regularised return
    advantage_t1: Tensor  # [B] R1 − baseline
    advantage_t2: Tensor  # [B] R2 − baseline
    kl_t1: Tensor  # [B] Σ_t (log π − log π_ref) on turn 1
    kl_t2: Tensor  # [B]


class ObjectiveOutput(NamedTuple):
    """The loss and the terms behind it (all detached except `loss`)."""

    loss: Tensor  # scalar to minimise
    return_t1: Tensor
    return_t2: Tensor
    advantage_t1: Tensor
    advantage_t2: Tensor
    kl_t1: Tensor
    kl_t2: Tensor


def leave_one_out_baseline(returns: Tensor, group_size: int) -> Tensor:
    """`b_i = (Σ_{j≠i} R_j) / (k − 1)` over the k = `group_size` samples of each prompt.

    `returns` is [B] with B = P·k and each prompt's k samples contiguous.

    >>> leave_one_out_baseline(torch.tensor([1.0, 0.0, 0.0, 3.0, 1.0, 2.0]), 3).tolist()
    [0.0, 0.5, 0.5, 1.5, 2.5, 2.0]
    """
    if group_size < 2:
        raise ValueError(
            f"group_size (k samples per prompt) must be >= 2 for a leave-one-out baseline, got {group_size}"
        )
    if returns.ndim != 1 or returns.shape[0] % group_size:
        raise ValueError(
            f"returns must be 1-D with a length divisible by group_size={group_size}, got shape {tuple(returns.shape)}"
        )
    grouped = returns.view(-1, group_size)  # (P, k)
    total = grouped.sum(dim=1, keepdim=True)
    return ((total - grouped) / (group_size - 1)).reshape(-1)


def sequence_kl(logprobs: Tensor, ref_logprobs: Tensor, mask: Tensor) -> Tensor:
    """Per-token KL estimate `log π(y_t|·) − log π_ref(y_t|·)`, summed over each response: [B].

    Its expectation under π is KL(π(·|x) ‖ π_ref(·|x)) of the whole response (Eq. 2's penalty).
    """
    return ((logprobs - ref_logprobs) * mask).sum(dim=-1)


def reinforce_loss(logprobs: Tensor, mask: Tensor, advantages: Tensor) -> Tensor:
    """Eq. 2's REINFORCE surrogate: `−(1/B)·Σ_i A_i·Σ_t log π(y_{i,t}|·)`.

    `advantages` [B] are constants (detached): the gradient is the score function times the
    advantage, one action per response.
    """
    return -(advantages.detach() * (logprobs * mask).sum(dim=-1)).mean()


def turn_advantages(
    phase: Phase, turn1: TurnTerms, turn2: TurnTerms, group_size: int, trains_turn1: Tensor
) -> Advantages:
    """Each turn's return and leave-one-out advantage under `phase` (Eqs. 2-4).

    Samples are grouped k = `group_size` per prompt, contiguous. `trains_turn1` [B] (bool) drops
    the turn-1 policy-gradient term where a first attempt was not sampled from π_θ: Stage II may
    mix in first attempts from the base model (section 5), and those are off-policy for turn 1;
    their second attempts are still on-policy and trained. Computed without gradient, so a trainer
    can take the advantages of a whole batch (the baseline needs every sample of a group) and then
    back-propagate `objective_loss` micro-batch by micro-batch.
    """
    with torch.no_grad():
        kl1 = sequence_kl(turn1.logprobs, turn1.ref_logprobs, turn1.mask)
        kl2 = sequence_kl(turn2.logprobs, turn2.ref_logprobs, turn2.mask)
        return_t1, return_t2 = phase.rewards(turn1.reward, turn2.reward)
        if phase.kl_penalty is KLPenalty.REWARD:  # Eq. 2: R = r − β·KL
            w1, w2 = phase.kl_coefs
            return_t1, return_t2 = return_t1 - w1 * kl1, return_t2 - w2 * kl2
        advantage_t1 = return_t1 - leave_one_out_baseline(return_t1, group_size)
        advantage_t2 = return_t2 - leave_one_out_baseline(return_t2, group_size)
        advantage_t1 = advantage_t1 * trains_turn1.to(advantage_t1.dtype)
        if not phase.trains_turn2:
            advantage_t2 = torch.zeros_like(advantage_t2)
    return Advantages(return_t1, return_t2, advantage_t1, advantage_t2, kl1, kl2)


def kl_loss(phase: Phase, turn1: TurnTerms, turn2: TurnTerms, trains_turn1: Tensor) -> Tensor:
    """The differentiable KL term `(1/B)·Σ_i (w1·Σ_t k3(y1_{i,t}) + w2·Σ_t k3(y2_{i,t}))`.

    (w1, w2) = `phase.kl_coefs`; `k3 = e^ρ − 1 − ρ`, `ρ = log π_ref − log π` per sampled token
    (Schulman's unbiased, non-negative estimator). Rows whose first attempt came from the base
    model (`trains_turn1` False) carry no turn-1 term: their y1 is not a sample of π_θ.
    """
    w1, w2 = phase.kl_coefs
    first = kl_per_sequence(turn1.logprobs, turn1.ref_logprobs, turn1.mask)
    first = first * trains_turn1.to(first.dtype)
    second = kl_per_sequence(turn2.logprobs, turn2.ref_logprobs, turn2.mask)
    return (w1 * first + w2 * second).mean()


def objective_loss(
    phase: Phase, turn1: TurnTerms, turn2: TurnTerms, advantages: Advantages, trains_turn1: Tensor
) -> Tensor:
    """REINFORCE (Eq. 2) on each turn with its `advantages`, plus `kl_loss` when the KL is a loss
    term. The mean over these rows: a trainer that splits a batch averages its micro-batches."""
    loss = reinforce_loss(turn1.logprobs, turn1.mask, advantages.advantage_t1) + reinforce_loss(
        turn2.logprobs, turn2.mask, advantages.advantage_t2
    )
    if phase.kl_penalty is KLPenalty.LOSS:
        loss = loss + kl_loss(phase, turn1, turn2, trains_turn1)
    return loss


def score_objective(
    phase: Phase,
    turn1: TurnTerms,
    turn2: TurnTerms,
    group_size: int,
    trains_turn1: Tensor | None = None,
) -> ObjectiveOutput:
    """The loss for one whole two-turn batch: `turn_advantages` then `objective_loss`.

    `trains_turn1` defaults to every row (all first attempts sampled from π_θ).
    """
    if phase.star:
        raise ValueError(f"phase {phase.name!r} is filtered SFT, not a REINFORCE objective")
    if trains_turn1 is None:
        trains_turn1 = torch.ones(turn1.reward.shape[0], dtype=torch.bool)
    adv = turn_advantages(phase, turn1, turn2, group_size, trains_turn1)
    return ObjectiveOutput(objective_loss(phase, turn1, turn2, adv, trains_turn1), *adv)
