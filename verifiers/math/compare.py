"""Structure-aware equivalence with three-valued results (True, False, None = undecided).

The same comparison runs twice: first in the caller's process with `FastLeaves`, which decides
leaves by normalised-string equality and exact rational arithmetic only (bounded, microseconds);
if that leaves the verdict undecided (`None`) the pair goes to a worker process, where
`verifiers.math.symbolic.SymbolicLeaves` decides the remaining leaves with sympy under a hard
time and memory limit. A definite False from a structure mismatch (tuple lengths, interval
brackets, a missing solution) never needs sympy.

>>> from verifiers.math.structure import parse
>>> equivalent(parse("(1, 2]"), parse("(1, 2)"), FastLeaves())
False
>>> equivalent(parse(r"x = \\frac{2}{4}"), parse("0.5"), FastLeaves())
True
>>> equivalent(parse(r"\\sqrt{8}"), parse(r"2\\sqrt{2}"), FastLeaves()) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial

from verifiers.math.evaluate import decide, equations_differ
from verifiers.math.numeric import numbers_equal, parse_number
from verifiers.math.structure import (
    Bracketed,
    Choice,
    Collection,
    Equation,
    Expr,
    Matrix,
    Node,
    Text,
    parse_normalized,
)

Tri = bool | None
_INFINITIES = frozenset({"\\infty", "-\\infty"})


def _fold3(checks: Iterable[Callable[[], Tri]], decisive: bool) -> Tri:
    """Three-valued AND (decisive=False) or OR (decisive=True), stopping at a decisive value."""
    result: Tri = not decisive
    for check in checks:
        value = check()
        if value is decisive:
            return decisive
        if value is None:
            result = None
    return result


def all3(checks: Iterable[Callable[[], Tri]]) -> Tri:
    """Three-valued AND, lazily: stops at the first definite False."""
    return _fold3(checks, decisive=False)


def any3(checks: Iterable[Callable[[], Tri]]) -> Tri:
    """Three-valued OR, lazily: stops at the first definite True."""
    return _fold3(checks, decisive=True)


_BASED = re.compile(r"([0-9A-F]+)_\{?(\d+)\}?")


def _based_numerals(a: str, b: str) -> Tri:
    """`52_8` (a numeral in base 8): same digits, and the same base where both give one.

    `52_8` matches `52` (the base is the question's) but never `52_9`, and never its decimal
    value `42`: a problem that asks for base 8 wants base-8 digits. None if neither is based.
    """
    ma, mb = _BASED.fullmatch(a), _BASED.fullmatch(b)
    if ma is None and mb is None:
        return None
    digits_a, base_a = (ma[1], ma[2]) if ma else (a, None)
    digits_b, base_b = (mb[1], mb[2]) if mb else (b, None)
    same_base = base_a is None or base_b is None or int(base_a) == int(base_b)
    return same_base and digits_a.upper() == digits_b.upper()


class FastLeaves:
    """Leaf decisions that need no sympy: string equality and exact rational numbers.

    Leaves are asked `(answer, gold)` in that order, because the rule for decimals depends on
    which side is the gold (`numeric.rounding_places`); `approximate` is that rule's switch.
    """

    def __init__(self, approximate: bool = False) -> None:
        self.approximate = approximate

    def flipped(self) -> FastLeaves:
        """These leaves for a comparison that recurses with the gold first."""
        return Flipped(self)

    def expr(self, a: str, b: str) -> Tri:
        if a == b:
            return True
        based = _based_numerals(a, b)
        if based is not None:
            return based
        if ":" in a or ":" in b:
            return self._ratios(a, b)
        na, nb = parse_number(a), parse_number(b)
        if na is not None and nb is not None:
            return numbers_equal(na, nb, self.approximate)
        if (a in _INFINITIES and nb is not None) or (b in _INFINITIES and na is not None):
            return False
        # closed-form arithmetic: exact rationals, 60-digit mpmath
        return decide(a, b, self.approximate)

    def _ratios(self, a: str, b: str) -> Tri:
        """`05:00` against `5:00` part by part; `1:2` against a single value as 1/2."""
        pa, pb = a.split(":"), b.split(":")
        if len(pa) > 1 and len(pb) > 1:
            if len(pa) != len(pb):
                return False
            return all3(partial(self.expr, x, y) for x, y in zip(pa, pb, strict=True))
        ratio, single = (pa, b) if len(pa) == 2 else (pb, a) if len(pb) == 2 else (None, "")
        if ratio is None or not all(ratio):
            return False
        return self.expr(f"\\frac{{{ratio[0]}}}{{{ratio[1]}}}", single)

    def equation(self, a: Equation, b: Equation) -> Tri:
        if (a.lhs, a.rhs) == (b.lhs, b.rhs):
            return True
        return False if equations_differ((a.lhs, a.rhs), (b.lhs, b.rhs)) else None


class Flipped(FastLeaves):
    """A view of `inner` that swaps each leaf's two sides back into (answer, gold) order."""

    def __init__(self, inner: FastLeaves) -> None:
        super().__init__(inner.approximate)
        self.inner = inner

    def flipped(self) -> FastLeaves:
        return self.inner

    def expr(self, a: str, b: str) -> Tri:
        return self.inner.expr(b, a)

    def equation(self, a: Equation, b: Equation) -> Tri:
        return self.inner.equation(b, a)


def _collections(a: Collection, b: Collection, leaves: FastLeaves) -> Tri:
    # A union of intervals equals the same intervals listed (`x<2 or x>3`); other unions are
    # not lists of values.
    intervals = all(isinstance(x, Bracketed) for x in a.items + b.items)
    if a.union != b.union and not intervals:
        return False
    memo: dict[tuple[int, int], Tri] = {}

    def eq(i: int, j: int) -> Tri:
        if (i, j) not in memo:
            memo[(i, j)] = equivalent(a.items[i], b.items[j], leaves)
        return memo[(i, j)]

    def a_matched(i: int) -> Tri:
        return any3(partial(eq, i, j) for j in range(len(b.items)))

    def b_matched(j: int) -> Tri:
        return any3(partial(eq, i, j) for i in range(len(a.items)))

    # Set semantics: every element on each side has an equal element on the other side.
    forward = all3(partial(a_matched, i) for i in range(len(a.items)))
    if forward is False:
        return False
    backward = all3(partial(b_matched, j) for j in range(len(b.items)))
    if backward is False:
        return False
    return None if None in (forward, backward) else True


def _pairwise(a: Iterable[Node], b: Iterable[Node], leaves: FastLeaves) -> Tri:
    return all3(partial(equivalent, x, y, leaves) for x, y in zip(a, b, strict=True))


def _as_vector(m: Matrix) -> tuple[Node, ...] | None:
    if all(len(row) == 1 for row in m.rows):
        return tuple(row[0] for row in m.rows)
    return m.rows[0] if len(m.rows) == 1 else None


def _labelled_tuple(c: Collection, t: Bracketed, leaves: FastLeaves) -> Tri:
    """`p=5, q=2` against `(5, 2)`: distinct labels in order are the tuple's coordinates.
    Otherwise, as sets: every member of the collection must equal the tuple."""
    names = [e.lhs for e in c.items if isinstance(e, Equation) and e.assigned]
    if (t.left, t.right) == ("(", ")") and len(names) == len(c.items) == len(t.items) > 1:
        if len(set(names)) == len(names):
            values = [parse_normalized(e.rhs) for e in c.items if isinstance(e, Equation)]
            return _pairwise(values, t.items, leaves)
    if not c.items:
        return False
    return all3(partial(equivalent, x, t, leaves) for x in c.items)


def _vector_tuple(m: Matrix, t: Bracketed, leaves: FastLeaves) -> Tri:
    vector = _as_vector(m)
    if t.left != "(" or vector is None or len(vector) != len(t.items):
        return False
    return _pairwise(vector, t.items, leaves)


def _equations(a: Node, b: Node, leaves: FastLeaves) -> Tri:
    if isinstance(a, Equation) and isinstance(b, Equation):
        if a.assigned and b.assigned:
            same_value = equivalent(parse_normalized(a.rhs), parse_normalized(b.rhs), leaves)
            if same_value is True:
                return True
        return leaves.equation(a, b)
    # `x = 5` against `5`: a lone variable on the left is a label (MATH convention).
    if isinstance(a, Equation):
        return equivalent(parse_normalized(a.rhs), b, leaves) if a.assigned else False
    assert isinstance(b, Equation)
    return equivalent(a, parse_normalized(b.rhs), leaves) if b.assigned else False


def _labels(a: Node, b: Node) -> Tri:
    """Choice letters and word answers against each other or against a bare expression."""

    def key(n: Node) -> str:
        if isinstance(n, Choice):
            return n.letter.lower()
        if isinstance(n, Text):
            return n.words.replace(" ", "").strip("()")
        return n.text.lower().strip("()") if isinstance(n, Expr) else "\x00"

    return key(a) == key(b)


def equivalent(a: Node, b: Node, leaves: FastLeaves) -> Tri:  # noqa: C901 - a dispatch table
    """Is answer `a` equivalent to gold `b`? None when `leaves` cannot decide a leaf."""
    if a == b:
        return True
    if isinstance(a, Equation) or isinstance(b, Equation):
        return _equations(a, b, leaves)
    if isinstance(a, Expr) and isinstance(b, Expr):
        return leaves.expr(a.text, b.text)
    if isinstance(a, (Choice, Text)) or isinstance(b, (Choice, Text)):
        return _labels(a, b)
    if isinstance(a, Collection) and isinstance(b, Collection):
        return _collections(a, b, leaves)
    if isinstance(a, Collection) and isinstance(b, Bracketed):
        return _labelled_tuple(a, b, leaves)
    if isinstance(b, Collection) and isinstance(a, Bracketed):
        return _labelled_tuple(b, a, leaves.flipped())
    # A collection against one value: as sets, {a, a'} is {b} when every member equals b
    # (`15\frac{39}{40}` or `\frac{639}{40}`, two spellings of one answer).
    if isinstance(a, Collection) and a.items:
        return all3(partial(equivalent, x, b, leaves) for x in a.items)
    if isinstance(b, Collection) and b.items:
        return all3(partial(equivalent, a, y, leaves) for y in b.items)
    if isinstance(a, Bracketed) and isinstance(b, Bracketed):
        if (a.left, a.right) != (b.left, b.right) or len(a.items) != len(b.items):
            return False
        return _pairwise(a.items, b.items, leaves)
    if isinstance(a, Matrix) and isinstance(b, Matrix):
        shape = [len(r) for r in a.rows] == [len(r) for r in b.rows]
        return shape and _pairwise(sum(a.rows, ()), sum(b.rows, ()), leaves)
    # A column vector against the tuple `(x, y, z)` a model may write for it.
    if isinstance(a, Matrix) and isinstance(b, Bracketed):
        return _vector_tuple(a, b, leaves)
    if isinstance(b, Matrix) and isinstance(a, Bracketed):
        return _vector_tuple(b, a, leaves.flipped())
    return False
