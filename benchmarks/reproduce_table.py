"""Reproduce the paper's Tables 2 and 4 at small scale: every method on a built-in task with the
embedded tiny model, then the table and the plot.

    python benchmarks/reproduce_table.py --task countdown --out runs/table_countdown --jobs 2 \
        --seeds 0 1 2 --sampled
    python benchmarks/reproduce_table.py --task arith --out runs/table --rl-steps 60 \
        --stage-one-steps 20 --sft-steps 15 --eval-episodes 500 --sampled

Each row runs its committed config (`configs/<method>_<task>.yaml`); `--rl-steps`,
`--stage-one-steps` and `--sft-steps` override its budget when given. `--seeds` repeats the SCoRe
rows with other RL seeds (the tables then show each seed's row), and `--jobs` runs that many rows
at once (each at `--threads` torch threads).

Rows: Base (the pretrained tiny model, no training), STaR and Pair-SFT (D and D+), SCoRe, and
SCoRe's Table 4 ablations (w/o Stage I, w/o reward shaping, w/o multi-turn training, STaR instead
of REINFORCE in Stage II). Each row is the final model's greedy evaluation on the same held-out
problems (`env.eval_kwargs: {split: test}`), with 95% intervals. Runs that already finished in
`--out` are reused, so an interrupted table resumes where it stopped.

Writes `<out>/table.md` and `<out>/table.png` (Acc@t1 / Acc@t2 over training, and the change rate
and edit ratio between the two attempts: the curves that show a collapse of the second attempt
onto the first).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from agents.results_tables import table_row
from agents.training.config import load_config
from agents.training.history import EvalRecord, read_history, read_records, write_records
from agents.training.loop import train
from score_env.metrics import METRIC_NAMES
from score_env.table import METRIC_LABELS, markdown_table, metric_cell

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@dataclass(frozen=True)
class Row:
    """One method of the table: its config, and which budget argument sets its length."""

    label: str
    config: str
    budget: str  # "none" (Base), "self-refine" (Base's model prompted), "rl" or "sft"
    seed: int = 0


METHODS = (  # label, config stem (the task's name follows it), budget
    ("Base", "base", "none"),
    ("Self-Refine", "base", "self-refine"),
    ("STaR (D_STaR)", "star", "sft"),
    ("STaR+ (D+_STaR)", "star_plus", "sft"),
    ("Pair-SFT (D_SFT)", "pair_sft", "sft"),
    ("Pair-SFT+ (D+_SFT)", "pair_sft_plus", "sft"),
    ("SCoRe", "score", "rl"),
    ("SCoRe w/o Stage I", "score_{task}_no_stage1", "rl"),
    ("SCoRe w/o reward shaping", "score_{task}_no_shaping", "rl"),
    ("SCoRe w/o multi-turn training", "score_{task}_single_turn", "rl"),
    ("SCoRe w/ STaR in Stage II", "score_{task}_star_stage2", "rl"),
)


def rows_for(task: str, seeds: Sequence[int]) -> list[Row]:
    """The table's rows for `task`; the SCoRe row once per seed (the first seed keeps the config's
    run name, so the main job's run is the first seed's row)."""
    rows = []
    for label, stem, budget in METHODS:
        config = (stem.format(task=task) if "{task}" in stem else f"{stem}_{task}") + ".yaml"
        if stem == "score" and len(seeds) > 1:
            rows += [Row(f"SCoRe (seed {s})", config, budget, s) for s in seeds]
        else:
            rows.append(Row(label, config, budget, seeds[0]))
    return rows


def _run_name(row: Row) -> str:
    return Path(row.config).stem + (f"_seed{row.seed}" if row.seed else "")


def overrides_for(row: Row, args: argparse.Namespace) -> list[str]:
    out = [
        f"run.out_dir={args.out}",
        f"run.name={_run_name(row)}",
        f"run.seed={row.seed}",
        f"run.torch_threads={args.threads}",
        f"policy.model={args.model or ('tiny:countdown' if args.task == 'countdown' else 'tiny')}",
    ]
    if args.eval_episodes is not None:
        out.append(f"env.eval_episodes={args.eval_episodes}")
    if args.task == "arith":  # every row on the tiny model's pretraining levels
        out += [
            f"env.kwargs={{level: [{args.levels}]}}",
            f"env.eval_kwargs={{split: test, level: [{args.levels}]}}",
        ]
    if row.budget == "none":
        return [*out, "run.total_steps=0"]
    steps = args.rl_steps if row.budget == "rl" else args.sft_steps
    if steps is not None:
        out += [
            f"run.total_steps={steps}",
            f"run.eval_every={max(1, steps // args.evals)}",
            f"run.checkpoint_every={steps}",
        ]
    no_stage_one = "stage_one_steps: 0" in (CONFIGS / row.config).read_text()
    if row.budget == "rl" and args.stage_one_steps is not None and not no_stage_one:
        out.append(f"method.stage_one_steps={args.stage_one_steps}")
    return out


def run_row(row: Row, args: argparse.Namespace) -> EvalRecord | None:
    """Train (or reuse) one row; its last held-out evaluation, or None if its config is missing."""
    if row.budget == "self-refine":
        return prompted_eval(row, args, greedy=True)
    path = CONFIGS / row.config
    if not path.is_file():
        print(f"skipping {row.label}: {path} does not exist")
        return None
    run_dir = Path(args.out) / _run_name(row)
    config = load_config(path, overrides_for(row, args))
    history = read_history(run_dir)
    if not (history and history[-1].step == config.run.total_steps):
        start = time.perf_counter()
        train(config, resume=(run_dir / "checkpoints").exists())
        print(f"{row.label}: {time.perf_counter() - start:.0f} s")
        history = read_history(run_dir)
    return history[-1] if history else None


def prompted_eval(row: Row, args: argparse.Namespace, greedy: bool) -> EvalRecord:
    """Self-Refine (Madaan et al. 2023) on the base model: it writes feedback on its attempt,
    then a revision; cached in `<out>/self_refine/eval[_t1].jsonl`, a history file of one record."""
    import score_env
    from agents.policy import GREEDY, SamplingConfig
    from agents.prompting import SelfRefineAgent, load_policy

    config = load_config(CONFIGS / row.config, overrides_for(row, args))
    cached = Path(args.out) / "self_refine" / ("eval.jsonl" if greedy else "eval_t1.jsonl")
    if records := read_records(cached):
        return records[-1]
    sampling = GREEDY if greedy else SamplingConfig(temperature=1.0)
    max_new = config.eval_sampling.max_new_tokens
    agent = SelfRefineAgent(
        load_policy(config.policy.model),
        dataclasses.replace(sampling, max_new_tokens=max_new),
        seed=row.seed,
    )
    result = score_env.evaluate(
        agent,
        config.env.resolved_eval_id,
        n_problems=config.env.eval_episodes,
        batch_size=config.env.eval_num_envs,
        **config.env.eval_kwargs,
    )
    return _cache(cached, EvalRecord.from_result(0, result))


def _cache(path: Path, record: EvalRecord) -> EvalRecord:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_records(path, [record], append=False)
    return record


def sampled_eval(row: Row, args: argparse.Namespace) -> EvalRecord | None:
    """The row's final model evaluated at temperature 1 (the distribution RL trains), cached in
    `<run>/eval_t1.jsonl`. Greedy decoding (the main table) hides what sampling noise a method
    removed; this shows it."""

    import torch
    from safetensors.torch import load_file

    import score_env
    from agents.policy import Policy, SamplingConfig
    from agents.policy.agent import PolicyAgent
    from agents.training.loop import load_policy

    if row.budget == "self-refine":
        return prompted_eval(row, args, greedy=False)
    run_dir = Path(args.out) / _run_name(row)
    cached = run_dir / "eval_t1.jsonl"
    if records := read_records(cached):
        return records[-1]
    config = load_config(CONFIGS / row.config, overrides_for(row, args))
    policy: Policy = load_policy(config)
    if row.budget != "none":
        checkpoints = sorted((run_dir / "checkpoints").glob("step_*/model.safetensors"))
        if not checkpoints:
            return None
        # accelerate drops the tied lm_head from the file; anything else missing is an error
        missing, unexpected = policy.model.load_state_dict(
            load_file(str(checkpoints[-1])), strict=False
        )
        if unexpected or set(missing) - {"lm_head.weight"}:
            raise ValueError(f"{checkpoints[-1]}: missing {missing}, unexpected {unexpected}")
    torch.manual_seed(row.seed)
    sampling = SamplingConfig(temperature=1.0, max_new_tokens=config.eval_sampling.max_new_tokens)
    result = score_env.evaluate(
        PolicyAgent(policy, sampling, seed=row.seed),
        config.env.resolved_eval_id,
        n_problems=args.eval_episodes,
        batch_size=config.env.eval_num_envs,
        **config.env.eval_kwargs,
    )
    return _cache(cached, EvalRecord.from_result(config.run.total_steps, result))


def table(results: dict[str, EvalRecord], decoding: str = "greedy decoding") -> str:
    """The Markdown table of every row's evaluation, each metric with its 95% interval."""
    header = ["Method", *(METRIC_LABELS[k] for k in METRIC_NAMES)]
    rows = [
        [label, *(metric_cell(k, getattr(r.metrics, k), r.intervals.get(k)) for k in METRIC_NAMES)]
        for label, r in results.items()
    ]
    n = next(iter(results.values())).metrics.n if results else 0
    return (
        markdown_table(header, rows)
        + f"\n\nPercent of {n} held-out problems, {decoding}; [95% interval].\n"
    )


