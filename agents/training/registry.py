"""The one dispatch point from a method name (`run.method` in a config) to its implementation.

Each entry names a module attribute holding a `MethodSpec`; modules are imported only when their
method is asked for, so `agents.training` never imports the methods at import time (the methods
import the training package, not the other way round).

To add a method: write `agents/methods/<name>.py` exposing `SPEC = MethodSpec(...)` and add one
line to `_METHODS` below. Nothing else dispatches on method names. A method that lives outside
this package can also be named directly as `"package.module:ATTR"` (e.g. in `run.method`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.training.method import Method, TrainContext

_METHODS: dict[str, str] = {
    "star": "agents.methods.star:SPEC",
    "pair_sft": "agents.methods.pair_sft:SPEC",
    "score": "agents.methods.score.trainer:SPEC",
}


@dataclass(frozen=True)
class MethodSpec:
    """How to configure and build one training method.

    `config_cls` is a frozen dataclass validated in `__post_init__`; the `method:` section of a
    YAML config is parsed into it. `build(ctx, method_config)` returns the object the loop drives
    (see `agents.training.method.Method`).
    """

    config_cls: type
    build: Callable[[TrainContext, Any], Method]
    description: str = ""


def method_names() -> tuple[str, ...]:
    """All registered method names, sorted."""
    return tuple(sorted(_METHODS))


def get_method(name: str) -> MethodSpec:
    """The `MethodSpec` registered as `name`; ValueError naming the known ones otherwise."""
    target = _METHODS.get(name, name if ":" in name else None)
    if target is None:
        raise ValueError(
            f"unknown method {name!r}; expected one of {list(method_names())} "
            "or 'package.module:ATTR'"
        )
    module_name, _, attr = target.partition(":")
    spec = getattr(importlib.import_module(module_name), attr, None)
    if not isinstance(spec, MethodSpec):
        raise TypeError(f"{target} is {type(spec).__name__}, expected a MethodSpec")
    return spec
