"""SCoRe (Kumar et al. 2024): two-stage multi-turn RL that teaches a model to correct itself.

`config` holds the hyperparameters (no torch: a config is validated without loading the
trainer); `objectives` holds the paper's equations as pure tensor functions and `phase_at`, which
says what each update does; `trainer` samples two-turn rollouts and applies them. The names below
are loaded on first use, so `import agents.methods.score.config` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from agents.methods.score.config import KLPenalty, ScoreConfig

_FROM_OBJECTIVES = (
    "Advantages",
    "ObjectiveOutput",
    "Phase",
    "TurnTerms",
    "kl_loss",
    "leave_one_out_baseline",
    "objective_loss",
    "phase_at",
    "reinforce_loss",
    "score_objective",
    "sequence_kl",
    "shaping_bonus",
    "turn_advantages",
)

__all__ = ["KLPenalty", "ScoreConfig", *_FROM_OBJECTIVES]


def __getattr__(name: str) -> Any:
    # Every other name (a removed one included) is looked up in `objectives`, whose error for a
    # removed name says what replaced it.
    objectives = importlib.import_module("agents.methods.score.objectives")
    return objectives if name == "objectives" else getattr(objectives, name)
