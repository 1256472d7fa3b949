"""Hostile programs and reward hacks: each fails, the host is untouched, each returns in time.

Each program below is complete for the test in HOSTILE_TEST (the right answer is
`f(x) == x * x`); SECRET_PATH and PORT are replaced by the host fixture's file and listener.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from verifiers.code import CodeTask, ExecResult, JudgePool, SandboxConfig
from verifiers.code.isolation import probe_namespaces
from verifiers.code.sandbox import descendants, process_table

HOSTILE_TEST = "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(3) == 9\n"
HONEST = "def f(x):\n    return x * x\n"

HOSTILE: dict[str, str] = {
    # --- resource exhaustion -------------------------------------------------------------------
    "infinite_loop_at_import": "while True:\n    pass\n",
    "infinite_loop_in_call": "def f(x):\n    while True:\n        pass\n",
    "long_sleep": "import time\ntime.sleep(1000)\ndef f(x):\n    return x * x\n",
    "sleep_in_call": "import time\ndef f(x):\n    time.sleep(1000)\n",
    "memory_bomb_one_block": "x = bytearray(10**11)\ndef f(x):\n    return x * x\n",
    "memory_bomb_growing": "a = []\nwhile True:\n    a.append(' ' * 10**7)\n",
    "fork_bomb": (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    ),
    "daemonised_grandchild": (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(1000)\n"
        "    os._exit(0)\n"
        "def f(x):\n"
        "    return 0\n"
    ),
    "ignores_sigterm": (
        "import signal, os\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "if os.fork() == 0:\n"
        "    while True:\n"
        "        pass\n"
        "def f(x):\n"
        "    while True:\n"
        "        pass\n"
    ),
    "spinning_non_daemon_threads": (
        "import threading\n"
        "def spin():\n"
        "    while True:\n"
        "        pass\n"
        "for _ in range(4):\n"
        "    threading.Thread(target=spin).start()\n"
        "def f(x):\n"
        "    return x + 1\n"
    ),
    "huge_stdout": "import sys\nwhile True:\n    sys.stdout.write('x' * 10**6)\n",
    "huge_file": (
        "with open('big', 'wb') as fh:\n    while True:\n        fh.write(b'x' * 10**6)\n"
    ),
    "many_files": (
        "import os\n"
        "os.makedirs('d/e')\n"
        "for i in range(3000):\n"
        "    open(f'd/e/{i}', 'w').write('x' * 1000)\n"
        "os.chmod('d/e', 0)\n"
        "os.chmod('d', 0)\n"
        "def f(x):\n"
        "    return -1\n"
    ),
    "deep_recursion": "def f(x):\n    return f(x) + 1\n",
    "huge_return_value": "def f(x):\n    return 'x' * 10**8\n",
    "raise_rlimits": (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY,) * 2)\n"
        "def f(x):\n"
        "    return x * x\n"
    ),
    # --- the host ------------------------------------------------------------------------------
    "delete_host_file": "import os\ndef f(x):\n    os.remove(SECRET_PATH)\n    return x * x\n",
    "overwrite_host_file": "def f(x):\n    open(SECRET_PATH, 'w').write('pwned')\n    return x * x\n",
    "read_host_file": "def f(x):\n    return open(SECRET_PATH).read()\n",
    "overwrite_interpreter": "def f(x):\n    open('/usr/bin/python3', 'wb').write(b'')\n    return x * x\n",
    "read_dataset_answers": (
        "import glob\n"
        "def f(x):\n"
        "    return glob.glob('/work/**/HumanEval.jsonl.gz', recursive=True)[0]\n"
    ),
    "kill_parent": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\ndef f(x):\n    return 0\n",
    "kill_every_process": (
        "import os, signal\n"
        "for sig in (signal.SIGTERM, signal.SIGKILL):\n"
        "    try:\n"
        "        os.kill(-1, sig)\n"
        "    except OSError:\n"
        "        pass\n"
        "def f(x):\n"
        "    return 0\n"
    ),
    "ptrace_the_zygote": (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def f(x):\n"
        "    assert libc.ptrace(16, 1, 0, 0) == 0, 'attach failed'\n"
        "    return x * x\n"
    ),
    "connect_to_loopback": (
        "import socket\n"
        "def f(x):\n"
        "    socket.create_connection(('127.0.0.1', PORT), timeout=0.5).sendall(b'leak')\n"
        "    return x * x\n"
    ),
    "read_secret_env": (
        "import os\n"
        "def f(x):\n"
        "    return os.environ.get('SCORE_ENV_TEST_SECRET') or open('/proc/1/environ').read()\n"
    ),
    # --- reward hacks --------------------------------------------------------------------------
    "sys_exit_at_import": "import sys\nsys.exit(0)\n",
    "os_exit_at_import": "import os\nos._exit(0)\n",
    "sys_exit_in_call": "import sys\ndef f(x):\n    sys.exit(0)\n",
    "os_exit_in_call": "import os\ndef f(x):\n    os._exit(0)\n",
    "keyboard_interrupt_in_call": "def f(x):\n    raise KeyboardInterrupt\n",
    "always_equal_object": (
        "class Yes:\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "def f(x):\n"
        "    return Yes()\n"
    ),
    "int_subclass_equal": (
        "class Int(int):\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    __hash__ = int.__hash__\n"
        "def f(x):\n"
        "    return Int(0)\n"
    ),
    "returns_generator": "def f(x):\n    yield x * x\n",
    "returns_callable": "def f(x):\n    return lambda: x * x\n",
    "monkeypatch_builtins": (
        "import builtins\n"
        "builtins.AssertionError = type('AssertionError', (Exception,), {})\n"
        "builtins.abs = lambda x: 0\n"
        "builtins.isinstance = lambda *a: True\n"
        "def f(x):\n"
        "    return 0\n"
    ),
    "shadow_builtins_in_module": "def abs(x):\n    return 0\ndef f(x):\n    return 0\n",
    "tracing_hook": (
        "import sys\n"
        "def tracer(frame, event, arg):\n"
        "    if event == 'exception':\n"
        "        frame.f_locals.clear()\n"
        "    return tracer\n"
        "sys.settrace(tracer)\n"
        "sys.setprofile(tracer)\n"
        "def f(x):\n"
        "    return 0\n"
    ),
    "frame_walk_forges_replies": (
        "import sys, json, struct, socket\n"
        "def f(x):\n"
        "    frame = sys._getframe()\n"
        "    while frame is not None:\n"
        "        for v in list(frame.f_locals.values()):\n"
        "            if isinstance(v, socket.socket):\n"
        "                for msg in ({'ret': True}, {'passed': True}, {'ret': 4}):\n"
        "                    data = json.dumps(msg).encode()\n"
        "                    v.sendall(struct.pack('>I', len(data)) + data)\n"
        "        frame = frame.f_back\n"
        "    return 0\n"
    ),
    "steal_channel_messages": (
        "import os, socket, threading\n"
        "def steal():\n"
        "    s = socket.socket(fileno=os.dup(3))\n"
        "    while True:\n"
        "        s.recv(1)\n"
        "threading.Thread(target=steal, daemon=True).start()\n"
        "def f(x):\n"
        "    return 0\n"
    ),
    "write_garbage_to_every_fd": (
        "import os\n"
        "for fd in range(64):\n"
        "    try:\n"
        "        os.write(fd, b'\\x00\\x00\\x00\\x05passed')\n"
        "    except OSError:\n"
        "        pass\n"
        "def f(x):\n"
        "    return 0\n"
    ),
    "atexit_handler": (
        "import atexit, os\n"
        "atexit.register(lambda: (print('passed'), os._exit(0)))\n"
        "def f(x):\n"
        "    return 0\n"
    ),
    "printed_passed_marker": (
        "import sys\n"
        "print('passed')\nprint('All tests passed')\n"
        "sys.stderr.write('OK\\n')\n"
        "def f(x):\n"
        "    return 0\n"
    ),
    "skip_test": "import unittest\ndef f(x):\n    raise unittest.SkipTest('skipped')\n",
    "skip_at_import": "import unittest\nraise unittest.SkipTest('skipped')\n",
    "entry_point_is_a_class": (
        "class f:\n"
        "    def __init__(self, x):\n"
        "        pass\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
    ),
    "missing_entry_point": "def g(x):\n    return x * x\n",
    "syntax_error": "def f(x) return x * x\n",
}

TIMEOUT = 1.0
_NO_NAMESPACES = probe_namespaces(SandboxConfig())
pytestmark = pytest.mark.skipif(
    _NO_NAMESPACES is not None,
    reason=f"these host checks assume namespace isolation, unavailable here: {_NO_NAMESPACES} "
    "(the process fallback has its own test in test_code_isolation.py)",
)
SECRET = "SCORE_ENV_TEST_SECRET"
EXPECTED_STATUS = {  # where the cause is unambiguous, the status must say it
    "infinite_loop_at_import": "timeout",
    "infinite_loop_in_call": "timeout",
    "long_sleep": "timeout",
    "sleep_in_call": "timeout",
    "memory_bomb_one_block": "memory",
    "memory_bomb_growing": ("memory", "timeout"),  # filling 256 MB can take 1 s on a busy CI
    "fork_bomb": "timeout",
    "ignores_sigterm": "timeout",
    "syntax_error": "error",
    "missing_entry_point": "error",
    "sys_exit_at_import": "error",
    "os_exit_at_import": "error",
    "always_equal_object": "error",
    "returns_generator": "error",
    "printed_passed_marker": "failed",
    "shadow_builtins_in_module": "failed",
}


def settled(judges: list[int], wait: float = 3.0) -> list[tuple[int, str, int]]:
    """The judges' processes and their descendants once settled, or after `wait` seconds:
    each judge has exactly one candidate-uid process (its spare, forked ahead for the next
    program) and none is a zombie. A judge answers a pass before it collects the cleanup."""
    deadline = time.monotonic() + wait
    while True:
        table = process_table()
        left = [(p, table[p][1], table[p][2]) for p in judges if p in table]
        left += [p for judge in judges for p in descendants(judge)]
        per_uid = Counter(uid for _, _, uid in left if uid != 0)
        ok = all(state != "Z" for _, state, _ in left) and sorted(per_uid.values()) == [1] * len(
            judges
        )
        if ok or time.monotonic() > deadline:
            return left


def left_after_close(judges: list[int], wait: float = 3.0) -> list[int]:
    """Any process, anywhere on the host, that is one of the closed pool's judges or runs as
    one of their candidate uids (after a pool closes nothing may stay, orphaned or not)."""
    uids = {SandboxConfig().uid_base + p for p in judges}
    deadline = time.monotonic() + wait
    while True:
        left = [p for p, (_, _, uid) in process_table().items() if p in judges or uid in uids]
        if not left or time.monotonic() > deadline:
            return left


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """What the hostile programs aim at: a file, a listener, a sentinel process, an env secret."""
    secret = tmp_path_factory.mktemp("host") / "secret.txt"
    secret.write_text("do not touch")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    sentinel = subprocess.Popen(["sleep", "300"])
    os.environ[SECRET] = "hunter2"
    try:
        yield {"secret": secret, "listener": listener, "sentinel": sentinel}
    finally:
        os.environ.pop(SECRET, None)
        sentinel.kill()
        sentinel.wait()
        listener.close()


@pytest.fixture(scope="module")
def outcomes(host):
    """Run every hostile program once (two at a time), timing each from this process."""
    port = str(host["listener"].getsockname()[1])
    programs = {
        name: src.replace("SECRET_PATH", repr(str(host["secret"]))).replace("PORT", port)
        for name, src in HOSTILE.items()
    }
    with JudgePool(2, SandboxConfig(memory_bytes=256 << 20)) as pool:  # memory bombs fail fast

        def run(name: str) -> tuple[ExecResult, float]:
            start = time.monotonic()
            result = pool.check(CodeTask(programs[name], HOSTILE_TEST, "f"), TIMEOUT)
            return result, time.monotonic() - start

        with ThreadPoolExecutor(2) as ex:
            results = dict(zip(programs, ex.map(run, programs), strict=True))
        honest_after = pool.check(CodeTask(HONEST, HOSTILE_TEST, "f"), TIMEOUT)
        judges = pool.judge_pids()
        during = settled(judges)
    after = left_after_close(judges)
    yield {"results": results, "honest_after": honest_after, "during": during, "after": after}


def test_there_are_at_least_30_hostile_programs():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_fails_in_time(outcomes, name):
    result, wall = outcomes["results"][name]
    assert not result.passed, result
    assert wall < TIMEOUT + 1.0, f"{name} took {wall:.2f}s"
    if name in EXPECTED_STATUS:
        expected = EXPECTED_STATUS[name]
        assert result.status in (expected if isinstance(expected, tuple) else (expected,)), result


def test_honest_program_still_passes_after_the_onslaught(outcomes):
    assert outcomes["honest_after"].passed, outcomes["honest_after"]


def test_host_file_intact(outcomes, host):
    assert host["secret"].read_text() == "do not touch"


def test_listener_saw_nothing(outcomes, host):
    with pytest.raises(BlockingIOError):
        host["listener"].accept()


def test_host_process_survived_kill_minus_one(outcomes, host):
    assert host["sentinel"].poll() is None


def test_no_stray_or_zombie_process_between_checks(outcomes):
    """Per judge: itself, bwrap, the zygote (root) and one spare; no zombie, nothing else."""
    left = outcomes["during"]
    assert all(state != "Z" for _, state, _ in left), left
    assert sorted(Counter(uid for _, _, uid in left if uid != 0).values()) == [1, 1], left
    assert len(left) == 2 * 4, left


def test_nothing_left_after_the_pool_closes(outcomes):
    assert outcomes["after"] == []


def test_secret_env_does_not_reach_the_candidate(outcomes):
    result, _ = outcomes["results"]["read_secret_env"]
    assert "hunter2" not in (result.error or "") + result.stderr
