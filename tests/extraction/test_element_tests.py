"""Selectors answered by one walk in Python (``Document.matching``: tags, classes, ids and
class parts, such as a body's ``exclude`` list) select what parsel selects, on every fixture
page and on the real pages of ../shared/realpages (a sample in the fast suite, every page
under ``-m slow``), from the root and from the containers the profiles name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cssselect import SelectorSyntaxError
from lxml import etree, html

from newscrawl.extraction import selectors
from newscrawl.extraction.selectors import Document, compile_query, element_test, element_tests
from newscrawl.profiles import load_profile, profile_names
from tests.extraction.parsel_reference import parsel_nodes
from tests.extraction.test_differential import (
    FIXTURE_PAGES,
    over_every_page,
    profile_selectors,
    read_page,
)

EXTRA = (
    "p",
    "h2",
    ".entry",
    ".post",
    "#main",
    "#the-post",
    "[class*='post']",
    "[class*='-']",
    ".a\\ b",
    "div",
)
"""Element tests beyond the profiles' own: common tags, classes, ids and parts."""


def element_test_queries() -> list[str]:
    """Every selector of the profiles that is an element test, and :data:`EXTRA`."""
    queries = [q for key, q in profile_selectors() if not key.startswith("discovery.")]
    found = [q for q in queries if element_test(q) is not None]
    return list(dict.fromkeys([*found, *(q for q in EXTRA if element_test(q) is not None)]))


def exclude_lists() -> list[tuple[str, ...]]:
    return [tuple(load_profile(name).selectors("body", "exclude")) for name in profile_names()]


def union_in_order(root: etree._Element, results: list[list[Any]]) -> list[Any]:
    position = {element: index for index, element in enumerate(root.iter())}
    union = {id(n): n for nodes in results for n in nodes}
    return sorted(union.values(), key=position.__getitem__)


PARSERS = (etree.HTMLParser, html.HTMLParser)
"""The parsers each page is read with: lxml's own (extraction's) and lxml.html's."""


def parsed_roots(body: bytes, parsers: tuple[type, ...]) -> Iterator[etree._Element]:
    """Yield the root each of ``parsers`` makes of ``body``, skipping a parser that makes
    none."""
    for parser_class in parsers:
        root = etree.fromstring(body, parser_class())
        if root is not None:
            yield root


def differences(path: Path, parsers: tuple[type, ...] = PARSERS) -> list[str]:
    _url, body = read_page(path)
    found = []
    singles = element_test_queries()
    groups = [*exclude_lists(), tuple(singles)]
    for root in parsed_roots(body, parsers):
        document = Document(root)
        contexts = [root]
        for query in ("#the-post .entry", ".entry", "article", "main", "body"):
            contexts += [n for n in document.select(query) if isinstance(n, etree._Element)][:2]
        for number, context in enumerate(contexts):
            where = context.tag
            # Each query alone from the root and the first container; from the others,
            # within the union of all of them (the last group), which costs one walk.
            for query in singles if number < 2 else ():
                theirs = parsel_nodes(context, query)
                ours = document.matching((query,), context)
                if ours != theirs:
                    found.append(f"{query!r} from <{where}>: {ours} != parsel {theirs}")
            for group in groups:
                theirs = union_in_order(root, [parsel_nodes(context, q) for q in group])
                ours = document.matching(group, context)
                if ours != theirs:
                    found.append(f"{group!r} from <{where}>: {ours} != parsel {theirs}")
    return found


def test_the_profiles_exclude_lists_are_element_tests() -> None:
    """Sahifa's exclude list is answered by one walk (else this checks nothing)."""
    assert all(element_tests(group) is not None for group in exclude_lists())
    kinds = {element_test(q)[0] for q in element_test_queries()}  # type: ignore[index]
    assert kinds == {"tag", "class", "id", "class_part"}


