"""Plain-text tables of an EvalResult, as printed by `score-env eval`."""

from __future__ import annotations

from score_env.evaluation import EvalResult
from score_env.metrics import Metrics

_ROWS = (
    ("Accuracy@t1", "acc_t1"),
    ("Accuracy@t2", "acc_t2"),
    ("Δ(t1,t2)", "delta"),
    ("Δ i→c", "delta_i2c"),
    ("Δ c→i", "delta_c2i"),
    ("answer changed", "change_rate"),
    ("edit-distance ratio", "edit_ratio"),
)
_SIGNED = ("delta",)


def _pct(value: float, signed: bool = False) -> str:
    return f"{value * 100:+.1f}%" if signed else f"{value * 100:.1f}%"


def format_table(result: EvalResult) -> str:
    """The overall metrics with 95% bootstrap intervals, then per-subject and per-level rows."""
    m = result.overall
    lines = [f"{result.env_id}: {m.n} problems", f"{'metric':<22}{'value':>9}   95% CI"]
    for label, key in _ROWS:
        lo, hi = result.intervals[key]
        signed = key in _SIGNED
        lines.append(
            f"{label:<22}{_pct(getattr(m, key), signed):>9}   [{_pct(lo, signed)}, {_pct(hi, signed)}]"
        )
    for title, groups in (("subject", result.by_subject), ("level", result.by_level)):
        if groups:
            lines += ["", _group_header(title), *(_group_row(k, g) for k, g in groups.items())]
    return "\n".join(lines)


def _group_header(title: str) -> str:
    return f"{title:<26}{'n':>5}{'Acc@t1':>9}{'Acc@t2':>9}{'Δ':>8}{'Δi→c':>8}{'Δc→i':>8}"


def _group_row(name: str, g: Metrics) -> str:
    return (
        f"{name[:26]:<26}{g.n:>5}{_pct(g.acc_t1):>9}{_pct(g.acc_t2):>9}"
        f"{_pct(g.delta, True):>8}{_pct(g.delta_i2c):>8}{_pct(g.delta_c2i):>8}"
    )
