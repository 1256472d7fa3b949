#!/usr/bin/env bash
# System packages the project needs beyond pip: bubblewrap, the namespace sandbox of the code
# verifier (verifiers.code). Installs it with apt-get where it is missing and this user can
# (root, or sudo without a password). Where it cannot, it says so and exits 0: the sandbox
# tests then fail with the command that fixes it, they do not skip.
set -uo pipefail

if command -v bwrap >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "install-system-deps: bubblewrap is missing and cannot be installed as $(id -un);" \
        "run: sudo apt-get install -y bubblewrap" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: bubblewrap is missing and there is no apt-get;" \
        "install the 'bubblewrap' package with this system's package manager" >&2
    exit 0
fi
echo "install-system-deps: installing bubblewrap with apt-get" >&2
if ! { $sudo apt-get install -y bubblewrap || { $sudo apt-get update && $sudo apt-get install -y bubblewrap; }; }; then
    echo "install-system-deps: could not install bubblewrap;" \
        "the sandboxed code tests will fail until it is installed" >&2
fi
exit 0
