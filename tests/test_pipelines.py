"""Pipelines: validation turns bad records into rejects, dedup, and a writer that stops cleanly."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import AsyncCrawlerRunner, Crawler, CrawlerRunner
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.utils.reactor import is_reactor_installed
from scrapy.utils.test import get_reactor_settings

from newscrawl.devtools.devserver import Fault, FixtureSite, RunningServer, serve
from newscrawl.extensions import SiteState, site_state
from newscrawl.identity import content_fingerprint
from newscrawl.items import Article, Reject, to_dict
from newscrawl.pipelines import DedupPipeline, ValidationPipeline
from newscrawl.spiders import portal_spider
from newscrawl.storage.backend import StateBackend
from tests.cli_support import CLI, jmn_crawl_args
from tests.conftest import FIXTURES, ROOT


def record(url: str = "https://jmn.info/a/", text: str = "Text.", **changes: Any) -> dict[str, Any]:
    article = Article(
        url=url,
        site="jmn",
        crawled_at="2016-03-25T09:00:00+00:00",
        headline="Headline",
        body=[text],
        fingerprint=content_fingerprint("Headline", [text]),
    )
    return {**to_dict(article), **changes}


def crawler_for(site: str, settings: dict[str, Any], **spider_args: Any) -> Crawler:
    """Return a crawler of ``site`` set up as a crawl sets one up, without running it: the
    spider first, then settings and extensions (``SiteState`` opens the state then)."""
    values = Settings()
    values.setmodule("newscrawl.settings", priority="project")
    values.update(
        {
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            **get_reactor_settings(),
            **settings,
        }
    )
    runner = CrawlerRunner(values) if is_reactor_installed() else AsyncCrawlerRunner(values)
    crawler = runner.create_crawler(portal_spider(site))
    crawler.spider = crawler._create_spider(**spider_args)
    crawler._apply_settings()
    return crawler


def close_state(crawler: Crawler) -> None:
    """Close the crawler's state and release its lock, as the end of a crawl does."""
    extension = crawler.get_extension(SiteState)
    if extension is not None:
        extension.close()


@pytest.fixture
def crawler(tmp_path: Path) -> Iterator[Crawler]:
    settings = {
        "NEWSCRAWL_STATE_DIR": str(tmp_path / "state"),
        "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "out"),
    }
    crawler = crawler_for("jmn", settings)
    yield crawler
    close_state(crawler)


def store_of(crawler: Crawler) -> StateBackend:
    extension = site_state(crawler)
    assert extension is not None
    assert extension.store is not None
    return extension.store


def test_valid_record_passes(crawler: Any) -> None:
    pipeline = ValidationPipeline.from_crawler(crawler)
    item = record()
    assert pipeline.process_item(item) == item
    assert crawler.stats.get_value("newscrawl/validation/valid") == 1


def test_invalid_record_becomes_reject_with_field_errors(crawler: Any) -> None:
    pipeline = ValidationPipeline.from_crawler(crawler)
    result = pipeline.process_item(record(headline=None, body=[]))
    assert isinstance(result, Reject)
    assert result.kind == "invalid"
    assert [e["field"] for e in result.errors] == ["headline", "body"]
    assert result.record is not None
    assert crawler.stats.get_value("newscrawl/validation/fields/errors/body") == 1
    assert crawler.stats.get_value("newscrawl/validation/invalid") == 1


def test_rejects_pass_through(crawler: Any) -> None:
    reject = Reject(url="https://jmn.info/x/", kind="not-article")
    assert ValidationPipeline.from_crawler(crawler).process_item(reject) is reject
    assert DedupPipeline.from_crawler(crawler).process_item(reject) is reject


def test_same_page_twice_in_a_run_is_dropped_and_counted(crawler: Any) -> None:
    pipeline = DedupPipeline.from_crawler(crawler)
    pipeline.process_item(record(canonical_url="https://jmn.info/a/"))
    with pytest.raises(DropItem, match="duplicate page"):
        pipeline.process_item(record(url="https://jmn.info/a/?utm_source=x#top"))
    with pytest.raises(DropItem):  # another URL, same canonical page
        pipeline.process_item(
            record(url="https://jmn.info/?p=12", canonical_url="https://jmn.info/a/")
        )
    assert crawler.stats.get_value("newscrawl/duplicates/page") == 2


