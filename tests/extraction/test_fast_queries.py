"""Queries rewritten for speed select what the XPath they stand in for selects, on every
fixture page and on the real pages of ../shared/realpages (a sample in the fast suite,
every page under ``-m slow``).

libxml2 tests a predicate on ``//*`` (or ``//tag``) element by element; the rewrites read
the attributes instead (``//@lang/..``) or walk the descendant axis once
(``/descendant::link[…]``), and some finish in Python. Each must select the same nodes, in
the same order, as the plain expression.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree, html

from newscrawl.extraction import metadata
from newscrawl.extraction.generic import alternate, structured
from tests.extraction.parsel_reference import parsel_nodes
from tests.extraction.test_differential import (
    EVERY_PAGE_PART,
    FIXTURE_PAGES,
    SAMPLE,
    SKIP_REAL,
    over_every_page,
    page_ids,
    pages_of_part,
    read_page,
)

Reader = Callable[[etree._Element], Any]

REFERENCES: dict[str, tuple[Reader, Reader]] = {
    "itemscope": (
        etree.XPath("boolean(//*[@itemscope])"),
        lambda root: structured._ITEMSCOPE(root),
    ),
    "alternates": (
        etree.XPath("//link[@hreflang][@href]"),
        lambda root: alternate._ALTERNATES(root),
    ),
    "json-ld scripts": (
        etree.XPath("//script[@type='application/ld+json']"),
        lambda root: list(metadata._jsonld_scripts(root)),
    ),
    "meta": (etree.XPath("//meta[@content]"), lambda root: structured._META(root)),
    "lang headings": (
        etree.XPath(
            "(//*[@lang][self::h1 or self::h2 or self::h3 or contains(@class, 'eadline')"
            " or contains(@class, 'itle')])[position() <= 20]"
        ),
        alternate._lang_headings,
    ),
}
"""Per rewrite: (the plain XPath, what the code runs instead)."""


def roots(body: bytes) -> list[etree._Element]:
    """The page parsed both ways extraction parses pages (lxml.etree's and lxml.html's)."""
    return [
        etree.fromstring(body, etree.HTMLParser()),
        etree.fromstring(body, html.HTMLParser()),
    ]


def differences(path: Path) -> list[str]:
    _url, body = read_page(path)
    found = []
    for root in roots(body):
        if root is None:
            continue
        for name, (plain, fast) in REFERENCES.items():
            if plain(root) != fast(root):
                found.append(f"{name}: {plain(root)!r} != {fast(root)!r}")
    return found


HEADINGS = (
    b"""<html lang="en"><body>
<h1 lang="de">Eins zwei drei</h1><div lang="fr" class="big-title">Un deux trois</div>
<p lang="es">no</p><span class="Headline x" lang="it">Uno due tre</span>
<h4 lang="ru">no</h4><section itemscope><link rel="alternate" hreflang="de" href="/de"></section>
"""
    + b"".join(b'<h2 lang="pt">Um dois %d</h2>' % n for n in range(30))
    + b"</body></html>"
)


def test_the_rewrites_are_checked_on_pages_that_have_what_they_select() -> None:
    root = etree.fromstring(HEADINGS, etree.HTMLParser())
    plain, fast = REFERENCES["lang headings"]
    assert len(plain(root)) == 20
    assert [e.tag for e in fast(root)][:4] == ["h1", "div", "span", "h2"]  # not p, not h4
    assert fast(root) == plain(root)
    assert REFERENCES["itemscope"][1](root) is True
    assert len(REFERENCES["alternates"][1](root)) == 1
    assert differences_of(HEADINGS) == []


def differences_of(body: bytes) -> list[str]:
    found = []
    for root in roots(body):
        for name, (plain, fast) in REFERENCES.items():
            if plain(root) != fast(root):
                found.append(name)
    return found


def test_a_difference_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alternate, "MAX_LANG_HEADINGS", 21)
    assert differences_of(HEADINGS) == ["lang headings", "lang headings"]


test_fixture_page, test_real_page_sample, test_every_real_page = over_every_page(
    lambda page: differences(page)
)


INDEXED_QUERIES = [
    "#box .item",
    "#box .item a",
    ".wrap .item",
    "#box #inner .item",
    ".item",
    ".item .item",
    "#box .item .item",
]


def indexed_page(items_inside: int, items_outside: int, depth: int) -> bytes:
    """A page with items of class ``item`` inside ``#box`` and outside it; with ``depth``,
    20 more items outside, each ``depth`` elements deep."""
    one = "<div class='deep'>" * depth + "<p class='item'>deep</p>" + "</div>" * depth
    nested = one * 20 if depth else ""
    inside = "".join(f"<p class='item x'><a>in {n}</a></p>" for n in range(items_inside))
    outside = "".join(f"<p class='item'>out {n}</p>" for n in range(items_outside))
    return (
        f"<html><body><div class='wrap'><div id='box'>{inside}<div id='inner'>"
        f"<span class='item'>i</span><div class='item'><b class='item'>n</b></div></div></div>"
        f"</div>{outside}{nested}</body></html>"
    ).encode()


@pytest.mark.parametrize(
    ("inside", "outside", "depth"),
    [(2, 3, 0), (0, 3, 0), (40, 0, 0), (2, 40, 0), (1, 1, 150)],
    ids=["few", "none-inside", "many-inside", "many-outside", "deep"],
)
def test_indexed_steps_select_what_libxml2_selects(inside: int, outside: int, depth: int) -> None:
    from newscrawl.extraction.selectors import Document

    root = etree.fromstring(indexed_page(inside, outside, depth), etree.HTMLParser())
    document = Document(root)
    box = root.find(".//div[@id='box']")
    for query in INDEXED_QUERIES:
        assert document.select(query) == parsel_nodes(root, query), query
        assert document.select(query, box) == parsel_nodes(box, query), query


def test_a_deep_page_is_left_to_libxml2(monkeypatch: pytest.MonkeyPatch) -> None:
    from newscrawl.extraction import selectors

    root = etree.fromstring(indexed_page(1, 1, 150), etree.HTMLParser())
    document = selectors.Document(root)
    box = root.find(".//div[@id='box']")
    step = selectors.compile_query("#box .item").rest_steps[0]  # type: ignore[index]
    assert len(document.anchored("class", "item")) == 25
    assert document.indexed(step, [box]) is None  # 20 walks of 150 steps up: too long
    shallow = etree.fromstring(indexed_page(1, 1, 0), etree.HTMLParser())
    assert len(selectors.Document(shallow).indexed(step, [shallow]) or []) == 5


def parsel_input(text: str) -> bytes:
    """What parsel 1.10's ``create_root_node`` hands lxml for a text."""
    return text.strip().replace("\x00", "").encode("utf-8") or b"<html/>"


