"""Typed containers of the code verifier: the limits of a sandbox, a check to run, its result."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["passed", "failed", "error", "timeout", "memory", "sandbox_error"]
Isolation = Literal["auto", "namespaces", "process"]
STATUSES: tuple[str, ...] = ("passed", "failed", "error", "timeout", "memory", "sandbox_error")


@dataclass(frozen=True)
class SandboxConfig:
    """How candidate programs are confined. The defaults fit HumanEval and MBPP with room to spare.

    `isolation`: "namespaces" runs the sandbox under bubblewrap (PID, network, IPC, UTS and mount
    namespaces, a read-only view of /usr only, a private size-capped /tmp; as a non-root user
    inside an unprivileged user namespace); "process" is the weaker sandbox without namespaces
    (uid drop when root, rlimits, own session), run only when asked for and with a warning;
    "auto" (the default) is "namespaces" unless $SCORE_ENV_SANDBOX says "process". Where
    namespaces are unavailable the first check raises `SandboxUnavailable` with the fix.
    """

    isolation: Isolation = "auto"
    memory_bytes: int = 1 << 30  # RLIMIT_AS of each candidate process
    max_processes: int = 16  # RLIMIT_NPROC, counted per uid (each judge has its own uid)
    file_bytes: int = 16 << 20  # RLIMIT_FSIZE: the largest file, captured stdout included
    open_files: int = 64  # RLIMIT_NOFILE
    tmp_bytes: int = 64 << 20  # size of the sandbox's private /tmp (namespaces only)
    tail_bytes: int = 4096  # how much of the captured stdout / stderr comes back
    python: str = "/usr/bin/python3"  # the sandbox interpreter: must be readable by any uid
    uid_base: int = 1_000_000  # candidate uid = uid_base + the judge's pid (unique while alive)

    def __post_init__(self) -> None:
        if self.isolation not in ("auto", "namespaces", "process"):
            raise ValueError(
                f"isolation must be 'auto', 'namespaces' or 'process', got {self.isolation!r}"
            )
        for name in ("memory_bytes", "max_processes", "file_bytes", "open_files", "tmp_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.open_files < 8:
            raise ValueError(
                f"open_files must be >= 8 (the channel needs a few), got {self.open_files}"
            )
        if not self.python.startswith("/usr/"):
            raise ValueError(
                f"python must live under /usr (the only tree the sandbox sees), got {self.python!r}"
            )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CodeTask:
    """One check: a complete program and the dataset's test code.

    `test` is HumanEval-style (defines `check(candidate)`, called with `entry_point`) or
    MBPP-style (`assert` lines; `entry_point` None). `trusted_prelude` is dataset code executed
    in the judge before the test, so helpers the test calls (HumanEval's `poly`,
    `encode_cyclic`) come from the dataset, not from the candidate's possibly rewritten copy.
    `setup` runs in the sandbox after the program (MBPP's `test_setup_code`, which builds inputs
    from the candidate's own classes). `candidate_names` are names the test must take from the
    program even when they shadow a builtin (MBPP 126 defines `sum`); any other builtin name in
    the test stays the builtin, so a program cannot pass by redefining `abs` or `isinstance`.
    """

    program: str
    test: str
    entry_point: str | None
    trusted_prelude: str = ""
    setup: str = ""
    task_id: str = ""
    candidate_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("program", "test", "trusted_prelude", "setup", "task_id"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a str, got {type(getattr(self, name)).__name__}")
        if self.entry_point is not None and not self.entry_point.isidentifier():
            raise ValueError(f"entry_point must be an identifier or None, got {self.entry_point!r}")
        names = self.candidate_names
        if not (
            isinstance(names, tuple) and all(isinstance(n, str) and n.isidentifier() for n in names)
        ):
            raise ValueError(f"candidate_names must be a tuple of identifiers, got {names!r}")


def validate_timeout(timeout: float) -> float:
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
    return float(timeout)


@dataclass(frozen=True)
class ExecResult:
    """The verdict of one check. Only `passed` is reward-bearing; the rest is for logs/feedback.

    `failed_test` is the first test statement that failed (source text), `error` its error;
    `stderr` is the tail of what the candidate wrote there; `duration` is wall seconds.
    """

    passed: bool
    status: Status
    failed_test: str | None = None
    error: str | None = None
    stderr: str = ""
    duration: float = 0.0
    task_id: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.passed != (self.status == "passed"):
            raise ValueError(f"passed={self.passed} contradicts status={self.status!r}")
