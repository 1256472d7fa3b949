"""`score-env report`: the table from the runs' eval histories and the PNG, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.cli import main
from agents.training.history import EvalRecord
from agents.training.logger import RunLogger
from agents.training.report import format_table, load_run
from score_env.metrics import METRIC_NAMES, Metrics


def _record(step: int, a1: float, a2: float, n: int = 200) -> EvalRecord:
    """An evaluation where every change is one way: Δi→c or Δc→i is all of Δ."""
    i2c, c2i = max(a2 - a1, 0.0), max(a1 - a2, 0.0)
    metrics = Metrics(
        n, a1, a2, a2 - a1, i2c, c2i, i2c + c2i, 0.1,
        n_i2c=round(i2c * n), n_c2i=round(c2i * n), n_c2c=round(min(a1, a2) * n),
        n_i2i=round((1 - max(a1, a2)) * n),
    )  # fmt: skip
    v = vars(metrics)
    return EvalRecord(step, metrics, {k: (v[k] - 0.05, v[k] + 0.05) for k in METRIC_NAMES})


def _run(root: Path, name: str, evals: list[tuple[int, float, float]]) -> Path:
    run_dir = root / name
    logger = RunLogger(run_dir)
    for step, a1, a2 in evals:
        logger.evaluation(_record(step, a1, a2))
    logger.close()
    (run_dir / "config.yaml").write_text(f"run:\n  method: {name.split('_')[0]}\n")
    return run_dir


def test_report_prints_last_eval_with_intervals_and_saves_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    star = _run(tmp_path, "star_arith", [(0, 0.40, 0.38), (30, 0.45, 0.47)])
    base = _run(tmp_path, "base_arith", [(0, 0.40, 0.38)])
    (tmp_path / "empty").mkdir()
    assert (
        main(
            [
                "report",
                str(base),
                str(star),
                str(tmp_path / "empty"),
                "--plot",
                str(tmp_path / "acc.png"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.endswith("]")}
    assert "45.0 [40.0, 50.0]" in rows["star_arith"] and "+2.0 [−3.0, +7.0]" in rows["star_arith"]
    assert "38.0 [33.0, 43.0]" in rows["base_arith"] and " star " in rows["star_arith"]
    assert rows["base_arith"].split()[2] == "base"  # no updates: the starting model
    assert out.splitlines()[0].split()[:3] == ["run", "task", "method"]
    assert "skipped" in out and "empty" in out
    png = (tmp_path / "acc.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_report_without_runs_says_so(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no.*eval.jsonl|none of"):
        main(["report", str(tmp_path)])


def test_report_row_is_the_last_evaluation_in_percent(tmp_path: Path) -> None:
    run = load_run(_run(tmp_path, "score_arith", [(0, 0.40, 0.38), (60, 0.50, 0.46)]))
    # by hand: step 60, n 200; Acc@t1 50.0 [45.0, 55.0], Acc@t2 46.0 [41.0, 51.0],
    # Δ = 0.46 - 0.50 = -4.0 [-9.0, +1.0], Δi→c 0.0 [-5.0, 5.0], Δc→i 4.0 [-1.0, 9.0]
    expected = [
        "score_arith", "?", "score", "60", "200",
        "50.0 [45.0, 55.0]", "46.0 [41.0, 51.0]", "−4.0 [−9.0, +1.0]",
        "0.0 [−5.0, 5.0]", "4.0 [−1.0, 9.0]",
    ]  # fmt: skip
    header, rule, row = format_table([run]).splitlines()
    assert header.split()[:5] == ["run", "task", "method", "step", "n"]
    assert set(rule) == {"-"} and len(rule) == len(header)
    assert [c.strip() for c in row.split("  ") if c.strip()] == expected
