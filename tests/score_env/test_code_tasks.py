"""SelfCorrect-HumanEval-v0 and SelfCorrect-MBPP-v0: problems, prompts, and sandboxed grading."""

from __future__ import annotations

import json

import pytest

import score_env
from agents.specs import load_agent
from score_env.data import shared_data_dir
from score_env.tasks.base import CODE_CORRECTION_INSTRUCTION
from score_env.tasks.humaneval import HumanEvalTask
from score_env.tasks.mbpp import MBPPTask


@pytest.fixture(scope="module")
def mbpp_dir():
    if not (shared_data_dir() / "mbpp.jsonl").is_file():
        pytest.skip(f"MBPP not found in {shared_data_dir()} (../shared/data beside the repository)")
    return shared_data_dir()


def test_humaneval_problems():
    task = HumanEvalTask()
    assert len(task.problem_ids) == 164 and task.problem_ids[0] == "HumanEval/0"
    p = task.problem("HumanEval/0")
    assert "def has_close_elements" in p.prompt and p.gold.startswith(p.record["prompt"])
    assert task.correction_instruction == CODE_CORRECTION_INSTRUCTION
    with pytest.raises(ValueError, match="only the split 'test'"):
        HumanEvalTask(split="train")


@pytest.mark.parametrize(
    "variant, sizes",
    [("full", {"test": 500, "train": 374, "validation": 90, "prompt": 10}),
     ("sanitized", {"test": 257, "train": 120, "validation": 43, "prompt": 7})],
)  # fmt: skip
def test_mbpp_splits(mbpp_dir, variant, sizes):
    for split, n in sizes.items():
        assert len(MBPPTask(split=split, variant=variant).problem_ids) == n


def test_mbpp_json_array_and_few_shot(mbpp_dir):
    task = MBPPTask(split="test", variant="sanitized", data_path=mbpp_dir / "mbpp_sanitized.json")
    assert len(task.problem_ids) == 257
    shot = MBPPTask(split="test", few_shot=True).problem("mbpp/11")
    assert shot.prompt.count("[BEGIN]") == 3 and shot.prompt.count("[DONE]") == 3
    assert shot.prompt.rstrip().endswith('assert remove_Occ("PHP","P") == "H"')
    assert "def remove_Occ" not in shot.prompt and "\r" not in shot.prompt


def test_mbpp_bad_input(tmp_path):
    bad = tmp_path / "m.jsonl"
    bad.write_text(json.dumps({"task_id": 11, "text": "x"}) + "\n")
    with pytest.raises(ValueError, match="lacks one of"):
        MBPPTask(split="test", data_path=bad)
    with pytest.raises(ValueError, match="variant"):
        MBPPTask(variant="tiny", data_path=bad)
    good = tmp_path / "g.jsonl"
    good.write_text(
        json.dumps({"task_id": 700, "text": "x", "code": "", "test_list": ["assert 1"]}) + "\n"
    )
    with pytest.raises(ValueError, match="11-510"):
        MBPPTask(split="test", data_path=good)


def test_humaneval_oracle_passes_and_wrong_fails():
    ids = [f"HumanEval/{i}" for i in range(0, 164, 16)]
    for spec, expected in (("oracle", 1.0), ("wrong", 0.0)):
        result = score_env.evaluate(
            load_agent(f"scripted:{spec}"),
            "SelfCorrect-HumanEval-v0",
            problem_ids=ids,
            batch_size=len(ids),
        )
        assert (result.overall.acc_t1, result.overall.acc_t2) == (expected, expected), spec


def test_mbpp_oracle_and_feedback(mbpp_dir):
    ids = [f"mbpp/{i}" for i in range(11, 31)]
    result = score_env.evaluate(
        load_agent("scripted:oracle"),
        "SelfCorrect-MBPP-v0",
        split="test",
        problem_ids=ids,
        batch_size=10,
    )
    assert result.overall.acc_t2 == 1.0
    env = score_env.SelfCorrectEnv("mbpp", split="test", feedback=True)
    env.reset(options={"problem_id": "mbpp/11"})
    _, reward, _, _, info = env.step("```python\ndef remove_Occ(s, ch):\n    return s\n```")
    assert reward == 0.0 and info["extracted"] == "def remove_Occ(s, ch):\n    return s\n"
    note = info["messages"][-1]["content"]
    assert "remove_Occ(" in note and note.endswith(CODE_CORRECTION_INSTRUCTION)
