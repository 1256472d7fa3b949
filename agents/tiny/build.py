"""`ensure_tiny_model()`: the pretrained tiny model's directory, trained once and cached.

The cache lives under `$SCORE_ENV_CACHE` (default `~/.cache/score_env`), in `tiny/arith-<hash>/`
where the hash covers the pretraining config and its corpus's DATA_VERSION, so a changed recipe retrains instead
of reusing a stale model. A file lock makes concurrent callers wait for one build instead of
training side by side on a shared CPU. The directory is a standard Hugging Face model directory
(`AutoModelForCausalLM` / `AutoTokenizer.from_pretrained` load it) plus `pretrain.json` (config,
steps, time, losses), `base_eval.json` (the base model's two-turn metrics) and `logs/`
(TensorBoard).
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from agents.policy import GREEDY, Policy, PolicyConfig, SamplingConfig
from agents.policy.agent import PolicyAgent
from agents.tiny.countdown_data import CountdownMix
from agents.tiny.data import DataMix
from agents.tiny.pretrain import PretrainConfig, pretrain

logger = logging.getLogger(__name__)

TINY_SAMPLING = SamplingConfig(max_new_tokens=96)  # temperature 1: the RL sampling distribution


def cache_root() -> Path:
    return Path(os.environ.get("SCORE_ENV_CACHE") or Path.home() / ".cache" / "score_env")


# Fields that do not change the weights. The thread count does (CPU kernels split their sums by
# thread, so 1- and 2-thread builds of one recipe differ, accuracy included), so it is hashed and
# the recipe pins it.
_NOT_IN_HASH = ("eval_every_steps", "eval_problems_per_level")


def _hashed_fields(config: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in config.items() if k not in _NOT_IN_HASH}
    if fields.get("init_from") is None:
        fields.pop("init_from", None)  # a from-scratch recipe keeps the hash it had before
    else:
        fields["init_from"] = _hashed_fields(fields["init_from"])
    return fields


def data_version(config: PretrainConfig) -> int:
    """The version of the code that turns the config's mix into tokens (each corpus has its own,
    so a change to one retrains only its models)."""
    return config.mix.DATA_VERSION


def config_hash(config: PretrainConfig) -> str:
    fields = _hashed_fields(dataclasses.asdict(config))
    payload = json.dumps({"data_version": data_version(config), **fields}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def tiny_model_dir(config: PretrainConfig | None = None, cache_dir: Path | None = None) -> Path:
    config = config or TINY_RECIPE
    return Path(cache_dir or cache_root()) / "tiny" / f"{config.mix.task}-{config_hash(config)}"


def _cycle(
    max_steps: int,
    lr: float,
    threads: int,
    mix: DataMix | CountdownMix | None = None,
    init_from: PretrainConfig | None = None,
) -> PretrainConfig:
    """One warmup + cosine cycle of 2048-token steps, the unit every recipe here is made of."""
    return PretrainConfig(
        init_from=init_from,
        max_steps=max_steps,
        tokens_per_batch=2048,
        lr=lr,
        threads=threads,
        mix=mix or DataMix(),
    )


TINY_RECIPE = _cycle(2500, 2e-3, 2, init_from=_cycle(4000, 3e-3, 2, DataMix(two_turn_fraction=0.0)))
"""The default tiny model, in two cosine cycles of 2048-token steps at 2 threads (pinned: the
weights depend on the thread count). Cycle 1, 4000 steps at lr 3e-3 on one-turn traces only,
learns the arithmetic; cycle 2, 2500 steps at lr 2e-3 from its weights with 30% two-turn batches,
teaches the second turn. 14.3M tokens; its base metrics are in docs/results.md (measured, not
typed here)."""


FIX_SKILL_RECIPE = _cycle(
    2500,
    2e-3,
    1,
    DataMix(two_turn_fraction=0.7, gold_first_fraction=0.0),
    init_from=_cycle(2500, 2e-3, 1, DataMix(gold_first_fraction=0.0), TINY_RECIPE.init_from),
)
"""A base model that holds a latent fixing skill, for self-correction experiments: the default's
first cycle, then two cycles whose two-turn traces always pair a corrupted first attempt with the
gold second one (30%, then 70% of batches), at 1 thread so that it builds beside another run.
Within one cycle the 2-layer model only learns to copy turn 1 (every mix tried fixed almost no
planted errors); the third cycle teaches it to fix a large share of them while the one-turn
batches keep turn 1. It fixes planted errors far more often than its own slips: see
experiments/probe_self_correction."""

COUNTDOWN_RECIPE = _cycle(
    2000,
    2e-3,
    1,
    CountdownMix(),
    init_from=_cycle(3000, 3e-3, 1, DataMix(two_turn_fraction=0.0)),
)
"""The Countdown base model (`tiny:countdown`), in two cosine cycles at 1 thread (a 1-thread
build keeps its speed when another process shares a 2-core machine). Cycle 1 learns Arith's
step-by-step arithmetic from one-turn traces; cycle 2 learns Countdown attempts that evaluate
their expression honestly, and two-turn traces whose turn 2 keeps turn 1 or searches from it
regardless of whether it was right (`agents.tiny.countdown_data`). Its metrics are in the model
directory's `base_eval.json`."""

