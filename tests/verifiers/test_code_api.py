"""The public API: check / check_many, name resolution between test and program, bad input."""

from __future__ import annotations

import pytest

from verifiers.code import CodeTask, ExecResult, JudgePool, check, check_many, mbpp_task

SQUARE = "def f(x):\n    return x * x\n"
SQUARE_TEST = "def check(candidate):\n    assert candidate(3) == 9\n"


@pytest.fixture(scope="module")
def pool():
    with JudgePool(1) as p:
        yield p


def test_check_and_check_many_return_verdicts_in_order():
    result = check(SQUARE, SQUARE_TEST, "f")
    assert isinstance(result, ExecResult) and result.passed and result.status == "passed"
    assert result.duration > 0
    wrong = "def f(x):\n    return x + x\n"
    results = check_many(
        [CodeTask(p, SQUARE_TEST, "f") for p in (SQUARE, wrong, SQUARE)], workers=2
    )
    assert [r.passed for r in results] == [True, False, True]
    assert results[1].status == "failed" and results[1].failed_test == "assert candidate(3) == 9"


def test_stderr_tail_comes_back_on_failure(pool):
    program = "import sys\nsys.stderr.write('x' * 10000 + 'THE END')\ndef f(x):\n    return 0\n"
    result = pool.check(CodeTask(program, SQUARE_TEST, "f"))
    assert not result.passed and result.stderr.endswith("THE END") and len(result.stderr) <= 4096


def test_candidate_exception_is_an_error_with_its_type(pool):
    result = pool.check(CodeTask("def f(x):\n    return [][x]\n", SQUARE_TEST, "f"))
    assert result.status == "error" and result.error.startswith("IndexError")


def test_test_can_catch_the_candidates_builtin_exception_types(pool):
    test = "def check(candidate):\n    try:\n        candidate(-1)\n    except ValueError:\n        return\n    assert False\n"
    program = "def f(x):\n    if x < 0:\n        raise ValueError('negative')\n    return x\n"
    assert pool.check(CodeTask(program, test, "f")).passed


def test_plain_globals_and_helpers_of_the_program_are_available_to_the_test(pool):
    program = "LIMIT = 5\ndef helper(x):\n    return x + 1\ndef f(x):\n    return x < LIMIT\n"
    test = "assert f(LIMIT - 1)\nassert helper(1) == 2\nassert not f(LIMIT)\n"
    assert pool.check(CodeTask(program, test, None)).passed


def test_objects_of_the_programs_classes_stay_in_the_sandbox(pool):
    program = (
        "class Box:\n    def __init__(self, v):\n        self.v = v\n"
        "def unbox(b):\n    return b.v\n"
    )
    assert pool.check(CodeTask(program, "assert unbox(Box(3)) == 3\n", None)).passed
    truthy = pool.check(CodeTask(program, "assert Box(3)\n", None))  # a handle has no truth value
    assert truthy.status == "failed" and "no truth value" in truthy.error
    equal = pool.check(CodeTask(program, "assert Box(3) == Box(3)\n", None))
    assert equal.status == "failed"


def test_a_program_cannot_shadow_a_builtin_the_test_uses_unless_the_task_says_so(pool):
    program = "def abs(x):\n    return 0\ndef f(x):\n    return x * x + 0.5\n"
    test = "assert abs(f(3) - 9) < 1e-6\n"
    assert not pool.check(CodeTask(program, test, None)).passed
    row = {
        "task_id": 126,
        "code": "def sum(a, b):\n    return a + b\n",
        "test_list": ["assert sum(10, 15) == 25"],
    }
    assert pool.check(mbpp_task(row, row["code"])).passed  # MBPP 126's function is named sum


def test_tests_that_never_call_the_candidate_do_not_pass(pool):
    assert pool.check(CodeTask(SQUARE, "def check(candidate):\n    pass\n", "f")).status == "failed"


@pytest.mark.parametrize(
    ("task", "timeout", "message"),
    [
        (CodeTask(SQUARE, "assert True\n", "f"), 3.0, "must define check"),
        (CodeTask(SQUARE, "x = 1\n", None), 3.0, "needs assert statements"),
        (CodeTask(SQUARE, "def check(c:\n", "f"), 3.0, "not valid Python"),
        (CodeTask(SQUARE, SQUARE_TEST, "f"), 0.0, "timeout must be"),
        (CodeTask(SQUARE, SQUARE_TEST, "f"), float("nan"), "timeout must be"),
    ],
)
def test_bad_input_is_a_clear_error(pool, task, timeout, message):
    with pytest.raises(ValueError, match=message):
        pool.check(task, timeout)


def test_bad_task_fields_are_clear_errors():
    with pytest.raises(TypeError, match="program must be a str"):
        CodeTask(None, SQUARE_TEST, "f")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="entry_point must be an identifier"):
        CodeTask(SQUARE, SQUARE_TEST, "not a name")
    with pytest.raises(ValueError, match="workers must be a positive int"):
        JudgePool(0)


SWALLOWING_TEST = """
def check(candidate):
    try:
        candidate(2)
    except BaseException:
        pass
"""


@pytest.mark.parametrize(
    "program",
    [
        "def f(x):\n    while True:\n        pass\n",
        "def f(x):\n    yield 1\n",
        "import sys\ndef f(x):\n    sys.exit(0)\n",
    ],
    ids=["timeout", "generator", "sys_exit"],
)
def test_a_test_that_swallows_everything_cannot_hide_a_violation_or_timeout(program):
    """Timeouts and protocol violations are sticky: the judge fails the check even when the
    (trusted, but careless) test code catches BaseException and carries on."""
    with JudgePool(1) as pool:
        result = pool.check(CodeTask(program, SWALLOWING_TEST, "f"), 0.5)
    assert not result.passed and result.status in ("timeout", "error"), result
