"""OpenMP threads that sleep when they wait, so a busy machine slows a CPU build down gracefully.

torch's CPU kernels run on libgomp, whose worker threads spin for a while at every barrier before
they sleep. With the thread count pinned to the core count (the tiny model's recipe pins 2 on a
2-core machine), one competing CPU-bound process leaves a spinning thread holding a core that the
thread it waits for needs, and the pretraining slows by far more than its fair share
(`experiments/build_under_load/` measures it).
`OMP_WAIT_POLICY=PASSIVE` makes waiting threads sleep at once instead. It changes when threads
run, never what they compute, so the weights of a recipe (and its cache key) stay the same:
`experiments/build_under_load/` checks both.

libgomp reads the variable once, when torch loads it, so this must run before `import torch`;
`agents/__init__.py` calls it. A value the user set is kept.
"""

from __future__ import annotations

import os
import sys

WAIT_POLICY = "PASSIVE"


def prefer_passive_waits() -> bool:
    """Set `OMP_WAIT_POLICY=PASSIVE` unless the user set it or torch is already loaded (then it
    would have no effect). Returns whether the policy in force is the passive one."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)
    return os.environ.get("OMP_WAIT_POLICY", "").upper() == WAIT_POLICY
