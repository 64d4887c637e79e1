"""``metadata.jsonld_items`` reads a page's JSON-LD as extruct's ``JsonLdExtractor`` reads
it (without its XPath): the same items, or the same error, on every fixture page and on
the real pages of ../shared/realpages (a sample in the fast suite, every page under
``-m slow``), with both parsers extraction uses, and on scripts made to be awkward.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree, html

from newscrawl.extraction import metadata
from newscrawl.extraction.extruct_parts import extruct_module
from newscrawl.extraction.metadata import jsonld_items
from tests.extraction.test_differential import (
    FIXTURE_PAGES,
    REAL_PAGES,
    SAMPLE,
    SKIP_REAL,
    page_ids,
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
    return found


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


def test_a_difference_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Items that extruct leaves out (empty objects) kept by mistake are caught."""
    real = jsonld_items

    def keeps_empty(root: etree._Element) -> list[Any]:
        return [*real(root), {}]

    monkeypatch.setattr(metadata, "jsonld_items", keeps_empty)
    monkeypatch.setitem(globals(), "jsonld_items", keeps_empty)
    assert differences(b"<html><head>" + AWKWARD[1] + b"</head></html>") != []


@pytest.mark.parametrize("path", FIXTURE_PAGES, ids=page_ids(FIXTURE_PAGES))
def test_fixture_page(path: Path) -> None:
    assert differences(read_page(path)[1]) == []


@SKIP_REAL
@pytest.mark.parametrize("path", SAMPLE, ids=page_ids(SAMPLE))
def test_real_page_sample(path: Path) -> None:
    assert differences(read_page(path)[1]) == []


@SKIP_REAL
@pytest.mark.slow
def test_every_real_page() -> None:
    found = {str(p): d for p in REAL_PAGES if (d := differences(read_page(p)[1]))}
    assert found == {}
