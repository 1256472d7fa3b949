"""Training configuration: one frozen dataclass per component, loaded from YAML.

A YAML file in `configs/` holds only what differs from the defaults below, in sections named after
the fields of `TrainConfig` (`run`, `env`, `policy`, `sampling`, `eval_sampling`, `optim`,
`method`). `policy`, `sampling` and `eval_sampling` are the policy package's own
`PolicyConfig` / `SamplingConfig`. The `method` section is
parsed into the config class the method registers (`agents.training.catalog`), so each method
owns and validates its own hyperparameters; parsing imports that class only, never the trainer. `--set section.key=value` overrides any field; values
are parsed as YAML (`--set optim.lr=3e-4`, `--set env.kwargs={levels: [1]}`).

Every field is validated when the dataclass is built; errors name the field, the bad value and what
was expected. The resolved config (every field, defaults included) is saved with the run.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import os
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from agents.policy.config import GREEDY, PolicyConfig, SamplingConfig
from agents.training.catalog import method_config_cls

TINY = "tiny"
"""`policy.model` value that selects the embedded tiny model."""

T = TypeVar("T")


MAX_SEED = 2**32 - 1
"""Seeds reach numpy, which takes 0..2**32-1."""


def _check(ok: bool, name: str, value: object, expected: str) -> None:
    if not ok:
        raise ValueError(f"{name}={value!r} is invalid: expected {expected}")


def is_plain_name(name: str) -> bool:
    """A name that is one directory entry: not empty, no path separator, not `.` or `..`."""
    separators = {"/", "\\", os.sep, os.altsep or "/"}
    return bool(name) and name not in (".", "..") and not any(c in name for c in separators)


@dataclass(frozen=True)
class RunConfig:
    """What to run, for how long, and where its outputs go."""

    method: str = "star"
    """Registered method name (see `agents.training.catalog`) or `"package.module:SPEC"`."""
    name: str = "run"
    """Run name: outputs go to `<out_dir>/<name>/`."""
    out_dir: str = "runs"
    """Parent directory of all runs (TensorBoard logs, checkpoints, resolved config)."""
    total_steps: int = 100
    """Optimiser updates to make; 0 only evaluates the initial model (the `Base` row)."""
    seed: int = 0
    """Seeds torch, numpy, Python, problem sampling and generation (offset per process)."""
    eval_every: int = 50
    """Held-out evaluation every this many steps (and always before the first and after the last)."""
    checkpoint_every: int = 50
    """Save a resumable checkpoint every this many steps (and after the last)."""
    keep_checkpoints: int = 2
    """How many recent resumable checkpoints to keep; the best one is kept apart."""
    sample_every: int = 25
    """Log text samples of both turns every this many steps."""
    cpu: bool = False
    """Force the CPU even when an accelerator is present (`Accelerator(cpu=True)`)."""
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"
    """Passed to `accelerate.Accelerator`; `no` leaves it to the launcher's accelerate config."""
    torch_threads: int = 0
    """`torch.set_num_threads` per process; 0 leaves torch's default."""

    def __post_init__(self) -> None:
        _check(
            is_plain_name(self.name),
            "run.name",
            self.name,
            "a plain directory name (no path separators, not '.' or '..')",
        )
        _check(0 <= self.seed <= MAX_SEED, "run.seed", self.seed, f"an integer in [0, {MAX_SEED}]")
        _check(self.total_steps >= 0, "run.total_steps", self.total_steps, "an integer >= 0")
        for key in ("eval_every", "checkpoint_every", "sample_every", "keep_checkpoints"):
            value = getattr(self, key)
            _check(value >= 1, f"run.{key}", value, "an integer >= 1")
        _check(self.torch_threads >= 0, "run.torch_threads", self.torch_threads, "an integer >= 0")
        _check(
            self.mixed_precision in ("no", "bf16", "fp16"),
            "run.mixed_precision",
            self.mixed_precision,
            "'no', 'bf16' or 'fp16'",
        )


@dataclass(frozen=True)
class EnvConfig:
    """The self-correction environment used for training rollouts and held-out evaluation."""

    id: str = "SelfCorrect-Arith-v0"
    """Registered Gymnasium id of the training env."""
    num_envs: int = 32
    """Episodes collected in parallel per process per rollout (one batched env)."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """Extra keyword arguments for the training env (split, levels, data paths...)."""
    eval_id: str = ""
    """Gymnasium id for held-out evaluation; empty means the training id."""
    eval_kwargs: dict[str, Any] = field(default_factory=lambda: {"split": "test"})
    """Keyword arguments for the evaluation env (a held-out split)."""
    eval_episodes: int = 200
    """Held-out problems per evaluation."""
    eval_num_envs: int = 50
    """Batch size of the evaluation env."""
    audit: bool = False
    """Grade every training response a second time with math-verify (MATH envs) and log how
    often it disagrees with the reward's grader (`audit/*`); the reward never changes."""

    def __post_init__(self) -> None:
        _check(bool(self.id), "env.id", self.id, "a registered env id")
        _check(self.num_envs >= 1, "env.num_envs", self.num_envs, "an integer >= 1")
        _check(self.eval_episodes >= 1, "env.eval_episodes", self.eval_episodes, "an integer >= 1")
        _check(self.eval_num_envs >= 1, "env.eval_num_envs", self.eval_num_envs, "an integer >= 1")
        _check(
            not self.audit or "MATH" in self.id, "env.audit", self.audit, "false for a non-MATH env"
        )

    @property
    def resolved_eval_id(self) -> str:
        return self.eval_id or self.id


