"""score-env: a Gymnasium environment for training language models to self-correct.

import gymnasium as gym, score_env
gym.register_envs(score_env)
env = gym.make("SelfCorrect-Arith-v0")                   # one episode at a time
vec = gym.make_vec("SelfCorrect-Arith-v0", num_envs=64)  # a batch, one verifier call per step
result = score_env.evaluate(agent, "SelfCorrect-Arith-v0", n_problems=500)
"""

from score_env.env import SelfCorrectEnv
from score_env.evaluation import EvalResult, evaluate
from score_env.protocol import Agent
from score_env.registration import ENV_IDS, register_all
from score_env.tasks import Problem, Task, TurnOutcome, make_task
from score_env.vector import SelfCorrectVectorEnv, infos_to_list
from score_env.wrappers import ScoreShaping, ScoreShapingVector

register_all()

__all__ = [
    "Agent",
    "ENV_IDS",
    "EvalResult",
    "Problem",
    "ScoreShaping",
    "ScoreShapingVector",
    "SelfCorrectEnv",
    "SelfCorrectVectorEnv",
    "Task",
    "TurnOutcome",
    "evaluate",
    "infos_to_list",
    "make_task",
]
