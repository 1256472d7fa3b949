"""A small, bounded evaluator for arithmetic LaTeX: decides most numeric leaves in-process.

Model answers that are wrong are usually closed-form numbers (`\\frac{\\sqrt{3}}{3}` for
`\\frac{\\sqrt{3}}{2}`); parsing them with the ANTLR grammar and sympy costs ~50 ms in a worker.
This recursive-descent reader covers numbers, `+ - * / ^ !`, `\\frac`, `\\sqrt`, `\\pi`,
brackets and implicit products, and nothing else (a letter or any other command: undecided).

Soundness. Rationals are evaluated exactly (`fractions.Fraction`); then equal and unequal are
both definite. Irrationals are evaluated with mpmath at 60 digits in a private context; that
can prove two values *different* (they differ by more than 1e-30 relatively, far above any
rounding error) but never proves them equal: the symbolic path does that. A decimal is judged
by correct rounding only where `numeric.rounding_places` says so; otherwise it is exact.
Bounds: depth, exponent and factorial sizes are capped, so every call is fast.
"""

from __future__ import annotations

import math
import operator
import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

from verifiers.math.numeric import MIN_SIGNIFICANT, rounding_places

MAX_DEPTH = 40
MAX_EXACT_BITS = 20_000
MAX_FACTORIAL = 3000
_TOKEN = re.compile(r"\d+(?:\.\d+)?|\.\d+|\\[A-Za-z]+|\S")
# What may follow a factor as an implicit product (`2\\sqrt{3}`, `3\\pi`, `2(x)`); a number
# may not (`2.5.3` is not 2.5 * 0.3).
_ATOM_START = re.compile(r"\(|\{|\\frac|\\sqrt|\\pi|[A-Za-z]$")
_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}
Node = tuple[Any, ...]


class Unsupported(ValueError):
    """Outside the arithmetic subset (a variable, an unknown command, too big)."""


