"""``metadata.jsonld_items`` reads a page's JSON-LD as extruct's ``JsonLdExtractor`` reads
it (without its XPath), and ``metadata.read_jsonld`` (the page's scripts decoded once, for
the JSON-LD article and the generic extractor) reads each script as extruct reads it: the
same items, or the same error, on every fixture page and on
the real pages of ../shared/realpages (a sample in the fast suite, every page under
``-m slow``), with both parsers extraction uses, and on scripts made to be awkward.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from lxml import etree, html

from newscrawl.extraction import ExtractionError, extract_page, metadata
from newscrawl.extraction.extruct_parts import extruct_module
from newscrawl.extraction.generic.record import generic_page
from newscrawl.extraction.generic.structured import types_of
from newscrawl.extraction.metadata import jsonld_items
from newscrawl.extraction.page import parse_page
from tests.extraction.test_differential import (
    NOW,
    over_every_page,
    read_page,
)


def outcome(function: Any, root: etree._Element) -> tuple[str, Any]:
    try:
        return "ok", function(root)
    except Exception as exc:  # both must fail alike
        return "error", type(exc).__name__


def differences(body: bytes) -> list[str]:
    extractor = extruct_module("jsonld").JsonLdExtractor()
    found = []
    for parser in (etree.HTMLParser(), html.HTMLParser()):
        root = etree.fromstring(body, parser)
        if root is None:
            continue
        ours, theirs = outcome(jsonld_items, root), outcome(extractor.extract_items, root)
        if ours != theirs:
            found.append(f"{ours!r} != extruct {theirs!r}")
        scripts = [outcome(extractor.extract_items, script) for script in _EXTRUCT_SCRIPTS(root)]
        read = [("error", None) if v is None else ("ok", v) for v in metadata.read_jsonld(root)]
        if [(kind, None if kind == "error" else v) for kind, v in scripts] != read:
            found.append(f"scripts {read!r} != extruct {scripts!r}")
    return found


_EXTRUCT_SCRIPTS = etree.XPath('descendant-or-self::script[@type="application/ld+json"]')
"""The scripts extruct reads, found as it finds them."""


AWKWARD = [
    b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": "A"}</script>',
    b'<script type="application/ld+json">[{"a": 1}, {}, 0, "x", [], {"b": 2}]</script>',
    b'<script type="application/ld+json">\n// a comment\n{"a": 1}</script>',
    b'<script type="application/ld+json"><!-- {"a": 1} -->\n{"b": 2}</script>',
    b'<script type="application/ld+json"></script><script type="application/ld+json"> </script>',
    b'<script type="application/ld+json">"just a string"</script>',
    b'<script type="application/ld+json">{"a": "line\nbreak"}</script>',
    b'<script type="application/ld+json">{broken</script>',
    b'<script type="Application/ld+json">{"a": 1}</script><script>{"b": 2}</script>',
    b'<div><script type="application/ld+json">{"a": 1}</script></div>'
    b'<script type="application/ld+json">{"b": 2}</script>',
]


@pytest.mark.parametrize("script", AWKWARD, ids=range(len(AWKWARD)))
def test_awkward_scripts_read_as_extruct_reads_them(script: bytes) -> None:
    assert differences(b"<html><head>" + script + b"</head><body><p>x</p></body></html>") == []


def test_a_difference_in_one_script_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """A script read with a value too many is caught, script by script."""
    real = metadata._script_values

    def keeps_more(script: etree._Element) -> list[Any]:
        return [*real(script), {"x": 1}]

    monkeypatch.setattr(metadata, "_script_values", keeps_more)
    assert any("scripts" in d for d in differences(b"<html><head>" + AWKWARD[0] + b"</head>"))


def test_a_difference_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Items that extruct leaves out (empty objects) kept by mistake are caught."""
    real = jsonld_items

    def keeps_empty(root: etree._Element) -> list[Any]:
        return [*real(root), {}]

    monkeypatch.setattr(metadata, "jsonld_items", keeps_empty)
    monkeypatch.setitem(globals(), "jsonld_items", keeps_empty)
    assert differences(b"<html><head>" + AWKWARD[1] + b"</head></html>") != []


test_fixture_page, test_real_page_sample, test_every_real_page = over_every_page(
    lambda page: differences(read_page(page)[1])
)


@pytest.mark.parametrize("profile", ["jmn", "generic"])
def test_a_page_decodes_its_scripts_once(monkeypatch: pytest.MonkeyPatch, profile: str) -> None:
    """parse_page decodes the page's scripts for its JSON-LD article; the generic
    extractor (a profile's fill, or the whole record) reads them from the page."""
    decoded: list[etree._Element] = []
    real = metadata._script_values

    def counting(script: etree._Element) -> list[Any]:
        decoded.append(script)
        return real(script)

    monkeypatch.setattr(metadata, "_script_values", counting)
    article = '{"@type": "NewsArticle", "headline": "Ferry", "alternativeHeadline": "Fähre"}'
    body = (
        f'<html><head><script type="application/ld+json">{article}</script>'
        '<script type="application/ld+json">{"@type": "WebSite", "name": "X"}</script>'
        "</head><body><article><h1>Ferry</h1><p>The ferry sails at noon.</p></article>"
        "</body></html>"
    ).encode()
    page = parse_page("https://x.example/a/1", body, None, profile, NOW)
    assert page.jsonld["headline"] == "Ferry"
    # Not an article to the profile: what is read of it is counted all the same.
    with contextlib.suppress(ExtractionError):
        extract_page(page)
    generic = generic_page(page)
    assert [types_of(node) for node in generic.structured.nodes] == [{"NewsArticle"}, {"WebSite"}]
    assert len(decoded) == 2
