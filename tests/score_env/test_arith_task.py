"""The Arith task's splits and ids."""

from __future__ import annotations

import numpy as np

from score_env.tasks.arith import TEST_PER_LEVEL, ArithTask, held_out, problem_from_id


def test_test_split_is_fixed_balanced_and_disjoint_from_train():
    test = ArithTask(split="test")
    assert len(test.problem_ids) == 4 * TEST_PER_LEVEL == len(set(test.problem_ids))
    assert [pid[:2] for pid in test.problem_ids[:8]] == ["L1", "L2", "L3", "L4"] * 2
    assert ArithTask(level=[2], split="test").problem_ids[:3] == tuple(
        f"L2/{p.expression}" for p in held_out(2)[:3]
    )
    held = {pid.split("/", 1)[1] for pid in test.problem_ids}
    train = ArithTask(level=1)  # level 1 has the smallest space, so collisions are likeliest
    rng = np.random.default_rng(0)
    drawn = {train.sample(rng).prompt[2:] for _ in range(3000)}
    assert not drawn & held


def test_ids_round_trip_and_prompts_are_compact():
    task = ArithTask(split="test")
    for pid in task.problem_ids[:50]:
        p = task.problem(pid)
        assert p.problem_id == pid and p.prompt == "Q:" + pid.split("/", 1)[1]
        assert len(p.prompt) <= task.max_prompt_chars
        assert str(problem_from_id(pid).answer) == p.gold
