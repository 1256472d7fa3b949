"""`train(config)`: the run loop every method shares, readable top to bottom.

    0. set up: processes (accelerate), seeds, policy, optimiser, envs, the method, logger
    1. resume from the newest complete checkpoint if asked (model, optimiser, RNG, step, data)
    2. evaluate the starting model on held-out problems (step 0 = the `Base` row)
    3. for each update: method.prepare -> keep the best model by training reward ->
       accumulate gradients over the micro-batches -> clip -> optimiser step -> log
    4. evaluate every `eval_every` steps, checkpoint every `checkpoint_every` steps, and both at
       the end

Multi-process: run under `torchrun --standalone --nproc_per_node N -m agents.cli train ...` or
`accelerate launch --multi_gpu --num_processes N ...` (on CPU with `run.cpu: true`; note that
`accelerate launch --cpu --num_processes 2` silently runs one process). Every process collects its
own slice of the episodes; DDP averages the gradients; only the main process logs and evaluates.
Gradient accumulation is explicit: all micro-batches but the last run under `no_sync`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from gymnasium.vector import VectorEnv
from tqdm import tqdm

import score_env
from agents.policy import Policy
from agents.training.audit import audit_metrics
from agents.training.checkpoint import Checkpointer, TrainerState
from agents.training.config import OptimConfig, TrainConfig, save_config
from agents.training.history import EvalRecord, read_history
from agents.training.logger import RunLogger
from agents.training.method import Method, StepData, TrainContext
from agents.training.registry import get_method
from agents.training.rollout import rollout_metrics, self_correct_env
from agents.training.rundir import RunLock, is_main_launch_process

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """Where the run went and how it ended."""

    run_dir: Path
    steps: int
    final_eval: EvalRecord | None
    """The last held-out evaluation (`final_eval.metrics.acc_t2`); None on the processes that
    do not evaluate."""
    best_reward: float


def load_policy(config: TrainConfig, device: torch.device | None = None) -> Policy:
    """The configured model; `tiny` (or `tiny:<recipe>`) is the embedded model, pretrained and
    cached on first use.

    `device` (the process's accelerator device) replaces `policy.device: auto`, so that each
    process of a multi-GPU run loads onto its own GPU and `run.cpu` keeps the model on the CPU.
    """
    from agents.tiny.build import resolve_model

    path = resolve_model(str(config.policy.model))
    policy_config = config.policy
    if device is not None and policy_config.device == "auto":
        policy_config = dataclasses.replace(policy_config, device=str(device))
    return Policy.from_pretrained(path, policy_config)


def make_env(env_id: str, num_envs: int, kwargs: dict[str, Any]) -> VectorEnv:
    """`num_envs` batched episodes of `env_id` (a `SelfCorrectVectorEnv`, graded in one call)."""
    gym.register_envs(score_env)
    return gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )


@dataclass
class _Setup:
    """Everything step 0 of `train` builds."""

    acc: Accelerator
    policy: Policy
    model: torch.nn.Module
    optimizer: Any
    scheduler: torch.optim.lr_scheduler.LambdaLR
    method: Method
    checkpointer: Checkpointer


def build_optimizer(parameters: Any, optim: OptimConfig) -> torch.optim.Optimizer:
    """`optim.name`'s optimiser over `parameters`."""
    if optim.name == "sgd":
        return torch.optim.SGD(
            parameters, lr=optim.lr, momentum=optim.momentum, weight_decay=optim.weight_decay
        )
    return torch.optim.AdamW(
        parameters, lr=optim.lr, betas=optim.betas, weight_decay=optim.weight_decay
    )


def _setup(config: TrainConfig) -> _Setup:
    """Processes, seeds, policy, optimiser (AdamW, linear warmup), training env and the method."""
    # `no` defers to the launcher (an `accelerate launch --config_file` for FSDP/DeepSpeed/bf16).
    precision = None if config.run.mixed_precision == "no" else config.run.mixed_precision
    acc = Accelerator(cpu=config.run.cpu, mixed_precision=precision)
    if config.run.torch_threads:
        torch.set_num_threads(config.run.torch_threads)
    set_seed(config.run.seed + acc.process_index)
    policy = load_policy(config, acc.device)
    optimizer = build_optimizer(policy.trainable_parameters(), config.optim)
    warmup = config.optim.warmup_steps
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) if warmup else 1.0
    )
    # The scheduler is stepped by hand once per update (accelerate would step it once per process).
    model, optimizer = acc.prepare(policy.model, optimizer)
    acc.register_for_checkpointing(scheduler)
    audit = {"audit": True} if config.env.audit else {}
    env = make_env(config.env.id, config.env.num_envs, {**config.env.kwargs, **audit})
    ctx = TrainContext(config=config, policy=policy, model=model, accelerator=acc, env=env)
    method: Method = get_method(config.run.method).build(ctx, config.method)
    checkpointer = Checkpointer(config.run_dir, acc, keep=config.run.keep_checkpoints)
    return _Setup(acc, policy, model, optimizer, scheduler, method, checkpointer)


