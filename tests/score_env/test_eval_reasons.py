"""Evaluation counts every verdict reason per turn, and says so when asked for more problems
than the split holds."""

from __future__ import annotations

from typing import Any

import pytest

from score_env.evaluation import evaluate
from score_env.tasks import make_task


class _Answers:
    """Turn 1: an unparseable answer in even slots of a batch, none in odd ones; turn 2: a
    non-integer."""

    def act(self, observations: list[str], infos: list[dict[str, Any]]) -> list[str]:
        turn = infos[0]["turn"]
        if turn == 0:
            return ["\\boxed{x}" if i % 2 == 0 else "no box" for i in range(len(observations))]
        return ["\\boxed{1.5}"] * len(observations)


def test_reasons_are_counted_per_turn() -> None:
    result = evaluate(
        _Answers(), "SelfCorrect-Arith-v0", n_problems=6, batch_size=3, n_resamples=10
    )
    # batches of 3: slots 0 and 2 of each answer unparseably, slot 1 marks nothing
    assert result.reasons == ({"parse_error": 4, "no_answer": 2}, {"parse_error": 6})
    assert result.as_dict(with_episodes=False)["reasons"] == [dict(r) for r in result.reasons]
    assert result.episodes[1].reasons == ("no_answer", "parse_error")


def test_asking_for_more_problems_than_the_split_holds_warns_what_was_used() -> None:
    held = len(make_task("arith", split="test", level=1).problem_ids)
    with pytest.warns(UserWarning, match=rf"asked for {held + 5} problems.*evaluating all {held}"):
        result = evaluate(
            _Answers(),
            "SelfCorrect-Arith-v0",
            n_problems=held + 5,
            batch_size=50,
            n_resamples=10,
            split="test",
            level=1,
        )
    assert result.overall.n == held
