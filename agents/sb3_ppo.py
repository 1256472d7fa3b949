"""Stable-Baselines3 PPO on the token-level self-correction MDP (`score_env.token_mdp`).

The point is interop: a Gymnasium user's `PPO("MlpPolicy", env)` trains on the same two-turn
self-correction episodes, verifier and rewards as the language-model agents, and is evaluated by
the same `score_env.evaluate` (through `TokenPolicyAgent`). The default setting is the easiest
one, `TinyArithTask` with answer-form actions (see `score_env.token_mdp.tiny_arith` for why).

Logging goes through SB3's own logger (TensorBoard + CSV in `run_dir`): SB3's `rollout/*`,
`train/*` and `time/*` scalars, plus `selfcorrect/*` (the paper's per-turn accuracies and
transitions over the episodes finished in each rollout), a text sample of the last episode
(`samples/episode`), the resolved config as text (`hparams/config`) and the final `eval/*`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure

import score_env
from agents.token_agent import Predictor, TokenPolicyAgent, uniform_random_predictor
from score_env.metrics import Metrics
from score_env.token_mdp import TinyArithTask, TokenMDP, TokenMDPConfig, make_tiny_token_env

log = logging.getLogger(__name__)
TEXT_ONLY = ("stdout", "log", "json", "csv")  # SB3 output formats that must not get text


@dataclass(frozen=True)
class SB3PPOConfig:
    """One SB3 PPO run on `make_tiny_token_env`; the tests check that the defaults learn.

    Attributes:
        total_timesteps: environment steps (tokens) to train for.
        seed: seeds SB3 (torch, numpy) and the envs' problem streams.
        max_operand: TinyArithTask's largest operand (1-9).
        operators: TinyArithTask's operators, a string of `+`, `-`, `*`.
        max_turn_tokens: the length cap of a turn in tokens (`<eot>` counts).
        alpha: SCoRe's progress bonus coefficient α (Eq. 4), added at the last turn by
            `ScoreShaping`; None trains on the verifier's per-turn 0/1 rewards alone.
        n_envs: parallel envs (SB3 DummyVecEnv) per rollout.
        n_steps: steps per env per rollout (PPO's rollout is n_envs * n_steps tokens).
        batch_size: PPO minibatch size.
        n_epochs: PPO epochs over each rollout.
        learning_rate: Adam step size.
        ent_coef: entropy bonus coefficient.
        gamma: discount; 1 because an episode is a handful of tokens and rewards come at turn ends.
        checkpoint_every: save a checkpoint every this many steps (0: only the final model).
        eval_passes: passes over the tiny split's problems in the final evaluation.
        torch_threads: torch's intra-op threads for the run. 1 by default: the policy is a
            64x64 MLP, too small for a second thread to pay for its synchronisation.
    """

    total_timesteps: int = 30_000
    seed: int = 0
    max_operand: int = 4
    operators: str = "+"
    max_turn_tokens: int = 2
    alpha: float | None = None
    n_envs: int = 8
    n_steps: int = 64
    batch_size: int = 128
    n_epochs: int = 4
    learning_rate: float = 3e-3
    ent_coef: float = 0.01
    gamma: float = 1.0
    checkpoint_every: int = 10_000
    eval_passes: int = 8
    torch_threads: int = 1

    def __post_init__(self) -> None:
        positive = (
            "total_timesteps",
            "n_envs",
            "n_steps",
            "batch_size",
            "n_epochs",
            "eval_passes",
            "torch_threads",
        )
        for name in positive:
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"SB3PPOConfig.{name} must be an int >= 1, got {value!r}")
        if self.checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be >= 0, got {self.checkpoint_every!r}")
        if not (self.learning_rate > 0 and self.ent_coef >= 0 and 0 < self.gamma <= 1):
            raise ValueError(
                "need learning_rate > 0, ent_coef >= 0 and 0 < gamma <= 1, got "
                f"{self.learning_rate!r}, {self.ent_coef!r}, {self.gamma!r}"
            )
        # the env's own configs validate the operand range, operators and length cap
        TinyArithTask(self.max_operand, self.operators)
        TokenMDPConfig(action_form="answer", max_turn_tokens=self.max_turn_tokens)

    def make_env(self) -> TokenMDP:
        return make_tiny_token_env(**self.env_kwargs())

    def env_kwargs(self) -> dict[str, Any]:
        return {
            "max_operand": self.max_operand,
            "operators": self.operators,
            "max_turn_tokens": self.max_turn_tokens,
            "alpha": self.alpha,
        }


class SelfCorrectMetrics(BaseCallback):
    """Logs the paper's per-turn metrics of the episodes finished in each rollout to SB3's logger."""

    def __init__(self) -> None:
        super().__init__()
        self._ends: list[dict[str, Any]] = []
        self._capped: list[bool] = []

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "response" in info:  # a turn was submitted
                self._capped.append(bool(info["length_capped"]))
            if "r1" in info:  # the episode's last turn
                self._ends.append(info)
        return True

    def _on_rollout_end(self) -> None:
        if not self._ends:
            return
        c1 = np.array([e["r1"] > 0 for e in self._ends])
        c2 = np.array([e["r2"] > 0 for e in self._ends])
        record = self.logger.record
        record("selfcorrect/acc_t1", float(c1.mean()))
        record("selfcorrect/acc_t2", float(c2.mean()))
        record("selfcorrect/delta_i2c", float((~c1 & c2).mean()))  # Δ i→c
        record("selfcorrect/delta_c2i", float((c1 & ~c2).mean()))  # Δ c→i
        record("selfcorrect/length_capped", float(np.mean(self._capped)))
        record("samples/episode", episode_markdown(self._ends[-1]), exclude=TEXT_ONLY)
        self._ends, self._capped = [], []


def episode_markdown(info: dict[str, Any]) -> str:
    """One finished episode, both turns, as TensorBoard markdown."""
    lines = [f"**{info['problem_id']}** ({info['transition']})", "```"]
    lines += [f"{m['role']}: {m['content']}" for m in info["messages"]]
    return "\n".join([*lines, "```"])


def train(
    config: SB3PPOConfig,
    run_dir: Path,
    *,
    resume_from: Path | None = None,
    progress: bool = False,
    verbose: int = 0,
) -> PPO:
    """Train (or resume from a saved model) and save `run_dir/model.zip`; returns the model."""
    torch.set_num_threads(config.torch_threads)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(asdict(config), sort_keys=False))
    venv = make_vec_env(
        make_tiny_token_env, n_envs=config.n_envs, seed=config.seed, env_kwargs=config.env_kwargs()
    )
    if resume_from is not None:
        model = PPO.load(resume_from, env=venv, device="cpu")
        log.info("resumed from %s at step %d", resume_from, model.num_timesteps)
    else:
        model = PPO(
            "MlpPolicy",
            venv,
            n_steps=config.n_steps,
            batch_size=config.batch_size,
            n_epochs=config.n_epochs,
            learning_rate=config.learning_rate,
            ent_coef=config.ent_coef,
            gamma=config.gamma,
            seed=config.seed,
            device="cpu",
            verbose=verbose,
        )
    formats = ["tensorboard", "csv"] + (["stdout"] if verbose else [])
    model.set_logger(configure(str(run_dir), formats))
    model.logger.record("hparams/config", _as_text(config), exclude=TEXT_ONLY)
    callbacks: list[BaseCallback] = [SelfCorrectMetrics()]
    if config.checkpoint_every:
        every = max(config.checkpoint_every // config.n_envs, 1)  # SB3 counts vec-env calls
        callbacks.append(CheckpointCallback(every, str(run_dir / "checkpoints"), "ppo"))
    remaining = config.total_timesteps - model.num_timesteps
    if remaining > 0:
        model.learn(remaining, callback=callbacks, reset_num_timesteps=False, progress_bar=progress)
    model.save(run_dir / "model.zip")
    return model


@dataclass(frozen=True)
class Comparison:
    """The trained policy (greedy) and the uniform random policy on the same problems."""

    ppo: Metrics
    random: Metrics

    @staticmethod
    def mean_reward(m: Metrics) -> float:
        """Mean verifier reward per episode, r1 + r2 (without any SCoRe bonus)."""
        return m.acc_t1 + m.acc_t2


def compare_with_random(model: PPO, config: SB3PPOConfig) -> Comparison:
    """Evaluate both policies with `score_env.evaluate` on every tiny problem, `eval_passes` times."""
    token_env = config.make_env()

    def greedy(obs: np.ndarray) -> np.ndarray:
        return model.predict(obs, deterministic=True)[0]  # type: ignore[no-any-return]

    n_actions = len(token_env.tokens)
    return Comparison(
        ppo=_evaluate(greedy, token_env, config),
        random=_evaluate(uniform_random_predictor(n_actions, config.seed), token_env, config),
    )


def _evaluate(predict: Predictor, token_env: TokenMDP, config: SB3PPOConfig) -> Metrics:
    task = TinyArithTask(config.max_operand, config.operators)
    ids = list(task.problem_ids) * config.eval_passes
    agent = TokenPolicyAgent(predict, token_env)
    result = score_env.evaluate(
        agent, "SelfCorrect-Arith-v0", problem_ids=ids, batch_size=256, n_resamples=1, task=task
    )
    return result.overall


def log_comparison(model: PPO, comparison: Comparison) -> None:
    """Final `eval/*` scalars through SB3's logger, at the last training step."""
    for name, m in (("ppo", comparison.ppo), ("random", comparison.random)):
        model.logger.record(f"eval/{name}_mean_reward", Comparison.mean_reward(m))
        model.logger.record(f"eval/{name}_acc_t1", m.acc_t1)
        model.logger.record(f"eval/{name}_acc_t2", m.acc_t2)
    model.logger.dump(model.num_timesteps)


def _as_text(config: SB3PPOConfig) -> str:
    return "```\n" + yaml.safe_dump(asdict(config), sort_keys=False) + "```"
