"""The shared agent interface: a batched `act(observations, infos) -> list[str]`.

Every policy (scripted, tiny LM, HF causal LM, SCoRe, the baselines) implements it, and
`score_env.evaluate` and the trainers consume it. It is defined in `score_env.protocol` (so the
env's evaluation can name it without importing `agents`) and re-exported here.
"""

from score_env.protocol import Agent

__all__ = ["Agent"]
