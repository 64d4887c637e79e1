"""Field readers that walk the tree in Python instead of running a query read what the
query reads, on every element of every fixture page and of the real pages of
../shared/realpages (a sample in the fast suite, every page under ``-m slow``), with both
parsers extraction uses.
"""

from __future__ import annotations

import pytest
from lxml import etree, html

from newscrawl.extraction import fields
from newscrawl.extraction.fields import first_href
from tests.extraction.test_differential import (
    over_every_page,
    read_page,
)

FIRST_HREF = etree.XPath("(descendant-or-self::a/@href)[1]", smart_strings=False)
"""The query a breadcrumb step's link was read with."""


def differences(body: bytes) -> list[str]:
    found = []
    for parser in (etree.HTMLParser(), html.HTMLParser()):
        root = etree.fromstring(body, parser)
        if root is None:
            continue
        for element in root.iter(etree.Element):  # the query takes no comment
            theirs = next(iter(FIRST_HREF(element)), None)
            if first_href(element) != theirs:
                where = element.getroottree().getpath(element)
                found.append(f"{where}: {first_href(element)!r} != {theirs!r}")
    return found


LINKS = b"""<html><body><div id="crumbs"><span><a>no href</a><a href="">empty</a></span>
<a href="/b">b</a><!-- <a href="/c"> --><A HREF="/d">d</A><area href="/e"></div></body></html>"""


def test_links_without_href_and_empty_hrefs() -> None:
    root = etree.fromstring(LINKS, etree.HTMLParser())
    (crumbs,) = root.xpath("//div")
    assert first_href(crumbs) == ""
    assert first_href(crumbs[1]) == "/b"
    assert first_href(crumbs[0][0]) is None
    assert first_href("/a string") is None
    assert differences(LINKS) == []


def test_a_difference_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """A walk that skips an empty href is caught."""
    real = first_href

    def truthy_only(node: etree._Element) -> str | None:
        return next((a.get("href") for a in node.iter("a") if a.get("href")), None)

    monkeypatch.setattr(fields, "first_href", truthy_only)
    monkeypatch.setitem(globals(), "first_href", truthy_only)
    assert differences(LINKS) != []
    monkeypatch.setitem(globals(), "first_href", real)


test_fixture_page, test_real_page_sample, test_every_real_page = over_every_page(
    lambda page: differences(read_page(page)[1])
)
