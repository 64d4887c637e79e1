"""Publication and modification dates, chosen among the page's sources by evidence.

Sources, in order of trust: JSON-LD ``datePublished``/``dateModified`` of the article,
``<meta>`` tags (``article:published_time``, Dublin Core, ``pubdate`` ...), microdata
``itemprop``, then ``<time datetime>`` elements. When sources disagree, a date whose
calendar day also appears in the URL (``/2024/05/03/``) wins; the
order of trust decides otherwise. Only a date the page can carry counts, by the rule the
profiles' dates follow (:func:`~newscrawl.extraction.processors.plausible_date`): one it
cannot carry is passed over for the next source. With no source that reads as such a date,
htmldate reads the ``<article>`` the headline is in (with the page's ``<head>``), then the
whole page, within the same bound.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime
from typing import Any

from lxml import etree

from newscrawl.extraction.generic.structured import Structured
from newscrawl.extraction.processors import LATEST_AFTER_CRAWL, DateParser, plausible_date

PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "article.published",
    "published_time",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dcterms.issued",
    "dc.date.issued",
    "dcterms.date",
    "dc.date",
    "date",
    "og:updated_time",
)
MODIFIED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "datemodified",
    "article.updated",
    "last-modified",
    "dcterms.modified",
    "og:updated_time",
)
_URL_DATE = re.compile(
    r"(?<!\d)(?P<y>20\d{2}|19\d{2})[/_\-.]?(?P<m>0[1-9]|1[0-2])[/_\-.]?(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"
)
_TIME_PUBLISHED = etree.XPath(
    "//*[@itemprop='datePublished'][@datetime or @content]"
    " | //time[@datetime][contains(@class,'publish') or contains(@pubdate,'') or @pubdate]"
)
_TIME = etree.XPath("//time[@datetime]")
MAX_TIME_ELEMENTS = 20


def url_day(url: str) -> date | None:
    """Return the calendar day written in ``url``'s path, or None.

    >>> url_day("https://example.org/news/2024/05/03/storm.html")
    datetime.date(2024, 5, 3)
    >>> url_day("https://example.org/story/3000000218734/storm") is None
    True
    """
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("//", 1)[-1].partition("/")[2]
    for match in _URL_DATE.finditer(path):
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            continue
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def date_candidates(
    structured: Structured, root: etree._Element, url: str, field: str
) -> list[tuple[str, str]]:
    """Return (source, raw value) date candidates for ``field`` ("published" or "modified"),
    in order of trust."""
    article = structured.article(url)
    found: list[tuple[str, str]] = []
    keys = ("datePublished", "dateCreated") if field == "published" else ("dateModified",)
    for name in keys:
        if value := _as_text(article.get(name)):
            found.append(("jsonld", value))
    for name in PUBLISHED_META if field == "published" else MODIFIED_META:
        for value in structured.meta.get(name, [])[:1]:
            if value.strip():
                found.append(("meta", value.strip()))
    if field == "published":
        for element in _TIME_PUBLISHED(root)[:MAX_TIME_ELEMENTS]:
            if value := _as_text(element.get("datetime") or element.get("content")):
                found.append(("itemprop", value))
        for element in _TIME(root)[:MAX_TIME_ELEMENTS]:
            if value := _as_text(element.get("datetime")):
                found.append(("time", value))
    return found


def choose_date(parsed: list[tuple[str, datetime]], evidence: set[date]) -> datetime | None:
    """Return the first parsed date whose day is in ``evidence`` (days seen in the URL or the
    byline), else the first one; None for none."""
    for _, value in parsed:
        if value.date() in evidence:
            return value
    return parsed[0][1] if parsed else None


def page_date(
    structured: Structured,
    root: etree._Element,
    url: str,
    field: str,
    parser: DateParser,
    now: datetime,
) -> datetime | None:
    """Return the page's ``field`` date ("published" or "modified"), or None.

    Only a date a page fetched at ``now`` can carry counts, by the rule the profiles' dates
    follow (:func:`~newscrawl.extraction.processors.plausible_date`): an implausible
    candidate (year 1, a year that is wrong) is passed over for the next source, and
    htmldate reads the page only when no candidate is left."""
    parsed: list[tuple[str, datetime]] = []
    for source, raw in date_candidates(structured, root, url, field):
        if (value := plausible_date(parser.parse(raw, now), now)) is not None:
            parsed.append((source, value))
    evidence = {d for d in [url_day(url)] if d}
    if field == "published" and not parsed:
        return _htmldate(root, url, parser, now)
    # A date given by the site's own metadata beats a <time> in the page, unless only the
    # <time> agrees with the URL.
    return choose_date(parsed, evidence)


def _htmldate(root: etree._Element, url: str, parser: DateParser, now: datetime) -> datetime | None:
    """Return the date htmldate reads in the page at ``url``, when the page can carry it
    (:func:`~newscrawl.extraction.processors.plausible_date`): first in
    :func:`headline_article_page` (the head and the article the headline is in), then,
    when that gives none, in the whole page."""
    from htmldate import find_date

    latest = htmldate_latest(now)
    for page in (headline_article_page(root), root):
        if page is None:
            continue
        try:
            found = find_date(
                page,
                original_date=True,
                extensive_search=False,
                outputformat="%Y-%m-%d",
                max_date=latest,
                # Without it htmldate looks for a date in the canonical link only; a page
                # with none gave the date in its stock image's address (/2016/04/05/)
                # instead of its own (/2019/11/20/).
                url=url,
            )
        except (ValueError, TypeError, etree.LxmlError, RecursionError):
            continue
        if found and (value := plausible_date(parser.parse(found, now), now)) is not None:
            return value
    return None


def htmldate_latest(now: datetime) -> datetime | None:
    """Return the latest date htmldate may read in a page fetched at ``now``: the latest
    :func:`~newscrawl.extraction.processors.plausible_date` takes, as the naive UTC time
    htmldate compares its dates with (None past the last datetime: htmldate's own bound).

    htmldate's own bound is the end of the day it runs on, not of the crawl: on a page
    fetched long ago it would take a later date and give up an earlier one it also reads.

    >>> from datetime import UTC, datetime, timedelta, timezone
    >>> htmldate_latest(datetime(2016, 3, 25, 12, tzinfo=timezone(timedelta(hours=3))))
    datetime.datetime(2016, 3, 25, 23, 0)
    >>> htmldate_latest(datetime(9999, 12, 31, 23, tzinfo=UTC)) is None
    True
    """
    crawled = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    try:
        return (crawled.astimezone(UTC) + LATEST_AFTER_CRAWL).replace(tzinfo=None)
    except OverflowError:
        return None


_HEADLINE_ARTICLE = etree.XPath("(//h1)[1]/ancestor::article[1]")


def headline_article_page(root: etree._Element) -> etree._Element | None:
    """Return a copy of the page reduced to its ``<head>`` and the ``<article>`` element its
    first ``<h1>`` is in, or None when the ``<h1>`` is in no ``<article>``.

    An article's date is written with it (the byline's date); a site header's "today"
    date, a sidebar's or a teaser's dates are outside that element, and in document order
    htmldate would meet the header's first.

    >>> from lxml import html
    >>> page = html.document_fromstring(
    ...     "<html><head><title>T</title></head><body><header><span class='date'>Today"
    ...     "</span></header><article><h1>H</h1><span class='date'>1 March 2016</span>"
    ...     "</article><aside>Teaser</aside></body></html>")
    >>> [element.tag for element in headline_article_page(page)]
    ['head', 'body']
    >>> html.tostring(headline_article_page(page).find("body"))
    b'<body><article><h1>H</h1><span class="date">1 March 2016</span></article></body>'
    """
    found = _HEADLINE_ARTICLE(root)
    if not found or root.tag != "html":
        return None
    page = root.makeelement("html", dict(root.attrib))  # of the tree's own element class
    head = root.find("head")
    if head is not None:
        page.append(copy.deepcopy(head))
    body = page.makeelement("body", {})
    article = copy.deepcopy(found[0])
    article.tail = None
    body.append(article)
    page.append(body)
    return page
