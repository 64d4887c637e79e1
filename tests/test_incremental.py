"""Scheduled runs end to end: incremental state, next-day changes, --since, lock, kill and resume.

Every crawl is the real ``newscrawl`` command in a subprocess against fixtures served on
127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newscrawl.devtools.devserver import Fault, FixtureSite, RunningServer, serve
from newscrawl.storage.runlock import EXIT_ALREADY_RUNNING
from tests.cli_support import jmn_crawl_args, newscrawl
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e

JMN = FIXTURES / "jmn"
NEXTDAY = JMN / "nextday"
VALID_ARTICLES = 15  # fixtures/jmn article cases whose record is valid
SEED = "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
FAST = ["AUTOTHROTTLE_START_DELAY=0", "DOWNLOAD_DELAY=0", "LOG_LEVEL=WARNING"]


def crawl_args(server: RunningServer, out: Path, *extra: str) -> list[str]:
    return jmn_crawl_args(server.url, out, out / "state", FAST, *extra)


def records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for p in sorted(out.glob("jmn/*/*.jsonl")) for line in p.open()]


def report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("report: "))
    return json.loads(Path(line.split("report: ", 1)[1]).read_text(encoding="utf-8"))


@pytest.fixture
def portal() -> Iterator[RunningServer]:
    with serve(FixtureSite(JMN, origins=())) as server:
        yield server


def test_second_run_writes_nothing_new(tmp_path: Path) -> None:
    first = newscrawl("demo", "-o", str(tmp_path))
    assert first.returncode == 0, first.stderr[-2000:]
    assert len(records(tmp_path)) == VALID_ARTICLES
    second = newscrawl("demo", "-o", str(tmp_path))
    assert second.returncode == 0, second.stderr[-2000:]
    assert "records written: 0" in second.stdout
    assert "no new records" in second.stdout
    assert len(records(tmp_path)) == VALID_ARTICLES
    assert report(second)["skipped"]["known"] > 0
    # Only the page the portal serves cut is fetched again; it fails again, and that alone
    # does not fail the run (docs/operations.md, Run health).
    assert report(second)["articles_fetched"] == 1
    assert report(second)["articles_failed_again"] == 1
    assert report(second)["rejects_by_kind"] == {"truncated": 1}
    assert "failed again: 1 article pages" in second.stdout


def test_next_day_brings_new_and_revised_articles(tmp_path: Path) -> None:
    assert newscrawl("demo", "-o", str(tmp_path)).returncode == 0
    result = newscrawl("demo", "-o", str(tmp_path), "--overlay", str(NEXTDAY))
    assert result.returncode == 0, result.stderr[-2000:]
    data = report(result)
    assert data["records_written"] == 3
    assert data["revisions"] == 1
    everything = records(tmp_path)
    urls = [r["url"] for r in everything]
    assert len(urls) == VALID_ARTICLES + 3
    revised = [r for r in everything if r["url"] == SEED and r["revision"] == 2]
    assert len(revised) == 1
    expected = json.loads((NEXTDAY / "seed-article-revised.json").read_text(encoding="utf-8"))
    assert revised[0]["body"] == expected["record"]["body"]
    assert revised[0]["modified_at"] == expected["record"]["modified_at"]
    new = {r["url"] for r in everything if r["revision"] == 1} - {
        json.loads(p.read_text(encoding="utf-8"))["meta"]["url"] for p in JMN.glob("*.json")
    }
    assert len(new) == 2
    again = newscrawl("demo", "-o", str(tmp_path), "--overlay", str(NEXTDAY))
    assert report(again)["records_written"] == 0


def test_fresh_pages_without_a_record_fail_the_run_until_they_failed_before(
    tmp_path: Path, portal: RunningServer
) -> None:
    """The next day's three articles all answer an empty 200: the run fails, beside the
    cut page that fails again. The run after, they too have failed before: it ends ok. (The
    cut page, failed in two runs in a row by then, waits out its failed-page backoff.)"""
    assert newscrawl(*crawl_args(portal, tmp_path)).returncode == 0
    nextday = [
        json.loads(p.read_text(encoding="utf-8"))["meta"]["url"] for p in NEXTDAY.glob("*.json")
    ]
    faults = {url.removeprefix("https://jmn.info"): Fault("empty") for url in nextday}
    assert len(faults) == 3
    with serve(FixtureSite(JMN, origins=(), overlays=[NEXTDAY]), faults=faults) as server:
        second = newscrawl(*crawl_args(server, tmp_path))
        third = newscrawl(*crawl_args(server, tmp_path))
    assert second.returncode == 1, second.stdout
    assert report(second)["failures"] == [
        "3 article pages were fetched but no record was written "
        "(1 more failed again, as in an earlier run)"
    ]
    assert third.returncode == 0, third.stdout
    assert report(third)["articles_failed_again"] == 3
    assert report(third)["rejects_by_kind"] == {"empty": 3}
    assert report(third)["articles_deferred"] == 1


def _overlay(folder: Path, sitemap: Path, pages: dict[str, str] | None = None) -> Path:
    """Make an overlay at ``folder`` that serves ``sitemap`` as the post sitemap and, for
    each URL of ``pages``, that HTML as the page; return ``folder``."""
    (folder / "site").mkdir(parents=True)
    shutil.copy(sitemap, folder / "site" / "post-sitemap.xml")
    for number, (url, html) in enumerate((pages or {}).items()):
        (folder / f"page-{number}.html").write_text(html, encoding="utf-8")
        meta = {"meta": {"url": url, "now": "2016-03-26T09:00:00+00:00"}}
        (folder / f"page-{number}.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def test_a_revision_that_failed_to_download_is_fetched_by_a_later_run(tmp_path: Path) -> None:
    """The seed article is revised (the sitemap dates it later) and its page answers 500;
    the next run the sitemap no longer dates it later (rewritten), but the state kept the
    date with the failure: the revision is fetched and written. The run after that does not
    fetch the page again."""
    fast = ["-s", "RETRY_TIMES=0"]
    with serve(FixtureSite(JMN, origins=())) as server:
        assert newscrawl(*crawl_args(server, tmp_path)).returncode == 0
    down = {"/lavrov-said-what-putin-agreed-with-kerry/": Fault("status")}
    with serve(FixtureSite(JMN, origins=(), overlays=[NEXTDAY]), faults=down) as server:
        failed = report(newscrawl(*crawl_args(server, tmp_path, *fast)))
    assert failed["rejects_by_kind"]["http-error"] == 1
    assert failed["revisions"] == 0
    old_sitemap = _overlay(tmp_path / "old-sitemap", JMN / "site" / "post-sitemap.xml")
    site = FixtureSite(JMN, origins=(), overlays=[NEXTDAY, old_sitemap])
    with serve(site) as server:
        revised = report(newscrawl(*crawl_args(server, tmp_path, *fast)))
        fetched = server.hits.get("/lavrov-said-what-putin-agreed-with-kerry/", 0)
        quiet = report(newscrawl(*crawl_args(server, tmp_path, *fast)))
        assert server.hits.get("/lavrov-said-what-putin-agreed-with-kerry/", 0) == fetched
    assert (revised["records_written"], revised["revisions"]) == (1, 1)
    assert [r["revision"] for r in records(tmp_path) if r["url"] == SEED] == [1, 2]
    assert quiet["records_written"] == 0


def test_an_article_whose_later_version_is_no_article_waits_for_its_next_date(
    tmp_path: Path,
) -> None:
    """The seed article, dated later by the sitemap, loses its body (a content reject).
    The next hourly run, nothing changed: the page is not fetched again, and the run, which
    writes nothing, is ok (it fetched the page again, called it a fresh reject, and failed,
    every hour)."""
    with serve(FixtureSite(JMN, origins=())) as server:
        assert newscrawl(*crawl_args(server, tmp_path)).returncode == 0
    seed = (JMN / "seed-article.html").read_text(encoding="utf-8")
    no_body = re.sub(r"<p\b[^>]*>.*?</p>", "", seed, flags=re.S)
    emptied = _overlay(tmp_path / "emptied", NEXTDAY / "site" / "post-sitemap.xml", {SEED: no_body})
    site = FixtureSite(JMN, origins=(), overlays=[NEXTDAY, emptied])
    with serve(site) as server:
        second = report(newscrawl(*crawl_args(server, tmp_path)))
        fetched = server.hits.get("/lavrov-said-what-putin-agreed-with-kerry/", 0)
        third = newscrawl(*crawl_args(server, tmp_path))
        assert server.hits.get("/lavrov-said-what-putin-agreed-with-kerry/", 0) == fetched == 1
    assert second["rejects_by_kind"].keys() & {"no-body", "invalid"}
    assert third.returncode == 0, third.stdout
    assert report(third)["records_written"] == 0


def test_a_page_that_failed_is_fetched_again_once_no_entry_point_links_it(
    tmp_path: Path,
) -> None:
    """A new article answers an empty 200; by the next run it has left the home page, the
    feed and the sitemap (a busy portal), but its page works: the run fetches it from the
    state's failed pages and writes it, and the run after that does not fetch it again."""
    new = "/the-state-duma-adopted-the-law-on-primaries/"
    with serve(FixtureSite(JMN, origins=(), overlays=[NEXTDAY]), faults={new: Fault("empty")}) as s:
        first = report(newscrawl(*crawl_args(s, tmp_path)))
    assert first["rejects_by_kind"]["empty"] == 1
    unlisted = tmp_path / "unlisted"
    unlisted.mkdir()
    for suffix in (".html", ".json"):
        shutil.copy(NEXTDAY / f"new-article-policy{suffix}", unlisted)
    assert json.loads((unlisted / "new-article-policy.json").read_text())["meta"]["url"] == (
        "https://jmn.info" + new
    )
    with serve(FixtureSite(JMN, origins=(), overlays=[unlisted])) as server:
        second = report(newscrawl(*crawl_args(server, tmp_path)))
        third = report(newscrawl(*crawl_args(server, tmp_path)))
        assert server.hits.get(new, 0) == 1
    assert second["records_written"] == 1
    assert [r["url"] for r in records(tmp_path)].count("https://jmn.info" + new) == 1
    assert third["records_written"] == 0


