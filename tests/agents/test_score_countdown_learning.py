"""SCoRe learns on Countdown through the whole stack, seeded: a micro tiny model pretrained here
with the real corpus and pretraining loop on an easy setting (two numbers, `+ -`), then a short
SCoRe run (Stage I, then Stage II) through `train`. The base's second attempt breaks right answers
(its corpus searches after a hit as often as after a miss); SCoRe learns to keep them, so the
per-update Δ(t1, t2) rises and Δc→i falls."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from agents.tiny.build import ensure_tiny_model
from agents.tiny.countdown_data import CountdownMix
from agents.tiny.model import TinyModelConfig
from agents.tiny.pretrain import PretrainConfig
from agents.training.config import load_config
from agents.training.loop import train
from score_env.tasks.countdown import Settings

sys.path.insert(0, str(Path(__file__).parent))
from training_fixtures import scalars  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
EASY = Settings(
    n_numbers=2, number_range=(1, 9), target_range=(0, 18), operators="+-", test_size=60
)
EASY_KWARGS = (
    "{n_numbers: 2, number_range: [1, 9], target_range: [0, 18], operators: '+-', test_size: 60}"
)


@pytest.fixture(scope="module")
def easy_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = PretrainConfig(
        model=TinyModelConfig(n_layer=1, n_embd=64, n_head=2, n_positions=256),
        mix=CountdownMix(settings=EASY),
        max_steps=600,
        tokens_per_batch=1024,
        lr=3e-3,
        warmup_steps=20,
        threads=1,
        eval_every_steps=600,
        eval_problems_per_level=60,
    )
    cache = tmp_path_factory.mktemp("cache")
    return ensure_tiny_model(config, cache_dir=cache, progress=False, eval_problems=0)


def _window(run_dir: Path, tag: str, steps: slice) -> float:
    return float(np.mean([v for _, v in scalars(run_dir, tag)][steps]))


def test_score_raises_delta_on_easy_countdown(easy_model: Path, tmp_path: Path) -> None:
    overrides = [
        f"policy.model={easy_model}",
        f"run.out_dir={tmp_path}",
        "run.name=easy",
        "run.total_steps=60",
        "run.eval_every=60",
        "run.checkpoint_every=60",
        "method.stage_one_steps=30",
        f"env.kwargs={EASY_KWARGS}",
        f"env.eval_kwargs={{split: test, {EASY_KWARGS[1:]}",
        "env.num_envs=64",
        "env.eval_episodes=60",
        "env.eval_num_envs=60",
        "optim.micro_batch_size=64",
        "optim.lr=1e-3",
        "sampling.max_new_tokens=80",
        "eval_sampling.max_new_tokens=80",
    ]
    run = train(load_config(CONFIGS / "score_countdown.yaml", overrides), progress=False).run_dir
    first, last = slice(0, 10), slice(-20, None)
    delta = _window(run, "train/delta", first), _window(run, "train/delta", last)
    c2i = _window(run, "train/delta_c2i", first), _window(run, "train/delta_c2i", last)
    assert delta[1] > delta[0] + 0.02, delta  # the second attempt got better relative to the first
    assert c2i[1] < c2i[0] - 0.02, c2i  # by breaking fewer right answers
