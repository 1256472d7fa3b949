"""Pair-SFT (SCoRe, Kumar et al. 2024, section 4; after Welleck et al. 2023).

Synthetic correction traces from the base model, then one round of fine-tuning:
  1. sample k first attempts per problem from the base model (the model at step 0),
  2. D_SFT: pair each wrong attempt y_w with a right attempt y_c at the same problem and build the
     trace (x1, y_w, instruction) -> y_c; D+_SFT (`keep_correct`) also pairs right attempts with
     another right attempt (right -> right),
  3. fine-tune on y_c given the trace's context through the policy's mask (only the correction
     turn is trained) for `run.total_steps` updates.
The context is the env's own turn-2 prompt after y_w (token-exact), so training sees exactly what
the model sees when it self-corrects at test time.
"""

from __future__ import annotations

import logging

import numpy as np

from agents.methods.pair_sft_config import PairSFTConfig
from agents.removed import removed_names
from agents.training.method import StepData, TrainContext
from agents.training.rollout import RolloutBatch, concat, policy_diagnostics
from agents.training.sft import SFTExample, SupervisedMethod, kind_counts

log = logging.getLogger(__name__)


def pair_examples(batch: RolloutBatch, keep_correct: bool, seed: int) -> list[SFTExample]:
    """D_SFT (wrong -> right pairs) or D+_SFT (and right -> right) from first attempts grouped by
    problem (`batch.group`). Each wrong attempt gets one right partner drawn at random from its
    group; each right attempt (D+) another right one (itself when it is the only one)."""
    rng = np.random.default_rng(seed)
    first, context = batch.first, batch.second  # turn-2 prompt = (x1, y1, instruction)
    examples: list[SFTExample] = []
    for g in np.unique(batch.group):
        rows = np.flatnonzero(batch.group == g)
        right = [int(i) for i in rows if first.correct[i] and first.response_ids[i]]
        if not right:
            continue
        for i in (int(i) for i in rows):
            if not first.correct[i]:
                kind, partners = "i->c", right
            elif keep_correct:
                kind, partners = "c->c", [j for j in right if j != i] or [i]
            else:
                continue
            j = partners[int(rng.integers(len(partners)))]
            examples.append(
                SFTExample(tuple(context.prompt_ids[i]), tuple(first.response_ids[j]), kind)
            )
    return examples


class PairSFT(SupervisedMethod):
    """Drives Pair-SFT in the shared loop: build the dataset at step 0, then fine-tune."""

    def __init__(self, ctx: TrainContext, config: PairSFTConfig) -> None:
        if ctx.config.env.num_envs % config.samples_per_prompt:
            raise ValueError(
                f"method.samples_per_prompt={config.samples_per_prompt} must divide "
                f"env.num_envs={ctx.config.env.num_envs}"
            )
        super().__init__(ctx)
        self.config = config

    def prepare(self, step: int) -> StepData:
        if step > 0:
            return self.updates.step_data()
        rollout = concat(
            [
                self.ctx.collect(0, purpose=j, samples_per_prompt=self.config.samples_per_prompt)
                for j in range(self.config.rollout_batches)
            ]
        )
        local = pair_examples(rollout, self.config.keep_correct, self.ctx.seed_for(0, 1000))
        examples = self.updates.set_examples(local)
        counts = kind_counts(examples)
        log.info("Pair-SFT dataset: %d examples %s", len(examples), counts)
        metrics = {
            "pair_sft/n_i2c": float(counts.get("i->c", 0)),
            "pair_sft/n_c2c": float(counts.get("c->c", 0)),
            **policy_diagnostics(self.ctx.policy, rollout),
        }
        return self.updates.step_data(rollout, metrics)


# The registry builds the spec from the class and builder `catalog.METHODS` names.
__getattr__ = removed_names(__name__, {"SPEC": "agents.training.registry.get_method('pair_sft')"})
