"""`score-env report`: the paper-style table of training runs and a PNG of accuracy over training.

score-env report runs/*
score-env report runs/star_arith runs/pair_sft_arith --plot results/acc.png
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", type=Path, help="run directories (runs/<name>)")
    parser.add_argument(
        "--plot",
        type=Path,
        default=None,
        help="where to save the PNG (default: <parent of the first run>/report.png)",
    )


def run(args: argparse.Namespace) -> int:
    from agents.training.report import format_table, load_run, plot_accuracy

    dirs = [d for d in args.runs if d.is_dir() and (d / "eval.jsonl").is_file()]
    skipped = [d for d in args.runs if d not in dirs]
    if not dirs:
        raise SystemExit(
            f"score-env report: none of {[str(d) for d in args.runs]} is a run "
            "directory with eval.jsonl"
        )
    runs = [load_run(d) for d in dirs]
    print(format_table(runs))
    if skipped:
        print(f"(skipped, no eval.jsonl: {', '.join(str(d) for d in skipped)})")
    path = plot_accuracy(runs, args.plot or dirs[0].parent / "report.png")
    print(f"plot: {path}")
    return 0