class _Reader:
    """expr := term (+|- term)* ; term := unary ((*|/|implicit) unary)* ;
    unary := (+|-) unary | power ; power := postfix (^ unary-or-group)? ; postfix := atom !*"""

    def __init__(self, text: str) -> None:
        self.tokens = _TOKEN.findall(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> str:
        return self.tokens[self.i] if self.i < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if expected is not None and token != expected or not token:
            raise Unsupported(f"expected {expected!r}, got {token!r}")
        self.i += 1
        return token

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsupported("too deep")
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            node = ("add" if op == "+" else "sub", node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while True:
            token = self.peek()
            if token in ("*", "\\cdot", "\\times", "/"):
                self.take()
                node = ("div" if token == "/" else "mul", node, self.unary())
            elif token and _ATOM_START.match(token):
                if node[0] == "num" and node[2] is None and token == "\\frac":
                    raise Unsupported("a mixed number inside an expression")
                node = ("mul", node, self.power())
            else:
                return node

    def unary(self) -> Node:
        if self.peek() in ("-", "+"):
            sign = self.take()
            operand = self.unary()
            return ("neg", operand) if sign == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.peek() == "^":
            self.take()
            exponent = self.group() if self.peek() == "{" else self.unary_atom()
            return ("pow", base, exponent)
        return base

    def unary_atom(self) -> Node:
        if self.peek() == "-":
            self.take()
            return ("neg", self.atom())
        return self.atom()

    def postfix(self) -> Node:
        node = self.atom()
        while self.peek() == "!":
            self.take()
            node = ("fact", node)
        return node

    def group(self) -> Node:
        """`{expr}`, or the single-character argument of `\\frac12`."""
        if self.peek() == "{":
            self.take("{")
            node = self.expr()
            self.take("}")
            return node
        token = self.take()
        if token.isdigit():
            return ("num", Fraction(int(token[0])), None) if len(token) == 1 else _bad(token)
        raise Unsupported(f"argument {token!r}")

    def atom(self) -> Node:
        token = self.take()
        if token[0].isdigit() or token[0] == ".":
            places = len(token.split(".", 1)[1]) if "." in token else None
            return ("num", Fraction(token), places)
        if token in ("(", "{"):
            node = self.expr()
            self.take(")" if token == "(" else "}")
            return node
        if token == "\\frac":
            return ("div", self.group(), self.group())
        if token == "\\sqrt":
            index: Node = ("num", Fraction(2), None)
            if self.peek() == "[":
                self.take("[")
                index = self.expr()
                self.take("]")
            return ("root", self.group(), index)
        if token == "\\pi":
            return ("pi",)
        if len(token) == 1 and token.isascii() and token.isalpha():
            return ("var", token)  # `i` and `e` are read as constants (MATH's usage, as sympy's)
        raise Unsupported(f"token {token!r}")


def _bad(token: str) -> Node:
    raise Unsupported(f"argument {token!r}")


@lru_cache(maxsize=4096)
def read(text: str) -> Node | None:
    """The arithmetic tree of a normalised answer, or None when it is outside the subset."""
    if len(text) > 500:
        return None
    reader = _Reader(text)
    try:
        node = reader.expr()
        if reader.i != len(reader.tokens):
            return None
        return node
    except (Unsupported, ValueError, ZeroDivisionError):
        return None


def places(node: Node) -> int | None:
    """The fewest decimal places among the decimal literals of `node` (None: no decimals)."""
    if node[0] == "num":
        return node[2]
    found = [p for child in node[1:] if isinstance(child, tuple) for p in [places(child)]]
    known = [p for p in found if p is not None]
    return min(known) if known else None


def exact(node: Node) -> Fraction | None:
    """The exact rational value, or None when irrational, too big or undefined."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "neg":
        value = exact(node[1])
        return None if value is None else -value
    if kind in ("add", "sub", "mul", "div"):
        a, b = exact(node[1]), exact(node[2])
        if a is None or b is None or (kind == "div" and b == 0):
            return None
        value = _OPS[kind](a, b)
        # A long product of big powers must not grow without bound in the caller's process.
        big = max(value.numerator.bit_length(), value.denominator.bit_length())
        return None if big > MAX_EXACT_BITS else value
    if kind == "pow":
        base, exp = exact(node[1]), exact(node[2])
        if base is None or exp is None or exp.denominator != 1 or (base == 0 and exp < 0):
            return None
        bits = abs(exp.numerator) * max(base.numerator.bit_length(), base.denominator.bit_length())
        return None if bits > MAX_EXACT_BITS else base ** int(exp)
    if kind == "fact":
        n = exact(node[1])
        if n is None or n.denominator != 1 or not 0 <= n <= MAX_FACTORIAL:
            return None
        return Fraction(math.factorial(int(n)))
    return None  # root, pi: irrational in general (perfect powers are left to sympy)


_MP: Any = None


def _ctx() -> Any:
    global _MP
    if _MP is None:
        import mpmath  # lazily: only answers with roots or pi need it

        _MP = mpmath.MPContext()
        _MP.dps = 60
    return _MP


def approx(node: Node, env: dict[str, Any] | None = None) -> Any:
    """A 60-digit mpmath value (complex allowed) with variables from `env`; raises
    Unsupported when too big or when a variable has no value."""
    mp = _ctx()
    kind = node[0]
    if kind == "num":
        return mp.mpf(node[1].numerator) / node[1].denominator
    if kind == "pi":
        return +mp.pi
    if kind == "var":
        constants = {"i": mp.mpc(0, 1), "e": +mp.e}
        value = constants.get(node[1], (env or {}).get(node[1]))
        if value is None:
            raise Unsupported(f"variable {node[1]}")
        return value
    args = [approx(child, env) for child in node[1:]]
    if kind == "neg":
        return -args[0]
    if kind in ("add", "sub", "mul", "div"):
        a, b = args
        if kind == "div" and b == 0:
            raise Unsupported("division by zero")
        return _OPS[kind](a, b)
    if kind == "pow":
        base, exp = args
        if abs(exp) > 1e6 or (base == 0 and mp.re(exp) <= 0):
            raise Unsupported("exponent too large")
        return mp.power(base, exp)
    if kind == "root":
        value, index = args
        if index == 0:
            raise Unsupported("zeroth root")
        return mp.sqrt(value) if index == 2 else mp.root(value, int(index))
    if kind == "fact":
        n = args[0]
        if mp.im(n) != 0 or n != mp.floor(mp.re(n)) or not 0 <= n <= 1e6:
            raise Unsupported("factorial argument")
        return mp.factorial(n)
    raise Unsupported(kind)


def variables(node: Node) -> set[str]:
    if node[0] == "var":
        return set() if node[1] in ("i", "e") else {node[1]}
    return set().union(*(variables(c) for c in node[1:] if isinstance(c, tuple)))


def _points(names: set[str]) -> list[dict[str, Any]]:
    """Two fixed, generic points (irrational-looking values, distinct per variable)."""
    mp = _ctx()
    return [
        {n: mp.mpf(0.5) + mp.frac(mp.mpf(ord(n)) * mp.sqrt(k)) for n in sorted(names)}
        for k in (2, 3)
    ]


def _differ(va: Any, vb: Any) -> bool | None:
    mp = _ctx()
    if not (mp.isfinite(va) and mp.isfinite(vb)):
        return None
    return bool(abs(va - vb) > max(abs(va), abs(vb)) * mp.mpf(10) ** -30)


def decide(answer: str, gold: str, approximate: bool = False) -> bool | None:
    """Equal, unequal, or None (undecided: the symbolic path must look)."""
    ta, tb = read(answer), read(gold)
    if ta is None or tb is None:
        return None
    pa, pb = places(ta), places(tb)
    k = rounding_places(pa, pb, approximate)
    names = variables(ta) | variables(tb)
    if names:  # expressions: two that differ at a point are different; equality is sympy's
        if (pa is None) != (pb is None):
            return None
        try:
            differ = [_differ(approx(ta, env), approx(tb, env)) for env in _points(names)]
        except (Unsupported, ValueError, ZeroDivisionError, OverflowError):
            return None
        return False if any(differ) else None
    ea, eb = exact(ta), exact(tb)
    if ea is not None and eb is not None and (k is None or ea == eb):
        return ea == eb
    try:
        va, vb = approx(ta), approx(tb)
    except (Unsupported, ValueError, ZeroDivisionError, OverflowError):
        return None
    mp = _ctx()
    if not (mp.isfinite(va) and mp.isfinite(vb)):
        return None
    if k is not None:  # one side is a decimal approximation of the other
        scale, diff = max(abs(va), abs(vb)), abs(va - vb)
        significant = k + (int(mp.floor(mp.log10(scale))) + 1 if scale != 0 else 0)
        if significant >= MIN_SIGNIFICANT and diff <= mp.mpf(5) / 10 ** (k + 1):
            return True
    return False if _differ(va, vb) else None  # the same value in two forms: sympy decides


def equations_differ(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """True when `lhs = rhs` of `a` and of `b` surely have different solution sets: their
    differences (lhs - rhs) are not proportional at two generic points."""
    trees = [read(t) for t in (*a, *b)]
    if any(t is None for t in trees):
        return False
    la, ra, lb, rb = (t for t in trees if t is not None)
    fa, fb = ("sub", la, ra), ("sub", lb, rb)
    names = variables(fa) | variables(fb)
    if not names:
        return False
    try:
        ratios = []
        for env in _points(names):
            va, vb = approx(fa, env), approx(fb, env)
            if vb == 0:
                return False
            ratios.append(va / vb)
    except (Unsupported, ValueError, ZeroDivisionError, OverflowError):
        return False
    return bool(_differ(ratios[0], ratios[1]))