RECIPES = {"default": TINY_RECIPE, "fix-skill": FIX_SKILL_RECIPE, "countdown": COUNTDOWN_RECIPE}
"""Named recipes: `tiny` in a config or on the command line is `default`, `tiny:fix-skill` the other."""


def tiny_recipe(spec: str) -> PretrainConfig:
    """The recipe that `tiny` or `tiny:<name>` names; a ValueError lists the names."""
    head, _, name = spec.partition(":")
    if head != "tiny" or (name or "default") not in RECIPES:
        raise ValueError(
            f"unknown tiny model {spec!r}: expected 'tiny' or one of "
            + ", ".join(repr(f"tiny:{n}") for n in RECIPES)
        )
    return RECIPES[name or "default"]


def is_tiny(spec: str) -> bool:
    """Whether a model argument names an embedded tiny model (`tiny` or `tiny:<recipe>`)."""
    return spec == "tiny" or spec.startswith("tiny:")


def resolve_model(spec: str) -> str:
    """A model argument as something `from_pretrained` loads: `tiny` / `tiny:<recipe>` becomes
    its cached directory (built on first use); a directory or hub id is returned unchanged.

    A spec that can only be a path (absolute, `./`, `../`, `~`, or more than `org/name`) must be
    an existing directory: FileNotFoundError "no model directory at ..." rather than the hub's
    complaint about repo ids.
    """
    if is_tiny(spec):
        return str(ensure_tiny_model(tiny_recipe(spec)))
    path = Path(spec).expanduser()
    looks_like_path = spec.startswith(("/", ".", "~")) or spec.count("/") > 1
    if looks_like_path and not path.is_dir():
        raise FileNotFoundError(f"no model directory at {path}")
    return spec


def ensure_tiny_model(
    config: PretrainConfig | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
    progress: bool = True,
    eval_problems: int = 1000,
) -> Path:
    """The directory of the tiny model pretrained with `config` (default TINY_RECIPE), training
    it first if needed."""
    config = config or TINY_RECIPE
    target = tiny_model_dir(config, cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if (target / "pretrain.json").is_file() and not force:
            return target
        work = target.with_name(target.name + ".partial")  # a killed build resumes from here
        init = None
        if config.init_from is not None:
            init = ensure_tiny_model(
                config.init_from, cache_dir, progress=progress, eval_problems=0
            )
        started = time.monotonic()
        model, tokenizer, result = pretrain(config, work, progress=progress, init_weights=init)
        model.save_pretrained(work)
        tokenizer.save_pretrained(work)
        record = {
            "config": dataclasses.asdict(config),
            "data_version": data_version(config),
            **dataclasses.asdict(result),
        }
        record["wall_seconds"] = time.monotonic() - started
        (work / "pretrain.json").write_text(json.dumps(record, indent=1))
        if eval_problems:
            report = evaluate_base(work, config.mix, eval_problems, progress)
            (work / "base_eval.json").write_text(json.dumps(report, indent=1))
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    logger.info("tiny model ready at %s", target)
    return target


def evaluate_base(
    model_dir: Path, mix: DataMix | CountdownMix, n_problems: int, progress: bool = False
) -> dict[str, Any]:
    """Two-turn metrics of the model as is (the paper's "Base"), greedy and at temperature 1."""
    import score_env

    policy = Policy.from_pretrained(model_dir, PolicyConfig(device="cpu", frozen_reference=False))
    report: dict[str, Any] = {"env": mix.env_id, **mix.env_kwargs, "split": "test"}
    for name, sampling in (
        ("greedy", dataclasses.replace(GREEDY, max_new_tokens=96)),
        ("t1", TINY_SAMPLING),
    ):
        result = score_env.evaluate(
            PolicyAgent(policy, sampling, seed=0),
            mix.env_id,
            n_problems=n_problems,
            batch_size=min(250, n_problems),
            split="test",
            progress=progress,
            **mix.env_kwargs,
        )
        report[name] = result.as_dict(with_episodes=False)
    return report
