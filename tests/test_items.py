"""The dataclasses in items.py and the shipped JSON Schema describe the same record."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from newscrawl.items import (
    FIELD_NAMES,
    SCHEMA_VERSION,
    AltHeadline,
    Article,
    Breadcrumb,
    Image,
    Teaser,
    to_dict,
)
from newscrawl.schema import article_schema, is_valid, record_errors

SCHEMA = article_schema()


def minimal_record(**changes: object) -> dict[str, object]:
    record = to_dict(
        Article(
            url="https://jmn.info/a/",
            site="jmn",
            crawled_at="2016-03-25T09:00:00+00:00",
            headline="Headline",
            body=["One paragraph."],
            fingerprint="0" * 40,
        )
    )
    record.update(changes)
    return record


def test_schema_fields_match_dataclass_in_order() -> None:
    assert list(SCHEMA["properties"]) == list(FIELD_NAMES)
    assert SCHEMA["required"] == list(FIELD_NAMES)
    assert SCHEMA["additionalProperties"] is False


@pytest.mark.parametrize(
    ("cls", "path"),
    [
        (Breadcrumb, ("breadcrumb", "items")),
        (Image, ("images", "items")),
        (Teaser, ("teasers", "items")),
        (AltHeadline, ("headline_alt", "anyOf", 0)),
    ],
)
def test_nested_schemas_match_dataclasses(cls: type, path: tuple[object, ...]) -> None:
    node: object = SCHEMA["properties"]
    for key in path:
        node = node[key]  # type: ignore[index]
    assert list(node["properties"]) == [f.name for f in fields(cls)]  # type: ignore[index]


def test_schema_version_is_the_code_version() -> None:
    assert SCHEMA["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_schema_version_in_changelog() -> None:
    changelog = (Path(__file__).parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"schema {SCHEMA_VERSION}" in changelog


def test_every_field_documented() -> None:
    source = (Path(__file__).parents[1] / "newscrawl" / "items.py").read_text(encoding="utf-8")
    for name in FIELD_NAMES:
        line = next(line for line in source.splitlines() if line.strip().startswith(f"{name}:"))
        following = source.split(line, 1)[1].lstrip().splitlines()[0]
        assert following.startswith('"""'), f"{name} has no docstring"
        assert "description" in SCHEMA["properties"][name]


def test_minimal_record_is_valid() -> None:
    assert record_errors(minimal_record()) == []
    assert json.loads(json.dumps(minimal_record())) == minimal_record()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"headline": None}, "headline"),
        ({"headline": " padded "}, "headline"),
        ({"body": []}, "body"),
        ({"url": "ftp://x/"}, "url"),
        ({"published_at": "2016-03-24"}, "published_at"),
        ({"published_at": "2016-03-24T10:00:00"}, "published_at"),
        ({"crawled_at": "2016-03-24T10:00:00+03:00"}, "crawled_at"),
        ({"language": "eng"}, "language"),
        ({"headline_alt": {"text": "x"}}, "headline_alt"),
        ({"tags": ["a", "a"]}, "tags"),
        ({"revision": 0}, "revision"),
        ({"fingerprint": "xyz"}, "fingerprint"),
        ({"teasers": [{"title": "t", "url": "/rel", "excerpt": None}]}, "teasers/0/url"),
        ({"schema_version": "0.9"}, "schema_version"),
    ],
)
def test_invalid_values_name_their_field(changes: dict[str, object], field: str) -> None:
    record = minimal_record(**changes)
    assert not is_valid(record)
    assert field in [e.field for e in record_errors(record)]


def test_missing_and_extra_keys_are_named() -> None:
    record = minimal_record(extra=1)
    del record["tags"]
    fields_with_errors = [e.field for e in record_errors(record)]
    assert "tags" in fields_with_errors
    assert "(record)" in fields_with_errors


def _fixture_records() -> list[dict[str, object]]:
    root = Path(__file__).resolve().parent.parent / "fixtures"
    records = []
    for path in sorted(root.glob("*/*.json")):
        record = json.loads(path.read_text(encoding="utf-8")).get("record")
        if isinstance(record, dict):
            records.append(record)
    return records


