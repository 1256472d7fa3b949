"""Third-party INFO/WARNING lines go to the run's log file, ours to the terminal; -v shows all."""

from __future__ import annotations

import logging
import warnings

import pytest

from agents.log_setup import configure_logging


@pytest.fixture(autouse=True)
def _restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)


def _emit() -> None:
    logging.getLogger("agents.training.loop").info("our progress line")
    logging.getLogger("accelerate.checkpointing").warning(
        "Removed shared tensor {'lm_head.weight'}"
    )
    from transformers.utils import logging as hf_logging

    hf_logging.get_logger("transformers.modeling_utils").warning("a transformers notice")
    with warnings.catch_warnings():  # pytest records warnings itself; route this one as in a run
        warnings.simplefilter("always")
        logging.captureWarnings(False)
        logging.captureWarnings(True)
        warnings.warn("a library's deprecation", DeprecationWarning, stacklevel=1)
    logging.getLogger("accelerate").error("a real library error")


def test_library_noise_goes_to_the_log_file_only(tmp_path, capsys):
    log = configure_logging(log_file=tmp_path / "run" / "run.log")
    _emit()
    terminal = capsys.readouterr().err
    assert "our progress line" in terminal and "a real library error" in terminal
    for noise in ("Removed shared tensor", "a transformers notice", "deprecation"):
        assert noise not in terminal
    assert log is not None
    written = log.read_text()
    for line in ("our progress line", "Removed shared tensor", "a transformers notice"):
        assert line in written
    assert "deprecation" in written


def test_verbose_shows_everything_on_the_terminal(tmp_path, capsys):
    configure_logging(verbose=True, log_file=tmp_path / "run.log")
    _emit()
    terminal = capsys.readouterr().err
    for line in ("our progress line", "Removed shared tensor", "a transformers notice"):
        assert line in terminal
