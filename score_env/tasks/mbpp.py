"""MBPP (Austin et al. 2021): full (974 tasks) or sanitized (427), graded by running the task's
asserts on the extracted program in `verifiers.code`'s sandbox.

Splits follow the dataset's task-id ranges (as on the hub): prompt 1-10, test 11-510,
validation 511-600, train 601-974. The optional 3-shot prompt is the standard one of Austin et al.
with tasks 2, 3 and 4 as the shots. Data: `data_path=`, $SCORE_ENV_MBPP_PATH, `../shared/data`
(`mbpp.jsonl` / `mbpp_sanitized.jsonl`), or the hub (`mbpp`, config "full"/"sanitized").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from score_env.data import Record, load_hub, read_records, resolve_path
from score_env.tasks.code_task import CodeProblem, CodeTask

if TYPE_CHECKING:
    from verifiers.code import CodeTask as Check

SPLITS = {"prompt": (1, 10), "test": (11, 510), "validation": (511, 600), "train": (601, 974)}
FILES = {"full": "mbpp.jsonl", "sanitized": "mbpp_sanitized.jsonl"}
SHOT_IDS = (2, 3, 4)
_TASK = "You are an expert Python programmer, and here is your task: {text} Your code should pass these tests:\n\n{tests}"


def describe(record: Record) -> str:
    """One task in the format of Austin et al.: the text and its asserts."""
    text = record.get("text") or record["prompt"]  # full: "text"; sanitized: "prompt"
    return _TASK.format(text=text.strip(), tests="\n".join(record["test_list"]))


def few_shot_prefix(records_by_id: dict[int, Record]) -> str:
    """Three solved tasks, each `[BEGIN]` code `[DONE]`, before the task to solve."""
    missing = [i for i in SHOT_IDS if i not in records_by_id]
    if missing:
        raise ValueError(f"the 3-shot prompt needs MBPP tasks {SHOT_IDS}; missing {missing}")
    shots = [
        f"{describe(records_by_id[i])}\n[BEGIN]\n{_code(records_by_id[i]).strip()}\n[DONE]"
        for i in SHOT_IDS
    ]
    return "\n\n".join(shots) + "\n\n"


class MBPPTask(CodeTask):
    """MBPP with the paper's prompts.

    Args:
        split: "test", "train", "validation" or "prompt" (task-id ranges above).
        variant: "full" or "sanitized".
        data_path: a .jsonl/.json file, or a folder holding `mbpp.jsonl`/`mbpp_sanitized.jsonl`.
        few_shot: prepend the 3-shot prompt (tasks 2-4) to every problem.
        timeout: seconds per program in the sandbox.
        workers: sandbox judges checking programs in parallel.
    """

    name = "mbpp"

    def __init__(
        self,
        split: str = "train",
        variant: str = "full",
        data_path: str | Path | None = None,
        few_shot: bool = False,
        timeout: float = 10.0,
        workers: int = 2,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"MBPP split must be one of {sorted(SPLITS)}, got {split!r}")
        if variant not in FILES:
            raise ValueError(f"MBPP variant must be one of {sorted(FILES)}, got {variant!r}")
        records = {int(r["task_id"]): _check(r) for r in _load(variant, data_path)}
        prefix = few_shot_prefix(records) if few_shot else ""
        low, high = SPLITS[split]
        problems = [
            CodeProblem(
                problem_id=f"mbpp/{task_id}",
                prompt=prefix + describe(r),
                gold=_code(r),
                record=r,
            )
            for task_id, r in sorted(records.items())
            if low <= task_id <= high
        ]
        if not problems:
            raise ValueError(f"no MBPP {variant} tasks with ids {low}-{high} in the data")
        super().__init__(problems, timeout=timeout, workers=workers)

    def build_check(self, problem: CodeProblem, program: str) -> Check:
        from verifiers.code import mbpp_task

        return mbpp_task(problem.record, program)


def _load(variant: str, data_path: str | Path | None) -> list[Record]:
    path = resolve_path(data_path, "SCORE_ENV_MBPP_PATH", FILES[variant])
    if path is None:
        return [
            r
            for s in ("train", "test", "validation", "prompt")
            for r in load_hub("mbpp", s, variant)
        ]
    return read_records(path)


def _check(record: Record) -> Record:
    required = ("task_id", "code", "test_list")
    if any(k not in record for k in required) or not ("text" in record or "prompt" in record):
        raise ValueError(
            f"MBPP record lacks one of {required} and 'text'/'prompt': keys {sorted(record)}"
        )
    return record


def _code(record: Record) -> str:
    return str(record["code"]).replace("\r\n", "\n")  # the full release keeps Windows newlines
