"""Config loading: defaults, YAML + `--set` overrides, validation that names the bad value, the
resolved config round trip, and every shipped config in configs/."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.methods.pair_sft import PairSFTConfig
from agents.methods.star import StarConfig
from agents.training.config import TrainConfig, load_config, save_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_defaults_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("run: {method: pair_sft, total_steps: 7}\nmethod: {keep_correct: true}\n")
    cfg = load_config(path, ["optim.lr=3e-4", "env.kwargs={level: [1, 2]}", "run.name=abc"])
    assert cfg.run.total_steps == 7 and cfg.run.name == "abc"
    assert cfg.optim.lr == pytest.approx(3e-4)
    assert cfg.env.kwargs == {"level": [1, 2]}
    assert isinstance(cfg.method, PairSFTConfig) and cfg.method.keep_correct
    assert cfg.policy.model == "tiny" and cfg.eval_sampling.greedy and not cfg.sampling.greedy


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["optim.lr=-1"], "optim.lr=-1"),
        (["run.total_steps=ten"], "run.total_steps='ten'"),
        (["run.mixed_precision=fp8"], "run.mixed_precision='fp8'"),
        (["env.num_envs=0"], "env.num_envs=0"),
        (["optim.betas=[0.9]"], "optim.betas"),
        (["method.iterations=0"], "method.iterations=0"),
        (["optim.learning_rate=1"], "unknown key.*learning_rate"),
        (["trainer.x=1"], "unknown config section.*trainer"),
        (["run.method=ppo"], "unknown method 'ppo'"),
        (["nodot"], "section.key=value"),
        (["sampling.top_p=2"], "top_p"),
        (["optim.name=lion"], "optim.name='lion'"),
        (["optim.momentum=1.5"], "optim.momentum=1.5"),
        (["run.method=score", "method.kl_penalty=both"], "method.kl_penalty=.both."),
    ],
)
def test_bad_values_are_named(overrides: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_config(None, overrides)


def test_resolved_config_round_trips(tmp_path: Path) -> None:
    cfg = load_config(
        None, ["run.method=star", "method.keep_correct=true", "optim.betas=[0.8, 0.9]"]
    )
    save_config(cfg, tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == cfg
    assert isinstance(cfg, TrainConfig) and isinstance(cfg.method, StarConfig)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.run.name == path.stem, "a config's run.name should match its file name"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["optim.momentum=0.9"], r"optim\.momentum=0\.9 .*optim\.name='adamw'"),
        (["optim.name=sgd", "optim.betas=[0.8, 0.9]"], r"optim\.betas=\(0\.8, 0\.9\) .*'sgd'"),
    ],
)
def test_a_setting_the_optimiser_would_ignore_is_refused(
    overrides: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        load_config(None, overrides)


def test_optimizer_is_the_one_the_config_names() -> None:
    import torch

    from agents.training.loop import build_optimizer

    weights = [torch.nn.Parameter(torch.zeros(2))]
    sgd = build_optimizer(
        weights, load_config(None, ["optim.name=sgd", "optim.momentum=0.9"]).optim
    )
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["momentum"] == 0.9
    adam = build_optimizer(weights, load_config(None, ["optim.betas=[0.8, 0.9]"]).optim)
    assert isinstance(adam, torch.optim.AdamW) and adam.defaults["betas"] == (0.8, 0.9)