def test_since_bounds_discovery(tmp_path: Path) -> None:
    with serve(FixtureSite(JMN, origins=(), overlays=[NEXTDAY])) as server:
        result = newscrawl(*crawl_args(server, tmp_path, "--since", "2016-03-26"))
    assert result.returncode == 0, result.stderr[-2000:]
    got = {r["url"] for r in records(tmp_path)}
    assert got == {
        "https://jmn.info/the-netherlands-counted-the-votes-of-the-referendum-abroad/",
        "https://jmn.info/the-state-duma-adopted-the-law-on-primaries/",
    }
    assert report(result)["skipped"]["before_since"] > 0


def test_since_rejects_nonsense(tmp_path: Path, portal: RunningServer) -> None:
    result = newscrawl(*crawl_args(portal, tmp_path, "--since", "yesterday-ish"))
    assert result.returncode == 2
    assert "--since" in result.stderr or "since" in result.stderr


def test_user_agent_names_project_and_contact(tmp_path: Path, portal: RunningServer) -> None:
    result = newscrawl(
        *crawl_args(portal, tmp_path, "-s", "NEWSCRAWL_CONTACT_URL=https://ops.example/bot")
    )
    assert result.returncode == 0, result.stderr[-2000:]
    agent = portal.user_agent("/robots.txt") or ""
    assert agent.startswith("newscrawl/")
    assert "https://ops.example/bot" in agent


