"""Batched env vs one episode at a time: seconds to play the same two-turn episodes.

The batched env (`gym.make_vec(id, num_envs=B)`) grades all B responses of a step in one call to
the verifier's batch API; gymnasium's SyncVectorEnv (played here as a loop over
single envs) grades them one episode at a time. Both get the same
problems and the same responses; the ratio is what batching buys on this machine.

    python benchmarks/batched_env.py [--env SelfCorrect-MATH-v0] [--n 200] [--batch 50]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym

import score_env
from agents.scripted import correct_response

gym.register_envs(score_env)


def responses_for(infos: list[dict], variant: str) -> list[str]:
    """'gold': the gold as the oracle writes it; 'rewritten': the gold plus zero, which an
    answer-equivalence checker cannot settle by string comparison."""
    if variant == "gold":
        return [correct_response(i) for i in infos]
    return [f"The final answer is $\\boxed{{{i['gold']} + 0}}$." for i in infos]


def play_batched(env_id: str, ids: list[str], batch: int, variant: str, split: str) -> float:
    vec = gym.make_vec(env_id, num_envs=batch, split=split)
    start = time.perf_counter()
    for k in range(0, len(ids), batch):
        _, infos = vec.reset(options={"problem_ids": ids[k : k + batch]})
        per = score_env.infos_to_list(infos, batch)
        for _ in range(2):
            vec.step(responses_for(per, variant))
    return time.perf_counter() - start


def play_sync(env_id: str, ids: list[str], batch: int, variant: str, split: str) -> float:
    envs = [gym.make(env_id, split=split).unwrapped for _ in range(batch)]
    start = time.perf_counter()
    for k in range(0, len(ids), batch):
        infos = [
            env.reset(options={"problem_id": pid})[1]
            for env, pid in zip(envs, ids[k : k + batch], strict=True)
        ]
        for _ in range(2):
            for env, response in zip(envs, responses_for(infos, variant), strict=True):
                env.step(response)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="SelfCorrect-MATH-v0")
    parser.add_argument("--split", default="test")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    n = args.n - args.n % args.batch
    task = gym.make(args.env, split=args.split).unwrapped.task  # type: ignore[attr-defined]
    ids = list(task.problem_ids[:n])
    for variant in ("gold", "rewritten"):
        play_batched(args.env, ids[: args.batch], args.batch, variant, args.split)  # warm-up
        batched = play_batched(args.env, ids, args.batch, variant, args.split)
        sync = play_sync(args.env, ids, args.batch, variant, args.split)
        print(
            f"{args.env} {variant:>9}: {n} episodes x 2 turns, batch {args.batch}: "
            f"batched {batched:.2f}s, one episode at a time {sync:.2f}s, "
            f"ratio {sync / batched:.2f}x"
        )


if __name__ == "__main__":
    main()
