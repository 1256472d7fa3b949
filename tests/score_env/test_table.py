"""The one set of metric columns and cells, checked against rows computed by hand."""

from __future__ import annotations

import numpy as np

from score_env.evaluation import EvalResult
from score_env.metrics import METRIC_NAMES, compute_metrics
from score_env.table import METRIC_LABELS, format_table, markdown_table, metric_cell, pct


def test_every_metric_has_a_label() -> None:
    assert list(METRIC_LABELS) == list(METRIC_NAMES)


def test_cells_are_percent_with_one_decimal_and_a_signed_delta() -> None:
    assert pct(0.4567) == "45.7" and pct(0.0) == "0.0"
    assert pct(-0.0125, signed=True) == "−1.2" and pct(0.02, signed=True) == "+2.0"
    assert metric_cell("acc_t2", 0.5, (0.45, 0.55)) == "50.0 [45.0, 55.0]"
    assert metric_cell("delta", -0.04, (-0.058, -0.024)) == "−4.0 [−5.8, −2.4]"


def test_markdown_table() -> None:
    assert markdown_table(["a", "b"], [["1", "2"]]) == "| a | b |\n|---|---|\n| 1 | 2 |"


def test_eval_table_rows_by_hand() -> None:
    # 5 problems: c1 = [1, 1, 0, 0, 0], c2 = [1, 0, 1, 1, 0]
    c1 = np.array([True, True, False, False, False])
    c2 = np.array([True, False, True, True, False])
    changed = np.array([False, True, True, True, False])
    m = compute_metrics(c1, c2, changed, np.array([0.0, 0.5, 0.5, 0.5, 0.0]))
    intervals = {k: (0.1, 0.9) for k in METRIC_NAMES} | {"delta": (-0.2, 0.6)}
    result = EvalResult("SelfCorrect-Arith-v0", m, intervals, {}, {"2": m}, ())
    lines = format_table(result).splitlines()
    assert lines[0] == "SelfCorrect-Arith-v0: 5 problems, percent"
    cells = {line[:12].strip(): line[12:].strip() for line in lines[3:10]}
    # Acc@t1 = 2/5, Acc@t2 = 3/5, Δ = +1/5, Δi→c = 2/5, Δc→i = 1/5, changed 3/5, edit 0.3
    assert cells == {
        "Acc@t1": "40.0 [10.0, 90.0]",
        "Acc@t2": "60.0 [10.0, 90.0]",
        "Δ(t1,t2)": "+20.0 [−20.0, +60.0]",
        "Δi→c": "40.0 [10.0, 90.0]",
        "Δc→i": "20.0 [10.0, 90.0]",
        "change rate": "60.0 [10.0, 90.0]",
        "edit ratio": "30.0 [10.0, 90.0]",
    }
    assert lines[-3].split() == ["level", "n", "Acc@t1", "Acc@t2", "Δ(t1,t2)", "Δi→c", "Δc→i"]
    assert lines[-1].split() == ["2", "5", "40.0", "60.0", "+20.0", "40.0", "20.0"]
