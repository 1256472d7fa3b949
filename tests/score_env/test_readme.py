"""The README's custom-agent example runs, and its two opening commands install torch first."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def test_opening_commands_install_torch_then_the_package():
    first, second = _blocks("bash")[:2]
    for command in (first, second):
        assert command.index("pip install torch==2.13.0") < command.index('pip install -e ".[dev]"')
    # the main job: SCoRe on the embedded default (tiny model, Arith), then the metrics table
    config = re.search(r"score-env train --config (\S+)", first)
    assert config is not None and "score-env report" in first
    config_text = (README.parent / config.group(1)).read_text()
    assert "method: score" in config_text and "SelfCorrect-Arith-v0" in config_text
    assert second.strip().endswith("pytest -q")


def test_custom_agent_example_runs(capsys):
    text = README.read_text()
    example = re.search(r"<!-- example: custom-agent -->\n```python\n(.*?)```", text, flags=re.S)
    assert example is not None, "README lost its custom-agent example marker"
    assert len(example.group(1).strip().splitlines()) <= 25
    exec(compile(example.group(1), "README.md", "exec"), {})
    acc_t1, acc_t2, *_ = capsys.readouterr().out.split()
    assert float(acc_t1) == 1.0 and float(acc_t2) == 1.0