@pytest.mark.parametrize(
    "query",
    [
        "div p",
        ".a .b",
        "a[href]",
        "div.x",
        ".a.b",
        "#x .y",
        "p:first-child",
        "xpath://p",
        "a::text",
    ],
)
def test_other_selectors_are_no_element_tests(query: str) -> None:
    assert element_test(query) is None
    assert element_tests(("script", query)) is None


def test_a_difference_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """A class test that takes a part of a class name for the class is caught."""
    (path,) = [p for p in FIXTURE_PAGES if p.name == "several-check-also-teasers.html"]
    monkeypatch.setattr(selectors, "_has_class", lambda value, name: name in value)
    element_tests.cache_clear()
    try:
        assert differences(path) != []
    finally:
        element_tests.cache_clear()


# Every real page with extraction's parser alone (the sample and fixtures take both).
test_fixture_page, test_real_page_sample, test_every_real_page = over_every_page(
    differences, lambda page: differences(page, PARSERS[:1])
)


# ----------------------------------------------------- attribute reads of head elements


def attribute_reads(root: etree._Element) -> list[str]:
    """``tag[attribute='value']::attr(read)`` for the meta and link elements of the page:
    each attribute and value they hold, but for the ``content`` and ``href`` values (what
    is read, never what an element is picked by), read as content, href, name and a
    missing one."""
    queries = {"meta[property='og:title']::attr(content)", "link[rel=nothing]::attr(href)"}
    for element in root.iter("meta", "link"):
        for attribute, value in element.attrib.items():
            if attribute in ("content", "href"):
                continue
            if not (attribute.isalpha() and value.isprintable()) or "'" in value or "\\" in value:
                continue
            for read in ("content", "href", "name", "data-none"):
                queries.add(f"{element.tag}[{attribute}='{value}']::attr({read})")
    return sorted(queries)


def attribute_read_differences(body: bytes, parsers: tuple[type, ...] = PARSERS) -> list[str]:
    found = []
    for root in parsed_roots(body, parsers):
        document = Document(root)
        for query in attribute_reads(root):
            try:
                compiled = compile_query(query)
            except SelectorSyntaxError:  # a value CSS cannot hold unescaped
                continue
            if compiled.attribute_read is None:
                found.append(f"{query!r} is not read from the index")
            elif document.select(query) != parsel_nodes(root, query):
                found.append(f"{query!r}: {document.select(query)} != {parsel_nodes(root, query)}")
    return found


def test_attribute_reads_of_head_elements() -> None:
    body = b"""<html><head><meta property="og:title" content="A"><meta name="x">
    <link rel="canonical" href="/a"><link rel="canonical"></head>
    <body><meta property="og:title" content="B"><p><link rel="canonical" href="/b"></p>
    </body></html>"""
    root = etree.fromstring(body, etree.HTMLParser())
    assert Document(root).select("meta[property='og:title']::attr(content)") == ["A", "B"]
    assert Document(root).select("link[rel=canonical]::attr(href)") == ["/a", "/b"]
    assert attribute_read_differences(body) == []


def test_an_attribute_read_difference_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """An index that reads the head alone misses the meta in the body."""
    body = b"""<html><head><meta property="og:title" content="A"></head>
    <body><meta property="og:title" content="B"></body></html>"""

    def head_only(self: Document, tag: str, attribute: str, value: str, read: str) -> list[str]:
        head = self.root.find("head")
        return [e.get(read) for e in head.iter(tag) if e.get(attribute) == value]

    monkeypatch.setattr(Document, "_attribute_read", head_only)
    assert attribute_read_differences(body) != []


(
    test_attribute_reads_of_fixture_page,
    test_attribute_reads_of_real_page_sample,
    test_attribute_reads_of_every_real_page,
) = over_every_page(
    lambda page: attribute_read_differences(read_page(page)[1]),
    lambda page: attribute_read_differences(read_page(page)[1], PARSERS[:1]),
)
