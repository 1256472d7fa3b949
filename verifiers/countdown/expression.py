"""The Countdown expression language: a bounded recursive-descent parser over exact rationals.

Grammar (ASCII only; spaces may separate tokens):

    expression := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := number | "(" expression ")"
    number     := "0" | [1-9][0-9]*

Anything else is refused rather than interpreted, because every interpretation a grader adds is
a way for a policy to reach the target without solving the puzzle: a sign (`-3`), a power
(`**`, `^`), a decimal (`2.5` read as the numbers 2 and 5), a leading zero (`03`), two numbers
side by side (`1 2` as 12), implicit multiplication (`2(3)`), non-ASCII digits (`３`, `٣`).
The text is never handed to `eval`, `ast` or sympy. Length and nesting depth are bounded, so
a check costs at most a few hundred tokens of work.

>>> evaluate("(6 - 2) * 25 / 10")
Fraction(10, 1)
>>> numbers_used("(6 - 2) * 25 / 10")
[6, 2, 25, 10]
>>> evaluate("-3 + 5")
Traceback (most recent call last):
...
verifiers.countdown.expression.ExpressionError: unary '-' at position 0 is not allowed
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Literal, NamedTuple

MAX_EXPRESSION_CHARS = 200
"""Longest expression parsed; a Countdown answer over six numbers needs well under 60."""
MAX_DEPTH = 32
"""Deepest parenthesis nesting parsed (bounds the parser's recursion)."""

ExpressionReason = Literal["invalid_expression", "division_by_zero", "too_long"]

# A number, an operator, a run of ASCII spaces, or any other single character (refused later).
_TOKEN = re.compile(r"[0-9]+|\*\*|[-+*/()]| +|.", re.DOTALL)
_END = ""


class ExpressionError(ValueError):
    """An expression outside the language; `reason` is the verdict it earns."""

    def __init__(self, reason: ExpressionReason, message: str) -> None:
        super().__init__(message)
        self.reason: ExpressionReason = reason


class Parsed(NamedTuple):
    """One parse: the exact value (None when a division by zero occurs) and the literals used."""

    value: Fraction | None
    numbers: tuple[int, ...]


def parse(expression: str) -> Parsed:
    """Parse and evaluate `expression`; raise `ExpressionError` if it is outside the language.

    A division by zero is not a syntax error: it gives `value=None`, so that a caller can still
    say which numbers the expression used.
    """
    if not isinstance(expression, str):
        raise TypeError(f"expression must be a str, got {type(expression).__name__}")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(
            "too_long", f"expression has {len(expression)} characters, over {MAX_EXPRESSION_CHARS}"
        )
    return _Parser(_tokens(expression)).parse()


def evaluate(expression: str) -> Fraction:
    """The exact value of `expression`; `ExpressionError` if invalid or it divides by zero."""
    value = parse(expression).value
    if value is None:
        raise ExpressionError("division_by_zero", f"{expression!r} divides by zero")
    return value


def numbers_used(expression: str) -> list[int]:
    """The integer literals of `expression` in the order written (a valid expression only)."""
    return list(parse(expression).numbers)


def _tokens(expression: str) -> list[tuple[int, str]]:
    """(position, token) pairs, spaces dropped; the first character outside the language raises."""
    tokens = []
    for match in _TOKEN.finditer(expression):
        token = match.group()
        if token[0] == " ":
            continue
        if token == "**" or token == "^":
            raise _invalid(f"power {token!r} at position {match.start()} is not allowed")
        if token == ".":
            raise _invalid(f"decimal point {token!r} at position {match.start()} is not allowed")
        if len(token) == 1 and token not in "0123456789+-*/()":
            raise _invalid(f"character {token!r} at position {match.start()} is not allowed")
        tokens.append((match.start(), token))
    tokens.append((len(expression), _END))
    return tokens


def _invalid(message: str) -> ExpressionError:
    return ExpressionError("invalid_expression", message)


class _Parser:
    """Recursive descent over a token list, computing the value as it goes."""

    def __init__(self, tokens: list[tuple[int, str]]) -> None:
        self.tokens = tokens
        self.at = 0
        self.literals: list[int] = []

    def parse(self) -> Parsed:
        value = self.expression(0)
        position, token = self.tokens[self.at]
        if token == ")":
            raise _invalid(f"unmatched ')' at position {position}")
        if token != _END:
            raise _invalid(
                f"expected an operator at position {position}, got {token!r}"
                " (numbers side by side and implicit multiplication are not allowed)"
            )
        return Parsed(value, tuple(self.literals))

    def take(self) -> tuple[int, str]:
        token = self.tokens[self.at]
        if token[1] != _END:
            self.at += 1
        return token

    def expression(self, depth: int) -> Fraction | None:
        return self.chain(("+", "-"), lambda: self.term(depth))

    def term(self, depth: int) -> Fraction | None:
        return self.chain(("*", "/"), lambda: self.factor(depth))

    def chain(
        self, operators: tuple[str, str], operand: Callable[[], Fraction | None]
    ) -> Fraction | None:
        """operand (operator operand)*, left-associative."""
        value = operand()
        while self.tokens[self.at][1] in operators:
            symbol = self.take()[1]
            value = _apply(symbol, value, operand())
        return value

    def factor(self, depth: int) -> Fraction | None:
        position, token = self.take()
        if token == "(":
            if depth >= MAX_DEPTH:
                raise ExpressionError("too_long", f"parentheses nested deeper than {MAX_DEPTH}")
            value = self.expression(depth + 1)
            _, token = self.take()
            if token != ")":
                raise _invalid(f"'(' at position {position} is not closed (got {token!r})")
            return value
        if token[:1].isdigit():  # ASCII only: the tokenizer refused every other digit
            if len(token) > 1 and token[0] == "0":
                raise _invalid(f"number {token!r} at position {position} has a leading zero")
            self.literals.append(int(token))
            return Fraction(int(token))
        if token in ("+", "-"):
            raise _invalid(f"unary {token!r} at position {position} is not allowed")
        if token == _END:
            raise _invalid("expression ends where a number or '(' was expected")
        raise _invalid(f"expected a number or '(' at position {position}, got {token!r}")


_ARITHMETIC: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def _apply(symbol: str, left: Fraction | None, right: Fraction | None) -> Fraction | None:
    """One exact binary operation; None (undefined) propagates, as does division by zero."""
    if left is None or right is None or (symbol == "/" and right == 0):
        return None
    return _ARITHMETIC[symbol](left, right)