_ODD_VALUES: list[object] = [
    None,
    "",
    " padded ",
    "x",
    "https://jmn.info/a/",
    "/relative",
    "ru",
    "2016-03-24T10:00:00+03:00",
    0,
    1,
    True,
    [],
    ["x"],
    {},
    {"text": "x", "lang": None},
    {"text": "x", "lang": "ru", "extra": 1},
]


def _variants(record: dict[str, object]) -> list[dict[str, object]]:
    """The record with each field, and each field of its first nested objects, replaced in
    turn by each odd value (nulls where the schema allows them, wrong types, bad strings)."""
    variants = []
    for name in record:
        for value in _ODD_VALUES:
            variants.append({**record, name: value})
        items = record[name]
        if isinstance(items, list) and items and isinstance(items[0], dict):
            for key in items[0]:
                for value in _ODD_VALUES:
                    variants.append({**record, name: [{**items[0], key: value}, *items[1:]]})
        if isinstance(items, dict):
            for key in items:
                for value in _ODD_VALUES:
                    variants.append({**record, name: {**items, key: value}})
    return variants


def test_fast_validator_agrees_with_jsonschema() -> None:
    """The compiled fast path (nullable fields as type lists) accepts exactly the records
    jsonschema accepts: every fixture record, and 2,000 variants of a few of them (every
    field in turn null, of a wrong type or a bad string; jsonschema takes 0.5 ms a record)."""
    from newscrawl.schema import _fast_validator, _surely_valid, _validator

    assert _fast_validator() is not None
    records = _fixture_records()
    assert len(records) >= 10
    checked = 0
    for number, record in enumerate(records):
        for variant in [record, *(_variants(record) if number % 5 == 0 else [])]:
            expected = _validator().is_valid(variant)
            assert _surely_valid(variant) == expected, variant
            checked += 1
    assert checked > 2000


def test_nullable_types_rewrite() -> None:
    """``anyOf`` of one typed schema and null becomes a type list; anything else stays."""
    from newscrawl.schema import _inline_refs, _nullable_types

    text = {"type": "string", "minLength": 1, "pattern": "^a"}
    assert _nullable_types({"anyOf": [text, {"type": "null"}], "description": "d"}) == {
        "description": "d",
        **text,
        "type": ["string", "null"],
    }
    kept = [
        {"anyOf": [{"const": "x", "type": "string"}, {"type": "null"}]},  # const: any type
        {"anyOf": [{"type": "string", "items": {}}, {"type": "null"}]},  # not a string keyword
        {"anyOf": [text, {"type": "null"}], "minLength": 2},  # a sibling keyword
        {"anyOf": [text, {"type": "integer"}]},
        {"anyOf": [text, text, {"type": "null"}]},
    ]
    for node in kept:
        assert _nullable_types(node) == node
    schema = _inline_refs(SCHEMA, SCHEMA["$defs"])
    assert "anyOf" not in json.dumps(_nullable_types(schema))


def test_to_dict_is_asdict_and_shares_nothing_mutable() -> None:
    from dataclasses import asdict

    article = Article(
        url="https://jmn.info/a/",
        site="jmn",
        headline="Headline",
        breadcrumb=[Breadcrumb(name="Home", url="https://jmn.info/"), Breadcrumb(name="A")],
        headline_alt=AltHeadline(text="Заголовок", lang="ru"),
        authors=["One", "Two"],
        body=["First.", "Second."],
        images=[Image(url="https://jmn.info/i.jpg", caption="C", credit=None)],
        teasers=[Teaser(title="T", url="https://jmn.info/t/", excerpt=None)],
        tags=["x"],
        revision=2,
    )
    record = to_dict(article)
    assert record == asdict(article)
    assert list(record) == list(FIELD_NAMES)
    assert record["body"] is not article.body
    assert record["authors"] is not article.authors
    assert record["images"][0] == {"url": "https://jmn.info/i.jpg", "caption": "C", "credit": None}
    record["body"].append("Third.")
    assert article.body == ["First.", "Second."]