def train(config: TrainConfig, *, resume: bool = False, progress: bool = True) -> TrainResult:
    """Run `config` to `run.total_steps` updates; with `resume`, continue from the newest intact
    checkpoint in `runs/<name>/checkpoints/` (starting fresh when there is none).

    The main process holds the run directory's lock throughout (`rundir.RunLock`): a second run
    on the same directory raises `RunLockedError` before it loads anything.
    """
    if not is_main_launch_process():
        return _train(config, resume=resume, progress=progress)
    with RunLock(config.run_dir):
        return _train(config, resume=resume, progress=progress)


def _train(config: TrainConfig, *, resume: bool, progress: bool) -> TrainResult:
    # 0. processes, seeds, policy, optimiser, envs, method
    run_dir = config.run_dir
    setup = _setup(config)
    acc, policy, model, optimizer, scheduler = (
        setup.acc,
        setup.policy,
        setup.model,
        setup.optimizer,
        setup.scheduler,
    )
    method, checkpointer = setup.method, setup.checkpointer

    # 1. resume
    state = TrainerState()
    latest = checkpointer.latest() if resume else None
    if latest is not None:
        state, method_state = checkpointer.load(latest)
        method.load_state_dict(method_state)
        log.info("resumed from %s at step %d", latest, state.step)
    elif not resume and (run_dir / "checkpoints").exists():
        raise FileExistsError(
            f"{run_dir} already holds a run's checkpoints; pass --resume to "
            "continue it, or choose another run.name / run.out_dir"
        )
    # Curves continue at the same step: events after the checkpoint's step are dropped.
    logger = RunLogger(
        run_dir, enabled=acc.is_main_process, purge_step=state.step + 1 if latest is not None else 0
    )
    if latest is None:
        if acc.is_main_process:
            save_config(config, run_dir / "config.yaml")
        logger.hparams(config.to_dict())
        # 2. the starting model on held-out problems
        _evaluate(config, policy, acc, logger, step=0)

    # 3. updates
    bar = tqdm(
        range(state.step, config.run.total_steps),
        initial=state.step,
        total=config.run.total_steps,
        desc=f"train {config.run.name}",
        disable=not (progress and acc.is_main_process),
    )
    for step in bar:
        t0 = time.perf_counter()
        model.eval()  # no dropout: sampling and scoring are the same function
        data = method.prepare(step)
        t_prepare = time.perf_counter() - t0
        metrics = _reduce(acc, _step_metrics(data))
        reward = metrics.get("train/reward_t2")
        if reward is not None and reward > state.best_reward:
            # The paper's rule: keep the model with the best training reward. The rollout was
            # sampled from the current weights, so they are saved before the update.
            state.best_reward, state.best_step = reward, step
            checkpointer.save_best(policy, reward, step)
        t1 = time.perf_counter()
        metrics.update(_update(acc, model, optimizer, method, data, config.optim.max_grad_norm))
        if data.micro_batches:
            scheduler.step()
        t_update = time.perf_counter() - t1
        state.step = step + 1
        metrics.update(_perf(acc, data, t_prepare, t_update, time.perf_counter() - t0))
        metrics["train/lr"] = float(scheduler.get_last_lr()[0])
        logger.scalars(metrics, state.step)
        if data.rollout is not None and (step % config.run.sample_every == 0):
            logger.samples(data.rollout, state.step)
        bar.set_postfix(
            {
                k.split("/")[1]: f"{v:.3g}"
                for k, v in metrics.items()
                if k in ("train/loss", "train/reward_t1", "train/reward_t2")
            }
        )
        # 4. periodic evaluation and checkpoints
        last = state.step == config.run.total_steps
        if state.step % config.run.eval_every == 0 or last:
            _evaluate(config, policy, acc, logger, step=state.step)
        if state.step % config.run.checkpoint_every == 0 or last:
            checkpointer.save(state, method.state_dict())
        logger.flush()
    if config.run.total_steps == 0 and acc.is_main_process:
        checkpointer.save_best(policy, float("nan"), 0)
    final = _last_eval(run_dir) if acc.is_main_process else None
    logger.close()
    acc.wait_for_everyone()
    return TrainResult(run_dir, state.step, final, state.best_reward)


