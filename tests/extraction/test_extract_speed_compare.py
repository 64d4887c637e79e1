"""``bench/extract_speed.py --compare``: the check that two versions give the same records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from newscrawl.extraction import ExtractionError
from tests.bench_support import load_bench

speed = load_bench("extract_speed")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def version(name: str, records: dict[str, Any]) -> Any:
    """A stand-in version whose record for a URL is ``records[url]`` (an Exception: raised)."""

    def extract(url: str, *_args: Any) -> Any:
        value = records[url]
        if isinstance(value, Exception):
            raise value
        return value

    return speed.Version(name, extract, dict, lambda record: [], ExtractionError)


def page(url: str) -> Any:
    return speed.Page(url, b"<html></html>", {}, "", NOW)


def test_same_records_agree(capsys: pytest.CaptureFixture[str]) -> None:
    records = {"a": {"language": "en", "body": ["x"]}, "b": ExtractionError("no", url="b")}
    assert (
        speed.compare(version("old", records), version("new", records), [page("a"), page("b")]) == 0
    )
    out = capsys.readouterr().out
    assert "language: 2 of 2 pages agree" in out
    assert "record:   2 of 2 pages agree" in out


def test_a_different_language_or_record_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    old = {"a": {"language": "en", "body": ["x"]}, "b": {"language": "ru", "body": ["y"]}}
    new = {"a": {"language": "de", "body": ["x"]}, "b": {"language": "ru", "body": ["z"]}}
    assert speed.compare(version("old", old), version("new", new), [page("a"), page("b")]) == 2
    out = capsys.readouterr().out
    assert "language: 1 of 2 pages agree" in out
    assert "record:   0 of 2 pages agree" in out
    assert "differs: a" in out
    assert "differs: b" in out


def test_the_real_pages_are_found() -> None:
    if not speed.REALPAGES.is_dir():
        pytest.skip(f"{speed.REALPAGES} is absent")
    pages = speed.real_pages()
    assert len(pages) > 100
    assert all(p.url.startswith("http") and p.body for p in pages)


def test_each_real_page_is_read_at_the_time_it_was_fetched() -> None:
    """fundus gives each page's crawl time; a fixed one before it made a page's true dates
    later than its crawl, and the page lost them."""
    if not speed.REALPAGES.is_dir():
        pytest.skip(f"{speed.REALPAGES} is absent")
    truth = speed.REALPAGES / "fundus" / "truth.jsonl"
    fetched = {}
    for line in truth.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        fetched[row["url"]] = datetime.fromisoformat(row["crawl_date"]).replace(tzinfo=UTC)
    pages = [p for p in speed.real_pages() if p.url in fetched]
    assert len(pages) == len(fetched)
    assert all(p.now == fetched[p.url] for p in pages)