def test_second_run_while_one_is_running_exits_at_once(
    tmp_path: Path, portal: RunningServer
) -> None:
    slow = crawl_args(portal, tmp_path, "-s", "DOWNLOAD_DELAY=1", "-s", "CONCURRENT_REQUESTS=1")
    first = subprocess.Popen(
        [sys.executable, "-m", "newscrawl.cli", *slow],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: portal.hits.get("/robots.txt", 0) > 0, 60)
        started = time.monotonic()
        second = newscrawl(*crawl_args(portal, tmp_path))
        assert time.monotonic() - started < 15
        assert second.returncode == EXIT_ALREADY_RUNNING
        assert "another newscrawl run for 'jmn' is in progress" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        third = newscrawl(*crawl_args(portal, tmp_path))
        assert third.returncode == 0, third.stderr[-2000:]
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


def test_killed_run_resumes_without_loss_or_duplicates(
    tmp_path: Path, portal: RunningServer
) -> None:
    """SIGKILL mid-run, then the same command again: every article once, no partial line."""
    args = crawl_args(
        portal,
        tmp_path,
        "-s",
        "DOWNLOAD_DELAY=0.4",
        "-s",
        "CONCURRENT_REQUESTS=1",
        "-s",
        "NEWSCRAWL_BATCH_RECORDS=2",
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "newscrawl.cli", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Kill once some batches are published but articles are still missing.
        _wait_for(lambda: len(list(tmp_path.glob("jmn/*/*.jsonl"))) >= 2, 90)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    before = records(tmp_path)
    assert 0 < len(before) < VALID_ARTICLES
    resumed = newscrawl(*crawl_args(portal, tmp_path))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    after = records(tmp_path)
    urls = [r["url"] for r in after]
    assert len(urls) == len(set(urls)) == VALID_ARTICLES
    for path in tmp_path.glob("jmn/*/*.jsonl"):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n")
        for line in text.splitlines():
            json.loads(line)
    assert not list(tmp_path.rglob(".*.part"))


def _wait_for(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)
