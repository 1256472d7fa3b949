"""`score-env`: one console command whose subcommands live in small modules.

To add a subcommand, add one line to COMMANDS: name -> ("module", "one-line help"). The module
defines `add_arguments(parser: argparse.ArgumentParser) -> None` and
`run(args: argparse.Namespace) -> int`. Only the chosen subcommand's module is imported, so
`score-env eval` of a scripted agent never imports torch.

Errors the user can act on (a bad config value, a missing file, a run directory in use, a damaged
checkpoint) print as one line, `score-env <command>: error: <message>`, plus a `hint:` line when
the error carries one; `--debug` (before or after the command) shows the traceback instead.
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
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    # the same flag after the command; SUPPRESS keeps it from resetting the one given before
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        if chosen == name:  # import only the subcommand being run
            import_module(module).add_arguments(command)
    args = parser.parse_args(argv)
    if args.debug:
        return int(import_module(COMMANDS[args.command][0]).run(args))
    try:
        return int(import_module(COMMANDS[args.command][0]).run(args))
    except USER_ERRORS as err:
        print(f"score-env {args.command}: error: {one_line(err)}", file=sys.stderr)
        hint = getattr(err, "hint", None)
        print(f"hint: {hint}" if hint else "hint: --debug shows the traceback", file=sys.stderr)
        return 2


USER_ERRORS = (ValueError, OSError, RuntimeError)
"""What a command raises for bad input or a bad run directory (config values, missing files,
`RunLockedError`, `CheckpointError`); anything else is a bug and keeps its traceback."""


def one_line(err: BaseException) -> str:
    """The first line of the message (the library's own detail stays behind --debug)."""
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


if __name__ == "__main__":
    sys.exit(main())
