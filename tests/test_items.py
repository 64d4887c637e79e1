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
