"""A pool of killable worker processes: the hard wall-clock and memory limit of every check.

Why processes, and why this way:
- sympy can spend unbounded time in C-level big-integer work that no signal interrupts, and
  `signal.alarm` only works on the main thread; so the limit is enforced from *outside*: the
  caller waits on a socket with a deadline and SIGKILLs a worker that overruns, then replaces it.
- Memory is capped inside each worker with `RLIMIT_AS` (a MemoryError is reported, not raised).
- Workers are started with `subprocess.Popen` (fork+exec of `python -I`), not `multiprocessing`:
  it works from any thread, inside daemonic processes (gymnasium's AsyncVectorEnv workers, where
  `multiprocessing` refuses to start children), and never forks a parent that holds torch threads.
- Workers persist, so a check costs one socket round trip; one spare beyond the requested
  concurrency is kept warm so that replacing a killed worker does not stall the next check.
- A pool belongs to the process that made it: after a `fork`, the child makes its own.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

logger = logging.getLogger(__name__)

_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, {root!r}); "
    "from verifiers.math.worker import serve; serve(int(sys.argv[1]), int(sys.argv[2]))"
)


class WorkerStartError(RuntimeError):
    """A worker process did not come up (a broken environment, not a bad answer)."""


@dataclass(frozen=True)
class PoolConfig:
    """Limits and size of the worker pool."""

    memory_mb: int = 512
    """Address-space cap of each worker (RLIMIT_AS); sympy and the parser need ~70 MB."""
    max_workers: int = 0
    """Most processes busy at once; 0 means os.cpu_count()."""
    spares: int = 1
    """Warm processes kept beyond the busy ones, so a killed worker is replaced at once."""
    start_timeout_s: float = 60.0
    """How long a new worker may take to import sympy and report ready (busy machines)."""

    def __post_init__(self) -> None:
        if self.memory_mb < 128:
            raise ValueError(f"memory_mb must be >= 128 (sympy needs ~70 MB), got {self.memory_mb}")
        if self.max_workers < 0 or self.spares < 0:
            raise ValueError(f"max_workers and spares must be >= 0, got {self}")
        if self.start_timeout_s <= 0:
            raise ValueError(f"start_timeout_s must be > 0, got {self.start_timeout_s}")


class _Worker:
    """One worker process and the parent's end of its socket."""

    def __init__(self, memory_mb: int) -> None:
        parent, child = socket.socketpair()
        boot = _BOOT.format(root=_ROOT)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", boot, str(child.fileno()), str(memory_mb)],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C goes to the caller, not the workers
        )
        child.close()
        self.conn = Connection(parent.detach())
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        if not self.conn.poll(timeout) or self.conn.recv_bytes() != b"ready":
            self.kill()
            raise WorkerStartError(f"math verifier worker not ready within {timeout} s")
        self.ready = True

    def ask(self, request: list[object], timeout: float) -> str | None:
        """The worker's reason, or None when it overran `timeout` or died."""
        try:
            self.conn.send_bytes(json.dumps(request).encode())
            if not self.conn.poll(timeout):
                return None
            return self.conn.recv_bytes().decode()
        except (EOFError, OSError):
            return "memory_limit"  # the worker died mid-check: RLIMIT_AS aborts are the cause

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.conn.close()


