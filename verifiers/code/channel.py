"""The narrow channel between the trusted judge and the sandboxed candidate: plain data only.

Why not pickle: unpickling runs constructors chosen by the sender, so a candidate could hand the
judge an object whose `__eq__` always says True. Here every value is JSON with type tags, and the
decoder can only build None, bool, int, float, complex, str, bytes, list, tuple, dict, set and
frozenset (plus a few stdlib dicts, and tags the judge adds on its own side). Anything else the candidate returns
is refused on its side, and anything malformed it sends is refused on ours.

Wire format: a 4-byte big-endian length, then UTF-8 JSON. Tags (a JSON object is always a tag):
`{"t": [...]}` tuple, `{"d": [[k, v], ...]}` dict, `{"s": [...]}` set, `{"f": [...]}` frozenset,
`{"b": "<base64>"}` bytes, `{"c": [re, im]}` complex, `{"x": "<hex>"}` an int too big for a JSON
number (hex parses in linear time, decimal in quadratic). Three stdlib dict types keep their
type, rebuilt by the judge from plain pairs: `{"C": pairs}` Counter, `{"O": pairs}` OrderedDict,
`{"D": pairs}` defaultdict (without its factory). Each side may add tags of its own through
`extra` (the judge: `{"h": n}` handles to sandbox objects, `{"T": name}` builtin types as
arguments); the judge never accepts those from the candidate.

This module runs on both sides, inside the sandbox under the system interpreter too, so it
imports only the standard library and nothing from this package.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 100  # nesting depth of one value
_SMALL_INT = 1 << 62
_HEADER = struct.Struct(">I")


class NotPlainData(TypeError):
    """A value outside the plain-data types (raised by `encode`)."""


class ChannelError(Exception):
    """The peer sent something that is not a well-formed message, or went away."""


class ChannelTimeout(ChannelError):
    """No complete message arrived before the deadline."""


_DICT_TAGS: dict[type, str] = {Counter: "C", OrderedDict: "O", defaultdict: "D"}
_DICT_TYPES: dict[str, Callable[[Any], Any]] = {
    "d": dict,
    "C": lambda pairs: Counter(dict(pairs)),  # Counter(pairs) would count the pairs
    "O": OrderedDict,
    "D": lambda pairs: defaultdict(None, pairs),
}
Extra = Callable[[Any], Any]


def encode(value: Any, extra: Extra | None = None, _depth: int = 0) -> Any:
    """Plain-data value -> JSON-ready structure. Exact types only: an int subclass is refused.

    `extra(value)` may encode a value outside the plain types as a tagged dict (None: refuse).
    """
    if _depth > MAX_DEPTH:
        raise NotPlainData(f"nested deeper than {MAX_DEPTH}")
    kind = type(value)
    if value is None or kind is bool or kind is str or kind is float:
        return value
    if kind is int:
        return value if -_SMALL_INT < value < _SMALL_INT else {"x": format(value, "x")}
    d = _depth + 1
    if kind is list:
        return [encode(v, extra, d) for v in value]
    if kind is tuple:
        return {"t": [encode(v, extra, d) for v in value]}
    if kind is dict or kind in _DICT_TAGS:
        pairs = [[encode(k, extra, d), encode(v, extra, d)] for k, v in dict.items(value)]
        return {_DICT_TAGS.get(kind, "d"): pairs}
    if kind is set or kind is frozenset:
        return {"s" if kind is set else "f": [encode(v, extra, d) for v in value]}
    if kind is bytes:
        return {"b": base64.b64encode(value).decode("ascii")}
    if kind is complex:
        return {"c": [value.real, value.imag]}
    if extra is not None:
        tagged = extra(value)
        if tagged is not None:
            return tagged
    raise NotPlainData(f"{kind.__module__}.{kind.__qualname__} is not plain data")


def decode(data: Any, extra: Callable[[str, Any], Any] | None = None, _depth: int = 0) -> Any:
    """JSON structure from `json.loads` -> plain value; ChannelError on anything unexpected.

    `extra(tag, body)` decodes the caller's own tags (it raises ChannelError for unknown ones).
    """
    if _depth > MAX_DEPTH:
        raise ChannelError(f"value nested deeper than {MAX_DEPTH}")
    kind = type(data)
    if data is None or kind is bool or kind is str or kind is int or kind is float:
        return data
    d = _depth + 1
    if kind is list:
        return [decode(v, extra, d) for v in data]
    if kind is not dict or len(data) != 1:
        raise ChannelError(f"malformed value of type {kind.__name__}")
    ((tag, body),) = data.items()
    try:
        if tag == "t":
            return tuple(decode(v, extra, d) for v in _list(body))
        if tag in _DICT_TYPES:
            pairs = [(decode(k, extra, d), decode(v, extra, d)) for k, v in _pairs(body)]
            return _DICT_TYPES[tag](pairs)
        if tag == "s":
            return {decode(v, extra, d) for v in _list(body)}
        if tag == "f":
            return frozenset(decode(v, extra, d) for v in _list(body))
        if tag == "b":
            return base64.b64decode(_str(body), validate=True)
        if tag == "c":
            re, im = _list(body)
            if type(re) is not float or type(im) is not float:
                raise ChannelError("complex parts must be floats")
            return complex(re, im)
        if tag == "x":
            return int(_str(body), 16)
        if extra is not None:
            return extra(tag, body)
    except (TypeError, ValueError) as e:  # unhashable set member or dict key, bad base64/hex
        raise ChannelError(f"malformed {tag!r} value: {e}") from None
    raise ChannelError(f"unknown tag {tag!r}")


def _list(body: Any) -> list[Any]:
    if type(body) is not list:
        raise ChannelError("tag body must be a list")
    return body


def _pairs(body: Any) -> list[list[Any]]:
    pairs = _list(body)
    if not all(type(p) is list and len(p) == 2 for p in pairs):
        raise ChannelError("dict body must be a list of [key, value] pairs")
    return pairs


def _str(body: Any) -> str:
    if type(body) is not str:
        raise ChannelError("tag body must be a string")
    return body


def send_msg(sock: socket.socket, message: dict[str, Any]) -> None:
    """Send one message (a JSON object with string keys; values already `encode`d)."""
    payload = json.dumps(message, separators=(",", ":")).encode("utf-8")
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def recv_msg(sock: socket.socket, deadline: float | None, max_bytes: int) -> dict[str, Any]:
    """Receive one message before `deadline` (time.monotonic(); None waits forever)."""
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size, deadline))
    if size > max_bytes:
        raise ChannelError(f"message of {size} bytes exceeds the {max_bytes}-byte cap")
    try:
        message = json.loads(_recv_exact(sock, size, deadline))
    except (ValueError, RecursionError) as e:  # bad UTF-8/JSON, too many digits, too deep
        raise ChannelError(f"undecodable message: {str(e)[:200]}") from None
    if type(message) is not dict:
        raise ChannelError("a message must be a JSON object")
    return message


def _recv_exact(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout("deadline passed waiting for the peer")
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(remaining, 1 << 20))
        except TimeoutError:
            raise ChannelTimeout("deadline passed waiting for the peer") from None
        except OSError as e:
            raise ChannelError(f"channel broken: {e}") from None
        if not chunk:
            raise ChannelError("peer closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
