"""Item pipelines, in order: validate, deduplicate, write.

Each is configured from ``NEWSCRAWL_*`` settings in ``from_crawler`` and counts
what it does in the crawl's stats under ``newscrawl/…``. Nothing is dropped
without a counter and a log line; invalid records and failed pages go to the
rejects file.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task
from twisted.python.failure import Failure

from newscrawl.identity import canonicalize_url
from newscrawl.items import Reject
from newscrawl.report import run_day, run_id_for
from newscrawl.schema import record_errors
from newscrawl.storage.output import BatchWriter, OutputError, PublishedBatch, recover
from newscrawl.storage.state import RECORD_KEYS, StateError, StateStore

logger = logging.getLogger(__name__)

CONTENT_REJECTS = frozenset({"invalid", "not-article"})
"""Reject kinds caused by the page itself: not fetched again until the page changes.

Not ``empty``: an empty 200 is most often a server's passing fault, so the next run tries
the page again, as it does after a download error."""


class ValidationPipeline:
    """Turn every record that fails the JSON Schema into a Reject that names each bad field."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the pipeline with the crawl's stats."""
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Return the record unchanged when valid, else a Reject; pass Rejects through."""
        if isinstance(item, Reject):
            return item
        # Spiders yield plain dicts; ItemAdapter's deep copy costs more than validation.
        record = item if isinstance(item, dict) else ItemAdapter(item).asdict()
        errors = record_errors(record)
        if not errors:
            self.stats.inc_value("newscrawl/validation/valid")
            return record
        self.stats.inc_value("newscrawl/validation/invalid")
        for error in errors:
            self.stats.inc_value(f"newscrawl/validation/fields/errors/{error.field}")
        reasons = "; ".join(f"{e.field}: {e.message}" for e in errors)
        logger.warning("Invalid record %s: %s", record.get("url"), reasons)
        return Reject(
            url=record.get("url"),
            errors=[e.as_dict() for e in errors],
            record=record,
            kind="invalid",
        )


def state_of(crawler: Crawler) -> StateStore | None:
    """Return the crawl's state store (opened by the spider), or None for a stateless crawl."""
    return getattr(crawler.spider, "state", None)


def page_key(record: dict[str, Any]) -> str:
    """Return the key a record's page is known by: its URL, canonicalised."""
    return canonicalize_url(record["url"])


class DedupPipeline:
    """Write each article once: per run, across runs, and under any of its URLs.

    A page already written in this run is dropped (counted as ``duplicates/page``). With a
    state store, a page written by an earlier run is dropped when its text is unchanged
    (``duplicates/unchanged``) and emitted again as a revision when it changed
    (``revisions``). A record whose text equals an earlier record of another page is kept
    and flagged with ``duplicate_of`` (``duplicates/content``): a syndicated copy.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.seen_pages: set[str] = set()
        self.seen_fingerprints: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the pipeline for the crawl."""
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        """Return the record (its revision set, maybe flagged), or raise DropItem."""
        if isinstance(item, Reject):
            return item
        key = page_key(item)
        keys = {key}
        if item.get("canonical_url"):
            keys.add(canonicalize_url(item["canonical_url"]))
        if keys & self.seen_pages:
            self.stats.inc_value("newscrawl/duplicates/page")
            raise DropItem(f"duplicate page {item['url']} (already written in this run)")
        self.seen_pages |= keys
        state = state_of(self.crawler)
        if state is not None:
            # Known under its URL or, reached under another URL, under its canonical URL.
            for known in sorted(keys, key=lambda k: k != key):
                status, revision = state.classify(known, item["fingerprint"])
                if status != "new":
                    break
            if status == "unchanged":
                state.note_seen(key, getattr(self.crawler.spider, "lastmod", {}).get(key))
                self.stats.inc_value("newscrawl/duplicates/unchanged")
                raise DropItem(f"unchanged since the last run: {item['url']}")
            item["revision"] = revision
            if status == "revision":
                self.stats.inc_value("newscrawl/revisions")
        first = self.seen_fingerprints.setdefault(item["fingerprint"], item["url"])
        if first == item["url"] and state is not None:
            first = state.fingerprint_owner(item["fingerprint"], exclude_url=key) or first
        if first != item["url"]:
            item["duplicate_of"] = first
            self.stats.inc_value("newscrawl/duplicates/content")
        return item


ROTATION_CHECK_SECONDS = 30.0
"""How often, at most, the writer looks for a batch old enough to publish while idle."""


