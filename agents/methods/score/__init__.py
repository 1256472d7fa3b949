"""SCoRe (Kumar et al. 2024): two-stage multi-turn RL that teaches a model to correct itself.

`objectives` holds the paper's equations as pure tensor functions; the trainer that samples
two-turn rollouts and applies them lives beside it.
"""

from agents.methods.score import objectives
from agents.methods.score.objectives import (
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


def __getattr__(name: str) -> object:
    return objectives.__getattr__(name)  # a removed name's error names its replacement
