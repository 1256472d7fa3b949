"""`score-env sb3-ppo`: train Stable-Baselines3 PPO on the token-level self-correction MDP.

score-env sb3-ppo                                   # the easiest setting, 30k tokens
score-env sb3-ppo --config configs/sb3/ppo_arith_tiny_all_ops.yaml --alpha 10
score-env sb3-ppo --resume runs/sb3-ppo/checkpoints/ppo_20000_steps.zip
tensorboard --logdir runs/sb3-ppo

Prints the trained (greedy) policy's and a uniform random policy's metrics on every problem of
the tiny split, evaluated by `score_env.evaluate` like any other agent.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict, fields
from pathlib import Path

import yaml

from agents.sb3_ppo import SB3PPOConfig

_DEFAULTS = SB3PPOConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=None, help="YAML of SB3PPOConfig fields; flags override it"
    )
    for f in fields(SB3PPOConfig):
        default = getattr(_DEFAULTS, f.name)
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            type=float if f.name == "alpha" else type(default),
            default=None,  # None = not given, so a YAML value is not overridden by a default
            help=f"SB3PPOConfig.{f.name} (default: {default})",
        )
    parser.add_argument("--run-dir", type=Path, default=Path("runs/sb3-ppo"))
    parser.add_argument("--resume", type=Path, default=None, help="a saved model .zip to continue")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--verbose", action="store_true", help="SB3's training table on stdout")


def resolve_config(args: argparse.Namespace) -> SB3PPOConfig:
    """Defaults, then the YAML file's values, then the flags given on the command line."""
    values = asdict(_DEFAULTS)
    if args.config is not None:
        loaded = yaml.safe_load(args.config.read_text()) or {}
        unknown = sorted(set(loaded) - set(values))
        if unknown:
            raise SystemExit(
                f"score-env sb3-ppo: unknown keys {unknown} in {args.config}; "
                f"expected SB3PPOConfig fields {sorted(values)}"
            )
        values.update(loaded)
    values.update({k: getattr(args, k) for k in values if getattr(args, k) is not None})
    return SB3PPOConfig(**values)


def run(args: argparse.Namespace) -> int:
    from agents.sb3_ppo import Comparison, compare_with_random, log_comparison, train

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = resolve_config(args)
    model = train(
        config,
        args.run_dir,
        resume_from=args.resume,
        progress=not args.no_progress,
        verbose=int(args.verbose),
    )
    comparison = compare_with_random(model, config)
    log_comparison(model, comparison)
    print(f"{'policy':<8} {'mean reward':>11} {'Acc@t1':>7} {'Acc@t2':>7} {'Δi→c':>6} {'Δc→i':>6}")
    for name, m in (("ppo", comparison.ppo), ("random", comparison.random)):
        reward = Comparison.mean_reward(m)
        print(
            f"{name:<8} {reward:>11.3f} {m.acc_t1:>7.3f} {m.acc_t2:>7.3f} "
            f"{m.delta_i2c:>6.3f} {m.delta_c2i:>6.3f}"
        )
    summary = {"ppo": asdict(comparison.ppo), "random": asdict(comparison.random)}
    (args.run_dir / "eval.json").write_text(json.dumps(summary, indent=1))
    print(f"model, checkpoints, TensorBoard logs and eval.json in {args.run_dir}")
    return 0
