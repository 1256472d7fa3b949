"""The training process's side: a pool of judge processes, each with its own sandbox.

`check` and `check_many` send a task to an idle judge as one JSON line and wait for its result,
at most `timeout + GRACE` seconds; a judge that does not answer in time is killed (its sandbox
dies with it: bwrap's --die-with-parent) and restarted for the next task, so every check returns
within its timeout plus one second whatever the candidate does.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from verifiers.code.config import CodeTask, ExecResult, SandboxConfig, validate_timeout
from verifiers.code.isolation import resolve_isolation
from verifiers.code.programs import validate_task
from verifiers.code.sandbox import kill_uid

logger = logging.getLogger(__name__)
GRACE = 0.8  # seconds a judge may take beyond the check's timeout before it is killed
STARTUP_TIMEOUT = 30.0  # a cold judge imports Python and starts bwrap; generous for a loaded CI
REPO_ROOT = str(Path(__file__).resolve().parents[2])


class _Judge:
    """One `python -m verifiers.code.judge` process; restarted after any failure."""

    def __init__(self, config: SandboxConfig, isolation: str) -> None:
        self._candidate_uid_base = (
            config.uid_base if isolation == "process" and os.geteuid() == 0 else None
        )
        self._args = json.dumps({**config.to_json(), "resolved_isolation": isolation})
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    def start(self) -> None:
        env = {"PATH": os.environ.get("PATH", os.defpath), "PYTHONPATH": REPO_ROOT}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "verifiers.code.judge", self._args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, start_new_session=True,
        )  # fmt: skip
        self._buffer = b""
        try:
            ready = self._read_line(time.monotonic() + STARTUP_TIMEOUT)
        except EOFError:
            ready = None
        if ready is None or json.loads(ready) != {"ready": True}:
            self.kill()
            raise RuntimeError("the code judge process failed to start (see its stderr above)")

    def run(self, task: CodeTask, timeout: float) -> ExecResult:
        start = time.monotonic()
        if self._proc is None:
            self.start()
        assert self._proc is not None and self._proc.stdin is not None
        line = json.dumps({"task": asdict(task), "timeout": timeout}) + "\n"
        try:
            self._proc.stdin.write(line.encode())
            self._proc.stdin.flush()
            answer = self._read_line(start + timeout + GRACE)
        except (OSError, EOFError):
            self.kill()
            return ExecResult(False, "sandbox_error", error="the judge died (see its stderr)",
                              duration=time.monotonic() - start, task_id=task.task_id)  # fmt: skip
        if answer is None:  # hung: kill it (and with it its sandbox), restart it next time
            self.kill()
            return ExecResult(False, "timeout", error="the judge did not answer in time and was killed",
                              duration=time.monotonic() - start, task_id=task.task_id)  # fmt: skip
        return ExecResult(**json.loads(answer))

    def _read_line(self, deadline: float) -> bytes | None:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise EOFError("the judge closed its output")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def close(self) -> None:
        """Let the judge tear its sandbox down itself (closing stdin ends its loop), then kill."""
        if self._proc is not None and self._proc.stdin is not None:
            try:
                self._proc.stdin.close()
                self._proc.wait(timeout=2.0)
            except (OSError, subprocess.TimeoutExpired):
                pass  # kill() below
        self.kill()

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            if self._candidate_uid_base is not None:  # no PID namespace died with it: kill by uid
                kill_uid(self._candidate_uid_base + self._proc.pid)
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:  # unflushed job bytes to a dead judge
                        pass
            self._proc = None


class JudgePool:
    """`workers` judges, each with a pre-started sandbox; thread-safe; use as a context manager."""

    def __init__(self, workers: int = 2, config: SandboxConfig | None = None) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive int, got {workers!r}")
        self.config = config or SandboxConfig()
        self.isolation = resolve_isolation(self.config)
        self.workers = workers
        self._idle: queue.Queue[_Judge] = queue.Queue()
        self._all = [_Judge(self.config, self.isolation) for _ in range(workers)]
        with ThreadPoolExecutor(workers) as ex:  # start them side by side
            list(ex.map(_Judge.start, self._all))
        for judge in self._all:
            self._idle.put(judge)

    def check(self, task: CodeTask, timeout: float = 3.0) -> ExecResult:
        validate_task(task)
        timeout = validate_timeout(timeout)
        judge = self._idle.get()
        try:
            return judge.run(task, timeout)
        finally:
            self._idle.put(judge)

    def check_many(
        self, tasks: Sequence[CodeTask], timeout: float = 3.0, progress: bool = False
    ) -> list[ExecResult]:
        """Check all tasks on all workers; results in the order of `tasks`."""
        for task in tasks:
            validate_task(task)
        with ThreadPoolExecutor(self.workers) as ex:
            results = ex.map(lambda t: self.check(t, timeout), tasks)
            if progress:
                from tqdm import tqdm

                results = tqdm(results, total=len(tasks), desc="code checks", unit="prog")
            return list(results)

    def judge_pids(self) -> list[int]:
        """The running judges' pids (diagnostics: their candidates run as uid_base + pid)."""
        return [judge.pid for judge in self._all if judge.pid is not None]

    def close(self) -> None:
        for judge in self._all:
            judge.close()

    def __enter__(self) -> JudgePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_shared: dict[tuple[int, SandboxConfig], JudgePool] = {}
_shared_lock = threading.Lock()


def shared_pool(workers: int = 2, config: SandboxConfig | None = None) -> JudgePool:
    """A process-wide pool per (workers, config), started on first use, closed at exit."""
    key = (workers, config or SandboxConfig())
    with _shared_lock:
        if key not in _shared:
            _shared[key] = JudgePool(workers, key[1])
        return _shared[key]


@atexit.register
def _close_shared() -> None:
    for pool in _shared.values():
        pool.close()
