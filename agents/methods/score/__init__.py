"""SCoRe (Kumar et al. 2024): two-stage multi-turn RL that teaches a model to correct itself.

`objectives` holds the paper's equations as pure tensor functions; the trainer that samples
two-turn rollouts and applies them lives beside it.
"""

from agents.methods.score.objectives import (
    BASELINE,
    Advantages,
    Coefficients,
    KLPenalty,
    Objective,
    ObjectiveOutput,
    TurnTerms,
    kl_loss,
    kl_weights,
    leave_one_out_baseline,
    objective_loss,
    reinforce_loss,
    score_objective,
    sequence_kl,
    shaping_bonus,
    turn_advantages,
)

__all__ = [
    "BASELINE",
    "Advantages",
    "Coefficients",
    "KLPenalty",
    "Objective",
    "ObjectiveOutput",
    "TurnTerms",
    "kl_loss",
    "kl_weights",
    "leave_one_out_baseline",
    "objective_loss",
    "reinforce_loss",
    "score_objective",
    "sequence_kl",
    "shaping_bonus",
    "turn_advantages",
]