class WorkerPool:
    """Thread-safe pool: `check(answer, gold, timeout)` -> a verdict reason, never raises on
    a hostile answer (an overrun is `timeout`, an exhausted memory cap is `memory_limit`)."""

    def __init__(self, config: PoolConfig | None = None) -> None:
        self.config = config or PoolConfig()
        self._max = self.config.max_workers or os.cpu_count() or 1
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._size = 0  # workers started or being started: `_all` plus reserved slots
        self.limit = self._max + self.config.spares
        """Most worker processes alive at once, however many threads call `check`."""
        self.pid = os.getpid()
        self.killed = 0

    def _reserve(self, wanted: int) -> int:
        """Claim up to `wanted` new worker slots within `limit`; the decision and the count are
        one step under the lock, so concurrent callers can never overshoot."""
        with self._lock:
            granted = max(0, min(wanted, self.limit - self._size))
            self._size += granted
            return granted

    def _spawn(self) -> _Worker:
        """Start a worker in a slot already reserved."""
        try:
            worker = _Worker(self.config.memory_mb)
        except BaseException:
            with self._lock:
                self._size -= 1
            raise
        with self._lock:
            self._all.append(worker)
        return worker

    def _forget(self, worker: _Worker) -> None:
        with self._lock:
            self._all.remove(worker)
            self._size -= 1

    def warm_up(self, n: int = 1) -> None:
        """Start `n` workers plus the spares now and wait until they are ready."""
        with self._lock:
            wanted = min(n, self._max) + self.config.spares - self._size
        for _ in range(self._reserve(wanted)):
            self._idle.put(self._spawn())
        for worker in list(self._all):
            worker.wait_ready(self.config.start_timeout_s)

    def _acquire(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            first = self._size == 0
        # start the spares with the first worker so a kill never waits on a cold one
        started = self._reserve(1 + (self.config.spares if first else 0))
        if not started:
            return self._idle.get()
        for _ in range(started - 1):
            self._idle.put(self._spawn())
        return self._spawn()

    def check(self, answer: str, gold: str, timeout: float, approximate: bool = False) -> str:
        """Our verdict reason on an extracted answer against the gold."""
        return self._ask(["ours", answer, gold, timeout, approximate], timeout)

    def check_peer(self, response: str, gold: str, timeout: float) -> str:
        """math-verify's verdict reason on a whole response (see `verifiers.math.peer`)."""
        return self._ask(["peer", response, gold, timeout, False], timeout)

    def _ask(self, request: list[object], timeout: float) -> str:
        worker = self._acquire()
        try:
            worker.wait_ready(self.config.start_timeout_s)
        except WorkerStartError:
            self._forget(worker)
            raise
        reason = worker.ask(request, timeout)
        if reason is None or reason == "memory_limit":
            self._replace(worker)
            return "timeout" if reason is None else reason
        self._idle.put(worker)
        return reason

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._forget(worker)
        with self._lock:
            self.killed += 1
        if self._reserve(1):  # warms up in the background while others work
            self._idle.put(self._spawn())

    def close(self) -> None:
        """Kill every worker (registered with atexit for the default pool)."""
        with self._lock:
            workers, self._all = self._all, []
            self._size -= len(workers)
        for worker in workers:
            worker.kill()


_default: WorkerPool | None = None
_default_lock = threading.Lock()


def default_pool() -> WorkerPool:
    """This process's pool (a fresh one after a fork: sockets must not be shared)."""
    global _default
    with _default_lock:
        if _default is None or _default.pid != os.getpid():
            _default = WorkerPool()
            atexit.register(_default.close)
        return _default


def _limit_self(memory_mb: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU must not write core files


def _cpu_budget(timeout: float) -> None:
    """Backstop for an orphaned worker: the parent kills an overrun at `timeout`, but if the
    parent itself has died, a CPU limit a little above the check's budget ends the worker.
    (PR_SET_PDEATHSIG would fire when the *thread* that spawned the worker exits, which
    grade_many's executor threads do, so it cannot be used.)"""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = int(used + timeout) + 3
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def serve(fd: int, memory_mb: int) -> None:
    """Worker main loop: read [grader, answer, gold, timeout, approximate], write a reason, until the parent hangs up."""
    _limit_self(memory_mb)
    from verifiers.math.judge import judge_symbolic

    judge_symbolic(r"\sin x^2", r"\sin(x^2)")  # import and first ANTLR parse before "ready"
    conn = Connection(fd)
    try:
        conn.send_bytes(b"ready")
        while True:
            grader, answer, gold, timeout, approximate = json.loads(conn.recv_bytes())
            _cpu_budget(timeout)
            if grader == "peer":
                from verifiers.math.peer import peer_reason

                reason = peer_reason(answer, gold)
            else:
                reason = judge_symbolic(answer, gold, approximate)
            conn.send_bytes(reason.encode())
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the parent closed the socket or exited: nothing left to do
