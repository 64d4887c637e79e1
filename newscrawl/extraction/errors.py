"""Every way a page can fail to give a record: an :class:`ExtractionError` with a ``kind``.

The ``kind`` is what a reject record says and what the crawl counts
(``newscrawl/extract/<kind>``); ``docs/operations.md`` lists them all.
"""

from __future__ import annotations


class ExtractionError(Exception):
    """The page gave no record. ``kind`` names why (see the subclasses)."""

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


class NoBody(ExtractionError):
    """An article page, whole, whose body comes out empty: no text where the profile reads
    the body (a video or gallery post, a headline published before its text, or a
    profile that no longer matches the portal's markup)."""

    kind = "no-body"


class TooLarge(ExtractionError):
    """The page is over a size limit (bytes, elements, attributes of one element)."""

    kind = "too-large"


class TooSlow(ExtractionError):
    """Extraction ran past the page's time budget."""

    kind = "too-slow"


class Undecodable(ExtractionError):
    """The page's text comes out mostly U+FFFD: its bytes are not in the encoding used."""

    kind = "undecodable"


class Truncated(ExtractionError):
    """The page ends before its end: no closing body/html tag, or a cut UTF-8 character."""

    kind = "truncated"
