"""The hostile-program table and a runner that aims it at a host: a file, a loopback listener,
a sentinel process and a secret in the environment.

Stdlib and verifiers.code only, so it also runs as an ordinary user under /usr/bin/python3
(`python3 tests/verifiers/hostile_programs.py` prints the outcome as JSON), which is how the
tests check the same table as root and as an unprivileged user. Each program is complete for
HOSTILE_TEST (the right answer is `f(x) == x * x`); SECRET_PATH and PORT are replaced by the
host's file and listener.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from verifiers.code import CodeTask, JudgePool, SandboxConfig
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
SECRET = "SCORE_ENV_TEST_SECRET"

# SysV IPC objects, keyrings and files outlive processes; the zygote removes them between
# programs (the next program runs as the same uid in the same IPC namespace and /tmp).
LEAVE_NOTES = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def f(x):
    shm = libc.shmget(4242, 4096, 0o1666)  # IPC_CREAT | 0666
    sem = libc.semget(4243, 1, 0o1666)
    msg = libc.msgget(4244, 0o1666)
    key = libc.syscall(248, b"user", b"note", b"x", 1, -4)  # add_key to the user keyring
    for path in NOTE_PATHS:  # writable only where the candidate shares the zygote's uid
        try:
            open(path, 'w').write('x')
        except OSError:
            pass
    for path in ('/tmp/capture', '/tmp'):
        try:
            os.chmod(path, 0)
        except OSError:
            pass
    return [shm >= 0, sem >= 0, msg >= 0, key >= 0]
"""
READ_NOTES = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def f(x):
    found = [libc.shmget(4242, 0, 0) >= 0, libc.semget(4243, 0, 0) >= 0, libc.msgget(4244, 0, 0) >= 0]
    found.append(libc.syscall(250, 10, -4, b"user", b"note", 0) >= 0)  # keyctl search @u
    found.append([p for p in NOTE_PATHS if os.path.exists(p)])
    return found
"""
NOTE_PATHS = "('/tmp/note', '/tmp/capture/note', '/note', '/dev/shm/note', '/dev/note')"
LEAVE_NOTES = LEAVE_NOTES.replace("NOTE_PATHS", NOTE_PATHS)
READ_NOTES = "import os\n" + READ_NOTES.replace("NOTE_PATHS", NOTE_PATHS)
WROTE_NOTES_TEST = "def check(candidate):\n    assert candidate(0) == [True, True, True, True]\n"
FOUND_NOTES_TEST = (
    "def check(candidate):\n    assert candidate(0) == [False, False, False, False, []]\n"
)
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
    each judge has exactly bwrap, the zygote and one spare (forked ahead for the next
    program) below it, and none is a zombie. A judge answers a pass before it collects the
    cleanup."""
    deadline = time.monotonic() + wait
    while True:
        table = process_table()
        below = {judge: descendants(judge) for judge in judges}
        left = [(p, table[p][1], table[p][2]) for p in judges if p in table]
        left += [p for found in below.values() for p in found]
        ok = all(state != "Z" for _, state, _ in left) and all(len(b) == 3 for b in below.values())
        if ok or time.monotonic() > deadline:
            return left


def left_after_close(judges: list[int], started: set[int], wait: float = 3.0) -> list[int]:
    """Any process, anywhere on the host, that is one of the closed pool's judges or may be
    one of its candidates: as root, one running as their candidate uids; as another user, one
    of our own uid that did not exist before the pool (`started`: the pids then)."""
    uids = {SandboxConfig().uid_base + p for p in judges}
    me = os.getuid()
    deadline = time.monotonic() + wait
    while True:
        left = [
            p
            for p, (_, _, uid) in process_table().items()
            if p in judges or uid in uids or (me != 0 and uid == me and p not in started)
        ]
        if not left or time.monotonic() > deadline:
            return left


def run_table(workers: int = 2) -> dict[str, Any]:
    """Run every hostile program once (two at a time, timed from here) against a fresh host,
    then an honest one; report the verdicts and what became of the host."""
    with tempfile.TemporaryDirectory(prefix="score-env-host-") as home:
        secret = Path(home) / "secret.txt"
        secret.write_text("do not touch")
        listener = socket.create_server(("127.0.0.1", 0))
        listener.setblocking(False)
        sentinel = subprocess.Popen(["sleep", "300"])
        os.environ[SECRET] = "hunter2"
        try:
            port = str(listener.getsockname()[1])
            programs = {
                name: src.replace("SECRET_PATH", repr(str(secret))).replace("PORT", port)
                for name, src in HOSTILE.items()
            }
            started = set(process_table())  # the sentinel included: it must outlive the pool
            outcome = _run(programs, workers, started)
            try:
                listener.accept()[0].close()
                outcome["listener_saw"] = True
            except BlockingIOError:
                outcome["listener_saw"] = False
            outcome["secret_text"] = secret.read_text() if secret.exists() else None
            outcome["sentinel_alive"] = sentinel.poll() is None
        finally:
            os.environ.pop(SECRET, None)
            sentinel.kill()
            sentinel.wait()
            listener.close()
    return outcome


def _run(programs: dict[str, str], workers: int, started: set[int]) -> dict[str, Any]:
    with JudgePool(workers, SandboxConfig(memory_bytes=256 << 20)) as pool:  # bombs fail fast

        def run(name: str) -> tuple[dict[str, Any], float]:
            start = time.monotonic()
            result = pool.check(CodeTask(programs[name], HOSTILE_TEST, "f"), TIMEOUT)
            return asdict(result), time.monotonic() - start

        with ThreadPoolExecutor(workers) as ex:
            results = dict(zip(programs, ex.map(run, programs), strict=True))
        honest_after = asdict(pool.check(CodeTask(HONEST, HOSTILE_TEST, "f"), TIMEOUT))
        judges = pool.judge_pids()
        during = settled(judges)
        isolation = pool.isolation
    with JudgePool(1) as one:  # one sandbox: the reader must follow the writer in it
        notes = [
            asdict(one.check(CodeTask(LEAVE_NOTES, WROTE_NOTES_TEST, "f"))),
            asdict(one.check(CodeTask(READ_NOTES, FOUND_NOTES_TEST, "f"))),
        ]
    return {
        "uid": os.getuid(),
        "isolation": isolation,
        "notes": notes,
        "results": results,
        "honest_after": honest_after,
        "during": during,
        "after": left_after_close(judges, started),
    }


if __name__ == "__main__":
    json.dump(run_table(), sys.stdout)
