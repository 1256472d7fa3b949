"""Symbolic leaf comparison with sympy; runs only inside a worker process (see `worker`).

Safety. Model text reaches sympy only through the ANTLR LaTeX grammar of `latex2sympy2_extended`,
which builds sympy objects node by node; nothing here calls `sympify`/`parse_expr` on a string
(they `eval`). The one place the library would sympify a string is its number reader, which this
module overrides (`_SafeConverter.parse_number`) to read digits with `int`/`Float` instead.
Magnitude. A tree is sized *before* it is evaluated (`log2_size`): `9^{9^{9^9}}`, `2^{2^{40}}`,
`(10^9)!` are compared only as unevaluated trees, so they can neither hang nor fill memory; two
such trees that differ are undecided (None), which the worker reports as `undecided`.

Exact vs approximate. Exact sides are compared exactly: identical after evaluation, or a
difference that simplifies to 0, or (for closed-form numbers) equal to 50 significant digits,
which tells `1/2006!` from `1/2004!` and `2^{-98}` from `2^{-99}` where a float tolerance
cannot. A decimal literal on exactly one side is judged by correct rounding where
`numeric.rounding_places` says so (a decimal gold, or `approximate`), else exactly.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import sympy
from latex2sympy2_extended.latex2sympy2 import ConversionConfig, _Latex2Sympy
from sympy.core.evalf import PrecisionExhausted

from verifiers.math.compare import FastLeaves, Tri
from verifiers.math.evaluate import Node, read
from verifiers.math.numeric import MIN_SIGNIFICANT, rounding_places
from verifiers.math.structure import Equation

MAX_BITS = 1 << 17  # ~40,000 decimal digits: 2006! has ~5,700
DIGITS = 50
TRUSTED_BITS = 150  # numeric zero-tests are trusted only for sides this small (600-bit evalf)
_DECIMAL = re.compile(r"\d*\.(\d+)")
_NUMBER_TOKEN = re.compile(r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?")


class ParseFailure(ValueError):
    """The LaTeX parser could not read a leaf."""


class _SafeConverter(_Latex2Sympy):
    """latex2sympy2_extended's converter with a number reader that never calls sympify."""

    def parse_number(self, text: str) -> sympy.Number:
        text = text.replace(",", "")
        if not _NUMBER_TOKEN.fullmatch(text):
            raise ParseFailure(f"not a number token: {text[:40]!r}")
        if text.isdigit():
            return sympy.Integer(int(text))
        return sympy.Float(text, max(15, len(text)))


_CONFIG = ConversionConfig(interpret_as_mixed_fractions=True, lowercase_symbols=False)


def _from_tree(node: Node) -> sympy.Basic:
    """An unevaluated sympy tree from `evaluate.read`'s arithmetic tree (no string parsing)."""
    kind, args = node[0], [_from_tree(c) for c in node[1:] if isinstance(c, tuple)]
    if kind == "num":
        return sympy.Rational(node[1].numerator, node[1].denominator)
    if kind == "pi":
        return sympy.pi
    if kind == "var":
        return sympy.Symbol(node[1])  # `i` and `e` become constants in `_evaluate`
    if kind == "neg":
        return sympy.Mul(-1, args[0], evaluate=False)
    if kind == "add":
        return sympy.Add(*args, evaluate=False)
    if kind == "sub":
        return sympy.Add(args[0], sympy.Mul(-1, args[1], evaluate=False), evaluate=False)
    if kind == "mul":
        return sympy.Mul(*args, evaluate=False)
    if kind == "div":
        return sympy.Mul(args[0], sympy.Pow(args[1], -1, evaluate=False), evaluate=False)
    if kind == "pow":
        return sympy.Pow(*args, evaluate=False)
    if kind == "root":
        return sympy.Pow(args[0], sympy.Pow(args[1], -1, evaluate=False), evaluate=False)
    if kind == "fact":
        return sympy.factorial(args[0], evaluate=False)
    raise ParseFailure(f"unknown node {kind}")


@lru_cache(maxsize=4096)
def to_sympy(text: str) -> sympy.Basic:
    """Parse one normalised LaTeX leaf into an unevaluated sympy tree: arithmetic through the
    small reader of `evaluate` (fast), anything else through the ANTLR LaTeX grammar."""
    tree = read(text)
    if tree is not None:
        return _from_tree(tree)
    try:
        return _SafeConverter(config=_CONFIG).parse(text)
    except MemoryError:
        raise
    except Exception as err:  # the ANTLR converter raises bare Exception on syntax errors
        raise ParseFailure(f"cannot parse {text[:80]!r}: {str(err)[:80]}") from err


def _magnitude(x: sympy.Basic) -> float:
    """|x| for a small numeric subtree (already size-checked), 1 for a symbolic one."""
    if x.free_symbols:
        return 1.0
    try:
        return abs(complex(sympy.N(x, 15)))
    except (TypeError, ValueError):  # zoo, nan, or not a number at all
        return math.inf


def log2_size(e: sympy.Basic) -> float:
    """An upper bound on the bits needed to hold `e` once evaluated, computed without
    evaluating anything big: exponents and factorial arguments are bounded first, then (being
    small) evaluated numerically to size the power or factorial they feed."""
    if isinstance(e, sympy.Rational):
        return float(max(e.p.bit_length(), e.q.bit_length(), 1))
    if isinstance(e, sympy.Float):
        return 64.0
    if not e.args:  # a symbol or a constant such as pi
        return 2.0
    if isinstance(e, (sympy.Pow, sympy.exp)):
        base, exp = e.args if isinstance(e, sympy.Pow) else (sympy.E, e.args[0])
        base_bits, exp_bits = log2_size(base), log2_size(exp)
        if exp_bits > 64 or base_bits == math.inf:
            return math.inf
        return base_bits * max(_magnitude(exp), 1.0) + 1
    if isinstance(e, (sympy.factorial, sympy.binomial, sympy.gamma, sympy.factorial2)):
        if max(log2_size(a) for a in e.args) > 64:
            return math.inf
        n = max(_magnitude(a) for a in e.args)
        return math.inf if n > 1e6 else n * math.log2(n + 2) + 1
    sizes = [log2_size(a) for a in e.args]
    return sum(sizes) + len(sizes)


