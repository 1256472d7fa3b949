"""A seconds-long pretraining run learns (seeded, tiny); the build is cached and reused."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

from agents.tiny.build import (
    FIX_SKILL_RECIPE,
    TINY_RECIPE,
    ensure_tiny_model,
    tiny_model_dir,
    tiny_recipe,
)
from agents.tiny.data import DataMix
from agents.tiny.model import TinyModelConfig
from agents.tiny.pretrain import CHECKPOINT, PretrainConfig, lr_at, pretrain

QUICK = PretrainConfig(
    model=TinyModelConfig(n_layer=1, n_embd=64, n_head=2, n_positions=256),
    mix=DataMix(levels=(1,), two_turn_fraction=0.3),
    max_steps=60,
    tokens_per_batch=2048,
    lr=5e-3,
    warmup_steps=10,
    eval_every_steps=40,
    eval_problems_per_level=32,
    seed=0,
)


def test_quick_pretraining_learns_and_is_cached(tmp_path: Path) -> None:
    path = ensure_tiny_model(QUICK, cache_dir=tmp_path, progress=False, eval_problems=0)
    assert path == tiny_model_dir(QUICK, tmp_path)
    record = json.loads((path / "pretrain.json").read_text())
    assert record["steps"] == QUICK.max_steps
    # Learning, not just running: the loss falls well below its start, and the greedy answers on
    # held-out L1 problems have taken the worked-solution form ending in a boxed integer.
    assert record["final_loss"] < 0.5 * record["first_loss"]
    assert record["heldout_wellformed_t1"]["L1"] >= 0.5
    assert AutoModelForCausalLM.from_pretrained(path).config.n_layer == 1
    assert (path / "logs").is_dir() and any((path / "logs").iterdir())  # TensorBoard events
    started = time.monotonic()
    assert ensure_tiny_model(QUICK, cache_dir=tmp_path) == path  # reused, not retrained
    assert time.monotonic() - started < 1.0
    # A second cycle starts from the first cycle's weights (built once, then reused).
    second = dataclasses.replace(QUICK, init_from=QUICK, max_steps=5)
    continued = json.loads(
        (
            ensure_tiny_model(second, tmp_path, progress=False, eval_problems=0) / "pretrain.json"
        ).read_text()
    )
    assert continued["steps"] == 5
    assert continued["first_loss"] < 0.6 * record["first_loss"]


def test_named_recipes_resolve_and_share_their_first_cycle() -> None:
    assert tiny_recipe("tiny") is TINY_RECIPE and tiny_recipe("tiny:default") is TINY_RECIPE
    assert tiny_recipe("tiny:fix-skill") is FIX_SKILL_RECIPE
    with pytest.raises(ValueError, match="'tiny:fix-skill'"):
        tiny_recipe("tiny:fixskill")
    # The fix-skill base continues the default's cached first cycle, so it is built from there.
    assert FIX_SKILL_RECIPE.init_from is not None
    assert FIX_SKILL_RECIPE.init_from.init_from == TINY_RECIPE.init_from
    assert tiny_model_dir(FIX_SKILL_RECIPE) != tiny_model_dir(TINY_RECIPE)
    # Its two-turn traces always pair a corrupted first attempt with the gold second one.
    assert FIX_SKILL_RECIPE.mix.gold_first_fraction == 0.0
    assert FIX_SKILL_RECIPE.init_from.mix.gold_first_fraction == 0.0


def test_schedule_warms_up_then_decays() -> None:
    config = PretrainConfig(lr=1e-3, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(config, 0, 0.0) == pytest.approx(1e-4)
    assert lr_at(config, 9, 0.01) == pytest.approx(1e-3, rel=1e-3)
    assert lr_at(config, 500, 0.5) == pytest.approx(0.55e-3)
    assert lr_at(config, 999, 1.0) == pytest.approx(1e-4)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="max_steps"):
        PretrainConfig(max_steps=0)
    with pytest.raises(ValueError, match="init_from"):
        PretrainConfig(init_from=QUICK)  # a different architecture cannot be continued
    with pytest.raises(ValueError, match="n_embd"):
        TinyModelConfig(n_embd=30, n_head=4)


RESUMABLE = dataclasses.replace(QUICK, max_steps=40, eval_every_steps=4, threads=1)
_RUN = (
    "import sys; from pathlib import Path; from tests.agents.test_tiny_pretrain import RESUMABLE; "
    "from agents.tiny.pretrain import pretrain; pretrain(RESUMABLE, Path(sys.argv[1]), progress=False)"
)


def test_killed_pretraining_resumes_to_the_same_model(tmp_path: Path) -> None:
    """SIGKILL after a checkpoint, resume, and land on the uninterrupted run's exact weights."""
    killed = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-c", _RUN, str(killed)], cwd=Path(__file__).parents[2]
    )
    deadline = time.monotonic() + 120
    while not (killed / CHECKPOINT).is_file() and process.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint was written"
        time.sleep(0.05)
    process.kill()
    process.wait()
    assert (killed / CHECKPOINT).is_file(), "the run ended before it could be interrupted"
    resumed, _, result = pretrain(RESUMABLE, killed, progress=False)
    straight, _, _ = pretrain(RESUMABLE, tmp_path / "straight", progress=False)
    assert result.steps == RESUMABLE.max_steps
    for (name, a), b in zip(
        resumed.state_dict().items(), straight.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name
