"""`score-env`: one console command whose subcommands live in small modules.

To add a subcommand, add one line to COMMANDS: name -> ("module", "one-line help"). The module
defines `add_arguments(parser: argparse.ArgumentParser) -> None` and
`run(args: argparse.Namespace) -> int`. Only the chosen subcommand's module is imported, so
`score-env eval` of a scripted agent never imports torch.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

COMMANDS: dict[str, tuple[str, str]] = {
    "eval": ("agents.eval_command", "evaluate an agent on a SelfCorrect env; print the metrics"),
    "pretrain-tiny": ("agents.tiny.cli", "build (or reuse) the embedded tiny Arith model"),
    "train": ("agents.train_command", "train a policy from a YAML config (STaR, Pair-SFT, ...)"),
    "report": ("agents.report_command", "paper-style table and accuracy plot of training runs"),
    "sb3-ppo": ("agents.sb3_ppo_command", "SB3 PPO on the token-level MDP (easiest Arith setting)"),
    "doctor": ("agents.doctor_command", "what this machine gives the project, and what to fix"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="score-env", description="Self-correction environments and agents (SCoRe)."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if argv and argv[0] == name:  # import only the subcommand being run
            import_module(module).add_arguments(command)
    args = parser.parse_args(argv)
    return int(import_module(COMMANDS[args.command][0]).run(args))


if __name__ == "__main__":
    sys.exit(main())
