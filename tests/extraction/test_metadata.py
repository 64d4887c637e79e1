"""``metadata``: JSON-LD decoded as extruct decodes it, with strings a record can hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from newscrawl.extraction import extract_article
from newscrawl.extraction.metadata import read_jsonld
from newscrawl.items import to_dict
from newscrawl.schema import record_errors

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "jmn" / "seed-article.html"
NOW = datetime(2016, 3, 25, 9, 0, tzinfo=UTC)


def scripts_of(*scripts: str) -> list[object]:
    page = "".join(f'<script type="application/ld+json">{s}</script>' for s in scripts)
    return read_jsonld(etree.fromstring(f"<html><head>{page}</head></html>", etree.HTMLParser()))


def test_a_lone_surrogate_escape_becomes_a_replacement_character() -> None:
    [[node]] = scripts_of(r'{"name": "Dmitry \udc00 Volkov", "\ud800": ["\uDBFF"]}')
    assert node == {"name": "Dmitry \ufffd Volkov", "\ufffd": ["\ufffd"]}


def test_an_escaped_surrogate_pair_stays_one_character() -> None:
    [[node]] = scripts_of(r'{"name": "Smile \ud83d\ude00 \udc00"}')
    assert node == {"name": "Smile \U0001f600 \ufffd"}


def with_jsonld_author(name: str) -> bytes:
    script = json.dumps({"@type": "NewsArticle", "author": {"@type": "Person", "name": name}})
    script = script.replace("\\\\u", "\\u")  # json.dumps escaped our backslash; undo it
    return SEED.read_bytes().replace(
        b"</head>", f'<script type="application/ld+json">{script}</script></head>'.encode(), 1
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/",  # the profile
        "https://news.example/2016/03/24/minister-speaks/",  # the generic extractor
    ],
    ids=["profile", "generic"],
)
def test_a_record_with_a_lone_surrogate_in_json_ld_can_be_written(url: str) -> None:
    body = with_jsonld_author(r"Dmitry \udc00 Volkov")
    record = to_dict(extract_article(url, body, {"Content-Type": "text/html"}, None, NOW))
    assert record_errors(record) == []
    line = json.dumps(record, ensure_ascii=False).encode("utf-8")  # raised before
    assert "Dmitry \ufffd Volkov" in json.loads(line)["authors"]
