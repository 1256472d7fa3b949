"""The GPU-scale STaR and Pair-SFT configs (MATH, MBPP -> HumanEval) run end to end here with a
small random tiny model substituted for the 1.5B model and every budget cut to a few episodes:
the env ids, data splits, eval env and method sections are the shipped ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from training_fixtures import scalars

from agents.tiny.model import TinyModelConfig, build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer
from agents.training.config import load_config
from agents.training.loop import train

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
CONFIGS = sorted(
    p
    for pattern in ("star_*qwen*.yaml", "pair_sft_*qwen*.yaml", "*_mbpp_humaneval.yaml")
    for p in (ROOT / "configs").glob(pattern)
    if p.name.startswith(("star", "pair_sft"))
)


@pytest.fixture(scope="module")
def long_context_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MATH prompts and the paper's instruction run to ~1,500 characters: a 2,048-position model."""
    directory = tmp_path_factory.mktemp("tiny") / "model"
    tokenizer = build_char_tokenizer()
    config = TinyModelConfig(n_layer=1, n_embd=32, n_head=2, n_positions=2048)
    build_tiny_model(tokenizer, config, seed=0).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_there_are_gpu_configs_for_both_methods_and_both_domains() -> None:
    names = {p.stem for p in CONFIGS}
    assert {"star_math_qwen1.5b", "pair_sft_math_qwen1.5b"} <= names
    assert {"star_mbpp_humaneval", "pair_sft_mbpp_humaneval"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_gpu_config_runs_with_the_tiny_model(
    path: Path, long_context_model: Path, tmp_path: Path
) -> None:
    if not DATA.is_dir():
        pytest.skip(f"needs the shared datasets at {DATA}")
    shipped = load_config(path)
    steps = 1
    overrides = [
        f"policy.model={long_context_model}",
        "policy.dtype=float32",
        "policy.generation_batch_size=8",
        "run.mixed_precision=no",
        f"run.out_dir={tmp_path}",
        f"run.total_steps={steps}",
        "env.num_envs=8",
        "env.eval_episodes=4",
        "env.eval_num_envs=4",
        "sampling.max_new_tokens=8",
        "eval_sampling.max_new_tokens=8",
        "optim.micro_batch_size=4",
        "method.rollout_batches=1",
        *(["method.iterations=1"] if shipped.run.method == "star" else []),
    ]
    cfg = load_config(path, overrides)
    assert (cfg.env.id, cfg.env.resolved_eval_id, cfg.method) == (
        shipped.env.id,
        shipped.env.resolved_eval_id,
        shipped.method.__class__(
            **{
                **vars(shipped.method),
                **{k: 1 for k in ("rollout_batches", "iterations") if hasattr(shipped.method, k)},
            }
        ),
    )
    result = train(cfg, progress=False)
    assert result.steps == steps
    assert [s for s, _ in scalars(result.run_dir, "eval/acc_t1")] == [0, steps]
    assert len(scalars(result.run_dir, "train/reward_t1")) >= 1