_ADAM_BETAS = (0.9, 0.999)


@dataclass(frozen=True)
class OptimConfig:
    """AdamW (or SGD) with linear warmup then constant learning rate, gradient clipping and
    accumulation. Every field means the same for every method; a field the chosen optimiser or
    method has no use for must keep its default (the error names it), so no setting is ignored."""

    name: Literal["adamw", "sgd"] = "adamw"
    """The optimiser. SGD moves each weight in proportion to its gradient, where Adam normalises
    every weight's step to about `lr`, noise included."""
    lr: float = 1e-4
    """Peak learning rate."""
    weight_decay: float = 0.0
    """Weight decay: decoupled from the gradient for AdamW, an L2 term in the gradient for SGD."""
    betas: tuple[float, float] = _ADAM_BETAS
    """AdamW betas (only with `name: adamw`)."""
    momentum: float = 0.0
    """SGD momentum (only with `name: sgd`)."""
    warmup_steps: int = 0
    """Linear warmup from 0 to `lr` over this many updates."""
    max_grad_norm: float = 1.0
    """Clip the global gradient norm to this; 0 disables clipping."""
    micro_batch_size: int = 16
    """Sequences per forward/backward pass per process."""
    grad_accum_steps: int = 1
    """Micro-batches accumulated per update; the global batch is
    micro_batch_size x grad_accum_steps x processes (supervised methods: STaR, Pair-SFT). SCoRe's
    batch is env.num_envs episodes per process, and it rejects values other than 1."""

    def __post_init__(self) -> None:
        _check(self.name in ("adamw", "sgd"), "optim.name", self.name, "'adamw' or 'sgd'")
        _check(0 <= self.momentum < 1, "optim.momentum", self.momentum, "a float in [0, 1)")
        _check(math.isfinite(self.lr) and self.lr > 0, "optim.lr", self.lr, "a finite float > 0")
        _check(
            math.isfinite(self.weight_decay) and self.weight_decay >= 0,
            "optim.weight_decay",
            self.weight_decay,
            "a finite float >= 0",
        )
        _check(
            len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas),
            "optim.betas",
            self.betas,
            "two floats in [0, 1)",
        )
        _check(
            self.name == "sgd" or self.momentum == 0,
            "optim.momentum",
            self.momentum,
            "0 with optim.name='adamw' (momentum is SGD's: set optim.name=sgd, or tune optim.betas)",
        )
        _check(
            self.name == "adamw" or tuple(self.betas) == _ADAM_BETAS,
            "optim.betas",
            self.betas,
            f"the default {list(_ADAM_BETAS)} with optim.name='sgd' (betas are AdamW's: "
            "set optim.momentum instead)",
        )
        _check(self.warmup_steps >= 0, "optim.warmup_steps", self.warmup_steps, "an integer >= 0")
        _check(
            math.isfinite(self.max_grad_norm) and self.max_grad_norm >= 0,
            "optim.max_grad_norm",
            self.max_grad_norm,
            "a finite float >= 0 (0 disables clipping)",
        )
        _check(
            self.micro_batch_size >= 1,
            "optim.micro_batch_size",
            self.micro_batch_size,
            "an integer >= 1",
        )
        _check(
            self.grad_accum_steps >= 1,
            "optim.grad_accum_steps",
            self.grad_accum_steps,
            "an integer >= 1",
        )


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs. `method` is the registered method's own config."""

    run: RunConfig = field(default_factory=RunConfig)
    env: EnvConfig = field(default_factory=EnvConfig)
    policy: PolicyConfig = field(default_factory=lambda: PolicyConfig(model=TINY))
    """The model (`tiny` = the embedded char-level GPT-2, pretrained and cached on first use)."""
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    """How training rollouts sample (the paper: temperature 1.0)."""
    eval_sampling: SamplingConfig = field(default_factory=lambda: GREEDY)
    """How held-out evaluation decodes (the paper: greedy)."""
    optim: OptimConfig = field(default_factory=OptimConfig)
    method: Any = None

    def __post_init__(self) -> None:
        expected = method_config_cls(self.run.method)
        if self.method is None:
            object.__setattr__(self, "method", expected())
        _check(
            isinstance(self.method, expected),
            "method",
            self.method,
            f"a {expected.__name__} for run.method={self.run.method!r}",
        )

    @property
    def run_dir(self) -> Path:
        return Path(self.run.out_dir) / self.run.name

    def to_dict(self) -> dict[str, Any]:
        """Every field, defaults included: what is saved with the run."""
        return _plain(dataclasses.asdict(self))


