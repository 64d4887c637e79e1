"""The dates the generic extractor takes: only those a page fetched at the crawl time can
carry (``plausible_date``, the profiles' rule), an implausible one giving way to the next
source; and a crawl on 29 February, which has no counterpart in the next year, must not
crash extraction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import html

from newscrawl.extraction import extract_article
from newscrawl.extraction.generic import dates
from newscrawl.extraction.generic.structured import read_structured
from newscrawl.extraction.processors import DateParser

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "generic"
LEAP_DAY = datetime(2024, 2, 29, 12, tzinfo=UTC)
NOW = datetime(2024, 3, 11, 12, tzinfo=UTC)
URL = "https://x.example/news/ferry-route"
SECOND = "2024-03-04T08:00:00+00:00"
"""The second source's date: one the page can carry."""


def _page_date(page: str, field: str = "published", now: datetime = NOW) -> datetime | None:
    root = html.document_fromstring(page)
    structured = read_structured(root, URL)
    return dates.page_date(structured, root, URL, field, DateParser((), "UTC"), now)


def _jsonld(key: str, value: str) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "H", key: value}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


IMPLAUSIBLE = [
    "2099-05-03T10:00:00+00:00",  # a year that is wrong
    "0001-01-01T00:00:00+00:00",  # a database's empty date
    "2024-03-12T02:00:01+00:00",  # a second later than a mislabelled offset reaches
    "2024-03-12T12:00:00+00:00",  # a day after the crawl
]


@pytest.mark.parametrize("first", IMPLAUSIBLE)
def test_a_published_date_the_page_cannot_carry_gives_way_to_the_next_source(
    first: str,
) -> None:
    page = (
        f"<html><head>{_jsonld('datePublished', first)}"
        f"<meta property='article:published_time' content='{SECOND}'></head>"
        "<body><p>Text.</p></body></html>"
    )
    assert _page_date(page) == datetime.fromisoformat(SECOND)


@pytest.mark.parametrize("first", IMPLAUSIBLE)
def test_a_modified_date_the_page_cannot_carry_gives_way_to_the_next_source(
    first: str,
) -> None:
    page = (
        f"<html><head>{_jsonld('dateModified', first)}"
        f"<meta property='article:modified_time' content='{SECOND}'></head>"
        "<body><p>Text.</p></body></html>"
    )
    assert _page_date(page, "modified") == datetime.fromisoformat(SECOND)


def test_a_date_as_late_as_a_mislabelled_offset_reaches_is_taken() -> None:
    """14 hours after the crawl: a local time labelled UTC in the zone furthest ahead."""
    latest = "2024-03-12T02:00:00+00:00"
    page = (
        f"<html><head>{_jsonld('datePublished', latest)}"
        f"<meta property='article:published_time' content='{SECOND}'></head>"
        "<body><p>Text.</p></body></html>"
    )
    assert _page_date(page) == datetime.fromisoformat(latest)


@pytest.mark.parametrize("first", ["2099-05-03T10:00:00+00:00", "0001-01-01T00:00:00+00:00"])
def test_a_generic_record_takes_the_second_source_when_the_first_is_implausible(
    first: str,
) -> None:
    spec = json.loads((FIXTURES / "generic-body-from-trafilatura.json").read_text("utf-8"))
    body = (FIXTURES / "generic-body-from-trafilatura.html").read_text("utf-8")
    head = (
        f"{_jsonld('datePublished', first)}{_jsonld('dateModified', first)}"
        f"<meta property='article:published_time' content='{SECOND}'>"
        f"<meta property='article:modified_time' content='{SECOND}'>"
    )
    page = body.replace("<head>", f"<head>{head}", 1)
    assert page != body
    article = extract_article(spec["meta"]["url"], page.encode(), profile="generic", now=NOW)
    assert article.published_at == SECOND
    assert article.modified_at == SECOND


def test_no_date_the_page_cannot_carry_leaves_the_date_to_htmldate() -> None:
    page = (
        f"<html><head>{_jsonld('datePublished', '0001-01-01T00:00:00+00:00')}</head><body>"
        "<article><h1>Ferry route opens</h1><p class='meta'><span class='date'>4 March 2024"
        "</span></p><p>Text.</p></article></body></html>"
    )
    got = _page_date(page)
    assert got is not None
    assert got.date().isoformat() == "2024-03-04"


def test_htmldate_passes_over_a_date_after_the_crawl() -> None:
    """htmldate's own bound is the end of the day it runs on: on a page fetched before then
    it took a date later than the crawl, though the page also gives an earlier one."""
    page = (
        "<html><head><title>Ferry</title></head><body><article><h1>Ferry</h1>"
        "<p class='meta'><span class='date'>12 May 2024</span></p><p>Text.</p>"
        "<p class='meta'><span class='date'>4 March 2024</span></p></article></body></html>"
    )
    got = _page_date(page)
    assert got is not None
    assert got.date().isoformat() == "2024-03-04"


