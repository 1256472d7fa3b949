"""Supervised pretraining of the tiny model on Arith worked solutions (see `agents.tiny.data`).

The loop, top to bottom: sample a token-balanced batch (one-turn or two-turn traces), next-token
cross-entropy on target tokens only, AdamW with linear warmup and cosine decay. The budget is a
number of steps, so a given config and seed gives the same model on any machine however busy (the
CPU may be shared: a step count is steadier than a time budget). An optional
`time_budget_s` caps wall-clock time: the schedule then runs on
`progress = max(step / max_steps, elapsed / time_budget_s)`, so the learning rate still decays.
Every `eval_every_steps` the held-out turn-1 accuracy is measured (greedy, no env) and logged with
the loss to TensorBoard; a checkpoint is written then too, and a killed run resumes from it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm
from transformers import GPT2LMHeadModel, PreTrainedTokenizerBase

from agents.policy import GREEDY, Policy, PolicyConfig
from agents.tiny.countdown_data import CountdownMix
from agents.tiny.data import IGNORE, DataMix, Example, ExampleEncoder
from agents.tiny.model import TinyModelConfig, build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer

logger = logging.getLogger(__name__)
CHECKPOINT = "pretrain_checkpoint.pt"


@dataclass(frozen=True)
class PretrainConfig:
    """Everything that determines the pretrained tiny model (its cache key hashes this)."""

    model: TinyModelConfig = field(default_factory=TinyModelConfig)
    """Architecture."""
    mix: DataMix | CountdownMix = field(default_factory=DataMix)
    """The task (Arith's DataMix or Countdown's CountdownMix) and the composition of its data."""
    max_steps: int = 1500
    """Optimiser steps (x `tokens_per_batch`: about 12M tokens)."""
    time_budget_s: float | None = None
    """Optional wall-clock cap; whichever budget runs out first ends training."""
    tokens_per_batch: int = 8192
    """Tokens per optimiser step (about 128 one-turn or 56 two-turn traces)."""
    lr: float = 3e-3
    """Peak learning rate."""
    min_lr_ratio: float = 0.05
    """Final learning rate as a fraction of the peak."""
    warmup_steps: int = 50
    """Linear warmup."""
    weight_decay: float = 0.01
    """AdamW weight decay."""
    bf16: bool = False
    """bf16 autocast for the forward pass (faster on CPU, but a model this small is
    precision-sensitive; the recipes use fp32)."""
    threads: int | None = None
    """torch intra-op threads. The weights depend on it (CPU kernels split their sums by thread),
    so a reproducible recipe pins it, and the cache key hashes it. None: all cores when the
    machine is idle, 1 when its load average says the cores are busy (under contention a 2-thread
    step is slower than a 1-thread one), for quick builds that need not reproduce."""
    eval_every_steps: int = 200
    """Held-out turn-1 accuracy, TensorBoard point and checkpoint every this many steps."""
    eval_problems_per_level: int = 50
    """Held-out problems per level in those periodic evaluations."""
    seed: int = 0
    """Initialisation and data order."""
    init_from: PretrainConfig | None = None
    """Continue from the weights that config builds (a second warmup + cosine cycle with a fresh
    optimiser) instead of a random initialisation; `agents.tiny.build` builds it first."""

    def __post_init__(self) -> None:
        if self.init_from is not None and self.init_from.model != self.model:
            raise ValueError(
                f"PretrainConfig.init_from builds {self.init_from.model}, not this config's {self.model}"
            )
        if self.time_budget_s is not None and self.time_budget_s <= 0:
            raise ValueError(
                f"PretrainConfig.time_budget_s must be > 0, got {self.time_budget_s!r}"
            )
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"PretrainConfig.threads must be >= 1 or None, got {self.threads!r}")
        for name in (
            "max_steps",
            "tokens_per_batch",
            "eval_every_steps",
            "eval_problems_per_level",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"PretrainConfig.{name} must be >= 1, got {getattr(self, name)!r}")
        if not 0 < self.lr < 1 or not 0 <= self.min_lr_ratio <= 1 or self.warmup_steps < 0:
            raise ValueError(
                f"PretrainConfig: need 0 < lr < 1, 0 <= min_lr_ratio <= 1, warmup_steps >= 0; got "
                f"lr={self.lr!r}, min_lr_ratio={self.min_lr_ratio!r}, warmup_steps={self.warmup_steps!r}"
            )


@dataclass(frozen=True)
class PretrainResult:
    steps: int
    seconds: float
    final_loss: float
    first_loss: float
    heldout_acc_t1: dict[str, float]  # greedy turn-1 accuracy per level ("L1".."L4") and "all"
    heldout_wellformed_t1: dict[str, float]  # greedy turn-1 answers with a boxed integer


@functools.cache
def _free_cores() -> int:
    """Decided once per process: the recipe's second cycle would otherwise read the load that
    its own first cycle just caused and drop to 1 thread, slowing an idle machine's build."""
    cores = os.cpu_count() or 1
    busy = os.getloadavg()[0]
    return cores if busy < cores - 0.5 else 1


