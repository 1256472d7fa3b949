"""The one dispatch point from a method name (`run.method` in a config) to its implementation.

`catalog.METHODS` names, for each method, its config class and its builder apart: parsing a config
imports only the config class (`catalog.method_config_cls`), and `get_method` imports the builder
when a run is built. Modules are imported only when their method is asked for, so
`agents.training` never imports the methods at import time (the methods import the training
package, not the other way round).

To add a method: write `agents/methods/<name>.py` with its `build` (and its config dataclass in a
module that does not import torch) and add one `MethodEntry` to `catalog.METHODS`. Nothing else
dispatches on method names. A method that lives outside this package can also be named directly
as `"package.module:ATTR"` (e.g. in `run.method`), where ATTR is a `MethodSpec`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agents.training.catalog import METHODS, external_target, load_object, method_names

if TYPE_CHECKING:
    from agents.training.method import Method, TrainContext

__all__ = ["MethodSpec", "get_method", "method_names"]


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


@functools.cache
def get_method(name: str) -> MethodSpec:
    """The `MethodSpec` of `name` (registered, or a `"package.module:ATTR"` spec); ValueError
    naming the known ones otherwise. Imports the method's builder module."""
    entry = METHODS.get(name)
    if entry is None:
        target = external_target(name)
        spec = load_object(target)
        if not isinstance(spec, MethodSpec):
            raise TypeError(f"{target} is {type(spec).__name__}, expected a MethodSpec")
        return spec
    config_cls, build = load_object(entry.config), load_object(entry.build)
    if not (isinstance(config_cls, type) and callable(build)):
        raise TypeError(f"method {name!r}: {entry} must name a class and a callable")
    return MethodSpec(config_cls, build, entry.description)
