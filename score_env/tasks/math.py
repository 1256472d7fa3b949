"""MATH (Hendrycks et al. 2021): split "test" = MATH-500 (SCoRe's evaluation set), "train" = the
7,500 MATH training problems. Graded by `verifiers.math` (sympy answer equivalence).

Data: `data_path=` or $SCORE_ENV_MATH_PATH (a .jsonl/.json file, a folder holding
`math500_test.jsonl`/`math_train.jsonl`, or the original per-problem folders `<root>/<split>/
<subject>/<n>.json`), else `../shared/data` beside the repository, else the Hugging Face hub
(needs `datasets` and network). The gold is the `answer` field, else the last `\\boxed{}` of the
solution.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from score_env.data import Record, load_hub, read_records, resolve_path
from score_env.tasks.base import (
    MATH_CORRECTION_INSTRUCTION,
    Audit,
    FixedTask,
    Problem,
    TurnOutcome,
)

logger = logging.getLogger(__name__)

# SCoRe, Appendix C: the zero-shot MATH instruction.
MATH_INSTRUCTION = (
    "You are a math expert. When you respond, respond only with the Solution of the final "
    "Problem, thinking step by step. At the end of the Solution, when you give your final answer, "
    'write it in the form "Final Answer: The final answer is $answer$. I hope it is correct."'
)
MATH_PROMPT_TEMPLATE = MATH_INSTRUCTION + "\n\nProblem:\n{problem}\n\nSolution:"
FILES = {"test": "math500_test.jsonl", "train": "math_train.jsonl"}
HUB_SUBJECTS = (
    "algebra", "counting_and_probability", "geometry", "intermediate_algebra",
    "number_theory", "prealgebra", "precalculus",
)  # fmt: skip


def subject_key(name: str) -> str:
    """'Counting & Probability' and 'counting_and_probability' both -> 'counting_and_probability'."""
    return name.strip().lower().replace("&", "and").replace(" ", "_").replace("__", "_")


def as_level(value: Any) -> int | None:
    """MATH levels come as 3 or "Level 3"; "Level ?" (two training problems) becomes None."""
    if isinstance(value, int):
        return value
    text = str(value).removeprefix("Level").strip()
    return int(text) if text.isdigit() else None


class MathTask(FixedTask[Problem]):
    """MATH problems with the paper's prompts.

    Args:
        split: "test" (MATH-500) or "train".
        data_path: where the records are (see the module docstring).
        subject: keep only these subjects (e.g. "Algebra" or ["algebra", "geometry"]).
        level: keep only these levels (1-5).
        prompt_template: the turn-1 message; "{problem}" is replaced by the problem.
        workers: parallel symbolic checks in `verifiers.math.grade_many`.
        approximate: also accept a correctly rounded decimal for an exact gold (`3.14` for
            `\\pi`); off by default, as MATH grades (see verifiers/math/README.md).
        audit: also grade every response with math-verify (it must be installed) and add its
            verdict to `info` (`audit_*`); the reward stays ours.
    """

    name = "math"
    correction_instruction = MATH_CORRECTION_INSTRUCTION

    def __init__(
        self,
        split: str = "train",
        data_path: str | Path | None = None,
        subject: str | Sequence[str] | None = None,
        level: int | Sequence[int] | None = None,
        prompt_template: str = MATH_PROMPT_TEMPLATE,
        workers: int = 2,
        approximate: bool = False,
        audit: bool = False,
    ) -> None:
        if split not in FILES:
            raise ValueError(f"MATH split must be one of {sorted(FILES)}, got {split!r}")
        if "{problem}" not in prompt_template:
            raise ValueError(f"prompt_template must contain '{{problem}}', got {prompt_template!r}")
        for name, flag in (("approximate", approximate), ("audit", audit)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {flag!r}")
        if audit:
            from verifiers.math.peer import require_peer

            require_peer()
        self.split, self.workers, self.template = split, workers, prompt_template
        self.approximate, self.audit = approximate, audit
        problems = [p for p in map(self._to_problem, _load(split, data_path)) if p is not None]
        super().__init__(_filter(problems, subject, level))

    def grade_many(
        self, problems: Sequence[Problem], responses: Sequence[str]
    ) -> list[TurnOutcome]:
        from verifiers.math import grade_many  # lazily: keeps `import score_env` light

        pairs = [(r, p.gold) for p, r in zip(problems, responses, strict=True)]
        verdicts = grade_many(pairs, workers=self.workers, approximate=self.approximate)
        outcomes = [_outcome(v.correct, v.extracted, v.reason) for v in verdicts]
        if not self.audit:
            return outcomes
        from verifiers.math.peer import PEER, peer_grade_many

        peers = peer_grade_many(pairs, workers=self.workers)
        return [
            replace(o, audit=Audit(PEER, p.correct, p.reason))
            for o, p in zip(outcomes, peers, strict=True)
        ]

    def _to_problem(self, record: Record) -> Problem | None:
        from verifiers.math import extract_answer

        gold = record.get("answer") or extract_answer(record.get("solution", ""))
        if gold is None:
            logger.warning(
                "MATH %s has no answer and no \\boxed{} solution: skipped", record.get("unique_id")
            )
            return None
        return Problem(
            problem_id=str(record["unique_id"]),
            prompt=self.template.replace("{problem}", record["problem"]),
            gold=gold,
            subject=record.get("subject") or record.get("type"),
            level=as_level(record.get("level")),
        )


def _load(split: str, data_path: str | Path | None) -> list[Record]:
    path = resolve_path(data_path, "SCORE_ENV_MATH_PATH", FILES[split])
    if path is None:
        if split == "test":
            records = load_hub("HuggingFaceH4/MATH-500", "test")
        else:
            records = [
                r for s in HUB_SUBJECTS for r in load_hub("EleutherAI/hendrycks_math", split, s)
            ]
    else:
        if path.is_dir() and (path / split).is_dir():
            path = path / split  # the original release: <root>/train/<subject>/<n>.json
        records = read_records(path)
    for i, r in enumerate(records):
        if "problem" not in r or not ("answer" in r or "solution" in r):
            raise ValueError(
                f"MATH record {i} lacks 'problem' and 'answer'/'solution': keys {sorted(r)}"
            )
        r.setdefault("unique_id", f"{split}/{i}")
    return records


def _filter(
    problems: list[Problem], subject: str | Sequence[str] | None, level: int | Sequence[int] | None
) -> list[Problem]:
    if subject is not None:
        wanted = {subject_key(s) for s in ([subject] if isinstance(subject, str) else subject)}
        known = {subject_key(p.subject or "") for p in problems}
        if wanted - known:
            raise ValueError(
                f"unknown MATH subject(s) {sorted(wanted - known)}; expected {sorted(known)}"
            )
        problems = [p for p in problems if subject_key(p.subject or "") in wanted]
    if level is not None:
        levels = {level} if isinstance(level, int) else set(level)
        if not levels <= {1, 2, 3, 4, 5}:
            raise ValueError(f"MATH level must be in 1-5 (or a list of them), got {level!r}")
        problems = [p for p in problems if p.level in levels]
    if not problems:
        raise ValueError(
            f"no MATH problems left after filtering by subject={subject!r}, level={level!r}"
        )
    return problems


def _outcome(correct: bool, extracted: str | None, reason: str) -> TurnOutcome:
    if extracted is None:
        feedback = "No final answer was found."
    elif reason == "timeout":
        feedback = f"The final answer {extracted} could not be checked in time."
    else:
        feedback = f"The final answer {extracted} is {'correct' if correct else 'wrong'}."
    return TurnOutcome(correct, extracted, reason, feedback)
