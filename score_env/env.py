"""SelfCorrectEnv: self-correction as a multi-turn Gymnasium episode (SCoRe, Kumar et al. 2024).

## Description
`reset()` gives a problem; the agent answers (turn 1); the env shows the agent its own answer
followed by a fixed instruction to find and fix mistakes; the agent answers again (turn 2).
Nothing at turn 2 reveals whether turn 1 was right (unless `feedback=True`).

## Action Space
`UnicodeText(max_response_chars)`: the response. A non-str raises TypeError; a longer one is
truncated and flagged in `info["response_truncated"]`; an empty one scores 0.

## Observation Space
`UnicodeText`: the conversation so far as plain text, each message followed by the task's
separator. `info["messages"]` holds the same conversation as `{"role", "content"}` chat messages.

## Rewards
The verifier's 0/1 for the current turn. Shaping (SCoRe's α(r2 - r1)) lives in
`score_env.wrappers.ScoreShaping`.

## Episode End
`terminated` after `max_turns` turns (default 2); never truncated. Call `reset()` for the next.

## Info
Always: task, problem_id, gold, subject, level, turn, messages. After a step: correct, extracted,
reason, response_truncated, correct_per_turn, extracted_per_turn, reason_per_turn; with a grader
audit (MATH's `audit=True`) also audit_peer, audit_peer_correct, audit_peer_reason and audit_agree
(the peer's verdict equals `correct`), which never change the reward. Countdown adds numbers and
target. At the end: r1, r2, transition
("i->c", "c->i", "c->c", "i->i"). `gold` is for logging and scripted agents; a learning policy
must not read it.

## Arguments
`task` ("arith", "math", "humaneval", "mbpp" or a Task), the `EnvConfig` fields (max_turns,
feedback, correction_instruction, max_response_chars) and the task's own keyword arguments.
`reset(options={"problem_id": id})` picks a problem; `reset(seed=s)` makes the order reproducible.

## Version History
* v0: initial release.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from score_env.episode import EnvConfig, Episode, EpisodeSetup, clip_response, grade_responses
from score_env.tasks import Task


class SelfCorrectEnv(gym.Env[str, str]):
    """One self-correction episode at a time. See the module docstring."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        task: str | Task = "arith",
        *,
        max_turns: int = 2,
        feedback: bool = False,
        correction_instruction: str | None = None,
        max_response_chars: int | None = None,
        **task_kwargs: Any,
    ) -> None:
        config = EnvConfig(max_turns, feedback, correction_instruction, max_response_chars)
        self.setup = EpisodeSetup.build(task, config, task_kwargs)
        self.task = self.setup.task
        self.action_space = self.setup.action_space()
        self.observation_space = self.setup.observation_space()
        self._episode: Episode | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        if "problem_id" in options:
            problem = self.task.problem(options["problem_id"])
        else:
            problem = self.task.sample(self.np_random)
        self._episode = self.setup.new_episode(problem)
        return self._episode.text(), self._episode.info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        episode = self._episode
        if episode is None or episode.done:
            raise RuntimeError(
                "SelfCorrectEnv.step() called before reset() or after the episode ended"
            )
        response, was_truncated = clip_response(action, self.setup.max_response_chars)
        (outcome,) = grade_responses(self.task, [episode.problem], [response])
        episode.record(response, outcome, was_truncated)
        return episode.text(), float(outcome.correct), episode.done, False, episode.info()
