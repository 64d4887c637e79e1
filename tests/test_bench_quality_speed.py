"""bench/quality.py's speed measure: both extractors timed in one process, page by page."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.bench_support import load_bench

quality = load_bench("quality")

ARTICLE = (
    "<html><head><meta charset='utf-8'><title>Die Brücke</title>"
    "<meta property='og:type' content='article'></head><body><article><h1>Die Brücke</h1>"
    + "<p>Der Text des Artikels, Satz für Satz erzählt, über die Brücke und die Lichter "
    "am Fluss, an einem Abend im Regen, bis spät in die Nacht hinein.</p>"
    * 8
    + "</article></body></html>"
).encode()


def test_a_page_keeps_its_fastest_round() -> None:
    timings = quality.Timings()
    timings.keep(0, 5.0, 9.0)
    timings.keep(1, 7.0, 7.0)
    timings.keep(0, 4.0, 12.0)
    timings.keep(1, 8.0, 6.0)
    assert timings.cpu == [4.0, 7.0]
    assert timings.wall == [9.0, 6.0]


def test_both_extractors_are_timed_on_the_same_pages(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(ARTICLE)
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(ARTICLE))
    (tmp_path / "c.html").write_bytes(b"")  # refused by both: its time still counts
    rows = [
        {"url": f"https://example.org/2024/05/{name}", "path": path}
        for name, path in (("a", "a.html"), ("b", "b.html.gz"), ("c", "c.html"))
    ]
    figures, outputs = quality.time_in_process(rows, tmp_path, rounds=2)
    assert figures["rounds"] == 2
    for clock in ("cpu", "wall"):
        ms = figures[f"{clock}_ms"]
        assert ms["newscrawl"] > 0
        assert ms["trafilatura"] > 0
        ratio = figures[f"{clock}_ratio"]
        assert abs(ratio - ms["newscrawl"] / ms["trafilatura"]) < 0.1 * ratio + 0.01
    assert len(figures["load"]) == 6
    assert "extract_article" in figures["calls"]
    assert "trafilatura.extract" in figures["calls"]
    # trafilatura's outputs are kept for scoring, one per page, the gzip page read unzipped
    assert len(outputs) == 3
    first, second = (quality.trafilatura_fields(o) for o in outputs[:2])
    assert first is not None
    assert second is not None
    assert first["body"] == second["body"]
    assert first["title"] == "Die Brücke"
    assert outputs[2] is None


def test_the_table_shows_both_clocks_and_their_ratios() -> None:
    summary = {"pages": 2, "median_ms": 30.0, "refused": 0}
    speed = {
        "rounds": 3,
        "calls": quality.TIMED_CALLS,
        "cpu_ms": {"newscrawl": 24.8, "trafilatura": 25.8},
        "cpu_ratio": 0.96,
        "wall_ms": {"newscrawl": 26.0, "trafilatura": 26.0},
        "wall_ratio": 1.0,
        "load": [2.0, 2.1, 2.2, 2.0, 2.1, 2.2],
    }
    results = {"aeb": {"newscrawl": summary, "trafilatura": {"pages": 2}, "speed": speed}}
    text = quality.table(results)
    assert "| aeb (2) | median CPU ms/page, one process, alternating | 24.8 | 25.8 |" in text
    assert "| aeb (2) | cpu ratio, newscrawl / trafilatura | 0.96x | |" in text
    assert "| aeb (2) | wall ratio, newscrawl / trafilatura | 1.00x | |" in text
    assert "`extract --manifest` end to end (bad: trafilatura's call) | 30.0 |  |" in text
    assert "load average (1, 5, 15 min) 2.0, 2.1, 2.2 before" in quality.speed_notes(results)


def test_neither_side_finds_the_lines_the_other_just_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both extractors run trafilatura on the page: its caches of text lines are emptied
    before each timed call, else the second call would find the first one's lines."""
    (tmp_path / "a.html").write_bytes(ARTICLE)
    rows = [{"url": "https://example.org/2024/05/a", "path": "a.html"}]
    caches = quality.shared_caches()
    assert caches
    filled: list[int] = []
    timed = quality._timed

    def spy(call: Any, page: int) -> Any:
        filled.append(sum(c.cache_info().currsize for c in caches))
        return timed(call, page)

    monkeypatch.setattr(quality, "_timed", spy)
    quality.time_in_process(rows, tmp_path, rounds=2)
    assert filled[2:] == [0, 0, 0, 0]  # after the two untimed warm-up calls


def test_each_page_is_extracted_at_the_time_it_was_fetched(tmp_path: Path) -> None:
    """fundus gives each page's crawl time; a fixed one before it made the page's true
    date later than its crawl. aeb gives none: its pages are read at the time of the run."""
    (tmp_path / "a.html").write_bytes(ARTICLE)
    rows = [
        {"url": "https://example.org/a", "path": "a.html", "crawl_date": "2026-05-24 23:53:36"},
        {"url": "https://example.org/b", "path": "a.html"},
    ]
    manifest = tmp_path / "m.jsonl"
    quality.write_manifest(manifest, rows, tmp_path)
    started = datetime.now(UTC).replace(microsecond=0)
    lines, _ = quality.run_newscrawl(manifest, tmp_path / "out.jsonl")
    fetched = [datetime.fromisoformat(line["item"]["crawled_at"]) for line in lines]
    assert fetched[0] == datetime(2026, 5, 24, 23, 53, 36, tzinfo=UTC)
    assert started <= fetched[1] <= datetime.now(UTC)


def test_the_timed_extraction_reads_each_page_at_its_crawl_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newscrawl.extraction

    (tmp_path / "a.html").write_bytes(ARTICLE)
    rows = [
        {"url": "https://example.org/a", "path": "a.html", "crawl_date": "2026-05-24 23:53:36"},
        {"url": "https://example.org/b", "path": "a.html"},
    ]
    nows: dict[str, datetime | None] = {}

    def spy(url: str, body: bytes, headers: Any, now: datetime | None = None) -> None:
        nows[url] = now

    monkeypatch.setattr(newscrawl.extraction, "extract_article", spy)
    quality.time_in_process(rows, tmp_path, rounds=1)
    assert nows == {
        "https://example.org/a": datetime(2026, 5, 24, 23, 53, 36, tzinfo=UTC),
        "https://example.org/b": None,  # no crawl time known: extraction takes its own
    }
