"""Where log lines go: ours to the terminal, third-party chatter to the run's log file.

The terminal shows the progress bars (tqdm writes them itself) and the INFO lines of this project's
packages. INFO and WARNING lines of the libraries underneath (accelerate's "Removed shared tensor
... while saving" at every checkpoint, transformers' notices, Python warnings) go only to the log
file, `runs/<name>/run.log` for a training run; their errors still reach the terminal. `-v` shows
everything on the terminal too.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

OWN_PACKAGES = ("agents", "score_env", "verifiers", "__main__")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def is_own(name: str) -> bool:
    return name.split(".", 1)[0] in OWN_PACKAGES


class _TerminalFilter(logging.Filter):
    """Our records at INFO and above; others only from ERROR up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return is_own(record.name) or record.levelno >= logging.ERROR


def configure_logging(
    verbose: bool = False, log_file: Path | None = None, route_transformers: bool = True
) -> Path | None:
    """Install the two handlers on the root logger (replacing earlier ones); returns the log file.

    Under `torchrun`, ranks other than 0 write `run.rank<N>.log` beside it. `route_transformers`
    imports transformers to take over its handler (off where a command must stay torch-free)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.INFO)
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setFormatter(logging.Formatter("%(message)s"))
    if not verbose:
        terminal.addFilter(_TerminalFilter())
    root.addHandler(terminal)
    if log_file is not None:
        rank = os.environ.get("RANK", "0")
        if rank != "0":
            log_file = log_file.with_name(f"{log_file.stem}.rank{rank}{log_file.suffix}")
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(file_handler)
    logging.captureWarnings(True)  # warnings.warn -> the "py.warnings" logger (third-party)
    if route_transformers:
        _route_transformers()
    return log_file


def _route_transformers() -> None:
    """transformers prints through its own handler; hand its records to ours instead."""
    if "transformers" not in sys.modules:
        import transformers  # noqa: F401  (its logging must be set before it first logs)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_default_handler()
    hf_logging.enable_propagation()
    hf_logging.set_verbosity_info()