def test_articles_whose_canonical_link_is_the_home_page_are_each_written(crawler: Any) -> None:
    """A template that gives every page the site's root as its canonical link."""
    pipeline = DedupPipeline.from_crawler(crawler)
    for name in ("a", "b", "c"):
        pipeline.process_item(
            record(url=f"https://jmn.info/{name}/", text=name, canonical_url="https://jmn.info/")
        )
    assert crawler.stats.get_value("newscrawl/duplicates/page") is None


def test_pages_of_other_texts_that_name_one_canonical_page_are_each_written(
    crawler: Any,
) -> None:
    """A site whose pages all name one article as canonical: the article itself, met
    after them, is written too, and an alias of one of them with its text is not."""
    pipeline = DedupPipeline.from_crawler(crawler)
    alpha = "https://jmn.info/alpha/"
    for name in ("b", "c"):
        pipeline.process_item(
            record(url=f"https://jmn.info/{name}/", text=name, canonical_url=alpha)
        )
    pipeline.process_item(record(url=alpha, text="alpha", canonical_url=alpha))
    assert crawler.stats.get_value("newscrawl/duplicates/canonical_conflict") == 1
    with pytest.raises(DropItem, match="duplicate page"):
        pipeline.process_item(record(url="https://jmn.info/?p=12", text="b", canonical_url=alpha))
    assert crawler.stats.get_value("newscrawl/duplicates/page") == 1


def test_syndicated_copy_is_flagged_not_dropped(crawler: Any) -> None:
    pipeline = DedupPipeline.from_crawler(crawler)
    pipeline.process_item(record(url="https://jmn.info/a/"))
    copy = pipeline.process_item(record(url="https://jmn.info/b/"))
    assert copy["duplicate_of"] == "https://jmn.info/a/"
    assert crawler.stats.get_value("newscrawl/duplicates/content") == 1


def test_state_makes_unchanged_pages_drop_and_changed_ones_revisions(
    crawler: Any, tmp_path: Path
) -> None:
    state = store_of(crawler)
    first = record()
    state.register_batch(tmp_path / "earlier.jsonl", [first])
    with pytest.raises(DropItem, match="unchanged"):
        DedupPipeline.from_crawler(crawler).process_item(record())
    changed = DedupPipeline.from_crawler(crawler).process_item(record(text="New text."))
    assert changed["revision"] == 2
    assert crawler.stats.get_value("newscrawl/revisions") == 1
    copy = DedupPipeline.from_crawler(crawler).process_item(record(url="https://jmn.info/c/"))
    assert copy["duplicate_of"] == "https://jmn.info/a/"  # across runs, through the state


# -- the writer under real file-system faults, in a real crawl ----------------------------


@pytest.fixture
def portal() -> Iterator[RunningServer]:
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server:
        yield server


def crawl_args(server: RunningServer, out: Path, state: Path, *extra: str) -> list[str]:
    """Return the command line of a fast crawl of ``server`` into ``out``."""
    settings = ["AUTOTHROTTLE_START_DELAY=0", "DOWNLOAD_DELAY=0", "LOG_LEVEL=ERROR"]
    args = jmn_crawl_args(server.url, out, state, settings, *extra)
    return [*CLI, *args]


def crawl(
    server: RunningServer, out: Path, state: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        crawl_args(server, out, state, *extra),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
        check=False,
    )


