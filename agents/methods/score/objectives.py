"""SCoRe's objectives as pure functions on tensors (Kumar et al. 2024, arXiv 2409.12917, section 5).

Nothing here knows about models, environments or optimisers: a trainer computes per-token log
probabilities of both turns under the policy and the frozen reference, the verifier's rewards, and
hands them in; these functions return the scalar loss to minimise. Keeping them pure lets the tests
check every term against a hand calculation on tiny tensors.

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
  through a sequence-level advantage. Each turn's KL weight under each objective is in
  `kl_weights`, the one table both placements read.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import NamedTuple

import torch
from torch import Tensor

from agents.policy.scoring import kl_per_sequence
from score_env.wrappers import progress_bonus as shaping_bonus  # Eq. 4: α·(r̂(y2) − r̂(y1))

_REMOVED = {"BASELINE": "leave_one_out_baseline (the only baseline: the string named no switch)"}


def __getattr__(name: str) -> object:
    if name in _REMOVED:
        raise AttributeError(f"{__name__}.{name} was removed; use {_REMOVED[name]}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Objective(str, Enum):
    """Which return each turn gets: the one dispatch point for SCoRe's variants."""

    STAGE_I = "stage_i"  # Eq. 3
    STAGE_II = "stage_ii"  # Eq. 4
    SINGLE_TURN = "single_turn"  # Table 4 ablation "w/o multi-turn training": Eq. 2 on turn 1 only


class KLPenalty(str, Enum):
    """Where the KL against π_ref enters: the return (Eq. 2 as written) or the loss (k3 term)."""

    REWARD = "reward"
    LOSS = "loss"


class Coefficients(NamedTuple):
    """The paper's coefficients (Table 5), named as in the text with the symbol beside them."""

    second_turn_kl_coef: float = 0.01  # β1, Eqs. 3-4: KL weight on every turn Stage II trains
    first_turn_kl_coef: float = 0.1  # β2, Eq. 3: Stage I's strong KL on turn 1 (0.25 for code)
    bonus_coef: float = 10.0  # α, Eq. 4: shaping bonus α·(r̂(y2) − r̂(y1))


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


def kl_weights(objective: Objective, c: Coefficients) -> tuple[float, float]:
    """The KL weight on (turn 1, turn 2) under `objective`.

    Eq. 3 (Stage I): β2 on turn 1, β1 on turn 2. Eq. 4 (Stage II): β1 on both. Eq. 2 on the first
    attempt only (single-turn ablation): β1 on turn 1, turn 2 untrained.
    """
    objective = Objective(objective)
    if objective is Objective.STAGE_I:
        return c.first_turn_kl_coef, c.second_turn_kl_coef
    if objective is Objective.STAGE_II:
        return c.second_turn_kl_coef, c.second_turn_kl_coef
    return c.second_turn_kl_coef, 0.0


def _stage_one_rewards(t1: TurnTerms, t2: TurnTerms, c: Coefficients) -> tuple[Tensor, Tensor]:
    """Eq. 3: turn 1 earns nothing (it is only held near π_ref); turn 2 earns r̂(y2)."""
    return torch.zeros_like(t1.reward), t2.reward


def _stage_two_rewards(t1: TurnTerms, t2: TurnTerms, c: Coefficients) -> tuple[Tensor, Tensor]:
    """Eq. 4 with γ = 0: turn 1 earns r̂(y1); turn 2 earns r̂(y2) + α·(r̂(y2) − r̂(y1))."""
    return t1.reward, t2.reward + shaping_bonus(t1.reward, t2.reward, c.bonus_coef)


def _single_turn_rewards(t1: TurnTerms, t2: TurnTerms, c: Coefficients) -> tuple[Tensor, Tensor]:
    """Eq. 2 on the first attempt alone (Table 4, "w/o multi-turn training"); turn 2 untrained."""
    return t1.reward, torch.zeros_like(t2.reward)


_REWARDS: dict[Objective, Callable[..., tuple[Tensor, Tensor]]] = {
    Objective.STAGE_I: _stage_one_rewards,
    Objective.STAGE_II: _stage_two_rewards,
    Objective.SINGLE_TURN: _single_turn_rewards,
}
_TRAINS_TURN_2 = {Objective.STAGE_I: True, Objective.STAGE_II: True, Objective.SINGLE_TURN: False}


