"""SCoRe's hyperparameters: the `method:` section of a SCoRe config.

Defaults follow the paper's Table 5 (Adam, sampling temperature 1.0, α = 10, β1 = 0.01,
β2 = 0.1 for MATH, 0.25 for code) except where the tiny model needs otherwise; every ablation of
Table 4 is one field away from the default:

| Table 4 row                         | setting                          |
|-------------------------------------|----------------------------------|
| SCoRe                               | defaults                         |
| w/o Stage I                         | `stage_one_steps: 0`             |
| w/o reward shaping                  | `bonus_coef: 0.0`                |
| w/o multi-turn training             | `stage_two_update: single_turn`  |
| STaR instead of REINFORCE, Stage II | `stage_two_update: star`         |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:  # objectives imports torch; parsing a config must not
    from agents.methods.score.objectives import Coefficients

StageTwoUpdate = Literal["reinforce", "single_turn", "star"]
KLPlacement = Literal[
    "reward", "loss"
]  # the values of objectives.KLPenalty (a test holds them equal)


def _check(ok: bool, name: str, value: object, expected: str) -> None:
    if not ok:
        raise ValueError(f"method.{name}={value!r} is invalid: expected {expected}")


@dataclass(frozen=True)
class ScoreConfig:
    """Stage I then Stage II; `run.total_steps` is the total, `stage_one_steps` of it Stage I."""

    stage_one_steps: int = 50
    """Updates of Stage I (Eq. 3) before Stage II (Eq. 4) takes over; 0 is "w/o Stage I"."""
    samples_per_prompt: int = 4
    """k two-turn episodes per problem per step, for the leave-one-out baseline (needs >= 2)."""
    second_turn_kl_coef: float = 0.01
    """β1 (Eqs. 3-4): KL weight against the frozen base model on every turn Stage II trains, and
    on turn 2 in Stage I."""
    first_turn_kl_coef: float = 0.1
    """β2 (Eq. 3): Stage I's strong KL holding the first attempt at the base model (0.25 for code)."""
    bonus_coef: float = 10.0
    """α (Eq. 4): Stage II's turn-2 bonus α·(r̂(y2) − r̂(y1)); 0 is "w/o reward shaping"."""
    stage_two_update: StageTwoUpdate = "reinforce"
    """How Stage II updates: `reinforce` (Eq. 4), `single_turn` (Eq. 2 on turn 1 only: "w/o
    multi-turn training"), `star` (filtered SFT on i->c traces: "STaR instead of REINFORCE")."""
    star_keep_correct: bool = False
    """With `stage_two_update: star`, also keep c->c traces (the D+ variant)."""
    kl_penalty: KLPlacement = "reward"
    """Where the KL terms go: `reward` folds β·KL into each turn's return (Eq. 2 as written,
    a score-function estimate); `loss` adds the differentiable `β·Σ_t k3` term instead, which
    acts on each sampled token directly (see `objectives`)."""
    base_first_attempt_fraction: float = 0.0
    """Fraction of Stage II episodes whose first attempt is sampled from the base model (section 5.2
    suggests mixing them in); their turn 1 is off-policy and gets no gradient."""

    def __post_init__(self) -> None:
        _check(
            self.stage_one_steps >= 0, "stage_one_steps", self.stage_one_steps, "an integer >= 0"
        )
        _check(
            self.samples_per_prompt >= 2,
            "samples_per_prompt",
            self.samples_per_prompt,
            "an integer >= 2 (the leave-one-out baseline needs two samples per prompt)",
        )
        for name in ("second_turn_kl_coef", "first_turn_kl_coef", "bonus_coef"):
            value = getattr(self, name)
            _check(value >= 0, name, value, "a float >= 0")
        _check(
            self.stage_two_update in get_args(StageTwoUpdate),
            "stage_two_update",
            self.stage_two_update,
            "'reinforce', 'single_turn' or 'star'",
        )
        _check(
            self.kl_penalty in get_args(KLPlacement),
            "kl_penalty",
            self.kl_penalty,
            "'reward' (β·KL in the return, Eq. 2) or 'loss' (a differentiable k3 term)",
        )
        _check(
            0.0 <= self.base_first_attempt_fraction < 1.0,
            "base_first_attempt_fraction",
            self.base_first_attempt_fraction,
            "a float in [0, 1)",
        )

    @property
    def coefficients(self) -> Coefficients:
        from agents.methods.score.objectives import Coefficients

        return Coefficients(
            second_turn_kl_coef=self.second_turn_kl_coef,  # β1
            first_turn_kl_coef=self.first_turn_kl_coef,  # β2
            bonus_coef=self.bonus_coef,  # α
        )
