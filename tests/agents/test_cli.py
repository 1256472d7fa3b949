"""`score-env eval` prints the metrics table and writes JSON."""

from __future__ import annotations

import json

import pytest

from agents.cli import COMMANDS, main


def test_eval_prints_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["eval", "--agent", "scripted:oracle", "--n-problems", "40", "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "Acc@t1" in text and "Δi→c" in text and "100.0 [100.0, 100.0]" in text
    data = json.loads(out.read_text())
    assert data["overall"]["acc_t2"] == 1.0 and data["overall"]["n"] == 40
    assert len(data["episodes"]) == 40 and data["agent"] == "scripted:oracle"


def test_env_args_reach_the_env(capsys):
    main(["eval", "--agent", "scripted:wrong", "--n-problems", "10", "-e", "level=[3]"])
    text = capsys.readouterr().out
    assert "\n3 " in text and "\n1 " not in text


def test_commands_are_registered_lazily():
    assert "eval" in COMMANDS
    with pytest.raises(SystemExit):
        main(["no-such-command"])