def collate(batch: list[Example], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded (input_ids, attention_mask, labels), each (B, L)."""
    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        ids[i, : len(e.input_ids)] = torch.tensor(e.input_ids)
        labels[i, : len(e.labels)] = torch.tensor(e.labels)
        mask[i, : len(e.input_ids)] = 1
    return ids, mask, labels


def lr_at(config: PretrainConfig, step: int, progress: float) -> float:
    """Linear warmup over `warmup_steps`, then cosine from lr to min_lr_ratio * lr over progress."""
    warm = min(1.0, (step + 1) / config.warmup_steps) if config.warmup_steps else 1.0
    cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return config.lr * warm * (config.min_lr_ratio + (1 - config.min_lr_ratio) * cosine)


@dataclass(frozen=True)
class HeldoutTurn1:
    """Greedy turn-1 results on held-out problems, per level ("L1".."L4") and "all"."""

    accuracy: dict[str, float]
    wellformed: dict[str, float]  # the boxed answer parsed (right or wrong, not malformed)
    samples: list[str]  # "Q:expr -> response" for the first problem of each level


def heldout_turn1(
    model: GPT2LMHeadModel,
    tokenizer: PreTrainedTokenizerBase,
    per_level: int,
    mix: DataMix | CountdownMix,
) -> HeldoutTurn1:
    """Greedy turn-1 results on the first `per_level` env test problems of each of the mix's
    groups (Arith: its levels; Countdown: one group)."""
    policy = Policy(model, tokenizer, PolicyConfig(frozen_reference=False))
    accuracy: dict[str, float] = {}
    wellformed: dict[str, float] = {}
    samples: list[str] = []
    groups = mix.heldout(per_level)
    for name, problems in groups.items():
        prompts = policy.first_prompt_ids([[{"role": "user", "content": q}] for q, _ in problems])
        texts = policy.sample(prompts, dataclasses.replace(GREEDY, max_new_tokens=96)).texts
        verdicts = [judge(t) for t, (_, judge) in zip(texts, problems, strict=True)]
        accuracy[name] = sum(v.correct for v in verdicts) / len(problems)
        wellformed[name] = sum(v.reason in ("equal", "not_equal") for v in verdicts) / len(problems)
        samples.append(f"{problems[0][0]} -> {texts[0]}")
    if "all" not in groups:
        for table in (accuracy, wellformed):
            table["all"] = sum(table.values()) / len(groups)
    return HeldoutTurn1(accuracy, wellformed, samples)


def train_step(
    model: GPT2LMHeadModel,
    optimizer: torch.optim.Optimizer,
    batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    bf16: bool,
) -> float:
    """One AdamW step on next-token cross-entropy over target tokens; returns the loss."""
    ids, mask, labels = batch
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(input_ids=ids, attention_mask=mask).logits  # (B, L, V)
    # Position t predicts token t+1; labels are IGNORE on context and padding.
    loss = torch.nn.functional.cross_entropy(
        logits[:, :-1].float().reshape(-1, logits.shape[-1]),
        labels[:, 1:].reshape(-1),
        ignore_index=IGNORE,
    )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return float(loss.item())


def pretrain(
    config: PretrainConfig, out_dir: Path, progress: bool = True, init_weights: Path | None = None
) -> tuple[GPT2LMHeadModel, PreTrainedTokenizerBase, PretrainResult]:
    """Train from scratch, or from `init_weights` (the model dir `config.init_from` built), or
    resume from `out_dir`'s checkpoint; logs go to `out_dir/logs`."""
    if (config.init_from is None) != (init_weights is None):
        raise ValueError("pretrain: give init_weights exactly when config.init_from is set")
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads or _free_cores())
    tokenizer = build_char_tokenizer()
    model = build_tiny_model(tokenizer, config.model, seed=config.seed)
    if init_weights is not None:
        model.load_state_dict(GPT2LMHeadModel.from_pretrained(init_weights).state_dict())
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, betas=(0.9, 0.95)
    )
    encoder = ExampleEncoder(tokenizer, config.mix.instruction)
    rng = random.Random(config.seed)
    step, spent, losses = 0, 0.0, []
    checkpoint = out_dir / CHECKPOINT
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        rng.setstate(state["rng"])
        step, spent, losses = state["step"], state["spent"], state["losses"]
        logger.info("resuming tiny-model pretraining at step %d (%.0f s spent)", step, spent)
    writer = SummaryWriter(str(out_dir / "logs"), purge_step=step or None)
    writer.add_text("hparams", f"```\n{dataclasses.asdict(config)}\n```", step)
    bar = tqdm(
        total=config.max_steps,
        initial=step,
        unit="step",
        desc="pretrain-tiny",
        disable=not progress,
    )
    start = time.monotonic() - spent
    model.train()
    while True:
        spent = time.monotonic() - start
        frac = max(
            step / config.max_steps, spent / config.time_budget_s if config.time_budget_s else 0.0
        )
        if frac >= 1.0:
            break
        lr = lr_at(config, step, frac)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = config.mix.sample_batch(encoder, rng, config.tokens_per_batch)
        losses.append(
            train_step(model, optimizer, collate(batch, tokenizer.pad_token_id), config.bf16)
        )
        step += 1
        writer.add_scalar("train/loss", losses[-1], step)
        writer.add_scalar("train/lr", lr, step)
        bar.update(1)
        bar.set_postfix(step=step, loss=f"{losses[-1]:.3f}")
        if step % config.eval_every_steps == 0 and frac < 1.0:
            paused = time.monotonic()
            _evaluate_and_checkpoint(
                model,
                tokenizer,
                optimizer,
                rng,
                config,
                writer,
                checkpoint,
                step,
                paused - start,
                losses,
            )
            start += time.monotonic() - paused  # evaluation time is not training time
    bar.close()
    model.eval()
    accuracy, wellformed = _log_heldout(model, tokenizer, config, writer, step)
    writer.close()
    checkpoint.unlink(missing_ok=True)
    result = PretrainResult(
        step, time.monotonic() - start, losses[-1], losses[0], accuracy, wellformed
    )
    return model, tokenizer, result


