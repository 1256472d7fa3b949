"""The paper-style results table and the accuracy-over-training plot of finished runs.

Reads only what the loop writes: `runs/<name>/config.yaml` (for the method) and
`runs/<name>/eval.jsonl` (every held-out evaluation, with 95% bootstrap intervals). The table shows
each run's last evaluation, as the paper's Tables 1-4 do (Acc@t1, Acc@t2, Δ(t1,t2), Δi→c, Δc→i).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agents.training.history import EvalRecord, read_history
from score_env.metrics import Metrics
from score_env.table import METRIC_LABELS, PAPER_COLUMNS, metric_cell, plain_table


@dataclass(frozen=True)
class RunSummary:
    """A finished run: its name, method and task, and every held-out evaluation it made."""

    name: str
    method: str
    history: list[EvalRecord]  # in step order, not empty
    task: str = "?"  # the eval env, e.g. "Countdown" for SelfCorrect-Countdown-v0

    @property
    def last(self) -> EvalRecord:
        return self.history[-1]

    @property
    def step(self) -> int:
        return self.last.step

    @property
    def n(self) -> int:
        return self.last.metrics.n

    @property
    def metrics(self) -> Metrics:
        return self.last.metrics

    @property
    def intervals(self) -> dict[str, tuple[float, float]]:
        return self.last.intervals


def load_run(run_dir: Path) -> RunSummary:
    """The evaluations of one run; ValueError naming the directory when it has none."""
    history = read_history(run_dir)
    if not history:
        raise ValueError(f"{run_dir} has no eval.jsonl: is it a `score-env train` run directory?")
    config_file = run_dir / "config.yaml"
    config = yaml.safe_load(config_file.read_text()) if config_file.is_file() else {}
    return RunSummary(
        name=run_dir.name,
        # a run with no updates evaluates its starting model: the paper's "Base" row
        method=str(config.get("run", {}).get("method", "?")) if history[-1].step > 0 else "base",
        history=history,
        task=_task(config.get("env", {})),
    )


def _task(env: dict[str, Any]) -> str:
    env_id = str(env.get("eval_id") or env.get("id") or "?")
    return env_id.removeprefix("SelfCorrect-").removesuffix("-v0")


def format_table(runs: Sequence[RunSummary]) -> str:
    """One row per run: the last evaluation's value and [95% interval] of each metric."""
    header = ["run", "task", "method", "step", "n", *(METRIC_LABELS[k] for k in PAPER_COLUMNS)]
    rows = [
        [r.name, r.task, r.method, str(r.step), str(r.n)]
        + [metric_cell(k, getattr(r.metrics, k), r.intervals.get(k)) for k in PAPER_COLUMNS]
        for r in runs
    ]
    return plain_table(header, rows, left=3)


def plot_accuracy(runs: Sequence[RunSummary], path: Path) -> Path:
    """acc_t1 (left) and acc_t2 (right) against training step, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, key, title in ((axes[0], "acc_t1", "Accuracy@t1"), (axes[1], "acc_t2", "Accuracy@t2")):
        for r in runs:
            values = [getattr(record.metrics, key) for record in r.history]
            ax.plot([record.step for record in r.history], values, marker="o", label=r.name)
        ax.set_title(title)
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("held-out accuracy")
    axes[1].legend(fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