def json_table(
    results: dict[str, EvalRecord], args: argparse.Namespace, decoding: str
) -> dict[str, Any]:
    """The table in the schema of `docs/results/*.json` (`agents.results_tables`), each row with
    the command that reproduces it."""
    task = "SelfCorrect-Countdown-v0" if args.task == "countdown" else "SelfCorrect-Arith-v0"
    out_rows = []
    for label, result in results.items():
        record = table_row(label, result)
        seeded = label.startswith("SCoRe (seed")  # its label exists only with several seeds
        record["command"] = (
            f"python benchmarks/reproduce_table.py --task {args.task} --out {args.out}"
            + (f" --seeds {' '.join(map(str, args.seeds))}" if seeded else "")
            + (" --sampled" if "temperature" in decoding else "")
            + f' --only "{label}"'
        )
        out_rows.append(record)
    return {
        "title": f"SCoRe against the baselines on {args.task.capitalize()}, {decoding}",
        "task": task,
        "about": (
            f"The held-out test split, the committed configs (`configs/*_{args.task}.yaml`), the "
            f"embedded tiny model; each final model, {decoding}. Δ with its 95% bootstrap "
            "interval."
        ),
        "rows": out_rows,
        "source": f"python benchmarks/reproduce_table.py --task {args.task} --out {args.out} "
        f"--seeds {' '.join(map(str, args.seeds))} --jobs {args.jobs}"
        + (" --sampled" if args.sampled else "")
        + f" --json {args.json}",
    }


