"""``bench/suggest.py``: what it times per page."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from newscrawl.items import Article
from newscrawl.profiles import load_profile
from tests.bench_support import load_bench

JMN = Path(__file__).resolve().parents[2] / "fixtures" / "jmn"
URL = "https://jmn.info/no-alt-headline/"


def test_the_timed_extraction_is_extraction_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # Turning records into dicts for the comparisons is the benchmark's work: timed with
    # extraction, it added the same half millisecond to both sides and hid the ratio.
    bench = load_bench("suggest")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the timed function turns the record into a dict")

    monkeypatch.setattr(bench.dataclasses, "asdict", refuse)
    body = (JMN / "no-alt-headline.html").read_bytes()
    for profile in (load_profile("jmn"), "generic"):
        assert isinstance(bench.extraction(profile)(URL, body), Article)


def test_the_fill_is_timed_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load_bench("suggest")
    real = bench.fill_record

    def slow_fill(*args: Any) -> list[str]:
        start = time.process_time()
        while time.process_time() - start < 0.02:
            pass
        return real(*args)

    monkeypatch.setattr(bench, "fill_record", slow_fill)
    body = (JMN / "no-alt-headline.html").read_bytes()
    split = bench.stages(URL, body, load_profile("jmn"))
    assert set(split) == {"parse", "profile", "fill"}
    assert split["fill"] >= 0.02
    assert split["parse"] > 0
    assert split["profile"] > 0


def test_parsing_alone_is_timed_without_any_field(monkeypatch: pytest.MonkeyPatch) -> None:
    # The ceiling of the ratio is generic extraction over parsing alone: what a profile
    # whose selectors and fill cost nothing would reach.
    bench = load_bench("suggest")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsing alone read a field")

    monkeypatch.setattr(bench, "extract_page", refuse)
    monkeypatch.setattr(bench, "fill_record", refuse)
    body = (JMN / "no-alt-headline.html").read_bytes()
    page = bench.parsing(load_profile("jmn"))(URL, body)
    assert page.url == URL
    assert page.selector.root is not None


def test_the_fields_left_to_the_fill_are_counted_read_and_filled() -> None:
    # The jmn profile finds no alternate headline on this page: the fill reads it (and
    # finds none either); a profile that skips it has the fill read nothing.
    bench = load_bench("suggest")
    body = (JMN / "no-alt-headline.html").read_bytes()
    jmn = load_profile("jmn")
    assert bench.fill_counts([(URL, body)], jmn) == {"headline_alt": (1, 0)}
    skipping = bench.Profile("jmn", "portal", {**jmn.data, "fill": {"skip": ["headline_alt"]}})
    assert bench.fill_counts([(URL, body)], skipping) == {}


def test_the_profiles_stage_is_split_by_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    # Which selectors cost what: each reading of the page tree is timed apart, and what
    # extraction does besides (language, cleaning, the record) is the rest.
    bench = load_bench("suggest")
    real = bench.READERS["teasers"]

    def slow_teasers(page: Any) -> Any:
        start = time.process_time()
        while time.process_time() - start < 0.02:
            pass
        return real(page)

    monkeypatch.setitem(bench.READERS, "teasers", slow_teasers)
    body = (JMN / "no-alt-headline.html").read_bytes()
    split = bench.readings(URL, body, load_profile("jmn"))
    assert split is not None
    assert set(split) == {*bench.READING_ORDER, "rest"}
    assert split["teasers"] >= 0.02
    assert split["headline"] < 0.02


def test_a_page_that_gives_no_record_has_no_readings() -> None:
    bench = load_bench("suggest")
    listing = b"<html><body><ul><li><a href='/a/'>A</a></li></ul></body></html>"
    assert bench.readings("https://jmn.info/", listing, load_profile("jmn")) is None


def test_the_lexbor_floor_runs_the_required_stages_and_no_extraction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a profile path on lexbor pays at least: the limits scan, lexbor's parse with the
    # profile's first selectors, one language detection of the record's body; nothing of
    # newscrawl's own extraction.
    bench = load_bench("suggest")
    if load_bench("extract_floor").LexborHTMLParser is None:
        pytest.skip("selectolax is not installed (the bench extra)")
    ran: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the lexbor floor ran newscrawl's extraction")

    real_scan, real_language = bench.check_source, bench.detect_language
    monkeypatch.setattr(bench, "extract_page", refuse)
    monkeypatch.setattr(bench, "parse_page", refuse)
    monkeypatch.setattr(bench, "check_source", lambda text: ran.append("scan") or real_scan(text))
    monkeypatch.setattr(
        bench,
        "detect_language",
        lambda text, prefer=(): (
            ran.append(f"language {text[:9]}") or real_language(text, prefer=prefer)
        ),
    )
    body = (JMN / "no-alt-headline.html").read_bytes()
    floor = bench.lexbor_required(load_profile("jmn"), {URL: {"body": ["Moscow said", "more"]}})
    assert floor is not None
    floor(URL, body)
    assert ran == ["scan", "language Moscow sa"]
