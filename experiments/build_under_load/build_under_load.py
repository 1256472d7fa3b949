"""Does the tiny-model pretraining degrade gracefully when another process competes for the cores?

Runs one short pretraining recipe (default: 200 steps of 2048 tokens at 2 pinned threads, the
default recipe's step) four ways, each in a fresh process: with libgomp's default spin-then-sleep
waits (torch imported before `agents`, so `agents.threads` cannot act) and with the passive waits
that `agents` sets; each alone and beside one `python -c 'while 1: pass'`. Records steps/s, the
slowdown the competitor causes, the load average, and a hash of the final weights (which must be
the same in all four: the wait policy changes scheduling, not arithmetic).

    nice -n 19 python experiments/build_under_load/build_under_load.py --out experiments/build_under_load/results.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONDITIONS = (("default", False), ("passive", False), ("default", True), ("passive", True))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="pretraining steps per run")
    parser.add_argument("--threads", type=int, default=2, help="pinned torch threads")
    parser.add_argument("--out", type=Path, default=None, help="where to write results.json")
    parser.add_argument(
        "--worker", choices=("default", "passive"), default=None, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.threads < 1:
        parser.error(f"--steps and --threads must be >= 1, got {args.steps} and {args.threads}")
    return args


def worker(policy: str, steps: int, threads: int) -> dict[str, Any]:
    """One short build in this process; `policy` says whether torch loads before `agents`."""
    if policy == "default":
        import torch  # noqa: F401  (loaded first: libgomp keeps its default spin-then-sleep)
    from agents.threads import prefer_passive_waits
    from agents.tiny.pretrain import PretrainConfig, pretrain

    passive = prefer_passive_waits()
    config = PretrainConfig(
        max_steps=steps,
        tokens_per_batch=2048,
        threads=threads,
        eval_every_steps=steps,
        eval_problems_per_level=1,
    )
    with tempfile.TemporaryDirectory() as tmp:
        model, _, result = pretrain(config, Path(tmp), progress=False)
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    return {
        "passive_waits": passive,
        "steps": result.steps,
        "train_seconds": round(result.seconds, 2),
        "steps_per_s": round(result.steps / result.seconds, 3),
        "final_loss": result.final_loss,
        "weights_sha256": digest.hexdigest(),
    }


def run_condition(policy: str, competitor: bool, args: argparse.Namespace) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    rival = None
    if competitor:
        rival = subprocess.Popen([sys.executable, "-c", "while 1: pass"])
    load_before = os.getloadavg()
    try:
        command = [sys.executable, __file__, "--worker", policy]
        command += ["--steps", str(args.steps), "--threads", str(args.threads)]
        out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    finally:
        if rival is not None:
            rival.kill()
            rival.wait()
    row = json.loads(out.strip().splitlines()[-1])
    row.update(policy=policy, competitor=competitor)
    row["loadavg_1m_before_after"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    return row


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.steps, args.threads)))
        return 0
    rows = []
    for policy, competitor in CONDITIONS:
        rows.append(run_condition(policy, competitor, args))
        print(json.dumps(rows[-1]), flush=True)
    speed = {(r["policy"], r["competitor"]): r["steps_per_s"] for r in rows}
    result = {
        "question": "slowdown of the tiny-model pretraining from one competing CPU-bound process",
        "command": "nice -n 19 python experiments/build_under_load/build_under_load.py "
        f"--steps {args.steps} --threads {args.threads}",
        "cpu_count": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M"),
        "slowdown": {p: round(speed[(p, False)] / speed[(p, True)], 2) for p, _ in CONDITIONS[:2]},
        "bit_identical": len({r["weights_sha256"] for r in rows}) == 1,
        "runs": rows,
    }
    print(json.dumps(result["slowdown"]), "bit-identical:", result["bit_identical"])
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
