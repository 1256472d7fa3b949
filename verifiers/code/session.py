"""The judge's side of one candidate: proxies that forward calls over the plain-data channel.

The test code holds only these proxies; the candidate's objects never enter the judge. A call
sends plain arguments and gets back plain data, a handle (only from a constructor of one of the
candidate's classes), or the name and message of the exception it raised. Anything else
(a non-plain return, a broken or garbled channel, the process dying, SystemExit) is a
*violation*: it raises `CandidateViolation`, a BaseException so that no `except Exception` in a
test can swallow it, and the judge fails the check even if the test carried on.
"""

from __future__ import annotations

import builtins
import socket
import time
from typing import Any, NoReturn

from verifiers.code.channel import ChannelError, ChannelTimeout, decode, encode, recv_msg, send_msg

MAX_REPLY = 32 << 20  # bytes of one answer from the candidate
# Exceptions a candidate may raise into the test as themselves (so `except ValueError` works);
# anything else arrives as CandidateError. BaseException-only ones (SystemExit...) are violations.
_RAISABLE = {
    name: obj
    for name, obj in vars(builtins).items()
    if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning)
}


class CandidateViolation(BaseException):
    """The candidate broke the protocol; the check fails whatever the test does next."""


class CandidateTimeout(BaseException):
    """The check's wall-clock deadline passed while waiting for the candidate."""


class CandidateError(Exception):
    """An exception of a type the judge does not recreate, raised by the candidate."""


class CandidateSession:
    """One program's channel: `load` it, then `call` its functions until the deadline."""

    def __init__(self, sock: socket.socket, deadline: float, cpu_seconds: int) -> None:
        self._sock = sock
        self.deadline = deadline
        self.cpu_seconds = cpu_seconds
        self.violation: str | None = None
        self.timed_out = False
        self.calls = 0
        self.candidate_raised: BaseException | None = None  # last exception it raised into a test

    def load(self, program: str, setup: str, wanted: list[str]) -> dict[str, Any]:
        """Run the program (and setup) in the sandbox; describe the names the tests use.

        Returns {"names": {...}} or {"load_error": [type, message]}.
        """
        self._send({"program": program, "setup": setup, "wanted": wanted, "cpu": self.cpu_seconds})
        reply = self._receive()
        if "load_error" in reply:
            return reply
        names = reply.get("names")
        if type(names) is not dict:
            self._violate("malformed load reply")
        return reply

    def call(
        self, target: list[Any], args: tuple[Any, ...], kwargs: dict[str, Any], keep: bool
    ) -> Any:
        """Call a function (or, with keep=True, a class) in the sandbox with plain arguments."""
        if self.violation is not None:
            raise CandidateViolation(self.violation)
        message = {
            "call": target,
            "args": encode(list(args), _argument_tag),
            "kwargs": encode(dict(kwargs), _argument_tag),
            "keep": keep,
        }
        self.calls += 1
        self._send(message)
        reply = self._receive()
        if keep and type(reply.get("h")) is int:
            return SandboxObject(reply["h"])
        if "ret" in reply and not keep:
            return self._decode(reply["ret"])
        if "raise" in reply:
            raise self._exception(reply["raise"])
        if "nonplain" in reply:
            self._violate(
                f"returned a value that is not plain data: {str(reply['nonplain'])[:200]}"
            )
        self._violate("malformed reply")

    def _send(self, message: dict[str, Any]) -> None:
        """Send within the deadline too: a candidate that stops reading must not block us."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            self._time_out("the deadline passed")
        self._sock.settimeout(left)
        try:
            send_msg(self._sock, message)
        except TimeoutError:
            self._time_out("the candidate stopped reading before the deadline")
        except OSError as e:
            self._violate(f"the candidate process is gone ({e})")

    def _receive(self) -> dict[str, Any]:
        try:
            return recv_msg(self._sock, self.deadline, MAX_REPLY)
        except ChannelTimeout:
            self._time_out("the candidate did not answer before the deadline")
        except ChannelError as e:
            self._violate(str(e))

    def _decode(self, data: Any) -> Any:
        try:
            return decode(data)
        except ChannelError as e:
            self._violate(str(e))

    def decode_value(self, data: Any) -> Any:
        """A plain-data global of the candidate's module, copied into the test's namespace."""
        return self._decode(data)

    def _exception(self, described: Any) -> BaseException:
        if not (
            type(described) is list
            and len(described) == 2
            and all(type(s) is str for s in described)
        ):
            self._violate("malformed exception report")
        name, message = described
        kind = _RAISABLE.get(name)
        if kind is None and name in vars(builtins):  # SystemExit, KeyboardInterrupt, GeneratorExit
            self._violate(f"raised {name}({message[:200]!r})")
        try:
            exc: BaseException = (
                kind(message) if kind is not None else CandidateError(f"{name}: {message}")
            )
        except Exception:  # a builtin with a different constructor (UnicodeDecodeError...)
            exc = CandidateError(f"{name}: {message}")
        self.candidate_raised = exc
        return exc

    def _time_out(self, reason: str) -> NoReturn:
        self.timed_out = True  # sticky like a violation: a bare `except:` in a test cannot undo it
        raise CandidateTimeout(reason)

    def _violate(self, reason: str) -> NoReturn:
        self.violation = self.violation or reason
        raise CandidateViolation(self.violation)


class SandboxObject:
    """An opaque handle to an object in the sandbox (an instance of a candidate's class).

    It can only be passed back as an argument: comparing it or taking its truth value raises,
    so a handle can never satisfy an assertion by itself.
    """

    __slots__ = ("handle",)

    def __init__(self, handle: int) -> None:
        self.handle = handle

    def __eq__(self, other: object) -> bool:
        raise TypeError("an object living in the sandbox cannot be compared in the judge")

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError("an object living in the sandbox has no truth value in the judge")

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<sandbox object #{self.handle}>"


def _argument_tag(value: Any) -> dict[str, Any] | None:
    """What the judge may send beyond plain data: handles, and builtin types (MBPP 533 passes `int`)."""
    if type(value) is SandboxObject:
        return {"h": value.handle}
    name = getattr(value, "__name__", None)
    if isinstance(value, type) and isinstance(name, str) and getattr(builtins, name, None) is value:
        return {"T": name}
    return None


class CandidateFunction:
    """Stands in for a function of the candidate's module; returns plain data or fails."""

    def __init__(self, session: CandidateSession, name: str, keep: bool = False) -> None:
        self._session = session
        self.__name__ = name
        self._keep = keep  # a class: calling it constructs an object that stays in the sandbox

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(["n", self.__name__], args, kwargs, self._keep)

    def __repr__(self) -> str:
        return f"<candidate {'class' if self._keep else 'function'} {self.__name__}>"


def deadline_in(seconds: float) -> float:
    return time.monotonic() + seconds
