"""The generic extractor: a record from any news page, with no profile.

Each field is read by one module, structured data first and the DOM second:

- ``structured``: JSON-LD and microdata (extruct) and ``<meta>`` tags;
- ``pagetype``: article, live blog, listing, gallery, video or other;
- ``headline``: the text most sources agree on;
- ``alternate``: the headline in another language (``alternativeHeadline``, ``hreflang``);
- ``dates``: publication and modification dates, checked against the URL;
- ``authors``: structured data, the visible byline, ``<meta>``;
- ``credits``: the cover image and figures with captions and credits;
- ``body``: trafilatura's main text, cleaned;
- ``teasers``: links in related-article blocks.

:class:`GenericPage` reads each field once, when first asked, so that a profile that
finds most fields itself only pays for the ones it leaves empty (:func:`fill_record`).
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from typing import Any

from lxml import etree

from newscrawl.extraction.generic import alternate as _alternate
from newscrawl.extraction.generic import authors as _authors
from newscrawl.extraction.generic import body as _body
from newscrawl.extraction.generic import credits as _credits
from newscrawl.extraction.generic import dates as _dates
from newscrawl.extraction.generic import headline as _headline
from newscrawl.extraction.generic import teasers as _teasers
from newscrawl.extraction.generic.pagetype import PageType, page_type, running_text
from newscrawl.extraction.generic.structured import Structured, read_structured, types_of
from newscrawl.extraction.generic.text import attribute_names, clean, element_text, first_text
from newscrawl.extraction.metadata import Scripts
from newscrawl.extraction.processors import (
    DateParser,
    absolute_url,
    detect_language,
    format_datetime,
    record_url,
    schema_boolean,
)
from newscrawl.items import AltHeadline, Breadcrumb, Image, Teaser

__all__ = ["GenericPage", "PageType"]

_BREADCRUMB_WORD = re.compile("[bB][rR][eE][aA][dD][cC][rR][uU][mM][bB]")
""""breadcrumb" in any mix of cases, as an attribute value may write it."""


def breadcrumb_element(root: etree._Element, names: str) -> list[etree._Element]:
    """Return the first element (as a list of it, or []) whose ``class``, ``aria-label`` or
    ``id`` says "breadcrumb" in any case and that holds a link. ``names`` is the page's
    :func:`attribute_names`: the spellings of the word found there are the only ones an
    element can hold, so the page is queried for those exactly (a case-folding query
    reads every attribute of the page; most pages have no breadcrumb to find)."""
    spellings = tuple(sorted(set(_BREADCRUMB_WORD.findall(names))))
    return _breadcrumb_query(spellings)(root) if spellings else []


@lru_cache(maxsize=64)
def _breadcrumb_query(spellings: tuple[str, ...]) -> etree.XPath:
    tests = " or ".join(
        f"contains(@{name}, '{spelling}')"
        for spelling in spellings
        for name in ("class", "aria-label", "id")
    )
    return etree.XPath(f"(//*[{tests}][.//a[@href]])[1]")


_KEYWORDS_META = ("article:tag", "news_keywords", "keywords")
MAX_TAGS = 30


class GenericPage:
    """The fields of one parsed page as the generic extractor reads them.

    ``root`` is the parsed tree, ``url`` the page's URL,
    ``now`` the crawl time and ``dates`` the date parser to use; ``scripts``, when given,
    the page's JSON-LD scripts decoded already (``Page.scripts``).
    """

    def __init__(
        self,
        root: etree._Element,
        url: str,
        now: Any,
        dates: DateParser,
        scripts: Scripts | None = None,
    ):
        self.root = root
        self.url = url
        self.now = now
        self.date_parser = dates
        self.scripts = scripts

    @cached_property
    def structured(self) -> Structured:
        """The page's JSON-LD, microdata and ``<meta>`` values."""
        return read_structured(self.root, self.url, self.scripts)

    @cached_property
    def attribute_names(self) -> str:
        """The page's ``class``, ``id`` and ``aria-label`` values (see
        :func:`attribute_names`), which the fields that look for elements by name read
        first."""
        return attribute_names(self.root)

    @cached_property
    def article_data(self) -> dict[str, Any]:
        """The page's structured article object, or {}."""
        return self.structured.article(self.url)

    @cached_property
    def page_type(self) -> PageType:
        """What kind of page this is."""
        return page_type(
            self.structured, self.root, self.url, self.running_text, self.attribute_names
        )

    @cached_property
    def running_text(self) -> tuple[int, int]:
        """Characters and number of the page's paragraphs of running text (see
        :func:`~newscrawl.extraction.generic.pagetype.running_text`)."""
        return running_text(self.root)

    @cached_property
    def h1_texts(self) -> list[str]:
        """The texts of the page's ``<h1>`` elements, in page order."""
        return _headline.h1_texts(self.root)

    @cached_property
    def headline(self) -> str | None:
        """The headline most sources agree on."""
        return _headline.headline(self.structured, self.root, self.url, self.h1_texts)

    @cached_property
    def headline_alt(self) -> AltHeadline | None:
        """The headline in another language than the text: ``alternativeHeadline``, a
        declared translation's headline (``hreflang``), or a heading marked with another
        ``lang`` (see ``alternate``)."""
        # The headline and the language only when a candidate needs them: on most pages
        # none does, and a profile's record only asks for this field.
        found = _alternate.alternate_headline(
            self.structured, self.root, self.url, lambda: self.headline, lambda: self.language
        )
        return AltHeadline(text=found[0], lang=found[1]) if found else None

    @cached_property
    def authors(self) -> list[str]:
        """Author names in page order."""
        return _authors.authors(self.structured, self.root, self.url)

    @cached_property
    def published_at(self) -> str | None:
        """Publication time, ISO 8601."""
        value = _dates.page_date(
            self.structured, self.root, self.url, "published", self.date_parser, self.now
        )
        return format_datetime(value)

    @cached_property
    def modified_at(self) -> str | None:
        """Modification time, ISO 8601."""
        value = _dates.page_date(
            self.structured, self.root, self.url, "modified", self.date_parser, self.now
        )
        return format_datetime(value)

    @cached_property
    def breadcrumb(self) -> list[Breadcrumb]:
        """The breadcrumb trail: JSON-LD BreadcrumbList, else a breadcrumb element's links."""
        crumbs = self._structured_breadcrumb()
        if not crumbs:
            for container in breadcrumb_element(self.root, self.attribute_names):
                for link in container.iter("a"):
                    name = clean(element_text(link))
                    href = link.get("href")
                    if name:
                        crumbs.append(Breadcrumb(name=name, url=_absolute(href, self.url)))
        if crumbs and crumbs[-1].url and crumbs[-1].url.rstrip("/") == self.url.rstrip("/"):
            crumbs[-1].url = None
        return crumbs

    def _structured_breadcrumb(self) -> list[Breadcrumb]:
        for node in self.structured.nodes:
            if "BreadcrumbList" not in types_of(node):
                continue
            items = node.get("itemListElement")
            items = items if isinstance(items, list) else [items]
            entries = []
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    continue
                target = item.get("item")
                name = first_text(item.get("name")) or (
                    first_text(target.get("name")) if isinstance(target, dict) else None
                )
                url = target.get("@id") or target.get("url") if isinstance(target, dict) else target
                position = item.get("position")
                order = position if isinstance(position, int | float) else index
                if name:
                    entries.append((order, Breadcrumb(name=name, url=_absolute(url, self.url))))
            if entries:
                return [crumb for _, crumb in sorted(entries, key=lambda e: e[0])]
        return []

    @cached_property
    def free_access(self) -> bool | None:
        """Whether the page's article is marked free to read (``isAccessibleForFree`` of its
        JSON-LD or microdata object, else of a ``<meta itemprop>``); None when unmarked."""
        marked = schema_boolean(self.article_data.get("isAccessibleForFree"))
        if marked is None:
            marked = schema_boolean(self.structured.first_meta("isaccessibleforfree"))
        return marked

    @cached_property
    def section(self) -> str | None:
        """The article's section: JSON-LD ``articleSection``, the breadcrumb's parent crumb,
        ``article:section``."""
        section = first_text(self.article_data.get("articleSection"))
        if section:
            return section
        crumbs = self.breadcrumb
        if len(crumbs) >= 3:
            return crumbs[-2].name
        return clean(self.structured.first_meta("article:section"))

    @cached_property
    def tags(self) -> list[str]:
        """The article's tags or keywords."""
        value = self.article_data.get("keywords")
        tags: list[str] = []
        if isinstance(value, list):
            tags = [t for v in value if (t := clean(v))]
        elif isinstance(value, str):
            tags = [t for v in value.split(",") if (t := clean(v))]
        if not tags:
            for name in _KEYWORDS_META:
                values = self.structured.meta.get(name, [])
                if name != "article:tag":
                    values = [v for value in values for v in value.split(",")]
                tags = [t for v in values if (t := clean(v))]
                if tags:
                    break
        return tags[:MAX_TAGS]

    @cached_property
    def figures(self) -> list[_credits.FoundImage]:
        """The page's figures with their captions and credits."""
        return _credits.figures(self.root, self.url)

    @cached_property
    def cover(self) -> _credits.FoundImage | None:
        """The cover image with its caption and credit."""
        return _credits.cover_image(self.structured, self.root, self.url, self.figures)

    @cached_property
    def images(self) -> list[Image]:
        """The cover image first, then the page's other figures."""
        found = [self.cover] if self.cover else []
        found += self.figures
        images: list[Image] = []
        seen: set[str] = set()
        for image in found:
            if image.url and image.url not in seen:
                seen.add(image.url)
                images.append(Image(url=image.url, caption=image.caption, credit=image.credit))
        return images

    @cached_property
    def photo_credit(self) -> str | None:
        """The cover image's credit, or the first credited figure's."""
        if self.cover and self.cover.credit:
            return self.cover.credit
        return next((i.credit for i in self.images if i.credit), None)

    @cached_property
    def body(self) -> list[str]:
        """The body paragraphs."""
        paragraphs = _body.trafilatura_paragraphs(self.root, self.url, self.running_text)
        captions = {i.caption for i in self.images if i.caption}
        captions |= _body.caption_texts(self.root, self.attribute_names)
        lead = _body.visible_lead(self.structured, self.root, self.url)
        links = _body.other_page_links(self.root, self.url, paragraphs)
        return _body.clean_body(
            paragraphs,
            self.headline,
            captions,
            self.authors,
            lead,
            links,
            tags=self.tags,
            published=self.published_at,
            asides=_body.aside_texts(self.root, paragraphs, self.attribute_names),
            headings=self.h1_texts,
        )

    @cached_property
    def language(self) -> str | None:
        """The language of the text, checked against ``<html lang>``."""
        declared = (self.root.get("lang") or "").split("-")[0].lower() or None
        sample = " ".join(self.body)[:2000] or (self.headline or "")
        detected = detect_language(sample, prefer=[declared] if declared else [])
        return detected or declared

    @cached_property
    def teasers(self) -> list[Teaser]:
        """Links to other articles in the page's related-article blocks."""
        return _teasers.teasers(self.root, self.url, self.attribute_names)

    @cached_property
    def canonical_url(self) -> str | None:
        """The declared canonical URL."""
        for link in self.root.iter("link"):
            if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
                return _absolute(link.get("href"), self.url)
        return _absolute(self.structured.first_meta("og:url"), self.url)

    def values(self) -> dict[str, Any]:
        """Return every field the generic extractor reads, by record field name."""
        return {name: getattr(self, name) for name in FIELDS}


FIELDS = (
    "canonical_url",
    "headline",
    "headline_alt",
    "section",
    "breadcrumb",
    "authors",
    "tags",
    "published_at",
    "modified_at",
    "body",
    "free_access",
    "photo_credit",
    "images",
    "language",
    "teasers",
)
"""Record fields the generic extractor can give, in the order a record lists them."""


def _absolute(url: Any, base: str) -> str | None:
    """Return ``url`` joined to ``base`` as a record may hold it, or None."""
    if not isinstance(url, str) or not url.strip():
        return None
    return record_url(absolute_url(url.strip(), base))
