"""Resumable checkpoints and the best-by-training-reward model.

Layout under `runs/<name>/`:

    checkpoints/step_000050/   accelerate's `save_state` (model, optimiser, scheduler, the RNG
                               states of every process) + `trainer_state.json` (step, best reward)
                               + `method_rank<r>.pt` (each process's method state: its dataset
                               and position in it)
    best/                      the model with the highest training reward so far, saved with
                               `Policy.save_pretrained` (loadable for evaluation), + `best.json`

A checkpoint is written into `step_N.tmp/` and renamed once every process has finished, so a run
killed mid-save (SIGKILL) resumes from the previous complete one. Only the newest
`keep_checkpoints` are kept. Selecting the model by training reward is the paper's rule (SCoRe,
Kumar et al. 2024, section 6).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator

log = logging.getLogger(__name__)

_STEP_DIR = re.compile(r"^step_(\d+)$")


@dataclass
class TrainerState:
    """What the loop itself carries across a resume."""

    step: int = 0  # updates completed
    best_reward: float = float("-inf")
    best_step: int = -1


class Checkpointer:
    def __init__(self, run_dir: Path, accelerator: Accelerator, keep: int = 2):
        self.root = Path(run_dir) / "checkpoints"
        self.best_dir = Path(run_dir) / "best"
        self.accelerator = accelerator
        self.keep = keep

    def latest(self) -> Path | None:
        """The newest complete checkpoint directory, or None."""
        if not self.root.is_dir():
            return None
        steps = [
            (int(m.group(1)), p)
            for p in self.root.iterdir()
            if (m := _STEP_DIR.match(p.name)) and (p / "trainer_state.json").is_file()
        ]
        return max(steps)[1] if steps else None

    def save(self, state: TrainerState, method_state: dict[str, Any]) -> Path:
        """Write a resumable checkpoint of everything at `state.step` (collective: every process
        must call it)."""
        acc = self.accelerator
        final = self.root / f"step_{state.step:06d}"
        tmp = final.with_name(final.name + ".tmp")
        if acc.is_main_process:
            shutil.rmtree(tmp, ignore_errors=True)
        acc.wait_for_everyone()
        acc.save_state(str(tmp))
        torch.save(method_state, tmp / f"method_rank{acc.process_index}.pt")
        acc.wait_for_everyone()
        if acc.is_main_process:
            (tmp / "trainer_state.json").write_text(json.dumps(asdict(state)))
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
            self._prune()
        acc.wait_for_everyone()
        return final

    def load(self, path: Path) -> tuple[TrainerState, dict[str, Any]]:
        """Restore model, optimiser, scheduler and RNG states in place; return the loop's state
        and this process's method state."""
        self.accelerator.load_state(str(path))
        method_file = path / f"method_rank{self.accelerator.process_index}.pt"
        if not method_file.is_file():
            raise FileNotFoundError(
                f"{method_file} is missing: was the checkpoint written by a run with "
                f"{self.accelerator.num_processes} process(es)?"
            )
        method_state = torch.load(method_file, weights_only=False)
        state = TrainerState(**json.loads((path / "trainer_state.json").read_text()))
        return state, method_state

    def save_best(self, policy: Any, reward: float, step: int) -> None:
        """Keep the current model as the best one (main process only writes)."""
        if not self.accelerator.is_main_process:
            return
        tmp = self.best_dir.with_name("best.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        policy.save_pretrained(tmp)
        (tmp / "best.json").write_text(json.dumps({"train_reward": reward, "step": step}))
        shutil.rmtree(self.best_dir, ignore_errors=True)
        tmp.rename(self.best_dir)

    def _prune(self) -> None:
        complete = sorted(
            (int(m.group(1)), p) for p in self.root.iterdir() if (m := _STEP_DIR.match(p.name))
        )
        for _, path in complete[: max(len(complete) - self.keep, 0)]:
            shutil.rmtree(path, ignore_errors=True)
