"""Hostile actions on a run directory: a second process on a locked run, flipped bytes in a
checkpoint, a truncated RNG state, a partial last line of eval.jsonl, a kill in the middle of
replacing `best/`. Each must fail loudly naming what is wrong, or recover without losing data."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from training_fixtures import fast_overrides, save_random_tiny_model

from agents.cli import main
from agents.training.checkpoint import Checkpointer
from agents.training.config import load_config
from agents.training.logger import read_history
from agents.training.loop import train
from agents.training.rundir import (
    CheckpointError,
    RunLock,
    RunLockedError,
    recover_dir,
    replace_dir,
    verify_manifest,
    write_manifest,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOLD = "run.method=training_fixtures:GOLD_SFT"
STEPS = ["run.checkpoint_every=2", "run.eval_every=2", "run.torch_threads=1"]


def _overrides(model_dir: Path, out: Path, name: str, total: int) -> list[str]:
    return [*fast_overrides(model_dir, out, name), GOLD, *STEPS, f"run.total_steps={total}"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_random_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def finished(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-step run with checkpoints at steps 2 and 4 and evaluations at 0, 2, 4."""
    out = tmp_path_factory.mktemp("runs")
    train(load_config(None, _overrides(model_dir, out, "base", 4)), progress=False)
    return out / "base"


def _copy(run: Path, tmp_path: Path) -> Path:
    """A private copy of the finished run (under the same name, so its config still fits)."""
    target = tmp_path / run.name
    shutil.copytree(run, target)
    return target


def _resume(model_dir: Path, run: Path, total: int = 6) -> None:
    cfg = load_config(None, _overrides(model_dir, run.parent, run.name, total))
    train(cfg, resume=True, progress=False)


def _flip(path: Path, n: int = 4096) -> None:
    data = bytearray(path.read_bytes())
    start = len(data) // 2
    data[start : start + n] = bytes(b ^ 0xFF for b in data[start : start + n])
    path.write_bytes(bytes(data))


def test_a_second_process_on_a_locked_run_exits_at_once(model_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "busy"
    args = [sys.executable, "-m", "agents.cli", "train", "--no-progress"]
    args += [a for o in _overrides(model_dir, tmp_path, "busy", 2) for a in ("--set", o)]
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"}
    for resume in ([], ["--resume"]):
        with RunLock(run):
            proc = subprocess.run(
                args + resume, env=env, capture_output=True, text=True, timeout=120
            )
        assert proc.returncode == 2, proc.stderr
        first = proc.stderr.strip().splitlines()[0]
        assert str(run) in first and f"PID {os.getpid()}" in first, proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (run / "checkpoints").exists()  # it stopped before writing anything


def test_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    code = f"from agents.training.rundir import RunLock; RunLock({str(tmp_path)!r}).acquire(); "
    holder = subprocess.Popen(
        [sys.executable, "-c", code + "print('held', flush=True); import time; time.sleep(60)"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(RunLockedError, match=f"PID {holder.pid}"):
        RunLock(tmp_path).acquire()
    holder.kill()
    holder.wait()
    with RunLock(tmp_path):  # SIGKILL released it: no stale lock to clean up
        pass


def test_flipped_bytes_fall_back_to_the_previous_checkpoint(
    model_dir: Path, finished: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = _copy(finished, tmp_path)
    damaged = run / "checkpoints/step_000004/model.safetensors"
    _flip(damaged)
    with caplog.at_level(logging.WARNING):
        _resume(model_dir, run)
    assert str(damaged) in caplog.text and "damaged" in caplog.text
    # resumed from step 2: steps 3-6 were trained again and evaluated at 4 and 6
    assert [r.step for r in read_history(run)] == [0, 2, 4, 6]
    assert verify_manifest(run / "checkpoints/step_000006") is None


def test_no_intact_checkpoint_refuses_naming_the_file(
    model_dir: Path, finished: Path, tmp_path: Path
) -> None:
    run = _copy(finished, tmp_path)
    for step in (2, 4):
        _flip(run / f"checkpoints/step_{step:06d}/model.safetensors")
    with pytest.raises(CheckpointError, match="step_000002/model.safetensors is damaged"):
        _resume(model_dir, run)


def test_a_truncated_checkpoint_file_is_named(finished: Path, tmp_path: Path) -> None:
    run = _copy(finished, tmp_path)
    optimizer = run / "checkpoints/step_000004/optimizer.bin"
    optimizer.write_bytes(optimizer.read_bytes()[:100])
    problem = verify_manifest(optimizer.parent)
    assert problem is not None and str(optimizer) in problem
    (optimizer.parent / "manifest.json").unlink()
    assert "manifest.json is missing" in str(verify_manifest(optimizer.parent))


def test_an_unreadable_rng_state_is_an_error(finished: Path, tmp_path: Path) -> None:
    from accelerate import Accelerator

    run = _copy(finished, tmp_path)
    checkpoint = run / "checkpoints/step_000004"
    rng = checkpoint / "random_states_0.pkl"
    rng.write_bytes(rng.read_bytes()[:20])
    write_manifest(checkpoint)  # even with a manifest that matches, it is refused
    with pytest.raises(CheckpointError, match="random_states_0.pkl is unreadable"):
        Checkpointer(run, Accelerator(cpu=True)).load(checkpoint)


def test_a_partial_last_eval_line_is_skipped_by_resume_and_report(
    model_dir: Path,
    finished: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = _copy(finished, tmp_path)
    history = run / "eval.jsonl"
    with open(history, "a") as f:
        f.write('{"step": 6, "metrics": {"eval/acc_t')  # a kill in the middle of the append
    lines = len(history.read_text().splitlines())
    with caplog.at_level(logging.WARNING):
        assert main(["report", str(run), "--plot", str(tmp_path / "acc.png")]) == 0
    assert f"{history}: skipping line {lines}" in caplog.text
    table = capsys.readouterr().out
    assert table.splitlines()[2].split()[:4] == ["base", "Arith", "training_fixtures:GOLD_SFT", "4"]
    _resume(model_dir, run)
    assert [r.step for r in read_history(run)] == [0, 2, 4, 6]
    # a broken line that is not the last is not a crash's trace: an error naming file and line
    history.write_text("not json\n" + history.read_text())
    with pytest.raises(ValueError, match=r"eval.jsonl: line 1 is not a JSON"):
        read_history(run)


def test_eval_lines_are_whole_json_rows(finished: Path) -> None:
    rows = [json.loads(line) for line in (finished / "eval.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 2, 4]
    assert set(rows[0]) == {"step", "metrics", "intervals_95"}


def test_best_is_replaced_by_renames_and_a_killed_swap_recovers(tmp_path: Path) -> None:
    best, new = tmp_path / "best", tmp_path / "best.tmp"
    best.mkdir()
    (best / "best.json").write_text("old")
    new.mkdir()
    (new / "best.json").write_text("new")
    replace_dir(new, best)
    assert (best / "best.json").read_text() == "new" and not new.exists()
    assert not (tmp_path / "best.old").exists()
    # a kill after `best` -> `best.old` and before `best.tmp` -> `best`
    best.rename(tmp_path / "best.old")
    recover_dir(best)
    assert (best / "best.json").read_text() == "new"
    # a kill after the second rename, before `best.old` was removed
    (tmp_path / "best.old").mkdir()
    recover_dir(best)
    assert not (tmp_path / "best.old").exists() and best.is_dir()