def _evaluate_and_checkpoint(
    model: GPT2LMHeadModel,
    tokenizer: PreTrainedTokenizerBase,
    optimizer: torch.optim.Optimizer,
    rng: random.Random,
    config: PretrainConfig,
    writer: SummaryWriter,
    checkpoint: Path,
    step: int,
    spent: float,
    losses: list[float],
) -> dict[str, float]:
    accuracy, _ = _log_heldout(model, tokenizer, config, writer, step)
    model.train()
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": rng.getstate(),
        "step": step,
        "spent": spent,
        "losses": losses,
    }
    torch.save(state, checkpoint.with_suffix(".tmp"))
    checkpoint.with_suffix(".tmp").replace(checkpoint)
    logger.info("step %d: held-out greedy turn-1 accuracy %s", step, accuracy)
    return accuracy


def _log_heldout(
    model: GPT2LMHeadModel,
    tokenizer: PreTrainedTokenizerBase,
    config: PretrainConfig,
    writer: SummaryWriter,
    step: int,
) -> tuple[dict[str, float], dict[str, float]]:
    model.eval()
    heldout = heldout_turn1(model, tokenizer, config.eval_problems_per_level, config.mix)
    for key in heldout.accuracy:
        writer.add_scalar(f"eval/acc_t1_greedy_{key}", heldout.accuracy[key], step)
        writer.add_scalar(f"eval/wellformed_t1_greedy_{key}", heldout.wellformed[key], step)
    writer.add_text("samples/turn1_greedy", "\n\n".join(f"`{x}`" for x in heldout.samples), step)
    return heldout.accuracy, heldout.wellformed
