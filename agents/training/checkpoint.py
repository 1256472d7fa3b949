"""Resumable checkpoints and the best-by-training-reward model.

Layout under `runs/<name>/`:

    checkpoints/step_000050/   accelerate's `save_state` (model, optimiser, scheduler, the RNG
                               states of every process) + `trainer_state.json` (step, best reward)
                               + `method_rank<r>.pt` (each process's method state: its dataset
                               and position in it)
    best/                      the model with the highest training reward so far, saved with
                               `Policy.save_pretrained` (loadable for evaluation), + `best.json`

A checkpoint is written into `step_N.tmp/`, sealed with a `manifest.json` of sha256 sums written
last, and renamed once every process has finished, so a run killed mid-save (SIGKILL) resumes from
the previous complete one. On resume the newest checkpoint whose files match its manifest is used;
a damaged one is named in a warning and skipped, and when none is intact the resume refuses.
`best/` is replaced by renames only (`rundir.replace_dir`). Only the newest `keep_checkpoints`
are kept. Selecting the model by training reward is the paper's rule (SCoRe,
Kumar et al. 2024, section 6).
"""

from __future__ import annotations

import json
import logging
import pickle
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils.constants import RNG_STATE_NAME

from agents.training.rundir import (
    CheckpointError,
    atomic_write_text,
    recover_dir,
    replace_dir,
    verify_manifest,
    write_manifest,
)

log = logging.getLogger(__name__)

_STEP_DIR = re.compile(r"^step_(\d+)$")
_RNG_KEYS = frozenset({"random_state", "numpy_random_seed", "torch_manual_seed"})


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
        if accelerator.is_main_process:
            recover_dir(self.best_dir)

    def latest(self) -> Path | None:
        """The newest checkpoint whose files match its manifest, or None when there is none at
        all; CheckpointError when there are some but none is intact."""
        if not self.root.is_dir():
            return None
        steps = sorted(
            ((int(m.group(1)), p) for p in self.root.iterdir() if (m := _STEP_DIR.match(p.name))),
            reverse=True,
        )
        problems: list[str] = []
        for _, path in steps:
            problem = verify_manifest(path)
            if problem is None:
                if problems:
                    log.warning("resuming from %s, the newest intact checkpoint", path)
                return path
            log.warning("checkpoint %s cannot be trusted: %s", path, problem)
            problems.append(problem)
        if problems:
            raise CheckpointError(f"no intact checkpoint in {self.root}: " + "; ".join(problems))
        return None

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
            write_manifest(tmp)  # last: a checkpoint with a valid manifest is complete
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
            self._prune()
        acc.wait_for_everyone()
        return final

    def load(self, path: Path) -> tuple[TrainerState, dict[str, Any]]:
        """Restore model, optimiser, scheduler and RNG states in place; return the loop's state
        and this process's method state. CheckpointError naming the file when one is missing or
        unreadable (an unreadable RNG state too: the run would no longer be reproducible)."""
        rank = self.accelerator.process_index
        method_file = path / f"method_rank{rank}.pt"
        if not method_file.is_file():
            raise CheckpointError(
                f"{method_file} is missing: was the checkpoint written by a run with "
                f"{self.accelerator.num_processes} process(es)?"
            )
        # accelerate only logs when it cannot read the RNG states; read them first to fail here.
        rng_file = path / f"{RNG_STATE_NAME}_{rank}.pkl"
        rng = _read(rng_file, lambda f: torch.load(f, weights_only=False))
        if not (isinstance(rng, dict) and _RNG_KEYS <= rng.keys()):
            raise CheckpointError(f"{rng_file} holds no RNG state (expected keys {_RNG_KEYS})")
        try:
            self.accelerator.load_state(str(path))
        except (OSError, RuntimeError, ValueError, EOFError) as err:
            raise CheckpointError(f"cannot load checkpoint {path}: {err}") from err
        method_state = _read(method_file, lambda f: torch.load(f, weights_only=False))
        trainer = _read(path / "trainer_state.json", lambda f: json.loads(f.read_text()))
        return TrainerState(**trainer), method_state

    def save_best(self, policy: Any, reward: float, step: int) -> None:
        """Keep the current model as the best one (main process only writes)."""
        if not self.accelerator.is_main_process:
            return
        tmp = self.best_dir.with_name("best.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        policy.save_pretrained(tmp)
        atomic_write_text(tmp / "best.json", json.dumps({"train_reward": reward, "step": step}))
        replace_dir(tmp, self.best_dir)

    def _prune(self) -> None:
        complete = sorted(
            (int(m.group(1)), p) for p in self.root.iterdir() if (m := _STEP_DIR.match(p.name))
        )
        for _, path in complete[: max(len(complete) - self.keep, 0)]:
            shutil.rmtree(path, ignore_errors=True)


def _read(path: Path, reader: Any) -> Any:
    """`reader(path)`, with any failure to read it raised as CheckpointError naming the file."""
    try:
        return reader(path)
    except (OSError, EOFError, ValueError, RuntimeError, pickle.UnpicklingError) as err:
        raise CheckpointError(f"{path} is unreadable ({type(err).__name__}: {err})") from err
