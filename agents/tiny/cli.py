"""`score-env pretrain-tiny`: build (or find) the embedded tiny model and print where it is.

score-env pretrain-tiny                       # the default recipe, cached under $SCORE_ENV_CACHE
score-env pretrain-tiny --steps 300 --force   # another recipe (cached under its own hash)
score-env pretrain-tiny --recipe fix-skill    # a base that holds a latent fixing skill
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.tiny.pretrain import PretrainConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--recipe",
        default="default",
        help="a named recipe of agents.tiny.build.RECIPES: default, fix-skill",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="optimiser steps of the last cycle (default: the recipe's)",
    )
    parser.add_argument(
        "--levels", type=int, nargs="+", default=None, help="Arith levels to train on"
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="default: $SCORE_ENV_CACHE or ~/.cache/score_env",
    )
    parser.add_argument(
        "--eval-problems",
        type=int,
        default=1000,
        help="held-out problems for the base metrics (0: skip)",
    )
    parser.add_argument("--force", action="store_true", help="retrain even if cached")


def run(args: argparse.Namespace) -> int:
    from agents.log_setup import configure_logging
    from agents.tiny.build import ensure_tiny_model, tiny_recipe

    configure_logging(route_transformers=True)
    config = tiny_recipe(f"tiny:{args.recipe}")
    if args.steps is not None:
        config = dataclasses.replace(config, max_steps=args.steps)
    for phase in ("levels", "seed"):
        value = getattr(args, phase)
        if value is not None:  # applies to both pretraining cycles
            config = _with(config, phase, tuple(value) if phase == "levels" else value)
    path = ensure_tiny_model(
        config, args.cache_dir, force=args.force, eval_problems=args.eval_problems
    )
    summary = json.loads((path / "pretrain.json").read_text())
    print(f"tiny model: {path}")
    print(
        f"steps {summary['steps']}, {summary['wall_seconds']:.0f} s, loss {summary['first_loss']:.3f} -> {summary['final_loss']:.3f}"
    )
    base = path / "base_eval.json"
    if base.is_file():
        report = json.loads(base.read_text())
        for name in ("greedy", "t1"):
            m = report[name]["overall"]
            print(
                f"base {name:>6}: acc@t1 {m['acc_t1']:.1%}  acc@t2 {m['acc_t2']:.1%}  Δ {m['delta']:+.1%}  "
                f"i→c {m['delta_i2c']:.1%}  c→i {m['delta_c2i']:.1%}  (n={m['n']})"
            )
    return 0


def _with(config: PretrainConfig, name: str, value: Any) -> PretrainConfig:
    """`config` with `levels` or `seed` set in it and in the cycle it starts from."""
    init = None if config.init_from is None else _with(config.init_from, name, value)
    if name == "levels":
        mix = dataclasses.replace(config.mix, levels=value)
        return dataclasses.replace(config, mix=mix, init_from=init)
    return dataclasses.replace(config, seed=value, init_from=init)
