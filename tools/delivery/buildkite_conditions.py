"""Evaluates Buildkite step `if` conditions, so tests can check what a commit triggers.

Buildkite evaluates `if` on its servers at pipeline upload; the agent cannot,
and Buildkite's own evaluator is not installable here. This covers the
documented language except arrays, `includes`, functions and `$` expansion:
`==` `!=` `=~` `!~` `&&` `||` `!`, parentheses, strings, integers, `true`
`false` `null`, `/regex/` (with an optional `i` flag, on the right of `=~`
and `!~` only, matched anywhere as with `=~` in Ruby), `//` comments, and
dotted variables such as `build.message`. A variable that the caller did not
supply is an error, never a silent false.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

Value = str | int | bool | None

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<op>==|!=|=~|!~|&&|\|\||!|\(|\))
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<regex>/(?:[^/\\\n]|\\.)+/i?)
  | (?P<integer>\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
_LITERALS: dict[str, Value] = {"true": True, "false": False, "null": None}


class ConditionError(ValueError):
    """A condition this evaluator cannot parse, or one that names an unknown variable."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if not match or match.lastgroup is None:
            raise ConditionError(f"cannot parse {source[position : position + 20]!r} in {source!r}")
        if match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup, match.group()))
        position = match.end()
    return tokens


class _Evaluator:
    def __init__(self, source: str, variables: Mapping[str, Value]) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.position = 0
        self.variables = variables

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, text: str | None = None) -> _Token:
        token = self._peek()
        if token is None or (text is not None and token.text != text):
            raise ConditionError(f"expected {text or 'a term'} in {self.source!r}")
        self.position += 1
        return token

    def run(self) -> bool:
        result = self._or()
        if self._peek() is not None:
            raise ConditionError(f"unexpected {self._peek()} in {self.source!r}")
        return bool(result)

    def _or(self) -> Value:
        value = self._and()
        while (token := self._peek()) and token.text == "||":
            self._take()
            right = self._and()
            value = bool(value) or bool(right)
        return value

    def _and(self) -> Value:
        value = self._unary()
        while (token := self._peek()) and token.text == "&&":
            self._take()
            right = self._unary()
            value = bool(value) and bool(right)
        return value

    def _unary(self) -> Value:
        if (token := self._peek()) and token.text == "!":
            self._take()
            return not self._unary()
        return self._comparison()

    def _comparison(self) -> Value:
        left = self._primary()
        token = self._peek()
        if token is None or token.text not in ("==", "!=", "=~", "!~"):
            return left
        operator = self._take().text
        if operator in ("=~", "!~"):
            pattern = self._take()
            if pattern.kind != "regex":
                raise ConditionError(f"{operator} needs a /regex/ on its right in {self.source!r}")
            body, _, flags = pattern.text[1:].rpartition("/")
            found = isinstance(left, str) and re.search(
                body, left, re.IGNORECASE if "i" in flags else 0
            )
            return bool(found) == (operator == "=~")
        right = self._primary()
        return (left == right) == (operator == "==")

    def _primary(self) -> Value:
        token = self._take()
        if token.text == "(":
            value = self._or()
            self._take(")")
            return value
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "integer":
            return int(token.text)
        if token.kind == "name":
            if token.text in _LITERALS:
                return _LITERALS[token.text]
            if token.text not in self.variables:
                raise ConditionError(f"no value given for {token.text} in {self.source!r}")
            return self.variables[token.text]
        raise ConditionError(f"unexpected {token.text!r} in {self.source!r}")


def evaluate(condition: str, variables: Mapping[str, Value]) -> bool:
    """Whether Buildkite would run a step with `if: condition` for these build variables."""
    return _Evaluator(condition, variables).run()
