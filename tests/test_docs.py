"""The docs' tables are rendered from committed JSON, and the rendered files are up to date."""

from __future__ import annotations

import json
import re

from agents.results_tables import (
    RESULTS_PAGE,
    ROOT,
    load_table,
    render_table,
    rendered_files,
    table_refs,
)
from agents.training.history import EVAL_HISTORY, EvalRecord, write_records
from score_env.metrics import Metrics


def test_rendered_docs_match_the_json():
    stale = [
        str(p.relative_to(ROOT)) for p, text in rendered_files().items() if p.read_text() != text
    ]
    assert not stale, f"out of date, run `python docs/render.py`: {stale}"


def test_every_number_in_the_results_page_comes_from_a_json_file():
    page = RESULTS_PAGE.read_text()
    sources = "".join(json.dumps(load_table(ref), ensure_ascii=False) for ref in table_refs())
    sources += "".join(render_table(load_table(ref)) for ref in table_refs())
    for number in set(re.findall(r"\d+(?:\.\d+)?", page)):
        assert number in sources, f"{number} in docs/results.md is in no table JSON"


def test_metric_cells_are_percent_of_fractions_with_the_interval():
    table = {
        "rows": [{"method": "m", "acc_t1": 0.514, "delta": -0.04, "delta_ci": [-0.058, -0.024]}],
        "columns": ["method", "acc_t1", "delta"],
    }
    assert "| m | 51.4 | −4.0 [−5.8, −2.4] |" in render_table(table)


def test_table_from_runs_reads_what_training_writes(tmp_path):
    from agents.results_tables import table_from_runs

    run = tmp_path / "score_arith"
    run.mkdir()
    (run / "config.yaml").write_text("run:\n  method: score\n")
    metrics = Metrics(10, 0.5, 0.6, 0.1, 0.2, 0.1, 0.3, 0.25, n_i2c=2, n_c2i=1, n_c2c=4, n_i2i=3)
    write_records(run / EVAL_HISTORY, [EvalRecord(60, metrics, {"delta": (0.0, 0.2)})])
    table = table_from_runs([run], "t", "SelfCorrect-Arith-v0")
    row = table["rows"][0]
    assert row["method"] == "score" and row["delta_ci"] == [0.0, 0.2]
    assert row["command"] == "score-env train --config configs/score_arith.yaml"
    assert "| score | 50.0 | 60.0 | +10.0 [+0.0, +20.0] |" in render_table(table)


def test_side_by_side_puts_each_task_in_its_own_columns(tmp_path):
    from agents.results_tables import side_by_side

    for task, delta in (("a", -0.04), ("b", 0.02)):
        rows = [{"method": "SCoRe (seed 0)", "acc_t1": 0.5, "acc_t2": 0.5 + delta, "delta": delta}]
        rows.append({"method": "SCoRe (seed 1)", "acc_t1": 0.1, "acc_t2": 0.1, "delta": 0.0})
        (tmp_path / f"{task}.json").write_text(json.dumps({"rows": rows}))
    table = side_by_side({"a": "a.json", "b": "b.json"}, "both", root=tmp_path)
    assert [r["method"] for r in table["rows"]] == ["SCoRe"]  # seed 0 stands for the method
    assert "| SCoRe | 50.0 | 46.0 | −4.0 | 50.0 | 52.0 | +2.0 |" in render_table(table)
