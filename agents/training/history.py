"""A run's held-out evaluations as typed records, and the one file format that stores them.

`EvalRecord` is what an evaluation at one training step produced: the paper's metrics (with the
transition counts) and their 95% bootstrap intervals. `write_records` is the only writer of a
history file (`runs/<name>/eval.jsonl`, one JSON object a line) and `read_records` its only
reader, so that `score-env report`, the benchmark and the loop's `TrainResult.final_eval` read
the same records the loop wrote, with no TensorBoard parsing. A line is

    {"step": 6, "metrics": {"n": 200, "acc_t1": 0.4, ..., "n_i2i": 90}, "intervals_95": {...}}

with `metrics` the fields of `score_env.metrics.Metrics`. Files written before this format, with
`eval/`-prefixed metric names and the counts apart (`"counts": {"n": 200, "n_i2c": ...}`), are
still read.

Crash safety: each appended line is flushed and fsynced, and a rewrite is an atomic rename. A kill
in the middle of an append can still leave a partial last line; the reader skips it with a warning
naming the file and line. A bad line elsewhere, or a line that is JSON but not a record, is an
error naming them and what was expected.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.training.rundir import atomic_write_text
from score_env.evaluation import EvalResult
from score_env.metrics import METRIC_NAMES, Metrics

log = logging.getLogger(__name__)

EVAL_HISTORY = "eval.jsonl"
EVAL_GROUP = "eval"
"""The TensorBoard group of the held-out metrics (`eval/acc_t1`, `eval/delta_i2c`, ...)."""
_FIELDS = tuple(f.name for f in dataclasses.fields(Metrics))


@dataclass(frozen=True)
class EvalRecord:
    """One held-out evaluation: the training step, the metrics and their 95% intervals (keyed by
    metric name, e.g. `intervals["delta"] == (lo, hi)`)."""

    step: int
    metrics: Metrics
    intervals: dict[str, tuple[float, float]]

    @classmethod
    def from_result(cls, step: int, result: EvalResult) -> EvalRecord:
        return cls(step, result.overall, dict(result.intervals))

    def scalars(self) -> dict[str, float]:
        """The metrics as TensorBoard scalars: `{"eval/acc_t1": 0.4, ...}`."""
        return {f"{EVAL_GROUP}/{k}": float(getattr(self.metrics, k)) for k in METRIC_NAMES}

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "metrics": self.metrics.as_dict(),
            "intervals_95": {k: list(v) for k, v in self.intervals.items()},
        }

    @classmethod
    def from_json(cls, row: Any) -> EvalRecord:
        """The record of one history line (either format); ValueError saying what was expected."""
        if not isinstance(row, dict) or not isinstance(row.get("step"), int):
            raise ValueError("expected an object with an integer 'step'")
        metrics = row.get("metrics")
        if not isinstance(metrics, dict):
            raise ValueError("expected a 'metrics' object")
        if "counts" in row:  # the earlier format: `eval/` names, the counts apart
            if not isinstance(row["counts"], dict):
                raise ValueError("expected a 'counts' object")
            prefix = f"{EVAL_GROUP}/"
            metrics = {k.removeprefix(prefix): v for k, v in metrics.items()} | row["counts"]
        missing = [k for k in _FIELDS if k not in metrics]
        unknown = sorted(set(metrics) - set(_FIELDS))
        if missing or unknown:
            raise ValueError(
                f"'metrics' needs exactly the fields {list(_FIELDS)}; "
                f"missing {missing}, unknown {unknown}"
            )
        try:
            values: dict[str, Any] = {
                k: (int if k.startswith("n") else float)(metrics[k]) for k in _FIELDS
            }
            intervals = {
                str(k): (float(lo), float(hi))
                for k, (lo, hi) in row.get("intervals_95", {}).items()
            }
        except (AttributeError, TypeError, ValueError) as err:
            raise ValueError(f"expected numbers and [lo, hi] intervals ({err})") from err
        return cls(row["step"], Metrics(**values), intervals)


def write_records(path: Path, records: Iterable[EvalRecord], *, append: bool = True) -> None:
    """Append `records` to the history file `path` (fsynced), or with `append=False` replace its
    contents by them atomically."""
    text = "".join(json.dumps(r.to_json()) + "\n" for r in records)
    if not append:
        atomic_write_text(path, text)
        return
    with open(path, "a") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def read_records(path: Path) -> list[EvalRecord]:
    """The records of the history file `path` in step order; none when it does not exist."""
    path = Path(path)
    if not path.is_file():
        return []
    lines = path.read_text().splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            if number == len(lines):  # what a kill during the append leaves
                log.warning("%s: skipping line %d, a partial last line (%s)", path, number, err)
                continue
            raise ValueError(f"{path}: line {number} is not a JSON evaluation row: {err}") from err
        try:
            records.append(EvalRecord.from_json(row))
        except ValueError as err:
            raise ValueError(f"{path}: line {number} is not an evaluation row: {err}") from err
    return sorted(records, key=lambda r: r.step)


def read_history(run_dir: Path) -> list[EvalRecord]:
    """The held-out evaluations of the run in `run_dir`, in step order."""
    return read_records(Path(run_dir) / EVAL_HISTORY)
