"""The tiny model's tokenizer and pretraining data."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from agents.policy import Policy, PolicyConfig
from agents.tiny.data import (
    IGNORE,
    DataMix,
    ExampleEncoder,
    corrupted_solution,
    sample_batch,
    sample_train_problem,
    worked_solution,
)
from agents.tiny.model import TinyModelConfig, build_tiny_model
from agents.tiny.tokenizer import build_char_tokenizer
from score_env.tasks.arith import ARITH_CORRECTION_INSTRUCTION, LEVELS, held_out, sample_problem
from verifiers.arith import grade


def test_tokenizer_round_trips_and_loads_with_auto(tmp_path: Path) -> None:
    tokenizer = build_char_tokenizer()
    text = "<|user|>Q:(5+6)*7<|assistant|>5+6=11;11*7=77;\\boxed{77}<|end|>"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == 3 + len("Q:(5+6)*7") + len("5+6=11;11*7=77;\\boxed{77}")  # 1 id per char
    assert tokenizer.decode(ids) == text
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert loaded(text, add_special_tokens=False)["input_ids"] == ids
    assert loaded.eos_token == "<|end|>" and loaded.pad_token == "<|pad|>"


def test_worked_solution_reproduces_the_task_and_errors_propagate() -> None:
    rng = random.Random(0)
    for level in LEVELS:
        for _ in range(200):
            problem = sample_problem(rng, level)
            assert worked_solution(problem.expression) == (problem.solution, problem.answer)
    # 2*8+(54+28)*5: steps 54+28=82; 2*8=16; 82*5=410; 16+410=426. Step 1 off by +40:
    text, answer = worked_solution("2*8+(54+28)*5", (1, 40))
    assert text == "54+28=82;2*8=56;82*5=410;56+410=466;\\boxed{466}" and answer == 466


def test_corrupted_solutions_are_wrong_but_well_formed() -> None:
    rng = random.Random(1)
    for _ in range(300):
        problem = sample_problem(rng, rng.choice(LEVELS))
        bad = corrupted_solution(problem, rng)
        verdict = grade(bad, str(problem.answer))
        assert not verdict.correct and verdict.reason == "not_equal"
        assert bad.count(";") == problem.solution.count(";")


def test_training_problems_exclude_the_test_split() -> None:
    test = {p.expression for level in LEVELS for p in held_out(level)}
    rng = random.Random(2)
    assert not any(sample_train_problem(rng, (1,)).expression in test for _ in range(3000))


def test_two_turn_examples_match_the_policy_prompts_and_label_only_gold() -> None:
    tokenizer = build_char_tokenizer()
    encoder = ExampleEncoder(tokenizer)
    policy = Policy(
        build_tiny_model(tokenizer, TinyModelConfig(1, 32, 2, 256)), tokenizer, PolicyConfig()
    )
    problem = sample_problem(random.Random(3), 3)
    bad = corrupted_solution(problem, random.Random(4))
    example = encoder.two_turn(problem, bad)
    question = {"role": "user", "content": f"Q:{problem.expression}"}
    first = policy.first_prompt_ids([[question]])
    attempt = tokenizer(bad + "<|end|>", add_special_tokens=False)["input_ids"]
    conversation = [
        question,
        {"role": "assistant", "content": bad},
        {"role": "user", "content": ARITH_CORRECTION_INSTRUCTION},
    ]
    second = policy.next_prompt_ids(first, [attempt], [conversation])[0]
    assert example.input_ids[: len(second)] == second  # trained exactly as the agent prompts
    targets = [
        t for t, label in zip(example.input_ids, example.labels, strict=True) if label != IGNORE
    ]
    assert tokenizer.decode(targets) == problem.solution + "<|end|>"  # the wrong attempt is context
    gold_first = encoder.two_turn(problem, problem.solution)
    n_target = sum(label != IGNORE for label in gold_first.labels)
    assert n_target == 2 * len(
        tokenizer(problem.solution + "<|end|>", add_special_tokens=False)["input_ids"]
    )


def test_batches_are_token_balanced_and_config_is_validated() -> None:
    encoder = ExampleEncoder(build_char_tokenizer())
    rng = random.Random(5)
    for _ in range(10):
        batch = sample_batch(encoder, DataMix(), rng, tokens=2000)
        assert 2000 <= sum(len(e.input_ids) for e in batch) < 2000 + 256
    with pytest.raises(ValueError, match="levels"):
        DataMix(levels=(5,))
    with pytest.raises(ValueError, match="two_turn_fraction"):
        DataMix(two_turn_fraction=1.5)
