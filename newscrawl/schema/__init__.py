"""The published JSON Schema of the record, and validation against it.

``jsonschema`` is the reference: it decides, and it words the errors. A record is
first checked by a ``fastjsonschema`` function compiled from the same schema (about
seven times faster); when that check passes, the record is valid and jsonschema is not
asked. Every other record goes to jsonschema, so answers and messages do not change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

from newscrawl.items import FIELD_NAMES, version_key

SCHEMA_FILE = "article.schema.json"
"""The schema of the records newscrawl writes now."""
EARLIER_SCHEMA_FILES = "article-*.schema.json"
"""The schemas of earlier versions (``article-1.0.schema.json``), kept as they were
published: output written by an earlier newscrawl still validates and reads."""


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def _version_of(schema: Mapping[str, Any]) -> str:
    return str(schema["properties"]["schema_version"]["const"])


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    """Return every shipped schema by the ``schema_version`` it describes, oldest first,
    the current one last."""
    folder = resources.files(__package__)
    earlier = [
        _load(entry.name)
        for entry in folder.iterdir()
        if fnmatch(entry.name, EARLIER_SCHEMA_FILES) and entry.name != SCHEMA_FILE
    ]
    current = _load(SCHEMA_FILE)
    ordered = sorted(earlier, key=lambda schema: version_key(_version_of(schema)) or ())
    return {_version_of(schema): schema for schema in [*ordered, current]}


def schema_versions() -> tuple[str, ...]:
    """Return the ``schema_version`` values of every shipped schema, oldest first: the
    versions of the records this newscrawl can validate and read."""
    return tuple(_schemas())


def article_schema(version: str | None = None) -> dict[str, Any]:
    """Return the record's JSON Schema (draft 2020-12) as shipped in the package: the
    current one, or that of ``version`` (one of :func:`schema_versions`; KeyError else)."""
    schemas = _schemas()
    if version is None:
        return schemas[next(reversed(schemas))]
    return schemas[version]


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
def _validator(version: str | None = None) -> Draft202012Validator:
    schema = article_schema(version)
    Draft202012Validator.check_schema(schema)
    # The same schema with its references resolved once: validation is three times faster.
    return Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


_SAME_IN_DRAFT_7 = frozenset(
    {
        "$schema",
        "$id",
        "title",
        "description",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "allOf",
        "oneOf",
        "not",
        "const",
        "enum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minimum",
        "maximum",
    }
)
"""Keywords that mean the same in draft-07 (fastjsonschema) as in 2020-12 (our schema),
in the forms :func:`_draft_7_compatible` accepts (``items`` as one schema, string constants)."""


def _draft_7_compatible(node: Any) -> bool:
    """Return True when fastjsonschema reads the schema ``node`` as jsonschema (2020-12) does.

    That is: only keywords in :data:`_SAME_IN_DRAFT_7`, ``items`` as one schema, string
    ``const``/``enum`` values, and no ``$`` in a pattern but at its end.
    """
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict) or not _SAME_IN_DRAFT_7.issuperset(node):
        return False
    # fastjsonschema compares const/enum values with == (True == 1) and turns every "$" of
    # a pattern into "\Z": accept only string values, and "$" only at a pattern's end.
    if not all(isinstance(v, str) for v in [*node.get("enum", []), node.get("const", "")]):
        return False
    if "$" in node.get("pattern", "").removesuffix("$"):
        return False
    subschemas: list[Any] = list(node.get("properties", {}).values())
    subschemas.extend(node[k] for k in ("items", "additionalProperties", "not") if k in node)
    subschemas.extend(s for k in ("anyOf", "allOf", "oneOf") for s in node.get(k, []))
    return all(_draft_7_compatible(s) for s in subschemas)


_TYPE_KEYWORDS = {
    "string": frozenset({"minLength", "maxLength", "pattern"}),
    "object": frozenset({"properties", "required", "additionalProperties"}),
    "array": frozenset({"items", "minItems", "maxItems", "uniqueItems"}),
    "integer": frozenset({"minimum", "maximum"}),
    "number": frozenset({"minimum", "maximum"}),
    "boolean": frozenset(),
}
"""The keywords that constrain only values of one type (a value of another type passes them)."""

_ANNOTATIONS = frozenset({"title", "description"})


def _nullable_types(node: Any) -> Any:
    """Return ``node`` with every ``anyOf: [S, {"type": "null"}]`` written as S with
    ``"type": [T, "null"]``, where S has one type T and only keywords that constrain T.

    The two say the same: S's other keywords let ``null`` through anyway, and the type list
    admits what either branch did. The compiled validator then no longer raises (and
    catches) an exception for every null, or every non-null, value such a field holds.
    Anything else is left as it is.
    """
    if isinstance(node, list):
        return [_nullable_types(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable_types(v) for k, v in node.items()}
    branches = node.get("anyOf")
    if not (
        isinstance(branches, list)
        and len(branches) == 2
        and _ANNOTATIONS.issuperset(k for k in node if k != "anyOf")
    ):
        return node
    nulls = [b for b in branches if b == {"type": "null"}]
    others = [b for b in branches if b != {"type": "null"}]
    if len(nulls) != 1 or len(others) != 1 or not isinstance(others[0], dict):
        return node
    other = others[0]
    kind = other.get("type")
    allowed = _TYPE_KEYWORDS.get(kind) if isinstance(kind, str) else None
    if allowed is None or not (allowed | _ANNOTATIONS | {"type"}).issuperset(other):
        return node
    merged = {k: v for k, v in node.items() if k != "anyOf"}
    return {**merged, **other, "type": [kind, "null"]}


@cache
def _fast_validator(version: str | None = None) -> Callable[[Any], Any] | None:
    """Return the schema compiled by fastjsonschema (draft-07), or None where it cannot
    stand in for jsonschema (the schema uses a 2020-12 keyword draft-07 reads otherwise).

    Formats are not asserted (jsonschema does not by default) and no defaults are filled in.
    Nullable fields are compiled as type lists (:func:`_nullable_types`), which validate the
    same values as the schema's ``anyOf`` and take a third of the time on a typical record.
    """
    schema = article_schema(version)
    inlined = _inline_refs(schema, schema.get("$defs", {}))
    if not _draft_7_compatible(inlined):
        return None
    inlined = {k: v for k, v in _nullable_types(inlined).items() if k not in ("$schema", "$id")}
    return fastjsonschema.compile(inlined, use_default=False, use_formats=False)


_SCALARS = (str, int, float, bool, type(None))


def _holds_tuple(value: Any) -> bool:
    """Return True when ``value`` is or contains a tuple (an array to fastjsonschema only)."""
    if type(value) in _SCALARS:
        return False
    if isinstance(value, tuple):
        return True
    if isinstance(value, list):
        return any(type(v) not in _SCALARS and _holds_tuple(v) for v in value)
    if isinstance(value, dict):
        return any(type(v) not in _SCALARS and _holds_tuple(v) for v in value.values())
    return False


def _surely_valid(record: Any, version: str | None = None) -> bool:
    """Return True only when ``record`` is valid (against the schema of ``version``, the
    current one by default); False means "ask jsonschema".

    fastjsonschema is never more lenient than jsonschema here except in taking tuples for
    arrays (records with tuples go to jsonschema); where it is stricter (``$`` in a
    pattern matches only at the very end), jsonschema has the last word.
    """
    validate = _fast_validator(version)
    if validate is None:
        return False
    try:
        validate(record)
    except Exception:  # JsonSchemaValueException, or values its generated code cannot take
        return False
    return not _holds_tuple(record)


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
        # jsonschema reports each missing property as its own error, naming it only in the
        # message: pick the one this error is about, not the first one missing.
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        named = [k for k in missing if error.message == f"{k!r} is a required property"]
        path.extend((named or missing)[:1])
    return "/".join(path) or "(record)"


def record_errors(record: Mapping[str, Any], *, earlier_versions: bool = False) -> list[FieldError]:
    """Return every schema violation of ``record``, by field, in field order; [] when valid.

    A record is checked against the current schema: what newscrawl writes now. With
    ``earlier_versions``, a record whose ``schema_version`` names an earlier shipped schema
    is checked against that one (output of an earlier newscrawl).
    """
    version = None
    if earlier_versions and isinstance(record, Mapping):
        claimed = record.get("schema_version")
        version = claimed if isinstance(claimed, str) and claimed in _schemas() else None
    if _surely_valid(record, version):
        return []
    errors: Iterator[Any] = _validator(version).iter_errors(record)
    found = [FieldError(_field_path(e), e.message) for e in errors]
    order = {name: i for i, name in enumerate(FIELD_NAMES)}
    return sorted(found, key=lambda e: (order.get(e.field.split("/")[0], len(order)), e.field))


def is_valid(record: Mapping[str, Any]) -> bool:
    """Return True when ``record`` validates against the schema."""
    return _surely_valid(record) or _validator().is_valid(record)
