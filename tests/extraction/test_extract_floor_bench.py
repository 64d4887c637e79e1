"""``bench/extract_floor.py``: the floors read the same page fields that newscrawl does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newscrawl.profiles import load_profile
from tests.bench_support import load_bench

floor = load_bench("extract_floor")
SEED = Path(__file__).resolve().parents[2] / "fixtures" / "jmn" / "seed-article"


def test_reads_are_each_fields_first_css_selector() -> None:
    reads = {read.name: read for read in floor.profile_reads(load_profile("jmn"))}
    assert reads["headline"] == floor.Read(
        "headline", "#the-post h1.entry-title [itemprop=name]", None
    )
    assert reads["canonical_url"] == floor.Read("canonical_url", "link[rel=canonical]", "href")
    assert reads["body"].css == "#the-post .entry p"
    assert not any(read.css.startswith("xpath:") for read in reads.values())


def test_the_lxml_floor_finds_the_seed_records_headline_and_body() -> None:
    record = json.loads(SEED.with_suffix(".json").read_text(encoding="utf-8"))["record"]
    found = floor.lxml_floor(floor.profile_reads(load_profile("jmn")))(
        SEED.with_suffix(".html").read_bytes()
    )
    assert found["headline"] == [record["headline"]]
    assert set(record["body"]) <= set(found["body"])
    assert found["canonical_url"] == [record["canonical_url"]]


def test_the_report_names_every_stage(capsys: pytest.CaptureFixture[str]) -> None:
    assert floor.main(["--rounds", "1"]) == 0
    out = capsys.readouterr().out
    for stage in ("lxml_parse", "newscrawl", "lxml_floor", "lxml_scan", "limits_scan", "language"):
        assert f"  {stage} " in out
    agreement = re.search(
        r"lxml_floor: headline has the record's letters on (\d+)/(\d+) pages", out
    )
    assert agreement is not None
    assert agreement.group(1) == agreement.group(2)
    if floor.LexborHTMLParser is not None:
        assert "  lexbor_floor + limits_scan + language: " in out
