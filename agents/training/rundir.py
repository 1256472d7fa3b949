"""What keeps a run directory consistent across crashes and concurrent starts.

- `RunLock`: one owner per run directory. An `fcntl.flock` on `<run_dir>/.lock`, held for the
  whole run (fresh or `--resume`), so a second `train` on the same directory fails at once
  instead of mixing its checkpoints, `best/` and `eval.jsonl` with the first one's. The kernel
  drops the lock when the holder dies, SIGKILL included, so a crash never leaves a stale lock.
- Manifests: a checkpoint directory proves itself with `manifest.json`, the sha256 of every file
  in it, written last and atomically. A checkpoint without one, or whose files no longer match
  it, is not resumed from.
- `replace_dir`: swap a directory for a new one by renames only, so a kill at any point leaves
  either the old or the new directory in place (`recover_dir` finishes an interrupted swap).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

LOCK_FILE = ".lock"
MANIFEST = "manifest.json"


class RunLockedError(RuntimeError):
    """Another live process holds the run directory."""

    hint = "wait for that run to end, or choose another run.name / run.out_dir"


class CheckpointError(RuntimeError):
    """No checkpoint of the run can be trusted (damaged, incomplete or unreadable)."""

    hint = "inspect or remove the damaged checkpoint directories, or start a new run.name"


class RunLock:
    """An exclusive, non-blocking lock on a run directory; a context manager.

    The holder's PID is written into the lock file, so the error a second process gets names it.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self._file: int | None = None

    def acquire(self) -> RunLock:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if err.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            raise RunLockedError(
                f"run directory {self.run_dir} is in use by another run (PID {holder})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._file = fd
        return self

    def release(self) -> None:
        if self._file is not None:
            os.close(self._file)  # closing the descriptor drops the flock
            self._file = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def is_main_launch_process() -> bool:
    """Rank 0 of a `torchrun` / `accelerate launch` job (or a plain process), known before the
    `Accelerator` exists, so the lock is taken before any slow set-up."""
    return os.environ.get("RANK", "0") == "0"


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Write `path` whole or not at all: a temporary file, fsynced, then renamed over it."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def write_manifest(directory: Path) -> None:
    """Record the sha256 of every file under `directory`; call once everything else is written."""
    directory = Path(directory)
    files = {
        p.relative_to(directory).as_posix(): _sha256(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name not in (MANIFEST, MANIFEST + ".tmp")
    }
    atomic_write_text(directory / MANIFEST, json.dumps({"sha256": files}, indent=1))


def verify_manifest(directory: Path) -> str | None:
    """None when every file in `directory`'s manifest is present and unchanged; otherwise what
    is wrong, naming the file."""
    directory = Path(directory)
    manifest = directory / MANIFEST
    try:
        files = json.loads(manifest.read_text())["sha256"]
    except FileNotFoundError:
        return f"{manifest} is missing (an incomplete checkpoint, or one written without it)"
    except (OSError, ValueError, KeyError, TypeError) as err:
        return f"{manifest} is unreadable ({type(err).__name__}: {err})"
    if not isinstance(files, dict):
        return f"{manifest} is unreadable (no file table)"
    for name, digest in files.items():
        path = directory / name
        if not path.is_file():
            return f"{path} is missing"
        if _sha256(path) != digest:
            return f"{path} is damaged (its sha256 does not match {MANIFEST})"
    return None


def _old(target: Path) -> Path:
    return target.with_name(target.name + ".old")


def replace_dir(new: Path, target: Path) -> None:
    """Put the complete directory `new` at `target` without ever deleting `target` first:
    `target` -> `target.old`, `new` -> `target`, then remove `target.old`."""
    new, target = Path(new), Path(target)
    old = _old(target)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def recover_dir(target: Path) -> None:
    """Finish a `replace_dir` that a kill interrupted: bring back `target.old` when `target` is
    gone, drop it when `target` is in place."""
    target = Path(target)
    old = _old(target)
    if not old.exists():
        return
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.rename(target)
