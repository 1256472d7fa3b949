"""The Countdown pretraining corpus: honest attempts, and a turn-2 search that is never tied to
whether turn 1 was right (so the corpus cannot teach "fix when wrong" by itself)."""

from __future__ import annotations

import random
import re

import pytest

from agents.tiny.countdown_data import SEARCH, CountdownMix
from agents.tiny.data import IGNORE, ExampleEncoder
from agents.tiny.tokenizer import END, build_char_tokenizer
from score_env.tasks.countdown import Settings, held_out, parse_problem_id
from verifiers.countdown import evaluate, grade

STEP = re.compile(r"(\d+)([-+*/])(\d+)=(\d+)")


@pytest.fixture(scope="module")
def conversations() -> list[tuple[str, list[str]]]:
    """3000 two-turn traces: (problem id, [turn 1, turn 2]), decoded from the token ids."""
    tokenizer = build_char_tokenizer()
    mix, rng = CountdownMix(), random.Random(0)
    encoder = ExampleEncoder(tokenizer, mix.instruction)
    out = []
    for _ in range(3000):
        example = mix.example(encoder, rng, two_turn=True)
        assert all(label != IGNORE for label in example.labels[-5:])  # turn 2 is a target
        text = tokenizer.decode(example.input_ids)
        question, *turns = text.split("<|assistant|>")
        pid = question.removeprefix("<|user|>Q:").split("<")[0]
        out.append((pid, [t.split(END)[0] for t in turns]))
    return out


def _values_are_honest(text: str) -> bool:
    return all(evaluate(f"{a}{op}{b}") == int(v) for a, op, b, v in STEP.findall(text))


def test_every_written_step_is_true(conversations):
    for _, turns in conversations:
        for turn in turns:
            assert STEP.findall(turn) and _values_are_honest(turn), turn


def test_a_missed_attempt_says_so_in_its_own_text(conversations):
    for pid, (first, _) in conversations:
        problem = parse_problem_id(pid)
        last_value = int(STEP.findall(first)[-1][3])
        assert (last_value == problem.target) == grade(
            first, problem.numbers, problem.target
        ).correct


def test_turn_2_keeps_or_searches_regardless_of_turn_1(conversations):
    searches = {True: [], False: []}
    for pid, (first, second) in conversations:
        problem = parse_problem_id(pid)
        hit = grade(first, problem.numbers, problem.target).correct
        assert second == first or second.startswith(SEARCH), second
        searches[hit].append(second.startswith(SEARCH))
    rate = {hit: sum(v) / len(v) for hit, v in searches.items()}
    assert abs(rate[True] - rate[False]) < 0.06, rate  # the search is not tied to the check
    assert 0.3 < rate[True] < 0.5, rate  # about 1 - copy_fraction


def test_the_corpus_does_not_teach_fixing(conversations):
    """Turn 2 of the corpus is right less often than turn 1: a search after a hit usually
    breaks it, so imitating the corpus lowers accuracy; eliciting the fix is RL's job."""
    right = [0, 0]
    for pid, turns in conversations:
        problem = parse_problem_id(pid)
        for i, turn in enumerate(turns):
            right[i] += grade(turn, problem.numbers, problem.target).correct
    assert right[1] < right[0], right


def test_a_search_starts_from_turn_1_and_stops_at_the_first_hit(conversations):
    for pid, (first, second) in conversations:
        if not second.startswith(SEARCH):
            continue
        problem = parse_problem_id(pid)
        order = [int(n) for n in re.findall(r"\d+", first.split(":")[0])]
        candidates = second.removeprefix(SEARCH).split(";\\boxed")[0].split("|")
        for i, candidate in enumerate(candidates):
            steps = STEP.findall(candidate)
            assert [int(steps[0][0]), int(steps[0][2]), *(int(s[2]) for s in steps[1:])] == order
            hits = int(steps[-1][3]) == problem.target
            assert hits == (i == len(candidates) - 1 and hits), second  # stops at the first hit


def test_held_out_puzzles_are_never_trained_on(conversations):
    held = {p.key for p in held_out(Settings())}
    assert not {parse_problem_id(pid).key for pid, _ in conversations} & held


def test_bad_fractions_are_refused_by_name():
    with pytest.raises(ValueError, match="copy_fraction"):
        CountdownMix(copy_fraction=1.5)
