"""SCoRe (Kumar et al. 2024): two-stage multi-turn RL that teaches a model to correct itself.

`objectives` holds the paper's equations as pure tensor functions; the trainer that samples
two-turn rollouts and applies them lives beside it. The names below are imported from
`objectives` on first use, so `agents.methods.score.config` (what parsing a config needs) loads
without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    objectives = importlib.import_module("agents.methods.score.objectives")
    if name == "objectives":
        return objectives
    return getattr(objectives, name)  # a removed name's error names its replacement