# MATH writes the imaginary unit and Euler's number as plain letters; the parser makes symbols.
_CONSTANTS = {sympy.Symbol("i"): sympy.I, sympy.Symbol("e"): sympy.E}


def _evaluate(e: sympy.Basic) -> sympy.Basic:
    """Evaluate an unevaluated tree (only after `log2_size` has said it is small enough)."""
    return e.xreplace(_CONSTANTS).doit()


def _places(text: str) -> int | None:
    places = [len(m) for m in _DECIMAL.findall(text)]
    return min(places) if places else None


def _close(a: sympy.Expr, b: sympy.Expr, places: int | None) -> bool:
    """Equality of closed-form numbers: exact, or correct rounding of a decimal (`places`)."""
    if places is None:
        difference = a - b
        if difference == 0:
            return True
        try:
            # strict evalf returns the difference to 30 *significant* digits or raises: a
            # nonzero difference, however small (1/2006! - 1/2004!), is found and reported.
            value = sympy.N(difference, 30, strict=True, maxn=600)
        except PrecisionExhausted:
            # Zero to 600 bits: an identity sympy did not simplify (nested radicals), unless the
            # sides are big enough to hide a difference that deep (`\\sqrt{2+10^{-400}}`).
            if log2_size(a) + log2_size(b) <= TRUSTED_BITS:
                return True
            return bool(sympy.simplify(difference) == 0)
        return bool(value == 0)
    if a - b == 0:  # `1.5\\pi` is exactly `\\frac{3\\pi}{2}`, whatever the places show
        return True
    va, vb = sympy.N(a, DIGITS), sympy.N(b, DIGITS)
    if not (va.is_number and vb.is_number) or va.has(sympy.nan) or vb.has(sympy.nan):
        return False
    # Significant digits shown by the decimal (either side will do: they must be close).
    significant = places + (math.floor(math.log10(abs(float(va)))) + 1 if va != 0 else 0)
    return significant >= MIN_SIGNIFICANT and bool(
        abs(va - vb) <= sympy.Rational(1, 2 * 10**places)
    )


def _values_equal(a: sympy.Basic, b: sympy.Basic, places: int | None) -> bool:
    if a.has(sympy.zoo, sympy.nan) or b.has(sympy.zoo, sympy.nan):
        return False  # undefined (`5:00` read as 5/0) equals nothing, not even itself + 1
    if a == b:
        return True
    if not (isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)):
        return False  # sets, matrices, relations from inside a leaf: identical or not equal
    if a.has(sympy.oo, -sympy.oo, sympy.zoo) or b.has(sympy.oo, -sympy.oo, sympy.zoo):
        return False
    if not a.free_symbols and not b.free_symbols:
        return _close(a, b, places)
    if places is not None:
        return False
    difference = a - b
    return sympy.expand(difference) == 0 or sympy.simplify(difference) == 0


class SymbolicLeaves(FastLeaves):
    """Leaves decided with sympy after the fast path; records parse failures for the verdict."""

    def __init__(self, approximate: bool = False) -> None:
        super().__init__(approximate)
        self.parse_failures = 0

    def _parse(self, text: str) -> sympy.Basic | None:
        try:
            return to_sympy(text)
        except ParseFailure:
            self.parse_failures += 1
            return None

    def expr(self, a: str, b: str) -> Tri:
        fast = super().expr(a, b)
        if fast is not None:
            return fast
        ea, eb = self._parse(a), self._parse(b)
        if ea is None or eb is None:
            return False
        if max(log2_size(ea), log2_size(eb)) > MAX_BITS:
            # Too big to evaluate: equal as identical trees, else undecided (scored as wrong).
            # (`==` on unevaluated trees compares structure; printing them would evaluate.)
            return True if ea == eb else None
        places = rounding_places(_places(a), _places(b), self.approximate)
        return _values_equal(_evaluate(ea), _evaluate(eb), places)

    def equation(self, a: Equation, b: Equation) -> Tri:
        """Same solution set: (lhs_a - rhs_a) is a nonzero constant times (lhs_b - rhs_b)."""
        sides = [self._parse(t) for t in (a.lhs, a.rhs, b.lhs, b.rhs)]
        if any(s is None for s in sides):
            return False
        if max(log2_size(s) for s in sides) > MAX_BITS:
            return None  # too big to evaluate: undecided
        la, ra, lb, rb = (_evaluate(s) for s in sides)
        if not any(side.free_symbols for side in (la, ra, lb, rb)):
            # A numeric statement (`0.56 = 56\\%`) has no solution set: same sides or none.
            same = [_values_equal(x, y, None) for x, y in ((la, lb), (ra, rb), (la, rb), (ra, lb))]
            return (same[0] and same[1]) or (same[2] and same[3])
        fa, fb = la - ra, lb - rb
        if fb == 0 or fa == 0:
            return fa == fb
        ratio = sympy.simplify(fa / fb)
        return bool(ratio.is_number and ratio != 0 and not ratio.has(sympy.zoo, sympy.nan))
