"""TokenMDP: the SelfCorrect text env as a token-level MDP (codec, turns, rewards, check_env)."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import score_env
from score_env.tasks.arith import problem_from_id
from score_env.token_mdp import (
    ACTION_TOKENS,
    VOCAB,
    ObservationLayout,
    TinyArithTask,
    TokenMDP,
    TokenMDPConfig,
    build_observation,
    make_tiny_token_env,
    make_token_env,
)
from score_env.token_mdp.codec import decode, encode

gym.register_envs(score_env)
ID = {t: i for i, t in enumerate(VOCAB)}


def actions_for(text: str, env: TokenMDP) -> list[int]:
    """The action indices that write `text` and end the turn."""
    return [env.tokens.index(VOCAB[i]) for i in encode(text)] + [env.tokens.index("<eot>")]


def play(env: TokenMDP, actions: list[int]) -> list[tuple]:
    return [env.step(a) for a in actions]


# --- codec ----------------------------------------------------------------------------------


def test_encode_decode_round_trip_and_unknown_characters():
    solution = "48*2=96;37+96=133;\\boxed{133}"
    assert decode([VOCAB[i] for i in encode(solution)]) == solution
    assert encode("\\boxed{7}") == [ID["\\boxed{"], ID["7"], ID["}"]]
    assert encode("x 7") == [ID["<unk>"], ID["<unk>"], ID["7"]]


def test_observation_layout_by_hand():
    layout = ObservationLayout(max_turns=2, prompt_ids=5, response_ids=4, turn_ids=2)
    messages = [
        {"role": "user", "content": "Q:3+4"},
        {"role": "assistant", "content": "\\boxed{7}"},
        {"role": "user", "content": "Check the solution above and fix any mistake."},
    ]
    obs = build_observation(layout, messages, ["1"])
    expected = [1, ID["Q"], ID[":"], ID["3"], ID["+"], ID["4"]]  # turn 1 done; the prompt
    expected += [ID["\\boxed{"], ID["7"], ID["}"], 0]  # attempt 1, padded to 4
    expected += [ID["1"], 0]  # the current turn so far, padded to 2
    assert obs.tolist() == expected
    assert layout.nvec().tolist() == [3] + [len(VOCAB)] * 11


def test_observation_window_overflow_is_a_clear_error():
    layout = ObservationLayout(max_turns=2, prompt_ids=3, response_ids=4, turn_ids=2)
    with pytest.raises(ValueError, match="prompt 'Q:3\\+4' is 5 tokens"):
        build_observation(layout, [{"role": "user", "content": "Q:3+4"}], [])


@pytest.mark.parametrize(
    "kwargs", [{"action_form": "words"}, {"max_turn_tokens": 0}, {"max_turn_tokens": 2.5}]
)
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        TokenMDPConfig(**kwargs)


# --- the tiny task ----------------------------------------------------------------------------


def test_tiny_task_enumerates_every_pair_and_grades_with_the_arith_verifier():
    task = TinyArithTask(max_operand=3, operators="+-")
    assert len(task.problem_ids) == 16 + 10  # 4x4 sums, differences with a >= b
    problem = task.problem("T/3-1")
    assert (problem.prompt, problem.gold) == ("Q:3-1", "2")
    assert all(len(task.problem(p).prompt) <= task.max_prompt_chars for p in task.problem_ids)
    right, wrong = task.grade_many([problem] * 2, ["\\boxed{2}", "2"])
    assert (right.correct, wrong.correct, wrong.reason) == (True, False, "no_answer")
    with pytest.raises(KeyError, match="T/1-3"):
        task.problem("T/1-3")
    with pytest.raises(ValueError, match="max_operand"):
        TinyArithTask(max_operand=12)


# --- the wrapper ------------------------------------------------------------------------------


def test_spaces_are_fixed_size_numeric():
    env = make_tiny_token_env()
    assert env.action_space == gym.spaces.Discrete(11)
    assert env.observation_space.shape == (1 + 5 + (2 + 2) + 2,)
    full = make_token_env(level=4)
    assert full.action_space.n == len(ACTION_TOKENS["solution"]) == 20
    assert full.observation_space.shape == (1 + 32 + 48 + 48,)


def test_answer_form_episode_rewards_each_turn_and_shows_the_first_attempt():
    env = make_tiny_token_env(max_operand=4)
    obs, info = env.reset(options={"problem_id": "T/4+3"})
    assert obs[0] == 0 and info["gold"] == "7"
    wrong, right = actions_for("6", env), actions_for("7", env)
    steps = play(env, wrong)
    assert [s[1] for s in steps] == [0.0, 0.0] and not steps[-1][2]
    obs, _, _, _, info = steps[-1]
    assert info["response"] == "\\boxed{6}" and info["correct"] is False
    assert obs[0] == 1 and obs[6:10].tolist() == encode("\\boxed{6}") + [0]
    steps = play(env, right)
    obs, reward, terminated, truncated, info = steps[-1]
    assert (steps[0][1], reward, terminated, truncated) == (0.0, 1.0, True, False)
    assert info["transition"] == "i->c" and (info["r1"], info["r2"]) == (0.0, 1.0)
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step(0)


def test_solution_form_on_full_arith_earns_the_verifier_reward():
    env = make_token_env(level=2)
    pid = "L2/37+48*2-15"
    env.reset(options={"problem_id": pid})
    solution = problem_from_id(pid).solution  # `48*2=96;37+96=133;133-15=118;\boxed{118}`
    first = play(env, actions_for(solution, env))
    assert [s[1] for s in first] == [0.0] * (len(first) - 1) + [1.0]
    assert first[-1][4]["response"] == solution
    second = play(env, actions_for(solution, env))
    assert second[-1][1:3] == (1.0, True) and second[-1][4]["transition"] == "c->c"


def test_length_cap_submits_a_malformed_turn_without_crashing():
    env = make_token_env(level=1, config=TokenMDPConfig(max_turn_tokens=4))
    env.reset(seed=3)
    brace = env.tokens.index("}")
    steps = play(env, [brace] * 4)  # `}}}}`: no <eot>, no answer
    assert [s[2] for s in steps] == [False] * 4
    info = steps[-1][4]
    assert info["length_capped"] is True and info["response"] == "}}}}"
    assert (steps[-1][1], info["reason"]) == (0.0, "no_answer")
    steps = play(env, [env.tokens.index("<eot>")])  # an empty turn scores 0 and ends
    assert steps[-1][1:3] == (0.0, True) and steps[-1][4]["length_capped"] is False


def test_score_bonus_is_added_at_the_last_turn():
    env = make_tiny_token_env(alpha=10.0)
    env.reset(options={"problem_id": "T/2+2"})
    play(env, actions_for("5", env))
    *_, (obs, reward, terminated, _, info) = play(env, actions_for("4", env))
    assert terminated and reward == 1.0 + 10.0 and info["bonus"] == 10.0  # α(r2 - r1), Eq. 4


def test_bad_actions_and_envs_are_refused_with_clear_errors():
    env = make_tiny_token_env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be an int in 0..10"):
        env.step(11)
    with pytest.raises(ValueError, match="feedback"):
        TokenMDP(gym.make("SelfCorrect-Arith-v0", feedback=True))
    with pytest.raises(TypeError, match="SelfCorrectEnv"):
        TokenMDP(gym.make("CartPole-v1"))


def test_same_seed_same_episode():
    a, b = make_tiny_token_env(), make_tiny_token_env()
    assert np.array_equal(a.reset(seed=7)[0], b.reset(seed=7)[0])


@pytest.mark.parametrize(
    "make",
    [
        make_tiny_token_env,
        lambda: make_token_env(level=[1, 4]),
        lambda: make_token_env(level=1, config=TokenMDPConfig(max_turn_tokens=3)),
    ],
    ids=["tiny-answer", "arith-solution", "arith-short-cap"],
)
def test_check_env_sb3_and_gymnasium(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SB3's checker reports unsupported spaces as warnings
        sb3_check_env(make())
        # the one expected warning: check_env is given a wrapper, not a bare env
        warnings.filterwarnings("ignore", message=".*different from the unwrapped version")
        gym_check_env(make())


def test_check_env_with_score_shaping():
    env = make_tiny_token_env(alpha=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb3_check_env(env)
        warnings.filterwarnings("ignore", message=".*different from the unwrapped version")
        gym_check_env(env)


def test_three_turns_show_every_earlier_attempt():
    text_env = gym.make("SelfCorrect-Arith-v0", task=TinyArithTask(), max_turns=3)
    env = TokenMDP(text_env, TokenMDPConfig(action_form="answer", max_turn_tokens=2))
    assert env.observation_space.nvec[0] == 4  # 0..3 finished attempts
    env.reset(options={"problem_id": "T/1+1"})
    play(env, actions_for("3", env))
    obs, *_ = play(env, actions_for("2", env))[-1]
    attempts = obs[6:14].tolist()  # two windows of 4 after [turn] and the 5-id prompt
    assert obs[0] == 2 and attempts == encode("\\boxed{3}") + [0] + encode("\\boxed{2}") + [0]
    *_, (obs, reward, terminated, _, info) = play(env, actions_for("2", env))
    assert (reward, terminated, info["correct_per_turn"]) == (1.0, True, [False, True, True])


def test_codec_doctests():
    import doctest

    from score_env.token_mdp import codec

    assert doctest.testmod(codec).failed == 0
