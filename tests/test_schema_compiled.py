"""The compiled schema check (``newscrawl.schema.compiled``) against jsonschema.

The check may only say "surely valid" of values jsonschema finds valid, and it must say it
of every valid value made of exact JSON types, or valid records would take jsonschema's slow
walk. Compared here: small schemas of each compiled keyword on a corpus of odd values; the
record schema on every fixture record, on records extracted from real pages, and on
thousands of mutated records; and each pattern shortcut against ``re`` on every short string
over an alphabet of tricky characters.
"""

from __future__ import annotations

import copy
import gzip
import itertools
import json
import math
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from newscrawl.schema import _fast_check, _surely_valid, _validator, article_schema
from newscrawl.schema.compiled import PATTERNS, compile_schema
from tests.conftest import FIXTURES, ROOT

REALPAGES = ROOT.parent / "shared" / "realpages"


class Text(str):
    """A str subclass: valid to jsonschema, "not sure" to the compiled check."""


EXACT_TYPES = (dict, list, str, int, float, bool, type(None))

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    1.0,
    1.5,
    math.nan,
    math.inf,
    "",
    " ",
    "a",
    "ab",
    " a",
    "a ",
    "a\n",
    "a\nb",
    "\n",
    "1.0",
    "ru",
    "RU",
    "https://a.example/x",
    "http://a.example",
    "https://",
    "ftp://a.example/",
    "https://a.example/x y",
    Text("a"),
    [],
    ["a"],
    ["a", "a"],
    ["a", "b"],
    ["a", 1],
    [1, True],
    [None],
    ("a",),
    {},
    {"a": "x"},
    {"a": "x", "b": 1},
    {"b": 1},
    {1: "x"},
]


def exact(value: Any) -> bool:
    """Tell whether ``value`` is made of exact JSON types only (no tuple, no subclass)."""
    if type(value) not in EXACT_TYPES:
        return False
    if type(value) is list:
        return all(exact(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and exact(v) for k, v in value.items())
    return True


def assert_agrees(
    check: Any, validator: Draft202012Validator, value: Any, exempt: bool = False
) -> None:
    """Sure means valid; on exact JSON types, valid means sure (unless ``exempt``: a case
    the compiled check leaves to jsonschema by design)."""
    sure = check(value)
    valid = validator.is_valid(value)
    if sure:
        assert valid, f"compiled check accepts what jsonschema refuses: {value!r}"
    elif exact(value) and not exempt:
        assert not valid, f"compiled check unsure of a valid value: {value!r}"


KEYWORD_SCHEMAS: list[dict[str, Any]] = [
    {},
    {"type": "string"},
    {"type": "integer"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "null"},
    {"type": "array"},
    {"type": "object"},
    {"type": ["string", "null"]},
    {"type": ["integer", "string"]},
    {"const": "1.0"},
    {"enum": ["ru", "en"]},
    {"minLength": 1},
    {"maxLength": 1},
    {"type": ["string", "null"], "minLength": 2},
    {"pattern": "^a"},
    {"pattern": "^\\S(.*\\S)?$"},
    {"type": "string", "pattern": "^https?://[^\\s/?#]+[^\\s]*$"},
    {"minItems": 1},
    {"maxItems": 1},
    {"uniqueItems": True},
    {"uniqueItems": False},
    {"type": "array", "items": {"type": "string"}},
    {"items": {"type": "string", "minLength": 1}},
    {"type": "array", "items": False},
    {"minimum": 1},
    {"maximum": 1},
    {"type": "integer", "minimum": 1},
    {"type": "number", "maximum": 1.5},
    {"properties": {"a": {"type": "string"}}},
    {"required": ["a"]},
    {"additionalProperties": False},
    {"properties": {"a": {"type": "string"}}, "additionalProperties": False},
    {"type": "object", "properties": {"a": {}}, "required": ["a"], "additionalProperties": False},
    {
        "type": ["object", "null"],
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
        "additionalProperties": False,
    },
    {"properties": {"a": False}},
    {"anyOf": [{"type": "string"}, {"type": "null"}]},
    {"anyOf": [{"type": "integer", "minimum": 2}, {"type": "array", "minItems": 1}]},
    {"allOf": [{"type": "string"}, {"minLength": 2}]},
    {"title": "t", "description": "d", "type": "string"},
    True,
    False,
]


@pytest.mark.parametrize("schema", KEYWORD_SCHEMAS, ids=json.dumps)
def test_each_keyword_agrees_with_jsonschema(schema: Any) -> None:
    check = compile_schema(schema)
    assert check is not None
    validator = Draft202012Validator(schema)
    for value in ODD_VALUES:
        # uniqueItems is compiled for arrays of strings only (the record's tags): any other
        # array is left to jsonschema's equality rules (1 == 1.0, True != 1).
        other_items = isinstance(value, list) and any(type(v) is not str for v in value)
        exempt = isinstance(schema, dict) and schema.get("uniqueItems") is True and other_items
        assert_agrees(check, validator, value, exempt)


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [{"type": "string"}]},
        {"not": {"type": "string"}},
        {"$ref": "#/$defs/x"},
        {"format": "uri"},
        {"prefixItems": [{}]},
        {"additionalProperties": {"type": "string"}},
        {"const": 1},
        {"enum": ["a", 1]},
        {"type": "datetime"},
        {"minLength": 1.5},
        {"items": [{}]},
    ],
    ids=json.dumps,
)
def test_unsupported_schemas_are_not_compiled(schema: Any) -> None:
    """A keyword or form the compiler does not know gives no check at all (jsonschema then
    decides every value), never a check that ignores it."""
    assert compile_schema(schema) is None


