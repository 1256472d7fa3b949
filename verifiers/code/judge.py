"""The trusted judge: runs the dataset's test code against proxies of the sandboxed candidate.

A judge is its own process (`python -m verifiers.code.judge`), one per worker, so that neither
test code nor candidate data ever runs in the training process; it owns one sandbox. The verdict
is computed here from plain data alone: the candidate's exit code, output and files play no
part. A check passes only if every test statement ran to the end, the candidate was called at
least once, and no call broke the protocol (see session.py).

Names the test uses come from, in order of trust: the test itself and the trusted prelude; the
standard-library module of that name (MBPP's `sys.getsizeof` without an import); the candidate's
module (functions and classes as proxies, plain-data globals copied, other objects as handles).
Builtins are never taken from the candidate, so shadowing `abs` or `isinstance` buys nothing
(unless the task names them in `candidate_names`: MBPP 126 is a function called `sum`).

Statuses: `failed` when the test code raised (an assertion, or e.g. a TypeError on a wrong
answer); `error` when the candidate raised, did not load, lacks the entry point, returned
something that is not plain data, or died; `timeout` / `memory` for those limits; and
`sandbox_error` when our own machinery failed. Only `passed` passes.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import json
import math
import os
import sys
import threading
import time
import traceback
import warnings
from dataclasses import asdict
from typing import Any

from verifiers.code.channel import ChannelError
from verifiers.code.config import CodeTask, ExecResult, SandboxConfig, Status
from verifiers.code.sandbox import MAX_CPU_SECONDS, Sandbox, SandboxError
from verifiers.code.session import (
    CandidateFunction,
    CandidateSession,
    CandidateTimeout,
    CandidateViolation,
    SandboxObject,
)

_BUILTIN_NAMES = frozenset(vars(builtins))
_STDLIB = frozenset(sys.stdlib_module_names)


class TestOutcome:
    """How the test code ended: `failed_test` and `error` are None when it ran to the end."""

    def __init__(self, failed_test: str | None = None, error: BaseException | None = None) -> None:
        self.failed_test = failed_test
        self.error = error


@functools.lru_cache(maxsize=4096)
def _compiled(
    test: str, prelude: str, entry_point: str | None, candidate_names: tuple[str, ...]
) -> tuple[Any, Any, tuple[str, ...], frozenset[str]]:
    """Compile the trusted code once per distinct test; find the names it needs from elsewhere."""
    with warnings.catch_warnings():  # dataset regexes like '\d' warn; they are not our concern
        warnings.simplefilter("ignore")
        test_tree = ast.parse(test, "<test>")
        prelude_tree = ast.parse(prelude, "<prelude>")
    if entry_point is None:
        statements = [compile(ast.Module([s], []), "<test>", "exec") for s in test_tree.body]
        test_code: Any = list(
            zip(statements, [ast.get_source_segment(test, s) for s in test_tree.body], strict=True)
        )
    else:
        test_code = compile(test_tree, "<test>", "exec")
    defined = _module_level_names(test_tree) | _module_level_names(prelude_tree)
    used = {n.id for t in (test_tree, prelude_tree) for n in ast.walk(t) if isinstance(n, ast.Name)}
    own = {entry_point} if entry_point is not None else set()
    own |= set(candidate_names) & used
    free = (used - defined - _BUILTIN_NAMES) | own
    return (
        compile(prelude_tree, "<prelude>", "exec"),
        test_code,
        tuple(sorted(free)),
        frozenset(own),
    )


def _module_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def build_namespace(
    session: CandidateSession, described: dict[str, Any], free: tuple[str, ...], own: frozenset[str],
    entry_point: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The test's globals before the prelude and test run (they override what they define)."""
    namespace: dict[str, Any] = {"__name__": "__test__", "__builtins__": builtins}
    for name in free:
        if name == entry_point:
            namespace[name] = CandidateFunction(session, name)  # always a function, never a class
        elif name in _STDLIB and name not in own:
            namespace[name] = importlib.import_module(name)
        elif type(described.get(name)) is list and described[name]:
            kind = described[name][0]
            if kind in ("f", "c"):
                namespace[name] = CandidateFunction(session, name, keep=kind == "c")
            elif kind == "v" and len(described[name]) == 2:
                namespace[name] = session.decode_value(described[name][1])
            elif kind == "h" and len(described[name]) == 2 and type(described[name][1]) is int:
                namespace[name] = SandboxObject(described[name][1])
    return namespace


def run_tests(
    namespace: dict[str, Any], task: CodeTask, prelude_code: Any, test_code: Any
) -> TestOutcome:
    """Execute the trusted test code; stop at the first failing statement."""
    proxy = namespace.get(task.entry_point or "")
    exec(prelude_code, namespace)
    if task.entry_point is not None:
        namespace[task.entry_point] = proxy  # the prelude's stub of it (HumanEval's prompt) goes
        try:
            exec(test_code, namespace)
            namespace["check"](namespace[task.entry_point])
        except Exception as e:  # the test failed; CandidateViolation/Timeout are BaseException
            return TestOutcome(_failing_line(task.test, e), e)
        return TestOutcome()
    for code, source in test_code:
        try:
            exec(code, namespace)
        except Exception as e:
            return TestOutcome(source, e)
    return TestOutcome()


