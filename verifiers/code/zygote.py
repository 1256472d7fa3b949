"""The pre-started sandbox server: forks one confined child per program, then kills everything.

Runs inside the sandbox under the system interpreter (`python3 -I -S zygote.py CONFIG`), started
once per judge: a fork costs ~2 ms where a fresh sandboxed interpreter costs ~26 ms. Under bwrap
it is PID 1 of its own PID namespace, so a candidate cannot signal it, every orphan is reparented
to it, and `kill(-1)` from it reaches every process in the namespace and nothing outside.

Per program, over the control socket:
  1. fork a *spare* ahead of time: the child takes its own session, /dev/null as stdin, capture
     files as stdout/stderr, its private work directory and rlimits, drops to the unprivileged
     uid and waits for its program. Send the judge one byte carrying the spare's channel socket
     (SCM_RIGHTS);
  2. the judge sends the program straight to the spare and calls it; then {"op": "finish"};
  3. SIGKILL every process left, reap them all, read the capture tails, remove the work dir;
     reply with the leftovers {"exit": ..., "stdout": tail, "stderr": tail}; back to 1.
The spare is forked only after the previous program's processes are all dead, so no program
ever shares the sandbox with the next one's process.
Stdlib only, no package imports: this file is bind-mounted alone beside channel.py.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import platform
import resource
import shutil
import signal
import socket
import stat
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import candidate  # type: ignore[import-not-found]  # noqa: E402
from channel import ChannelError, recv_msg, send_msg  # type: ignore[import-not-found]  # noqa: E402

# Imported here once so that a candidate's `import re` costs nothing after the fork.
PREIMPORT = (
    "array bisect cmath collections copy datetime decimal fractions functools hashlib heapq "
    "itertools math operator random re statistics string typing"
).split()
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 4, 36, 38
IPC_RMID, KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = 0, 7, -4, -5
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(platform.machine())
_libc = ctypes.CDLL(None, use_errno=True)


def main(config: dict[str, Any]) -> None:
    for name in PREIMPORT:
        __import__(name)
    if config["pid1"]:
        # PID 1 gets only the signals it handles; Python handles SIGINT, and a candidate that
        # shares our uid (an unprivileged user namespace) must not be able to stop us with it.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    else:  # without a PID namespace, orphans must come back to us to be reaped
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace or /proc/pid/mem from a same-uid candidate
    root = config["workroot"]
    os.makedirs(os.path.join(root, "capture"), mode=0o700, exist_ok=True)
    config["workroot_mode"] = stat.S_IMODE(os.stat(root).st_mode)
    ctrl = socket.socket(fileno=config["ctrl_fd"])
    gc.freeze()  # keep the zygote's heap shared after fork
    for n in range(1 << 62):
        paths = _paths(root, n)
        pid, judge_end = _spawn(config, paths)  # the spare for the next program, set up ahead
        try:
            socket.send_fds(ctrl, [b"C"], [judge_end])
        except OSError:
            return  # the judge is gone
        finally:
            os.close(judge_end)
        try:
            finish = recv_msg(ctrl, None, 1 << 16).get("op") == "finish"
        except ChannelError:
            finish = False  # the judge hung up
        leftovers = _cleanup(config, pid, paths)
        try:
            if finish:  # answer before forking the next spare: the judge is waiting for this
                send_msg(ctrl, leftovers)
        except OSError:
            finish = False
        if not finish:
            return


def _paths(root: str, n: int) -> dict[str, str]:
    return {
        "work": os.path.join(root, f"w{n}"),
        "stdout": os.path.join(root, "capture", f"{n}.out"),
        "stderr": os.path.join(root, "capture", f"{n}.err"),
    }


def _spawn(config: dict[str, Any], paths: dict[str, str]) -> tuple[int, int]:
    """Fork a confined child that waits for its program; return its pid and the judge's end."""
    judge_end, chan_fd = socket.socketpair()
    uid = config["uid"]
    os.mkdir(paths["work"], 0o700)
    if uid is not None:
        os.chown(paths["work"], uid, uid)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    out = os.open(paths["stdout"], flags, 0o600)
    err = os.open(paths["stderr"], flags, 0o600)
    pid = os.fork()
    if pid == 0:
        try:
            _become_candidate(config, chan_fd.fileno(), out, err, paths["work"])
        finally:
            os._exit(70)
    for fd in (out, err):
        os.close(fd)
    chan_fd.close()
    return pid, judge_end.detach()


