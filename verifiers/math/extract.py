"""Find the final answer a response marks, without guessing.

For rewards the answer must be *marked*: a model that never commits to an answer must not be
paid for a number that happens to appear in its working. The markers, in the order a model is
likely to use them, are `\\boxed{...}` (balanced braces), `\\boxed X`, `\\fbox{...}`, the SCoRe
paper's "Final Answer: The final answer is $X$. I hope it is correct." and "The answer is X".
When several kinds occur, a box wins over "final answer is", which wins over
"the answer is" (prose such as "the answer is correct" must not override a box). The "last number in the text"
fallback exists only behind `last_number_fallback=True` (for evaluation, never for rewards).

Everything here is linear in the length of the response: markers are found by regex without
nested quantifiers and braces are matched by a single scan.

>>> extract_answer(r"so $x = \\boxed{\\frac{1}{2}}$.")
'\\\\frac{1}{2}'
>>> extract_answer("Final Answer: The final answer is $12$. I hope it is correct.")
'12'
>>> extract_answer("I think it is 12") is None
True
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator

_BOX_MARKER = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_FINAL_MARKER = re.compile(r"final answer is", re.IGNORECASE)
_ANSWER_MARKER = re.compile(r"(?<![A-Za-z])the answer is", re.IGNORECASE)
_SENTENCE_END = re.compile(r"\.(?:\s|$)|\n|$")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_CONNECTOR = re.compile(
    r"(?:\s|[$,;&.]|\\[,;:!()\[\] ]|\\q?quad|\\text\{\s*(?:and|or|,)?\s*\}|and|or)*"
)
MAX_JOINED_BOXES = 32
MAX_CONNECTOR_CHARS = 80
_CLOSING_DOLLAR = re.compile(r"(?<!\\)\$")
_HOPE = re.compile(r"\.?\s*I hope it is correct\.?\s*$", re.IGNORECASE)


def _balanced(text: str, open_at: int) -> int | None:
    """Index just past the brace that closes `text[open_at] == '{'`, or None if unbalanced."""
    depth = 0
    i = open_at
    while i < len(text):
        ch = text[i]
        if ch == "\\":  # an escaped brace `\{` does not open or close a group
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _boxed_at(text: str, match: re.Match[str]) -> tuple[str, int] | None:
    """(argument, end) of the `\\boxed` whose name `match` found: `{...}` or a bare token."""
    i = match.end()
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "{":
        end = _balanced(text, i)
        return None if end is None else (text[i + 1 : end - 1], end)
    if i == match.end():  # `\boxedX` is a different command, not `\boxed X`
        return None
    token = re.match(r"[^\s$]+", text[i:])  # `\boxed 5$` -> `5`
    return (token.group(0), i + token.end()) if token else None


def _boxes(response: str) -> str | None:
    """The last box, joined with the boxes just before it when only connectors separate them
    (`\\boxed{1}, \\boxed{2} and \\boxed{3}` is the list `1, 2, 3`)."""
    matches = list(_BOX_MARKER.finditer(response))
    if not matches:
        return None
    last = _boxed_at(response, matches[-1])
    # An unbalanced last box (a truncated response) marks nothing: an earlier box the model
    # went on to revise is not its final answer.
    if last is None:
        return None
    parts, start = [last[0]], matches[-1].start()
    for match in reversed(matches[-MAX_JOINED_BOXES:-1]):
        box = _boxed_at(response, match)
        gap = response[box[1] : start] if box is not None else "x"
        if len(gap) > MAX_CONNECTOR_CHARS or not _CONNECTOR.fullmatch(gap):
            break
        assert box is not None
        parts.append(box[0])
        start = match.start()
    return ", ".join(reversed(parts))


def _dollar_or_sentence(text: str, start: int) -> str:
    """The math after a textual marker: a `$...$` span if one starts there, else the sentence."""
    rest = text[start:].lstrip(" :\t")
    if rest.startswith("$"):
        span = rest[2:] if rest.startswith("$$") else rest[1:]
        close = _CLOSING_DOLLAR.search(span)  # `\$` is a dollar sign, not a delimiter
        return span if close is None else span[: close.start()]
    end = _SENTENCE_END.search(rest)
    return rest[: end.start()] if end else rest


def _last(matches: Iterator[re.Match[str]]) -> re.Match[str] | None:
    remaining = deque(matches, maxlen=1)
    return remaining[0] if remaining else None


def _candidates(response: str) -> list[str]:
    """The answer of the last marker of each kind, in order of priority."""
    found: list[str] = []
    boxed = _boxes(response)
    if boxed is not None:
        found.append(boxed)
    for marker in (_FINAL_MARKER, _ANSWER_MARKER):
        last = _last(marker.finditer(response))
        if last is not None:
            found.append(_dollar_or_sentence(response, last.end()))
    return found


def _clean(answer: str) -> str:
    """Strip what surrounds a marked answer: spaces, `$`, a final period, 'I hope...'."""
    answer = _HOPE.sub("", answer).strip()
    answer = answer.strip("$ \n\t")
    if answer.endswith("."):
        answer = answer[:-1].rstrip()
    return answer


def extract_answer(response: str, *, last_number_fallback: bool = False) -> str | None:
    """The final answer marked in `response`, or None when no answer is marked.

    `last_number_fallback=True` returns the last number of an unmarked response instead of
    None; keep it off for rewards (an unmarked answer is not a committed answer).
    """
    if not isinstance(response, str):
        raise TypeError(f"response must be a str, got {type(response).__name__}")
    for answer in _candidates(response):
        cleaned = _clean(answer)
        if cleaned:
            return cleaned
    if last_number_fallback:
        numbers = _NUMBER.findall(response)
        if numbers:
            return numbers[-1].rstrip(",")
    return None


def unbox(text: str) -> str:
    """`text` itself, or the answer its boxes mark when it contains any (a boxed gold)."""
    if _BOX_MARKER.search(text):
        return extract_answer(text) or text
    return text
