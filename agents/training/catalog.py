"""The table of training methods: for each name, where its config class and its builder live.

The two are named apart so that reading and validating a config imports only config dataclasses
(no torch, no policy, no trainer); the builder's module is imported when a run is built
(`agents.training.registry.get_method`). This module imports nothing of the project, so the config
layer can depend on it without an import circle:

    catalog  <-  training.config  <-  training.method  <-  registry  <-  the methods

A method outside this package is named as `"package.module:ATTR"`, where ATTR is a
`registry.MethodSpec`; its module is imported to read the config class.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass

from agents.removed import RemovedNameError


@dataclass(frozen=True)
class MethodEntry:
    """Where one registered method lives, as `"package.module:ATTR"` paths."""

    config: str
    """The frozen dataclass the `method:` section of a config is parsed into."""
    build: str
    """`build(ctx: TrainContext, config) -> Method`: a class or a function."""
    description: str = ""


METHODS: dict[str, MethodEntry] = {
    "star": MethodEntry(
        "agents.methods.star_config:StarConfig",
        "agents.methods.star:Star",
        "STaR: fine-tune on self-generated corrections (i->c; +c->c for D+), iterated",
    ),
    "pair_sft": MethodEntry(
        "agents.methods.pair_sft_config:PairSFTConfig",
        "agents.methods.pair_sft:PairSFT",
        "Pair-SFT: wrong first attempts paired with right base-model attempts, one round",
    ),
    "score": MethodEntry(
        "agents.methods.score.config:ScoreConfig",
        "agents.methods.score.trainer:build",
        "SCoRe (Kumar et al. 2024): Stage I (Eq. 3) then Stage II (Eq. 4), and ablations",
    ),
}


def method_names() -> tuple[str, ...]:
    """All registered method names, sorted."""
    return tuple(sorted(METHODS))


def external_target(name: str) -> str:
    """`name` itself when it is a `"package.module:ATTR"` path; ValueError naming the registered
    methods otherwise (call this only for names not in `METHODS`)."""
    module, sep, attr = name.partition(":")
    if not (sep and module and attr):
        raise ValueError(
            f"unknown method {name!r}; expected one of {list(method_names())} "
            "or 'package.module:ATTR'"
        )
    return name


def load_object(target: str) -> object:
    """The attribute `ATTR` of module `package.module` named by `target`."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except (
        AttributeError,
        RemovedNameError,
    ) as err:  # a removed name's error names its replacement
        raise ValueError(f"method {target!r}: {err}") from err


def method_config_cls(name: str) -> type:
    """The config class of method `name` (a registered name or a `"package.module:ATTR"` spec),
    imported without its builder for registered methods."""
    entry = METHODS.get(name)
    if entry is not None:
        cls = load_object(entry.config)
    else:
        target = external_target(name)
        cls = getattr(load_object(target), "config_cls", None)
        if cls is None:
            raise TypeError(f"{target} has no config_cls: expected a MethodSpec")
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"the config class of method {name!r} is {cls!r}, expected a dataclass")
    return cls
