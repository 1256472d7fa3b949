"""The Countdown task: solvable problems, a fixed held-out split that train never draws, the
two-turn contract, and difficulty keyword arguments."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import score_env
from agents.scripted import from_spec
from score_env.tasks.countdown import (
    CountdownTask,
    Settings,
    held_out,
    parse_problem_id,
    solutions,
)
from verifiers.countdown import evaluate, numbers_used

gym.register_envs(score_env)


def test_every_held_out_problem_is_solvable_and_the_gold_solves_it():
    task = CountdownTask(split="test")
    assert len(task.problem_ids) == 1000 == len(set(task.problem_ids))
    for pid in task.problem_ids:
        p = task.problem(pid)
        numbers, target = p.extra["numbers"], p.extra["target"]
        assert p.prompt == f"Q:{pid}" and len(p.prompt) <= task.max_prompt_chars
        assert evaluate(p.gold) == target and sorted(numbers_used(p.gold)) == sorted(numbers)
        assert 10 <= target <= 99 and all(1 <= n <= 19 for n in numbers)


def test_train_never_draws_a_test_puzzle_in_any_order():
    held = {p.key for p in held_out(Settings())}
    train = CountdownTask()
    rng = np.random.default_rng(0)
    for _ in range(3000):
        p = parse_problem_id(train.sample(rng).problem_id)
        assert p.key not in held


def test_the_test_split_is_one_stream_whatever_its_size():
    small = CountdownTask(split="test", test_size=10).problem_ids
    assert small == CountdownTask(split="test").problem_ids[:10]


def test_env_contract_and_info_keys():
    env = gym.make("SelfCorrect-Countdown-v0", split="test")
    obs, info = env.reset(options={"problem_id": "5,4,16>15"})
    assert obs == "Q:5,4,16>15\n" and info["numbers"] == (5, 4, 16) and info["target"] == 15
    attempt = "(5*4)-16:5*4=20;20-16=4;\\boxed{(5*4)-16}"
    obs, reward, terminated, _, info = env.step(attempt)
    assert reward == 0.0 and not terminated and info["reason"] == "not_equal"
    # Turn 2 shows only the attempt and the fixed instruction: nothing says it was wrong.
    assert obs == f"Q:5,4,16>15\n{attempt}\nFix any mistake.\n"
    assert [m["role"] for m in info["messages"]] == ["user", "assistant", "user"]
    _, reward, terminated, _, info = env.step("(4+16)-5:4+16=20;20-5=15;\\boxed{(4+16)-5}")
    assert reward == 1.0 and terminated and info["transition"] == "i->c"


def test_malformed_actions_never_crash_the_env():
    env = gym.make("SelfCorrect-Countdown-v0")
    env.reset(seed=0)
    for action in ["", "\\boxed{", "\\boxed{1/0}", "\\boxed{" + "(" * 5000 + "}", "x" * 10_000]:
        _, reward, _, _, info = env.step(action)
        assert reward == 0.0 and isinstance(info["reason"], str)
        env.reset(seed=1)


def test_oracle_scores_full_marks_at_both_turns():
    result = score_env.evaluate(from_spec("oracle"), "SelfCorrect-Countdown-v0", split="test")
    assert result.overall.acc_t1 == 1.0 == result.overall.acc_t2 and len(result.episodes) == 1000


def test_difficulty_keyword_arguments():
    task = CountdownTask(
        split="test",
        n_numbers=4,
        number_range=[1, 9],
        target_range=[20, 50],
        operators="+-*/",
        test_size=50,
    )
    for pid in task.problem_ids:
        p = task.problem(pid)
        assert len(p.extra["numbers"]) == 4 and 20 <= p.extra["target"] <= 50
        assert evaluate(p.gold) == p.extra["target"]
    assert any("/" in c.expression for c in solutions((8, 2, 3, 1), 13, "+-*/", 99))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_numbers": 1},
        {"number_range": [5, 1]},
        {"target_range": "10-99"},
        {"operators": "+^"},
        {"operators": "++"},
        {"split": "validation"},
    ],
)
def test_bad_difficulty_is_refused_by_name(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        CountdownTask(**kwargs)


def test_settings_too_narrow_for_the_test_size_say_so():
    with pytest.raises(ValueError, match="test_size"):
        held_out(Settings(number_range=(1, 3), target_range=(10, 12), test_size=100))
    with pytest.raises(ValueError, match="target_range"):  # no expression reaches it at all
        held_out(Settings(number_range=(1, 2), target_range=(10, 12), test_size=100))


def test_malformed_problem_id_names_it():
    with pytest.raises(KeyError, match="1,2,x>3"):
        CountdownTask().problem("1,2,x>3")
