"""SCoRe's objectives learn on a toy two-turn problem small enough to compute exactly.

The toy: N problems, each with one right answer among K. Turn 1 samples an answer from
softmax(A[x]); turn 2, which sees its first answer a1, samples from softmax(A[x] + B[x, a1]).
A is shared by both turns, as the weights of a language model are: training turn 2 for reward
also moves turn 1, which is exactly what Stage I's strong β2 KL must hold back (section 5.1).
Expected rewards and KL(π(·|x1) ‖ π_ref(·|x1)) are computed exactly from the tables.
"""

from __future__ import annotations

import torch
from torch import nn

from agents.methods.score.config import KLPenalty
from agents.methods.score.objectives import Phase, TurnTerms, score_objective

N, K, GROUP = 6, 6, 8
ANSWERS = torch.arange(N)


class ToyPolicy(nn.Module):
    def __init__(self, seed: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.A = nn.Parameter(torch.randn(N, K, generator=g))  # shared by both turns
        self.B = nn.Parameter(torch.zeros(N, K, K))  # turn 2 only: how to react to a1

    def turn1_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.A[x]

    def turn2_logits(self, x: torch.Tensor, a1: torch.Tensor) -> torch.Tensor:
        return self.A[x] + self.B[x, a1]


def _exact(policy: ToyPolicy, ref: ToyPolicy) -> tuple[float, float, float]:
    """(E[r1], E[r2], mean_x KL(π1 ‖ π1_ref)), exactly."""
    with torch.no_grad():
        p1 = policy.A.softmax(-1)  # (N, K)
        kl1 = (p1 * (p1.log() - ref.A.log_softmax(-1))).sum(-1).mean()
        p2 = (policy.A[:, None, :] + policy.B).softmax(-1)  # (N, K a1, K a2)
        r1 = p1[torch.arange(N), ANSWERS].mean()
        r2 = (p1 * p2[torch.arange(N), :, ANSWERS]).sum(-1).mean()
    return r1.item(), r2.item(), kl1.item()


def _train(phase: Phase, steps: int, seed: int = 0) -> tuple[list[float], list[float]]:
    torch.manual_seed(seed)
    policy, ref = ToyPolicy(seed), ToyPolicy(seed)
    ref.requires_grad_(False)
    opt = torch.optim.Adam(policy.parameters(), lr=0.05)
    x = torch.arange(N).repeat_interleave(GROUP)  # each prompt's k samples contiguous
    start = _exact(policy, ref)
    for _ in range(steps):
        with torch.no_grad():
            a1 = torch.distributions.Categorical(logits=policy.turn1_logits(x)).sample()
            a2 = torch.distributions.Categorical(logits=policy.turn2_logits(x, a1)).sample()
        lp1 = (
            policy.turn1_logits(x).log_softmax(-1).gather(1, a1[:, None])
        )  # (B, 1): one-token response
        lp2 = policy.turn2_logits(x, a1).log_softmax(-1).gather(1, a2[:, None])
        with torch.no_grad():
            ref1 = ref.turn1_logits(x).log_softmax(-1).gather(1, a1[:, None])
            ref2 = ref.turn2_logits(x, a1).log_softmax(-1).gather(1, a2[:, None])
        ones = torch.ones_like(lp1)
        turn1 = TurnTerms(lp1, ref1, ones, (a1 == ANSWERS[x]).float())
        turn2 = TurnTerms(lp2, ref2, ones, (a2 == ANSWERS[x]).float())
        out = score_objective(phase, turn1, turn2, GROUP)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    return list(start), list(_exact(policy, ref))


def test_stage_one_raises_turn2_reward_while_turn1_stays_near_the_reference() -> None:
    strong = Phase.stage_one(beta1=0.01, beta2=1.0)
    (r1_0, r2_0, _), (r1, r2, kl1) = _train(strong, steps=150)
    assert r2 > r2_0 + 0.4, (r2_0, r2)  # turn 2 learned to answer
    assert kl1 < 0.1, kl1  # turn 1 held close to the base model (β2, Eq. 3)
    assert abs(r1 - r1_0) < 0.1, (r1_0, r1)  # ... so its accuracy barely moved
    # Without β2 the shared parameters drag turn 1 along: its KL grows several times larger.
    free = Phase.stage_one(beta1=0.01, beta2=0.0)
    _, (_, r2_free, kl1_free) = _train(free, steps=150)
    assert kl1_free > 3 * kl1, (kl1_free, kl1)


def test_stage_one_with_the_kl_as_a_loss_term_learns_and_holds_turn1() -> None:
    strong = Phase.stage_one(beta1=0.01, beta2=1.0, kl_penalty=KLPenalty.LOSS)
    (r1_0, r2_0, _), (r1, r2, kl1) = _train(strong, steps=150)
    assert r2 > r2_0 + 0.4, (r2_0, r2)
    assert kl1 < 0.1, kl1
    assert abs(r1 - r1_0) < 0.1, (r1_0, r1)


def test_stage_two_learns_to_correct() -> None:
    table5 = Phase.stage_two(beta1=0.01, alpha=10.0)  # Table 5
    (r1_0, r2_0, _), (r1, r2, _) = _train(table5, steps=150)
    assert r2 > r2_0 + 0.4, (r2_0, r2)
    assert r1 > r1_0, (r1_0, r1)  # Stage II trains turn 1 for reward too
    assert r2 > r1, (r1, r2)  # positive Δ(t1, t2)
