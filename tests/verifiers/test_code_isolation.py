"""What a candidate sees from inside the sandbox, checked by trusted test code on its answers;
failing closed without bubblewrap, the process sandbox on request, no stray process after many
checks (the notes one program may leave the next are in hostile_programs.py)."""

from __future__ import annotations

import logging
import os
import socket

import pytest
from hostile_programs import left_after_close, settled

from verifiers.code import CodeTask, JudgePool, SandboxConfig, SandboxUnavailable, check
from verifiers.code.isolation import probe_namespaces
from verifiers.code.sandbox import UNPRIVILEGED_ID, process_table

# As root each candidate drops to its judge's uid (>= uid_base); as anyone else it is the
# unprivileged id of its user namespace.
UID_CHECK = "f['uid'] >= 1000000" if os.geteuid() == 0 else f"f['uid'] == {UNPRIVILEGED_ID}"

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
    assert UID_CHECK and f['euid'] == f['uid'] and f['groups'] == []
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
""".replace("UID_CHECK", UID_CHECK)


def test_candidate_sees_a_confined_world():
    with JudgePool(1) as pool:
        assert pool.isolation == "namespaces"
        for _ in range(3):  # the same on every program: nothing carries over (the marker)
            result = pool.check(CodeTask(FACTS, NAMESPACE_TEST, "leave_marker"))
            assert result.passed, result


CONNECT = """
import socket
def f(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=0.5).sendall(b'leak')
    except OSError as e:
        return type(e).__name__
    return 'connected'
"""


def test_a_loopback_connection_to_a_listener_on_the_host_fails():
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    test = f"def check(candidate):\n    assert candidate({port}) == 'ConnectionRefusedError'\n"
    try:
        with JudgePool(1) as pool:
            result = pool.check(CodeTask(CONNECT, test, "f"))
        assert result.passed, result  # the sandbox's own loopback has no listener on that port
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


def test_without_bubblewrap_the_first_check_fails_closed_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without bwrap
    monkeypatch.delenv("SCORE_ENV_SANDBOX", raising=False)
    probe_namespaces.cache_clear()
    try:
        config = SandboxConfig(tail_bytes=4095)  # a config no shared pool was made for yet
        with pytest.raises(SandboxUnavailable, match="apt-get install -y bubblewrap") as caught:
            check("def f(x):\n    return x * x\n", SQUARE_TEST, "f", config=config)
        assert isinstance(caught.value, RuntimeError) and "not installed" in str(caught.value)
        with pytest.raises(SandboxUnavailable, match="isolation='process'"):
            JudgePool(1, SandboxConfig(isolation="namespaces"))
        with JudgePool(1, SandboxConfig(isolation="process")) as pool:  # explicit: it runs
            assert pool.isolation == "process"
            assert pool.check(CodeTask("def f(x):\n    return x * x\n", SQUARE_TEST, "f")).passed
    finally:
        probe_namespaces.cache_clear()


def test_the_environment_variable_asks_for_the_process_sandbox(monkeypatch, caplog):
    monkeypatch.setenv("SCORE_ENV_SANDBOX", "process")
    with caplog.at_level(logging.WARNING, logger="verifiers.code.isolation"):
        with JudgePool(1, SandboxConfig(tail_bytes=4094)) as pool:
            assert pool.isolation == "process"
    assert "SANDBOX IS WEAKER THAN INTENDED" in caplog.text
    monkeypatch.setenv("SCORE_ENV_SANDBOX", "off")
    with pytest.raises(ValueError, match="SCORE_ENV_SANDBOX must be 'process' or 'namespaces'"):
        JudgePool(1)


PROCESS_TEST = """
def check(candidate):
    f = facts()
    assert f['uid'] >= 1000000 and f['env'] == {} and f['stdin'] == b''
    assert f['limits']['NPROC'] == (16, 16) and f['nnp'] == '1' and int(f['caps'], 16) == 0
    assert f['cwd_files'] == []
    assert candidate() == ['marker']
"""
SQUARE_TEST = "def check(candidate):\n    assert candidate(3) == 9\n"
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


@pytest.mark.skipif(os.geteuid() != 0, reason="the fallback drops to another uid only as root")
def test_process_fallback_still_confines_and_says_so_loudly(caplog):
    with caplog.at_level(logging.WARNING, logger="verifiers.code.isolation"):
        # a config not warned about yet: the warning is said once per config and process
        pool = JudgePool(1, SandboxConfig(isolation="process", tail_bytes=4093))
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
    assert left_after_close(judges, set()) == []


@pytest.mark.slow
def test_a_thousand_checks_leave_no_zombie_or_stray_process():
    """10,000 run in benchmarks/bench_code_sandbox.py; here 1,000, half of them forking daemons."""
    tasks = [
        CodeTask(FORK_AND_DAEMONISE if i % 2 else "def f(x):\n    return x * x\n", SQUARE_TEST, "f")
        for i in range(1000)
    ]
    started = set(process_table())
    with JudgePool(2) as pool:
        results = pool.check_many(tasks)
        judges = pool.judge_pids()
        left = settled(judges)
    assert all(r.passed for r in results), [r for r in results if not r.passed][:3]
    assert all(state != "Z" for _, state, _ in left), left
    assert len(left) == 2 * 4, left  # per judge: itself, bwrap, the zygote, one spare
    assert left_after_close(judges, started) == []