def _become_candidate(config: dict[str, Any], chan_fd: int, out: int, err: int, work: str) -> None:
    """In the child: confine, drop privileges, then serve the judge. Never returns normally."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    for src, dst in ((devnull, 0), (out, 1), (err, 2), (chan_fd, 3)):
        os.dup2(src, dst)
    os.closerange(4, 1 << 16)  # above all: the control socket, which would let it forge replies
    os.chdir(work)
    os.environ.clear()
    limits = {
        resource.RLIMIT_AS: config["memory_bytes"],
        resource.RLIMIT_CPU: config["max_cpu_seconds"],  # lowered per program in candidate.serve
        resource.RLIMIT_NPROC: config["max_processes"],
        resource.RLIMIT_FSIZE: config["file_bytes"],
        resource.RLIMIT_NOFILE: config["open_files"],
        resource.RLIMIT_CORE: 0,
    }
    for which, value in limits.items():
        resource.setrlimit(which, (value, value))  # hard = soft: the candidate cannot raise them
    uid = config["uid"]
    if uid is not None:  # root may not stay: RLIMIT_NPROC does not bind uid 0
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - the capture files, unbuffered enough
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    candidate.serve(3)


def _cleanup(config: dict[str, Any], pid: int, paths: dict[str, str]) -> dict[str, Any]:
    """SIGKILL every process the candidate left, reap all, collect its output, remove its files."""
    status = None
    if config["uid"] is not None and not config["pid1"]:
        _kill_uid(config["uid"])  # catches daemons that left our tree for another session
    while True:
        if config["pid1"]:
            try:
                os.kill(-1, signal.SIGKILL)  # from PID 1: every process in the namespace but us
            except ProcessLookupError:
                pass
        else:
            _kill_children()
        try:
            done, code = os.waitpid(-1, 0)
        except ChildProcessError:
            break  # nothing left: every descendant was reparented to us and reaped
        if done == pid:
            status = code
    _forget(config["uid"])
    result = {"exit": _describe_status(status)}
    for stream in ("stdout", "stderr"):
        result[stream] = _tail(paths[stream], config["tail_bytes"])
    _sweep(config["workroot"], config["workroot_mode"])
    return result


def _sweep(root: str, mode: int) -> None:
    """Remove everything under `root` but an empty capture folder: the work dir, the capture
    files, and any note a candidate sharing our uid left beside them (or made unreadable)."""
    os.chmod(root, mode)
    for entry in os.listdir(root):
        path = os.path.join(root, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
            shutil.rmtree(path, onerror=_force_remove)
        else:
            os.unlink(path)
    os.mkdir(os.path.join(root, "capture"), 0o700)


def _forget(uid: int | None) -> None:
    """Remove state that outlives processes: SysV IPC objects and the uid's kernel keyrings.

    Why: the next program runs as the same uid in the same IPC namespace, and a program could
    leave it a note (say, after which of its answers the tests stopped calling). Checking
    /proc costs microseconds; the fork that removes them as that uid happens only when needed.
    """
    ipc = [
        (kind, int(line.split()[1]))
        for kind in ("shm", "sem", "msg")
        for line in _lines(f"/proc/sysvipc/{kind}")[1:]
    ]
    owner = str(uid if uid is not None else os.getuid())
    keys = any(line.split(":")[0].strip() == owner for line in _lines("/proc/key-users"))
    if not ipc and not keys:
        return
    remover = os.fork()
    if remover == 0:
        try:
            if uid is not None:
                os.setresuid(uid, uid, uid)  # exactly the candidate's objects: only the owner may
            for kind, ident in ipc:
                if kind == "sem":
                    _libc.semctl(ident, 0, IPC_RMID)
                else:
                    getattr(_libc, f"{kind}ctl")(ident, IPC_RMID, None)
            if keys and SYS_KEYCTL is not None:
                for ring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING):
                    _libc.syscall(SYS_KEYCTL, KEYCTL_CLEAR, ring)
        finally:
            os._exit(0)
    os.waitpid(remover, 0)


def _lines(path: str) -> list[str]:
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def _kill_uid(uid: int) -> None:
    killer = os.fork()
    if killer == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)  # every process of that uid except this one
        finally:
            os._exit(0)
    os.waitpid(killer, 0)


def _kill_children() -> None:
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue  # exited meanwhile
        if ppid == me:
            for kill in (os.killpg, os.kill):
                try:
                    kill(int(entry), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def _describe_status(status: int | None) -> str | None:
    if status is None:
        return None
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return f"exit {os.waitstatus_to_exitcode(status)}"


def _tail(path: str, cap: int) -> str:
    """The last `cap` bytes of a capture file ("" if the candidate replaced or hid it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        f.seek(max(0, os.fstat(fd).st_size - cap))
        return f.read(cap).decode("utf-8", "replace")


def _force_remove(func: Any, path: str, exc_info: Any) -> None:
    """A candidate may chmod its directories to 000; without CAP_DAC_OVERRIDE undo that first."""
    parent = os.path.dirname(path)
    os.chmod(parent, 0o700)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
        shutil.rmtree(path, onerror=_force_remove)
    else:
        os.unlink(path)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
