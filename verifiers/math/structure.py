"""The shape of an answer: tuples, intervals, unions, sets, matrices, equations, text, letters.

Parsing here is by string scanning of a normalised answer (see `normalize`), never by evaluating
it, so it runs safely in the caller's process; only the leaves (`Expr`) may later need sympy.
`a \\pm b` becomes the set {a+b, a-b}; a bare comma list is an unordered list of solutions;
`x > 2` becomes the interval (2, oo); `x \\in [a,b]` becomes [a,b].

>>> parse(r"\\left[ 0, \\frac{\\pi}{2} \\right)")
Bracketed(left='[', right=')', items=(Expr(text='0'), Expr(text='\\\\frac{\\\\pi}{2}')))
>>> parse(r"\\text{(C)}")
Choice(letter='C')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from verifiers.math.normalize import normalize, normalize_spaced

MAX_ITEMS = 64  # longer lists are compared as opaque strings (bounded work in the caller)
MAX_PM = 3  # at most 2**3 sign choices


@dataclass(frozen=True)
class Expr:
    """A single mathematical expression, compared numerically or symbolically."""

    text: str


@dataclass(frozen=True)
class Text:
    """A word answer (`\\text{Monday}`), compared case-insensitively."""

    words: str


@dataclass(frozen=True)
class Choice:
    """A multiple-choice letter: `C`, `(C)` and `\\text{(C)}` are all Choice('C')."""

    letter: str


@dataclass(frozen=True)
class Bracketed:
    """An ordered tuple or an interval: `(a,b)`, `[a,b)`; the brackets must match to be equal."""

    left: str
    right: str
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Collection:
    """Unordered: a set `\\{a,b\\}`, a list of solutions `a, b`, a `\\pm` pair, a union."""

    items: tuple[Node, ...]
    union: bool = False


@dataclass(frozen=True)
class Matrix:
    """`pmatrix`/`bmatrix` rows of cells (a vector is a one-column matrix)."""

    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Equation:
    """`lhs = rhs`; `assigned` is set when lhs is a lone variable (`x = 5`, `k = 3`)."""

    lhs: str
    rhs: str
    assigned: bool


Node = Expr | Text | Choice | Bracketed | Collection | Matrix | Equation

_MATRIX = re.compile(r"\\begin\{([pbvBV]?matrix|array)\}(?:\{[lcr|]*\})?(.*)\\end\{\1\}", re.S)
_LONE_VARIABLE = re.compile(r"[A-Za-z](?:_\{?\w+\}?)?|\\[a-z]+|[A-Za-z]\([a-z]\)")
_SUBSCRIPT = re.compile(r"_\{[^{}]*\}|_\w")
_NAME = re.compile(r"(?:[A-Za-z]|\\[A-Za-z]+|[{}|:(),])+")
_LETTER = re.compile(r"[A-Za-z]")
_RELATION = re.compile(r"\\leq|\\geq|<|>")
_WORDS = re.compile(r"[A-Za-z][A-Za-z .,'-]*")


def split_top(s: str, seps: str) -> list[str]:
    """Split `s` at single-character separators that are outside every bracket pair."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s) and s[i + 1] in "{}":
            depth += 1 if s[i + 1] == "{" else -1
            i += 2
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in seps and depth == 0:
            parts.append(s[start:i])
            start = i + 1
        i += 1
    parts.append(s[start:])
    return parts


def _nonempty(parts: list[str]) -> list[str]:
    """Drop empty items (`2, 3, and 4` normalises to `2,3,,4`); keep one if all are empty."""
    kept = [p for p in parts if p.strip()]
    return kept or parts[:1]


def _split_word(s: str, word: str) -> list[str]:
    """Split at a command such as `\\cup` outside brackets (rewritten to a private char)."""
    marker = "\x00"
    return [p.replace(marker, word) for p in split_top(s.replace(word, marker), marker)]


def _wraps(s: str, left: str, right: str) -> bool:
    """True when `s` is one bracket group from its first character to its last."""
    if not (s.startswith(left) and s.endswith(right)) or len(s) < 2:
        return False
    inner = s[len(left) : len(s) - len(right)]
    return _balanced(inner)  # `(1)(2)` is not one group: its inner part closes too early


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s.replace("\\{", "(").replace("\\}", ")"):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0:
            return False
    return depth == 0


def _items(inner: str) -> tuple[Node, ...] | None:
    parts = _nonempty(split_top(inner, ",;"))
    if len(parts) > MAX_ITEMS:
        return None
    return tuple(_parse(p) for p in parts)


