"""`score-env eval`: evaluate an agent on a SelfCorrect env, print the paper's metrics table.

score-env eval --agent scripted:fix:0.3 --env SelfCorrect-Arith-v0 --json out.json
score-env eval --agent scripted:oracle --env SelfCorrect-MATH-v0 -e subject=Algebra
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from agents.specs import AGENT_LOADERS, load_agent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--agent",
        default="scripted:fix:0.3",
        help=f"KIND:ARGS, KIND in {sorted(AGENT_LOADERS)}; scripted: oracle | wrong | repeat[:q] "
        "| fix:p[:q] (default: %(default)s)",
    )
    parser.add_argument(
        "--policy",
        default=None,
        metavar="PATH",
        help="a model dir, hub id or 'tiny': evaluate it as --agent base (default) or self-refine",
    )
    parser.add_argument(
        "--env", default="SelfCorrect-Arith-v0", help="env id (default: %(default)s)"
    )
    parser.add_argument("--split", default="test", help="the env's split (default: %(default)s)")
    parser.add_argument(
        "-e",
        "--env-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra env keyword argument, VALUE read as YAML (e.g. -e level=[1,2] -e max_turns=3)",
    )
    parser.add_argument("--n-problems", type=int, default=None, help="default: the whole split")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")


def parse_env_args(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"score-env eval: --env-arg expects KEY=VALUE, got {pair!r}")
        out[key] = yaml.safe_load(value)
    return out


def run(args: argparse.Namespace) -> int:
    import score_env  # after argument parsing, so `--help` stays instant
    from agents.log_setup import configure_logging
    from score_env.table import format_table

    configure_logging(route_transformers=False)
    spec = args.agent
    if args.policy is not None:  # --policy PATH [--agent base|self-refine]
        kind = args.agent.partition(":")[0]
        spec = f"{kind if kind in ('base', 'self-refine') else 'base'}:{args.policy}"
    agent = load_agent(spec, seed=args.seed)
    result = score_env.evaluate(
        agent,
        args.env,
        n_problems=args.n_problems,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=True,
        split=args.split,
        **parse_env_args(args.env_arg),
    )
    print(format_table(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"agent": args.agent, "split": args.split, **result.as_dict()}
        args.json.write_text(json.dumps(payload, indent=1, ensure_ascii=False))
        print(f"wrote {args.json}")
    return 0