def _failing_line(test: str, error: BaseException) -> str | None:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == "<test>"]
    if not frames or frames[-1].lineno is None:
        return None
    return test.splitlines()[frames[-1].lineno - 1].strip()


def judge(sandbox: Sandbox, task: CodeTask, timeout: float) -> ExecResult:
    """One check, start to finish, within `timeout` seconds of wall clock."""
    start = time.monotonic()
    prelude_code, test_code, free, own = _compiled(
        task.test, task.trusted_prelude, task.entry_point, task.candidate_names
    )
    try:
        sock = sandbox.run()
    except SandboxError as e:
        return ExecResult(
            False,
            "sandbox_error",
            error=str(e),
            duration=time.monotonic() - start,
            task_id=task.task_id,
        )
    cpu = min(math.ceil(timeout) + 1, MAX_CPU_SECONDS)
    session = CandidateSession(sock, start + timeout, cpu)
    status, failed_test, error = _verdict(session, task, prelude_code, test_code, free, own)
    sock.close()
    leftovers: dict[str, Any] = {}
    try:
        sandbox.request_finish()  # the zygote kills the program's processes now
        if status != "passed":  # a pass needs no stderr: answer first, collect the cleanup after
            leftovers = sandbox.collect()
    except SandboxError as e:
        status, error = "sandbox_error", str(e)
    if status != "passed":
        status = _refine(status, error, leftovers)
    return ExecResult(
        status == "passed", status, failed_test, error, str(leftovers.get("stderr", "")),
        time.monotonic() - start, task.task_id,
    )  # fmt: skip


def _verdict(
    session: CandidateSession, task: CodeTask, prelude_code: Any, test_code: Any,
    free: tuple[str, ...], own: frozenset[str],
) -> tuple[Status, str | None, str | None]:  # fmt: skip
    try:
        loaded = session.load(task.program, task.setup, list(free))
        if "load_error" in loaded:
            name, message = (list(loaded["load_error"]) + ["", ""])[:2]
            return (
                ("memory" if name == "MemoryError" else "error"),
                None,
                f"{name}: {message}"[:2000],
            )
        described = loaded["names"]
        if task.entry_point is not None and described.get(task.entry_point) is None:
            return "error", None, f"the program does not define {task.entry_point!r}"
        namespace = build_namespace(session, described, free, own, task.entry_point)
        outcome = run_tests(namespace, task, prelude_code, test_code)
    except CandidateTimeout as e:
        return "timeout", None, str(e)
    except CandidateViolation as e:
        return "error", None, f"candidate violated the protocol: {e}"
    except (OSError, ChannelError) as e:
        return "error", None, f"channel failure: {e}"
    if session.timed_out:  # the test caught it, we do not
        return "timeout", None, "the candidate did not answer before the deadline"
    if session.violation is not None:  # the test caught it, we do not
        return "error", None, f"candidate violated the protocol: {session.violation}"
    if outcome.error is not None:
        text = f"{type(outcome.error).__name__}: {outcome.error}"[:2000]
        if outcome.error is session.candidate_raised:
            return (
                ("memory" if isinstance(outcome.error, MemoryError) else "error"),
                outcome.failed_test,
                text,
            )
        return "failed", outcome.failed_test, text
    if session.calls == 0:
        return "failed", None, "the tests never called the candidate"
    return "passed", None, None


def _refine(status: Status, error: str | None, leftovers: dict[str, Any]) -> Status:
    """A dead candidate's exit says why (diagnostics only: this never turns a failure into a pass)."""
    exit_ = leftovers.get("exit")
    if exit_ == "SIGXCPU":
        return "timeout"
    if status == "error" and (
        "MemoryError" in str(leftovers.get("stderr", "")) or exit_ == "SIGSEGV"
    ):
        return "memory"
    return status


def main() -> None:
    """Serve checks: one JSON job per line on stdin, one JSON result per line on the protocol fd."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # test code that prints must not corrupt the protocol
    config_data = json.loads(sys.argv[1])
    isolation = config_data.pop("resolved_isolation")
    sandbox = Sandbox(SandboxConfig(**config_data), isolation)
    _die_with_parent()
    try:
        sandbox.start()
        protocol.write(json.dumps({"ready": True}) + "\n")
        for line in sys.stdin:
            job = json.loads(line)
            task = CodeTask(
                **{**job["task"], "candidate_names": tuple(job["task"]["candidate_names"])}
            )
            result = judge(sandbox, task, float(job["timeout"]))
            protocol.write(json.dumps(asdict(result)) + "\n")
            try:
                sandbox.collect_pending()
            except SandboxError:
                pass  # the sandbox is closed; the next check restarts it
    finally:
        sandbox.close()


def _die_with_parent() -> None:
    """If the training process dies, so does this judge (and with it, its sandbox).

    Not PR_SET_PDEATHSIG: that fires when the parent *thread* exits, and judges are started
    from worker threads. A watchdog thread polls the parent pid instead.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    main()
