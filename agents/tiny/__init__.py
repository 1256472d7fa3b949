"""The embedded tiny model: a character tokenizer, a 2-layer GPT-2, and its Arith pretraining.

`ensure_tiny_model() -> Path` returns the cached, pretrained model directory (training it on first
use; see `agents.tiny.build`). Imported lazily, so `agents.tiny.tokenizer` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ensure_tiny_model"]


def __getattr__(name: str) -> Any:
    if name == "ensure_tiny_model":
        from agents.tiny.build import ensure_tiny_model

        return ensure_tiny_model
    raise AttributeError(f"module 'agents.tiny' has no attribute {name!r}")
