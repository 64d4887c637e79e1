"""Decoding and parsing: the page every field reads, and the errors of pages that give none."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from lxml import etree, html
from parsel import Selector
from parsel.selector import create_root_node
from w3lib.encoding import html_to_unicode

from newscrawl.extraction.metadata import jsonld_article
from newscrawl.extraction.processors import DateParser
from newscrawl.extraction.selectors import Document
from newscrawl.profiles import Profile, load_profile, profile_for_url

Headers = Mapping[str, Any] | Mapping[bytes, Any]

_NOT_BLANK_BYTES = re.compile(rb"\S")
_NOT_BLANK_TEXT = re.compile(r"[^\x00 \t\r\n\f\v\ufeff]")


class ExtractionError(Exception):
    """The page gave no record. ``kind`` names why ("not-article", "empty", "undecodable")."""

    kind = "extraction-error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class NotAnArticle(ExtractionError):
    """The page is not an article page (a listing, a static page, an error page)."""

    kind = "not-article"


class EmptyPage(ExtractionError):
    """The response has no HTML to read."""

    kind = "empty"


def _header(headers: Headers | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() == name.lower():
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            if isinstance(value, bytes):
                return value.decode("latin-1")
            return None if value is None else str(value)
    return None


def decode_html(body: bytes, headers: Headers | None = None) -> str:
    """Return the page as text, honouring BOM, Content-Type charset and ``<meta>`` charset.

    Bytes that are invalid in the declared encoding become U+FFFD rather than an error.
    """
    _, text = html_to_unicode(_header(headers, "Content-Type"), body)
    return text


@cache
def _date_parser(languages: tuple[str, ...], timezone: str) -> DateParser:
    return DateParser(languages, timezone)


@cache
def _patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@dataclass
class Page:
    """A parsed page and what every field reader needs to know about it.

    ``document`` runs the profile's selectors on the parsed tree (``selector.root``).
    """

    url: str
    selector: Selector
    profile: Profile
    now: datetime
    jsonld: dict[str, Any]
    document: Document = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.document = Document(self.selector.root)

    def candidates(self, *path: str) -> Iterator[list[str]]:
        """Yield, lazily, the strings each selector at ``path`` of the profile selects."""
        for query in self.profile.selectors(*path):
            yield self.document.values(query)

    @property
    def dates(self) -> DateParser:
        """The profile's date parser (one per site, shared across pages)."""
        return _date_parser(tuple(self.profile.languages), self.profile.timezone)

    def loader_context(self) -> dict[str, Any]:
        """Context for loaders: the base URL for absolute links."""
        return {"base_url": self.url}


def body_from_trafilatura(profile: Profile) -> bool:
    """Tell whether pages of ``profile`` get their body from trafilatura (it names no body)."""
    return not profile.selectors("body", "container")


def _parser_class(profile: Profile) -> type[etree.HTMLParser]:
    """Return the HTML parser for pages of ``profile``: lxml.html's only when trafilatura,
    which takes only lxml.html trees, reads the page.

    lxml.html's element classes make each element handed to Python several times dearer
    (about 4x for an XPath that returns every element of a portal page).
    """
    return html.HTMLParser if body_from_trafilatura(profile) else etree.HTMLParser


def parse_page(
    url: str,
    body: bytes,
    headers: Headers | None = None,
    profile: Profile | str | None = None,
    now: datetime | None = None,
) -> Page:
    """Decode and parse ``body``; raise EmptyPage when there is no HTML in it."""
    if _NOT_BLANK_BYTES.search(body) is None:
        raise EmptyPage("the response body is empty", url=url)
    if isinstance(profile, str):
        profile = load_profile(profile)
    profile = profile or profile_for_url(url)
    text = decode_html(body, headers)
    if _NOT_BLANK_TEXT.search(text) is None:
        raise EmptyPage("the response body has no text", url=url)
    try:
        root = create_root_node(text, _parser_class(profile), base_url=url)
        selector = Selector(root=root, type="html", base_url=url)
    except (ValueError, etree.LxmlError) as exc:
        raise EmptyPage(f"the response is not HTML: {exc}", url=url) from exc
    if selector.root is None or not isinstance(selector.root, etree._Element):
        raise EmptyPage("the response has no HTML element", url=url)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return Page(
        url=url,
        selector=selector,
        profile=profile,
        now=now,
        jsonld=jsonld_article(selector, text),
    )
