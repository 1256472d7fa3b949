"""`score-env doctor` reports what the machine has and fails, with the fix, when the job cannot run."""

from __future__ import annotations

import shutil

import pytest

from agents.cli import main
from agents.doctor_command import BWRAP_PROBE, check_sandbox, hub_status


def test_doctor_reports_every_topic_and_passes_here(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SCORE_ENV_CACHE", str(tmp_path))
    assert main(["doctor", "--hub-timeout", "0.5"]) == 0
    out = capsys.readouterr().out
    for topic in ("torch build", "code sandbox", "data MATH", "hub", "cache", "gymnasium", "trl"):
        assert topic in out
    assert str(tmp_path) in out and "ok: the default job can run here" in out


def test_doctor_fails_with_the_fix_when_the_cache_is_unwritable(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("SCORE_ENV_CACHE", str(blocker / "cache"))
    assert main(["doctor", "--hub-timeout", "0.5"]) == 1
    out = capsys.readouterr().out
    assert "MISSING (cache)" in out and "SCORE_ENV_CACHE" in out


def test_hub_status_honours_offline_mode(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub_status(0.5).startswith("offline")


def test_sandbox_level_matches_a_direct_bwrap_run():
    if shutil.which("bwrap") is None:
        assert "not installed" in check_sandbox()[0].text
        return
    import subprocess

    works = subprocess.run(["bwrap", *BWRAP_PROBE], capture_output=True).returncode == 0
    assert check_sandbox()[0].text.startswith("bubblewrap at") == works


def test_doctor_rejects_a_bad_timeout():
    with pytest.raises(SystemExit, match="--hub-timeout"):
        main(["doctor", "--hub-timeout", "60"])
