"""Token vocabulary and the fixed-size numeric observation of the token-level self-correction MDP.

Everything here is a pure function of the conversation the text env shows (`info["messages"]`),
so the wrapper (`score_env.token_mdp.wrapper`) and any policy that replays a conversation
(`agents.sb3_ppo.TokenPolicyAgent`) build bit-identical observations.

Vocabulary (observation ids; id 0 pads, id 1 stands for any character outside the vocabulary):

    <pad> <unk> <eot> 0-9 + - * = ; ( ) \\boxed{ } Q :

An action is an index into an *action vocabulary*, a subset of these tokens that ends with
`<eot>`: the full solution form (digits, operators, `=`, `;`, brackets, `\\boxed{`, `}`) or the
answer form (digits only: the wrapper submits `\\boxed{<digits>}`).

Observation layout, `L = 1 + P + (max_turns - 1) * R + C` ids:

    [turn] [prompt: P ids] [attempt 1: R ids] ... [current turn so far: C ids]

`turn` counts the finished attempts (0..max_turns). The self-correction instruction is the same
after every attempt, so `turn` carries all of its information; it is never spelled out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

PAD, UNK, EOT = "<pad>", "<unk>", "<eot>"
DIGITS = tuple("0123456789")
BOXED_OPEN, BOXED_CLOSE = "\\boxed{", "}"
VOCAB: tuple[str, ...] = (
    (PAD, UNK, EOT)
    + DIGITS
    + ("+", "-", "*", "=", ";", "(", ")", BOXED_OPEN, BOXED_CLOSE, "Q", ":")
)
TOKEN_ID: dict[str, int] = {token: i for i, token in enumerate(VOCAB)}
_MULTI_CHAR = sorted((t for t in VOCAB[3:] if len(t) > 1), key=len, reverse=True)

ActionForm = Literal["solution", "answer"]
ACTION_TOKENS: dict[ActionForm, tuple[str, ...]] = {
    # the Arith solution format, e.g. `48*2=96;37+96=133;\boxed{133}`, then end of turn
    "solution": DIGITS + ("+", "-", "*", "=", ";", "(", ")", BOXED_OPEN, BOXED_CLOSE, EOT),
    # just the answer's digits; the response is `\boxed{<digits>}`
    "answer": DIGITS + (EOT,),
}


def encode(text: str) -> list[int]:
    """Vocabulary ids of `text`, longest token first; any other character becomes `<unk>`.

    >>> [VOCAB[i] for i in encode("Q:3+4 \\\\boxed{7}")]
    ['Q', ':', '3', '+', '4', '<unk>', '\\\\boxed{', '7', '}']
    """
    ids: list[int] = []
    i = 0
    while i < len(text):
        token = next((t for t in _MULTI_CHAR if text.startswith(t, i)), text[i])
        ids.append(TOKEN_ID.get(token, TOKEN_ID[UNK]))
        i += len(token)
    return ids


def decode(tokens: Sequence[str]) -> str:
    """The response text of a turn's tokens (`<eot>` ends a turn and is not part of it)."""
    return "".join(t for t in tokens if t != EOT)


def turn_over(tokens: Sequence[str], max_turn_tokens: int) -> bool:
    """A turn ends at `<eot>` or when it reaches its length cap (`<eot>` counts)."""
    return bool(tokens) and (tokens[-1] == EOT or len(tokens) >= max_turn_tokens)


def response_text(tokens: Sequence[str], form: ActionForm) -> str:
    """What the wrapper submits to the text env for one turn's tokens.

    >>> response_text(["1", "3"], "answer"), response_text(["7", "=", "7"], "solution")
    ('\\\\boxed{13}', '7=7')
    """
    body = decode(tokens)
    return f"{BOXED_OPEN}{body}{BOXED_CLOSE}" if form == "answer" else body


@dataclass(frozen=True)
class ObservationLayout:
    """Window sizes of the observation vector; see the module docstring.

    Attributes:
        max_turns: attempts per episode (the text env's `max_turns`).
        prompt_ids: P, the prompt window; a longer prompt is an error (it would be cut silently).
        response_ids: R, the window of each earlier attempt as the conversation shows it.
        turn_ids: C, the current turn's window: the length cap of a turn in actions.
    """

    max_turns: int
    prompt_ids: int
    response_ids: int
    turn_ids: int

    def __post_init__(self) -> None:
        for name in ("max_turns", "prompt_ids", "response_ids", "turn_ids"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"ObservationLayout.{name} must be an int >= 1, got {value!r}")

    @property
    def size(self) -> int:
        return 1 + self.prompt_ids + (self.max_turns - 1) * self.response_ids + self.turn_ids

    def nvec(self) -> NDArray[np.int64]:
        """Per-position cardinalities for `spaces.MultiDiscrete` (turn, then vocabulary ids)."""
        nvec = np.full(self.size, len(VOCAB), dtype=np.int64)
        nvec[0] = self.max_turns + 1
        return nvec


def build_observation(
    layout: ObservationLayout, messages: Sequence[Mapping[str, str]], turn_tokens: Sequence[str]
) -> NDArray[np.int64]:
    """The observation of a conversation (`info["messages"]`) plus the current turn's tokens.

    Raises ValueError when a prompt, earlier response or turn does not fit its window: the
    layout is derived from the env's own limits, so that is a configuration bug, not bad input.
    """
    prompt = messages[0]["content"]
    attempts = [m["content"] for m in messages if m["role"] == "assistant"]
    obs = np.zeros(layout.size, dtype=np.int64)
    obs[0] = len(attempts)
    at = 1
    at = _put(obs, at, layout.prompt_ids, encode(prompt), "prompt", prompt)
    for k in range(layout.max_turns - 1):
        text = attempts[k] if k < len(attempts) else ""
        at = _put(obs, at, layout.response_ids, encode(text), f"attempt {k + 1}", text)
    current = [TOKEN_ID[t] for t in turn_tokens]
    _put(obs, at, layout.turn_ids, current, "current turn", decode(turn_tokens))
    return obs


def _put(obs: NDArray[np.int64], at: int, width: int, ids: list[int], what: str, text: str) -> int:
    if len(ids) > width:
        raise ValueError(
            f"the {what} {text[:60]!r} is {len(ids)} tokens, more than its observation window "
            f"of {width}; enlarge the window in TokenMDPConfig"
        )
    obs[at : at + len(ids)] = ids
    return at + width
