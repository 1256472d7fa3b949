"""A thin layer over TensorBoard's `SummaryWriter` for one run, plus an eval history file.

Scalars use `group/name` keys (`train/reward_t2`, `eval/acc_t1`, `perf/tokens_per_s`). The
resolved config goes in as text at the start (`hparams`), text samples of both turns as markdown
(`samples/episodes`), and with a grader audit the responses the two graders judged differently
(`audit/disagreements`). Held-out evaluations are also appended to `eval.jsonl` as typed
records (`agents.training.history`) so that `score-env report` needs no TensorBoard parsing.

Resuming: `purge_step` makes TensorBoard drop events at or after the step the run resumes from, and
the same steps are dropped from `eval.jsonl`, so the curves continue at the same step without
doubles. Only the main process writes; on the others every call is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from agents.training.audit import disagreements
from agents.training.history import (
    EVAL_HISTORY,
    EvalRecord,
    read_history,
    read_records,
    write_records,
)
from agents.training.rollout import RolloutBatch

__all__ = ["EVAL_HISTORY", "RunLogger", "read_history"]

log = logging.getLogger(__name__)


class RunLogger:
    def __init__(self, run_dir: Path, *, enabled: bool = True, purge_step: int | None = None):
        self.run_dir = Path(run_dir)
        self.enabled = enabled
        self._writer = None
        if not enabled:
            return
        from torch.utils.tensorboard import SummaryWriter  # heavy; only on the main process

        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._writer = SummaryWriter(log_dir=str(self.run_dir), purge_step=purge_step)
        if purge_step is not None:
            _truncate_history(self.run_dir / EVAL_HISTORY, purge_step)

    def hparams(self, config: Mapping[str, Any], step: int = 0) -> None:
        """The resolved config as YAML text (TensorBoard's TEXT tab)."""
        if self._writer is None:
            return
        text = yaml.safe_dump(dict(config), sort_keys=False)
        self._writer.add_text("hparams", f"```\n{text}\n```", step)

    def scalars(self, metrics: Mapping[str, float], step: int) -> None:
        if self._writer is None:
            return
        for key, value in metrics.items():
            if "/" not in key:
                raise ValueError(f"metric key {key!r} must be 'group/name'")
            self._writer.add_scalar(key, float(value), step)

    def samples(self, batch: RolloutBatch, step: int, n: int = 4) -> None:
        """The first `n` episodes of a batch, both turns, as markdown."""
        if self._writer is None:
            return
        blocks = []
        for i in range(min(n, len(batch))):
            blocks.append(
                f"**{batch.problem_ids[i]}** ({batch.transitions[i]})\n\n"
                f"```\n{batch.prompts[i]}\n--- turn 1 (r={batch.first.rewards[i]:g}) ---\n"
                f"{batch.first.texts[i]}\n--- turn 2 (r={batch.second.rewards[i]:g}) ---\n"
                f"{batch.second.texts[i]}\n```"
            )
        self._writer.add_text("samples/episodes", "\n\n".join(blocks), step)
        disagreeing = disagreements(batch, n)
        if disagreeing is not None:
            self._writer.add_text("audit/disagreements", disagreeing, step)

    def evaluation(self, record: EvalRecord) -> None:
        """A held-out evaluation: its `eval/*` scalars, and the whole record (counts and 95%
        intervals too) appended to `eval.jsonl`."""
        self.scalars(record.scalars(), record.step)
        if self.enabled:
            write_records(self.run_dir / EVAL_HISTORY, [record])

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _truncate_history(path: Path, purge_step: int) -> None:
    if path.is_file():
        kept = [r for r in read_records(path) if r.step < purge_step]
        write_records(path, kept, append=False)
