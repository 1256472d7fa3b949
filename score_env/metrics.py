"""The paper's self-correction metrics (SCoRe, Kumar et al. 2024, Section 3 and Table 1).

Per problem i with first/final attempt correctness c1_i, c2_i in {0, 1}, over N problems:

    Accuracy@t1 = Σ c1_i / N          Accuracy@t2 = Σ c2_i / N
    Δ(t1, t2)   = Accuracy@t2 - Accuracy@t1
    Δ i→c       = Σ (1 - c1_i) c2_i / N   (fixed)     Δ c→i = Σ c1_i (1 - c2_i) / N   (broken)

All fractions of the N problems, so Δ(t1,t2) = Δi→c - Δc→i exactly (as integer counts
n_c2 - n_c1 = n_i→c - n_c→i). Besides: the share of problems whose final answer changed and the
mean normalized Levenshtein distance between the attempts (0 = identical, 1 = nothing shared),
and how often each verdict reason occurred per turn (`undecided` and `timeout` are scored 0 like
`not_equal`; counting them shows how much of an accuracy is the verifier's, not the model's).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

METRIC_NAMES = ("acc_t1", "acc_t2", "delta", "delta_i2c", "delta_c2i", "change_rate", "edit_ratio")


@dataclass(frozen=True)
class Metrics:
    """The metrics of one set of problems, plus the transition counts they come from."""

    n: int
    acc_t1: float
    acc_t2: float
    delta: float  # Δ(t1, t2)
    delta_i2c: float  # Δ i→c
    delta_c2i: float  # Δ c→i
    change_rate: float
    edit_ratio: float
    n_i2c: int
    n_c2i: int
    n_c2c: int
    n_i2i: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def compute_metrics(
    c1: NDArray[np.bool_],
    c2: NDArray[np.bool_],
    changed: NDArray[np.bool_],
    edit: NDArray[np.float64],
) -> Metrics:
    """Metrics of N problems from per-problem arrays of shape (N,)."""
    n = len(c1)
    if n == 0:
        raise ValueError("cannot compute metrics of zero problems")
    n_i2c = int(np.sum(~c1 & c2))
    n_c2i = int(np.sum(c1 & ~c2))
    return Metrics(
        n=n,
        acc_t1=float(np.mean(c1)),
        acc_t2=float(np.mean(c2)),
        delta=(n_i2c - n_c2i) / n,  # = (n_c2 - n_c1) / N, computed from the counts to be exact
        delta_i2c=n_i2c / n,
        delta_c2i=n_c2i / n,
        change_rate=float(np.mean(changed)),
        edit_ratio=float(np.mean(edit)),
        n_i2c=n_i2c,
        n_c2i=n_c2i,
        n_c2c=int(np.sum(c1 & c2)),
        n_i2i=int(np.sum(~c1 & ~c2)),
    )


def bootstrap_intervals(
    c1: NDArray[np.bool_],
    c2: NDArray[np.bool_],
    changed: NDArray[np.bool_],
    edit: NDArray[np.float64],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals over problems for every metric in METRIC_NAMES."""
    n = len(c1)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_resamples, n))  # (R, N) resampled problem indices
    a1, a2 = c1[idx].mean(axis=1), c2[idx].mean(axis=1)
    i2c = (~c1 & c2)[idx].mean(axis=1)
    c2i = (c1 & ~c2)[idx].mean(axis=1)
    samples = {
        "acc_t1": a1,
        "acc_t2": a2,
        "delta": i2c - c2i,
        "delta_i2c": i2c,
        "delta_c2i": c2i,
        "change_rate": changed[idx].mean(axis=1),
        "edit_ratio": edit[idx].mean(axis=1),
    }
    tail = (1 - level) / 2 * 100
    return {
        name: (float(np.percentile(s, tail)), float(np.percentile(s, 100 - tail)))
        for name, s in samples.items()
    }


def count_reasons(reasons_per_episode: Sequence[Sequence[str]]) -> tuple[dict[str, int], ...]:
    """Per turn, the number of attempts with each verdict reason, most frequent first.

    >>> count_reasons([("not_equal", "equal"), ("undecided", "equal")])
    ({'not_equal': 1, 'undecided': 1}, {'equal': 2})
    """
    turns = max((len(r) for r in reasons_per_episode), default=0)
    return tuple(
        dict(Counter(r[t] for r in reasons_per_episode if len(r) > t).most_common())
        for t in range(turns)
    )
