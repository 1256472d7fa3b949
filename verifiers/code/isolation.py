"""Which isolation this machine allows. Namespaces or nothing, unless the weaker process sandbox
is asked for by name: a reward that a program can reach the network or the host to earn is no
reward, so a machine without bubblewrap fails closed with the command that fixes it."""

from __future__ import annotations

import functools
import logging
import os
import subprocess
from pathlib import Path

from verifiers.code.config import SandboxConfig
from verifiers.code.sandbox import SandboxError, bwrap_prefix

logger = logging.getLogger(__name__)
ENV_VAR = "SCORE_ENV_SANDBOX"
"""Set to "process" to run the weaker process sandbox where namespaces are unavailable."""


class SandboxUnavailable(RuntimeError):
    """Namespace isolation is unavailable here; the message says what is missing and the one
    command that fixes it."""


@functools.cache
def probe_namespaces(config: SandboxConfig) -> str | None:
    """None when bwrap runs the sandbox interpreter here with our flags, else why not."""
    if not os.access(config.python, os.X_OK):
        return f"the sandbox interpreter {config.python} is missing"
    try:
        argv = [*bwrap_prefix(config), config.python, "-I", "-S", "-c", "pass"]
        done = subprocess.run(argv, capture_output=True, timeout=30, env={})
    except (SandboxError, OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if done.returncode != 0:
        return f"bwrap failed: {done.stderr.decode(errors='replace').strip()[:300]}"
    return None


def _sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", *name.split(".")).read_text().strip()
    except OSError:
        return None


def fix_command(reason: str) -> str:
    """The one command that makes namespace isolation work, for the `reason` probed."""
    sudo = "" if os.geteuid() == 0 else "sudo "
    if "not installed" in reason:
        return f"{sudo}apt-get install -y bubblewrap"
    if "interpreter" in reason:
        return f"{sudo}apt-get install -y python3"
    if _sysctl("kernel.apparmor_restrict_unprivileged_userns") == "1":
        return f"{sudo}sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
    if _sysctl("kernel.unprivileged_userns_clone") == "0":
        return f"{sudo}sysctl -w kernel.unprivileged_userns_clone=1"
    if _sysctl("user.max_user_namespaces") == "0":
        return f"{sudo}sysctl -w user.max_user_namespaces=15000"
    return f"{sudo}apt-get install -y bubblewrap  (then check that `bwrap --unshare-all true` runs)"


def requested_isolation(config: SandboxConfig) -> str:
    """`config.isolation`, where $SCORE_ENV_SANDBOX may turn the default "auto" into another."""
    chosen = os.environ.get(ENV_VAR, "").strip()
    if config.isolation != "auto" or not chosen:
        return config.isolation
    if chosen not in ("process", "namespaces"):
        raise ValueError(f"${ENV_VAR} must be 'process' or 'namespaces', got {chosen!r}")
    return chosen


def resolve_isolation(config: SandboxConfig) -> str:
    """'namespaces' when they work here; 'process' only when requested (with one loud warning);
    otherwise SandboxUnavailable."""
    requested = requested_isolation(config)
    if requested == "process":
        _warn_process(config)
        return "process"
    reason = probe_namespaces(config)
    if reason is None:
        return "namespaces"
    raise SandboxUnavailable(
        f"verifiers.code needs namespace isolation (bubblewrap) to run untrusted programs, and "
        f"it is unavailable here: {reason}. Fix: {fix_command(reason)}. To run the weaker "
        f"process sandbox instead (no network or filesystem isolation), ask for it explicitly: "
        f"SandboxConfig(isolation='process') or {ENV_VAR}=process."
    )


@functools.cache
def _warn_process(config: SandboxConfig) -> None:
    uid = "an unprivileged uid" if os.geteuid() == 0 else "YOUR OWN uid (not root, cannot drop)"
    logger.warning(
        "verifiers.code SANDBOX IS WEAKER THAN INTENDED: the process sandbox was requested. "
        "Candidate programs run without PID/network/mount namespaces (they can reach the "
        "network and read or write files their uid may), as %s, with rlimits and their own "
        "session. For full isolation install bubblewrap (apt-get install -y bubblewrap) and "
        "use the default isolation.",
        uid,
    )
