"""`score-env report`: the table from the runs' eval histories and the PNG, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.cli import main
from agents.training.logger import RunLogger

KEYS = ("acc_t1", "acc_t2", "delta", "delta_i2c", "delta_c2i")


def _run(root: Path, name: str, evals: list[tuple[int, float, float]]) -> Path:
    run_dir = root / name
    logger = RunLogger(run_dir)
    for step, a1, a2 in evals:
        metrics = {
            "eval/acc_t1": a1,
            "eval/acc_t2": a2,
            "eval/delta": a2 - a1,
            "eval/delta_i2c": max(a2 - a1, 0.0),
            "eval/delta_c2i": max(a1 - a2, 0.0),
        }
        intervals = {k: [metrics[f"eval/{k}"] - 0.05, metrics[f"eval/{k}"] + 0.05] for k in KEYS}
        logger.evaluation(step, metrics, {"n": 200}, intervals)
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
    assert "45.0 [40.0,50.0]" in rows["star_arith"] and "+2.0 [-3.0,+7.0]" in rows["star_arith"]
    assert "38.0 [33.0,43.0]" in rows["base_arith"] and " star " in rows["star_arith"]
    assert rows["base_arith"].split()[2] == "base"  # no updates: the starting model
    assert out.splitlines()[0].split()[:3] == ["run", "task", "method"]
    assert "skipped" in out and "empty" in out
    png = (tmp_path / "acc.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_report_without_runs_says_so(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no.*eval.jsonl|none of"):
        main(["report", str(tmp_path)])
