"""``parse_html`` and ``declared_url``: the page's markup read outside extraction, within
the limits extraction holds every page to."""

from __future__ import annotations

import pytest
from lxml import etree

from newscrawl.extraction import (
    EmptyPage,
    TooLarge,
    declared_url,
    parse_html,
    parse_page,
)
from tests.conftest import FIXTURES, attribute_flood

SEED = FIXTURES / "jmn" / "seed-article.html"


def _root(head: str) -> etree._Element:
    return parse_html(f"<html><head>{head}</head><body><p>text</p></body></html>".encode())


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta property="og:url" content="https://a.example/og/">'
            '<link rel="canonical" href="https://a.example/canonical/">',
            "https://a.example/canonical/",
        ),
        ('<link rel="Canonical" href=" https://a.example/c/ ">', "https://a.example/c/"),
        ('<link rel="alternate canonical" href="https://a.example/c/">', "https://a.example/c/"),
        (
            '<link rel="canonical" href="/relative/">'
            '<meta property="og:url" content="https://a.example/og/">',
            "https://a.example/og/",
        ),
        ('<link rel="noncanonical" href="https://a.example/c/">', None),
        ('<link rel="canonical" href="javascript:void(0)">', None),
        ("", None),
    ],
    ids=[
        "canonical-before-og-url",
        "rel-in-any-case-and-spaces-around",
        "canonical-among-rel-tokens",
        "relative-canonical-gives-og-url",
        "not-the-token",
        "not-http",
        "none",
    ],
)
def test_declared_url(head: str, expected: str | None) -> None:
    assert declared_url(_root(head)) == expected


def test_parse_html_reads_a_page_as_parse_page_does() -> None:
    body = SEED.read_bytes()
    page = parse_page("https://jmn.info/x/", body, profile="jmn")
    assert etree.tostring(parse_html(body)) == etree.tostring(page.selector.root)
    assert (
        declared_url(parse_html(body))
        == "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
    )


def test_parse_html_refuses_an_element_past_the_attribute_limit() -> None:
    with pytest.raises(TooLarge, match="attributes"):
        parse_html(f"<html><body><div {attribute_flood()}>x</div></body></html>".encode())


def test_parse_html_refuses_a_page_over_the_byte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("newscrawl.extraction.page.MAX_PAGE_BYTES", 100)
    with pytest.raises(TooLarge, match="bytes"):
        parse_html(b"<html><body>" + b"x" * 200 + b"</body></html>")


@pytest.mark.parametrize("body", [b"", b"  \n", b"\xef\xbb\xbf"], ids=["empty", "blank", "bom"])
def test_parse_html_refuses_a_page_without_text(body: bytes) -> None:
    with pytest.raises(EmptyPage):
        parse_html(body)


def test_a_header_sent_twice_is_read_by_its_last_value_as_scrapy_reads_it() -> None:
    from scrapy.http import Headers as ScrapyHeaders

    from newscrawl.extraction import decode_html

    body = "<html><body><p>Лавров</p></body></html>".encode("cp1251")
    headers = ScrapyHeaders()
    headers.appendlist("Content-Type", "text/plain; charset=utf-8")
    headers.appendlist("Content-Type", "text/html; charset=windows-1251")
    assert headers.get("Content-Type") == b"text/html; charset=windows-1251"
    assert "Лавров" in decode_html(body, headers)
    page = parse_page("https://jmn.info/x/", body, headers, profile="generic")
    assert page.selector.root.xpath("string(//p)") == "Лавров"
