"""Column types of the record, derived from the published JSON Schema, never sniffed.

One small type tree (:class:`Column`) is built from ``article.schema.json``; it gives the
DuckDB type of every column (``columns={...}`` of ``read_json``) and a check of one JSON
value against that type (used to name the line that would break a typed load).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

_DATETIME_PATTERN = re.compile(r"^\^\\d\{4\}-\\d\{2\}-\\d\{2\}T")
"""A schema ``pattern`` that starts like an ISO 8601 date-time (``^\\d{4}-\\d{2}-\\d{2}T``)."""

SCALARS = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
}
"""DuckDB type of each scalar kind."""

_INTEGER_TEXT = re.compile(r"\s*-?[0-9]+\s*")
"""A string DuckDB casts to an integer as it reads (ASCII digits only; ``"²"`` is not one)."""

BIGINT_RANGE = range(-(2**63), 2**63)
"""The integers a ``BIGINT`` holds; JSON Schema's ``integer`` has no bound."""


@dataclass(frozen=True)
class Column:
    """The type of one value: a scalar kind, a list of ``item``, or a struct of ``fields``.

    Every value may also be null: the reader types nulls, it does not validate records.
    """

    kind: str
    """``string``, ``timestamp``, ``integer``, ``boolean``, ``list`` or ``struct``."""
    item: Column | None = None
    """The type of a list's items."""
    fields: tuple[tuple[str, Column], ...] = field(default=())
    """A struct's fields, in schema order."""

    def duckdb_type(self) -> str:
        """Return the DuckDB type, e.g. ``STRUCT("name" VARCHAR, "url" VARCHAR)[]``."""
        if self.kind == "list":
            assert self.item is not None
            return f"{self.item.duckdb_type()}[]"
        if self.kind == "struct":
            inner = ", ".join(f'"{name}" {column.duckdb_type()}' for name, column in self.fields)
            return f"STRUCT({inner})"
        return SCALARS[self.kind]

    def problem(self, value: Any) -> str | None:
        """Return why ``value`` (decoded JSON) cannot be read as this type, or None if it can.

        >>> Column("integer").problem("three")
        'expected an integer, not a string'
        >>> Column("integer").problem(10**20)
        '100000000000000000000 is out of range (a 64-bit integer)'
        >>> Column("timestamp").problem("2016-03-24T15:07:31+03:00") is None
        True
        """
        if value is None:
            return None
        if self.kind == "string":
            return None if isinstance(value, str) else _expected("a string", value)
        if self.kind == "integer":
            # DuckDB casts "2" to 2 as it reads, so the check lets it pass too.
            if isinstance(value, int) and not isinstance(value, bool):
                number = value
            elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
                # Past 20 digits it is out of range; int() would refuse 4,300 digits.
                number = int(value) if len(value.strip()) <= 20 else 2**63
            else:
                return _expected("an integer", value)
            if number in BIGINT_RANGE:
                return None
            text = str(value).strip()
            shown = text if len(text) <= 24 else f"{text[:20]}... ({len(text)} digits)"
            return f"{shown} is out of range (a 64-bit integer)"
        if self.kind == "boolean":
            return None if isinstance(value, bool) else _expected("a boolean", value)
        if self.kind == "timestamp":
            return _timestamp_problem(value)
        if self.kind == "list":
            if not isinstance(value, list):
                return _expected("a list", value)
            assert self.item is not None
            for index, element in enumerate(value):
                if problem := self.item.problem(element):
                    return problem_under(f"[{index}]", problem)
            return None
        if not isinstance(value, dict):
            return _expected("an object", value)
        for name, column in self.fields:
            if problem := column.problem(value.get(name)):
                return problem_under(f".{name}", problem)
        return None


def problem_under(step: str, problem: str) -> str:
    """Return the ``problem`` of a value found under ``step`` (a field name, ``[2]``,
    ``.url``): the steps make one path, then a colon and what is wrong.

    >>> problem_under("images", problem_under("[0]", problem_under(".url", "expected a string")))
    'images[0].url: expected a string'
    """
    return f"{step}{'' if problem[0] in '.[' else ': '}{problem}"


def _expected(what: str, value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    names |= {list: "a list", dict: "an object"}
    return f"expected {what}, not {names.get(type(value), type(value).__name__)}"


def _timestamp_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return _expected("an ISO 8601 date-time string", value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not an ISO 8601 date-time"
    return None if moment.tzinfo is not None else f"{value!r} has no UTC offset"


def column_from_schema(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Column:
    """Return the type a schema ``node`` describes; ``defs`` resolves ``#/$defs/`` refs.

    A string whose pattern is an ISO 8601 date-time is a ``timestamp``; ``anyOf`` with
    ``null`` is its other branch; ``const`` takes the type of its value. Raises ValueError
    for a node this reader cannot type, so a new kind of field fails loudly here.
    """
    if "$ref" in node:
        return column_from_schema(defs[str(node["$ref"]).rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        branches = [b for b in node["anyOf"] if b.get("type") != "null"]
        if len(branches) != 1:
            raise ValueError(f"cannot type a union of {len(branches)} non-null branches")
        return column_from_schema(branches[0], defs)
    if "const" in node:
        kinds = {str: "string", int: "integer"}
        return Column(kinds[type(node["const"])])
    kind = node.get("type")
    if kind == "string":
        pattern = str(node.get("pattern", ""))
        return Column("timestamp" if _DATETIME_PATTERN.match(pattern) else "string")
    if kind in ("integer", "boolean"):
        return Column(kind)
    if kind == "array":
        return Column("list", item=column_from_schema(node["items"], defs))
    if kind == "object":
        properties = node["properties"]
        return Column(
            "struct",
            fields=tuple((n, column_from_schema(p, defs)) for n, p in properties.items()),
        )
    raise ValueError(f"cannot type schema node {dict(node)!r}")


@cache
def record_columns() -> dict[str, Column]:
    """Return every column of the record, in the record's key order, typed from the schema."""
    from newscrawl.schema import article_schema

    schema = article_schema()
    defs = schema.get("$defs", {})
    return {
        name: column_from_schema(schema["properties"][name], defs) for name in schema["required"]
    }


@cache
def not_null_columns() -> tuple[str, ...]:
    """Return the record's keys that the schema never allows to be null (no ``null`` branch).

    The readers refuse a record in which one of them is null or missing: such a record is
    not one the crawler writes, and a null ``url`` or ``revision`` would otherwise fall out
    of ``latest`` in one reader and stay in another. Only top-level keys: a SQL reader
    (``articles.sql``) checks these with ``IS NULL``, and cannot tell a missing key from a
    null one, so the line check does not either.
    """
    from newscrawl.schema import article_schema

    schema = article_schema()
    return tuple(
        name
        for name in schema["required"]
        if not any(b.get("type") == "null" for b in schema["properties"][name].get("anyOf", ()))
    )


def supported_versions() -> tuple[str, ...]:
    """Return the ``schema_version`` values this reader understands: every shipped schema's.

    Records of an earlier version are read as the current one with the keys they lack null
    (each version only added nullable keys; ``tests/analysis`` holds the schemas to that).
    """
    from newscrawl.schema import schema_versions

    return schema_versions()


def duckdb_columns_sql() -> str:
    """Return the ``columns = {...}`` struct literal of ``read_json``, one column a line."""
    lines = [f"    {name}: '{c.duckdb_type()}'" for name, c in record_columns().items()]
    return "{\n" + ",\n".join(lines) + "\n}"
