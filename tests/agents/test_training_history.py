"""The eval history file: a record written is the record read back, files in the earlier format
are still read, and a line that is not a record is an error naming the file, line and fields."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from agents.training.history import (
    EVAL_HISTORY,
    EvalRecord,
    read_history,
    read_records,
    write_records,
)
from agents.training.logger import RunLogger
from score_env.metrics import bootstrap_intervals, compute_metrics

# 4 problems: c1 = [1, 0, 0, 1], c2 = [1, 1, 0, 0] -> one fixed, one broken
C1 = np.array([True, False, False, True])
C2 = np.array([True, True, False, False])
CHANGED = np.array([False, True, False, True])
EDIT = np.array([0.0, 0.5, 0.25, 0.75])


def _record(step: int) -> EvalRecord:
    metrics = compute_metrics(C1, C2, CHANGED, EDIT)
    return EvalRecord(step, metrics, bootstrap_intervals(C1, C2, CHANGED, EDIT, n_resamples=50))


def test_records_round_trip_through_the_history_file(tmp_path: Path) -> None:
    path = tmp_path / EVAL_HISTORY
    first, second = _record(4), _record(0)
    write_records(path, [first])
    write_records(path, [second])
    assert read_records(path) == [second, first]  # step order
    assert read_history(tmp_path)[1].metrics.delta_c2i == 0.25
    write_records(path, [first], append=False)
    assert read_records(path) == [first]


def test_scalars_are_the_tensorboard_tags() -> None:
    scalars = _record(0).scalars()
    assert scalars["eval/acc_t1"] == 0.5 and scalars["eval/delta"] == 0.0
    assert scalars["eval/edit_ratio"] == 0.375 and len(scalars) == 7


def _legacy_line(step: int, counts: dict[str, int] | None = None) -> str:
    """A line as `eval.jsonl` held it before records: `eval/` names and the counts apart."""
    metrics = {"acc_t1": 0.5, "acc_t2": 0.5, "delta": 0.0, "delta_i2c": 0.25}
    metrics |= {"delta_c2i": 0.25, "change_rate": 0.5, "edit_ratio": 0.375}
    row = {
        "step": step,
        "metrics": {f"eval/{k}": v for k, v in metrics.items()},
        "counts": counts or {"n": 4, "n_i2c": 1, "n_c2i": 1, "n_c2c": 1, "n_i2i": 1},
        "intervals_95": {"delta": [-0.5, 0.5]},
    }
    return json.dumps(row) + "\n"


def test_the_earlier_format_is_read(tmp_path: Path) -> None:
    (tmp_path / EVAL_HISTORY).write_text(_legacy_line(0) + _legacy_line(6))
    records = read_history(tmp_path)
    assert [r.step for r in records] == [0, 6]
    assert records[1].metrics == compute_metrics(C1, C2, CHANGED, EDIT)
    assert records[1].intervals == {"delta": (-0.5, 0.5)}


def test_resume_rewrites_an_earlier_file_in_the_current_format(tmp_path: Path) -> None:
    (tmp_path / EVAL_HISTORY).write_text(_legacy_line(0) + _legacy_line(6))
    RunLogger(tmp_path, purge_step=5).close()  # what a resume from step 4 does
    rows = [json.loads(line) for line in (tmp_path / EVAL_HISTORY).read_text().splitlines()]
    assert [r["step"] for r in rows] == [0] and "counts" not in rows[0]
    assert rows[0]["metrics"]["n_i2c"] == 1


def test_a_row_without_the_counts_is_an_error_naming_the_fields(tmp_path: Path) -> None:
    (tmp_path / EVAL_HISTORY).write_text(_legacy_line(0) + _legacy_line(2, {"n": 4}))
    with pytest.raises(ValueError, match=r"eval.jsonl: line 2 .*missing \['n_i2c'"):
        read_history(tmp_path)


def test_a_partial_last_line_is_skipped_and_a_bad_one_elsewhere_is_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / EVAL_HISTORY
    write_records(path, [_record(0)])
    line = path.read_text()
    path.write_text(line + line[:30])  # a kill in the middle of an append
    with caplog.at_level(logging.WARNING):
        assert [r.step for r in read_records(path)] == [0]
    assert f"{path}: skipping line 2" in caplog.text
    path.write_text(line[:30] + "\n" + line)
    with pytest.raises(ValueError, match="line 1 is not a JSON evaluation row"):
        read_records(path)
    path.write_text('{"metrics": {}}\n')
    with pytest.raises(ValueError, match="line 1 is not an evaluation row: .*integer 'step'"):
        read_records(path)
