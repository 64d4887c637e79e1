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

FILL_FIELDS = tuple(name for name in FIELDS if name not in ("teasers", "free_access"))
"""Fields the generic extractor fills in a profile's record: not teasers, since a profile
that finds no teaser block has answered (no teasers); not ``free_access``, which a profile's
record reads from the page's JSON-LD article (most pages leave it unsaid, and filling it
would read the page again for nothing)."""

KNOWN_FIELDS = ("headline", "authors", "breadcrumb", "language")
"""Fields of a profile's record that the generic extractor takes as they are when it
fills the others, instead of reading them again: the alternate headline must differ from
the record's headline and be in another language than the record's, and the body leaves
out the record's headline and byline, whichever source found them. (Reading the headline
again cost a newsroom page more than the alternate headline itself.)"""


def generic_page(page: Page, known: Article | None = None) -> GenericPage:
    """Return the generic extractor's view of a parsed page. The non-empty
    :data:`KNOWN_FIELDS` of ``known`` (a profile's record of the page) are its values of
    those fields, the headline only when ``known`` has a language too (else the language
    the generic extractor finds may be its headline's); it reads every other field
    itself."""
    generic = GenericPage(page.selector.root, page.url, page.now, page.dates, page.scripts)
    if known is not None:
        for name in KNOWN_FIELDS:
            value = getattr(known, name)
            if name == "headline" and not known.language:
                continue  # the language to fill is the page's: read from its own headline
            if value not in (None, [], ""):
                # GenericPage's fields are cached properties, which an assigned value
                # stands in for.
                setattr(generic, name, value)
    return generic


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
    trafilatura can read (lxml.html's); the fields the profile lists in ``fill.skip`` are
    never filled (their emptiness is its answer). The generic extractor's dates follow the
    profiles' date rule (``plausible_date``), so a date the profile passed over does not
    come back through it."""
    answered = set(page.profile.get("fill", "skip", default=[]))
    empty = [
        name
        for name in FILL_FIELDS
        if name not in answered
        and getattr(article, name) in (None, [], "")
        and (name != "body" or isinstance(page.selector.root, html.HtmlElement))
    ]
    if not empty:
        return []  # the profile answered every field: nothing to read, nor to clean
    # What the profile found is not read again: the language (trafilatura would read the
    # whole body to learn it for headline_alt), the headline, the byline, the breadcrumb.
    generic = generic_page(page, article)
    loader: ArticleLoader | None = None  # made for the first value found (most pages: none)
    wanted: list[str] = []
    for name in empty:
        value: Any = getattr(generic, name)
        if value not in (None, [], ""):
            if loader is None:
                loader = ArticleLoader(selector=page.selector, **page.loader_context())
            loader.add_value(name, value)  # the same cleaning as the profile's values
            wanted.append(name)
    cleaned = loader.load_item() if loader is not None else None
    filled: list[str] = []
    for name in wanted:
        value = getattr(cleaned, name)
        if value not in (None, [], ""):
            setattr(article, name, value)
            filled.append(name)
    if "body" in filled or "headline" in filled:
        article.fingerprint = identity.content_fingerprint(article.headline, article.body)
    return filled
