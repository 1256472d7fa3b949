"""What HumanEval and MBPP share: problems with tests, graded in `verifiers.code`'s sandbox.

The extracted program is the turn's `extracted` value, so the change rate compares programs; the
outcome's `reason` is the sandbox status (e.g. "passed", "failed", "timeout"), and the feedback
shown in feedback mode is the failing test and error.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from score_env.tasks.base import CODE_CORRECTION_INSTRUCTION, FixedTask, Problem, TurnOutcome

if TYPE_CHECKING:
    from verifiers.code import CodeTask as Check
    from verifiers.code import ExecResult

FEEDBACK_CHARS = 600  # of the sandbox's error text shown in feedback mode


@dataclass(frozen=True)
class CodeProblem(Problem):
    """A code problem: `gold` is a reference program; `record` the dataset's own record, which
    `verifiers.code`'s builders turn into a check (tests, entry point, trusted prelude, setup)."""

    record: Mapping[str, Any] = field(default_factory=dict, repr=False)


class CodeTask(FixedTask[CodeProblem]):
    """A fixed list of CodeProblems graded by `verifiers.code.check_many`."""

    correction_instruction = CODE_CORRECTION_INSTRUCTION

    def __init__(self, problems: Sequence[CodeProblem], *, timeout: float, workers: int) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers!r}")
        self.timeout, self.workers = timeout, workers
        super().__init__(problems)

    @abstractmethod
    def build_check(self, problem: CodeProblem, program: str) -> Check:
        """The sandbox check of `program` on `problem` (a `verifiers.code` builder)."""

    def grade_many(
        self, problems: Sequence[Problem], responses: Sequence[str]
    ) -> list[TurnOutcome]:
        from verifiers.code import check_many, extract_program  # lazily: the sandbox is heavy

        programs = [extract_program(r) for r in responses]
        checks = [
            self.build_check(self.problem(p.problem_id), program)
            for p, program in zip(problems, programs, strict=True)
        ]
        results = check_many(checks, workers=self.workers, timeout=self.timeout)
        return [_outcome(program, r) for program, r in zip(programs, results, strict=True)]


def _outcome(program: str, result: ExecResult) -> TurnOutcome:
    if result.passed:
        feedback = "All tests passed."
    elif result.failed_test is not None:
        feedback = (
            f"The test `{result.failed_test.strip()}` failed: {result.error or result.status}"
        )
    else:
        feedback = f"The program did not pass ({result.status}): {result.error or ''}".rstrip(": ")
    return TurnOutcome(result.passed, program, result.status, feedback[:FEEDBACK_CHARS])