_SECTIONS: dict[str, type] = {
    "run": RunConfig,
    "env": EnvConfig,
    "policy": PolicyConfig,
    "sampling": SamplingConfig,
    "eval_sampling": SamplingConfig,
    "optim": OptimConfig,
}
_SECTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "policy": {"model": TINY},
    "eval_sampling": {"greedy": True},
}


def build_config(raw: Mapping[str, Any]) -> TrainConfig:
    """Validate a nested mapping (parsed YAML) into a `TrainConfig`."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"config must be a mapping of sections, got {type(raw).__name__}")
    unknown = set(raw) - {*_SECTIONS, "method"}
    if unknown:
        raise ValueError(
            f"unknown config section(s) {sorted(unknown)}; expected "
            f"{sorted([*_SECTIONS, 'method'])}"
        )
    parts: dict[str, Any] = {
        k: from_dict(cls, {**_SECTION_DEFAULTS.get(k, {}), **(raw.get(k) or {})}, k)
        for k, cls in _SECTIONS.items()
    }
    method_cls = method_config_cls(parts["run"].method)
    method: Any = from_dict(method_cls, raw.get("method") or {}, "method")
    return TrainConfig(**parts, method=method)


def load_config(path: str | Path | None, overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a YAML config (or start from defaults when `path` is None) and apply `key=value`
    overrides, e.g. `("optim.lr=3e-4", "run.name=test")`."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file {str(path)!r} does not exist")
        loaded = _parse_yaml(path.read_text(), f"config file {str(path)!r}")
        if loaded is not None and not isinstance(loaded, dict):
            raise ValueError(f"config file {str(path)!r} must hold a mapping of sections")
        raw = loaded or {}
    for item in overrides:
        apply_override(raw, item)
    return build_config(raw)


def apply_override(raw: dict[str, Any], item: str) -> None:
    """Set `section.key=value` in the nested mapping `raw` (value parsed as YAML)."""
    key, sep, text = item.partition("=")
    parts = key.strip().split(".")
    if not sep or len(parts) < 2 or not all(parts):
        raise ValueError(f"override {item!r} is invalid: expected section.key=value")
    node = raw
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"override {item!r}: {part!r} is not a section")
    node[parts[-1]] = _parse_yaml(text, f"override {item!r}") if text.strip() else ""


def _parse_yaml(text: str, source: str) -> Any:
    """`yaml.safe_load`, with a syntax error as one ValueError naming `source` and the line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ValueError(f"{source} is not valid YAML{where}: {problem}") from err


def save_config(config: TrainConfig, path: str | Path) -> None:
    """Write the resolved config as YAML; `load_config(path)` rebuilds an equal config."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))


def from_dict(cls: type[T], values: Mapping[str, Any], section: str) -> T:
    """Build dataclass `cls` from `values`, checking names and types field by field."""
    if not isinstance(values, Mapping):
        raise ValueError(f"config section {section!r} must be a mapping, got {values!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(values) - fields
    if unknown:
        raise ValueError(
            f"unknown key(s) {sorted(unknown)} in section {section!r}; "
            f"expected some of {sorted(fields)}"
        )
    kwargs = {k: _coerce(v, hints[k], f"{section}.{k}") for k, v in values.items()}
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, name: str) -> Any:
    """Check `value` against a simple type hint, converting YAML lists to tuples and ints to
    floats where the hint asks; raise ValueError naming the field otherwise."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin is Literal:
        if value is False and "no" in args:  # YAML 1.1 reads a bare `no` as false
            value = "no"
        _check(value in args, name, value, f"one of {list(args)}")
        return value
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            try:
                return _coerce(value, arg, name)
            except ValueError:
                continue
        raise ValueError(f"{name}={value!r} is invalid: expected {hint}")
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        choices = [member.value for member in hint]
        _check(value in choices, name, value, f"one of {choices}")
        return hint(value)
    if hint is type(None):
        _check(value is None, name, value, "null")
        return None
    if origin is tuple:
        _check(isinstance(value, list | tuple), name, value, f"a list ({hint})")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], name) for v in value)
        _check(len(value) == len(args), name, value, f"{len(args)} items")
        return tuple(_coerce(v, a, name) for v, a in zip(value, args, strict=True))
    if origin is dict or hint is dict:
        _check(isinstance(value, dict), name, value, "a mapping")
        return dict(value)
    if hint is float:
        if isinstance(value, str):  # YAML 1.1 reads `3e-4` (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                pass
        _check(
            isinstance(value, int | float) and not isinstance(value, bool), name, value, "a number"
        )
        # every float field is a rate, norm, coefficient or probability: inf and nan never fit
        _check(math.isfinite(value), name, value, "a finite number")
        return float(value)
    if hint is int:
        _check(isinstance(value, int) and not isinstance(value, bool), name, value, "an integer")
        return value
    if hint in (str, bool):
        _check(isinstance(value, hint), name, value, f"a {hint.__name__}")
        return value
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, name)  # type: ignore[arg-type]
    raise TypeError(f"{name}: unsupported config field type {hint!r}")


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively, so the saved YAML stays plain and loadable."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value
