"""Results tables as committed JSON, rendered into the Markdown docs so no number is typed twice.

A table file (`docs/results/<task>_<table>.json`, or an experiment's `results.json` holding
`{"tables": {id: table}}`) is one JSON object:

    {"title": "...", "task": "SelfCorrect-Arith-v0", "about": "setup, one paragraph",
     "columns": ["method", "acc_t1", ...],          # optional: METRIC_COLUMNS by default
     "labels": {"probe": "probe"},                  # optional: headers for non-metric keys
     "rows": [{"method": "SCoRe", "acc_t1": 0.48, "delta": -0.038, "delta_ci": [-0.058, -0.022],
               ..., "command": "score-env train --config configs/score_arith.yaml"}],
     "source": "where the numbers were measured"}

Metric keys (`acc_t1`, `acc_t2`, `delta`, `delta_i2c`, `delta_c2i`, `change_rate`, `edit_ratio`)
hold fractions, as `eval.jsonl` does, and are shown in percent (`score_env.table.metric_cell`),
with its interval when the row has `METRIC_ci` (e.g. `delta_ci`); a key `TASK.METRIC` is a metric
of one of several tasks side by side (its interval `TASK.METRIC_ci`); any other key is shown as
written. `table_from_runs` builds a table from run directories, so a new table comes from
`score-env report RUNS --json docs/results/<name>.json`.
In a Markdown file, `<!-- table: PATH[#ID] -->` ... `<!-- /table -->` marks where a table is
rendered; `python docs/render.py` rewrites those blocks and `docs/results.md`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from score_env.table import METRIC_LABELS, markdown_table, metric_cell

if TYPE_CHECKING:
    from agents.training.history import EvalRecord

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "docs" / "results"
RESULTS_PAGE = ROOT / "docs" / "results.md"
METRIC_COLUMNS = ("method", "acc_t1", "acc_t2", "delta", "delta_i2c", "delta_c2i", "change_rate")
MARKER = re.compile(r"(<!-- table: (\S+) -->\n)(.*?)(<!-- /table -->)", flags=re.S)


def load_table(ref: str, root: Path = ROOT) -> dict[str, Any]:
    """The table `PATH` or `PATH#ID` names (PATH relative to the repository root)."""
    path, _, table_id = ref.partition("#")
    data = json.loads((root / path).read_text())
    if table_id:
        tables = data.get("tables", {})
        if table_id not in tables:
            raise KeyError(f"{path} has no table {table_id!r}; it has {sorted(tables)}")
        data = tables[table_id]
    if not isinstance(data.get("rows"), list) or not data["rows"]:
        raise ValueError(f"table {ref!r} needs a non-empty 'rows' list")
    return dict(data)


def _cell(key: str, row: dict[str, Any]) -> str:
    """A metric (`acc_t1`, or `TASK.acc_t1` for one of several tasks) in percent, with its
    interval `KEY_ci` when the row has one; any other value as written."""
    value = row.get(key, "")
    metric = key.rpartition(".")[2]
    if metric not in METRIC_LABELS or not isinstance(value, (int, float)):
        return str(value)
    return metric_cell(metric, value, row.get(f"{key}_ci"))


def render_table(table: dict[str, Any]) -> str:
    """The Markdown table, then how to reproduce its rows."""
    columns = table.get("columns", METRIC_COLUMNS)
    labels = {**METRIC_LABELS, **table.get("labels", {})}
    header = [labels.get(c, c) for c in columns]
    lines = [markdown_table(header, [[_cell(c, row) for c in columns] for row in table["rows"]])]
    commands = list(dict.fromkeys(row["command"] for row in table["rows"] if row.get("command")))
    if commands:
        lines += ["", "Reproduce:", "", "```bash", *commands, "```"]
    return "\n".join(lines) + "\n"


def render_section(table: dict[str, Any], level: str = "##") -> str:
    """Title, setup paragraph and table, as `docs/results.md` shows each one."""
    parts = [f"{level} {table['title']}", ""]
    if table.get("task"):
        parts += [f"Task: `{table['task']}`. {table.get('about', '')}".rstrip(), ""]
    elif table.get("about"):
        parts += [table["about"], ""]
    return "\n".join(parts) + render_table(table)


def fill_markers(text: str, root: Path = ROOT) -> str:
    """`text` with every `<!-- table: REF -->` block re-rendered from its JSON."""
    return MARKER.sub(
        lambda m: m.group(1) + render_table(load_table(m.group(2), root)) + m.group(4), text
    )


def table_refs(root: Path = ROOT) -> list[str]:
    """Every table in the repository: `docs/results/*.json`, then each experiment's tables."""
    refs = [str(p.relative_to(root)) for p in sorted((root / "docs" / "results").glob("*.json"))]
    for path in sorted((root / "experiments").glob("*/results.json")):
        for table_id in json.loads(path.read_text()).get("tables", {}):
            refs.append(f"{path.relative_to(root)}#{table_id}")
    return refs


