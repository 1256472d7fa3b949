"""Scripted agents that need no model, with metrics known in closed form.

One parametrized agent covers the four the tests and the README use:

| spec          | q = P(turn 1 right) | p = P(fix a wrong attempt) | b = P(break a right one) |
|---------------|---------------------|----------------------------|--------------------------|
| `oracle`      | 1                   | -                          | 0                        |
| `wrong`       | 0                   | 0                          | -                        |
| `repeat[:q]`  | q (default 0.5)     | 0                          | 0                        |
| `fix:p[:q]`   | q (default 0)       | p                          | 0                        |

"Right" is the gold answer (or reference program) in the task's answer format, read from
`info["gold"]`, which only scripted agents may do; "wrong" is a response with no answer at all.
An attempt that is neither fixed nor broken repeats the previous response verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

WRONG_RESPONSE = "I don't know."
CODE_TASKS = ("humaneval", "mbpp")


def correct_response(info: Mapping[str, Any]) -> str:
    """The gold in the format the task's verifier reads."""
    gold = info["gold"]
    if info["task"] in CODE_TASKS:
        return f"```python\n{gold}\n```"
    if info["task"] == "math":
        return f"Final Answer: The final answer is $\\boxed{{{gold}}}$. I hope it is correct."
    return f"\\boxed{{{gold}}}"


@dataclass(frozen=True)
class Rates:
    """The three probabilities that define a scripted agent (see the module table)."""

    first_correct: float  # q
    fix: float  # p
    breaks: float = 0.0  # b

    def __post_init__(self) -> None:
        for name in ("first_correct", "fix", "breaks"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"scripted agent rate {name} must be in [0, 1], got {value!r}")

    def expected(self) -> dict[str, float]:
        """Closed-form expected metrics of a 2-turn episode (fractions of all problems)."""
        q, p, b = self.first_correct, self.fix, self.breaks
        i2c, c2i = (1 - q) * p, q * b
        return {
            "acc_t1": q,
            "acc_t2": q - c2i + i2c,
            "delta": i2c - c2i,
            "delta_i2c": i2c,
            "delta_c2i": c2i,
            "change_rate": i2c + c2i,  # the answer changes exactly when it is fixed or broken
        }


class ScriptedAgent:
    """Answers right or wrong by coin flips with the given `Rates`; seeded."""

    def __init__(self, rates: Rates, seed: int = 0) -> None:
        self.rates = rates
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str], infos: Sequence[Mapping[str, Any]]) -> list[str]:
        return [self._respond(info) for info in infos]

    def _respond(self, info: Mapping[str, Any]) -> str:
        right = correct_response(info)
        if info["turn"] == 0:
            return right if self.rng.random() < self.rates.first_correct else WRONG_RESPONSE
        previous = [m["content"] for m in info["messages"] if m["role"] == "assistant"][-1]
        if previous == right:
            return WRONG_RESPONSE if self.rng.random() < self.rates.breaks else previous
        return right if self.rng.random() < self.rates.fix else previous


def parse_rates(spec: str) -> Rates:
    """`oracle`, `wrong`, `repeat[:q]` or `fix:p[:q]` as Rates; ValueError naming a bad spec."""
    name, *args = spec.split(":")
    try:
        values = [float(a) for a in args]
    except ValueError as err:
        raise ValueError(f"bad scripted agent spec {spec!r}: {err}") from err
    if name == "oracle" and not values:
        return Rates(1.0, 1.0)
    if name == "wrong" and not values:
        return Rates(0.0, 0.0)
    if name == "repeat" and len(values) <= 1:
        return Rates(values[0] if values else 0.5, 0.0)
    if name == "fix" and len(values) in (1, 2):
        return Rates(values[1] if len(values) == 2 else 0.0, values[0])
    raise ValueError(
        f"bad scripted agent spec {spec!r}; expected 'oracle', 'wrong', 'repeat[:q]' or 'fix:p[:q]'"
    )


def from_spec(spec: str, seed: int = 0) -> ScriptedAgent:
    """The agent loader registered as kind "scripted" in `agents.specs`."""
    return ScriptedAgent(parse_rates(spec), seed=seed)