def published_urls(out: Path) -> list[str]:
    """Return the URLs of the records in the published files under ``out``."""
    return [
        json.loads(line)["url"]
        for path in sorted(out.glob("jmn/*/*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


@pytest.mark.e2e
def test_batch_is_published_on_time_while_the_crawl_waits(tmp_path: Path) -> None:
    """A batch goes out NEWSCRAWL_BATCH_SECONDS after its first record even when no record
    follows: here every page is written within seconds except one slow page."""
    slow, delay = "/lavrov-said-what-putin-agreed-with-kerry/", 8.0
    out = tmp_path / "out"
    site = FixtureSite(FIXTURES / "jmn", origins=())
    with serve(site, faults={slow: Fault("slow", delay=delay)}) as server:
        extra = ("-s", "NEWSCRAWL_BATCH_SECONDS=1", "-s", "DOWNLOAD_TIMEOUT=60")
        command = crawl_args(server, out, tmp_path / "state", *extra)
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        deadline = time.monotonic() + 60
        while not server.hits[slow] and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        asked_at = time.monotonic()
        # The other pages take a second or two; the slow one is answered `delay` s after
        # it was asked for. Look just before that: all but the slow page must be out.
        time.sleep(max(0.0, asked_at + delay - 1.5 - time.monotonic()))
        before_answer = published_urls(out)
        log, _ = process.communicate(timeout=120)
    assert process.returncode == 0, log[-3000:]
    urls = published_urls(out)
    assert len(urls) == len(set(urls))
    assert sorted(before_answer) == sorted(u for u in urls if slow not in u), log[-3000:]
    assert len(before_answer) == len(urls) - 1


@pytest.mark.e2e
def test_disk_full_stops_the_crawl_and_keeps_completed_files(
    portal: RunningServer, small_fs: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    # 24 KiB: room for a few batches of two records, not for all fifteen.
    subprocess.run(["mount", "-o", "remount,size=24k", str(small_fs)], check=True)
    result = crawl(portal, small_fs, state, "-s", "NEWSCRAWL_BATCH_RECORDS=2")
    assert result.returncode == 1
    assert "disk full" in result.stdout + result.stderr
    published = sorted(small_fs.glob("jmn/*/*.jsonl"))
    assert published, "batches completed before the disk filled must stay"
    written = [json.loads(line) for p in published for line in p.read_text("utf-8").splitlines()]
    assert not list(small_fs.rglob(".*.part"))
    # The summary counts what was published, not the records of the discarded batch (the
    # report itself may find no room on the full disk).
    assert f"records written: {len(written)}," in result.stdout, result.stdout
    # With room again, the same command writes the rest: nothing lost, nothing twice.
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_fs)], check=True)
    again = crawl(portal, small_fs, state)
    assert again.returncode == 0, again.stdout + again.stderr
    urls = [
        json.loads(line)["url"]
        for p in small_fs.glob("jmn/*/*.jsonl")
        for line in p.read_text("utf-8").splitlines()
    ]
    assert len(urls) == len(set(urls)) == 15
    assert {r["url"] for r in written} <= set(urls)


@pytest.mark.e2e
def test_unwritable_output_folder_is_a_clear_error(portal: RunningServer, tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    result = crawl(portal, blocker, tmp_path / "state")
    assert result.returncode == 2  # a usage error, found before anything is fetched
    assert result.stderr.strip() == f"newscrawl: output folder {blocker} is a file, not a folder"
    assert blocker.read_text(encoding="utf-8").startswith("a file")
    assert sum(portal.hits.values()) == 0


def test_same_article_under_another_url_in_a_later_run_is_recognised(
    crawler: Any, tmp_path: Path
) -> None:
    state = store_of(crawler)
    state.register_batch(tmp_path / "earlier.jsonl", [record(canonical_url="https://jmn.info/a/")])
    other_url = record(url="https://jmn.info/?p=12", canonical_url="https://jmn.info/a/")
    with pytest.raises(DropItem, match="unchanged"):
        DedupPipeline.from_crawler(crawler).process_item(other_url)


# -- one job each: coverage, records writer, rejects writer ------------------------------


def test_coverage_counts_present_fields_of_records_only(crawler: Any) -> None:
    from newscrawl.pipelines import RecordsWriterPipeline

    pipeline = RecordsWriterPipeline.from_crawler(crawler)
    pipeline.open_spider()
    item = record(authors=[], subheadline="")
    assert pipeline.process_item(item) is item
    reject = Reject(url="https://jmn.info/x/", kind="not-article")
    assert pipeline.process_item(reject) is reject
    pipeline.close_spider()
    stats = crawler.stats.get_stats()
    assert stats["newscrawl/coverage/headline"] == 1
    assert "newscrawl/coverage/authors" not in stats
    assert "newscrawl/coverage/subheadline" not in stats


def test_each_writer_writes_its_own_kind(crawler: Any, tmp_path: Path) -> None:
    from newscrawl.pipelines import RecordsWriterPipeline, RejectsWriterPipeline

    records = RecordsWriterPipeline.from_crawler(crawler)
    rejects = RejectsWriterPipeline.from_crawler(crawler)
    records.open_spider()
    rejects.open_spider()
    article, reject = record(), Reject(url="https://jmn.info/x/", kind="download-error")
    assert rejects.process_item(records.process_item(article)) is article
    assert records.process_item(reject) is reject
    with pytest.raises(DropItem, match="in the rejects file"):  # a reject ends there
        rejects.process_item(reject)
    rejects.close_spider()
    records.close_spider()
    stats = crawler.stats.get_stats()
    assert stats["newscrawl/records"] == 1
    assert stats["newscrawl/rejects/download-error"] == 1
    assert stats["newscrawl/files_published"] == 2
    files = sorted(stats["newscrawl/output_files"])
    assert len(files) == 2
    written = {Path(f).parent.name: Path(f).read_text("utf-8") for f in files}
    assert '"kind":"download-error"' in written["rejects"]
    (day,) = (k for k in written if k != "rejects")
    assert '"headline":"Headline"' in written[day]
    state = store_of(crawler)
    # The records file is registered; the failed download is not remembered as known.
    assert state.classify("https://jmn.info/a/", article["fingerprint"])[0] == "unchanged"
    assert state.should_fetch("https://jmn.info/x/", None)


def test_writer_used_before_open_is_a_bug(crawler: Any) -> None:
    from newscrawl.pipelines import RecordsWriterPipeline

    with pytest.raises(RuntimeError, match="not opened"):
        RecordsWriterPipeline.from_crawler(crawler).process_item(record())


def test_a_page_is_remembered_under_all_its_keys_in_a_run(crawler: Any) -> None:
    pipeline = DedupPipeline.from_crawler(crawler)
    pipeline.process_item(record(url="https://jmn.info/?p=12", canonical_url="https://jmn.info/a/"))
    with pytest.raises(DropItem, match="duplicate page"):  # its canonical URL, later
        pipeline.process_item(record(url="https://jmn.info/a/"))
    pipeline.process_item(record(url="https://jmn.info/b/?utm_source=x", text="B."))
    with pytest.raises(DropItem, match="duplicate page"):  # the same page, another URL
        pipeline.process_item(record(url="https://jmn.info/b/", text="B."))


def test_unchanged_page_keeps_the_newer_date_it_was_listed_with(
    crawler: Any, tmp_path: Path
) -> None:
    state = store_of(crawler)
    state.register_batch(
        tmp_path / "1.jsonl", [{**record(), "lastmod": "2016-03-24T00:00:00+00:00"}]
    )
    crawler.spider.lastmod["https://jmn.info/a/"] = "2016-03-25T00:00:00+00:00"
    with pytest.raises(DropItem, match="unchanged"):
        DedupPipeline.from_crawler(crawler).process_item(record())
    # The next run is not sent to the page again for the same date.
    assert not state.should_fetch("https://jmn.info/a/", "2016-03-25T00:00:00+00:00")


def test_a_rejected_page_is_remembered_with_its_date(crawler: Any) -> None:
    from newscrawl.pipelines import RejectsWriterPipeline

    url = "https://jmn.info/not-an-article/"
    crawler.spider.lastmod[url] = "2016-03-24T00:00:00+00:00"
    rejects = RejectsWriterPipeline.from_crawler(crawler)
    rejects.open_spider()
    with pytest.raises(DropItem, match="in the rejects file"):
        rejects.process_item(Reject(url=url, kind="not-article"))
    # A sitemap read after the reject was written dates the page later: that date counts.
    crawler.spider.lastmod[url] = "2016-03-25T00:00:00+00:00"
    rejects.close_spider()
    state = store_of(crawler)
    assert not state.should_fetch(url, "2016-03-25T00:00:00+00:00")
    assert state.should_fetch(url, "2016-03-26T00:00:00+00:00")


def test_a_record_that_could_not_be_written_is_dropped_and_stops_the_output(
    crawler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newscrawl.pipelines import RecordsWriterPipeline
    from newscrawl.storage.output import OutputError

    pipeline = RecordsWriterPipeline.from_crawler(crawler)
    pipeline.open_spider()

    def disk_full(*_args: Any, **_kwargs: Any) -> None:
        raise OutputError("cannot write x: disk full")

    assert pipeline.writer is not None
    monkeypatch.setattr(pipeline.writer, "write", disk_full)
    with pytest.raises(DropItem, match="not written: cannot write x: disk full"):
        pipeline.process_item(record())
    stats = crawler.stats.get_stats()
    assert stats["newscrawl/output_error"] == "cannot write x: disk full"
    assert "newscrawl/records" not in stats
    pipeline.close_spider()


@pytest.mark.parametrize("distributed", [False, True])
def test_a_worker_stopped_by_an_error_withholds_its_open_batch(
    crawler: Any, distributed: bool
) -> None:
    """A crawl that stops on an error still publishes its open batch (its next run
    registers the file); a worker of a distributed crawl does not, since the other workers
    would write those pages again first: they come back with the requests it took."""
    from newscrawl.pipelines import RecordsWriterPipeline

    pipeline = RecordsWriterPipeline.from_crawler(crawler)
    assert not pipeline.distributed  # no NEWSCRAWL_REDIS_URL
    pipeline.distributed = distributed
    pipeline.open_spider()
    pipeline.process_item(record())
    crawler.stats.set_value("newscrawl/output_error", "Redis unavailable at nc:jmn")
    pipeline.close_spider()
    stats = crawler.stats.get_stats()
    out = Path(crawler.settings["NEWSCRAWL_OUTPUT_DIR"])
    published = list(out.glob("jmn/*/*.jsonl"))
    assert not list(out.rglob(".*.part"))
    if distributed:
        assert published == []
        assert stats.get("newscrawl/records", 0) == 0
        assert stats.get("newscrawl/output_files", []) == []
    else:
        assert len(published) == 1
        assert stats["newscrawl/records"] == 1


def test_a_batch_published_but_not_registered_counts_every_record_it_holds(
    tmp_path: Path,
) -> None:
    """The state cannot register a batch just renamed to its final name (here another
    process holds the state's write lock past SQLite's busy timeout). The file stays, and
    the next run registers it (``reconcile``): its records are written, the one whose
    write filled the batch too, so that record is not dropped as "not written", and the
    count is the file's lines."""
    import sqlite3

    from newscrawl.pipelines import RecordsWriterPipeline
    from newscrawl.storage.state import StateStore

    state_dir, out = tmp_path / "state", tmp_path / "out"
    settings = {
        "NEWSCRAWL_STATE_DIR": str(state_dir),
        "NEWSCRAWL_OUTPUT_DIR": str(out),
        "NEWSCRAWL_BATCH_RECORDS": 2,
    }
    crawler = crawler_for("jmn", settings)
    try:
        pipeline = RecordsWriterPipeline.from_crawler(crawler)
        pipeline.open_spider()
        first, second = record(url="https://jmn.info/a/"), record(url="https://jmn.info/b/")
        assert pipeline.process_item(first) is first
        other = sqlite3.connect(state_dir / "jmn.sqlite3", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # held as another process would hold it
        try:
            assert pipeline.process_item(second) is second  # the batch is published
        finally:
            other.execute("ROLLBACK")
            other.close()
        pipeline.close_spider()
        stats = crawler.stats.get_stats()
        assert "cannot register" in stats["newscrawl/output_error"]
    finally:
        close_state(crawler)
    (published,) = out.glob("jmn/*/*.jsonl")
    lines = published.read_text(encoding="utf-8").splitlines()
    assert stats["newscrawl/records"] == len(lines) == 2
    assert stats["newscrawl/output_files"] == [str(published)]
    with StateStore.for_site(state_dir, "jmn") as state:
        assert state.reconcile(out, "jmn") == [published]  # the next run's first step


def configured_pipelines(crawler: Crawler) -> list[Any]:
    """Return the crawl's item pipelines (``ITEM_PIPELINES``), built and in their order."""
    from scrapy.utils.conf import build_component_list
    from scrapy.utils.misc import build_from_crawler, load_object

    paths = build_component_list(crawler.settings.getwithbase("ITEM_PIPELINES"))
    return [build_from_crawler(load_object(path), crawler) for path in paths]


def through(pipelines: list[Any], item: Any) -> Any:
    """Pass ``item`` through ``pipelines`` as Scrapy does; DropItem ends its way."""
    for pipeline in pipelines:
        item = pipeline.process_item(item)
    return item


def test_coverage_is_a_share_of_the_records_published(tmp_path: Path) -> None:
    """A batch that could not be published (here a folder stands at its final name; a
    full disk does the same) is in no file: its records count neither as written nor in
    the coverage, so no field's share is over 1."""
    from newscrawl.report import build_report

    out = tmp_path / "out"
    settings = {
        "NEWSCRAWL_STATE_DIR": str(tmp_path / "state"),
        "NEWSCRAWL_OUTPUT_DIR": str(out),
        "NEWSCRAWL_BATCH_RECORDS": 2,
    }
    crawler = crawler_for("jmn", settings)
    try:
        pipelines = configured_pipelines(crawler)
        for pipeline in pipelines:
            if hasattr(pipeline, "open_spider"):
                pipeline.open_spider()
        pages = [record(url=f"https://jmn.info/{n}/", text=f"Text {n}.") for n in range(4)]
        for page in pages[:3]:  # the first batch is published, the second holds one
            assert through(pipelines, page) is page
        (first,) = out.glob("jmn/*/*.jsonl")
        first.with_name(first.name.replace("-0001.", "-0002.")).mkdir()
        with pytest.raises(DropItem, match="not written"):  # its batch fills, is discarded
            through(pipelines, pages[3])
        for pipeline in pipelines:
            if hasattr(pipeline, "close_spider"):
                pipeline.close_spider()
        stats = crawler.stats.get_stats()
    finally:
        close_state(crawler)
    report = build_report(
        stats, site="jmn", run_id="r", duration=1.0, thresholds={}, max_error_rate=1.0
    )
    assert "cannot publish" in stats["newscrawl/output_error"]
    assert report["records_written"] == len(first.read_text("utf-8").splitlines()) == 2
    assert report["coverage"]["headline"] == 1.0
    assert report["coverage"]["authors"] == 0.0
    assert max(share for share in report["coverage"].values() if share is not None) == 1.0


def test_a_page_that_failed_before_and_fails_again_is_counted(crawler: Any) -> None:
    from newscrawl.pipelines import FAILED_AGAIN, RejectsWriterPipeline

    state = store_of(crawler)
    cut, fresh, gone = "https://jmn.info/cut/", "https://jmn.info/fresh/", "https://jmn.info/gone/"
    state.register_rejects(
        [{"url": cut, "kind": "truncated"}, {"url": gone, "kind": "download-error"}]
    )
    state.register_rejects([{"url": "https://jmn.info/bad/", "kind": "invalid"}])
    rejects = RejectsWriterPipeline.from_crawler(crawler)
    rejects.open_spider()
    for url, kind in [
        (cut, "truncated"),  # retried, cut again: counted
        (fresh, "truncated"),  # never seen: a fresh page that gave no record
        (gone, "download-error"),  # failed again, but never fetched: not an article fetched
        ("https://jmn.info/bad/", "invalid"),  # a content reject, fetched because it changed
    ]:
        with pytest.raises(DropItem):
            rejects.process_item(Reject(url=url, kind=kind))
    rejects.close_spider()
    assert crawler.stats.get_value(FAILED_AGAIN) == 1
    # Registered with its kind: the cut page is still fetched again, and known to have failed.
    assert state.should_fetch(fresh, None)
    assert state.failed_before(fresh) == "truncated"
    state.register_batch(
        Path(crawler.settings["NEWSCRAWL_OUTPUT_DIR"]) / "x.jsonl", [record(url=cut)]
    )
    assert state.failed_before(cut) is None  # a record written forgets the failure


def test_a_state_that_fails_when_asked_about_a_reject_stops_the_output_naming_the_first_cause(
    crawler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newscrawl.pipelines import RejectsWriterPipeline
    from newscrawl.storage.state import StateError

    state = store_of(crawler)

    def gone(url: str) -> str | None:
        raise StateError("cannot read: Connection refused")

    monkeypatch.setattr(state, "failed_before", gone)
    crawler.stats.set_value("newscrawl/output_error", "Redis unavailable at x: gone")
    rejects = RejectsWriterPipeline.from_crawler(crawler)
    rejects.open_spider()
    with pytest.raises(DropItem, match="in the rejects file"):  # written, then no crash
        rejects.process_item(Reject(url="https://jmn.info/cut/", kind="truncated"))
    assert crawler.stats.get_value("newscrawl/output_error") == "Redis unavailable at x: gone"
    crawler.stats.set_value("newscrawl/output_error", None)
    with pytest.raises(DropItem):
        rejects.process_item(Reject(url="https://jmn.info/cut2/", kind="truncated"))
    assert crawler.stats.get_value("newscrawl/output_error") == "cannot read: Connection refused"
    rejects.close_spider()


def test_an_article_whose_canonical_link_is_the_home_page_is_new_in_a_later_run(
    crawler: Any, tmp_path: Path
) -> None:
    """Registered under the site's root, an earlier article would make every later one
    of the same template a revision of it."""
    state = store_of(crawler)
    home = "https://jmn.info/"
    state.register_batch(tmp_path / "earlier.jsonl", [record(text="a", canonical_url=home)])
    later = record(url="https://jmn.info/b/", text="b", canonical_url=home)
    assert DedupPipeline.from_crawler(crawler).process_item(later)["revision"] == 1
