"""Crawling through a mirror, and Scrapy's feed exports, end to end.

- Records keep the portal's own URLs in every URL field when the pages come from a mirror
  (``--base-url``) whose links point at the mirror itself.
- ``scrapy crawl jmn -O f.jsonl`` writes the records and nothing else: rejects go to the
  rejects files only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from newscrawl.devtools.devserver import FixtureSite, serve
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e

JMN = FIXTURES / "jmn"
FAST = ["-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "DOWNLOAD_DELAY=0"]


def url_fields(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(field path, URL)`` for every URL a record holds."""
    for name in ("url", "canonical_url", "duplicate_of"):
        if record.get(name):
            yield name, record[name]
    for name in ("breadcrumb", "images", "teasers"):
        for index, part in enumerate(record.get(name) or []):
            if part.get("url"):
                yield f"{name}/{index}/url", part["url"]


def read_jsonl(paths: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for p in sorted(paths) for line in p.read_text().splitlines()]


def test_records_keep_the_portals_urls_through_a_mirror(tmp_path: Path) -> None:
    # The mirror rewrites every https://jmn.info link in its pages to its own origin.
    site = FixtureSite(JMN, origins=["https://jmn.info", "http://jmn.info"])
    with serve(site) as server:
        page = server.url + "/lavrov-said-what-putin-agreed-with-kerry/"
        with urllib.request.urlopen(page, timeout=30) as response:
            mirrored = response.read().decode("utf-8")
        result = subprocess.run(
            [
                sys.executable, "-m", "newscrawl.cli", "crawl", "jmn", "--base-url", server.url,
                "-o", str(tmp_path), "--state", str(tmp_path / "state"), *FAST,
            ],
            capture_output=True, text=True, cwd=ROOT, timeout=180, check=False,
        )  # fmt: skip
        mirror = urlsplit(server.url).netloc
    assert f"http://{mirror}/category/policy/" in mirrored  # pages carry the mirror's links
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    records = read_jsonl(list(tmp_path.glob("jmn/*/*.jsonl")))
    assert records
    seen: set[str] = set()
    for record in records:
        for field, url in url_fields(record):
            assert mirror not in url, (record["url"], field, url)
            seen.add(field.split("/")[0])
    assert {"url", "canonical_url", "breadcrumb", "images", "teasers"} <= seen
    seed = next(r for r in records if "lavrov-said-what-putin" in r["url"])
    assert seed["canonical_url"] == "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
    assert seed["breadcrumb"][1]["url"] == "https://jmn.info/category/policy/"


def test_feed_export_gets_records_only(tmp_path: Path) -> None:
    feed = tmp_path / "f.jsonl"
    with serve(FixtureSite(JMN, origins=())) as server:
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "scrapy"), "crawl", "jmn",
                "-a", f"base_url={server.url}", "-O", str(feed),
                "-s", f"NEWSCRAWL_OUTPUT_DIR={tmp_path / 'out'}",
                "-s", f"NEWSCRAWL_STATE_DIR={tmp_path / 'state'}", *FAST,
            ],
            capture_output=True, text=True, cwd=ROOT, timeout=180, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    exported = read_jsonl([feed])
    records = read_jsonl(list((tmp_path / "out").glob("jmn/*/*.jsonl")))
    rejects = read_jsonl(list((tmp_path / "out").glob("jmn/*/rejects/*.jsonl")))
    assert rejects, "the fixture portal has pages that give rejects"
    assert sorted(r["url"] for r in exported) == sorted(r["url"] for r in records)
    assert all("errors" not in line and "kind" not in line for line in exported)


@pytest.mark.parametrize("processes", ["0", "1"], ids=["in-process", "in-a-worker"])
def test_urls_repaired_or_dropped_are_counted_in_the_run_report(
    tmp_path: Path, processes: str
) -> None:
    """An image URL with a space is repaired and one with a "[" in its host dropped; the
    run's report counts both, whichever process extracted the page."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    seed = (JMN / "seed-article.html").read_text(encoding="utf-8")
    bad = '<div class="entry"><p><img src="/a b.jpg"><img src="http://[x.jpg"></p>'
    (overlay / "seed-article.html").write_text(
        seed.replace('<div class="entry">', bad, 1), encoding="utf-8"
    )
    (overlay / "seed-article.json").write_bytes((JMN / "seed-article.json").read_bytes())
    site = FixtureSite(JMN, origins=["https://jmn.info", "http://jmn.info"], overlays=[overlay])
    out = tmp_path / "out"
    with serve(site) as server:
        result = subprocess.run(
            [
                sys.executable, "-m", "newscrawl.cli", "crawl", "jmn", "--base-url", server.url,
                "-o", str(out), "--state", str(tmp_path / "state"), *FAST,
                "-s", f"NEWSCRAWL_EXTRACT_PROCESSES={processes}",
            ],
            capture_output=True, text=True, cwd=ROOT, timeout=180, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    (path,) = out.glob("jmn/*/*.report.json")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["urls_repaired"]["repaired"] >= 1
    assert report["urls_repaired"]["dropped"] >= 1
    seed_record = next(
        r for r in read_jsonl(list(out.glob("jmn/*/*.jsonl"))) if "lavrov-said" in r["url"]
    )
    assert "https://jmn.info/a%20b.jpg" in [i["url"] for i in seed_record["images"]]