def test_htmldate_reads_the_date_in_the_pages_url_before_an_images() -> None:
    """A page whose structured dates are placeholders (year 1) and that has no canonical
    link: htmldate took the date in its stock image's address."""
    url = "https://x.example/story/sports/2019/11/20/ferry-cup-final/4246736002/"
    page = (
        f"<html><head>{_jsonld('datePublished', '0001-01-01T00:00:00Z')}"
        "<meta property='og:image' content='https://cdn.example/media/2016/04/05/ball.jpg'>"
        f"<meta property='og:url' content='{url}'></head><body><article><h1>Cup final</h1>"
        "<p>Text.</p></article></body></html>"
    )
    root = html.document_fromstring(page)
    got = dates.page_date(
        read_structured(root, url), root, url, "published", DateParser((), "UTC"), NOW
    )
    assert got is not None
    assert got.date().isoformat() == "2019-11-20"


@pytest.mark.parametrize(
    ("now", "latest"),
    [
        (datetime(2024, 3, 11, 12, tzinfo=UTC), datetime(2024, 3, 12, 2)),
        (datetime.fromisoformat("2024-03-11T12:00:00+03:00"), datetime(2024, 3, 11, 23)),
        (datetime(2024, 3, 11, 12), datetime(2024, 3, 12, 2)),  # naive: UTC
        (datetime(9999, 12, 31, 12, tzinfo=UTC), None),  # past the last datetime
    ],
)
def test_htmldate_latest_is_the_latest_plausible_date_in_naive_utc(
    now: datetime, latest: datetime | None
) -> None:
    assert dates.htmldate_latest(now) == latest


def test_extraction_crawled_on_29_february_gives_the_record() -> None:
    case = "generic-body-from-trafilatura"
    spec = json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))
    article = extract_article(
        spec["meta"]["url"],
        (FIXTURES / f"{case}.html").read_bytes(),
        profile="generic",
        now=LEAP_DAY,
    )
    assert article.headline == spec["record"]["headline"]
    assert article.published_at == spec["record"]["published_at"]
    assert article.crawled_at == "2024-02-29T12:00:00+00:00"


def _page_with_a_header_date(json_ld_date: str, byline: str) -> str:
    return (
        "<html><head><title>Ferry route opens</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
        f'"Ferry route opens", "datePublished": "{json_ld_date}"}}</script></head><body>'
        "<header class='site-header'><span class='today-date'>Monday, 11 March 2024</span>"
        "</header><main><article class='story'><h1>Ferry route opens</h1>"
        f"<p class='meta'>{byline}</p>"
        "<p>The new ferry route between the old town pier and the island opens in April.</p>"
        "</article><aside class='latest'><span class='date'>9 March 2024</span></aside>"
        "</main></body></html>"
    )


@pytest.mark.parametrize("unreadable", ["soon-ish", "4 March 2024 9:45 AM EST"])
def test_an_unreadable_structured_date_gives_way_to_the_articles_own_date(
    unreadable: str,
) -> None:
    url = "https://x.example/news/ferry-route"
    page = _page_with_a_header_date(unreadable, "<span class='date'>4 March 2024</span>")
    root = html.document_fromstring(page)
    got = dates.page_date(
        read_structured(root, url), root, url, "published", DateParser((), "UTC"), NOW
    )
    assert got is not None
    assert got.date().isoformat() == "2024-03-04"  # not the header's day, the crawl's


def test_an_article_without_a_date_of_its_own_still_gets_the_pages() -> None:
    url = "https://x.example/news/ferry-route"
    root = html.document_fromstring(_page_with_a_header_date("soon-ish", "By Ann Lee"))
    got = dates.page_date(
        read_structured(root, url), root, url, "published", DateParser((), "UTC"), NOW
    )
    assert got is not None
    assert got.date().isoformat() == "2024-03-11"


@pytest.mark.parametrize(
    "page",
    [
        "<html><body><h1>H</h1><article><p>Text.</p></article></body></html>",
        "<html><body><article><p>Teaser.</p></article><main><h1>H</h1></main></body></html>",
        "<html><body><p>No headline.</p></body></html>",
    ],
)
def test_no_headline_article_page_without_an_article_around_the_headline(page: str) -> None:
    assert dates.headline_article_page(html.document_fromstring(page)) is None


def test_headline_article_page_is_a_copy() -> None:
    root = html.document_fromstring(_page_with_a_header_date("soon-ish", "By Ann Lee"))
    before = html.tostring(root)
    page = dates.headline_article_page(root)
    assert page is not None
    assert [e.tag for e in page] == ["head", "body"]
    assert [e.get("class") for e in page.find("body")] == ["story"]
    assert html.tostring(root) == before
