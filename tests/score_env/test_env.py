"""SelfCorrectEnv on the Arith task: the Gymnasium contract, turns, info, bad input."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import score_env
from score_env import ScoreShaping, SelfCorrectEnv

gym.register_envs(score_env)


def test_make_by_import_and_by_module_prefix():
    env = gym.make("SelfCorrect-Arith-v0")
    assert isinstance(env.unwrapped, SelfCorrectEnv)
    env3 = gym.make("score_env:SelfCorrect-Arith-v0", level=1)
    assert env3.unwrapped.task.levels == (1,)


def test_check_env_arith():
    check_env(gym.make("SelfCorrect-Arith-v0").unwrapped)


def test_two_turn_episode_info_and_transition():
    env = SelfCorrectEnv(level=2)
    obs, info = env.reset(options={"problem_id": "L2/37+48*2-15"})
    assert obs == "Q:37+48*2-15\n"
    assert info["gold"] == "118" and info["turn"] == 0 and info["level"] == 2
    assert info["messages"] == [{"role": "user", "content": "Q:37+48*2-15"}]
    obs, reward, terminated, truncated, info = env.step("48*2=96;37+96=133;\\boxed{133}")
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert obs == (
        "Q:37+48*2-15\n48*2=96;37+96=133;\\boxed{133}\n"
        "Check the solution above and fix any mistake.\n"
    )
    assert info["correct"] is False and info["extracted"] == "133" and "r1" not in info
    obs, reward, terminated, _, info = env.step("48*2=96;37+96=133;133-15=118;\\boxed{118}")
    assert (reward, terminated) == (1.0, True)
    assert (info["r1"], info["r2"], info["transition"]) == (0.0, 1.0, "i->c")
    assert info["correct_per_turn"] == [False, True]
    assert info["extracted_per_turn"] == ["133", "118"]
    assert [m["role"] for m in info["messages"]] == ["user", "assistant", "user", "assistant"]
    with pytest.raises(RuntimeError, match="reset"):
        env.step("again")


def test_turn_two_does_not_reveal_correctness():
    """Intrinsic mode: a right and a wrong first attempt get the same instruction."""
    env = SelfCorrectEnv()
    env.reset(options={"problem_id": "L1/61+41*2"})
    right = env.step("\\boxed{143}")[0]
    env.reset(options={"problem_id": "L1/61+41*2"})
    wrong = env.step("\\boxed{144}")[0]
    assert right.replace("143", "X") == wrong.replace("144", "X")


def test_feedback_mode_shows_verdict_before_instruction():
    env = SelfCorrectEnv(feedback=True)
    env.reset(options={"problem_id": "L1/61+41*2"})
    _, _, _, _, info = env.step("\\boxed{144}")
    assert info["messages"][-1]["content"] == (
        "The answer 144 is wrong. Check the solution above and fix any mistake."
    )


def test_correction_instruction_and_max_turns_are_configurable():
    env = SelfCorrectEnv(correction_instruction="Fix:", max_turns=3)
    env.reset(seed=0)
    for turn in range(1, 4):
        obs, _, terminated, _, info = env.step("\\boxed{1}")
        assert terminated == (turn == 3)
    assert obs.count("Fix:") == 2 and info["transition"] == "i->i"


def test_seeded_reset_is_reproducible():
    a, b = SelfCorrectEnv(), SelfCorrectEnv()
    first = [a.reset(seed=7)[0]] + [a.reset()[0] for _ in range(5)]
    second = [b.reset(seed=7)[0]] + [b.reset()[0] for _ in range(5)]
    assert first == second and len(set(first)) > 1


def test_bad_actions():
    env = SelfCorrectEnv(max_response_chars=20)
    env.reset(options={"problem_id": "L1/61+41*2"})
    with pytest.raises(TypeError, match="must be a str"):
        env.step(143)  # type: ignore[arg-type]
    _, reward, _, _, info = env.step("x" * 100 + "\\boxed{143}")
    assert info["response_truncated"] is True and reward == 0.0
    assert len(info["messages"][1]["content"]) == 20
    _, reward, _, _, info = env.step("   ")
    assert reward == 0.0 and info["reason"] == "empty"


def test_never_crashes_on_garbage_text():
    env = SelfCorrectEnv()
    env.reset(seed=1)
    for junk in ["\\boxed{", "\\boxed{}}}", "\x00\udcff", "\\boxed{1e999}", "\\boxed{١٢٣}"]:
        env.reset(seed=1)
        _, reward, _, _, info = env.step(junk)
        assert reward == 0.0 and info["correct"] is False


def test_bad_kwargs_name_the_problem():
    with pytest.raises(ValueError, match="level"):
        SelfCorrectEnv(level=9)
    with pytest.raises(ValueError, match="split"):
        SelfCorrectEnv(split="validation")
    with pytest.raises(ValueError, match="max_turns"):
        SelfCorrectEnv(max_turns=0)
    with pytest.raises(TypeError, match="arith"):
        SelfCorrectEnv(subject="Algebra")
    with pytest.raises(KeyError, match="L7"):
        SelfCorrectEnv().reset(options={"problem_id": "L7/1+2"})


def test_score_shaping_adds_progress_bonus_on_last_turn():
    env = ScoreShaping(SelfCorrectEnv(), alpha=10.0)
    env.reset(options={"problem_id": "L1/61+41*2"})
    assert env.step("\\boxed{1}")[1] == 0.0
    _, reward, _, _, info = env.step("\\boxed{143}")
    assert reward == 1.0 + 10.0 * (1.0 - 0.0) and info["bonus"] == 10.0
    env.reset(options={"problem_id": "L1/61+41*2"})
    assert env.step("\\boxed{143}")[1] == 1.0
    assert env.step("\\boxed{1}")[1] == 0.0 - 10.0
