"""SelfCorrect-MATH-v0: loading in every supported layout, filters, gold, grading."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import score_env
from agents.specs import load_agent
from score_env.tasks.base import MATH_CORRECTION_INSTRUCTION
from score_env.tasks.math import MATH_INSTRUCTION, MathTask, as_level

gym.register_envs(score_env)

RECORDS = [
    {"problem": "What is $1+1$?", "solution": "It is $\\boxed{2}$.", "type": "Algebra", "level": "Level 1"},
    {"problem": "Simplify $\\frac{2}{4}$.", "solution": "$\\boxed{\\frac{1}{2}}$", "type": "Prealgebra", "level": "Level 2"},
    {"problem": "Odd one", "solution": "no box here", "type": "Geometry", "level": "Level ?"},
]  # fmt: skip


def test_per_problem_folders(tmp_path):
    for i, r in enumerate(RECORDS):
        folder = tmp_path / "MATH" / "test" / r["type"].lower()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.json").write_text(json.dumps(r))
    task = MathTask(split="test", data_path=tmp_path / "MATH")
    assert task.problem_ids == (
        "test/algebra/0.json",
        "test/prealgebra/1.json",
    )  # the unboxed one is skipped
    p = task.problem("test/prealgebra/1.json")
    assert (p.gold, p.subject, p.level) == ("\\frac{1}{2}", "Prealgebra", 2)
    assert p.prompt.startswith(MATH_INSTRUCTION) and "Simplify" in p.prompt


def test_jsonl_with_answer_field_and_env_var(tmp_path, monkeypatch):
    path = tmp_path / "m.jsonl"
    rows = [
        dict(RECORDS[0], answer="2", unique_id="a"),
        dict(RECORDS[1], answer="0.5", unique_id="b"),
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    monkeypatch.setenv("SCORE_ENV_MATH_PATH", str(path))
    task = MathTask(split="train", level=2)
    assert task.problem_ids == ("b",) and task.problem("b").gold == "0.5"  # answer wins over \boxed
    monkeypatch.setenv("SCORE_ENV_MATH_PATH", str(tmp_path / "missing.jsonl"))
    with pytest.raises(FileNotFoundError, match="SCORE_ENV_MATH_PATH"):
        MathTask()


def test_bad_data_and_filters(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"question": "x"}\n')
    with pytest.raises(ValueError, match="lacks 'problem'"):
        MathTask(data_path=path)
    path.write_text("not json\n")
    with pytest.raises(ValueError, match="m.jsonl:1"):
        MathTask(data_path=path)
    with pytest.raises(ValueError, match="split"):
        MathTask(split="dev", data_path=path)
    assert as_level("Level 4") == 4 and as_level(3) == 3 and as_level("Level ?") is None


def test_math500_gold_and_filters(shared_data):
    task = MathTask(split="test")
    assert len(task.problem_ids) == 500 and task.problem_ids[0].startswith("test/")
    algebra = MathTask(split="test", subject=["algebra", "Counting & Probability"], level=[1, 2])
    assert {task.problem(i).subject for i in algebra.problem_ids} == {
        "Algebra",
        "Counting & Probability",
    }
    with pytest.raises(ValueError, match="unknown MATH subject"):
        MathTask(split="test", subject="Topology")
    train = MathTask(split="train")
    assert len(train.problem_ids) == 7499  # 7,500 less one solution without a \boxed{}
    assert not set(train.problem_ids) & set(task.problem_ids)


def test_check_env_and_paper_prompts(shared_data):
    env = gym.make("score_env:SelfCorrect-MATH-v0", split="test")
    check_env(env.unwrapped)
    obs, info = env.reset(options={"problem_id": "test/precalculus/807.json"})
    assert (
        info["gold"] == "\\left( 3, \\frac{\\pi}{2} \\right)" and info["subject"] == "Precalculus"
    )
    _, reward, _, _, info = env.step(
        "Final Answer: The final answer is $(3, \\pi/2)$. I hope it is correct."
    )
    assert reward == 1.0 and info["messages"][-1]["content"] == MATH_CORRECTION_INSTRUCTION


def test_oracle_is_right_on_all_of_math500(shared_data):
    """The verifier accepts every gold in the oracle's format: the reward has no false negatives there."""
    result = score_env.evaluate(
        load_agent("scripted:oracle"), "SelfCorrect-MATH-v0", split="test", batch_size=100
    )
    assert result.overall.acc_t1 == 1.0 and result.overall.acc_t2 == 1.0
    assert set(result.by_subject) >= {"Algebra", "Geometry"} and set(result.by_level) == {
        "1",
        "2",
        "3",
        "4",
        "5",
    }


