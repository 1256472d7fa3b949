"""`evaluate(agent, env)`: run episodes in batches and report the paper's metrics.

Problems are the split's fixed list (its first `n_problems`, so runs are comparable whatever the
seed), or `n_problems` draws from the seeded stream for procedural train splits. Batches run on
`SelfCorrectVectorEnv`, so each turn of a batch is one verifier batch call.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from rapidfuzz.distance import Levenshtein
from tqdm import tqdm

from score_env.metrics import Metrics, bootstrap_intervals, compute_metrics, count_reasons
from score_env.protocol import Agent
from score_env.vector import SelfCorrectVectorEnv, infos_to_list


@dataclass(frozen=True)
class EpisodeRecord:
    """One evaluated problem: the attempts and their verdicts."""

    problem_id: str
    subject: str | None
    level: int | None
    responses: tuple[str, ...]
    correct: tuple[bool, ...]
    extracted: tuple[str | None, ...]
    reasons: tuple[str, ...] = ()
    """The verdict reason of each attempt (`equal`, `not_equal`, `undecided`, `timeout`, ...)."""

    @property
    def answer_changed(self) -> bool:
        """Final answer differs from the first (the whole response when none was extracted)."""
        first = self.extracted[0] if self.extracted[0] is not None else self.responses[0]
        last = self.extracted[-1] if self.extracted[-1] is not None else self.responses[-1]
        return first != last

    @property
    def edit_ratio(self) -> float:
        return float(Levenshtein.normalized_distance(self.responses[0], self.responses[-1]))


@dataclass(frozen=True)
class EvalResult:
    """Metrics over all problems, their bootstrap 95% intervals, and per-group breakdowns."""

    env_id: str
    overall: Metrics
    intervals: dict[str, tuple[float, float]]
    by_subject: dict[str, Metrics]
    by_level: dict[str, Metrics]
    episodes: tuple[EpisodeRecord, ...]
    reasons: tuple[dict[str, int], ...] = ()
    """Per turn, how many attempts got each verdict reason (`count_reasons`)."""

    def as_dict(self, *, with_episodes: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "env_id": self.env_id,
            "overall": self.overall.as_dict(),
            "intervals_95": {k: list(v) for k, v in self.intervals.items()},
            "by_subject": {k: m.as_dict() for k, m in self.by_subject.items()},
            "by_level": {k: m.as_dict() for k, m in self.by_level.items()},
            "reasons": [dict(r) for r in self.reasons],
        }
        if with_episodes:
            out["episodes"] = [vars(e) for e in self.episodes]
        return out


def evaluate(
    agent: Agent,
    env: str | SelfCorrectVectorEnv,
    *,
    n_problems: int | None = None,
    batch_size: int = 32,
    seed: int = 0,
    problem_ids: Sequence[str] | None = None,
    n_resamples: int = 1000,
    progress: bool = False,
    **env_kwargs: Any,
) -> EvalResult:
    """Evaluate `agent` on `env` (a registered id made with `env_kwargs`, or a batched env).

    `problem_ids` overrides the choice of problems; else the first `n_problems` of the split
    (all when None), or `n_problems` seeded draws for a procedural train split.
    """
    if isinstance(env, str):
        env_id = env
        vec = gym.make_vec(
            env, num_envs=batch_size, vectorization_mode="vector_entry_point", **env_kwargs
        )
    else:
        env_id = env.spec.id if env.spec is not None else type(env).__name__
        vec = env
    base = vec.unwrapped
    if not isinstance(base, SelfCorrectVectorEnv):
        raise TypeError(
            f"evaluate() needs a registered env id or a SelfCorrectVectorEnv, got {type(base).__name__}"
        )
    ids = list(problem_ids) if problem_ids is not None else choose_problems(base, n_problems, seed)
    records: list[EpisodeRecord] = []
    B = base.num_envs
    for start in tqdm(range(0, len(ids), B), desc=f"eval {env_id}", disable=not progress):
        chunk = ids[start : start + B]
        padded = chunk + [chunk[-1]] * (B - len(chunk))  # extra slots are run and discarded
        records.extend(run_batch(agent, vec, padded)[: len(chunk)])
    return summarize(env_id, records, n_resamples=n_resamples, seed=seed)


def choose_problems(vec: SelfCorrectVectorEnv, n_problems: int | None, seed: int) -> list[str]:
    ids = list(vec.task.problem_ids)
    if ids:
        if n_problems is not None and n_problems > len(ids):
            warnings.warn(
                f"asked for {n_problems} problems, but task {vec.task.name!r}'s split holds "
                f"{len(ids)}: evaluating all {len(ids)}",
                stacklevel=2,
            )
        return ids if n_problems is None else ids[:n_problems]
    if n_problems is None:
        raise ValueError(f"task {vec.task.name!r} draws problems procedurally: give n_problems")
    rng = np.random.default_rng(seed)
    return [vec.task.sample(rng).problem_id for _ in range(n_problems)]


def run_batch(agent: Agent, vec: Any, problem_ids: list[str]) -> list[EpisodeRecord]:
    """Play one batch of episodes to the end; all terminate on the same step."""
    observations, infos = vec.reset(options={"problem_ids": problem_ids})
    terminated = np.zeros(len(problem_ids), dtype=bool)
    while not terminated.all():
        responses = agent.act(list(observations), infos_to_list(infos, len(problem_ids)))
        if len(responses) != len(problem_ids):
            raise ValueError(
                f"agent.act returned {len(responses)} responses for {len(problem_ids)} observations"
            )
        observations, _, terminated, _, infos = vec.step(responses)
    return [_record(info) for info in infos_to_list(infos, len(problem_ids))]


def _record(info: dict[str, Any]) -> EpisodeRecord:
    return EpisodeRecord(
        problem_id=info["problem_id"],
        subject=info["subject"],
        level=info["level"],
        responses=tuple(m["content"] for m in info["messages"] if m["role"] == "assistant"),
        correct=tuple(bool(c) for c in info["correct_per_turn"]),
        extracted=tuple(info["extracted_per_turn"]),
        reasons=tuple(info["reason_per_turn"]),
    )


def summarize(
    env_id: str, records: Sequence[EpisodeRecord], *, n_resamples: int = 1000, seed: int = 0
) -> EvalResult:
    """Metrics, bootstrap intervals and subject/level breakdowns of evaluated episodes."""
    arrays = _arrays(records)
    return EvalResult(
        env_id=env_id,
        overall=compute_metrics(*arrays),
        intervals=bootstrap_intervals(*arrays, n_resamples=n_resamples, seed=seed),
        by_subject=_breakdown(records, lambda r: r.subject),
        by_level=_breakdown(records, lambda r: None if r.level is None else str(r.level)),
        episodes=tuple(records),
        reasons=count_reasons([r.reasons for r in records]),
    )


def _arrays(records: Sequence[EpisodeRecord]) -> tuple[np.ndarray, ...]:
    return (
        np.array([r.correct[0] for r in records], dtype=bool),
        np.array([r.correct[-1] for r in records], dtype=bool),
        np.array([r.answer_changed for r in records], dtype=bool),
        np.array([r.edit_ratio for r in records], dtype=np.float64),
    )


def _breakdown(records: Sequence[EpisodeRecord], key: Any) -> dict[str, Metrics]:
    groups: dict[str, list[EpisodeRecord]] = {}
    for r in records:
        k = key(r)
        if k is not None:
            groups.setdefault(k, []).append(r)
    return {k: compute_metrics(*_arrays(g)) for k, g in sorted(groups.items())}
