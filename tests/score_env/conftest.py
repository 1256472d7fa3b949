"""Shared fixtures: the benchmark data folder beside the repository (never copied into it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from score_env.data import shared_data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "math500_test.jsonl").is_file():
        pytest.skip(
            f"benchmark data not found at {path} (<repo root>/../shared/data, or set SCORE_ENV_DATA_DIR)"
        )
    return path
