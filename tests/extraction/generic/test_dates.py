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
