"""Which responses are HTML pages: one rule for the crawl and ``newscrawl extract URL``.

A response is a page when its Content-Type says HTML. When it says nothing of use (no
Content-Type, one that is no MIME type, ``application/octet-stream`` and the other labels
of unknown bytes), its body decides: it is a page when it starts with one of the HTML
signatures of the WHATWG MIME Sniffing Standard ("rules for identifying an unknown MIME
type": ``<!DOCTYPE HTML``, ``<html``, ``<head``, ``<body``, ``<p``, ``<!--``... after
leading whitespace, followed by a space or ``>``). Any other type (``text/plain``,
``application/xml``, ``application/pdf``...) is not a page, whatever its body holds.

Two departures from the standard, both for pages a crawler should read:

- ``application/octet-stream`` is sniffed like a missing type. A browser downloads such a
  response instead of showing it, but RFC 9110 (section 8.3) makes it the type of bytes
  whose type is unknown, servers send it for files they cannot place (a page saved without
  its extension), and Scrapy sniffs it too (``responsetypes.from_body``).
- A BOM before the signature is skipped, and a UTF-16 or UTF-32 head is read in the
  encoding the BOM names: extraction decodes such a page (the BOM wins over any label).
"""

from __future__ import annotations

import re

from w3lib.encoding import read_bom

__all__ = ["HTML_TYPES", "UNKNOWN_TYPES", "media_type", "not_html", "starts_like_html"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml"})
"""Content-Types of pages (Scrapy's ``HtmlResponse`` types)."""

UNKNOWN_TYPES = frozenset(
    {
        "application/octet-stream",
        "binary/octet-stream",  # Amazon S3's default for an object uploaded without a type
        "application/unknown",
        "unknown/unknown",
        "*/*",
    }
)
"""Content-Types that say nothing of the bytes: the body decides, as without one. The
last three are the WHATWG standard's own; the first two, a server's "I don't know"."""

RESOURCE_HEADER = 1445
"""Bytes of the body the signature is looked for in (the standard's resource header)."""

_TOKEN = r"[!#$%&'*+.^_`|~0-9a-z-]+"
_MEDIA_TYPE = re.compile(f"{_TOKEN}/{_TOKEN}")
_HTML_SIGNATURE = re.compile(
    rb"[\t\n\f\r ]*+<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style"
    rb"|title|b|body|br|p|!--)[ >]",
    re.IGNORECASE,
)
"""The standard's HTML rows: leading whitespace bytes ignored, case ignored (``<!--`` has
no letters), each name followed by a tag-terminating byte, a space or ``>``."""


def media_type(content_type: str | None) -> str | None:
    """Return the essence of a Content-Type value (``type/subtype``, lower case), or None
    when there is no value or it is no MIME type (the standard then sniffs, as for none).

    >>> media_type("Text/HTML; charset=UTF-8")
    'text/html'
    >>> media_type("html") is None
    True
    """
    if not content_type:
        return None
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence if _MEDIA_TYPE.fullmatch(essence) else None


def starts_like_html(body: bytes) -> bool:
    """Tell whether ``body`` starts with an HTML signature (see the module docstring).

    >>> starts_like_html(b"\\n  <!DOCTYPE html><html><body>")
    True
    >>> starts_like_html(b"%PDF-1.7")
    False
    """
    head = body[:RESOURCE_HEADER]
    encoding, bom = read_bom(head)
    if encoding is not None and bom is not None:
        # The signatures are ASCII: anything else can only fail to match, as "?".
        head = head[len(bom) :].decode(encoding, "replace").encode("ascii", "replace")
    return _HTML_SIGNATURE.match(head) is not None


def not_html(content_type: str | None, body: bytes) -> str | None:
    """Return why a response with the Content-Type ``content_type`` (None: it sent none)
    and the body ``body`` is not an HTML page, in a few words; None when it is one.

    >>> not_html("application/octet-stream", b"<!DOCTYPE html><title>x</title>") is None
    True
    >>> not_html("application/pdf", b"%PDF-1.7")
    'not an HTML page (Content-Type: application/pdf)'
    """
    essence = media_type(content_type)
    if essence in HTML_TYPES:
        return None
    label = f"Content-Type: {content_type}" if content_type else "no Content-Type"
    if essence is not None and essence not in UNKNOWN_TYPES:
        return f"not an HTML page ({label})"
    if starts_like_html(body):
        return None
    return f"not an HTML page ({label}, and the body does not start as HTML does)"
