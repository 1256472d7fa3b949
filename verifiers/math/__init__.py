"""MATH answer equivalence: extraction, normalisation, exact/symbolic comparison, hard limits.

Public API:
- `extract_answer(response)` -> the marked final answer (last `\\boxed{}`, `\\fbox{}`,
  "The final answer is $X$", "The answer is X") or None.
- `is_equivalent(answer, gold)` -> bool.
- `grade(response, gold)` -> `Verdict(correct, extracted, reason)`.
- `grade_many(pairs, workers=2)` -> list of `Verdict`, symbolic checks in parallel.

Layers (each a small module): `extract` -> `normalize` -> `structure` (tuples, intervals, sets,
matrices, equations, text, letters) -> `compare` (three-valued, structure-aware) with leaves
from `numeric` (exact rationals, in-process) or `symbolic` (sympy, in a `worker` process with a
hard wall-clock and memory limit). Importing this package does not import sympy.
"""

from verifiers.math.extract import extract_answer
from verifiers.math.grader import DEFAULT_TIMEOUT_S, grade, grade_many, is_equivalent
from verifiers.math.worker import PoolConfig, WorkerPool, default_pool
from verifiers.verdict import Verdict

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "PoolConfig",
    "Verdict",
    "WorkerPool",
    "default_pool",
    "extract_answer",
    "grade",
    "grade_many",
    "is_equivalent",
]
