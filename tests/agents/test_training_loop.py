"""The run loop: it learns (seeded), logs, keeps the best model, resumes after SIGKILL with its
curves continuing at the same step, and two real processes (gloo DDP) match one process with the
same global batch. The learning signal is a fixed supervised dataset (`training_fixtures.GoldSFT`),
so these tests do not depend on the model being any good."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from training_fixtures import fast_overrides, save_random_tiny_model, scalars

from agents.policy import Policy
from agents.training.config import load_config
from agents.training.loop import train

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOLD = "run.method=training_fixtures:GOLD_SFT"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_random_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def _gold(model_dir: Path, out: Path, name: str, *extra: str) -> list[str]:
    return [*fast_overrides(model_dir, out, name), GOLD, "optim.lr=3e-3", *extra]


def _cli(
    overrides: list[str], *, resume: bool = False, launcher: list[str] | None = None
) -> subprocess.Popen[bytes]:
    args = [*(launcher or [sys.executable]), "-m", "agents.cli", "train", "--no-progress"]
    args += [a for o in overrides for a in ("--set", o)] + (["--resume"] if resume else [])
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _finish(proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out.decode()[-3000:]


def _weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return load_file(str(checkpoint / "model.safetensors"))


def test_seeded_run_changes_parameters_and_lowers_loss(model_dir: Path, tmp_path: Path) -> None:
    cfg = load_config(
        None,
        _gold(
            model_dir,
            tmp_path,
            "learn",
            "run.total_steps=12",
            "run.eval_every=6",
            "run.checkpoint_every=6",
        ),
    )
    result = train(cfg, progress=False)
    losses = [v for _, v in scalars(result.run_dir, "train/loss")]
    assert len(losses) == 12
    assert sum(losses[-3:]) / 3 < 0.85 * sum(losses[:3]) / 3
    before = Policy.from_pretrained(model_dir).model.state_dict()
    after = _weights(result.run_dir / "checkpoints" / "step_000012")
    assert all(torch.isfinite(t).all() for t in after.values())
    assert any(not torch.equal(before[k], after[k]) for k in after)
    # held-out evaluation at steps 0, 6, 12; the resolved config saved with the run
    assert [s for s, _ in scalars(result.run_dir, "eval/acc_t1")] == [0, 6, 12]
    assert load_config(result.run_dir / "config.yaml") == cfg
    for key in ("perf/samples_per_s", "perf/tokens_per_s", "perf/time_update", "train/grad_norm"):
        assert len(scalars(result.run_dir, key)) == 12
    # a second fresh run with the same name refuses to mix into the first
    with pytest.raises(FileExistsError, match="--resume"):
        train(cfg, progress=False)


def test_sigkill_then_resume_continues_the_same_curve(model_dir: Path, tmp_path: Path) -> None:
    # one torch thread everywhere: the same float reduction order in and out of process
    common = [
        "run.total_steps=30",
        "run.checkpoint_every=10",
        "run.eval_every=10",
        "run.torch_threads=1",
    ]
    train(load_config(None, _gold(model_dir, tmp_path, "whole", *common)), progress=False)
    killed = _gold(model_dir, tmp_path, "killed", *common)
    proc = _cli(killed)
    checkpoints = tmp_path / "killed" / "checkpoints"
    marker = checkpoints / "step_000010" / "trainer_state.json"
    deadline = time.time() + 180
    while not marker.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    time.sleep(0.1)  # a few steps past the checkpoint: work that the resume must redo
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    saved = sorted(p.name for p in checkpoints.iterdir())
    assert "step_000030" not in saved
    last_saved = max(int(n.split("_")[1].split(".")[0]) for n in saved if "tmp" not in n)
    logged = [s for s, _ in scalars(tmp_path / "killed", "train/loss")]
    # TensorBoard orders event files by the second in their names: resume in a later second,
    # as any real resume does
    time.sleep(1.1)
    train(load_config(None, killed), resume=True, progress=False)
    whole, resumed = tmp_path / "whole", tmp_path / "killed"
    # the TensorBoard curve has each step once, equal to the uninterrupted run's
    a, b = scalars(whole, "train/loss"), scalars(resumed, "train/loss")
    assert [s for s, _ in b] == list(range(1, 31)), (last_saved, logged[-3:])
    assert [v for _, v in b] == pytest.approx([v for _, v in a], rel=1e-4)
    assert [s for s, _ in scalars(resumed, "eval/acc_t1")] == [0, 10, 20, 30]
    wa, wb = (
        _weights(whole / "checkpoints/step_000030"),
        _weights(resumed / "checkpoints/step_000030"),
    )
    assert max(float((wa[k] - wb[k]).abs().max()) for k in wa) < 1e-5


def test_two_processes_match_one_with_the_same_global_batch(
    model_dir: Path, tmp_path: Path
) -> None:
    common = [
        "run.total_steps=6",
        "run.checkpoint_every=6",
        "run.eval_every=6",
        "run.cpu=true",
        "optim.grad_accum_steps=2",
    ]
    train(
        load_config(None, _gold(model_dir, tmp_path, "one", *common, "optim.micro_batch_size=8")),
        progress=False,
    )
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    two = _cli(
        _gold(model_dir, tmp_path, "two", *common, "optim.micro_batch_size=4"), launcher=torchrun
    )
    _finish(two)
    # both ranks wrote their state: it really ran as two processes
    ckpt2 = tmp_path / "two" / "checkpoints" / "step_000006"
    assert {p.name for p in ckpt2.glob("method_rank*.pt")} == {"method_rank0.pt", "method_rank1.pt"}
    la, lb = scalars(tmp_path / "one", "train/loss"), scalars(tmp_path / "two", "train/loss")
    assert [v for _, v in lb] == pytest.approx([v for _, v in la], rel=1e-4)
    wa, wb = _weights(tmp_path / "one/checkpoints/step_000006"), _weights(ckpt2)
    assert max(float((wa[k] - wb[k]).abs().max()) for k in wa) < 1e-4


def test_zero_steps_evaluates_the_base_model(model_dir: Path, tmp_path: Path) -> None:
    cfg = load_config(
        None, [*fast_overrides(model_dir, tmp_path, "base"), "run.method=star", "run.total_steps=0"]
    )
    result = train(cfg, progress=False)
    assert result.steps == 0 and result.final_eval is not None and result.final_eval.step == 0
    assert {"eval/acc_t1", "eval/acc_t2"} <= set(result.final_eval.scalars())
    assert (result.run_dir / "best" / "config.json").is_file()
