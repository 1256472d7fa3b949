"""Hostile programs and reward hacks: each fails, the host is untouched, each returns in time;
the same table as root and as an ordinary user (uid 65534, through /usr/bin/python3).

No skip for a missing bubblewrap: the pool then raises SandboxUnavailable, whose message names
the fix, and these tests fail with it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from hostile_programs import EXPECTED_STATUS, HOSTILE, TIMEOUT, run_table

from verifiers.code import ExecResult

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"  # readable by any uid (a venv under /root is not)


def run_as(uid: int) -> dict:
    """The table run by another uid in a fresh interpreter: setpriv drops every privilege."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("running the table as another user needs root and setpriv (util-linux)")
    argv = [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all"]
    env = {"PATH": os.defpath, "HOME": "/tmp", "PYTHONPATH": str(REPO)}
    script = str(HERE / "hostile_programs.py")
    done = subprocess.run([*argv, SYSTEM_PYTHON, script], capture_output=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module", params=["this_user", "uid_65534"])
def outcomes(request):
    """The table's outcome as whoever runs the tests, and (as root) as uid 65534."""
    if request.param == "this_user":
        return json.loads(json.dumps(run_table()))  # the same plain form as the other one
    return run_as(NOBODY)


def test_there_are_at_least_30_hostile_programs():
    assert len(HOSTILE) >= 30


def test_the_table_runs_with_namespaces(outcomes):
    assert outcomes["isolation"] == "namespaces"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_fails_in_time(outcomes, name):
    fields, wall = outcomes["results"][name]
    result = ExecResult(**fields)
    assert not result.passed, result
    assert wall < TIMEOUT + 1.0, f"{name} took {wall:.2f}s"
    if name in EXPECTED_STATUS:
        expected = EXPECTED_STATUS[name]
        assert result.status in (expected if isinstance(expected, tuple) else (expected,)), result


def test_honest_program_still_passes_after_the_onslaught(outcomes):
    assert outcomes["honest_after"]["passed"], outcomes["honest_after"]


def test_host_file_intact(outcomes):
    assert outcomes["secret_text"] == "do not touch"


def test_loopback_listener_on_the_host_saw_nothing(outcomes):
    assert outcomes["listener_saw"] is False
    fields, _ = outcomes["results"]["connect_to_loopback"]
    assert "leak" not in (fields["error"] or "") and not fields["passed"]


def test_host_process_survived_kill_minus_one(outcomes):
    assert outcomes["sentinel_alive"]


def test_no_stray_or_zombie_process_between_checks(outcomes):
    """Per judge: itself, bwrap, the zygote and one spare; no zombie, nothing else."""
    left = outcomes["during"]
    assert all(state != "Z" for _, state, _ in left), left
    assert len(left) == 2 * 4, left
    if outcomes["uid"] == 0:  # as root each judge's spare runs as its own candidate uid
        assert sorted(Counter(uid for _, _, uid in left if uid != 0).values()) == [1, 1], left


def test_nothing_left_after_the_pool_closes(outcomes):
    assert outcomes["after"] == []


def test_secret_env_does_not_reach_the_candidate(outcomes):
    fields, _ = outcomes["results"]["read_secret_env"]
    assert "hunter2" not in (fields["error"] or "") + fields["stderr"]


def test_a_program_cannot_leave_a_note_for_the_next_one(outcomes):
    wrote, found = outcomes["notes"]
    assert wrote["passed"], wrote  # the notes were created...
    assert found["passed"], found  # ...and gone before the next program
