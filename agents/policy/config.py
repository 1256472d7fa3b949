"""Frozen, validated configs of a policy (what model, where, how) and of one sampling call."""

from __future__ import annotations

from dataclasses import dataclass

_DTYPES = ("auto", "float32", "bfloat16", "float16")
_DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class LoraSettings:
    """Low-rank adapters through `peft` (the policy trains only these; the base is the reference)."""

    r: int = 16
    """Adapter rank."""
    alpha: int = 32
    """Scaling numerator: the update is `(alpha / r) * B @ A`."""
    dropout: float = 0.0
    """Dropout on the adapter input (0 keeps sampling and scoring the same function)."""
    target_modules: tuple[str, ...] | str = "all-linear"
    """Module names to adapt, or peft's "all-linear"."""

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ValueError(f"LoraSettings.r must be >= 1, got {self.r!r}")
        if self.alpha <= 0:
            raise ValueError(f"LoraSettings.alpha must be > 0, got {self.alpha!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"LoraSettings.dropout must be in [0, 1), got {self.dropout!r}")


@dataclass(frozen=True)
class PolicyConfig:
    """Which causal LM to load and how to run it."""

    model: str = ""
    """Local model directory or hub id (an adapter directory saved by `Policy` works too)."""
    device: str = "auto"
    """"auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N"."""
    dtype: str = "auto"
    """"auto" (bfloat16 on CUDA, float32 on CPU), "float32", "bfloat16" or "float16"."""
    lora: LoraSettings | None = None
    """Train low-rank adapters instead of all weights; None trains every weight."""
    frozen_reference: bool = True
    """Keep a frozen copy of the initial weights for KL terms (with LoRA, the adapter-disabled base
    is the reference and no copy is made)."""
    max_context: int | None = None
    """Longest prompt + response in tokens; None reads the model config's position limit."""
    generation_batch_size: int = 256
    """Rows per `generate` call; larger batches are split (memory, not semantics)."""
    trust_remote_code: bool = False
    """Passed to `from_pretrained` for models that ship their own code."""

    def __post_init__(self) -> None:
        if self.dtype not in _DTYPES:
            raise ValueError(f"PolicyConfig.dtype must be one of {_DTYPES}, got {self.dtype!r}")
        if self.device.split(":")[0] not in _DEVICES:
            raise ValueError(
                f"PolicyConfig.device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {self.device!r}"
            )
        if self.max_context is not None and self.max_context < 2:
            raise ValueError(f"PolicyConfig.max_context must be >= 2, got {self.max_context!r}")
        if self.generation_batch_size < 1:
            raise ValueError(
                f"PolicyConfig.generation_batch_size must be >= 1, got {self.generation_batch_size!r}"
            )


@dataclass(frozen=True)
class SamplingConfig:
    """One sampling call: greedy (evaluation, as the paper) or temperature / nucleus sampling."""

    temperature: float = 1.0
    """Softmax temperature (ignored when greedy)."""
    top_p: float = 1.0
    """Nucleus mass; 1.0 samples from the full distribution (ignored when greedy)."""
    max_new_tokens: int = 128
    """Response length cap; also clipped so that prompt + response fits `max_context`."""
    greedy: bool = False
    """Argmax decoding."""
    stop_strings: tuple[str, ...] = ()
    """Generation of a row stops right after any of these strings (which stay in the response)."""

    def __post_init__(self) -> None:
        if not self.greedy and not self.temperature > 0:
            raise ValueError(
                f"SamplingConfig.temperature must be > 0 when sampling, got {self.temperature!r}"
            )
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"SamplingConfig.top_p must be in (0, 1], got {self.top_p!r}")
        if self.max_new_tokens < 1:
            raise ValueError(
                f"SamplingConfig.max_new_tokens must be >= 1, got {self.max_new_tokens!r}"
            )
        if isinstance(self.stop_strings, str) or any(not s for s in self.stop_strings):
            raise ValueError(
                f"SamplingConfig.stop_strings must be a tuple of non-empty strings, "
                f"got {self.stop_strings!r}"
            )


GREEDY = SamplingConfig(greedy=True)
"""The paper's evaluation decoding."""
