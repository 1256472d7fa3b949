"""Shared by the training tests: a small random tiny model on disk, a fast base config, and a
supervised method with a fixed dataset (Arith worked solutions) so loop-level tests have a real,
model-independent learning signal. The method is registered by module path
(`run.method: "training_fixtures:GOLD_SFT"`), the way an out-of-tree method would be; the
subprocess tests put this directory on PYTHONPATH.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.tiny.model import TinyModelConfig, build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer
from agents.training.method import StepData, TrainContext
from agents.training.registry import MethodSpec
from agents.training.sft import SFTExample, SupervisedMethod
from score_env.tasks.arith import sample_problem
from score_env.tasks.base import Problem, Task, TurnOutcome

SMALL = TinyModelConfig(n_layer=1, n_embd=32, n_head=2, n_positions=256)
TOY_ID = "ScoreTest-StartsWithDigit-v0"


class StartsWithDigit(Task):
    """Endless prompts `Q:<n>`; a response is right when its first character is a digit.

    A random tiny model is right about 1 time in 10 on each attempt, so its two-turn episodes
    include i->c (and c->i, c->c, i->i) traces: the filtered-SFT paths have real data to train on.
    """

    name = "starts_with_digit"
    correction_instruction = "Check and answer again."
    turn_separator = "\n"
    default_max_response_chars = 64

    @property
    def problem_ids(self) -> Sequence[str]:
        return ()

    def problem(self, problem_id: str) -> Problem:
        return Problem(problem_id, f"Q:{problem_id}", "digit")

    def sample(self, rng: np.random.Generator) -> Problem:
        return self.problem(str(int(rng.integers(100))))

    @property
    def max_prompt_chars(self) -> int:
        return 8

    def grade_many(
        self, problems: Sequence[Problem], responses: Sequence[str]
    ) -> list[TurnOutcome]:
        return [
            TurnOutcome(r[:1].isdigit(), r[:1], "equal" if r[:1].isdigit() else "not_equal", "")
            for r in responses
        ]


def register_toy_env() -> str:
    """Register the `StartsWithDigit` env once per process; returns its id."""
    if TOY_ID not in gym.registry:
        gym.register(
            id=TOY_ID,
            entry_point="score_env.env:SelfCorrectEnv",
            vector_entry_point="score_env.vector:SelfCorrectVectorEnv",
            kwargs={"task": StartsWithDigit()},
        )
    return TOY_ID


def save_random_tiny_model(directory: Path, seed: int = 0) -> Path:
    """A randomly initialised tiny GPT-2 with the char tokenizer, loadable by `Policy`."""
    tokenizer = build_char_tokenizer()
    model = build_tiny_model(tokenizer, SMALL, seed=seed)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def fast_overrides(model_dir: Path, out_dir: Path, name: str) -> list[str]:
    """`--set` overrides that make any config run in seconds on the random model."""
    return [
        f"policy.model={model_dir}",
        f"run.out_dir={out_dir}",
        f"run.name={name}",
        "env.num_envs=8",
        "env.eval_episodes=8",
        "env.eval_num_envs=8",
        "sampling.max_new_tokens=16",
        "eval_sampling.max_new_tokens=16",
        "optim.micro_batch_size=8",
    ]


@dataclass(frozen=True)
class GoldConfig:
    n_problems: int = 32
    """Arith level-1 problems whose worked solutions form the dataset."""


class GoldSFT(SupervisedMethod):
    """Fine-tune turn 1 on reference solutions: a fixed dataset, built on rank 0 only, so one
    process and N processes train on exactly the same examples."""

    def __init__(self, ctx: TrainContext, config: GoldConfig) -> None:
        super().__init__(ctx)
        examples: list[SFTExample] = []
        if ctx.rank == 0:
            rng = random.Random(0)
            problems = [sample_problem(rng, 1) for _ in range(config.n_problems)]
            tok = ctx.policy.tokenizer
            prompts = ctx.policy.first_prompt_ids(
                [[{"role": "user", "content": f"Q:{p.expression}"}] for p in problems]
            )
            examples = [
                SFTExample(
                    tuple(prompt),
                    tuple(tok.encode(p.solution, add_special_tokens=False) + [tok.eos_token_id]),
                    "gold",
                )
                for prompt, p in zip(prompts, problems, strict=True)
            ]
        self.updates.set_examples(examples)

    def prepare(self, step: int) -> StepData:
        return self.updates.step_data()


GOLD_SFT = MethodSpec(config_cls=GoldConfig, build=GoldSFT, description="test fixture")


def scalars(run_dir: Path, tag: str) -> list[tuple[int, float]]:
    """(step, value) of one TensorBoard scalar, as TensorBoard shows it (purged steps dropped)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def hand_batch(
    c1: list[bool],
    c2: list[bool],
    group: list[int] | None = None,
    texts: tuple[list[str], list[str]] | None = None,
) -> Any:
    """A hand-made RolloutBatch: row i has turn-1 prompt (100+i,), responses (1, i) / (2, i),
    turn-2 prompt = turn-1 prompt + response + (7,), and the given correctness."""
    from agents.training.rollout import RolloutBatch, TurnBatch

    n = len(c1)
    texts = texts or ([f"a{i}" for i in range(n)], [f"b{i}" for i in range(n)])
    p1 = [[100 + i] for i in range(n)]
    r1 = [[1, i] for i in range(n)]
    t1 = TurnBatch(p1, r1, texts[0], np.array(c1, dtype=np.float32), np.array(c1))
    t2 = TurnBatch(
        [p + r + [7] for p, r in zip(p1, r1, strict=True)],
        [[2, i] for i in range(n)],
        texts[1],
        np.array(c2, dtype=np.float32),
        np.array(c2),
    )
    trans = [f"{'c' if a else 'i'}->{'c' if b else 'i'}" for a, b in zip(c1, c2, strict=True)]
    return RolloutBatch(
        problem_ids=[f"L1/{g}" for g in (group or range(n))],
        group=np.array(group or range(n)),
        turns=(t1, t2),
        transitions=trans,
        prompts=[f"Q:{i}" for i in range(n)],
    )
