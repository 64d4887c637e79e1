"""How the spiders read what they fetch: pages as extraction decodes them, sitemaps and
feeds as libxml2 reads them, and what to say of one that cannot be read.

The spiders (``portal``, ``url``) decide what to fetch and what to do with it; the readings
they share, of responses into text, selectors, feed readings and sitemap entries, are here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from lxml.etree import XMLSyntaxError
from parsel import Selector
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from newscrawl.extraction import decode_html
from newscrawl.extraction.mediatype import media_type
from newscrawl.xmlread import (
    FEED_ROOTS,
    Reading,
    cut_in,
    feed_encoding,
    parse_xml,
    root_name,
    xml_start,
)

SITEMAP_TOO_LARGE = "sitemap-too-large"
NOT_A_SITEMAP = "not-a-sitemap"
SITEMAP_DAMAGED = "sitemap-damaged"
NOT_A_FEED = "not-a-feed"


@dataclass(frozen=True)
class Unread:
    """Why a sitemap or feed could not be read at all (``PortalSpider.report_unread``)."""

    kind: str
    """Its count in the report's ``errors``: :data:`SITEMAP_TOO_LARGE`,
    :data:`NOT_A_SITEMAP`, :data:`SITEMAP_DAMAGED` (a gzip file that cannot be
    decompressed) or :data:`NOT_A_FEED`."""
    reason: str
    """What the log line says after the sitemap's or feed's URL, e.g. ``is not a sitemap
    (text/html, root element <html>)``."""


NOT_WHAT_WAS_ASKED = frozenset({NOT_A_SITEMAP, NOT_A_FEED})
"""The kinds of :class:`Unread` that say an answer is something else (a web page): no fault
when the URL was a guess (``PortalSpider.report_unread``)."""


def asked_url(request: Request | None, url: str) -> str:
    """Return the URL ``request`` was first made for, before any redirect; ``url`` (its
    response's) when there is no request."""
    redirects = request.meta.get("redirect_urls") if request is not None else None
    return (redirects or [url])[0]


_PAGE_TEXTS: WeakKeyDictionary[Response, str] = WeakKeyDictionary()
_PAGE_SELECTORS: WeakKeyDictionary[Response, Selector] = WeakKeyDictionary()


def page_text(response: Response) -> str:
    """Return the page of ``response`` as text, decoded as extraction decodes it
    (:func:`~newscrawl.extraction.decode_html`, from the body and the Content-Type), once
    per response.

    The spiders read a page's links from this text, not from Scrapy's ``response.text``,
    so that the links followed and the page's record come from one reading of its bytes:
    w3lib, under Scrapy, reads a ``utf-16`` charset without a BOM big-endian (extraction
    little-endian, as the WHATWG Encoding Standard says), obeys a ``<meta>`` that claims
    UTF-16, and detects undeclared encodings otherwise.
    """
    text = _PAGE_TEXTS.get(response)
    if text is None:
        text = _PAGE_TEXTS[response] = decode_html(response.body, response.headers)
    return text


def page_selector(response: Response) -> Selector:
    """Return an HTML selector over :func:`page_text` (what ``response.selector`` is over
    Scrapy's reading), parsed once per response."""
    selector = _PAGE_SELECTORS.get(response)
    if selector is None:
        selector = Selector(text=page_text(response), type="html", base_url=response.url)
        _PAGE_SELECTORS[response] = selector
    return selector


def feed_reading(response: Response) -> tuple[bytes, Reading] | Unread:
    """Return the feed ``response`` as libxml2 reads it (its body without the blank lines
    before ``<?xml``, and the :class:`~newscrawl.xmlread.Reading` of it), or why it holds no
    feed: :data:`NOT_A_FEED` when it has no root element of a feed's
    (:data:`~newscrawl.xmlread.FEED_ROOTS`).

    The body is read in the encoding XML's rules give
    (:func:`~newscrawl.xmlread.feed_encoding`), in recover mode
    (:func:`~newscrawl.xmlread.parse_xml`). What decides is the root element, not the
    Content-Type, nor whether libxml2 met a fault: a web page is no feed whether it is
    well-formed XHTML (no fault) or HTML (not well-formed XML), and a feed cut short is a
    damaged feed, whose items are read.
    """
    body = xml_start(response.body)
    reading = parse_xml(body, feed_encoding(body, content_type(response)))
    root = root_name(reading.root)
    if root in FEED_ROOTS:
        return body, reading
    return Unread(NOT_A_FEED, f"is not a feed ({what_came(response, root)})")


def what_came(response: Response, root: str | None) -> str:
    """Say what ``response``, asked for as a sitemap or feed, is: where it was redirected to
    (when it was), its media type, and its root element (``root``, None when it has none),
    e.g. ``redirected to https://portal.example/, text/html, root element <html>``."""
    redirected = response.request is not None and response.request.meta.get("redirect_urls")
    came = [f"redirected to {response.url}"] if redirected else []
    came.append(media_type(content_type(response)) or "no Content-Type")
    came.append(f"root element <{root}>" if root else "no XML element in it")
    return ", ".join(came)


def sitemap_type(body: bytes) -> str | None:
    """Return the local name of the root element Scrapy's sitemap reader finds in ``body``
    (``urlset``, ``sitemapindex``, ``html``...), or None when it finds no element."""
    try:
        return Sitemap(body).type
    except (StopIteration, XMLSyntaxError):
        return None


def content_type(response: Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.decode("latin-1") if value else None


def sitemap_reading(body: bytes) -> Iterable[dict[str, Any]]:
    """Return Scrapy's reading of the sitemap ``body``; nothing when it has no root element."""
    try:
        return Sitemap(body)
    except (StopIteration, XMLSyntaxError):
        return ()


def whole_entry(entry: dict[str, Any], body: bytes) -> dict[str, Any] | None:
    """Return the entry ``entry`` (a sitemap's, or a feed item's or news sitemap's as
    ``{"loc", "date"}``) of ``body``, a document cut short, without the fields the document
    ends inside (:func:`~newscrawl.xmlread.cut_in`: a ``<lastmod>`` cut to ``2016-03-2``
    would be another date); None when that field is its ``loc``, the page's URL."""
    if cut_in(body, entry["loc"]):
        return None
    return {k: v for k, v in entry.items() if not (isinstance(v, str) and cut_in(body, v))}
