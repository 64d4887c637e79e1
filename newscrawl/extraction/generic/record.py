"""Records from the generic extractor: the whole record for pages of no profile, and the
empty fields of a profile's record filled in."""

from __future__ import annotations

from typing import Any

from lxml import html

from newscrawl import identity
from newscrawl.extraction.errors import NotAnArticle
from newscrawl.extraction.generic import FIELDS, GenericPage
from newscrawl.extraction.limits import check_time
from newscrawl.extraction.loaders import ArticleLoader
from newscrawl.extraction.page import Page
from newscrawl.extraction.processors import format_datetime
from newscrawl.items import Article

FILL_FIELDS = tuple(name for name in FIELDS if name != "teasers")
"""Fields the generic extractor fills in a profile's record: not teasers, since a profile
that finds no teaser block has answered (no teasers)."""


def generic_page(page: Page, language: str | None = None) -> GenericPage:
    """Return the generic extractor's view of a parsed page, whose text is in ``language``
    when that is known already (else the generic extractor finds it)."""
    return GenericPage(page.selector.root, page.url, page.now, page.dates, language)


def not_an_article(generic: GenericPage) -> NotAnArticle:
    """Return the error for a page that is not an article; its ``page_type`` names the kind."""
    kind = generic.page_type
    error = NotAnArticle(
        f"the page is not an article: {kind.kind} ({kind.reason})", url=generic.url
    )
    error.page_type = kind.kind  # type: ignore[attr-defined]
    return error


def generic_record(page: Page) -> Article:
    """Return the record of a page of no profile; raise NotAnArticle (with ``page_type``)
    for listings, galleries, videos and other pages."""
    generic = generic_page(page)
    if not generic.page_type.gives_record:
        raise not_an_article(generic)
    check_time(page.url)
    loader = ArticleLoader(selector=page.selector, **page.loader_context())
    loader.add_value("url", page.url)
    loader.add_value("site", page.profile.name)
    loader.add_value("crawled_at", format_datetime(page.now))
    for name in FIELDS:
        value = getattr(generic, name)
        check_time(page.url)
        if value not in (None, [], ""):
            loader.add_value(name, value)
    article: Article = loader.load_item()
    article.fingerprint = identity.content_fingerprint(article.headline, article.body)
    return article


def fill_record(article: Article, page: Page) -> list[str]:
    """Fill the fields of a profile's ``article`` that the profile left empty with what the
    generic extractor reads; return their names. The body is filled only on a tree
    trafilatura can read (lxml.html's)."""
    # The record's language is the profile's finding: the generic extractor must not
    # read the whole body (trafilatura) just to learn it again for headline_alt.
    generic = generic_page(page, article.language)
    loader = ArticleLoader(selector=page.selector, **page.loader_context())
    wanted: list[str] = []
    for name in FILL_FIELDS:
        if getattr(article, name) not in (None, [], ""):
            continue
        if name == "body" and not isinstance(page.selector.root, html.HtmlElement):
            continue
        value: Any = getattr(generic, name)
        if value not in (None, [], ""):
            loader.add_value(name, value)  # the same cleaning as the profile's values
            wanted.append(name)
    cleaned = loader.load_item() if wanted else None
    filled: list[str] = []
    for name in wanted:
        value = getattr(cleaned, name)
        if value not in (None, [], ""):
            setattr(article, name, value)
            filled.append(name)
    if "body" in filled or "headline" in filled:
        article.fingerprint = identity.content_fingerprint(article.headline, article.body)
    return filled
