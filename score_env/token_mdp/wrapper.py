"""TokenMDP: a SelfCorrect text env as a token-level MDP with fixed-size numeric spaces.

Classic RL libraries (Stable-Baselines3's `PPO("MlpPolicy", env)`, CleanRL, ...) need numeric
spaces; the SelfCorrect envs take and show text. This wrapper keeps the text env, its verifier
and its two-turn protocol untouched and only changes the interface: the agent writes each
response one token at a time, and a turn is submitted to the text env when the agent emits
`<eot>` or the turn reaches its length cap.

## Action Space
`Discrete(n)`: an index into the action vocabulary (`score_env.token_mdp.codec.ACTION_TOKENS`),
the full solution form (20 tokens: digits, `+ - * = ; ( )`, `\\boxed{`, `}`, `<eot>`) or the
answer form (11 tokens: digits and `<eot>`; the response is `\\boxed{<digits>}`). Any sequence is
accepted: a malformed response simply scores 0. An index outside the space raises ValueError.

## Observation Space
`MultiDiscrete`: `[turn] + prompt + earlier attempts + current turn`, vocabulary ids padded with
0 (layout in `score_env.token_mdp.codec`). It is built from the text env's `info["messages"]`,
so it holds exactly what the text agent sees, except the fixed instruction, which `turn` stands
for. SB3's `MlpPolicy` one-hot encodes each position.

## Rewards
0 on every token that does not end a turn; on a turn's last token, the text env's reward for that
turn: the verifier's 0/1, plus α(r2 - r1) at the last turn when the text env is wrapped in
`ScoreShaping` (SCoRe Eq. 4).

## Episode End
`terminated` when the text env's last turn is submitted (after at most `max_turns * max_turn_tokens`
steps, as every turn ends at its length cap); never truncated.

## Info
On a turn's last token: the text env's info (messages, correct, r1/r2 and transition at the end,
...) plus `response` (the submitted text) and `length_capped`. On other tokens: `turn` and
`turn_tokens`.

## Version History
* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from score_env.env import SelfCorrectEnv
from score_env.token_mdp.codec import (
    ACTION_TOKENS,
    EOT,
    ActionForm,
    ObservationLayout,
    build_observation,
    response_text,
    turn_over,
)
from score_env.token_mdp.tiny_arith import TinyArithTask
from score_env.wrappers import ScoreShaping


@dataclass(frozen=True)
class TokenMDPConfig:
    """How responses are written token by token.

    Attributes:
        action_form: "solution" (the Arith worked-solution format) or "answer" (digits only,
            submitted as `\\boxed{<digits>}`; the easiest setting).
        max_turn_tokens: the length cap: a turn is submitted after this many tokens even
            without `<eot>` (`<eot>` itself counts). 48 fits a level-4 Arith solution.
    """

    action_form: ActionForm = "solution"
    max_turn_tokens: int = 48

    def __post_init__(self) -> None:
        if self.action_form not in ACTION_TOKENS:
            raise ValueError(
                f"action_form must be one of {sorted(ACTION_TOKENS)}, got {self.action_form!r}"
            )
        if not (isinstance(self.max_turn_tokens, int) and self.max_turn_tokens >= 1):
            raise ValueError(f"max_turn_tokens must be an int >= 1, got {self.max_turn_tokens!r}")


# gymnasium types Wrapper.__init__'s env with the *outer* spaces, so the type parameters are left out
class TokenMDP(gym.Wrapper, gym.utils.RecordConstructorArgs):  # type: ignore[type-arg]
    """Wraps a SelfCorrect text env (optionally inside `ScoreShaping`). See the module docstring."""

    def __init__(self, env: gym.Env[str, str], config: TokenMDPConfig | None = None) -> None:
        config = config or TokenMDPConfig()
        gym.utils.RecordConstructorArgs.__init__(self, config=config)
        super().__init__(env)
        base = env.unwrapped
        if not isinstance(base, SelfCorrectEnv):
            raise TypeError(f"TokenMDP wraps a SelfCorrectEnv, got {type(base).__name__}")
        if base.setup.config.feedback:
            raise ValueError(
                "TokenMDP does not encode verifier feedback (feedback=True); use intrinsic "
                "self-correction (feedback=False)"
            )
        self.config = config
        self.tokens = ACTION_TOKENS[config.action_form]
        boxing = 2 if config.action_form == "answer" else 0  # `\boxed{` and `}` around digits
        self.layout = ObservationLayout(
            max_turns=base.setup.config.max_turns,
            prompt_ids=base.task.max_prompt_chars,  # one char is at most one token
            response_ids=config.max_turn_tokens + boxing,
            turn_ids=config.max_turn_tokens,
        )
        self.action_space = spaces.Discrete(len(self.tokens))  # type: ignore[assignment]
        self.observation_space = spaces.MultiDiscrete(self.layout.nvec())  # type: ignore[assignment]
        self._messages: list[dict[str, str]] = []
        self._turn_tokens: list[str] = []
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.int64], dict[str, Any]]:
        _, info = self.env.reset(seed=seed, options=options)
        self._messages, self._turn_tokens, self._done = info["messages"], [], False
        return self._observation(), info

    def step(self, action: Any) -> tuple[NDArray[np.int64], float, bool, bool, dict[str, Any]]:
        if self._done:
            raise RuntimeError("TokenMDP.step() called before reset() or after the episode ended")
        if not self.action_space.contains(action):
            raise ValueError(
                f"action must be an int in 0..{len(self.tokens) - 1} (an index into "
                f"{self.tokens}), got {action!r}"
            )
        token = self.tokens[int(action)]
        self._turn_tokens.append(token)
        if not turn_over(self._turn_tokens, self.config.max_turn_tokens):
            progress = {"turn": len(self._messages) // 2, "turn_tokens": len(self._turn_tokens)}
            return self._observation(), 0.0, False, False, progress
        response = response_text(self._turn_tokens, self.config.action_form)
        _, reward, terminated, truncated, text_info = self.env.step(response)
        info: dict[str, Any] = {
            **text_info,
            "response": response,
            "length_capped": token != EOT,
        }
        self._messages, self._turn_tokens = info["messages"], []
        self._done = terminated or truncated
        return self._observation(), float(reward), terminated, truncated, info

    def _observation(self) -> NDArray[np.int64]:
        return build_observation(self.layout, self._messages, self._turn_tokens)


def make_token_env(
    env_id: str = "SelfCorrect-Arith-v0",
    *,
    config: TokenMDPConfig | None = None,
    alpha: float | None = None,
    **env_kwargs: Any,
) -> TokenMDP:
    """`gym.make(env_id, **env_kwargs)`, shaped by SCoRe's α(r2 - r1) if `alpha`, as a TokenMDP."""
    env: gym.Env[str, str] = gym.make(env_id, **env_kwargs)
    if alpha is not None:
        env = ScoreShaping(env, alpha=alpha)
    return TokenMDP(env, config)


def make_tiny_token_env(
    max_operand: int = 4,
    operators: str = "+",
    *,
    max_turn_tokens: int = 2,
    alpha: float | None = None,
) -> TokenMDP:
    """The easiest setting: SelfCorrect-Arith-v0 on `TinyArithTask`, answer-form actions."""
    return make_token_env(
        "SelfCorrect-Arith-v0",
        config=TokenMDPConfig(action_form="answer", max_turn_tokens=max_turn_tokens),
        alpha=alpha,
        task=TinyArithTask(max_operand, operators),
    )
