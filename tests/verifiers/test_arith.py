"""The Arith grader on hostile model text: it returns a typed verdict, never raises."""

from __future__ import annotations

import gymnasium as gym
import pytest

import score_env
from verifiers.arith import MAX_DIGITS, grade


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("9" * 5000, "too_long"),  # int() would raise: "Exceeds the limit (4300 digits)"
        ("-" + "1" * (MAX_DIGITS + 1), "too_long"),
        ("0" * 5000 + "133", "equal"),  # leading zeros are not digits of the value
        ("1" * MAX_DIGITS, "not_equal"),
        ("+133", "equal"),
        ("1e3", "parse_error"),
    ],
)
def test_hostile_digits_get_a_typed_reason(answer: str, reason: str) -> None:
    verdict = grade(f"\\boxed{{{answer}}}", "133")
    assert verdict.reason == reason
    assert verdict.correct is (reason == "equal")


def test_a_5000_digit_answer_does_not_abort_a_batched_step() -> None:
    gym.register_envs(score_env)
    env = gym.make_vec(
        "SelfCorrect-Arith-v0",
        num_envs=2,
        vectorization_mode="vector_entry_point",
        max_response_chars=6000,
    )
    env.reset(seed=0)
    _, rewards, _, _, infos = env.step(["\\boxed{" + "7" * 5000 + "}", "\\boxed{0}"])
    assert list(rewards) == [0.0, 0.0]
    assert infos["reason"][0] == "too_long"
