"""SCoRe's objectives (Eqs. 2-4) against hand calculations on tiny tensors.

The batch: 2 prompts x k=2 samples, responses of 2 tokens. Every number below was worked out by hand
(the arithmetic is in the comments), not produced by the code under test.
"""

from __future__ import annotations

import pytest
import torch

from agents.methods.score.config import KLPenalty, ScoreConfig
from agents.methods.score.objectives import (
    Phase,
    TurnTerms,
    kl_loss,
    leave_one_out_baseline,
    phase_at,
    reinforce_loss,
    score_objective,
    sequence_kl,
    shaping_bonus,
)

STAGE_I = Phase.stage_one(beta1=0.1, beta2=0.5)  # Eq. 3
STAGE_II = Phase.stage_two(beta1=0.1, alpha=2.0)  # Eq. 4
SINGLE_TURN = Phase.single_turn(beta1=0.1)  # Table 4, w/o multi-turn training
ALL = torch.ones(4, dtype=torch.bool)  # every first attempt sampled from π_θ
K = 2


def _turns() -> tuple[TurnTerms, TurnTerms]:
    t = torch.tensor
    turn1 = TurnTerms(
        logprobs=t([[-1.0, -2.0], [-0.5, -0.5], [-1.0, 0.0], [-2.0, -1.0]], requires_grad=True),
        ref_logprobs=t([[-1.5, -2.0], [-0.5, -1.5], [-1.0, -1.0], [-1.0, -1.0]]),
        mask=t([[1.0, 1.0], [1.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
        reward=t([0.0, 1.0, 1.0, 0.0]),
    )
    turn2 = TurnTerms(
        logprobs=t([[-1.0, -1.0], [-2.0, -1.0], [-1.0, -1.0], [-1.0, -1.0]], requires_grad=True),
        ref_logprobs=t([[-2.0, -1.0], [-2.0, -1.0], [-1.0, -3.0], [-1.0, -1.0]]),
        mask=torch.ones(4, 2),
        reward=t([1.0, 1.0, 0.0, 0.0]),
    )
    return turn1, turn2


# KL1 = [0.5+0, 0+1, 0 (2nd token masked), -1+0] ; KL2 = [1, 0, 0+2, 0]
# Σ_t log π: S1 = [-3, -1, -1, -3] ; S2 = [-2, -3, -2, -2]


def test_leave_one_out_baseline_by_hand() -> None:
    # group (1, 0, 0): others' means (0+0)/2, (1+0)/2, (1+0)/2 ; group (3, 1, 2): 1.5, 2.5, 2
    got = leave_one_out_baseline(torch.tensor([1.0, 0.0, 0.0, 3.0, 1.0, 2.0]), 3)
    assert got.tolist() == [0.0, 0.5, 0.5, 1.5, 2.5, 2.0]


def test_leave_one_out_baseline_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="group_size"):
        leave_one_out_baseline(torch.zeros(4), 1)
    with pytest.raises(ValueError, match="divisible by group_size=3"):
        leave_one_out_baseline(torch.zeros(4), 3)


def test_sequence_kl_sums_masked_per_token_log_ratios() -> None:
    turn1, turn2 = _turns()
    assert sequence_kl(turn1.logprobs, turn1.ref_logprobs, turn1.mask).tolist() == [
        0.5,
        1.0,
        0.0,
        -1.0,
    ]
    assert sequence_kl(turn2.logprobs, turn2.ref_logprobs, turn2.mask).tolist() == [
        1.0,
        0.0,
        2.0,
        0.0,
    ]


def test_shaping_bonus_pays_for_fixing_and_charges_for_breaking() -> None:
    # α(r2 − r1) with α=2: i→c +2, c→c 0, c→i −2, i→i 0
    got = shaping_bonus(torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([1.0, 1.0, 0.0, 0.0]), 2.0)
    assert got.tolist() == [2.0, 0.0, -2.0, 0.0]


def test_reinforce_loss_and_gradient_by_hand() -> None:
    logprobs = torch.tensor([[-1.0, -2.0], [-0.5, -0.5]], requires_grad=True)
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    advantages = torch.tensor([2.0, -1.0])
    loss = reinforce_loss(logprobs, mask, advantages)
    # −(1/2)·(2·(−1) + (−1)·(−1)) = −(1/2)·(−1) = 0.5
    assert loss.item() == pytest.approx(0.5)
    loss.backward()
    # ∂/∂logprob = −A_i·mask/B
    assert logprobs.grad is not None
    assert logprobs.grad.tolist() == [[-1.0, 0.0], [0.5, 0.5]]


def test_stage_one_eq3_by_hand() -> None:
    turn1, turn2 = _turns()
    out = score_objective(STAGE_I, turn1, turn2, K)
    # R1 = −β2·KL1 = −0.5·[0.5, 1, 0, −1]; R2 = r2 − β1·KL2 = [1−0.1, 1−0, 0−0.2, 0−0]
    assert out.return_t1.tolist() == pytest.approx([-0.25, -0.5, 0.0, 0.5])
    assert out.return_t2.tolist() == pytest.approx([0.9, 1.0, -0.2, 0.0])
    # leave-one-out with k=2: the baseline is the other sample of the same prompt
    assert out.advantage_t1.tolist() == pytest.approx([0.25, -0.25, -0.5, 0.5])
    assert out.advantage_t2.tolist() == pytest.approx([-0.1, 0.1, -0.2, 0.2])
    # loss = −¼·Σ A1·S1 − ¼·Σ A2·S2 = −¼·(−1.5) − ¼·(−0.1) = 0.375 + 0.025
    assert out.loss.item() == pytest.approx(0.4)
    out.loss.backward()
    assert turn1.logprobs.grad is not None
    expected = -torch.tensor([0.25, -0.25, -0.5, 0.5])[:, None] * turn1.mask / 4
    assert torch.allclose(turn1.logprobs.grad, expected)


def test_stage_two_eq4_by_hand() -> None:
    turn1, turn2 = _turns()
    out = score_objective(STAGE_II, turn1, turn2, K)
    # R1 = r1 − β1·KL1 = [0−0.05, 1−0.1, 1−0, 0+0.1]
    assert out.return_t1.tolist() == pytest.approx([-0.05, 0.9, 1.0, 0.1])
    # R2 = r2 + α(r2−r1) − β1·KL2 = [1+2−0.1, 1+0−0, 0−2−0.2, 0+0−0]
    assert out.return_t2.tolist() == pytest.approx([2.9, 1.0, -2.2, 0.0])
    assert out.advantage_t1.tolist() == pytest.approx([-0.95, 0.95, 0.9, -0.9])
    assert out.advantage_t2.tolist() == pytest.approx([1.9, -1.9, -2.2, 2.2])
    # −¼·(2.85 − 0.95 − 0.9 + 2.7) − ¼·(−3.8 + 5.7 + 4.4 − 4.4) = −0.925 − 0.475
    assert out.loss.item() == pytest.approx(-1.4)
    assert out.kl_t1.tolist() == [0.5, 1.0, 0.0, -1.0]
    assert out.kl_t2.tolist() == [1.0, 0.0, 2.0, 0.0]


def test_stage_two_drops_turn1_gradient_of_base_model_first_attempts() -> None:
    turn1, turn2 = _turns()
    off_policy = torch.tensor([True, False, True, True])  # sample 1's y1 came from the base model
    out = score_objective(STAGE_II, turn1, turn2, K, trains_turn1=off_policy)
    # A1[1] zeroed: −¼·(2.85 + 0 − 0.9 + 2.7) − 0.475 = −1.1625 − 0.475
    assert out.advantage_t1.tolist() == pytest.approx([-0.95, 0.0, 0.9, -0.9])
    assert out.loss.item() == pytest.approx(-1.6375)


def test_single_turn_ablation_trains_only_the_first_attempt() -> None:
    turn1, turn2 = _turns()
    out = score_objective(SINGLE_TURN, turn1, turn2, K)
    assert out.advantage_t2.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert out.loss.item() == pytest.approx(-0.925)
    out.loss.backward()
    assert turn2.logprobs.grad is not None
    assert not turn2.logprobs.grad.any()


def test_alpha_zero_is_plain_two_turn_reinforce() -> None:
    turn1, turn2 = _turns()
    out = score_objective(Phase.stage_two(beta1=0.1, alpha=0.0), turn1, turn2, K)
    # R2 = r2 − β1·KL2 = [0.9, 1.0, −0.2, 0.0]
    assert out.return_t2.tolist() == pytest.approx([0.9, 1.0, -0.2, 0.0])


def test_phase_at_maps_each_config_to_its_equation() -> None:
    config = ScoreConfig(
        stage_one_steps=2, second_turn_kl_coef=0.1, first_turn_kl_coef=0.5, bonus_coef=2.0
    )
    assert [phase_at(config, s) for s in range(4)] == [STAGE_I] * 2 + [STAGE_II] * 2
    assert STAGE_I.kl_coefs == (0.5, 0.1)  # β2 on turn 1, β1 on turn 2 (Eq. 3)
    assert STAGE_II.kl_coefs == (0.1, 0.1)  # β1 on both (Eq. 4)
    assert SINGLE_TURN.kl_coefs == (0.1, 0.0)  # turn 2 untrained
    assert not SINGLE_TURN.trains_turn2
    single = ScoreConfig(stage_one_steps=0, stage_two_update="single_turn", bonus_coef=2.0)
    assert phase_at(single, 0) == Phase.single_turn(beta1=0.01)
    star = phase_at(ScoreConfig(stage_one_steps=0, stage_two_update="star"), 0)
    assert star.star and star.stage == 2
    loss = phase_at(ScoreConfig(kl_penalty="loss"), 0)  # type: ignore[arg-type]
    assert loss.kl_penalty is KLPenalty.LOSS


def test_phase_rewards_follow_eqs_3_and_4() -> None:
    r1, r2 = torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([1.0, 1.0, 0.0, 0.0])
    assert [x.tolist() for x in STAGE_I.rewards(r1, r2)] == [[0, 0, 0, 0], [1, 1, 0, 0]]
    # r2 + α(r2 − r1) with α = 2: i→c 3, c→c 1, c→i −2, i→i 0
    assert [x.tolist() for x in STAGE_II.rewards(r1, r2)] == [[0, 1, 1, 0], [3, 1, -2, 0]]
    assert [x.tolist() for x in SINGLE_TURN.rewards(r1, r2)] == [[0, 1, 1, 0], [0, 0, 0, 0]]


def test_kl_as_a_loss_term_by_hand() -> None:
    turn1, turn2 = _turns()
    # k3(ρ) = e^ρ − 1 − ρ with ρ = log π_ref − log π per token:
    # turn 1: ρ rows [−0.5, 0], [0, −1], [0, masked], [1, 0] -> Σ k3 = [0.106531, 0.367879, 0, 0.718282]
    # turn 2: ρ rows [−1, 0], [0, 0], [0, −2], [0, 0]      -> Σ k3 = [0.367879, 0, 1.135335, 0]
    got = kl_loss(STAGE_I, turn1, turn2, ALL)
    # (1/4)·(β2·1.192692 + β1·1.503214) = (0.596346 + 0.150321) / 4
    assert got.item() == pytest.approx(0.186667, abs=1e-6)
    got.backward()
    # ∂k3/∂log π = 1 − e^ρ; row 3, token 0 of turn 1: (1 − e)·β2/4
    assert turn1.logprobs.grad is not None
    assert turn1.logprobs.grad[3, 0].item() == pytest.approx((1 - 2.718282) * 0.5 / 4, abs=1e-6)
    assert turn1.logprobs.grad[2, 1].item() == 0.0  # masked token


def test_stage_one_with_kl_in_the_loss_by_hand() -> None:
    turn1, turn2 = _turns()
    out = score_objective(Phase.stage_one(0.1, 0.5, KLPenalty.LOSS), turn1, turn2, K)
    # The returns carry no KL: R1 = 0, R2 = r2 = [1, 1, 0, 0]; each pair agrees, so A = 0 and
    # the loss is the KL term alone.
    assert out.return_t1.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert out.return_t2.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert out.advantage_t2.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert out.loss.item() == pytest.approx(0.186667, abs=1e-6)


def test_kl_loss_skips_first_attempts_from_the_base_model() -> None:
    turn1, turn2 = _turns()
    off_policy = torch.tensor([True, True, True, False])  # row 3's y1 came from the base model
    got = kl_loss(STAGE_II, turn1, turn2, off_policy)
    # β1·(0.106531 + 0.367879 + 0 + 0) + β1·1.503214, over 4 rows
    assert got.item() == pytest.approx(0.1 * (0.474410 + 1.503214) / 4, abs=1e-6)


def test_one_bonus_function_and_a_removed_name_points_to_its_replacement() -> None:
    import agents.methods.score as score
    from score_env.wrappers import progress_bonus

    assert shaping_bonus is progress_bonus  # the env wrappers and the trainer share it
    with pytest.raises(ImportError, match="leave_one_out_baseline"):
        _ = score.BASELINE
    with pytest.raises(ImportError, match="Phase"):
        from agents.methods.score import Objective  # noqa: F401
