"""The metric columns and their cells, written once for every table of results.

Every table of the project (`score-env eval`, `score-env report`, the docs' Markdown tables, the
benchmark's `table.md`) takes its headers from `METRIC_LABELS`, its cells from `metric_cell` and
its layout from `plain_table` or `markdown_table`, so the same number reads the same everywhere:
percent with one decimal and no `%` sign, Δ(t1,t2) signed, an interval as `[lo, hi]`, and the
typographic minus `−` (U+2212) for negative numbers.

>>> metric_cell("delta", -0.04, (-0.058, -0.024))
'−4.0 [−5.8, −2.4]'
>>> metric_cell("acc_t1", 0.514)
'51.4'
"""

from __future__ import annotations

from collections.abc import Sequence

from score_env.evaluation import EvalResult
from score_env.metrics import METRIC_NAMES, Metrics

METRIC_LABELS: dict[str, str] = {
    "acc_t1": "Acc@t1",
    "acc_t2": "Acc@t2",
    "delta": "Δ(t1,t2)",
    "delta_i2c": "Δi→c",
    "delta_c2i": "Δc→i",
    "change_rate": "change rate",
    "edit_ratio": "edit ratio",
}
"""The header of each metric in METRIC_NAMES."""
PAPER_COLUMNS = ("acc_t1", "acc_t2", "delta", "delta_i2c", "delta_c2i")
"""The columns of the paper's Tables 1-4."""
SIGNED = frozenset({"delta"})
"""Metrics that are differences, shown with their sign."""
MINUS = "−"


def pct(value: float, signed: bool = False) -> str:
    """A fraction in percent, one decimal, no `%`: `0.514` -> `51.4`, signed `-0.04` -> `−4.0`."""
    text = f"{value * 100:+.1f}" if signed else f"{value * 100:.1f}"
    return text.replace("-", MINUS)


def metric_cell(name: str, value: float, interval: Sequence[float] | None = None) -> str:
    """The cell of metric `name`: its value in percent, then `[lo, hi]` when an interval is given."""
    if name not in METRIC_LABELS:
        raise KeyError(f"unknown metric {name!r}; expected one of {list(METRIC_LABELS)}")
    signed = name in SIGNED
    text = pct(value, signed)
    if interval is not None:
        lo, hi = interval
        text += f" [{pct(lo, signed)}, {pct(hi, signed)}]"
    return text


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table (no trailing newline)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plain_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A fixed-width text table: the first `left` columns flush left, the others flush right,
    two spaces apart, a rule under the header."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    head = line(header)
    return "\n".join([head, "-" * len(head), *(line(row) for row in rows)])


def format_table(result: EvalResult) -> str:
    """The overall metrics with 95% bootstrap intervals, then per-subject and per-level rows."""
    m = result.overall
    overall = [
        [METRIC_LABELS[k], metric_cell(k, getattr(m, k), result.intervals.get(k))]
        for k in METRIC_NAMES
    ]
    parts = [
        f"{result.env_id}: {m.n} problems, percent",
        plain_table(["metric", "value [95% interval]"], overall),
    ]
    for title, groups in (("subject", result.by_subject), ("level", result.by_level)):
        if groups:
            parts += ["", plain_table(*_group_rows(title, groups))]
    return "\n".join(parts)


def _group_rows(title: str, groups: dict[str, Metrics]) -> tuple[list[str], list[list[str]]]:
    header = [title, "n", *(METRIC_LABELS[k] for k in PAPER_COLUMNS)]
    rows = [
        [name[:26], str(g.n), *(metric_cell(k, getattr(g, k)) for k in PAPER_COLUMNS)]
        for name, g in groups.items()
    ]
    return header, rows
