"""``newscrawl.spiders.reading``: the readings the spiders share, held to their promises."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse

from newscrawl.spiders.reading import page_selector, page_text, sitemap_reading, sitemap_type


def test_a_body_with_no_element_reads_as_no_sitemap_and_no_entries() -> None:
    for body in (b"", b"not xml at all", b"<?xml version='1.0'?>"):
        assert sitemap_type(body) is None
        assert list(sitemap_reading(body)) == []


def test_a_pages_text_and_selector_are_read_once_per_response() -> None:
    url = "https://portal.example/"
    response = HtmlResponse(
        url, body=b"<html><body><a href='/a/'>A</a></body></html>", request=Request(url)
    )
    assert page_text(response) is page_text(response)
    assert page_selector(response) is page_selector(response)
    assert page_selector(response).css("a::attr(href)").get() == "/a/"
