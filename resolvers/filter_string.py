"""Parse MLflow search filter strings into the GraphQL filter-input dict shape.

MLflow clients send `filter_string`s such as `name LIKE 'fraud%' AND tags.team = 'risk'`.
Rather than compile those to SQL on a separate path, we translate them into exactly the
dict a GraphQL client would send as a typed filter, so one compiler serves both.

The grammar is MLflow's: a flat AND-chain of `attribute operator value` comparisons.
There is no OR and no grouping (MLflow rejects both), so a recursive-descent parser over
a regex scanner is all it takes; we do not pull in sqlparse as MLflow does.
"""

from __future__ import annotations

import re
from typing import Any, Callable, NamedTuple

from resolvers.errors import RegistryError, invalid
from store.filters import MAX_TERMS

# GraphQL's Int, which the typed filter takes: beyond it SQLite overflows.
INT_RANGE = (-(2**31), 2**31 - 1)

__all__ = ["parse_model_filter", "parse_version_filter"]


class _Token(NamedTuple):
    kind: str  # string, backtick, unterminated, number, ident, op, eof
    text: str
    pos: int


# Alternative order matters. Closed quotes are tried before `unterminated`, so only a
# quote with no partner falls through to it (and it swallows the rest of the input, which
# is what the user sees quoted). `number` grabs `3.5` / `3abc` whole so they fail as one
# bad integer rather than as "trailing garbage". `ident` admits `.`, `-`, `:`, `/` so a
# dotted tag key like `tags.mlflow.source.type` stays one token. The final `op` catches
# any other single character, so the scanner never stalls and stray characters surface
# as "unsupported operator" with the clause around them.
_TOKEN_RE = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<backtick>`[^`]*`)
    | (?P<unterminated>['"`].*)
    | (?P<number>-?\d[\w.]*)
    | (?P<ident>[^\W\d][\w.\-:/]*)
    | (?P<op><=|>=|!=|<>|==|[^\w\s])
    """,
    re.VERBOSE | re.DOTALL,
)

_OPS = {"=": "eq", "!=": "ne", "LIKE": "like", "ILIKE": "ilike", "IN": "in",
        "NOT IN": "notIn", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_PATTERN = ("=", "!=", "LIKE", "ILIKE")
_LISTABLE = _PATTERN + ("IN", "NOT IN")
_ORDERED = ("=", "!=", "<", "<=", ">", ">=")
_STAGES = ("NONE", "STAGING", "PRODUCTION", "ARCHIVED")


class _Field(NamedTuple):
    ops: tuple[str, ...]
    kind: str  # "string", "integer" or "stage": decides how the value is read
    build: Callable[[str, Any], dict]


def _compare(key: str) -> Callable[[str, Any], dict]:
    return lambda op, value: {key: {_OPS[op]: value}}


def _stage(op: str, value: Any) -> dict:
    # The typed input only has "stage in [...]"; negation wraps it rather than adding
    # a second stage operator the compiler would need to know about.
    stages = value if isinstance(value, list) else [value]
    return {"stage": stages} if op in ("=", "IN") else {"not": {"stage": stages}}


def _tag(key: str) -> _Field:
    return _Field(_PATTERN, "string",
                  lambda op, value: {"tags": [{"key": key, "value": {_OPS[op]: value}}]})


_MODEL_FIELDS = {"name": _Field(_LISTABLE, "string", _compare("name"))}
_VERSION_FIELDS = {
    "name": _Field(_LISTABLE, "string", _compare("name")),
    "version_number": _Field(_ORDERED, "integer", _compare("version")),
    "run_id": _Field(_LISTABLE, "string", _compare("runId")),
    "source_path": _Field(_PATTERN, "string", _compare("source")),
    "current_stage": _Field(("=", "!=", "IN", "NOT IN"), "stage", _stage),
    "alias": _Field(("=",), "string", lambda op, value: {"alias": value}),
}


def _is_kw(tok: _Token, word: str) -> bool:
    return tok.kind == "ident" and tok.text.upper() == word


def _describe(tok: _Token) -> str:
    return "end of input" if tok.kind == "eof" else f"{tok.text!r} at position {tok.pos}"


class _Parser:
    def __init__(self, text: str, fields: dict[str, _Field], entity: str):
        self.text, self.fields, self.entity = text, fields, entity
        self.tokens = [_Token(m.lastgroup, m.group(), m.start())
                       for m in _TOKEN_RE.finditer(text) if m.lastgroup != "ws"]
        self.tokens.append(_Token("eof", "", len(text)))
        self.i = 0
        self.clause = 0  # first token of the clause being parsed: errors quote that clause

    def fail(self, detail: str) -> RegistryError:
        # The clause runs from its first token up to the next AND (or the end), so even
        # an error deep inside it shows the user the whole comparison they wrote.
        end = self.clause + 1
        while self.tokens[end].kind != "eof" and not _is_kw(self.tokens[end], "AND"):
            end += 1
        first, last = self.tokens[self.clause], self.tokens[end - 1]
        clause = self.text[first.pos:last.pos + len(last.text)]
        return invalid(f'Invalid clause "{clause}" at position {first.pos}: {detail}', "query")

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        if tok.kind == "unterminated":
            raise self.fail(f"unterminated {tok.text[0]} string starting at position {tok.pos}")
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def parse(self) -> dict:
        clauses = [self.comparison()]
        while (tok := self.peek()).kind != "eof":
            if not _is_kw(tok, "AND"):
                hint = ("OR is not supported, only AND may join comparisons" if _is_kw(tok, "OR")
                        else "expected AND or end of input")
                raise self.fail(f"unexpected {_describe(tok)}: {hint}")
            self.clause = self.i
            self.take()
            if self.peek().kind == "eof":
                raise self.fail(f"AND at position {tok.pos} is not followed by a comparison")
            clauses.append(self.comparison())
            if len(clauses) > MAX_TERMS:
                raise invalid(f"A filter string has at most {MAX_TERMS} comparisons.", "query")
        return clauses[0] if len(clauses) == 1 else {"and": clauses}

    def comparison(self) -> dict:
        self.clause = self.i
        name, field = self.attribute()
        op = self.operator(name, field)
        if op in ("IN", "NOT IN"):
            return field.build(op, self.value_list(name, field))
        return field.build(op, self.value(name, field, self.take()))

    def attribute(self) -> tuple[str, _Field]:
        tok = self.take()
        if tok.kind == "op" and tok.text == "(":
            raise self.fail("parentheses for grouping are not supported")
        prefix, dot, key = tok.text.partition(".")
        if tok.kind == "ident" and dot and prefix in ("tags", "tag"):
            nxt = self.peek()
            # A quoted key must touch the dot: `tags. "k"` is more likely a typo than intent.
            # take() on an unterminated quote reports it rather than "missing tag key".
            if not key and nxt.pos == tok.pos + len(tok.text) and (
                    nxt.kind in ("backtick", "unterminated")
                    or (nxt.kind == "string" and nxt.text[0] == '"')):
                key = self.take().text[1:-1]
            if not key:
                raise self.fail(f"missing tag key after {tok.text!r} (use tags.key, "
                                f'tags.`my key` or tags."my key")')
            return f"tag {key!r}", _tag(key)
        if tok.kind == "ident" and tok.text in self.fields:
            return tok.text, self.fields[tok.text]
        valid = ", ".join([*self.fields, "tags.<key>"])
        raise self.fail(f"unknown attribute {tok.text!r} for {self.entity} "
                        f"(expected one of {valid})")

    def operator(self, name: str, field: _Field) -> str:
        tok = self.take()
        op, text = tok.text.upper(), tok.text
        if op == "NOT" and _is_kw(self.peek(), "IN"):
            in_tok = self.take()
            op, text = "NOT IN", self.text[tok.pos:in_tok.pos + len(in_tok.text)]
        if tok.kind not in ("ident", "op") or op not in field.ops:
            got = "missing operator" if tok.kind == "eof" else f"unsupported operator {text!r}"
            raise self.fail(f"{got} for {name} (expected one of {', '.join(field.ops)})")
        return op

    def value(self, name: str, field: _Field, tok: _Token) -> Any:
        if field.kind == "integer":
            # MLflow compares version numbers numerically, so only a bare integer makes sense.
            if tok.kind != "number" or not re.fullmatch(r"-?\d+", tok.text):
                raise self.fail(f"{name} must be compared with an unquoted integer, "
                                f"got {_describe(tok)}")
            number = int(tok.text)
            if not INT_RANGE[0] <= number <= INT_RANGE[1]:
                raise self.fail(f"{name} is compared with an integer from {INT_RANGE[0]} to {INT_RANGE[1]}")
            return number
        if tok.kind != "string":
            raise self.fail(f"expected a quoted string for {name}, got {_describe(tok)}")
        value = tok.text[1:-1]
        if field.kind == "stage":
            if value.upper() not in _STAGES:
                raise self.fail(f"unknown stage {value!r} (expected one of {', '.join(_STAGES)})")
            return value.upper()
        return value

    def value_list(self, name: str, field: _Field) -> list:
        tok = self.take()
        if not (tok.kind == "op" and tok.text == "("):
            raise self.fail(f"expected '(' to open the IN list, got {_describe(tok)}")
        if self.peek().text == ")" and self.peek().kind == "op":
            raise self.fail("IN list is empty; it needs at least one quoted string")
        items = []
        while True:
            items.append(self.value(name, field, self.take()))
            sep = self.take()
            if sep.kind == "op" and sep.text == ")":
                return items
            if not (sep.kind == "op" and sep.text == ","):
                raise self.fail(f"expected ',' or ')' in IN list, got {_describe(sep)}")


def _parse(text: str | None, fields: dict[str, _Field], entity: str) -> dict:
    if text is None or not text.strip():
        return {}
    return _Parser(text, fields, entity).parse()


def parse_model_filter(text: str | None) -> dict:
    """Translate an MLflow registered-model filter string into a model filter-input dict."""
    return _parse(text, _MODEL_FIELDS, "registered models")


def parse_version_filter(text: str | None) -> dict:
    """Translate an MLflow model-version filter string into a version filter-input dict."""
    return _parse(text, _VERSION_FIELDS, "model versions")
