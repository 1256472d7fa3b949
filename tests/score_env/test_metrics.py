"""The paper's metrics against a hand calculation."""

from __future__ import annotations

import numpy as np
import pytest

from score_env.evaluation import EpisodeRecord, summarize
from score_env.metrics import bootstrap_intervals, compute_metrics


def test_metrics_by_hand():
    # 5 problems: c->c, i->c, i->c, c->i, i->i
    c1 = np.array([1, 0, 0, 1, 0], dtype=bool)
    c2 = np.array([1, 1, 1, 0, 0], dtype=bool)
    changed = np.array([0, 1, 1, 1, 0], dtype=bool)
    edit = np.array([0.0, 0.5, 1.0, 0.5, 0.0])
    m = compute_metrics(c1, c2, changed, edit)
    assert (m.acc_t1, m.acc_t2) == (2 / 5, 3 / 5)
    assert (m.delta_i2c, m.delta_c2i) == (2 / 5, 1 / 5)
    assert m.delta == pytest.approx(3 / 5 - 2 / 5) and m.delta == (m.n_i2c - m.n_c2i) / m.n
    assert (m.n_i2c, m.n_c2i, m.n_c2c, m.n_i2i) == (2, 1, 1, 1)
    assert (m.change_rate, m.edit_ratio) == (3 / 5, 0.4)


def test_bootstrap_intervals_bracket_the_estimate_and_shrink_with_n():
    rng = np.random.default_rng(0)
    c1, c2 = rng.random(400) < 0.4, rng.random(400) < 0.6
    changed, edit = c1 != c2, rng.random(400)
    small = bootstrap_intervals(c1[:40], c2[:40], changed[:40], edit[:40], seed=1)
    large = bootstrap_intervals(c1, c2, changed, edit, seed=1)
    m = compute_metrics(c1, c2, changed, edit)
    for name, (lo, hi) in large.items():
        assert lo <= getattr(m, name) <= hi
        assert hi - lo < small[name][1] - small[name][0]
    # a binomial proportion's 95% interval is about ±1.96 sqrt(p(1-p)/n)
    half = 1.96 * np.sqrt(m.acc_t1 * (1 - m.acc_t1) / 400)
    assert large["acc_t1"][1] - large["acc_t1"][0] == pytest.approx(2 * half, rel=0.15)


def test_summarize_breaks_down_by_subject_and_level_and_edit_ratio():
    recs = [
        EpisodeRecord("a", "Algebra", 1, ("\\boxed{1}", "\\boxed{2}"), (False, True), ("1", "2")),
        EpisodeRecord("b", "Algebra", 2, ("abcd", "abcd"), (True, True), (None, None)),
        EpisodeRecord("c", "Geometry", 2, ("abcd", "abce"), (True, False), (None, None)),
    ]
    result = summarize("X", recs, n_resamples=50)
    assert result.by_subject["Algebra"].n == 2 and result.by_subject["Geometry"].delta_c2i == 1.0
    assert result.by_level["2"].acc_t1 == 1.0 and result.by_level["1"].delta_i2c == 1.0
    assert [r.answer_changed for r in recs] == [True, False, True]
    assert [r.edit_ratio for r in recs] == [1 / 9, 0.0, 0.25]
    assert result.as_dict()["overall"]["n"] == 3


def test_zero_problems_is_an_error():
    empty = np.array([], dtype=bool)
    with pytest.raises(ValueError, match="zero problems"):
        compute_metrics(empty, empty, empty, np.array([]))
