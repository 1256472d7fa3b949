"""The candidate's side of the channel: runs inside the sandbox, after privileges are dropped.

Everything here is in the untrusted process, so nothing here is relied on for the verdict: the
candidate may monkeypatch this module, the builtins or the encoder. It can only ever send bytes,
which the judge decodes into plain data. Its job is to be a faithful RPC server for honest
programs: load the program, describe the names the tests ask for, answer calls.

Protocol (each line one framed message; see channel.py):
  judge -> {"program": src, "setup": src, "wanted": [name, ...], "cpu": seconds}
  cand  -> {"names": {name: ["f"] | ["c"] | ["v", value] | ["h", id]}}  or  {"load_error": [type, msg]}
  judge -> {"call": ["n", name] | ["h", id], "args": [...], "kwargs": {...}, "keep": bool}
  cand  -> {"ret": value} | {"h": id} | {"raise": [type, msg]} | {"nonplain": reason}
"""

from __future__ import annotations

import builtins
import resource
import socket
import sys
from typing import Any

from channel import ChannelError, NotPlainData, decode, encode, recv_msg, send_msg  # type: ignore[import-not-found]

MAX_MESSAGE = 64 << 20  # the judge's requests carry programs and test inputs


def serve(fd: int) -> None:
    """Load the program named in the first message and answer calls until the judge hangs up."""
    sock = socket.socket(fileno=fd)
    first = recv_msg(sock, None, MAX_MESSAGE)
    cpu = int(first["cpu"])  # this program's CPU budget; still our code, before the program runs
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    namespace: dict[str, Any] = {"__name__": "__candidate__", "__builtins__": builtins}
    try:
        exec(compile(first["program"], "<candidate>", "exec"), namespace)
        if first.get("setup"):
            exec(compile(first["setup"], "<setup>", "exec"), namespace)
    except BaseException as e:  # noqa: B036 - the candidate's own failure, reported as data
        _reply(sock, {"load_error": _describe(e)})
        return
    handles: list[Any] = []
    names = {n: _kind(namespace[n], handles) for n in first["wanted"] if n in namespace}
    _reply(sock, {"names": names})
    while True:
        try:
            request = recv_msg(sock, None, MAX_MESSAGE)
        except ChannelError:
            return  # the judge is done with us; the zygote kills what is left
        _reply(sock, _answer(request, namespace, handles))


def _answer(
    request: dict[str, Any], namespace: dict[str, Any], handles: list[Any]
) -> dict[str, Any]:
    kind, key = request["call"]
    target = namespace[key] if kind == "n" else handles[key]

    def extra(tag: str, body: Any) -> Any:  # the judge's own tags (see session.py)
        if tag == "h":
            return handles[body]
        if tag == "T" and isinstance(getattr(builtins, body, None), type):
            return getattr(builtins, body)
        raise ChannelError(f"unknown tag {tag!r}")

    args = decode(request["args"], extra)
    kwargs = decode(request["kwargs"], extra)
    try:
        result = target(*args, **kwargs)
    except BaseException as e:  # noqa: B036 - SystemExit etc. are the candidate's answer too
        return {"raise": _describe(e)}
    if request.get("keep"):  # a constructor of the candidate's class: the judge holds a handle
        handles.append(result)
        return {"h": len(handles) - 1}
    try:
        return {"ret": encode(result)}
    except NotPlainData as e:
        return {"nonplain": str(e)}
    except Exception as e:  # a hostile container may raise anything while being walked
        return {"nonplain": f"{type(e).__name__} while encoding"}


def _kind(value: Any, handles: list[Any]) -> list[Any]:
    if isinstance(value, type):
        return ["c"]
    if callable(value):
        return ["f"]
    try:
        return ["v", encode(value)]
    except Exception:  # not plain data (a module, an instance): the judge gets a handle
        handles.append(value)
        return ["h", len(handles) - 1]


def _describe(e: BaseException) -> list[str]:
    try:
        message = str(e)[:2000]
    except Exception:
        message = "<unprintable>"
    return [type(e).__name__, message]


def _reply(sock: socket.socket, message: dict[str, Any]) -> None:
    try:
        sys.stdout.flush()  # so the captured stdout tail is current when the judge reads it
    except Exception:
        pass
    send_msg(sock, message)
