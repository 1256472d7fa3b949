"""`score-env train`: run one training config.

score-env train --config configs/star_arith.yaml
score-env train --config configs/star_arith.yaml --set optim.lr=3e-4 --set run.name=star_lr3e-4
score-env train --config configs/star_arith.yaml --resume        # continue after a crash
torchrun --standalone --nproc_per_node 2 -m agents.cli train --config X.yaml --set run.cpu=true
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="YAML config (sections run/env/policy/sampling/eval_sampling/optim/"
        "method); omitted: all defaults",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one field, VALUE read as YAML (repeatable)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest checkpoint in runs/<name>/checkpoints",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also show the libraries' INFO/WARNING lines (always in runs/<name>/run.log)",
    )


def run(args: argparse.Namespace) -> int:
    from agents.log_setup import configure_logging
    from agents.training.config import load_config
    from agents.training.loop import train
    from agents.training.rundir import RunLock, is_main_launch_process
    from score_env.metrics import METRIC_NAMES

    config = load_config(args.config, args.overrides)
    log_file = config.run_dir / "run.log"
    if is_main_launch_process():  # a busy run directory is refused before its log is touched
        with RunLock(config.run_dir):
            pass
    configure_logging(args.verbose, log_file)
    logging.getLogger(__name__).info("log: %s", log_file)
    result = train(config, resume=args.resume, progress=not args.no_progress)
    if result.final_eval is not None:
        shown = "  ".join(f"{k}={getattr(result.final_eval.metrics, k):.3f}" for k in METRIC_NAMES)
        print(f"{result.run_dir}: step {result.steps}: {shown}")
        print(f"tensorboard --logdir {result.run_dir.parent}")
    return 0