def parse_differences(body: bytes, content_type: str = "text/html") -> list[str]:
    """Where parse_page's decoding and parsing path differs from decode_html + parsel's."""
    from parsel.selector import create_root_node

    from newscrawl.extraction import page

    headers = {"Content-Type": content_type}
    text, utf8 = page._decode(body, headers)
    found = []
    if text != page.to_unicode(*_bom_stripped(body, headers)):
        found.append("text")
    if utf8 is not None and utf8.decode("utf-8") != text:
        found.append("utf8 bytes")
    if page._parser_input(text, utf8) != parsel_input(text):
        found.append("parser input")
    for parser in (etree.HTMLParser, html.HTMLParser):
        ours = page._root_node(text, utf8, parser, "https://example.com/")
        theirs = create_root_node(text, parser, base_url="https://example.com/")
        if etree.tostring(ours.getroottree()) != etree.tostring(theirs.getroottree()):
            found.append(f"tree ({parser.__module__})")
    return found


def _bom_stripped(body: bytes, headers: dict[str, str]) -> tuple[bytes, str]:
    from w3lib.encoding import read_bom

    from newscrawl.extraction.page import page_encoding

    encoding, _declared = page_encoding(body, headers)
    bom_encoding, bom = read_bom(body)
    if bom is not None and bom_encoding == encoding:
        body = body[len(bom) :]
    return body, encoding


EDGE_BODIES = {
    "plain": b"<html><body><p>x</p></body></html>",
    "spaces around": b" \n\t<html><body>x</body></html>\r\n ",
    "unicode spaces around": "\u00a0\u2003<html><body>é</body></html>\u3000\u0085".encode(),
    "nul inside": b"<html><body>a\x00b</body></html>",
    "nul first": b"\x00 <html><body>a</body></html>",
    "bom": b"\xef\xbb\xbf  <html><body>\xd0\xb4</body></html>",
    "invalid utf-8": b"<html><body>\xff\xfe caf\xe9</body></html>",
    "only spaces and a letter": "\u2003 x \u2003".encode(),
    "cyrillic": "<html><body>Лавров</body></html>".encode(),
    "long runs of spaces around": (
        "\u2003" * 70 + "<html><body>é</body></html>" + " \u3000" * 50
    ).encode(),
    "only unicode spaces": ("\u2003" * 100).encode(),
    "a letter among unicode spaces": ("\u2003" * 100 + "x" + "\u2003" * 100).encode(),
}


@pytest.mark.parametrize("name", list(EDGE_BODIES))
def test_parsing_reads_what_parsel_reads(name: str) -> None:
    assert parse_differences(EDGE_BODIES[name]) == []
    assert parse_differences(EDGE_BODIES[name], "text/html; charset=windows-1251") == []


def test_a_parsing_difference_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    from newscrawl.extraction import page

    monkeypatch.setattr(page, "_parser_input", lambda text, utf8: utf8 or text.encode())
    assert "parser input" in parse_differences(EDGE_BODIES["spaces around"])


def test_valid_utf8_pages_skip_the_second_encoding() -> None:
    from newscrawl.extraction import page

    assert page._decode(EDGE_BODIES["cyrillic"])[1] is not None
    assert page._decode(EDGE_BODIES["invalid utf-8"])[1] is None


@pytest.mark.parametrize("path", FIXTURE_PAGES, ids=page_ids(FIXTURE_PAGES))
def test_fixture_page_parses_as_with_parsel(path: Path) -> None:
    import json

    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["meta"]
    assert parse_differences(path.read_bytes(), meta.get("content_type", "text/html")) == []


@SKIP_REAL
@pytest.mark.parametrize("path", SAMPLE, ids=page_ids(SAMPLE))
def test_real_page_parses_as_with_parsel(path: Path) -> None:
    assert parse_differences(read_page(path)[1]) == []


@SKIP_REAL
@pytest.mark.slow
@EVERY_PAGE_PART
def test_every_real_page_parses_as_with_parsel(part: int) -> None:
    found = {str(p): d for p in pages_of_part(part) if (d := parse_differences(read_page(p)[1]))}
    assert found == {}
