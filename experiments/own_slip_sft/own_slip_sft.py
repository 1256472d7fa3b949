"""Give a tiny base model a latent skill to fix its OWN slips, for self-correction experiments.

The probe (`experiments/probe_self_correction/probe.py`) shows that pretraining on planted errors teaches a model to
fix planted errors, not the slips it makes itself when sampling. This script continues a model's
supervised training on its own mistakes: it samples first attempts at temperature 1 on training
problems (never the held-out ones), keeps the wrong ones, and trains on two-turn traces
(own wrong attempt -> instruction -> gold worked solution) mixed with one-turn gold traces, which
keep turn 1 from drifting. The result is a model directory for `--set policy.model=DIR`.

    python experiments/own_slip_sft/own_slip_sft.py --model tiny:fix-skill --out runs/own_slip_base
    python experiments/probe_self_correction/probe.py --model runs/own_slip_base

The traces hold only wrong first attempts, so the base learns to change its answer: it fixes its
own slips and breaks right answers too, like the paper's base models. Two variants ask what else
supervision on its own attempts can teach:

- `--right-fraction 1.0` also keeps right first attempts (followed by the gold, i.e. a copy), at
  their natural share, so that the base learns to keep right answers;
- `--first-attempts greedy` trains on the model's greedy attempts instead of sampled ones: its
  deterministic mistakes, the ones a greedy evaluation shows it.

Loss curves go to TensorBoard under `<out>/logs`.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import cast

import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm
from transformers import GPT2LMHeadModel

from agents.policy import Policy, PolicyConfig, SamplingConfig
from agents.tiny.build import resolve_model
from agents.tiny.data import Example, ExampleEncoder, sample_train_problem
from agents.tiny.pretrain import collate, train_step
from score_env.tasks.arith import ArithProblem
from verifiers.arith import grade

TOKENS_PER_STEP = 2048  # as the tiny recipes


def own_attempts(
    policy: Policy,
    encoder: ExampleEncoder,
    n_wrong: int,
    rng: random.Random,
    sampling: SamplingConfig,
    right_fraction: float = 0.0,
) -> list[tuple[ArithProblem, str]]:
    """(problem, own first attempt) pairs: `n_wrong` wrong attempts, and each right attempt met on
    the way kept with probability `right_fraction`."""
    pairs: list[tuple[ArithProblem, str]] = []
    wrong = 0
    with tqdm(total=n_wrong, desc="own wrong attempts") as bar:
        while wrong < n_wrong:
            problems = [sample_train_problem(rng, (1, 2)) for _ in range(500)]
            prompts = [encoder.prompt(p) for p in problems]
            texts = policy.sample(prompts, sampling, seed=rng.randrange(2**31)).texts
            for problem, text in zip(problems, texts, strict=True):
                if wrong == n_wrong:
                    break
                if not (text and all(c in encoder.vocab for c in text)):
                    continue
                if not grade(text, str(problem.answer)).correct:
                    pairs.append((problem, text))
                    wrong += 1
                    bar.update()
                elif rng.random() < right_fraction:
                    pairs.append((problem, text))
    return pairs


def batch_of(
    encoder: ExampleEncoder,
    pairs: list[tuple[ArithProblem, str]],
    two_turn: bool,
    rng: random.Random,
) -> list[Example]:
    """About TOKENS_PER_STEP tokens of own-error traces, or of one-turn gold traces."""
    batch: list[Example] = []
    total = 0
    while total < TOKENS_PER_STEP:
        if two_turn:
            problem, wrong = pairs[rng.randrange(len(pairs))]
            example = encoder.two_turn(problem, wrong)
        else:
            example = encoder.one_turn(sample_train_problem(rng, (1, 2)))
        batch.append(example)
        total += len(example.input_ids)
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny:fix-skill", help="a model dir or tiny:<recipe>")
    parser.add_argument("--out", type=Path, required=True, help="where the new model goes")
    parser.add_argument("--attempts", type=int, default=4000, help="own wrong attempts to train on")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--two-turn-fraction", type=float, default=0.5)
    parser.add_argument(
        "--first-attempts",
        choices=("sampled", "greedy"),
        default="sampled",
        help="decode the own first attempts at temperature 1 or greedily",
    )
    parser.add_argument(
        "--right-fraction",
        type=float,
        default=0.0,
        help="share of the right own attempts also kept (turn 2 then copies them)",
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 0.0 <= args.right_fraction <= 1.0:
        parser.error(f"--right-fraction must be in [0, 1], got {args.right_fraction}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    source = resolve_model(args.model)
    policy = Policy.from_pretrained(source, PolicyConfig(device="cpu", frozen_reference=False))
    encoder = ExampleEncoder(policy.tokenizer)
    rng = random.Random(args.seed)
    sampling = (
        SamplingConfig(greedy=True, max_new_tokens=64)
        if args.first_attempts == "greedy"
        else SamplingConfig(temperature=1.0, max_new_tokens=64)
    )
    pairs = own_attempts(policy, encoder, args.attempts, rng, sampling, args.right_fraction)

    model = cast(GPT2LMHeadModel, policy.model)  # the tiny models are GPT-2s
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    writer = SummaryWriter(str(args.out / "logs"))
    pad = policy.tokenizer.pad_token_id
    for step in tqdm(range(args.steps), desc="own-slip SFT"):
        two_turn = rng.random() < args.two_turn_fraction
        loss = train_step(
            model, optimizer, collate(batch_of(encoder, pairs, two_turn, rng), pad), False
        )
        writer.add_scalar("loss/two_turn" if two_turn else "loss/one_turn", loss, step)
    writer.close()
    model.eval()
    model.save_pretrained(args.out)
    policy.tokenizer.save_pretrained(args.out)
    print(
        f"model: {args.out} (from {source}; {args.attempts} own wrong attempts of "
        f"{len(pairs)} kept, {args.steps} steps)"
    )


if __name__ == "__main__":
    main()