def plot(rows: list[Row], args: argparse.Namespace, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    for row in rows:
        history = read_history(Path(args.out) / _run_name(row))
        if row.budget == "none" or not history:
            continue
        steps = [h.step for h in history]
        m = [h.metrics for h in history]
        (line,) = axes[0].plot(steps, [x.acc_t2 for x in m], label=f"{row.label} t2")
        axes[0].plot(steps, [x.acc_t1 for x in m], ls="--", color=line.get_color())
        axes[1].plot(steps, [x.delta for x in m], label=row.label, color=line.get_color())
        axes[2].plot(steps, [x.change_rate for x in m], label=row.label, color=line.get_color())
    titles = (
        "held-out Acc@t2 (solid), Acc@t1 (dashed)",
        "Δ(t1,t2)",
        "change rate (t2 ≠ t1 answer)",
    )
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title)
        ax.set_xlabel("update")
    axes[1].axhline(0.0, color="grey", lw=0.5)
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="runs/table", help="parent directory of the runs")
    parser.add_argument("--task", choices=("countdown", "arith"), default="countdown")
    parser.add_argument("--rl-steps", type=int, help="updates of SCoRe and each ablation")
    parser.add_argument("--stage-one-steps", type=int, help="of those, Stage I updates")
    parser.add_argument("--sft-steps", type=int, help="updates of STaR and Pair-SFT")
    parser.add_argument("--eval-episodes", type=int, help="held-out problems (default: config's)")
    parser.add_argument("--evals", type=int, default=3, help="evaluations during each run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="RL seeds of SCoRe")
    parser.add_argument("--jobs", type=int, default=1, help="rows trained at once")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 is ~10x faster on a busy machine)"
    )
    parser.add_argument(
        "--model", help="a model directory (default: the task's embedded tiny model)"
    )
    parser.add_argument("--levels", default="1, 2", help="Arith levels, e.g. '1, 2'")
    parser.add_argument(
        "--sampled", action="store_true", help="also evaluate every final model at temperature 1"
    )
    parser.add_argument("--only", nargs="*", default=None, help="labels of the rows to run")
    parser.add_argument(
        "--json", help="also write the tables as docs JSON: PATH (greedy) and PATH_t1 (sampled)"
    )
    args = parser.parse_args()
    rows = [r for r in rows_for(args.task, args.seeds) if args.only is None or r.label in args.only]
    if args.jobs > 1:  # one process per row; each pins its own torch threads
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
            done = dict(zip(rows, pool.map(run_row, rows, [args] * len(rows)), strict=True))
    else:
        done = {r: run_row(r, args) for r in rows}
    results = {r.label: res for r, res in done.items() if res is not None}
    out = Path(args.out)
    text = table(results)
    if args.sampled:
        sampled = {r.label: res for r in rows if (res := sampled_eval(r, args)) is not None}
        text += (
            "\nThe same final models sampled at temperature 1 (the distribution RL trains on):\n\n"
        )
        text += table(sampled, "sampling at temperature 1")
    if args.json:
        greedy = json_table(results, args, "greedy decoding")
        Path(args.json).write_text(json.dumps(greedy, indent=1) + "\n")
        if args.sampled:
            t1 = json_table(sampled, args, "sampling at temperature 1")
            Path(args.json.replace(".json", "_t1.json")).write_text(json.dumps(t1, indent=1) + "\n")
    (out / "table.md").write_text(text)
    plot(rows, args, out / "table.png")
    print(text)
    print(f"wrote {out / 'table.md'} and {out / 'table.png'}")


if __name__ == "__main__":
    main()