def short_strings() -> Iterator[str]:
    """Every string of up to 3 characters over an alphabet of letters, ASCII and Unicode
    whitespace, newlines, line separators and a zero-width space (not whitespace)."""
    alphabet = "a\u00e9 \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u2029\u3000\u200b"
    for size in range(4):
        for chars in itertools.product(alphabet, repeat=size):
            yield "".join(chars)


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_pattern_shortcuts_match_re(pattern: str) -> None:
    """Each shortcut answers as ``re.search`` does, on every short string over tricky
    characters and on longer random ones."""
    matches = PATTERNS[pattern]
    search = re.compile(pattern).search
    rng = random.Random(7)
    pieces = ["word", " ", "\n", "\t", "\xa0", "\u2028", "\u200b", "é", "\r\n", ""]
    longer = ["".join(rng.choices(pieces, k=rng.randint(1, 12))) for _ in range(5000)]
    for text in itertools.chain(short_strings(), longer):
        assert matches(text) == (search(text) is not None), repr(text)


def fixture_records() -> list[dict[str, Any]]:
    records = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        record = json.loads(path.read_text(encoding="utf-8")).get("record")
        if isinstance(record, dict):
            records.append(record)
    return records


def real_page_records(every: int) -> list[dict[str, Any]]:
    """Records the extraction makes of every ``every``-th page of ../shared/realpages."""
    from newscrawl.extraction import ExtractionError
    from newscrawl.workers import extract_record

    truths: dict[str, str] = {}
    for corpus in ("aeb", "fundus"):
        truth = REALPAGES / corpus / "truth.jsonl"
        for line in truth.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            truths[str(REALPAGES / row["path"])] = row["url"]
    paths = sorted(Path(p) for p in truths)[::every]
    records = []
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for path in paths:
        if not path.exists():
            continue
        try:
            records.append(
                extract_record(
                    truths[str(path)], gzip.decompress(path.read_bytes()), {}, "generic", now
                )
            )
        except ExtractionError:
            continue
    return records


def mutations(record: dict[str, Any], rng: random.Random, count: int) -> Iterator[Any]:
    """``count`` copies of ``record``, each changed in one to three places: a value replaced
    by an odd one, a key removed or added, a list item added, removed or duplicated."""
    for _ in range(count):
        variant = copy.deepcopy(record)
        for _ in range(rng.randint(1, 3)):
            mutate(variant, rng)
        yield variant


def containers(node: Any) -> list[Any]:
    found = [node]
    values = node.values() if isinstance(node, dict) else node
    for value in values:
        if isinstance(value, (dict, list)):
            found.extend(containers(value))
    return found


def mutate(record: dict[str, Any], rng: random.Random) -> None:
    target = rng.choice(containers(record))
    action = rng.randrange(4)
    if isinstance(target, dict):
        if action == 0 and target:
            del target[rng.choice(list(target))]
        elif action == 1:
            target[rng.choice(["extra", "url", "text", "1"])] = copy.deepcopy(
                rng.choice(ODD_VALUES)
            )
        elif target:
            target[rng.choice(list(target))] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif isinstance(target, list):
        if action == 0 and target:
            del target[rng.randrange(len(target))]
        elif action == 1 and target:
            target.append(copy.deepcopy(rng.choice(target)))
        elif action == 2:
            target.append(copy.deepcopy(rng.choice(ODD_VALUES)))
        elif target:
            target[rng.randrange(len(target))] = copy.deepcopy(rng.choice(ODD_VALUES))


def check_records(records: list[dict[str, Any]], mutants: int) -> int:
    """Compare the record check with jsonschema on each record and its mutants; return how
    many values were compared."""
    check = _fast_check()
    assert check is not None
    validator = _validator()
    rng = random.Random(12)
    compared = 0
    for record in records:
        for value in [record, *mutations(record, rng, mutants)]:
            assert_agrees(check, validator, value)
            assert _surely_valid(value) == check(value)
            compared += 1
    return compared


def test_record_check_agrees_on_fixtures_and_mutants() -> None:
    records = fixture_records()
    assert sum(_validator().is_valid(r) for r in records) >= 10
    assert check_records(records, 150) > 3000


@pytest.mark.skipif(not REALPAGES.is_dir(), reason="../shared/realpages is absent")
def test_record_check_agrees_on_real_page_records() -> None:
    """A sample of the real pages (every 8th), with mutants; ``-m slow`` takes them all."""
    records = real_page_records(8)
    assert len(records) >= 10
    check_records(records, 20)


@pytest.mark.slow
@pytest.mark.skipif(not REALPAGES.is_dir(), reason="../shared/realpages is absent")
def test_record_check_agrees_on_every_real_page_record() -> None:
    records = real_page_records(1)
    assert len(records) >= 100
    check_records(records, 20)


def test_the_shipped_schema_compiles() -> None:
    """The published schema uses only compiled keywords: valid records never wait for
    jsonschema (a keyword added to the schema must be added to the compiler too)."""
    assert _fast_check() is not None
    assert article_schema()["$schema"].endswith("/2020-12/schema")
