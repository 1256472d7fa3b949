"""Two-turn rollouts: a `Policy` plays a batch of self-correction episodes in the batched env.

Every method samples its training data through `collect_rollouts`: STaR and Pair-SFT filter the
traces into supervised examples, SCoRe turns them into policy-gradient terms. The result is a typed
`RolloutBatch` holding, for each turn, exactly the token ids the policy conditioned on and sampled
(so log probabilities recomputed later match the sampling distribution), the decoded texts, the
verifier's rewards and correctness, and each episode's transition (i->c, c->i, c->c, i->i).

Group sampling (`samples_per_prompt=k`): the same problem is played k times in adjacent slots
(rows `g*k ... g*k+k-1` share `group[g*k]`), which a leave-one-out baseline needs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from rapidfuzz.distance import Levenshtein

from score_env import SelfCorrectVectorEnv, infos_to_list

if TYPE_CHECKING:  # agents.policy loads torch models; rollouts only call them
    from gymnasium.vector import VectorEnv

    from agents.policy import Policy, SamplingConfig

TRANSITIONS = ("i->c", "c->i", "c->c", "i->i")


@dataclass(frozen=True)
class TurnBatch:
    """One turn of B episodes.

    `prompt_ids[b]` is the full context the response was sampled from (for turn 2: turn-1 prompt,
    turn-1 response, and the correction instruction, token-exact); `response_ids[b]` the sampled
    tokens (end-of-sequence included when the model emitted one); `texts[b]` the decoded response
    the env graded; `peer_correct[b]` the audit's second grader, when the env audits its grader.
    """

    prompt_ids: list[list[int]]
    response_ids: list[list[int]]
    texts: list[str]
    rewards: np.ndarray  # float32 [B]
    correct: np.ndarray  # bool [B]
    peer_correct: np.ndarray | None = None  # bool [B]: never part of the reward
    # log pi(y_t | ...) of the policy being trained, per response token, as its sampler returned
    # them at the sampling temperature; None when the sampler gave none or another model sampled.
    logprobs: list[list[float]] | None = None

    def __post_init__(self) -> None:
        n = len(self.texts)
        sizes = {len(self.prompt_ids), len(self.response_ids), len(self.rewards), len(self.correct)}
        if sizes != {n}:
            raise ValueError(f"TurnBatch fields disagree on the batch size: {sizes | {n}}")

    def select(self, index: Sequence[int]) -> TurnBatch:
        idx = list(index)
        return TurnBatch(
            prompt_ids=[self.prompt_ids[i] for i in idx],
            response_ids=[self.response_ids[i] for i in idx],
            texts=[self.texts[i] for i in idx],
            rewards=self.rewards[idx],
            correct=self.correct[idx],
            peer_correct=None if self.peer_correct is None else self.peer_correct[idx],
            logprobs=None if self.logprobs is None else [self.logprobs[i] for i in idx],
        )


@dataclass(frozen=True)
class RolloutBatch:
    """B two-turn episodes. `turns[0]` is the first attempt, `turns[1]` the self-correction."""

    problem_ids: list[str]
    group: np.ndarray  # int64 [B]: episodes with the same value share a problem (k samples)
    turns: tuple[TurnBatch, ...]
    transitions: list[str]  # "i->c" | "c->i" | "c->c" | "i->i", per episode
    prompts: list[str]  # the turn-1 problem text, for logging
    timings: dict[str, float] = field(default_factory=dict)  # seconds: "generate", "verify"

    def __post_init__(self) -> None:
        bad = sorted(set(self.transitions) - set(TRANSITIONS))
        if bad:
            raise ValueError(f"unknown transition(s) {bad}; expected {TRANSITIONS}")

    def __len__(self) -> int:
        return len(self.problem_ids)

    @property
    def first(self) -> TurnBatch:
        return self.turns[0]

    @property
    def second(self) -> TurnBatch:
        return self.turns[-1]

    def select(self, index: Sequence[int]) -> RolloutBatch:
        """The episodes at `index`, in that order (e.g. the ones a filter keeps)."""
        idx = list(index)
        return RolloutBatch(
            problem_ids=[self.problem_ids[i] for i in idx],
            group=self.group[idx],
            turns=tuple(t.select(idx) for t in self.turns),
            transitions=[self.transitions[i] for i in idx],
            prompts=[self.prompts[i] for i in idx],
            timings=dict(self.timings),
        )

    def n_tokens(self) -> int:
        """Generated tokens over all turns (for tokens/s)."""
        return sum(len(r) for t in self.turns for r in t.response_ids)


def rollout_metrics(batch: RolloutBatch) -> dict[str, float]:
    """The per-step `train/*` statistics of a batch of episodes.

    delta = mean(r2) - mean(r1); delta_i2c / delta_c2i are the fractions of episodes that turned a
    wrong first attempt right / a right one wrong (the paper's Table 1 columns); edit_ratio is the
    mean normalised edit distance between the two attempts (0 = the second copies the first).
    """
    r1, r2 = batch.first.rewards, batch.second.rewards
    n = max(len(batch), 1)
    lengths = [len(r) for t in batch.turns for r in t.response_ids]
    return {
        "train/reward_t1": float(np.mean(r1)) if len(r1) else 0.0,
        "train/reward_t2": float(np.mean(r2)) if len(r2) else 0.0,
        "train/delta": float(np.mean(r2) - np.mean(r1)) if len(r1) else 0.0,
        "train/delta_i2c": batch.transitions.count("i->c") / n,
        "train/delta_c2i": batch.transitions.count("c->i") / n,
        "train/response_len": float(np.mean(lengths)) if lengths else 0.0,
        "train/edit_ratio": float(
            np.mean(
                [
                    edit_ratio(a, b)
                    for a, b in zip(batch.first.texts, batch.second.texts, strict=True)
                ]
            )
        )
        if len(batch)
        else 0.0,
    }


def edit_ratio(a: str, b: str) -> float:
    """Levenshtein distance between the attempts over the longer length (0 = identical).

    >>> edit_ratio("12+3", "12+3"), edit_ratio("ab", "xy")
    (0.0, 1.0)
    """
    return float(Levenshtein.normalized_distance(a, b))


class Stopwatch:
    """Accumulates wall-clock seconds per phase: `with watch("generate"): ...`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._phase = ""
        self._start = 0.0

    def __call__(self, phase: str) -> Stopwatch:
        self._phase = phase
        return self

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self._start
        self.seconds[self._phase] = self.seconds.get(self._phase, 0.0) + elapsed


def self_correct_env(env: VectorEnv) -> SelfCorrectVectorEnv:
    """The batched SelfCorrect env under `env`'s wrappers; TypeError naming what it is otherwise."""
    base = env.unwrapped
    if not isinstance(base, SelfCorrectVectorEnv):
        raise TypeError(
            f"the training env is {type(base).__name__}, expected a SelfCorrectVectorEnv "
            "(gym.make_vec(id, vectorization_mode='vector_entry_point'))"
        )
    return base


def collect_rollouts(
    policy: Policy,
    env: VectorEnv,
    sampling: SamplingConfig,
    seed: int,
    *,
    problems: Sequence[str] | None = None,
    samples_per_prompt: int = 1,
    first_turn_sampler: Policy | None = None,
) -> RolloutBatch:
    """Play one batch of two-turn episodes (`env.num_envs` of them) with `policy`.

    `env` is a batched SelfCorrect env (`gym.make_vec(id, num_envs=B,
    vectorization_mode="vector_entry_point")`); `sampling` an `agents.policy.SamplingConfig`.
    `problems` are B/k problem ids (drawn from the env's task with `seed` when None); each is
    played `samples_per_prompt` = k times in adjacent rows. `seed` also fixes the sampling, so a
    step replays identically after a resume. `first_turn_sampler` (e.g. a base-model policy)
    samples turn 1 instead of `policy`; turn 2 is always the policy's.
    """
    base = self_correct_env(env)
    n, k = base.num_envs, samples_per_prompt
    if k < 1 or n % k:
        raise ValueError(f"samples_per_prompt={k} must be >= 1 and divide num_envs={n}")
    if problems is None:
        problems = draw_problems(base.task, seed, n // k)
    if len(problems) != n // k:
        raise ValueError(
            f"got {len(problems)} problems for num_envs={n} with "
            f"samples_per_prompt={k}: expected {n // k}"
        )
    ids = [pid for pid in problems for _ in range(k)]
    watch = Stopwatch()
    _, infos = env.reset(seed=seed, options={"problem_ids": ids})
    info_rows = infos_to_list(infos, n)
    prompts = [row["messages"][0]["content"] for row in info_rows]
    prompt_ids = policy.first_prompt_ids([row["messages"] for row in info_rows])
    turns: list[TurnBatch] = []
    for turn in range(2):
        if turn > 0:
            prev = turns[-1]
            prompt_ids = policy.next_prompt_ids(
                prev.prompt_ids, prev.response_ids, [row["messages"] for row in info_rows]
            )
        sampler = first_turn_sampler if (turn == 0 and first_turn_sampler) else policy
        with watch("generate"):
            samples = sampler.sample(prompt_ids, sampling, seed=seed + turn)
        with watch("verify"):
            _, rewards, terminated, _, infos = env.step(list(samples.texts))
        info_rows = infos_to_list(infos, n)
        turns.append(
            TurnBatch(
                prompt_ids=[list(p) for p in prompt_ids],
                response_ids=[list(r) for r in samples.response_ids],
                texts=list(samples.texts),
                rewards=np.asarray(rewards, dtype=np.float32),
                correct=np.array([bool(row["correct"]) for row in info_rows]),
                peer_correct=np.array([bool(row["audit_peer_correct"]) for row in info_rows])
                if "audit_peer_correct" in info_rows[0]
                else None,
                logprobs=getattr(samples, "logprobs", None) if sampler is policy else None,
            )
        )
    if not bool(np.all(terminated)):
        raise RuntimeError(
            f"{base.spec.id if base.spec else base!r} did not end after two turns: "
            "rollouts need a two-turn (max_turns=2) env"
        )
    return RolloutBatch(
        problem_ids=ids,
        group=np.repeat(np.arange(n // k), k),
        turns=tuple(turns),
        transitions=[str(row["transition"]) for row in info_rows],
        prompts=prompts,
        timings=dict(watch.seconds),
    )


def draw_problems(task: Any, seed: int | Sequence[int], n: int) -> list[str]:
    """`n` problem ids from `task`'s seeded stream (its train split)."""
    rng = np.random.default_rng(seed)
    return [task.sample(rng).problem_id for _ in range(n)]


def concat(batches: Sequence[RolloutBatch]) -> RolloutBatch:
    """One batch from several (group ids stay distinct; timings add up)."""
    if not batches:
        raise ValueError("concat of no rollout batches")
    offsets = np.cumsum([0] + [int(b.group.max()) + 1 if len(b) else 0 for b in batches[:-1]])
    timings: dict[str, float] = {}
    for b in batches:
        for key, value in b.timings.items():
            timings[key] = timings.get(key, 0.0) + value
    turns = tuple(
        TurnBatch(
            prompt_ids=[p for b in batches for p in b.turns[t].prompt_ids],
            response_ids=[r for b in batches for r in b.turns[t].response_ids],
            texts=[x for b in batches for x in b.turns[t].texts],
            rewards=np.concatenate([b.turns[t].rewards for b in batches]),
            correct=np.concatenate([b.turns[t].correct for b in batches]),
            peer_correct=_concat_optional([b.turns[t].peer_correct for b in batches]),
            logprobs=_concat_logprobs([b.turns[t] for b in batches]),
        )
        for t in range(len(batches[0].turns))
    )
    return RolloutBatch(
        problem_ids=[p for b in batches for p in b.problem_ids],
        group=np.concatenate([b.group + off for b, off in zip(batches, offsets, strict=True)]),
        turns=turns,
        transitions=[x for b in batches for x in b.transitions],
        prompts=[x for b in batches for x in b.prompts],
        timings=timings,
    )


def _concat_optional(parts: Sequence[np.ndarray | None]) -> np.ndarray | None:
    known = [p for p in parts if p is not None]
    return np.concatenate(known) if known and len(known) == len(parts) else None


def _concat_logprobs(turns: Sequence[TurnBatch]) -> list[list[float]] | None:
    if any(t.logprobs is None for t in turns):
        return None
    return [row for t in turns for row in t.logprobs or []]


@torch.no_grad()
def policy_diagnostics(policy: Policy, batch: RolloutBatch, chunk: int = 64) -> dict[str, float]:
    """`train/kl_t1`, `train/kl_t2` (per-sequence KL to the frozen reference: the per-token k3
    estimate summed over the response, averaged over episodes) and `train/entropy` (mean
    per-token entropy), for methods whose loss does not compute them (STaR, Pair-SFT)."""
    from agents.policy import kl_per_sequence, masked_mean

    out: dict[str, float] = {}
    entropies: list[float] = []
    for t, turn in enumerate(batch.turns, 1):
        kls: list[float] = []
        for start in range(0, len(batch), chunk):
            prompts = turn.prompt_ids[start : start + chunk]
            responses = turn.response_ids[start : start + chunk]
            if not any(responses):
                continue
            scored = policy.score(prompts, responses)
            ref = policy.reference_logprobs(prompts, responses)
            kl = kl_per_sequence(scored.logprobs, ref.logprobs, scored.mask)
            kls += kl.tolist()
            entropies.append(float(masked_mean(scored.entropy, scored.mask)))
        out[f"train/kl_t{t}"] = float(np.mean(kls)) if kls else 0.0
    out["train/entropy"] = float(np.mean(entropies)) if entropies else 0.0
    return out
