"""Numbers that parse but cannot be meant, and the CLI's one-line errors: each is refused at
config load (or at the command line) with the field, file or path named."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.cli import main
from agents.training.config import load_config


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("optim.lr=.inf", "optim.lr"),
        ("optim.lr=.nan", "optim.lr"),
        ("optim.max_grad_norm=.inf", "optim.max_grad_norm"),
        ("optim.weight_decay=.inf", "optim.weight_decay"),
        ("sampling.temperature=.inf", "sampling.temperature"),
        ("run.seed=-1", "run.seed"),
        (f"run.seed={2**32}", "run.seed"),
        ("run.name=..", "run.name"),
        ("run.name=.", "run.name"),
        ("run.name=a/b", "run.name"),
        ("run.name=a\\b", "run.name"),
    ],
)
def test_impossible_numbers_and_names_are_refused_naming_the_field(
    override: str, field: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{field}="):
        load_config(None, [override])


def test_edge_values_that_make_sense_are_accepted() -> None:
    cfg = load_config(None, [f"run.seed={2**32 - 1}", "optim.max_grad_norm=0", "run.name=a.b"])
    assert (cfg.run.seed, cfg.optim.max_grad_norm, cfg.run.name) == (2**32 - 1, 0.0, "a.b")


def test_a_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("run:\n  name: x\noptim:\n  lr: [1e-4\n")
    with pytest.raises(ValueError, match=r"broken\.yaml'? is not valid YAML at line \d+"):
        load_config(path)
    with pytest.raises(ValueError, match=r"override 'optim.lr=\[' is not valid YAML"):
        load_config(None, ["optim.lr=["])


def test_cli_errors_are_one_line_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--set", "optim.lr=.inf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("score-env train: error: optim.lr=inf is invalid")
    assert len(err) == 2 and err[1].startswith("hint:")
    with pytest.raises(ValueError, match="optim.lr"):  # --debug: the exception and traceback
        main(["train", "--debug", "--set", "optim.lr=.inf"])
    with pytest.raises(ValueError, match="optim.lr"):
        main(["--debug", "train", "--set", "optim.lr=.inf"])


def test_a_missing_model_directory_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nonexistent"
    args = ["train", "--set", f"policy.model={missing}", "--set", f"run.out_dir={tmp_path}"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"error: no model directory at {missing}" in err and "Repo id" not in err
