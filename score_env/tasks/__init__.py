"""Tasks by name. Each lives in its own small module and is imported only when asked for, so the
Arith env never pays for sympy or the code sandbox."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from score_env.tasks.base import Problem, Task, TurnOutcome

# name -> "module:class"; a new task is one line here plus its module.
TASKS: dict[str, str] = {
    "arith": "score_env.tasks.arith:ArithTask",
    "countdown": "score_env.tasks.countdown:CountdownTask",
    "math": "score_env.tasks.math:MathTask",
    "humaneval": "score_env.tasks.humaneval:HumanEvalTask",
    "mbpp": "score_env.tasks.mbpp:MBPPTask",
}


def make_task(task: str | Task, **kwargs: Any) -> Task:
    """The task named `task` built with `kwargs`, or `task` itself when already a Task."""
    if isinstance(task, Task):
        if kwargs:
            raise TypeError(f"task kwargs {sorted(kwargs)} given with a ready-made Task {task!r}")
        return task
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(TASKS)} or a Task")
    module, _, cls = TASKS[task].partition(":")
    factory = getattr(import_module(module), cls)
    try:
        return factory(**kwargs)  # type: ignore[no-any-return]
    except TypeError as err:
        raise TypeError(
            f"bad keyword arguments for task {task!r} ({factory.__name__}): {err}"
        ) from err


__all__ = ["TASKS", "Problem", "Task", "TurnOutcome", "make_task"]