def turn_advantages(
    objective: Objective,
    turn1: TurnTerms,
    turn2: TurnTerms,
    coefficients: Coefficients,
    group_size: int,
    train_turn1: Tensor | None = None,
    kl_penalty: KLPenalty = KLPenalty.REWARD,
) -> Advantages:
    """Each turn's return and leave-one-out advantage under `objective` (the dispatch point).

    Samples are grouped k = `group_size` per prompt, contiguous. `train_turn1` [B] (bool) drops the
    turn-1 policy-gradient term where a first attempt was not sampled from π_θ: Stage II may mix in
    first attempts from the base model (section 5), and those are off-policy for turn 1; their
    second attempts are still on-policy and trained. Computed without gradient, so a trainer can
    take the advantages of a whole batch and then back-propagate `reinforce_loss` micro-batch by
    micro-batch.
    """
    objective = Objective(objective)
    with torch.no_grad():
        kl1 = sequence_kl(turn1.logprobs, turn1.ref_logprobs, turn1.mask)
        kl2 = sequence_kl(turn2.logprobs, turn2.ref_logprobs, turn2.mask)
        return_t1, return_t2 = _REWARDS[objective](turn1, turn2, coefficients)
        if KLPenalty(kl_penalty) is KLPenalty.REWARD:  # Eq. 2: R = r − β·KL
            w1, w2 = kl_weights(objective, coefficients)
            return_t1, return_t2 = return_t1 - w1 * kl1, return_t2 - w2 * kl2
        advantage_t1 = return_t1 - leave_one_out_baseline(return_t1, group_size)
        advantage_t2 = return_t2 - leave_one_out_baseline(return_t2, group_size)
        if train_turn1 is not None:
            advantage_t1 = advantage_t1 * train_turn1.to(advantage_t1.dtype)
        if not _TRAINS_TURN_2[objective]:
            advantage_t2 = torch.zeros_like(advantage_t2)
    return Advantages(return_t1, return_t2, advantage_t1, advantage_t2, kl1, kl2)


def kl_loss(
    objective: Objective,
    turn1: TurnTerms,
    turn2: TurnTerms,
    coefficients: Coefficients,
    train_turn1: Tensor | None = None,
) -> Tensor:
    """The differentiable KL term `(1/B)·Σ_i (w1·Σ_t k3(y1_{i,t}) + w2·Σ_t k3(y2_{i,t}))`.

    (w1, w2) = `kl_weights(objective)`; `k3 = e^ρ − 1 − ρ`, `ρ = log π_ref − log π` per sampled
    token (Schulman's unbiased, non-negative estimator). Rows whose first attempt came from the
    base model (`train_turn1` False) carry no turn-1 term: their y1 is not a sample of π_θ.
    """
    w1, w2 = kl_weights(objective, coefficients)

    first = kl_per_sequence(turn1.logprobs, turn1.ref_logprobs, turn1.mask)
    if train_turn1 is not None:
        first = first * train_turn1.to(first.dtype)
    second = kl_per_sequence(turn2.logprobs, turn2.ref_logprobs, turn2.mask)
    return (w1 * first + w2 * second).mean()


def objective_loss(
    objective: Objective,
    turn1: TurnTerms,
    turn2: TurnTerms,
    coefficients: Coefficients,
    advantages: Advantages,
    train_turn1: Tensor | None = None,
    kl_penalty: KLPenalty = KLPenalty.REWARD,
) -> Tensor:
    """REINFORCE (Eq. 2) on each turn with its `advantages`, plus `kl_loss` when the KL is a loss
    term. The mean over these rows: a trainer that splits a batch averages its micro-batches."""
    loss = reinforce_loss(turn1.logprobs, turn1.mask, advantages.advantage_t1) + reinforce_loss(
        turn2.logprobs, turn2.mask, advantages.advantage_t2
    )
    if KLPenalty(kl_penalty) is KLPenalty.LOSS:
        loss = loss + kl_loss(objective, turn1, turn2, coefficients, train_turn1)
    return loss


def score_objective(
    objective: Objective,
    turn1: TurnTerms,
    turn2: TurnTerms,
    coefficients: Coefficients,
    group_size: int,
    train_turn1: Tensor | None = None,
    kl_penalty: KLPenalty = KLPenalty.REWARD,
) -> ObjectiveOutput:
    """The loss for one whole two-turn batch under `objective`: the returns and advantages of
    Eq. 3 or Eq. 4 (`turn_advantages`), then `objective_loss`."""
    adv = turn_advantages(
        objective, turn1, turn2, coefficients, group_size, train_turn1, kl_penalty
    )
    loss = objective_loss(objective, turn1, turn2, coefficients, adv, train_turn1, kl_penalty)
    return ObjectiveOutput(loss, *adv)
