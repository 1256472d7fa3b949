"""Which isolation this machine allows; said once, loudly, when it is weaker than namespaces."""

from __future__ import annotations

import functools
import logging
import os
import subprocess

from verifiers.code.config import SandboxConfig
from verifiers.code.sandbox import SandboxError, bwrap_prefix

logger = logging.getLogger(__name__)


@functools.cache
def probe_namespaces(config: SandboxConfig) -> str | None:
    """None when bwrap runs the sandbox interpreter here with our flags, else why not."""
    if os.geteuid() != 0:
        return "not running as root (bwrap's capability flags and the uid drop need root)"
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


@functools.cache
def resolve_isolation(config: SandboxConfig) -> str:
    """'namespaces' or 'process'; "auto" falls back with one loud warning, never silently."""
    if config.isolation == "process":
        _warn_process(config, "isolation='process' was requested")
        return "process"
    reason = probe_namespaces(config)
    if reason is None:
        return "namespaces"
    if config.isolation == "namespaces":
        raise SandboxError(f"namespace isolation was requested but is unavailable: {reason}")
    _warn_process(config, f"namespaces are unavailable: {reason}")
    return "process"


@functools.cache
def _warn_process(config: SandboxConfig, why: str) -> None:
    uid = "an unprivileged uid" if os.geteuid() == 0 else "YOUR OWN uid (not root, cannot drop)"
    logger.warning(
        "verifiers.code SANDBOX IS WEAKER THAN INTENDED: %s. Candidate programs run without "
        "PID/network/mount namespaces (they can reach the network and read or write files their "
        "uid may), as %s, with rlimits and their own session. Install bubblewrap "
        "(apt-get install bubblewrap) and run as root for full isolation.",
        why,
        uid,
    )
