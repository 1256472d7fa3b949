"""SCoRe's trainer against TRL's `GRPOTrainer`: samples/s with a generate / verify / update
breakdown, on the same tiny model, prompts, batch and verifier, in the same run.

SCoRe's side is the code training runs: `ScoreMethod.prepare` (two-turn rollouts through the
batched env, the reference's log-probs, the advantages) and `ScoreMethod.loss` on each
micro-batch, then one AdamW step, as `agents.training.loop` drives them. The single-turn variant
(`stage_two_update: single_turn`, Eq. 2 on turn 1 with β1's KL) is the one TRL can match: TRL has
no two-turn environment, so `GRPOTrainer` samples k completions of each of P Arith prompts at
temperature 1, grades them with the same verifier (`verifiers.arith`), scores them under the
frozen reference (β1 > 0) and makes one AdamW update. A sample is one sampled, graded and scored
response on both sides: a SCoRe episode holds two. The two-turn iteration (Stage II, Eq. 4,
what training runs after Stage I) is reported too.

The main job's update is timed too: `configs/score_countdown.yaml` (the `tiny:countdown` model,
64 Countdown episodes, up to 144 new tokens per turn) through the run loop's own `_setup` and
`_update`, in Stage I and in Stage II, at 1 and 2 torch threads.

    python benchmarks/bench_score_vs_trl.py [--model DIR] [--prompts 16] [--k 4] [--iters 3] \
        [--json docs/results/speed.json]

Prints samples/s for each, the breakdown, the ratio SCoRe / TRL (> 1: SCoRe is faster) and the
main job's seconds per update; `--json` writes them as a results table for `docs/render.py`.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.threads import prefer_passive_waits

prefer_passive_waits()  # before torch loads: the OpenMP wait policy `score-env train` runs with

import torch  # noqa: E402

from score_env.tasks.arith import LEVELS, sample_problem  # noqa: E402
from verifiers.arith import grade  # noqa: E402

BETA1 = 0.01  # β1: the KL coefficient both sides use
COLUMNS = ["run", "speed", "vs_trl", "generate", "verify", "update"]  # of the --json table
LR = 1e-5


def _problems(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [
        (f"Q:{p.expression}", str(p.answer))
        for p in (sample_problem(rng, rng.choice(LEVELS)) for _ in range(n))
    ]


def _timed(phases: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    phases[name] = phases.get(name, 0.0) + time.perf_counter() - start
    return out


def bench_score(
    model_dir: Path, prompts: int, k: int, iters: int, max_new_tokens: int, update: str
) -> tuple[float, dict[str, float]]:
    """`ScoreMethod` in Stage II with `stage_two_update=update` ("single_turn" or "reinforce"):
    responses/s (two per episode) and the generate / verify / update breakdown, after one
    warm-up update."""
    from accelerate import Accelerator

    from agents.methods.score.trainer import ScoreMethod
    from agents.policy import Policy
    from agents.training.config import load_config
    from agents.training.loop import build_optimizer, make_env
    from agents.training.method import TrainContext

    config = load_config(
        None,
        [
            f"policy.model={model_dir}",
            "policy.device=cpu",
            "run.method=score",
            f"env.num_envs={prompts * k}",
            f"method.samples_per_prompt={k}",
            "method.stage_one_steps=0",
            f"method.stage_two_update={update}",
            f"method.second_turn_kl_coef={BETA1}",
            f"sampling.max_new_tokens={max_new_tokens}",
            f"optim.micro_batch_size={prompts * k}",
            f"optim.lr={LR}",
        ],
    )
    policy = Policy.from_pretrained(model_dir, config.policy)
    env = make_env(config.env.id, config.env.num_envs, config.env.kwargs)
    ctx = TrainContext(config, policy, policy.model, Accelerator(cpu=True), env)
    method = ScoreMethod(ctx, config.method)
    optimizer = build_optimizer(policy.trainable_parameters(), config.optim)
    phases: dict[str, float] = {}
    start, n = 0.0, 0
    for step in range(iters + 1):  # step 0 is the warm-up
        if step == 1:
            start, phases = time.perf_counter(), {}
        t0 = time.perf_counter()
        data = method.prepare(step)
        for micro in data.micro_batches:
            loss, _ = method.loss(micro)
            (loss / len(data.micro_batches)).backward()
        optimizer.step()
        optimizer.zero_grad()
        assert data.rollout is not None
        timings = data.rollout.timings
        for key in ("generate", "verify"):
            phases[key] = phases.get(key, 0.0) + timings.get(key, 0.0)
        rest = time.perf_counter() - t0 - timings.get("generate", 0.0) - timings.get("verify", 0.0)
        phases["update"] = phases.get("update", 0.0) + rest
        n += 2 * len(data.rollout) if step else 0
    return n / (time.perf_counter() - start), phases


def bench_trl(
    model_dir: Path, problems: list[tuple[str, str]], k: int, iters: int, max_new_tokens: int
) -> tuple[float, dict[str, float]]:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    phases: dict[str, float] = {}
    original_generate = model.generate

    def timed_generate(*args: Any, **kwargs: Any) -> Any:
        return _timed(phases, "generate", lambda: original_generate(*args, **kwargs))

    model.generate = timed_generate  # type: ignore[method-assign]

    def reward(completions: list[Any], gold: list[str], **_: Any) -> list[float]:
        def run() -> list[float]:
            texts = [c[0]["content"] if isinstance(c, list) else c for c in completions]
            return [float(grade(t, g).correct) for t, g in zip(texts, gold, strict=True)]

        return _timed(phases, "verify", run)

    p = len(problems) // (iters + 1)
    data = Dataset.from_list(
        [
            {"prompt": [{"role": "user", "content": q}], "gold": g}
            for q, g in problems[: p * (iters + 1)]
        ]
    )
    args = GRPOConfig(
        output_dir="/tmp/bench_trl",
        per_device_train_batch_size=p * k,
        num_generations=k,
        max_completion_length=max_new_tokens,
        temperature=1.0,
        beta=BETA1,
        learning_rate=LR,
        optim="adamw_torch",
        max_steps=iters + 1,
        use_cpu=True,
        bf16=False,
        report_to="none",
        logging_steps=1,
        save_strategy="no",
        shuffle_dataset=False,
        disable_dropout=True,
    )

    class Clock(TrainerCallback):
        """Starts the clock after the warm-up update, like the SCoRe side."""

        start = 0.0

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == 1:
                Clock.start = time.perf_counter()
                phases.clear()

    trainer = GRPOTrainer(
        model=model,
        reward_funcs=reward,  # type: ignore[arg-type]
        args=args,
        train_dataset=data,
        processing_class=tokenizer,
        callbacks=[Clock()],
    )
    trainer.train()
    elapsed = time.perf_counter() - Clock.start
    phases["update"] = elapsed - phases.get("generate", 0.0) - phases.get("verify", 0.0)
    return iters * p * k / elapsed, phases


def bench_main_job(threads: int, updates: int, stage_one_steps: int) -> dict[str, float]:
    """Seconds per update of `configs/score_countdown.yaml` as `train` runs it (sampling,
    verification, the reference's log-probs, the advantages, forward, backward, AdamW), after two
    warm-up updates; the whole run in Stage I (`stage_one_steps` large) or Stage II (0)."""
    import tempfile

    from agents.training import loop
    from agents.training.config import load_config

    with tempfile.TemporaryDirectory() as out:
        config = load_config(
            "configs/score_countdown.yaml",
            [
                f"run.torch_threads={threads}",
                f"method.stage_one_steps={stage_one_steps}",
                f"run.out_dir={out}",
            ],
        )
        setup = loop._setup(config)
        phases = {"prepare": 0.0, "generate": 0.0, "verify": 0.0, "update": 0.0}
        for step in range(updates + 2):
            t0 = time.perf_counter()
            setup.model.eval()
            data = setup.method.prepare(step)
            t1 = time.perf_counter()
            loop._update(
                setup.acc, setup.model, setup.optimizer, setup.method, data,
                config.optim.max_grad_norm,
            )  # fmt: skip
            if step >= 2:
                assert data.rollout is not None
                for key in ("generate", "verify"):
                    phases[key] += data.rollout.timings.get(key, 0.0)
                phases["prepare"] += t1 - t0
                phases["update"] += time.perf_counter() - t1
    per_update = {k: v / updates for k, v in phases.items()}
    per_update["total"] = per_update["prepare"] + per_update["update"]
    return per_update


def _show(name: str, sps: float, phases: dict[str, float]) -> None:
    total = sum(phases.values()) or 1.0
    parts = ", ".join(
        f"{key} {value:.2f}s ({100 * value / total:.0f}%)" for key, value in phases.items()
    )
    print(f"{name:<22} {sps:8.1f} samples/s   {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="tiny model dir (default: ensure_tiny_model())"
    )
    parser.add_argument("--prompts", type=int, default=16, help="prompts per update (P)")
    parser.add_argument("--k", type=int, default=4, help="samples per prompt (k)")
    parser.add_argument("--iters", type=int, default=3, help="timed updates after one warm-up")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the configs' 1)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating SCoRe/TRL measurements")
    parser.add_argument("--main-updates", type=int, default=5, help="timed main-job updates")
    parser.add_argument("--json", type=Path, default=None, help="write the results table here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.model is None:
        from agents.tiny import ensure_tiny_model

        args.model = Path(ensure_tiny_model())
    problems = _problems(args.prompts * (args.iters + 1), seed=0)
    score = (args.model, args.prompts, args.k, args.iters, args.max_new_tokens)
    print(
        f"model {args.model}; batch {args.prompts} prompts x k={args.k}; {args.iters} timed "
        f"updates per round; {args.rounds} alternating rounds; {args.threads} threads"
    )
    runs: dict[str, list[tuple[float, dict[str, float]]]] = {
        "SCoRe (single turn)": [],
        "TRL GRPOTrainer": [],
    }
    for _ in range(args.rounds):  # alternate, so machine load drifts hit both sides alike
        runs["SCoRe (single turn)"].append(bench_score(*score, "single_turn"))
        runs["TRL GRPOTrainer"].append(
            bench_trl(args.model, problems, args.k, args.iters, args.max_new_tokens)
        )
    best = {name: max(results, key=lambda r: r[0]) for name, results in runs.items()}
    for name, (sps, phases) in best.items():
        _show(name, sps, phases)
    two_turn = bench_score(*score, "reinforce")
    _show("SCoRe two-turn", *two_turn)
    ratio = best["SCoRe (single turn)"][0] / best["TRL GRPOTrainer"][0]
    print(f"ratio SCoRe / TRL samples/s (best round of each): {ratio:.2f}x")
    main_job = {
        (stage, threads): bench_main_job(threads, args.main_updates, steps)
        for stage, steps in (("Stage I", 10**6), ("Stage II", 0))
        for threads in (1, 2)
    }
    for (stage, threads), t in main_job.items():
        print(
            f"main job, {stage}, {threads} thread(s): {t['total']:.2f} s/update "
            f"(generate {t['generate']:.2f} s, verify {t['verify']:.3f} s, rest of prepare "
            f"{t['prepare'] - t['generate'] - t['verify']:.2f} s, forward+backward+AdamW "
            f"{t['update']:.2f} s)"
        )
    torch.set_num_threads(args.threads)
    if args.json:
        trl = best["TRL GRPOTrainer"][0]
        rows = [_row(name, *best[name], trl, args) for name in best]
        rows.append(_row("SCoRe two-turn (Stage II)", *two_turn, trl, args))
        for key, t in main_job.items():
            rows.append(_main_row(*key, t, args))
        table = {
            "title": "Training speed: SCoRe's trainer against TRL's GRPOTrainer, and the main job",
            "task": "",
            "about": (
                f"2-core CPU, one run of `benchmarks/bench_score_vs_trl.py`. Trainer rows: the "
                f"default tiny model on Arith, {args.prompts} prompts x k={args.k}, up to "
                f"{args.max_new_tokens} new tokens, {args.threads} torch thread(s), the best of "
                f"{args.rounds} alternating rounds of {args.iters} timed updates; a SCoRe sample "
                "is one response (an episode holds two). SCoRe single-turn / TRL samples/s: "
                f"**{ratio:.2f}x**. Main-job rows: `configs/score_countdown.yaml` (64 Countdown "
                f"episodes, `tiny:countdown`), {args.main_updates} timed updates."
            ),
            "columns": COLUMNS,
            "labels": {
                "run": "run",
                "speed": "speed",
                "vs_trl": "÷ TRL",
                "generate": "generate",
                "verify": "verify",
                "update": "rest of the update",
            },
            "rows": rows,
            "source": "benchmarks/bench_score_vs_trl.py output",
        }
        args.json.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {args.json}")


def _row(
    name: str, sps: float, phases: dict[str, float], trl_sps: float, args: Any
) -> dict[str, str]:
    iters = args.iters
    return {
        "run": name,
        "speed": f"{sps:.1f} samples/s",
        "vs_trl": f"{sps / trl_sps:.2f}x",
        **{k: f"{phases.get(k, 0.0) / iters:.2f} s/update" for k in ("generate", "verify")},
        "update": f"{phases.get('update', 0.0) / iters:.2f} s/update",
        "command": "python benchmarks/bench_score_vs_trl.py --json docs/results/speed.json",
    }


def _main_row(stage: str, threads: int, t: dict[str, float], args: Any) -> dict[str, str]:
    return {
        "run": f"main job, {stage}, {threads} thread(s)",
        "speed": f"{t['total']:.2f} s/update",
        "vs_trl": "",
        "generate": f"{t['generate']:.2f} s",
        "verify": f"{t['verify']:.3f} s",
        "update": f"{t['total'] - t['generate'] - t['verify']:.2f} s",
        "command": "python benchmarks/bench_score_vs_trl.py --json docs/results/speed.json",
    }


if __name__ == "__main__":
    main()
