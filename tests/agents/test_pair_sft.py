"""Pair-SFT's data: each wrong first attempt paired with a right one of the same problem (D_SFT),
plus right -> right pairs for D+_SFT; the context is the env's turn-2 prompt after the wrong one."""

from __future__ import annotations

from training_fixtures import hand_batch

from agents.methods.pair_sft import pair_examples

# two problems x 3 first attempts: problem 0 has one right (row 1), problem 1 none
C1 = [False, True, False, False, False, False]
GROUP = [0, 0, 0, 1, 1, 1]


def test_d_sft_pairs_wrong_with_right_of_the_same_problem() -> None:
    batch = hand_batch(C1, [False] * 6, group=GROUP)
    examples = pair_examples(batch, keep_correct=False, seed=0)
    assert [e.kind for e in examples] == ["i->c", "i->c"]  # rows 0 and 2; problem 1 has no right
    for row, e in zip([0, 2], examples, strict=True):
        assert list(e.prompt_ids) == batch.second.prompt_ids[row]  # after the wrong attempt
        assert list(e.response_ids) == batch.first.response_ids[1]  # the right attempt


def test_d_plus_sft_adds_right_to_right() -> None:
    c1 = [True, True, False]
    batch = hand_batch(c1, [False] * 3, group=[0, 0, 0])
    examples = pair_examples(batch, keep_correct=True, seed=0)
    assert sorted(e.kind for e in examples) == ["c->c", "c->c", "i->c"]
    by_context = {e.prompt_ids: e.response_ids for e in examples if e.kind == "c->c"}
    # a right attempt is paired with the *other* right one when there is one
    assert by_context[tuple(batch.second.prompt_ids[0])] == tuple(batch.first.response_ids[1])
    assert by_context[tuple(batch.second.prompt_ids[1])] == tuple(batch.first.response_ids[0])


def test_pairing_is_seeded() -> None:
    batch = hand_batch([True, True, False, False], [False] * 4, group=[0] * 4)
    a = pair_examples(batch, keep_correct=False, seed=1)
    assert a == pair_examples(batch, keep_correct=False, seed=1)
