"""``generic/structured.py`` reads JSON-LD scripts (decoded by ``metadata.read_jsonld``, once
per page) and gives what extruct gave."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree, html

from newscrawl.extraction import metadata
from newscrawl.extraction.extruct_parts import extruct_module
from newscrawl.extraction.generic.structured import Structured, _jsonld_nodes, walk
from newscrawl.extraction.metadata import read_jsonld

ARTICLE = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Ferry"}
LONG = {**ARTICLE, "articleBody": "Wörter </p> und Sätze. " * 200}  # > libxml2's chunks
SCRIPTS = [
    json.dumps(ARTICLE),
    json.dumps(LONG, ensure_ascii=False),
    json.dumps([ARTICLE, {}, None, {"@type": "Person", "name": "Jo"}]),
    json.dumps({"@context": "https://schema.org", "@graph": [ARTICLE, {"@type": "WebPage"}]}),
    "<!-- a comment extruct takes off -->\n" + json.dumps(ARTICLE),
    "// a JavaScript comment\n" + json.dumps(ARTICLE),
    '{"@type": "NewsArticle", "headline": "tab\tinside"}',  # a raw tab: strict=False
    "{broken json",
    "\ufeff" + json.dumps(ARTICLE),  # a byte order mark: json.loads refuses it
    "",
    "   ",
    "42",
    '"a string"',
    "null",
    "[]",
    "{}",
]
TYPES = ["application/ld+json", "application/LD+JSON", " application/ld+json "]
_JSONLD_SCRIPTS = etree.XPath(
    "//script[translate(normalize-space(@type), 'LDJSON', 'ldjson')='application/ld+json']"
)
"""Every script that looks like JSON-LD (extruct reads only those of the exact type)."""


def extruct_nodes(root: etree._Element) -> list[dict[str, Any]]:
    """What ``_jsonld_nodes`` gave when extruct read each script."""
    extractor = extruct_module("jsonld").JsonLdExtractor()
    nodes: list[dict[str, Any]] = []
    for script in _JSONLD_SCRIPTS(root):
        try:
            items = extractor.extract_items(script)
        except (ValueError, TypeError, RecursionError):
            continue
        nodes.extend(walk(items))
    return nodes


@pytest.mark.parametrize("parser", [etree.HTMLParser, html.HTMLParser])
@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("text", SCRIPTS)
def test_json_ld_is_read_as_extruct_reads_it(parser: type, kind: str, text: str) -> None:
    page = (
        f'<html><head><script type="{kind}">{text}</script>'
        f'<script type="application/ld+json">{json.dumps(ARTICLE)}</script></head>'
        "<body><p>x</p></body></html>"
    )
    root = etree.fromstring(page.encode(), parser(encoding="utf-8"))
    assert _jsonld_nodes(root) == extruct_nodes(root)


def test_valid_json_ld_does_not_go_through_extruct(monkeypatch: pytest.MonkeyPatch) -> None:
    # extruct compiles the XPath string() for every script it reads: more than the JSON
    # costs to decode. Only what json rejects is handed to it.
    def refuse(name: str) -> None:
        raise AssertionError(f"extruct.{name} was asked for valid JSON")

    monkeypatch.setattr(metadata, "extruct_module", refuse)
    page = f'<html><head><script type="application/ld+json">{json.dumps(LONG)}</script>'
    root = etree.fromstring(page.encode(), etree.HTMLParser(encoding="utf-8"))
    assert _jsonld_nodes(root) == [LONG]


def page_of(text: str, kind: str = "application/ld+json") -> etree._Element:
    page = (
        f'<html><head><script type="{kind}">{text}</script>'
        f'<script type="application/ld+json">{json.dumps(ARTICLE)}</script></head>'
        "<body><p>x</p></body></html>"
    )
    return etree.fromstring(page.encode(), etree.HTMLParser(encoding="utf-8"))


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("text", SCRIPTS)
def test_read_jsonld_is_what_extruct_reads_of_the_page(kind: str, text: str) -> None:
    # One decoding of the page's scripts can serve both the JSON-LD article of a
    # profile's page (extruct's extract_items of the whole page) and Structured.
    root = page_of(text, kind)
    scripts = read_jsonld(root)
    try:
        expected = extruct_module("jsonld").JsonLdExtractor().extract_items(root)
    except (ValueError, TypeError, RecursionError):
        assert None in scripts
    else:
        assert None not in scripts
        assert [value for values in scripts if values for value in values] == expected
    url = "https://x.example/a"
    assert Structured(root, url, scripts).nodes == Structured(root, url).nodes


def test_scripts_read_already_are_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    root = page_of(json.dumps(LONG))
    scripts = read_jsonld(root)

    def refuse(script: etree._Element) -> None:
        raise AssertionError("a script was decoded again")

    monkeypatch.setattr(metadata, "_script_values", refuse)
    assert Structured(root, "https://x.example/a", scripts).article() == LONG


def test_decoding_a_page_makes_no_json_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    # json.loads(text, strict=False) made a decoder on every call: as much time as
    # decoding a newsroom page's two scripts. One decoder serves every page.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a JSON decoder was made for a page")

    monkeypatch.setattr(json, "JSONDecoder", refuse)
    assert _jsonld_nodes(page_of(json.dumps(LONG))) == [LONG, ARTICLE]
