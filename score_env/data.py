"""Loading benchmark records: by path (JSON-lines, a JSON array, or a folder of per-problem JSON
files), from the shared data folder beside the repository, or from the Hugging Face hub.

Data files are never copied into the repository: the default place is `<repo root>/../shared/data`
(override with SCORE_ENV_DATA_DIR), and each task also takes `data_path=` or its own env var.
"""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

Record = dict[str, Any]


def shared_data_dir() -> Path:
    """SCORE_ENV_DATA_DIR, else `<repo root>/../shared/data` (the layout of these machines)."""
    override = os.environ.get("SCORE_ENV_DATA_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def read_records(path: str | Path) -> list[Record]:
    """All records under `path` (copies, so callers may edit them). Raises FileNotFoundError."""
    p = Path(path).resolve()
    stamp = p.stat().st_mtime_ns if p.exists() else 0  # a rewritten file is read again
    return [dict(r) for r in _read_cached(str(p), stamp)]


@lru_cache(maxsize=16)
def _read_cached(path: str, stamp: int) -> tuple[Record, ...]:
    p = Path(path)
    if p.is_dir():
        return tuple(_read_folder(p))
    if not p.is_file():
        raise FileNotFoundError(
            f"no data at {p}; expected a .jsonl/.json file or a folder of .json"
        )
    text = p.read_text(encoding="utf-8")
    if p.suffix == ".jsonl":
        return tuple(
            _json_line(line, p, i) for i, line in enumerate(text.splitlines()) if line.strip()
        )
    data = json.loads(text)
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        return tuple(data)
    raise ValueError(
        f"{p}: expected a JSON array of objects (or use .jsonl), got {type(data).__name__}"
    )


def _json_line(line: str, path: Path, index: int) -> Record:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}:{index + 1}: not valid JSON: {err}") from err
    if not isinstance(record, dict):
        raise ValueError(f"{path}:{index + 1}: expected a JSON object, got {type(record).__name__}")
    return record


def _read_folder(root: Path) -> list[Record]:
    """The original MATH layout: `<root>/<subject>/<n>.json`, one problem per file. Each record
    gets `unique_id` = its path relative to the root's parent (`test/algebra/1.json`, as PRM800K)."""
    files = sorted(root.rglob("*.json"), key=lambda f: (f.parent.as_posix(), _numeric_stem(f)))
    if not files:
        raise FileNotFoundError(f"no .json files under {root}")
    records = []
    for f in files:
        record = json.loads(f.read_text(encoding="utf-8"))
        record.setdefault("unique_id", f.relative_to(root.parent).as_posix())
        records.append(record)
    return records


def _numeric_stem(f: Path) -> tuple[int, str]:
    return (int(f.stem), "") if f.stem.isdigit() else (1 << 62, f.stem)


def load_hub(name: str, split: str, config: str | None = None) -> list[Record]:
    """Records of a hub dataset through `datasets` (the optional `hub` extra); needs network."""
    try:
        import datasets  # lazily: a heavy optional dependency
    except ImportError as err:
        raise ImportError(
            f"loading {name!r} from the hub needs the `datasets` package (pip install "
            "'score-env[hub]'); or pass data_path= to a local copy"
        ) from err
    logger.info("loading %s (%s, %s) from the Hugging Face hub", name, config, split)
    return [dict(r) for r in datasets.load_dataset(name, config, split=split)]


def resolve_path(data_path: str | Path | None, env_var: str, default_name: str) -> Path | None:
    """`data_path`, else $`env_var`, else the shared data folder's `default_name` if it exists.

    A directory given by argument or env var that holds `default_name` resolves to that file.
    Returns None when nothing local is found (callers then try the hub).
    """
    given = data_path if data_path is not None else os.environ.get(env_var)
    if given:
        p = Path(given)
        if p.is_dir() and (p / default_name).is_file():
            return p / default_name
        if not p.exists():
            source = "data_path" if data_path is not None else f"${env_var}"
            raise FileNotFoundError(f"{source} = {str(given)!r} does not exist")
        return p
    default = shared_data_dir() / default_name
    return default if default.is_file() else None