class JsonLinesWriterPipeline:
    """Write records and rejects as JSON Lines (:class:`~newscrawl.storage.output.BatchWriter`).

    Our own writer rather than feed exports: batches are published by atomic rename
    only when complete, rotate by count or age, and a disk-full error stops the crawl.
    A batch is published once it is ``NEWSCRAWL_BATCH_SECONDS`` old even when no record
    follows it (a crawl waiting on a slow site or a long download delay): a timer
    checks every ``ROTATION_CHECK_SECONDS`` at most.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.root = Path(settings.get("NEWSCRAWL_OUTPUT_DIR", "out"))
        self.run_id = run_id_for(crawler)
        self.day = run_day(crawler)
        """The day folder of the run's start: its report goes there too."""
        self.options: dict[str, Any] = {
            "max_records": settings.getint("NEWSCRAWL_BATCH_RECORDS", 5000),
            "max_seconds": settings.getfloat("NEWSCRAWL_BATCH_SECONDS", 600.0),
            "compress": settings.getbool("NEWSCRAWL_GZIP", False),
        }
        self.records: BatchWriter | None = None
        self.rejects: BatchWriter | None = None
        self._rotation: task.LoopingCall | None = None
        self.coverage: Counter[str] = Counter()
        """Records written with each field present (not null, ``[]`` or ``""``)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the writer from the crawl's NEWSCRAWL_* settings."""
        return cls(crawler)

    def open_spider(self) -> None:
        """Clean up after a crashed run, then open the records and rejects writers."""
        site = getattr(self.crawler.spider, "site", None) or self.crawler.spider.name
        for path in recover(self.root, site):
            logger.warning("Removed %s, an unfinished batch of a run that died", path)
        state = state_of(self.crawler)
        if state is not None:
            for path in state.reconcile(self.root, site):
                logger.warning("Registered %s, published by a run that died before it could", path)
        self.records = BatchWriter(
            self.root,
            site,
            self.run_id,
            kind="records",
            day=self.day,
            on_publish=self._records_published,
            **self.options,
        )
        self.rejects = BatchWriter(
            self.root,
            site,
            self.run_id,
            kind="rejects",
            day=self.day,
            on_publish=self._rejects_published,
            **self.options,
        )
        self._rotation = task.LoopingCall(self._publish_due)
        self._rotation.start(min(self.options["max_seconds"], ROTATION_CHECK_SECONDS), now=False)

    def _publish_due(self) -> None:
        """Publish the batches old enough to go out (called on a timer while the crawl runs)."""
        self._each_writer(BatchWriter.publish_due)

    def _each_writer(self, action: Callable[[BatchWriter], object]) -> None:
        """Apply ``action`` to the records writer, then the rejects writer; an output or
        state error stops the crawl (the other writer still gets its turn)."""
        for writer in (self.records, self.rejects):
            if writer is None:
                continue
            try:
                action(writer)
            except (OutputError, StateError) as exc:
                self._stop(exc)

    def _stop_rotation(self) -> None:
        if self._rotation is not None and self._rotation.running:
            self._rotation.stop()
        self._rotation = None

    def _announce(self, batch: PublishedBatch) -> None:
        self.crawler.stats.inc_value("newscrawl/files_published")
        logger.info("Published %s (%d lines)", batch.path, batch.count)

    def _records_published(self, batch: PublishedBatch) -> None:
        self._announce(batch)
        state = state_of(self.crawler)
        if state is None:
            return
        # Feeds and sitemaps may give a page's date after the page was written: use the
        # latest known at publish time, so that the next run compares against it.
        lastmods = getattr(self.crawler.spider, "lastmod", {})
        metas = [{**m, "lastmod": lastmods.get(m["url"], m["lastmod"])} for m in batch.records_meta]
        state.register_batch(batch.path, metas)

    def _rejects_published(self, batch: PublishedBatch) -> None:
        self._announce(batch)
        state = state_of(self.crawler)
        content = [m for m in batch.records_meta if m.get("kind") in CONTENT_REJECTS]
        if state is not None and content:
            # As for records: the latest date any entry point gave, so that the next run
            # does not take a date seen after the reject for a change of the page.
            lastmods = getattr(self.crawler.spider, "lastmod", {})
            state.register_rejects(
                [{**m, "lastmod": lastmods.get(m["url"], m["lastmod"])} for m in content]
            )

    def _meta(self, record: dict[str, Any]) -> dict[str, Any]:
        key = page_key(record)
        lastmod = getattr(self.crawler.spider, "lastmod", {}).get(key)
        meta = {name: record.get(name) for name in RECORD_KEYS}
        return {**meta, "url": key, "lastmod": lastmod}

    def process_item(self, item: Any) -> Any:
        """Write the item to the records file, or a Reject to the rejects file.

        A record goes on (to Scrapy's feed exports, ``-O f.jsonl``, if any); a Reject ends
        here with a DropItem logged at DEBUG, so that feeds get records only.
        """
        if self.records is None or self.rejects is None:
            raise RuntimeError("the writer pipeline was not opened")
        stats = self.crawler.stats
        try:
            if isinstance(item, Reject):
                lastmod = getattr(self.crawler.spider, "lastmod", {}).get(item.url)
                meta = {"url": item.url, "kind": item.kind, "lastmod": lastmod}
                self.rejects.write(asdict(item), meta=meta)
                stats.inc_value(f"newscrawl/rejects/{item.kind}")
            else:
                self.records.write(item, meta=self._meta(item))
                stats.inc_value("newscrawl/records")
                # Counted here and copied to the stats at the end: a stats call per field
                # of every record cost more than writing the record.
                self.coverage.update(n for n, v in item.items() if v not in (None, [], ""))
        except (OutputError, StateError) as exc:
            self._stop(exc)
            raise DropItem(f"not written: {exc}") from exc
        if isinstance(item, Reject):
            raise DropItem(f"reject {item.kind} {item.url}: in the rejects file", log_level="DEBUG")
        return item

    def _stop(self, exc: Exception) -> None:
        self._stop_rotation()
        logger.critical("Output stopped: %s", exc)
        self.crawler.stats.set_value("newscrawl/output_error", str(exc))
        if self.crawler.engine is not None and self.crawler.engine.running:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="output_error"))

    def close_spider(self) -> None:
        """Publish the open batches; record the paths and field coverage in the stats."""
        self._stop_rotation()
        for name, count in self.coverage.items():
            self.crawler.stats.set_value(f"newscrawl/coverage/{name}", count)
        self._each_writer(BatchWriter.close)
        paths = [str(b.path) for w in (self.records, self.rejects) if w for b in w.published]
        self.crawler.stats.set_value("newscrawl/output_files", paths)


class DropLogFormatter(LogFormatter):
    """Log a dropped record by its reason (which names the URL), not its whole body."""

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        """Return the log entry of a dropped item: level from settings, reason only."""
        entry = super().dropped(item, exception, response, spider)
        return {**entry, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}
