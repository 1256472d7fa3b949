"""Names the project removed, answering with their replacement instead of a bare AttributeError.

A module lists its removed names and sets `__getattr__ = removed_names(__name__, {...})`. The
error is an ImportError so that `from module import name` shows the message too (Python turns an
AttributeError there into a generic "cannot import name").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


class RemovedNameError(ImportError):
    """`module.name` was removed; the message says what replaced it."""


def removed_names(module: str, replacements: Mapping[str, str]) -> Callable[[str], object]:
    """A module-level `__getattr__` that raises RemovedNameError for each name in
    `replacements` (name -> what to use instead) and the usual AttributeError otherwise."""

    def __getattr__(name: str) -> object:
        if name in replacements:
            raise RemovedNameError(f"{module}.{name} was removed; use {replacements[name]}")
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