def _inequality(s: str) -> Bracketed | None:
    """`x>2` -> (2, oo), `-1\\leq x<3` -> [-1, 3); other relations are left as expressions."""
    parts = [p.strip() for p in _RELATION.split(s)]
    ops = _RELATION.findall(s)
    if len(parts) == 2 and _LONE_VARIABLE.fullmatch(parts[0]) and parts[1]:
        big = ops[0] in (">", "\\geq")
        end = "[" if ops[0] == "\\geq" else "]" if ops[0] == "\\leq" else "("
        if big:
            return Bracketed(end, ")", (_parse(parts[1]), Expr("\\infty")))
        return Bracketed("(", "]" if end == "]" else ")", (Expr("-\\infty"), _parse(parts[1])))
    if (
        len(parts) == 3
        and _LONE_VARIABLE.fullmatch(parts[1])
        and ops[0] == ops[1]
        or (
            len(ops) == 2
            and {ops[0], ops[1]} <= {"<", "\\leq"}
            and _LONE_VARIABLE.fullmatch(parts[1])
        )
    ):
        if ops[0] in ("<", "\\leq") and ops[1] in ("<", "\\leq"):
            left = "[" if ops[0] == "\\leq" else "("
            right = "]" if ops[1] == "\\leq" else ")"
            return Bracketed(left, right, (_parse(parts[0]), _parse(parts[2])))
    return None


def _is_label(lhs: str) -> bool:
    """Is `lhs` of `lhs = value` only a name for the value (`x`, `f(x)`, `(p,q)`, `AB`,
    `V_1:V_2`, `\\frac{NO}{BO}`)? Names have no digits or operators outside subscripts."""
    bare = _SUBSCRIPT.sub("", lhs)
    return bool(_LONE_VARIABLE.fullmatch(lhs) or (_NAME.fullmatch(bare) and _LETTER.search(bare)))


def _matrix(s: str) -> Matrix | None:
    m = _MATRIX.fullmatch(s)
    if m is None:
        return None
    rows = [r for r in m[2].split("\\\\") if r.strip()]
    cells = tuple(tuple(_parse(c) for c in r.split("&")) for r in rows[:MAX_ITEMS])
    return Matrix(cells)


def _parse(s: str) -> Node:  # noqa: C901 - one dispatch table, read top to bottom
    s = s.strip()
    if re.fullmatch(r"\(?([A-E])\)?", s):
        return Choice(s.strip("()"))
    s = re.sub(r"^(?:[A-Za-z]|\\[a-z]+)\\in", "", s)  # `x \in [a,b]` -> `[a,b]`
    if s.count("\\pm") + s.count("\\mp") in range(1, MAX_PM + 1):
        plus = s.replace("\\pm", "+", 1).replace("\\mp", "-", 1)
        minus = s.replace("\\pm", "-", 1).replace("\\mp", "+", 1)
        return Collection((_parse(plus), _parse(minus)))
    union = _split_word(s, "\\cup")
    if 1 < len(union) <= MAX_ITEMS:
        return Collection(tuple(_parse(p) for p in union), union=True)
    matrix = _matrix(s)
    if matrix is not None:
        return matrix
    if _wraps(s, "\\{", "\\}"):
        items = _items(s[2:-2])
        if items is not None:
            return Collection(() if s == "\\{\\}" else items)
    if _wraps(s, "{", "}"):  # `{1,2,3}`: braces without backslashes, as models write sets
        items = _items(s[1:-1])
        return Collection(items) if items is not None and len(items) > 1 else _parse(s[1:-1])
    if len(s) >= 2 and s[0] in "([" and s[-1] in ")]" and _wraps("(" + s[1:-1] + ")", "(", ")"):
        inner = s[1:-1]
        items = _items(inner)
        if items is not None and (len(items) > 1 or "[" in (s[0], s[-1]) or "]" in (s[0], s[-1])):
            return Bracketed(s[0], s[-1], items)
    sides = split_top(s, "=")
    if len(sides) == 2 and sides[0] and sides[1] and _is_label(sides[0]):
        return Equation(sides[0], sides[1], True)  # `x = 112,875`, `x = 6, 8, and 10`
    groups = _nonempty(split_top(s, ";"))
    if 1 < len(groups) <= MAX_ITEMS and any(len(split_top(g, ",")) > 1 for g in groups):
        # `p=5,q=2;p=7,q=2`: semicolons separate solutions, commas their coordinates.
        return Collection(tuple(_parse(g) for g in groups))
    parts = _nonempty(split_top(s, ",;"))
    if 1 < len(parts) <= MAX_ITEMS:
        return Collection(tuple(_parse(p) for p in parts))
    sides = split_top(s, "=")
    if len(sides) == 2 and sides[0] and sides[1]:
        lhs, rhs = sides
        return Equation(lhs, rhs, _is_label(lhs))
    interval = _inequality(s)
    if interval is not None:
        return interval
    if s in ("\\emptyset", "\\varnothing", "\\{\\}"):
        return Collection(())
    return Expr(s)


def parse_normalized(s: str) -> Node:
    """The structure of an already normalised string (an equation's right-hand side)."""
    return _parse(s)


def parse(answer: str) -> Node:
    """The structure of `answer` after MATH normalisation."""
    spaced = normalize_spaced(answer)
    if _WORDS.fullmatch(spaced) and re.search(r"[A-Za-z]{2}", spaced) and "\\" not in spaced:
        words = re.sub(r"\s+", " ", spaced.strip(" .")).lower()
        return Text(re.sub(r"^(?:the|an?) ", "", words))
    return _parse(normalize(answer))
