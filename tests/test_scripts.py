"""Every script in experiments/ and benchmarks/ imports and answers --help."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*ROOT.glob("experiments/*/*.py"), *ROOT.glob("benchmarks/*.py")])


def test_every_experiment_has_its_readme_and_results():
    for folder in sorted(p for p in (ROOT / "experiments").iterdir() if p.is_dir()):
        assert (folder / "README.md").is_file() and (folder / "results.json").is_file(), folder


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_script_help(script, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(script), "--help"])
    monkeypatch.syspath_prepend(str(script.parent))
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(script), run_name="__main__")
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out
