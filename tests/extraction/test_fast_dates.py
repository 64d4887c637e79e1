"""English "Month D, YYYY" dates are read without dateparser; the result must be what
dateparser gives, for every month name and abbreviation, every day (those a month lacks
included), years across the range, and timezones with midnight DST changes. The fast suite
checks a random sample; ``-m slow`` the whole grid.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from newscrawl.extraction import processors
from newscrawl.extraction.processors import _MONTH_NUMBERS, DateParser

NOW = datetime(2016, 3, 25, 9, tzinfo=UTC)
ZONES = (
    "Europe/Moscow",
    "UTC",
    "America/Sao_Paulo",
    "Asia/Beirut",
    "America/Havana",
    "America/Santiago",
    "Africa/Casablanca",
    "Europe/London",
    "Asia/Kathmandu",
    "Pacific/Apia",
)
"""Site timezones, among them zones whose clocks changed at midnight (a local midnight
that did not exist, or came twice)."""
LANGUAGES = (("en",), ("en", "ru"), ("en", "de"))
YEARS = (1999, 2011, 2016)
"""Years in which several of :data:`ZONES` changed their clocks at midnight."""


def grid() -> list[tuple[str, str, tuple[str, ...]]]:
    """Every day of every month of :data:`YEARS` in every zone (full month names), and
    every abbreviation and day in one zone and the extreme years."""
    full = [name for name in _MONTH_NUMBERS if len(name) > 3 or name == "May"]
    days = [
        (f"{month} {day}, {year}", zone, LANGUAGES[0])
        for month in full
        for day in range(1, 32)
        for year in YEARS
        for zone in ZONES
    ]
    short = [
        (f"{month} {day}, {year}", "Europe/Moscow", LANGUAGES[0])
        for month in _MONTH_NUMBERS
        for day in range(1, 32)
        for year in (1900, 2099)
    ]
    return days + short


def difference(text: str, zone: str, languages: tuple[str, ...], now: datetime) -> str | None:
    """Say how ``DateParser.parse`` reads ``text`` otherwise than dateparser, or None."""
    parser = DateParser(languages, zone)
    ours = parser.parse(text, now)
    theirs = parser._parse_natural(text, now)
    if ours != theirs or repr(ours) != repr(theirs):
        return f"{text!r} at {now} in {zone} {languages}: {ours!r} != dateparser {theirs!r}"
    return None


def differences(cases: list[tuple[str, str, tuple[str, ...]]]) -> list[str]:
    return [d for case in cases if (d := difference(*case, NOW)) is not None]


def test_a_sample_reads_as_dateparser_reads() -> None:
    rng = random.Random(21)
    cases = rng.sample(grid(), 150)
    cases += [(text, zone, languages) for text, zone, _ in cases[:20] for languages in LANGUAGES]
    cases += [("February 29, 2016", "Europe/Moscow", ("en",))]
    cases += [("February 30, 2016", "Europe/Moscow", ("en",))]
    assert differences(cases) == []


def texts_asked_of_dateparser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return the list that each text ``DateParser`` hands to dateparser from now on is
    added to."""
    asked: list[str] = []
    real = DateParser._parse_natural

    def natural(self: DateParser, text: str, now: datetime) -> datetime | None:
        asked.append(text)
        return real(self, text, now)

    monkeypatch.setattr(DateParser, "_parse_natural", natural)
    return asked


