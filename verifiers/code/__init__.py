"""Sandboxed execution of HumanEval and MBPP programs that hostile code and reward hacks cannot beat.

    from verifiers.code import check, check_many, humaneval_task, extract_program
    result = check(program, test, entry_point, timeout=3.0)   # -> ExecResult
    results = check_many([humaneval_task(problem, completion), ...], workers=2)

The dataset's tests run in a trusted judge process and call the candidate, which lives in an
unprivileged, namespaced sandbox process, through a channel carrying only plain data; see
judge.py, session.py, sandbox.py and zygote.py for the design. Without bubblewrap the first
check raises `SandboxUnavailable` (with the command that fixes it); the weaker process sandbox
runs only on request: `SandboxConfig(isolation="process")` or SCORE_ENV_SANDBOX=process.
"""

from __future__ import annotations

from collections.abc import Sequence

from verifiers.code.config import CodeTask, ExecResult, SandboxConfig, Status
from verifiers.code.extract import extract_program
from verifiers.code.isolation import SandboxUnavailable
from verifiers.code.pool import JudgePool, shared_pool
from verifiers.code.programs import humaneval_task, humaneval_task_from_function, mbpp_task

__all__ = [
    "CodeTask",
    "ExecResult",
    "JudgePool",
    "SandboxConfig",
    "SandboxUnavailable",
    "Status",
    "check",
    "check_many",
    "extract_program",
    "humaneval_task",
    "humaneval_task_from_function",
    "mbpp_task",
    "shared_pool",
]


def check(
    program: str,
    test: str,
    entry_point: str | None,
    timeout: float = 3.0,
    *,
    trusted_prelude: str = "",
    setup: str = "",
    config: SandboxConfig | None = None,
) -> ExecResult:
    """Run `test` against `program` in the sandbox (see CodeTask for the arguments)."""
    task = CodeTask(program, test, entry_point, trusted_prelude=trusted_prelude, setup=setup)
    return shared_pool(1, config).check(task, timeout)


def check_many(
    tasks: Sequence[CodeTask],
    *,
    workers: int = 2,
    timeout: float = 3.0,
    config: SandboxConfig | None = None,
    progress: bool = False,
) -> list[ExecResult]:
    """Check `tasks` on `workers` judges in parallel; results in the order of `tasks`."""
    return shared_pool(workers, config).check_many(tasks, timeout, progress)
