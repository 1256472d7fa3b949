"""The SelfCorrect envs as a token-level MDP with numeric spaces, for classic RL libraries.

    from score_env.token_mdp import make_tiny_token_env
    from stable_baselines3 import PPO
    PPO("MlpPolicy", make_tiny_token_env()).learn(20_000)

`codec` (vocabulary, observation layout; pure functions), `wrapper` (`TokenMDP`), `tiny_arith`
(`TinyArithTask`, the easiest setting).
"""

from score_env.token_mdp.codec import ACTION_TOKENS, VOCAB, ObservationLayout, build_observation
from score_env.token_mdp.tiny_arith import TinyArithTask
from score_env.token_mdp.wrapper import (
    TokenMDP,
    TokenMDPConfig,
    make_tiny_token_env,
    make_token_env,
)

__all__ = [
    "ACTION_TOKENS",
    "VOCAB",
    "ObservationLayout",
    "TinyArithTask",
    "TokenMDP",
    "TokenMDPConfig",
    "build_observation",
    "make_tiny_token_env",
    "make_token_env",
]
