"""The plain-data channel: round trips, and refusal of everything that is not plain data."""

from __future__ import annotations

import json
import math
import socket
import struct
from collections import Counter, OrderedDict, defaultdict

import pytest

from verifiers.code.channel import ChannelError, NotPlainData, decode, encode, recv_msg, send_msg

PLAIN = [
    None, True, False, 0, -7, 2**61, 2**200, -(3**500), 1.5, -0.0, math.inf, "", "héllo\udcff",
    b"\x00\xff", 3 + 4j, [], (), [1, (2, 3)], {"a": 1, (1, 2): [3]}, {1, "x"}, frozenset({(1, 2)}),
    {"nested": [{"deep": ({1},)}]}, Counter("abca"), OrderedDict(b=1, a=2), defaultdict(None, {1: 2}),
]  # fmt: skip


def roundtrip(value):
    return decode(json.loads(json.dumps(encode(value))))


@pytest.mark.parametrize("value", PLAIN, ids=[repr(v)[:30] for v in PLAIN])
def test_plain_values_round_trip_with_their_exact_type(value):
    back = roundtrip(value)
    assert back == value and type(back) is type(value)
    if isinstance(value, dict):
        assert list(back) == list(value)  # order kept


def test_nan_round_trips():
    assert math.isnan(roundtrip(float("nan")))


def test_bool_and_int_stay_distinct():
    assert (
        roundtrip([True, 1]) == [True, 1] and type(roundtrip(1)) is int and roundtrip(True) is True
    )


class AlwaysEqual:
    def __eq__(self, other):
        return True


class EvilInt(int):
    def __eq__(self, other):
        return True


class EvilList(list):
    pass


def gen():
    yield 1


@pytest.mark.parametrize(
    "value",
    [
        AlwaysEqual(),
        EvilInt(3),
        EvilList([1]),
        gen(),
        len,
        lambda: 1,
        object,
        [AlwaysEqual()],
        {1: gen},
    ],
)
def test_non_plain_values_are_refused(value):
    with pytest.raises(NotPlainData):
        encode(value)


def test_self_referential_list_is_refused_not_recursed_forever():
    loop: list = []
    loop.append(loop)
    with pytest.raises(NotPlainData):
        encode(loop)


@pytest.mark.parametrize(
    "data",
    [
        {"t": [1], "extra": 2},  # two keys
        {"zz": 1},  # unknown tag
        {"h": 0},  # a judge-only tag arriving from the candidate
        {"s": [[1, 2]]},  # unhashable set member
        {"d": [[1]]},  # not a pair
        {"b": "***"},  # bad base64
        {"x": "zz"},  # bad hex
        {"c": [1, 2]},  # complex parts not floats
        {"t": "abc"},  # body not a list
    ],
)
def test_malformed_data_is_a_channel_error(data):
    with pytest.raises(ChannelError):
        decode(data)


def test_deep_nesting_is_refused():
    data: list = []
    for _ in range(500):
        data = [data]
    with pytest.raises(ChannelError):
        decode(data)


def test_messages_frame_and_cap():
    a, b = socket.socketpair()
    with a, b:
        send_msg(a, {"ret": encode([1, "two"])})
        assert decode(recv_msg(b, None, 1 << 10)["ret"]) == [1, "two"]
        send_msg(a, {"ret": "x" * 5000})
        with pytest.raises(ChannelError, match="cap"):
            recv_msg(b, None, 1 << 10)


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"a": ' + b"1" * 5000 + b"}"])
def test_garbage_from_the_peer_is_a_channel_error(payload):
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack(">I", len(payload)) + payload)
        with pytest.raises(ChannelError):
            recv_msg(b, None, 1 << 20)


def test_a_peer_that_goes_quiet_times_out():
    import time

    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack(">I", 10) + b"{")
        with pytest.raises(ChannelError, match="deadline"):
            recv_msg(b, time.monotonic() + 0.1, 1 << 20)