def render_results_page(root: Path = ROOT) -> str:
    """`docs/results.md`: every table, grouped by the task it measures."""
    head = (
        "# Results\n\nEvery table of the project, rendered by `python docs/render.py` from the "
        "JSON file named under its title; each row says how to reproduce it. Percent of held-out "
        "problems unless a column says otherwise; Δ(t1,t2) = Δi→c − Δc→i.\n"
    )
    sections = []
    for ref in table_refs(root):
        table = load_table(ref, root)
        sections.append(render_section(table) + f"\nData: [`{ref}`](../{ref.split('#')[0]})\n")
    return head + "\n" + "\n".join(sections)


def rendered_files(root: Path = ROOT) -> dict[Path, str]:
    """Each Markdown file the renderer owns, with the text it should have."""
    out = {root / "docs" / "results.md": render_results_page(root)}
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    pages += sorted((root / "experiments").glob("*/README.md"))
    for page in pages:
        if page.name != "results.md" or page.parent != root / "docs":
            out[page] = fill_markers(page.read_text(), root)
    return out


def side_by_side(
    refs: dict[str, str], title: str, about: str = "", root: Path = ROOT
) -> dict[str, Any]:
    """One table with a row per method and each task's Acc@t1, Acc@t2 and Δ side by side, from
    the tables `refs` names (task name -> table ref); a method missing from a task is blank.
    A seeded row `SCoRe (seed 0)` stands for `SCoRe`."""
    per_task = {task: load_table(ref, root) for task, ref in refs.items()}
    methods: dict[str, dict[str, Any]] = {}
    for task, table in per_task.items():
        for row in table["rows"]:
            method = "SCoRe" if row["method"] == "SCoRe (seed 0)" else row["method"]
            if method.startswith("SCoRe (seed"):
                continue
            out = methods.setdefault(method, {"method": method})
            for key in ("acc_t1", "acc_t2", "delta", "delta_ci"):
                if key in row:
                    out[f"{task}.{key}"] = row[key]
    columns = ["method"] + [f"{t}.{k}" for t in refs for k in ("acc_t1", "acc_t2", "delta")]
    labels = {f"{t}.{k}": f"{t} {METRIC_LABELS[k]}" for t in refs for k in METRIC_LABELS}
    return {
        "title": title,
        "about": about,
        "columns": columns,
        "labels": labels,
        "rows": list(methods.values()),
        "source": "agents.results_tables.side_by_side(" + repr(refs) + ")",
    }


def table_from_runs(
    run_dirs: Sequence[Path], title: str, task: str, about: str = ""
) -> dict[str, Any]:
    """A table of each run's last held-out evaluation, as `score-env report --json` writes it."""
    from agents.training.report import load_run

    rows = []
    for run_dir in run_dirs:
        run = load_run(run_dir)
        config = ROOT / "configs" / f"{run.name}.yaml"
        source = f"configs/{run.name}.yaml" if config.is_file() else f"{run_dir}/config.yaml"
        row = {"method": run.method, "run": run.name, "step": run.step}
        row.update(table_row(run.method, run.last))
        row["command"] = f"score-env train --config {source}"
        rows.append(row)
    return {"title": title, "task": task, "about": about, "rows": rows}


def table_row(method: str, record: EvalRecord) -> dict[str, Any]:
    """The row of a table file for one evaluation: every metric, and Δ's 95% interval."""
    row: dict[str, Any] = {"method": method, "n": record.metrics.n}
    row.update({k: getattr(record.metrics, k) for k in METRIC_LABELS})
    if "delta" in record.intervals:
        row["delta_ci"] = list(record.intervals["delta"])
    return row