def test_hub_fallback_when_no_local_data(tmp_path, monkeypatch):
    """No data_path, env var or shared file: records come from `datasets.load_dataset`
    (replaced here by a stand-in, since these machines have no hub)."""
    datasets = pytest.importorskip("datasets")
    calls = []

    def load_dataset(name, config=None, split=None):
        calls.append((name, config, split))
        return [
            {
                "problem": f"{config} {split}?",
                "solution": "\\boxed{1}",
                "type": "Algebra",
                "level": "Level 2",
            }
        ]

    monkeypatch.setenv("SCORE_ENV_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SCORE_ENV_MATH_PATH", raising=False)
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    task = MathTask(split="train")
    assert [c[0] for c in calls] == ["EleutherAI/hendrycks_math"] * 7
    assert len(task.problem_ids) == 7 and task.problem(task.problem_ids[0]).level == 2
    MathTask(split="test")
    assert calls[-1] == ("HuggingFaceH4/MATH-500", None, "test")


def test_strict_by_default_and_approximate_on_request(tmp_path):
    path = tmp_path / "m.jsonl"
    row = {"problem": "Area of the unit circle?", "answer": "\\pi", "unique_id": "pi"}
    path.write_text(json.dumps(row))
    rewards = {}
    for approximate in (False, True):
        env = gym.make("SelfCorrect-MATH-v0", data_path=path, approximate=approximate)
        env.reset(options={"problem_id": "pi"})
        _, rewards[approximate], _, _, info = env.step("The final answer is $3.14$.")
        assert info["extracted"] == "3.14"
        env.close()
    assert rewards == {False: 0.0, True: 1.0}
    with pytest.raises(TypeError, match="approximate must be a bool"):
        MathTask(data_path=path, approximate="yes")


def test_grader_audit_adds_the_peer_verdict_to_info_and_never_the_reward(tmp_path):
    pytest.importorskip("math_verify", reason="the audit's peer grader, math-verify")
    path = tmp_path / "m.jsonl"
    rows = [
        {"problem": "Half?", "answer": "\\frac12", "unique_id": "half"},
        {"problem": "Area of the unit circle?", "answer": "\\pi", "unique_id": "pi"},
        {"problem": "Tiny?", "answer": "\\frac{1}{2004!}", "unique_id": "tiny"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    responses = ["So $\\boxed{0.5}$.", "The final answer is $3.14$.", "$\\boxed{\\frac{1}{2006!}}$"]
    results = {}
    for audit in (False, True):
        env = gym.make_vec("SelfCorrect-MATH-v0", num_envs=3, data_path=path, audit=audit,
                           vectorization_mode="vector_entry_point")  # fmt: skip
        env.reset(options={"problem_ids": ["half", "pi", "tiny"]})
        _, rewards, _, _, infos = env.step(responses)
        results[audit] = (list(rewards), score_env.infos_to_list(infos, 3))
        env.close()
    assert results[False][0] == results[True][0] == [1.0, 0.0, 0.0]  # the reward is ours
    assert not any(k.startswith("audit_") for row in results[False][1] for k in row)
    audited = results[True][1]
    assert all(row["audit_peer"] == "math-verify" for row in audited)
    # math-verify's float tolerance calls 1/2006! equal to 1/2004!: the one disagreement.
    assert [row["audit_peer_correct"] for row in audited] == [True, False, True]
    assert [row["audit_agree"] for row in audited] == [True, True, False]
