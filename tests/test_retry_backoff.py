"""The failed-page backoff end to end: a page that keeps failing is tried by the next run, then
waits longer each time, counted in the report and never failing the run; with both state
backends (SQLite, and Redis in distributed mode).

The fixture portal serves one article cut, every time (``truncated-before-body``).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawl.devtools.devserver import FixtureSite, RunningServer, serve
from tests.conftest import FIXTURES, ROOT
from tests.redis_support import REDIS_URL

pytestmark = pytest.mark.e2e

CASE = json.loads((FIXTURES / "jmn" / "truncated-before-body.json").read_text("utf-8"))
CUT = CASE["meta"]["url"]
"""The article the fixture portal serves cut."""
FAST = ["-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"]


def crawl(server: RunningServer, out: Path, backend: list[str], *extra: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl.cli", "crawl", "jmn", "--base-url", server.url,
         "-o", str(out), *backend, *FAST, *extra],
        capture_output=True, text=True, cwd=ROOT, timeout=180, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("report: "))
    data: dict[str, Any] = json.loads(Path(line.split("report: ", 1)[1]).read_text("utf-8"))
    data["summary"] = result.stdout
    return data


def hours_ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")


@pytest.fixture(params=["sqlite", "redis"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[list[str], Callable[[], tuple[int, str]], Callable[[str], None]]:
    """The crawl's state arguments; a reader of the cut page's failures and last try; a
    writer of its last try (as if the run had been that long ago)."""
    if request.param == "sqlite":
        path = tmp_path / "state" / "jmn.sqlite3"

        def read() -> tuple[int, str]:
            with sqlite3.connect(path) as conn:
                row = conn.execute(
                    "SELECT failures, rejected_at FROM rejected WHERE url = ?", (CUT,)
                ).fetchone()
            return int(row[0]), str(row[1])

        def move(when: str) -> None:
            with sqlite3.connect(path) as conn:
                conn.execute("UPDATE rejected SET rejected_at = ? WHERE url = ?", (when, CUT))

        return ["--state", str(tmp_path / "state")], read, move
    client, prefix = request.getfixturevalue("redis_prefix")
    key = f"{prefix}:jmn:rejected"

    def read_redis() -> tuple[int, str]:
        reject = json.loads(client.hget(key, CUT))
        return int(reject["failures"]), str(reject["rejected_at"])

    def move_redis(when: str) -> None:
        client.hset(
            key, CUT, json.dumps({**json.loads(client.hget(key, CUT)), "rejected_at": when})
        )

    args = ["--redis", REDIS_URL, "-s", f"NEWSCRAWL_REDIS_PREFIX={prefix}",
            "-s", "NEWSCRAWL_WORKER=w0"]  # fmt: skip
    return args, read_redis, move_redis


def test_a_page_that_keeps_failing_waits_longer_each_time(
    tmp_path: Path,
    backend: tuple[list[str], Callable[[], tuple[int, str]], Callable[[str], None]],
) -> None:
    args, failures, move = backend
    out = tmp_path / "out"
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server:
        first = crawl(server, out, args)
        assert first["rejects_by_kind"] == {"truncated": 1}
        assert failures()[0] == 1
        # The first retry is the next run, however soon.
        second = crawl(server, out, args)
        assert (second["articles_fetched"], second["articles_failed_again"]) == (1, 1)
        assert second["articles_deferred"] == 0
        count, tried = failures()
        assert count == 2
        assert tried == second["started_at"]  # the last try is the run's start
        # Failed two runs in a row: it waits 2 hours from its last try.
        third = crawl(server, out, args)
        assert (third["articles_fetched"], third["articles_deferred"]) == (0, 1)
        assert third["status"] == "ok"
        assert third["skipped"]["deferred"] == 1
        assert "1 articles that failed in runs in a row (backoff" in third["summary"]
        assert failures() == (2, tried)  # not tried: nothing changes
        move(hours_ago(1.9))
        assert crawl(server, out, args)["articles_deferred"] == 1
        move(hours_ago(2.1))
        fourth = crawl(server, out, args)
        assert (fourth["articles_fetched"], fourth["articles_failed_again"]) == (1, 1)
        assert fourth["articles_deferred"] == 0
        assert fourth["status"] == "ok"
        assert failures()[0] == 3
        move(hours_ago(3.9))  # 3 failures: 4 hours
        assert crawl(server, out, args)["articles_deferred"] == 1
        # 0 turns the backoff off: every run tries the page again.
        off = crawl(server, out, args, "-s", "NEWSCRAWL_FAILED_PAGE_BACKOFF=0")
        assert (off["articles_fetched"], off["articles_deferred"]) == (1, 0)
        assert failures()[0] == 4
