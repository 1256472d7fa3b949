"""What a candidate sees from inside the sandbox, checked by trusted test code on its answers;
plus the fallback without namespaces, and no stray process after many checks."""

from __future__ import annotations

import logging
import os

import pytest
from test_code_hostile import left_after_close, settled

from verifiers.code import CodeTask, JudgePool, SandboxConfig
from verifiers.code.isolation import probe_namespaces

FACTS = """
import os, resource, socket
def facts():
    status = dict(l.split(':', 1) for l in open('/proc/self/status'))
    names = ('AS', 'CPU', 'NPROC', 'FSIZE', 'NOFILE', 'CORE')
    return {
        'uid': os.getuid(), 'euid': os.geteuid(), 'groups': os.getgroups(),
        'env': dict(os.environ), 'stdin': os.read(0, 10), 'pid': os.getpid(),
        'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),
        'paths': {p: os.path.exists(p) for p in ('/work', '/root', '/home', '/etc', '/usr/lib')},
        'ifaces': [name for _, name in socket.if_nameindex()],
        'limits': {n: resource.getrlimit(getattr(resource, 'RLIMIT_' + n)) for n in names},
        'nnp': status['NoNewPrivs'].strip(), 'caps': status['CapEff'].strip(),
        'cwd': os.getcwd(), 'cwd_files': os.listdir('.'), 'tmp': sorted(os.listdir('/tmp')),
    }
def leave_marker():
    open('marker', 'w').write('x')
    return os.listdir('.')
"""

NAMESPACE_TEST = """
def check(candidate):
    f = facts()
    assert f['uid'] >= 1000000 and f['euid'] == f['uid'] and f['groups'] == []
    assert f['env'] == {}
    assert f['stdin'] == b''
    assert f['nnp'] == '1' and int(f['caps'], 16) == 0
    assert f['limits']['AS'] == (1 << 30, 1 << 30) and f['limits']['NPROC'] == (16, 16)
    assert f['limits']['FSIZE'] == (16 << 20, 16 << 20) and f['limits']['NOFILE'] == (64, 64)
    assert f['limits']['CPU'][0] <= 5 and f['limits']['CORE'] == (0, 0)
    assert f['pids'] == [1, f['pid']]  # only the zygote and itself: no host process in view
    assert f['ifaces'] == ['lo']  # no network but its own loopback
    assert f['paths'] == {'/work': False, '/root': False, '/home': False, '/etc': False, '/usr/lib': True}
    assert f['cwd_files'] == [] and f['tmp'] == ['capture', f['cwd'].rsplit('/', 1)[1]]
    assert candidate() == ['marker']
"""


@pytest.fixture(scope="module")
def namespaces():
    reason = probe_namespaces(SandboxConfig())
    if reason is not None:
        pytest.skip(f"namespaces unavailable here: {reason}")


def test_candidate_sees_a_confined_world(namespaces):
    with JudgePool(1) as pool:
        for _ in range(3):  # the same on every program: nothing carries over (the marker)
            result = pool.check(CodeTask(FACTS, NAMESPACE_TEST, "leave_marker"))
            assert result.passed, result


PROCESS_TEST = """
def check(candidate):
    f = facts()
    assert f['uid'] >= 1000000 and f['env'] == {} and f['stdin'] == b''
    assert f['limits']['NPROC'] == (16, 16) and f['nnp'] == '1' and int(f['caps'], 16) == 0
    assert f['cwd_files'] == []
    assert candidate() == ['marker']
"""
FORK_AND_DAEMONISE = """
import os, time
for _ in range(3):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1000)
        os._exit(0)
def f(x):
    return x * x
"""
SQUARE_TEST = "def check(candidate):\n    assert candidate(3) == 9\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="the fallback drops to another uid only as root")
def test_process_fallback_still_confines_and_says_so_loudly(caplog):
    with caplog.at_level(logging.WARNING, logger="verifiers.code.isolation"):
        pool = JudgePool(1, SandboxConfig(isolation="process"))
    with pool:
        assert "SANDBOX IS WEAKER THAN INTENDED" in caplog.text
        assert pool.check(CodeTask(FACTS, PROCESS_TEST, "leave_marker")).passed
        daemons = pool.check(CodeTask(FORK_AND_DAEMONISE, SQUARE_TEST, "f"))
        assert daemons.passed, daemons
        judges = pool.judge_pids()
        left = settled(judges)  # the daemons were killed by uid: only the next spare remains
        assert sum(uid != 0 for _, _, uid in left) == 1, left
        loop = pool.check(CodeTask("def f(x):\n    while True: pass\n", SQUARE_TEST, "f"), 0.5)
        assert loop.status == "timeout"
    assert left_after_close(judges) == []


@pytest.mark.slow
def test_a_thousand_checks_leave_no_zombie_or_stray_process(namespaces):
    """10,000 run in benchmarks/bench_code_sandbox.py; here 1,000, half of them forking daemons."""
    tasks = [
        CodeTask(FORK_AND_DAEMONISE if i % 2 else "def f(x):\n    return x * x\n", SQUARE_TEST, "f")
        for i in range(1000)
    ]
    with JudgePool(2) as pool:
        results = pool.check_many(tasks)
        judges = pool.judge_pids()
        left = settled(judges)
    assert all(r.passed for r in results), [r for r in results if not r.passed][:3]
    assert all(state != "Z" for _, state, _ in left), left
    assert len(left) == 2 * 4, left  # per judge: itself, bwrap, the zygote, one spare
    assert left_after_close(judges) == []


LEAVE_NOTES = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def f(x):
    shm = libc.shmget(4242, 4096, 0o1666)  # IPC_CREAT | 0666
    sem = libc.semget(4243, 1, 0o1666)
    msg = libc.msgget(4244, 0o1666)
    key = libc.syscall(248, b"user", b"note", b"x", 1, -4)  # add_key to the user keyring
    return [shm >= 0, sem >= 0, msg >= 0, key >= 0]
"""
READ_NOTES = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def f(x):
    found = [libc.shmget(4242, 0, 0) >= 0, libc.semget(4243, 0, 0) >= 0, libc.msgget(4244, 0, 0) >= 0]
    found.append(libc.syscall(250, 10, -4, b"user", b"note", 0) >= 0)  # keyctl search @u
    return found
"""


def test_a_program_cannot_leave_a_note_for_the_next_one():
    """SysV IPC objects and keyrings outlive processes; the zygote removes them between programs
    (the next program runs as the same uid in the same IPC namespace)."""
    wrote = "def check(candidate):\n    assert candidate(0) == [True, True, True, True]\n"
    found = "def check(candidate):\n    assert candidate(0) == [False, False, False, False]\n"
    with JudgePool(1) as pool:
        assert pool.check(CodeTask(LEAVE_NOTES, wrote, "f")).passed  # they were created...
        result = pool.check(CodeTask(READ_NOTES, found, "f"))
    assert result.passed, result  # ...and gone before the next program