def test_dateparser_is_not_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut is taken for English-first sites, and only for them."""
    asked = texts_asked_of_dateparser(monkeypatch)
    english, russian = DateParser(["en", "ru"], "Europe/Moscow"), DateParser(["ru", "en"], "UTC")
    assert english.parse("Mar 21, 2016", NOW) == datetime.fromisoformat("2016-03-21T00:00+03:00")
    assert english.parse("February 30, 2016", NOW) is None  # left to dateparser: no such day
    assert russian.parse("March 21, 2016", NOW) is not None
    assert asked == ["February 30, 2016", "March 21, 2016"]
    # A shortcut that localised in another zone than dateparser's is caught.
    monkeypatch.setattr(processors, "get_timezone_from_tz_string", lambda name: UTC)
    assert differences([("March 21, 2016", "Europe/Moscow", ("en",))]) != []


@pytest.mark.slow
@pytest.mark.parametrize("part", range(3), ids=lambda k: f"part{k + 1}of3")
def test_the_whole_grid_reads_as_dateparser_reads(part: int) -> None:
    """In three tests of a share of the grid each, that a parallel run can spread."""
    assert differences(grid()[part::3]) == []


# ------------------------------------------------------------------ relative dates

AMOUNTS = ("0", "1", "2", "11", "23", "24", "25", "59", "61", "365", "1000", "9999", "a", "an")
UNITS = ("second", "minute", "hour", "day", "week")
NOWS = (
    datetime(2016, 3, 25, 9, tzinfo=UTC),
    datetime(2010, 3, 28, 0, 30, tzinfo=UTC),  # Moscow's last spring change, the hour after
    datetime(2016, 10, 30, 0, 30, tzinfo=UTC),  # London: 01:30 local, the first time
    datetime(2016, 10, 30, 1, 30, tzinfo=UTC),  # London: 01:30 local, the second time
    datetime(2016, 2, 21, 2, 30, 59, 999999, tzinfo=UTC),  # Sao Paulo: 23:30 twice
    datetime(2011, 12, 31, 10, 15, tzinfo=UTC),  # Apia: 30 December 2011 never was
)
"""Crawl times, among them times whose site time a DST change made come twice (ambiguous)
and days of a change, which "N days ago" crosses."""


def relative_grid() -> list[tuple[str, str, tuple[str, ...], datetime]]:
    """Every amount and unit, singular and plural, in lower, title and upper case, in every
    zone at every crawl time of :data:`NOWS`."""
    texts = [
        spelled
        for amount in AMOUNTS
        for unit in UNITS
        for plural in ("", "s")
        for spelled in (
            f"{amount} {unit}{plural} ago",
            f"{amount} {unit}{plural} ago".title(),
            f"{amount} {unit}{plural} ago".upper(),
        )
    ]
    return [(text, zone, ("en", "ru"), now) for text in texts for zone in ZONES for now in NOWS]


def relative_differences(cases: list[tuple[str, str, tuple[str, ...], datetime]]) -> list[str]:
    assert all(processors._AGO.fullmatch(text) for text, *_ in cases)
    return [d for case in cases if (d := difference(*case)) is not None]


def test_a_sample_of_relative_dates_reads_as_dateparser_reads() -> None:
    rng = random.Random(12)
    assert relative_differences(rng.sample(relative_grid(), 200)) == []


@pytest.mark.slow
@pytest.mark.parametrize("part", range(3), ids=lambda k: f"part{k + 1}of3")
def test_every_relative_date_of_the_grid_reads_as_dateparser_reads(part: int) -> None:
    """In three tests of a share of the grid each, that a parallel run can spread."""
    assert relative_differences(relative_grid()[part::3]) == []


def test_dateparser_is_not_asked_for_relative_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    """English-first sites read "N units ago" without dateparser; others, months, years and
    other spellings still go to dateparser."""
    asked = texts_asked_of_dateparser(monkeypatch)
    english, russian = DateParser(["en", "ru"], "Europe/Moscow"), DateParser(["ru", "en"], "UTC")
    assert english.parse("2 hours ago", NOW) == datetime.fromisoformat("2016-03-25T10:00+03:00")
    assert english.parse("11 Days Ago", NOW) == datetime.fromisoformat("2016-03-14T12:00+03:00")
    assert english.parse("a week ago", NOW) == datetime.fromisoformat("2016-03-18T12:00+03:00")
    assert english.parse("1 month ago", NOW) is None  # no day: dateparser's answer, refused
    assert english.parse("2 hrs ago", NOW) is not None
    assert russian.parse("2 hours ago", NOW) is not None
    assert asked == ["1 month ago", "2 hrs ago", "2 hours ago"]
