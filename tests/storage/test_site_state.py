"""The site's state and run lock open and close in one place: the SiteState extension."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from newscrawl.extensions import SiteState, site_state
from newscrawl.storage.backend import RunGuard, StateBackend, open_site_state
from newscrawl.storage.output import PublishedBatch
from newscrawl.storage.runlock import AlreadyRunning, RunLock
from newscrawl.storage.state import StateError, StateStore
from tests.test_pipelines import close_state, crawler_for


def settings(tmp_path: Path) -> dict[str, Any]:
    return {
        "NEWSCRAWL_STATE_DIR": str(tmp_path / "state"),
        "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "out"),
    }


def test_sqlite_backends_implement_the_protocols(tmp_path: Path) -> None:
    opened = open_site_state(tmp_path, "jmn")
    assert opened is not None
    lock, store = opened
    try:
        assert isinstance(lock, RunGuard)
        assert isinstance(store, StateBackend)
        assert isinstance(lock, RunLock)
        assert isinstance(store, StateStore)
        assert lock.held
    finally:
        store.close()
        lock.release()


def test_no_state_folder_opens_nothing(tmp_path: Path) -> None:
    assert open_site_state(None, "jmn") is None
    assert open_site_state("", "jmn") is None


def test_state_that_cannot_open_releases_the_lock(tmp_path: Path) -> None:
    (tmp_path / "jmn.sqlite3").write_bytes(b"not a database, not at all" * 10)
    with pytest.raises(StateError):
        open_site_state(tmp_path, "jmn")
    with RunLock.for_site(tmp_path, "jmn") as lock:  # free again
        assert lock.held


def test_extension_holds_lock_and_state_until_the_engine_stops(tmp_path: Path) -> None:
    crawler = crawler_for("jmn", settings(tmp_path))
    extension = site_state(crawler)
    assert extension is not None
    assert isinstance(extension.store, StateStore)
    assert extension.lock is not None
    assert extension.lock.held
    with pytest.raises(AlreadyRunning):
        RunLock.for_site(tmp_path / "state", "jmn").acquire()
    crawler.signals.send_catch_log(signals.engine_stopped)
    assert extension.store is None
    assert site_state(crawler) is None
    with RunLock.for_site(tmp_path / "state", "jmn") as lock:
        assert lock.held


def test_second_crawl_of_the_site_fails_before_it_starts(tmp_path: Path) -> None:
    first = crawler_for("jmn", settings(tmp_path))
    try:
        with pytest.raises(AlreadyRunning, match="'jmn'"):
            crawler_for("jmn", settings(tmp_path))
    finally:
        close_state(first)


def test_spider_receives_the_state_as_it_starts(tmp_path: Path) -> None:
    crawler = crawler_for("jmn", settings(tmp_path))
    try:
        spider: Any = crawler.spider
        assert spider.state is None
        first = asyncio.run(anext(spider.start()))
        assert first.url.startswith("https://jmn.info")
        assert spider.state is site_state(crawler).store  # type: ignore[union-attr]
    finally:
        close_state(crawler)


def test_stateless_crawl_has_no_extension(tmp_path: Path) -> None:
    crawler = crawler_for("jmn", {"NEWSCRAWL_STATE_DIR": ""})
    assert crawler.get_extension(SiteState) is None
    assert site_state(crawler) is None


def test_no_spider_no_state() -> None:
    with pytest.raises(NotConfigured):
        SiteState.from_crawler(get_crawler(settings_dict={"NEWSCRAWL_STATE_DIR": "x"}))


def test_reconcile_runs_as_the_state_opens(tmp_path: Path) -> None:
    day = tmp_path / "out" / "jmn" / "2016-03-25"
    day.mkdir(parents=True)
    line = '{"url": "https://jmn.info/a/", "fingerprint": "f"}\n'
    (day / "run-0001.jsonl").write_text(line, encoding="utf-8")
    crawler = crawler_for("jmn", settings(tmp_path))
    try:
        store = site_state(crawler).store  # type: ignore[union-attr]
        assert isinstance(store, StateStore)
        assert store.get("https://jmn.info/a/") is not None
    finally:
        close_state(crawler)


def test_reconcile_failure_releases_lock_and_state(tmp_path: Path) -> None:
    day = tmp_path / "out" / "jmn" / "2016-03-25"
    day.mkdir(parents=True)
    (day / "run-0001.jsonl").write_text("not json\n", encoding="utf-8")
    with pytest.raises(StateError, match="not JSON"):
        crawler_for("jmn", settings(tmp_path))
    with RunLock.for_site(tmp_path / "state", "jmn") as lock:
        assert lock.held
    with RunLock.for_output(tmp_path / "out", "jmn") as lock:  # taken before the state opened
        assert lock.held


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_run_refused_by_the_output_lock_takes_and_registers_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest, backend: str
) -> None:
    """Another run, with another state (folder, or worker name), writes to the same output
    folder and has just published a file it has not registered yet. A run refused by the
    output lock must not take that file for one a dead run left: no "Registered ... published
    by a run that died" line, its state neither opened nor changed, and its run lock (or
    lease) free again; only its skipped report is written."""
    out = tmp_path / "out"
    day = out / "jmn" / "2016-03-25"
    day.mkdir(parents=True)
    live = day / "live-0001.jsonl"
    live.write_text('{"url": "https://jmn.info/a/", "fingerprint": "f"}\n', encoding="utf-8")
    options: dict[str, Any] = {"NEWSCRAWL_OUTPUT_DIR": str(out)}
    if backend == "redis":
        from tests.redis_support import REDIS_URL

        client, prefix = request.getfixturevalue("redis_prefix")
        options |= {
            "NEWSCRAWL_REDIS_URL": REDIS_URL,
            "NEWSCRAWL_REDIS_PREFIX": prefix,
            "NEWSCRAWL_WORKER": "refused",
        }
    else:
        options["NEWSCRAWL_STATE_DIR"] = str(tmp_path / "state")
    with RunLock.for_output(out, "jmn"), pytest.raises(AlreadyRunning, match="writing to"):
        crawler_for("jmn", options)  # the live run holds the output folder
    assert "published by a run that died" not in caplog.text
    assert [p.name for p in out.glob("jmn/*/*.skipped.report.json")]
    if backend == "redis":
        assert list(client.scan_iter(match=f"{prefix}:*")) == []  # no lease, no state
    else:
        assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["jmn.lock"]
        with RunLock.for_site(tmp_path / "state", "jmn") as lock:  # free again
            assert lock.held
    with RunLock.for_output(out, "jmn") as lock:  # not held by the refused run either
        assert lock.held


def batch(path: Path, *metas: dict[str, Any]) -> PublishedBatch:
    return PublishedBatch(path=path, count=len(metas), records_meta=list(metas))


def test_published_records_are_registered_with_the_latest_page_date(tmp_path: Path) -> None:
    crawler = crawler_for("jmn", settings(tmp_path))
    try:
        extension = site_state(crawler)
        assert extension is not None
        crawler.spider.lastmod["https://jmn.info/a/"] = "2016-03-26T00:00:00+00:00"  # type: ignore[union-attr]
        meta = {"url": "https://jmn.info/a/", "fingerprint": "f", "lastmod": None}
        extension.records_published(batch(tmp_path / "b.jsonl", meta))
        store = extension.store
        assert isinstance(store, StateStore)
        known = store.get("https://jmn.info/a/")
        assert known is not None
        assert known.lastmod == "2016-03-26T00:00:00+00:00"
        assert store.is_registered(tmp_path / "b.jsonl")
    finally:
        close_state(crawler)


@pytest.mark.parametrize(
    ("kind", "remembered"),
    [
        pytest.param("invalid", True, id="invalid"),
        pytest.param("not-article", True, id="not-article"),
        pytest.param("no-body", True, id="no-body"),
        pytest.param("empty", False, id="empty-200"),
        pytest.param("truncated", False, id="truncated"),
        pytest.param("download-error", False, id="download-error"),
        pytest.param("http-error", False, id="http-error"),
    ],
)
def test_only_content_rejects_are_remembered(tmp_path: Path, kind: str, remembered: bool) -> None:
    """A page that failed to download, or came cut, is fetched again next run
    (docs/operations.md); the state tells it failed before."""
    crawler = crawler_for("jmn", settings(tmp_path))
    try:
        extension = site_state(crawler)
        assert extension is not None
        url = "https://jmn.info/x/"
        extension.rejects_published(batch(tmp_path / "r.jsonl", {"url": url, "kind": kind}))
        store = extension.store
        assert store is not None
        assert store.should_fetch(url, None) is not remembered
        assert store.failed_before(url) == (None if remembered else kind)
    finally:
        close_state(crawler)
