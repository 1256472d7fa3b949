"""Is the 0.44M Countdown base what keeps SCoRe's Δ at zero? Build a variant base, then train it
with the main job's SCoRe config and compare with the shipped base's row.

Variants of `COUNTDOWN_RECIPE` (`agents/tiny/build.py`), each built and cached like any recipe:

* `deeper`: 4 layers instead of 2 (width 128, 4 heads), both cycles rebuilt at that size.
* `longer-two-turn`: the shipped architecture and Arith cycle, with the Countdown cycle (its
  honest attempts and two-turn keep-or-search traces) run 4000 steps instead of 2000.

Each variant's row: the base model's greedy evaluation on the 1,000 held-out puzzles, and the
final model of `configs/score_countdown.yaml` (200 updates, seed 0) with `policy.model` set to
the variant, both evaluated by the run loop. The shipped base's rows are read from
`docs/results/countdown_methods.json`, which `benchmarks/reproduce_table.py` wrote.

    python experiments/countdown_base_size/countdown_base_size.py --variant deeper
    python experiments/countdown_base_size/countdown_base_size.py --variant longer-two-turn
    python experiments/countdown_base_size/countdown_base_size.py --table  # results.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from agents.tiny.build import COUNTDOWN_RECIPE, ensure_tiny_model
from agents.tiny.model import TinyModelConfig
from agents.tiny.pretrain import PretrainConfig

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RUNS = ROOT / "runs" / "countdown_base_size"
METRICS = ("acc_t1", "acc_t2", "delta", "delta_i2c", "delta_c2i", "change_rate")


def recipe(variant: str) -> PretrainConfig:
    """`COUNTDOWN_RECIPE` changed as the variant says."""
    arith = COUNTDOWN_RECIPE.init_from
    assert arith is not None  # the Countdown recipe is two cycles
    if variant == "deeper":
        deeper = TinyModelConfig(n_layer=4)
        arith = dataclasses.replace(arith, model=deeper)
        return dataclasses.replace(COUNTDOWN_RECIPE, model=deeper, init_from=arith)
    if variant == "longer-two-turn":
        return dataclasses.replace(COUNTDOWN_RECIPE, max_steps=2 * COUNTDOWN_RECIPE.max_steps)
    raise ValueError(f"unknown variant {variant!r}: expected 'deeper' or 'longer-two-turn'")


def run(variant: str) -> None:
    """Build the variant's base (cached), then the main job's SCoRe run on it."""
    from agents.training.config import load_config
    from agents.training.loop import train

    model = ensure_tiny_model(recipe(variant))
    config = load_config(
        ROOT / "configs" / "score_countdown.yaml",
        [f"policy.model={model}", f"run.name={variant}", f"run.out_dir={RUNS}"],
    )
    train(config, resume=(RUNS / variant / "checkpoints").exists())


def _row(label: str, metrics: dict[str, Any], intervals: dict[str, Any], command: str) -> dict:
    row: dict[str, Any] = {"method": label, **{k: metrics[k] for k in METRICS}}
    row["delta_ci"] = list(intervals["delta"])
    row["command"] = command
    return row


def table() -> dict[str, Any]:
    """The results table: the shipped base's Base and SCoRe rows, then each variant's."""
    from agents.training.history import read_history

    shipped = json.loads((ROOT / "docs" / "results" / "countdown_methods.json").read_text())
    rows = [
        {**r, "method": f"shipped 2x128, {r['method']}"}
        for r in shipped["rows"]
        if r["method"] in ("Base", "SCoRe (seed 0)")
    ]
    for variant in ("deeper", "longer-two-turn"):
        history = read_history(RUNS / variant)
        if not history:
            continue
        command = (
            f"python experiments/countdown_base_size/countdown_base_size.py --variant {variant}"
        )
        for record, what in ((history[0], "Base"), (history[-1], "SCoRe (seed 0)")):
            metrics = record.metrics.as_dict()
            rows.append(_row(f"{variant}, {what}", metrics, record.intervals, command))
    return {
        "title": "SCoRe on Countdown from other tiny bases",
        "task": "SelfCorrect-Countdown-v0",
        "about": (
            "The 1,000 held-out puzzles, greedy decoding of both turns. Base: the pretrained "
            "model; SCoRe: the final model of `configs/score_countdown.yaml` (200 updates, RL "
            "seed 0) on that base. `deeper`: 4 layers x 128 (both build cycles at that size); "
            "`longer-two-turn`: the shipped base with its Countdown cycle twice as long. The "
            "shipped rows are those of `docs/results/countdown_methods.json`."
        ),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=("deeper", "longer-two-turn"))
    parser.add_argument("--table", action="store_true", help="write results.json")
    args = parser.parse_args()
    if args.variant:
        run(args.variant)
    if args.table:
        results = {
            "question": "Does a bigger or longer-trained Countdown base let SCoRe reach Δ > 0?",
            "command": "python experiments/countdown_base_size/countdown_base_size.py --table",
            "source": "runs/countdown_base_size/*/eval.jsonl",
            "tables": {"size": table()},
        }
        (HERE / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
