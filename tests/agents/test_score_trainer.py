"""The SCoRe trainer in the shared run loop: the stage schedule, config validation, the micro-batched
update matching the one-pass update, and every variant running end to end (small random model)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from accelerate import Accelerator

from agents.methods.score.config import ScoreConfig
from agents.methods.score.trainer import ReinforceMicroBatch, ScoreMethod, phase_at
from agents.policy import Policy
from agents.training.config import load_config
from agents.training.loop import make_env, train
from agents.training.method import TrainContext

sys.path.insert(0, str(Path(__file__).parent))
from training_fixtures import (  # noqa: E402
    fast_overrides,
    register_toy_env,
    save_random_tiny_model,
    scalars,
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_random_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def test_stage_schedule_is_the_one_dispatch_point() -> None:
    score = ScoreConfig(stage_one_steps=2)
    assert [phase_at(score, s).name for s in range(4)] == ["stage_i"] * 2 + ["stage_ii"] * 2
    no_stage_one = ScoreConfig(stage_one_steps=0)
    assert phase_at(no_stage_one, 0).name == "stage_ii"
    assert phase_at(ScoreConfig(stage_one_steps=1, stage_two_update="star"), 1).star
    single = ScoreConfig(stage_one_steps=0, stage_two_update="single_turn")
    assert phase_at(single, 0).name == "single_turn"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("samples_per_prompt", 1, "method.samples_per_prompt=1"),
        ("bonus_coef", -1.0, "method.bonus_coef=-1.0"),
        ("first_turn_kl_coef", -0.1, "method.first_turn_kl_coef=-0.1"),
        ("stage_one_steps", -1, "method.stage_one_steps=-1"),
        ("stage_two_update", "ppo", "method.stage_two_update='ppo'"),
        ("base_first_attempt_fraction", 1.0, "method.base_first_attempt_fraction=1.0"),
    ],
)
def test_config_errors_name_the_bad_value(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ScoreConfig(**{field: value})  # type: ignore[arg-type]


def _context(model_dir: Path, tmp_path: Path, micro_batch_size: int) -> TrainContext:
    overrides = fast_overrides(model_dir, tmp_path, "ctx") + [
        "run.method=score",
        f"optim.micro_batch_size={micro_batch_size}",
    ]
    config = load_config(None, overrides)
    policy = Policy.from_pretrained(model_dir, config.policy)
    env = make_env(config.env.id, config.env.num_envs, config.env.kwargs)
    return TrainContext(config, policy, policy.model, Accelerator(cpu=True), env)


def _gradient(ctx: TrainContext, config: ScoreConfig) -> tuple[torch.Tensor, int]:
    method = ScoreMethod(ctx, config)
    data = method.prepare(step=0)
    ctx.model.zero_grad()
    n = len(data.micro_batches)
    for micro in data.micro_batches:
        assert isinstance(micro, ReinforceMicroBatch)
        loss, metrics = method.loss(micro)
        (loss / n).backward()  # what the loop does
    assert {"train/kl_t1", "train/kl_t2", "train/entropy"} <= set(metrics)
    grads = [p.grad.flatten() for p in ctx.model.parameters() if p.grad is not None]
    return torch.cat(grads), n


@pytest.mark.parametrize("kl_penalty", ["reward", "loss"])
def test_micro_batched_update_equals_one_pass(
    model_dir: Path, tmp_path: Path, kl_penalty: str
) -> None:
    """Leave-one-out advantages need the whole batch: the micro-batched path precomputes them and
    must give the same gradient as scoring the batch in one pass, wherever the KL term goes."""
    grads = []
    for micro in (8, 4):
        ctx = _context(model_dir, tmp_path, micro)
        with torch.no_grad():  # move the policy off the reference so the KL terms are non-zero
            gen = torch.Generator().manual_seed(0)
            for p in ctx.model.parameters():
                p.add_(0.05 * torch.randn(p.shape, generator=gen))
        config = ScoreConfig(stage_one_steps=1, samples_per_prompt=2, kl_penalty=kl_penalty)  # type: ignore[arg-type]
        grad, n = _gradient(ctx, config)
        assert n == 8 // micro
        grads.append(grad)
    assert grads[0].abs().sum() > 0
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "method_overrides",
    [
        # SCoRe: Stage I, then Stage II with (most likely) base-model first attempts mixed in
        ["method.stage_one_steps=1", "method.base_first_attempt_fraction=0.9"],
        ["method.stage_one_steps=0", "method.stage_two_update=single_turn"],
        ["method.stage_one_steps=1", "method.stage_two_update=star"],
        ["method.stage_one_steps=1", "method.kl_penalty=loss"],
    ],
)
def test_every_variant_trains_end_to_end(
    model_dir: Path, tmp_path: Path, method_overrides: list[str]
) -> None:
    overrides = fast_overrides(model_dir, tmp_path, "run") + [
        "run.method=score",
        "run.total_steps=2",
        "method.samples_per_prompt=2",
        *method_overrides,
    ]
    result = train(load_config(None, overrides), progress=False)
    assert result.steps == 2
    stages = [v for _, v in scalars(result.run_dir, "score/stage")]
    expected_first = 1.0 if "method.stage_one_steps=1" in method_overrides else 2.0
    assert stages == [expected_first, 2.0]
    assert len(scalars(result.run_dir, "train/reward_t2")) == 2
    assert result.final_eval is not None and result.final_eval.step == 2


def test_gradient_accumulation_is_rejected_by_name(model_dir: Path, tmp_path: Path) -> None:
    overrides = fast_overrides(model_dir, tmp_path, "accum") + [
        "run.method=score",
        "optim.grad_accum_steps=2",
    ]
    config = load_config(None, overrides)
    policy = Policy.from_pretrained(model_dir, config.policy)
    env = make_env(config.env.id, config.env.num_envs, config.env.kwargs)
    ctx = TrainContext(config, policy, policy.model, Accelerator(cpu=True), env)
    with pytest.raises(ValueError, match=r"optim\.grad_accum_steps=2"):
        ScoreMethod(ctx, ScoreConfig())


def test_star_in_stage_two_trains_on_this_steps_corrections(
    model_dir: Path, tmp_path: Path
) -> None:
    """On the toy task a random model produces i->c episodes, so the STaR ablation keeps some and
    its supervised loss runs on them."""
    overrides = fast_overrides(model_dir, tmp_path, "star2") + [
        "run.method=score",
        f"env.id={register_toy_env()}",
        "env.eval_kwargs={}",
        "env.num_envs=32",
        "sampling.max_new_tokens=4",
        "eval_sampling.max_new_tokens=4",
        "run.total_steps=3",
        "method.samples_per_prompt=2",
        "method.stage_one_steps=0",
        "method.stage_two_update=star",
    ]
    result = train(load_config(None, overrides), progress=False)
    kept = [v for _, v in scalars(result.run_dir, "score/star_kept")]
    assert len(kept) == 3 and sum(kept) > 0, kept
    assert all(v > 0 for _, v in scalars(result.run_dir, "train/loss"))
