"""A text space that admits any Unicode string up to a length limit, at no construction cost.

gymnasium's `spaces.Text` checks membership against an explicit charset; listing every Unicode code
point costs seconds and hundreds of MB per space, and a language model may emit any code
point. `UnicodeText` keeps a small printable-ASCII charset for `sample()` (what `check_env`
feeds the env) and overrides `contains` to accept any `str` within the length bounds.

AsyncVectorEnv's shared memory stores Text as indices into the charset, which would corrupt (or
raise on) any character outside it, so shared memory is refused with a clear error instead.
"""

from __future__ import annotations

import string
from typing import Any

from gymnasium import spaces
from gymnasium.vector.utils import shared_memory

SAMPLE_CHARSET = string.ascii_letters + string.digits + string.punctuation + " \n"


class UnicodeText(spaces.Text):
    """Any `str` of `min_length..max_length` characters; `sample()` draws printable ASCII."""

    def __init__(self, max_length: int, *, min_length: int = 0, seed: int | None = None) -> None:
        super().__init__(max_length, min_length=min_length, charset=SAMPLE_CHARSET, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length})"

    def __eq__(self, other: object, /) -> bool:
        return (
            isinstance(other, UnicodeText)
            and self.min_length == other.min_length
            and self.max_length == other.max_length
        )

    def __hash__(self) -> int:
        return hash((UnicodeText, self.min_length, self.max_length))


@shared_memory.create_shared_memory.register(UnicodeText)
def _refuse_shared_memory(space: UnicodeText, n: int = 1, ctx: Any = None) -> Any:
    raise TypeError(
        "UnicodeText observations cannot live in AsyncVectorEnv shared memory (it stores text as "
        "charset indices and would corrupt arbitrary Unicode); create it with "
        "AsyncVectorEnv(env_fns, shared_memory=False), or use "
        'gym.make_vec(id, num_envs) (the batched "vector_entry_point" env, the default).'
    )
