"""The shipped SCoRe configs: Table 5 coefficients, each Table 4 ablation one field away from SCoRe,
and the GPU-scale configs (MATH, MBPP -> HumanEval) run end to end with a tiny model substituted."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from agents.methods.score.config import ScoreConfig
from agents.tiny.model import TinyModelConfig, build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer
from agents.training.config import load_config
from agents.training.loop import train
from score_env.data import shared_data_dir

sys.path.insert(0, str(Path(__file__).parent))
from training_fixtures import scalars  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
ABLATIONS = {
    "no_stage1": {"stage_one_steps": 0},
    "no_shaping": {"bonus_coef": 0.0},
    "single_turn": {"stage_one_steps": 0, "stage_two_update": "single_turn"},
    "star_stage2": {"stage_two_update": "star"},
}
TASKS = ("arith", "countdown")
GPU_CONFIGS = ("score_math_qwen1.5b", "score_mbpp_humaneval", "score_countdown_qwen0.5b")


def _without_name(config: Any) -> dict[str, Any]:
    d = config.to_dict()
    d["run"].pop("name")
    return d


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("score*.yaml")), ids=lambda p: p.stem)
def test_score_configs_use_table5_coefficients(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.run.method == "score" and isinstance(cfg.method, ScoreConfig)
    assert cfg.method.second_turn_kl_coef == 0.01  # β1
    assert cfg.method.first_turn_kl_coef == (0.25 if "mbpp" in path.stem else 0.1)  # β2
    expected_alpha = 0.0 if path.stem.endswith("no_shaping") else 10.0
    assert cfg.method.bonus_coef == expected_alpha  # α
    assert cfg.sampling.temperature == 1.0 and cfg.eval_sampling.greedy


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("name", sorted(ABLATIONS))
def test_each_ablation_is_one_change_from_score(task: str, name: str) -> None:
    base = _without_name(load_config(CONFIGS / f"score_{task}.yaml"))
    ablation = _without_name(load_config(CONFIGS / f"score_{task}_{name}.yaml"))
    base["method"].update(ABLATIONS[name])
    assert ablation == base


def _long_context_tiny_model(directory: Path) -> Path:
    """A random 1-layer char-level GPT-2 with room for MATH / code prompts (characters are tokens)."""
    tokenizer = build_char_tokenizer()
    shape = TinyModelConfig(n_layer=1, n_embd=32, n_head=2, n_positions=4096)
    build_tiny_model(tokenizer, shape).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.mark.parametrize("name", GPU_CONFIGS)
def test_gpu_config_runs_end_to_end_with_the_tiny_model(name: str, tmp_path: Path) -> None:
    if "countdown" not in name and not (shared_data_dir() / "math500_test.jsonl").is_file():
        pytest.skip(f"benchmark data not found at {shared_data_dir()}")
    model = _long_context_tiny_model(tmp_path / "model")
    overrides = [
        f"policy.model={model}",
        "policy.dtype=float32",
        "run.mixed_precision='no'",  # quoted: bare YAML no is False
        "run.cpu=true",
        f"run.out_dir={tmp_path / 'runs'}",
        "run.total_steps=2",
        "method.stage_one_steps=1",
        "env.num_envs=4",
        "env.eval_episodes=2",
        "env.eval_num_envs=2",
        "sampling.max_new_tokens=8",
        "eval_sampling.max_new_tokens=8",
        "optim.micro_batch_size=2",  # exercises the micro-batched (gradient accumulation) path
    ]
    result = train(load_config(CONFIGS / f"{name}.yaml", overrides), progress=False)
    assert result.steps == 2
    assert [v for _, v in scalars(result.run_dir, "score/stage")] == [1.0, 2.0]
    assert result.final_eval is not None and result.final_eval.step == result.steps
