"""The latest date a page may give, on every day of the year: 29 February has no
counterpart in the next year, and extraction must not crash on it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
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
MOSCOW = timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    ("now", "latest"),
    [
        (datetime(2024, 3, 11, 12, tzinfo=UTC), datetime(2025, 3, 11, 12, tzinfo=UTC)),
        (LEAP_DAY, datetime(2025, 2, 28, 12, tzinfo=UTC)),  # no 29 February in 2025
        (datetime(2024, 2, 28, 9, tzinfo=UTC), datetime(2025, 2, 28, 9, tzinfo=UTC)),
        (datetime(2023, 2, 28, 9, tzinfo=UTC), datetime(2024, 2, 28, 9, tzinfo=UTC)),
        (
            datetime(2024, 2, 29, 23, 30, tzinfo=MOSCOW),
            datetime(2025, 2, 28, 23, 30, tzinfo=MOSCOW),
        ),
        (datetime(2024, 2, 29), datetime(2025, 2, 28)),  # naive stays naive
        (
            datetime(9999, 2, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # no year 10000
        ),
    ],
)
def test_latest_date_is_a_year_after_now(now: datetime, latest: datetime) -> None:
    got = dates.latest_date(now)
    assert got == latest
    assert got.tzinfo == latest.tzinfo


OLDER = "2016-03-24T15:07:31+03:00"


def _page_dated(published: str) -> str:
    """A page whose metadata gives ``published`` and whose ``<time>`` an older date: the
    metadata's date is taken unless it is later than the latest date a page may give."""
    return (
        "<html><head>"
        f"<meta property='article:published_time' content='{published}'>"
        f"</head><body><time datetime='{OLDER}'>24 March 2016</time><p>Text.</p></body></html>"
    )


@pytest.mark.parametrize(
    ("published", "taken"),
    [
        ("2025-02-28T12:00:00+00:00", "2025-02-28T12:00:00+00:00"),  # the bound itself
        ("2025-02-28T12:00:01+00:00", OLDER),  # a second after it
        ("2025-03-01T00:00:00+00:00", OLDER),
        ("2024-02-29T08:00:00+00:00", "2024-02-29T08:00:00+00:00"),
    ],
)
def test_page_date_on_a_leap_day_takes_dates_up_to_28_february_next_year(
    published: str, taken: str
) -> None:
    url = "https://x.example/news/story-1"
    root = html.document_fromstring(_page_dated(published))
    got = dates.page_date(
        read_structured(root, url), root, url, "published", DateParser((), "UTC"), LEAP_DAY
    )
    assert got == datetime.fromisoformat(taken)


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