def _update(
    acc: Accelerator,
    model: torch.nn.Module,
    optimizer: Any,
    method: Method,
    data: StepData,
    max_grad_norm: float,
) -> dict[str, float]:
    """One optimiser step over the method's micro-batches (mean of their losses)."""
    model.train()
    sums: dict[str, float] = {}
    n = len(data.micro_batches)
    for i, micro in enumerate(data.micro_batches):
        sync = contextlib.nullcontext() if i == n - 1 else acc.no_sync(model)
        with sync:
            loss, metrics = method.loss(micro)
            acc.backward(loss / n)
        for key, value in {"train/loss": float(loss.detach()), **metrics}.items():
            sums[key] = sums.get(key, 0.0) + value / n
    if n and max_grad_norm > 0:
        sums["train/grad_norm"] = float(acc.clip_grad_norm_(model.parameters(), max_grad_norm))
    if n:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    model.eval()
    return _reduce(acc, sums)


def _step_metrics(data: StepData) -> dict[str, float]:
    metrics = dict(data.metrics)
    if data.rollout is not None:
        metrics.update(rollout_metrics(data.rollout))
        metrics.update(audit_metrics(data.rollout))
    return metrics


def _perf(
    acc: Accelerator, data: StepData, t_prepare: float, t_update: float, t_total: float
) -> dict[str, float]:
    timings = data.rollout.timings if data.rollout is not None else {}
    generated = data.rollout.n_tokens() if data.rollout is not None else 0
    samples = acc.reduce(
        torch.tensor(float(data.n_samples + (len(data.rollout) if data.rollout else 0))), "sum"
    )
    tokens = acc.reduce(torch.tensor(float(data.n_tokens + generated)), "sum")
    return {
        "perf/samples_per_s": float(samples) / max(t_total, 1e-9),
        "perf/tokens_per_s": float(tokens) / max(t_total, 1e-9),
        "perf/time_generate": timings.get("generate", 0.0),
        "perf/time_verify": timings.get("verify", 0.0),
        "perf/time_prepare": t_prepare,
        "perf/time_update": t_update,
    }


def _reduce(acc: Accelerator, metrics: dict[str, float]) -> dict[str, float]:
    """Mean of each metric over processes (every process must hold the same keys)."""
    if acc.num_processes == 1 or not metrics:
        return metrics
    keys = sorted(metrics)
    values = acc.reduce(
        torch.tensor([metrics[k] for k in keys], dtype=torch.float64, device=acc.device), "mean"
    )
    return dict(zip(keys, values.tolist(), strict=True))


def _evaluate(
    config: TrainConfig, policy: Policy, acc: Accelerator, logger: RunLogger, step: int
) -> None:
    """Held-out evaluation on the main process (the others wait at the next collective)."""
    if acc.is_main_process:
        from agents.policy.agent import PolicyAgent

        env = make_env(
            config.env.resolved_eval_id, config.env.eval_num_envs, config.env.eval_kwargs
        )
        result = score_env.evaluate(
            PolicyAgent(policy, sampling=config.eval_sampling),
            self_correct_env(env),
            n_problems=config.env.eval_episodes,
            seed=config.run.seed,
        )
        logger.evaluation(EvalRecord.from_result(step, result))
    acc.wait_for_everyone()


def _last_eval(run_dir: Path) -> EvalRecord | None:
    history = read_history(run_dir)
    return history[-1] if history else None
