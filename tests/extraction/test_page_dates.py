"""The date strings that pages give to :class:`~newscrawl.extraction.processors.DateParser`
read as dateparser reads them where a shortcut (``Month D, YYYY``, ``N units ago``) takes
them: the date strings of every fixture page (as extraction meets them) and of every page
of ../shared/realpages (as the generic extractor's dates meet them: the pages are of no
profile), each read for an English-first site, where the shortcuts apply.

``tests/extraction/test_fast_dates.py`` checks the shortcuts over grids of dates; this
checks them over the strings pages hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from newscrawl.extraction import ExtractionError, extract_article, parse_page, processors
from newscrawl.extraction.generic.record import generic_page
from newscrawl.extraction.processors import DateParser
from tests.extraction.test_differential import FIXTURE_PAGES, REAL_PAGES, SKIP_REAL, read_page

NOW = datetime(2016, 3, 25, 9, tzinfo=UTC)
DateCall = tuple[tuple[str, ...], str, str, datetime]
"""A date string a page gave, to be read for an English-first site: the languages, the
timezone, the text and the crawl time."""


def date_calls(paths: list[Path], dates_only: bool = False) -> list[DateCall]:
    """Return the date strings that extracting ``paths`` asks DateParser to read, each once,
    with the languages of the site that asked, English put first. With ``dates_only`` only
    the generic extractor's dates are read (the rest of a record costs ten times more)."""
    calls: dict[DateCall, None] = {}
    real_parse = DateParser.parse

    def recording(self: DateParser, text: str | None, now: datetime) -> datetime | None:
        if isinstance(text, str):
            languages = ("en", *(lang for lang in self.languages if lang != "en"))
            calls[(languages, self.timezone, text, now)] = None
        return real_parse(self, text, now)

    DateParser.parse = recording  # type: ignore[method-assign]
    try:
        for path in paths:
            url, body = read_page(path)
            profile = path.parent.name if path.suffix == ".html" else None
            try:
                if dates_only:
                    generic = generic_page(parse_page(url, body, profile=profile, now=NOW))
                    _dates = (generic.published_at, generic.modified_at)
                else:
                    extract_article(url, body, profile=profile, now=NOW)
            except ExtractionError:
                pass
    finally:
        DateParser.parse = real_parse  # type: ignore[method-assign]
    return list(calls)


def shortcut_taken(text: str) -> bool:
    """Tell whether ``DateParser.parse`` may answer ``text`` without dateparser."""
    cleaned = processors.normalize_space(text)
    return cleaned is not None and bool(
        processors._MONTH_DAY_YEAR.fullmatch(cleaned) or processors._AGO.fullmatch(cleaned)
    )


def differences(calls: list[DateCall]) -> list[str]:
    """Return how the shortcuts' readings of ``calls`` differ from dateparser's."""
    found = []
    for languages, zone, text, now in calls:
        if not shortcut_taken(text):
            continue
        parser = DateParser(languages, zone)
        ours, theirs = parser.parse(text, now), parser._parse_natural(text, now)
        if ours != theirs or repr(ours) != repr(theirs):
            found.append(f"{text!r} in {zone} {languages}: {ours!r} != dateparser {theirs!r}")
    return found


@cache
def fixture_calls() -> list[DateCall]:
    return date_calls(FIXTURE_PAGES)


def test_the_fixtures_reach_both_shortcuts() -> None:
    texts = [text for _languages, _zone, text, _now in fixture_calls()]
    assert any(processors._AGO.fullmatch(t) for t in texts)
    assert any(processors._MONTH_DAY_YEAR.fullmatch(t) for t in texts)


def test_the_fixtures_dates_read_as_dateparser_reads() -> None:
    assert differences(fixture_calls()) == []


def test_a_wrong_shortcut_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    real_ago = DateParser._parse_ago

    def a_minute_late(self: DateParser, match: object, now: datetime) -> datetime | None:
        found = real_ago(self, match, now)  # type: ignore[arg-type]
        return None if found is None else found.replace(minute=(found.minute + 1) % 60)

    monkeypatch.setattr(DateParser, "_parse_ago", a_minute_late)
    assert differences(fixture_calls()) != []


@SKIP_REAL
def test_the_real_pages_dates_read_as_dateparser_reads() -> None:
    calls = date_calls(REAL_PAGES, dates_only=True)
    assert len(calls) > len(REAL_PAGES)
    assert differences(calls) == []
