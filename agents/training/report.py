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

from agents.training.logger import read_history

COLUMNS = (
    ("Acc@t1", "acc_t1"),
    ("Acc@t2", "acc_t2"),
    ("Δ(t1,t2)", "delta"),
    ("Δi→c", "delta_i2c"),
    ("Δc→i", "delta_c2i"),
)


@dataclass(frozen=True)
class RunSummary:
    name: str
    method: str
    step: int
    n: int
    metrics: dict[str, float]  # keys without the `eval/` group
    intervals: dict[str, tuple[float, float]]
    history: list[dict[str, Any]]
    task: str = "?"  # the eval env, e.g. "Countdown" for SelfCorrect-Countdown-v0


def load_run(run_dir: Path) -> RunSummary:
    """The last evaluation of one run; ValueError naming the directory when it has none."""
    history = read_history(run_dir)
    if not history:
        raise ValueError(f"{run_dir} has no eval.jsonl: is it a `score-env train` run directory?")
    last = history[-1]
    config_file = run_dir / "config.yaml"
    config = yaml.safe_load(config_file.read_text()) if config_file.is_file() else {}
    return RunSummary(
        name=run_dir.name,
        # a run with no updates evaluates its starting model: the paper's "Base" row
        method=str(config.get("run", {}).get("method", "?")) if last["step"] > 0 else "base",
        step=int(last["step"]),
        n=int(last["counts"]["n"]),
        metrics={k.split("/", 1)[1]: float(v) for k, v in last["metrics"].items()},
        intervals={k: (float(v[0]), float(v[1])) for k, v in last.get("intervals_95", {}).items()},
        history=history,
        task=_task(config.get("env", {})),
    )


def _task(env: dict[str, Any]) -> str:
    env_id = str(env.get("eval_id") or env.get("id") or "?")
    return env_id.removeprefix("SelfCorrect-").removesuffix("-v0")


def format_table(runs: Sequence[RunSummary]) -> str:
    """One row per run: value and [95% interval] of each metric, in percent."""
    width = max([len(r.name) for r in runs] + [8])
    mwidth = max([len(r.method) for r in runs] + [6]) + 2
    twidth = max([len(r.task) for r in runs] + [4]) + 2
    header = (
        f"{'run':<{width}}  {'task':<{twidth}}{'method':<{mwidth}}{'step':>6}{'n':>6}"
        + "".join(f"{label:>22}" for label, _ in COLUMNS)
    )
    lines = [header, "-" * len(header)]
    for r in runs:
        cells = []
        for _, key in COLUMNS:
            signed = key == "delta"
            value = _pct(r.metrics[key], signed)
            lo, hi = r.intervals.get(key, (float("nan"), float("nan")))
            cells.append(f"{value} [{_pct(lo, signed)},{_pct(hi, signed)}]".rjust(22))
        row = f"{r.name:<{width}}  {r.task:<{twidth}}{r.method:<{mwidth}}{r.step:>6}{r.n:>6}"
        lines.append(row + "".join(cells))
    return "\n".join(lines)


def _pct(value: float, signed: bool = False) -> str:
    return f"{value * 100:+.1f}" if signed else f"{value * 100:.1f}"


def plot_accuracy(runs: Sequence[RunSummary], path: Path) -> Path:
    """acc_t1 (left) and acc_t2 (right) against training step, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, key, title in ((axes[0], "acc_t1", "Accuracy@t1"), (axes[1], "acc_t2", "Accuracy@t2")):
        for r in runs:
            steps = [row["step"] for row in r.history]
            ax.plot(
                steps,
                [row["metrics"][f"eval/{key}"] for row in r.history],
                marker="o",
                label=r.name,
            )
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
