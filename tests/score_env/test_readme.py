"""The README's opening commands and its Python examples, run as a user would."""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def _example(name: str) -> str:
    found = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", README.read_text(), re.S)
    assert found is not None, f"README lost its {name} example marker"
    return found.group(1)


def test_first_screen_is_what_it_is_and_the_two_commands():
    lines = README.read_text().splitlines()
    assert len(lines) <= 300
    first_screen = "\n".join(lines[:40])
    assert "self-correct" in first_screen and first_screen.count("```bash") == 2


def test_opening_commands_install_torch_then_the_package():
    first, second = _blocks("bash")[:2]
    for command in (first, second):
        assert command.index("pip install torch==2.13.0") < command.index('pip install -e ".[dev]"')
    # the main job: SCoRe on Countdown with the tiny model, then the metrics table of that run
    config = re.search(r"score-env train --config (\S+)", first)
    assert config is not None and config.group(1) == "configs/score_countdown.yaml"
    assert first.strip().endswith("score-env report runs/score_countdown")
    config_file = README.parent / config.group(1)
    if config_file.is_file():  # the config ships with the Countdown task
        text = config_file.read_text()
        assert "method: score" in text and "SelfCorrect-Countdown-v0" in text
    assert second.strip().endswith("pytest -q")


def test_custom_agent_example_runs(capsys):
    example = _example("custom-agent")
    assert len(example.strip().splitlines()) <= 25
    exec(compile(example, "README.md", "exec"), {})
    acc_t1, acc_t2, *_ = capsys.readouterr().out.split()
    assert float(acc_t1) == 1.0 and float(acc_t2) == 1.0


def test_training_example_runs(tmp_path, capsys):
    """The Python training example, on the tests' small random model instead of the cached tiny
    one (whose build takes minutes): the same calls, one more override."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agents"))
    from training_fixtures import fast_overrides, save_random_tiny_model

    model = save_random_tiny_model(tmp_path / "model")
    extra = fast_overrides(model, tmp_path / "runs", "readme_example")
    example = _example("train").replace('"run.total_steps=0"]', '"run.total_steps=0", *EXTRA]')
    assert "*EXTRA" in example, "the training example's overrides list changed shape"
    exec(compile(example, "README.md", "exec"), {"EXTRA": extra})
    out = capsys.readouterr().out
    assert "readme_example" in out and "eval/acc_t1" in out
