"""The judge's handle on its sandbox: starts bwrap + the zygote, which keeps one confined child
ready (forked after the previous program's cleanup) and hands over its channel.

Isolation ("namespaces"), as root: bubblewrap without a user namespace, so the zygote is real
root with only the capabilities it needs to confine children (setuid/setgid to drop, kill and
chown/dac_override to clean up); each candidate then drops to the judge's own unprivileged uid,
which strips every capability.
As any other user: bubblewrap with an unprivileged user namespace (`--unshare-user`) in which the
zygote and its candidates are `UNPRIVILEGED_ID` with no capability at all. Only that one id is
mapped, so they share it; the zygote is protected by being PID 1 (no signal from inside reaches
it unless it handles it, and it handles none) and not dumpable (no ptrace, no /proc/1/mem), and
everything writable (the private /tmp) is swept between programs; / and /dev are read-only.
Both ways: new PID, network, IPC, UTS and cgroup namespaces; the mount namespace shows /usr
read-only (the interpreter and stdlib), a fresh /proc and /dev, and a size-capped private tmpfs
at /tmp; no /etc, /home, /root, /work: no datasets (so no answer keys), no secrets. bwrap kills
the zygote when the judge dies, which takes the whole namespace with it.

Fallback ("process", only on request): no namespaces (so network and the host's files stay
visible read/write per uid); still a uid drop when root, rlimits, own session, a subreaper
zygote that kills by uid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from verifiers.code.channel import ChannelError, recv_msg, send_msg
from verifiers.code.config import SandboxConfig

HERE = Path(__file__).resolve().parent
SANDBOX_FILES = ("channel.py", "candidate.py", "zygote.py")  # all the sandbox sees of this repo
CONTROL_TIMEOUT = 2.0  # seconds for the zygote to fork or clean up before we call it broken
STARTUP_TIMEOUT = 20.0  # seconds for bwrap and the zygote's imports on a loaded machine
MAX_CPU_SECONDS = 3600  # a spare's RLIMIT_CPU until its program lowers it to the check's budget
CAPABILITIES = (
    "CAP_SETUID",
    "CAP_SETGID",
    "CAP_KILL",
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
)
UNPRIVILEGED_ID = 65534  # `nobody`: the uid and gid inside an unprivileged user namespace


class SandboxError(Exception):
    """The sandbox machinery itself failed (not the candidate's program)."""


def bwrap_prefix(config: SandboxConfig) -> list[str]:
    """The bubblewrap command line up to the command it runs."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxError("bubblewrap (bwrap) is not installed")
    argv = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--die-with-parent", "--as-pid-1", "--new-session"]
    argv += ["--clearenv", "--cap-drop", "ALL"]
    privileged = os.geteuid() == 0
    if privileged:
        for cap in CAPABILITIES:
            argv += ["--cap-add", cap]
    else:
        ids = str(UNPRIVILEGED_ID)
        argv += ["--unshare-user", "--uid", ids, "--gid", ids]
    argv += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(config.tmp_bytes), "--tmpfs", "/tmp"]
    for name in SANDBOX_FILES:
        argv += ["--ro-bind", str(HERE / name), f"/sandbox/{name}"]
    if not privileged:  # as root these belong to root; here to the candidate's own id
        argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
    return [*argv, "--chdir", "/tmp"]


def process_table() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, state letter, real uid) for every process this one can see."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            table[int(entry)] = (
                int(fields["PPid"]),
                fields["State"].split()[0],
                int(fields["Uid"].split()[0]),
            )
        except (OSError, KeyError, ValueError):  # it exited meanwhile
            continue
    return table


def descendants(root: int) -> list[tuple[int, str, int]]:
    """(pid, state, real uid) of every process below `root`: how tests see what is left."""
    table = process_table()
    found, frontier = [], {root}
    while frontier:
        frontier = {pid for pid, (ppid, _, _) in table.items() if ppid in frontier}
        found += [(pid, table[pid][1], table[pid][2]) for pid in frontier]
    return found


def kill_uid(uid: int) -> None:
    """SIGKILL every process whose real uid is `uid`: the cleanup of process isolation, whose
    candidates are not confined to a PID namespace that dies with the zygote. Needs root."""
    for _ in range(10):  # a fork racing a scan is caught by the next (RLIMIT_NPROC bounds it)
        targets = [pid for pid, (_, _, real) in process_table().items() if real == uid]
        if not targets:
            return
        for pid in targets:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Sandbox:
    """One zygote serving one judge, restarted whenever it misbehaves."""

    def __init__(self, config: SandboxConfig, isolation: str) -> None:
        if isolation not in ("namespaces", "process"):
            raise ValueError(f"isolation must be 'namespaces' or 'process', got {isolation!r}")
        self.config = config
        self.isolation = isolation
        self.uid = config.uid_base + os.getpid() if os.geteuid() == 0 else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctrl: socket.socket | None = None
        self._hostroot: str | None = None
        self._pending = False  # a finish request whose reply is not read yet
        self._spare: socket.socket | None = None  # channel of the child waiting for a program

    def start(self) -> None:
        """Start the zygote now (otherwise the first program does)."""
        if self._ctrl is None:
            self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        zygote = {
            "ctrl_fd": theirs.fileno(),
            "uid": self.uid,
            "pid1": self.isolation == "namespaces",
            "workroot": "/tmp",
            "memory_bytes": self.config.memory_bytes,
            "max_processes": self.config.max_processes,
            "file_bytes": self.config.file_bytes,
            "open_files": self.config.open_files,
            "tail_bytes": self.config.tail_bytes,
            "max_cpu_seconds": MAX_CPU_SECONDS,
        }
        if self.isolation == "namespaces":
            zygote_argv = [self.config.python, "-I", "-S", "/sandbox/zygote.py", json.dumps(zygote)]
            argv = [*bwrap_prefix(self.config), *zygote_argv]
            env: dict[str, str] = {}
        else:
            self._hostroot = tempfile.mkdtemp(prefix="score-env-sandbox-")
            zygote["workroot"] = self._hostroot
            argv = [self.config.python, "-I", "-S", str(HERE / "zygote.py"), json.dumps(zygote)]
            env = {}
        try:
            self._proc = subprocess.Popen(
                argv, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, env=env, start_new_session=True,
            )  # fmt: skip
        except OSError as e:
            raise SandboxError(f"cannot start the sandbox: {e}") from e
        finally:
            theirs.close()
        self._ctrl = ours
        self._receive_spare(STARTUP_TIMEOUT)  # the zygote is up once it sends its first child

    def run(self) -> socket.socket:
        """The channel of a fresh confined child, forked and set up ahead of time; the
        program and its CPU budget go to it as the first message."""
        self.collect_pending()
        if self._ctrl is None:
            self._start()
        elif self._spare is None:
            self._receive_spare(CONTROL_TIMEOUT)
        spare, self._spare = self._spare, None
        assert spare is not None
        return spare

    def _receive_spare(self, timeout: float) -> None:
        assert self._ctrl is not None
        try:
            self._ctrl.settimeout(timeout)
            _, fds, _, _ = socket.recv_fds(self._ctrl, 1, 1)
            if len(fds) != 1:
                raise ChannelError("the zygote sent no channel")
        except (OSError, ChannelError) as e:
            self.close()
            raise SandboxError(f"the sandbox has no child ready: {e}") from e
        self._spare = socket.socket(fileno=fds[0])

    def request_finish(self) -> None:
        """Have the zygote kill everything the program left (it does so at once), reap it all,
        and remove its files; `collect` waits for that and returns the exit and output tails."""
        if self._ctrl is None:
            raise SandboxError("finish without a running program")
        try:
            send_msg(self._ctrl, {"op": "finish"})
        except OSError as e:
            self.close()
            raise SandboxError(f"the sandbox did not clean up: {e}") from e
        self._pending = True

    def collect(self, timeout: float = CONTROL_TIMEOUT) -> dict[str, Any]:
        """The zygote's answer to a finish (it forks the next spare after sending it)."""
        if self._ctrl is None or not self._pending:
            raise SandboxError("collect without a finish request")
        self._pending = False
        try:
            return recv_msg(self._ctrl, time.monotonic() + timeout, 1 << 20)
        except (OSError, ChannelError) as e:
            self.close()
            raise SandboxError(f"the sandbox did not clean up: {e}") from e

    def collect_pending(self) -> None:
        """Wait for a cleanup still in flight (the judge answers passes before collecting)."""
        if self._pending:
            self.collect()

    def close(self) -> None:
        """Tear the sandbox down; killing the zygote kills its whole PID namespace."""
        self._pending = False
        if self._spare is not None:
            self._spare.close()
            self._spare = None
        if self._ctrl is not None:
            self._ctrl.close()
            self._ctrl = None
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None
        if self.isolation == "process" and self.uid is not None:
            kill_uid(self.uid)
        if self._hostroot is not None:
            shutil.rmtree(self._hostroot, ignore_errors=True)
            self._hostroot = None
