"""STaR for self-correction (SCoRe, Kumar et al. 2024, section 4; after Zelikman et al. 2022).

Each iteration:
  1. sample two-turn traces (x1, y1, instruction, y2) from the *current* model,
  2. keep the ones whose second attempt is right after a wrong first one (i->c): D_STaR;
     D+_STaR (`keep_correct`) also keeps right-to-right traces (c->c),
  3. fine-tune on the kept traces' second attempt y2 given (x1, y1, instruction), through the
     policy's mask: only the correction turn is trained, the context gets no gradient.
The paper runs 3 iterations. We keep fine-tuning the current weights from one iteration to the
next (rather than restarting from the base model as the original STaR does), so `run.total_steps`
updates are split evenly over `iterations`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from agents.methods.star_config import StarConfig
from agents.removed import removed_names
from agents.training.method import StepData, TrainContext
from agents.training.rollout import RolloutBatch, concat, policy_diagnostics
from agents.training.sft import SFTExample, SupervisedMethod, kind_counts

log = logging.getLogger(__name__)


def star_examples(batch: RolloutBatch, keep_correct: bool) -> list[SFTExample]:
    """D_STaR (i->c traces) or D+_STaR (i->c and c->c): the second attempt as the target, the
    whole turn-2 context (problem, first attempt, instruction) as the prompt."""
    keep = ("i->c", "c->c") if keep_correct else ("i->c",)
    turn = batch.second
    return [
        SFTExample(tuple(turn.prompt_ids[i]), tuple(turn.response_ids[i]), kind)
        for i, kind in enumerate(batch.transitions)
        if kind in keep and turn.response_ids[i]
    ]


class Star(SupervisedMethod):
    """Drives STaR in the shared loop: a new dataset at the start of each iteration."""

    def __init__(self, ctx: TrainContext, config: StarConfig) -> None:
        total = ctx.config.run.total_steps
        if total % config.iterations:
            raise ValueError(
                f"run.total_steps={total} must be a multiple of "
                f"method.iterations={config.iterations} (equal steps per iteration)"
            )
        super().__init__(ctx)
        self.config = config
        self.steps_per_iteration = max(total // config.iterations, 1)

    def prepare(self, step: int) -> StepData:
        if step % self.steps_per_iteration:
            return self.updates.step_data()
        rollout = self.collect(step)
        examples = self.updates.set_examples(star_examples(rollout, self.config.keep_correct))
        counts = kind_counts(examples)
        log.info(
            "STaR iteration %d: %d examples %s",
            step // self.steps_per_iteration,
            len(examples),
            counts,
        )
        metrics = {
            "star/iteration": float(step // self.steps_per_iteration),
            "star/n_i2c": float(counts.get("i->c", 0)),
            "star/n_c2c": float(counts.get("c->c", 0)),
            **policy_diagnostics(self.ctx.policy, rollout),
        }
        return self.updates.step_data(rollout, metrics)

    def collect(self, step: int) -> RolloutBatch:
        batches: Sequence[RolloutBatch] = [
            self.ctx.collect(step, purpose=j) for j in range(self.config.rollout_batches)
        ]
        return concat(batches)


# The registry builds the spec from the class and builder `catalog.METHODS` names.
__getattr__ = removed_names(__name__, {"SPEC": "agents.training.registry.get_method('star')"})
