"""Which responses are HTML pages (``newscrawl.extraction.mediatype``): the one rule that
the crawl's extraction and ``newscrawl extract URL`` apply."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from newscrawl.extraction import NotAnArticle, extract_article, not_html_page
from newscrawl.extraction.mediatype import media_type, not_html, starts_like_html
from tests.conftest import FIXTURES

DOCTYPE = b"<!DOCTYPE html><html><head><title>x</title></head><body><p>x</p></body></html>"

PAGES = {
    "text-html": ("text/html", b"plain words"),
    "text-html-charset-upper-case": ("Text/HTML; charset=UTF-8", DOCTYPE),
    "xhtml": ("application/xhtml+xml", DOCTYPE),
    "octet-stream-doctype": ("application/octet-stream", DOCTYPE),
    "octet-stream-html-after-whitespace": ("application/octet-stream", b"\r\n\t <HTML lang=ru>"),
    "octet-stream-comment": ("application/octet-stream", b"<!-- saved --><html>"),
    "octet-stream-utf8-bom": ("application/octet-stream", codecs.BOM_UTF8 + DOCTYPE),
    "octet-stream-utf16-bom": (
        "application/octet-stream",
        codecs.BOM_UTF16_LE + DOCTYPE.decode().encode("utf-16-le"),
    ),
    "s3-default": ("binary/octet-stream", b"<html>"),
    "whatwg-unknown": ("application/unknown", b"<p>x</p>"),
    "any": ("*/*", b"<body>"),
    "none": (None, b"<head><title>x</title></head>"),
    "empty": ("", b"<table>"),
    "no-mime-type": ("html", DOCTYPE),
}
NOT_PAGES = {
    "text-plain": ("text/plain", DOCTYPE, "not an HTML page (Content-Type: text/plain)"),
    "xml": ("application/xml", b"<html>", "not an HTML page (Content-Type: application/xml)"),
    "pdf": ("application/pdf", b"%PDF-1.7", "not an HTML page (Content-Type: application/pdf)"),
    "octet-stream-pdf": (
        "application/octet-stream",
        b"%PDF-1.7",
        "not an HTML page (Content-Type: application/octet-stream, and the body does not "
        "start as HTML does)",
    ),
    "none-json": (
        None,
        b'{"html": "<html>"}',
        "not an HTML page (no Content-Type, and the body does not start as HTML does)",
    ),
}
NOT_SIGNATURES = {
    "xml-declaration": b'<?xml version="1.0"?><html>',  # the standard's text/xml
    "meta-first": b"<meta charset=utf-8><p>x</p>",  # <meta> is no signature of the standard
    "longer-tag-name": b"<htmlx>",
    "text-before": b"Hello <html>",
    "utf16-without-bom": DOCTYPE.decode().encode("utf-16-le"),
    "whitespace-past-the-header": b" " * 1445 + b"<html>",
    "no-tag-end": b"<html",
}


@pytest.mark.parametrize(("content_type", "body"), PAGES.values(), ids=PAGES)
def test_pages(content_type: str | None, body: bytes) -> None:
    assert not_html(content_type, body) is None


@pytest.mark.parametrize(("content_type", "body", "why"), NOT_PAGES.values(), ids=NOT_PAGES)
def test_not_pages_say_why(content_type: str | None, body: bytes, why: str) -> None:
    assert not_html(content_type, body) == why


@pytest.mark.parametrize("body", NOT_SIGNATURES.values(), ids=NOT_SIGNATURES)
def test_bodies_that_do_not_start_as_html_does(body: bytes) -> None:
    assert not starts_like_html(body)
    assert not_html("application/octet-stream", body) is not None


@pytest.mark.parametrize(
    ("value", "essence"),
    [
        ("text/html", "text/html"),
        (" TEXT/Html ;charset=koi8-r", "text/html"),
        ("*/*", "*/*"),
        (None, None),
        ("", None),
        ("text", None),
        ("text/html/x", None),
        ("текст/html", None),
    ],
)
def test_media_type(value: str | None, essence: str | None) -> None:
    assert media_type(value) == essence


def test_bytes_that_came_in_no_response_are_taken_as_html() -> None:
    """A saved page, or stdin: no Content-Type to judge by, and the user named the page."""
    assert not_html_page(b"%PDF-1.7", None) is None
    assert not_html_page(b"%PDF-1.7", {}) is not None


def test_extraction_refuses_a_response_that_is_no_page_as_not_an_article() -> None:
    case = FIXTURES / "jmn" / "seed-article.html"
    body = case.read_bytes()
    now = datetime(2016, 3, 25, tzinfo=UTC)
    url = "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
    with pytest.raises(NotAnArticle, match=r"not an HTML page \(Content-Type: text/plain\)"):
        extract_article(url, body, {"Content-Type": "text/plain"}, now=now)
    labelled = extract_article(url, body, {"Content-Type": "text/html"}, now=now)
    for content_type in ("application/octet-stream", None):
        headers = {"Content-Type": content_type} if content_type else {}
        assert extract_article(url, body, headers, now=now) == labelled
