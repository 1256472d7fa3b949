"""Grading a Countdown response: the last `\\boxed{}` holds an expression over the given numbers.

>>> grade(r"(6-2)*25 = 100, so \\boxed{(6 - 2) * 25}", [2, 6, 25], 100)
Verdict(correct=True, extracted='(6 - 2) * 25', reason='equal')
>>> grade(r"\\boxed{(6 - 2) * 25} = 99", [2, 6, 25], 99).reason
'not_equal'
>>> grade(r"\\boxed{62 + 25}", [2, 6, 25], 87).reason
'wrong_numbers'
"""

from __future__ import annotations

import numbers as numbers_abc
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from verifiers.countdown.expression import ExpressionError, parse
from verifiers.verdict import Verdict

MAX_RESPONSE_CHARS = 50_000
"""Longest response graded; a longer one is `too_long` before it is read."""

_BOX = "\\boxed{"
_BRACE = re.compile(r"[{}]")
_SPACE = " \t\r\n"


def extract_expression(response: str) -> str | None:
    """The stripped contents of the last top-level `\\boxed{...}`, or None.

    Braces are matched, so a box inside a box is part of the outer box's contents (and so not
    an expression). An unclosed last box (a truncated response) marks nothing. Linear time.
    """
    if not isinstance(response, str):
        raise TypeError(f"response must be a str, got {type(response).__name__}")
    last = None
    start = 0
    while (found := response.find(_BOX, start)) >= 0:
        opened = found + len(_BOX)
        closed = _closing_brace(response, opened)
        if closed is None:
            return None
        last, start = response[opened:closed], closed + 1
    return None if last is None else last.strip(_SPACE)


def _closing_brace(text: str, start: int) -> int | None:
    depth = 1
    for match in _BRACE.finditer(text, start):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return match.start()
    return None


def grade(response: str, numbers: Sequence[int], target: int) -> Verdict:
    """Correct iff the last box's expression uses exactly `numbers` (a multiset) and equals
    `target`. The model's own "= N" is never read: the value is recomputed exactly."""
    if not isinstance(response, str):
        raise TypeError(f"response must be a str, got {type(response).__name__}")
    return _judge(response, _given("numbers", numbers), _integer("target", target))


def grade_many(
    responses: Sequence[str], numbers_list: Sequence[Sequence[int]], targets: Sequence[int]
) -> list[Verdict]:
    """`grade` over parallel lists (one problem per response); all checks run in this thread."""
    responses, numbers_list, targets = list(responses), list(numbers_list), list(targets)
    if not len(responses) == len(numbers_list) == len(targets):
        raise ValueError(
            f"responses, numbers_list and targets must have one length, got "
            f"{len(responses)}, {len(numbers_list)} and {len(targets)}"
        )
    for i, response in enumerate(responses):
        if not isinstance(response, str):
            raise TypeError(f"responses[{i}] must be a str, got {type(response).__name__}")
    given = [_given(f"numbers_list[{i}]", n) for i, n in enumerate(numbers_list)]
    golds = [_integer(f"targets[{i}]", t) for i, t in enumerate(targets)]
    return [_judge(r, n, t) for r, n, t in zip(responses, given, golds, strict=True)]


def _judge(response: str, given: Counter[int], target: int) -> Verdict:
    if len(response) > MAX_RESPONSE_CHARS:
        return Verdict(False, None, "too_long")
    extracted = extract_expression(response)
    if extracted is None:
        return Verdict(False, None, "no_answer")
    try:
        parsed = parse(extracted)
    except ExpressionError as error:
        return Verdict(False, extracted, error.reason)
    if Counter(parsed.numbers) != given:
        return Verdict(False, extracted, "wrong_numbers")
    if parsed.value is None:
        return Verdict(False, extracted, "division_by_zero")
    correct = parsed.value == target
    return Verdict(correct, extracted, "equal" if correct else "not_equal")


def _given(name: str, numbers: Iterable[int]) -> Counter[int]:
    if isinstance(numbers, str | bytes) or not isinstance(numbers, Iterable):
        raise TypeError(f"{name} must be a sequence of ints, got {type(numbers).__name__}")
    given = [_integer(f"{name}[{i}]", n) for i, n in enumerate(numbers)]
    negative = [n for n in given if n < 0]
    if negative:
        raise ValueError(f"{name} must be >= 0 (no literal can write {negative[0]}), got {given}")
    return Counter(given)


def _integer(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers_abc.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r:.40}")
    return int(value)
