"""Promises of docs/operations.md about faults, each tested across two real runs.

- "A page that fails after its retries ... becomes a reject ...; the next run tries it
  again."
- "An empty 200 ... becomes a reject of kind ``empty``; the next run tries it again": an
  empty answer is not remembered as the page's final word.

Run 1 serves the seed article with a fault, run 2 serves it as it is; both use the same
output and state folders.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newscrawl.devtools.devserver import Fault, FixtureSite, serve
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e

PAGE = "/lavrov-said-what-putin-agreed-with-kerry/"
URL = "https://jmn.info" + PAGE
FAST = [
    "AUTOTHROTTLE_START_DELAY=0",
    "DOWNLOAD_DELAY=0",
    "RETRY_TIMES=0",
    "NEWSCRAWL_MAX_ERROR_RATE=1",
]


def crawl_once(out: Path, faults: dict[str, Fault], *extra: str) -> tuple[int, dict[str, Any]]:
    """Serve the jmn portal with ``faults``, crawl it into ``out``; return the seed article's
    hit count and the run's report."""
    with serve(FixtureSite(FIXTURES / "jmn", origins=()), faults=faults) as server:
        settings = [arg for s in FAST for arg in ("-s", s)]
        result = subprocess.run(
            [
                sys.executable, "-m", "newscrawl.cli", "crawl", "jmn", "--base-url", server.url,
                "-o", str(out), "--state", str(out / "state"), *settings,
            ],
            capture_output=True, text=True, cwd=ROOT, timeout=180, check=False,
        )  # fmt: skip
        hits = server.hits[PAGE]
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("report: "))
    report = json.loads(Path(line.split("report: ", 1)[1]).read_text(encoding="utf-8"))
    return hits, report


def records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for p in sorted(out.glob("jmn/*/*.jsonl")) for x in p.open()]


def rejects(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for p in sorted(out.glob("jmn/*/rejects/*.jsonl")) for x in p.open()]


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault("status", status=500), "http-error"),
        (Fault("status", status=404), "http-error"),
        (Fault("truncated"), "download-error"),
        (Fault("empty"), "empty"),
    ],
    ids=["500", "404", "truncated", "empty-200"],
)
def test_a_page_that_gave_no_record_for_a_passing_fault_is_fetched_next_run(
    tmp_path: Path, fault: Fault, kind: str
) -> None:
    hits, first = crawl_once(tmp_path, {PAGE: fault})
    assert hits >= 1
    assert URL not in [r["url"] for r in records(tmp_path)]
    assert [r["kind"] for r in rejects(tmp_path) if r["url"] == URL] == [kind]
    assert first["rejects_by_kind"].get(kind, 0) >= 1

    hits, second = crawl_once(tmp_path, {})
    assert hits == 1, "the page was not fetched again"
    assert second["records_written"] == 1
    assert [r["url"] for r in records(tmp_path)].count(URL) == 1
