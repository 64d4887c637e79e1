"""Item pipelines, one job each, in order: validate, deduplicate, write records (and
count what they publish, field coverage included), write rejects.

Each is configured from ``NEWSCRAWL_*`` settings in ``from_crawler`` and counts
what it does in the crawl's stats under ``newscrawl/…``. Nothing is dropped
without a counter and a log line; invalid records and failed pages go to the
rejects file. The site's state store, when the crawl has one, comes from the
``newscrawl.extensions.SiteState`` extension, which opens and closes it.
"""

from __future__ import annotations

import logging
import time
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

from newscrawl.extensions import known_lastmods, site_state
from newscrawl.identity import canonical_key, canonicalize_url
from newscrawl.items import Reject
from newscrawl.report import FAILED_AGAIN, run_day, run_id_for, run_started_at, utc_timestamp
from newscrawl.schema import record_errors
from newscrawl.storage.backend import CONTENT_REJECTS, StateBackend
from newscrawl.storage.output import BatchWriter, OutputError, PublishedBatch, recover
from newscrawl.storage.state import RECORD_KEYS, StateError

logger = logging.getLogger(__name__)

__all__ = [
    "CONTENT_REJECTS",
    "PRESENT_FIELDS",
    "DedupPipeline",
    "RecordsWriterPipeline",
    "RejectsWriterPipeline",
    "ValidationPipeline",
]


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


def state_store(crawler: Crawler) -> StateBackend | None:
    """Return the crawl's open state store (``SiteState``), or None for a stateless crawl."""
    extension = site_state(crawler)
    return extension.store if extension is not None else None


def page_key(record: dict[str, Any]) -> str:
    """Return the key a record's page is known by: its URL, canonicalised."""
    return canonicalize_url(record["url"])


class DedupPipeline:
    """Write each article once: per run, across runs, and under any of its URLs.

    A page already written in this run is dropped (counted as ``duplicates/page``): one
    fetched again under its own URL, or one reached under another URL whose canonical link
    names a page written with the same text (an alias: ``/?p=12`` of ``/a/``). With a
    state store, a page written by an earlier run is dropped when its text is unchanged
    (``duplicates/unchanged``) and emitted again as a revision when it changed
    (``revisions``). A record whose text equals an earlier record of another page is kept
    and flagged with ``duplicate_of`` (``duplicates/content``): a syndicated copy.

    A canonical link is a page's claim to be another page, and some sites make it for
    every page: to the home page, or to one article. So a canonical URL that is a site's
    root is no key, and in a run a page whose canonical page was written with another text
    is a page of its own (``duplicates/canonical_conflict``), keyed by its URL alone.
    """

    def __init__(self, crawler: Crawler, state: StateBackend | None = None) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.state = state
        self.seen_urls: set[str] = set()
        """The URL keys of the pages written in this run."""
        self.seen_texts: dict[str, str] = {}
        """Each key (URL or canonical) of a page written in this run: that page's text
        (fingerprint), the first to claim the key."""
        self.seen_fingerprints: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the pipeline with the crawl's state store, if it has one."""
        return cls(crawler, state_store(crawler))

    def process_item(self, item: Any) -> Any:
        """Return the record (its revision set, maybe flagged), or raise DropItem."""
        if isinstance(item, Reject):
            return item
        key = page_key(item)
        fingerprint = item["fingerprint"]
        keys = {key}
        canonical = canonical_key(item.get("canonical_url"))
        if canonical is not None and canonical != key:
            if self.seen_texts.get(canonical, fingerprint) == fingerprint:
                keys.add(canonical)
            else:
                self.stats.inc_value("newscrawl/duplicates/canonical_conflict")
        if key in self.seen_urls or any(self.seen_texts.get(k) == fingerprint for k in keys):
            self.stats.inc_value("newscrawl/duplicates/page")
            raise DropItem(f"duplicate page {item['url']} (already written in this run)")
        self.seen_urls.add(key)
        for claimed in keys:
            self.seen_texts.setdefault(claimed, fingerprint)
        state = self.state
        if state is not None:
            # Known under its URL or, reached under another URL, under its canonical URL:
            # one question to the state (a round trip in distributed mode), which also
            # notes an unchanged page as seen (note_seen).
            answer = state.dedup(
                [key, *sorted(keys - {key})],
                item["fingerprint"],
                note=True,
                lastmod=known_lastmods(self.crawler).get(key),
            )
            status, revision = answer.status, answer.revision
            if status == "unchanged":
                self.stats.inc_value("newscrawl/duplicates/unchanged")
                raise DropItem(f"unchanged since the last run: {item['url']}")
            if not answer.claimed:
                self.stats.inc_value("newscrawl/duplicates/claimed")
                raise DropItem(f"written by another worker of this crawl: {item['url']}")
            item["revision"] = revision
            if status == "revision":
                self.stats.inc_value("newscrawl/revisions")
        first = self.seen_fingerprints.setdefault(item["fingerprint"], item["url"])
        if first == item["url"] and state is not None:
            first = answer.owner or first
        if first != item["url"]:
            item["duplicate_of"] = first
            self.stats.inc_value("newscrawl/duplicates/content")
        return item


PRESENT_FIELDS = "present_fields"
"""Key of a records line's meta (``PublishedBatch.records_meta``): the fields the record
has (not null, ``[]`` or ``""``), counted for the coverage when its batch is published."""


ROTATION_CHECK_SECONDS = 30.0
"""How often, at most, a writer looks for a batch old enough to publish while idle."""


class BatchWriterPipeline:
    """Write one kind of item into JSON Lines batches (``storage.output.BatchWriter``).

    Our own writer rather than feed exports: batches are published by atomic rename
    only when complete, rotate by count or age, and a disk-full error stops the crawl.
    A batch is published once it is ``NEWSCRAWL_BATCH_SECONDS`` old even when no item
    follows it (a crawl waiting on a slow site or a long download delay): a timer
    checks every ``ROTATION_CHECK_SECONDS`` at most. Each published batch is counted
    (``newscrawl/files_published``, and :meth:`count_published`), added to
    ``newscrawl/output_files`` as it is published, and handed to ``on_publish`` (the
    state's registration, when the crawl has a state). An output or state error stops the
    crawl with reason ``output_error``. A batch the state fails to register stays
    published: its records are written (counted, and passed on), as the next run's
    ``reconcile`` registers the file.

    So the stats hold what is on disk at every moment, not only once the spider closes: a
    run stopped by force (a second SIGTERM: the reactor stops, no pipeline closes) reports
    the files it published and no line of the batch it left open, which is in no published
    file.

    Subclasses say which items they write (``kind``, :meth:`accepts`) and what each
    line's meta is (:meth:`meta`); other items pass through.
    """

    kind = "records"

    def __init__(
        self, crawler: Crawler, on_publish: Callable[[PublishedBatch], None] | None = None
    ) -> None:
        self.crawler = crawler
        self.on_publish = on_publish
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
        self.writer: BatchWriter | None = None
        self._rotation: task.LoopingCall | None = None
        self.distributed = bool(settings.get("NEWSCRAWL_REDIS_URL"))
        """A worker of a distributed crawl: on an error it withholds its open batch."""
        self.pause_before_register = settings.getfloat("NEWSCRAWL_TEST_PAUSE_BEFORE_REGISTER", 0)
        """Test hook: seconds to block between publishing a batch and handing it on."""

    def accepts(self, item: Any) -> bool:
        """Tell whether this pipeline writes ``item``."""
        raise NotImplementedError

    def line(self, item: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return the line to write for ``item`` and its meta (kept for ``on_publish``)."""
        raise NotImplementedError

    def open_spider(self) -> None:
        """Remove this kind's temp files left by a crashed run; open the writer and timer."""
        site = getattr(self.crawler.spider, "site", None) or self.crawler.spider.name
        for path in recover(self.root, site, kind=self.kind):
            logger.warning("Removed %s, an unfinished batch of a run that died", path)
        self.writer = BatchWriter(
            self.root,
            site,
            self.run_id,
            kind=self.kind,
            day=self.day,
            on_publish=self._published,
            **self.options,
        )
        self._rotation = task.LoopingCall(self._publish_due)
        self._rotation.start(min(self.options["max_seconds"], ROTATION_CHECK_SECONDS), now=False)

    def process_item(self, item: Any) -> Any:
        """Write the item if it is of this pipeline's kind; return it (unless ``written``
        ends its way with DropItem)."""
        if not self.accepts(item):
            return item
        if self.writer is None:
            raise RuntimeError(f"the {self.kind} writer pipeline was not opened")
        line, meta = self.line(item)
        try:
            self.writer.write(line, meta=meta)
        except OutputError as exc:  # the item is in no published file
            self._stop(exc)
            raise DropItem(f"not written: {exc}") from exc
        self.written(item)
        return item

    def written(self, item: Any) -> None:
        """Count an item the writer accepted (into its open batch, not published yet)."""

    def count_published(self, batch: PublishedBatch) -> None:
        """Count the lines of a batch just published under its final name."""

    def close_spider(self) -> None:
        """Publish the open batch.

        A worker of a distributed crawl that stops on an error (Redis failing, an output
        error) does not publish its open batch: it could not register it, and the other
        workers, to whom its claims then pass, would write the same pages again before its
        next run registered the file. The pages come back to the queue with the requests it
        took, and are written by whoever fetches them."""
        self._stop_rotation()
        stats = self.crawler.stats
        failed = stats.get_value("newscrawl/output_error")
        if failed and self.writer is not None and self.distributed:
            withheld = self.writer.abort()
            if withheld:
                logger.warning(
                    "Not published: the open %s batch (%d lines); its pages go back to the "
                    "queue with the requests this worker took",
                    self.kind,
                    withheld,
                )
        self._guarded(BatchWriter.close)

    def _publish_due(self) -> None:
        """Publish the batch if old enough (called on a timer while the crawl runs)."""
        self._guarded(BatchWriter.publish_due)

    def _guarded(self, action: Callable[[BatchWriter], object]) -> None:
        """Apply ``action`` to the writer; an output error stops the crawl."""
        if self.writer is None:
            return
        try:
            action(self.writer)
        except OutputError as exc:
            self._stop(exc)

    def _published(self, batch: PublishedBatch) -> None:
        """Count, list (``newscrawl/output_files``) and log a batch published under its
        final name, then hand it to ``on_publish``. A ``StateError`` there stops the crawl
        and goes no further: the file is on disk and the next run registers it, so the
        writer goes on as after any publish, and the item whose write filled the batch
        counts as written."""
        stats = self.crawler.stats
        stats.inc_value("newscrawl/files_published")
        files = list(stats.get_value("newscrawl/output_files", []))
        stats.set_value("newscrawl/output_files", [*files, str(batch.path)])
        self.count_published(batch)
        logger.info("Published %s (%d lines)", batch.path, batch.count)
        if self.pause_before_register > 0:
            # The kill campaign (tests/test_kill_campaign.py) kills the crawl here: the
            # file is published, its records are not registered in the state yet.
            logger.warning(
                "Test hook: %.1f s between publishing %s and registering it",
                self.pause_before_register,
                batch.path,
            )
            time.sleep(self.pause_before_register)
        if self.on_publish is None:
            return
        try:
            self.on_publish(batch)
        except StateError as exc:
            self._stop(exc)

    def _stop_rotation(self) -> None:
        if self._rotation is not None and self._rotation.running:
            self._rotation.stop()
        self._rotation = None

    def _stop(self, exc: Exception) -> None:
        self._stop_rotation()
        logger.critical("Output stopped: %s", exc)
        if not self.crawler.stats.get_value("newscrawl/output_error"):  # the first names the cause
            self.crawler.stats.set_value("newscrawl/output_error", str(exc))
        if self.crawler.crawling and self.crawler.engine.running:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="output_error"))


class RecordsWriterPipeline(BatchWriterPipeline):
    """Write the records (every item that is not a Reject) into the records batches; with a
    state, each published batch is registered in it (``SiteState.records_published``).

    Each published batch is counted: its records in ``newscrawl/records``, and for each
    field the records that have it in ``newscrawl/coverage/<field>``, read from the
    batch's own line meta (:data:`PRESENT_FIELDS`): only the writer knows which records
    reached a published file. A stats call per field of every record cost more than writing
    the record; one per field and batch does not.
    """

    kind = "records"

    def __init__(
        self, crawler: Crawler, on_publish: Callable[[PublishedBatch], None] | None = None
    ) -> None:
        super().__init__(crawler, on_publish)
        self.coverage: Counter[str] = Counter()
        """For each field, the records in published files that have it."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the writer from the crawl's NEWSCRAWL_* settings and state."""
        state = site_state(crawler)
        return cls(crawler, state.records_published if state is not None else None)

    def accepts(self, item: Any) -> bool:
        """Records are every item but a Reject."""
        return not isinstance(item, Reject)

    def line(self, item: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The record as it is; meta: the state's keys, the canonical URL, the page's date,
        and the fields the record has (:data:`PRESENT_FIELDS`, for the coverage)."""
        key = page_key(item)
        meta = {name: item.get(name) for name in RECORD_KEYS}
        present = tuple(n for n, v in item.items() if v not in (None, [], ""))
        return item, {
            **meta,
            "url": key,
            "lastmod": known_lastmods(self.crawler).get(key),
            PRESENT_FIELDS: present,
        }

    def count_published(self, batch: PublishedBatch) -> None:
        """Count its lines in ``newscrawl/records``: the records in published files.

        Counted here and not as each record is accepted: a batch that is never published
        (discarded on a full disk, withheld by a distributed worker, left open by a run
        stopped by force) is then never counted, and nothing needs taking back. The same
        goes for the coverage of its fields.
        """
        stats = self.crawler.stats
        stats.inc_value("newscrawl/records", batch.count)
        for meta in batch.records_meta:
            self.coverage.update(meta.get(PRESENT_FIELDS, ()))
        for name, count in self.coverage.items():
            stats.set_value(f"newscrawl/coverage/{name}", count)


DOWNLOAD_REJECTS = frozenset({"http-error", "download-error", "offsite-redirect"})
"""Reject kinds of article pages that gave no response to extract (the spiders' errbacks,
counted in ``newscrawl/articles/failed``); every other kind is a page that was fetched."""


class RejectsWriterPipeline(BatchWriterPipeline):
    """Write the Rejects into the rejects batches; with a state, the pages of each published
    batch are registered with their kinds (``SiteState.rejects_published``), and a page
    fetched again that had failed before is counted (``FAILED_AGAIN``)."""

    kind = "rejects"

    def __init__(
        self,
        crawler: Crawler,
        on_publish: Callable[[PublishedBatch], None] | None = None,
        state: StateBackend | None = None,
    ) -> None:
        super().__init__(crawler, on_publish)
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the writer from the crawl's NEWSCRAWL_* settings and state."""
        state = site_state(crawler)
        if state is None:
            return cls(crawler)
        return cls(crawler, state.rejects_published, state.store)

    def accepts(self, item: Any) -> bool:
        """Only Rejects."""
        return isinstance(item, Reject)

    def line(self, item: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The reject as a dict with the page's feed or sitemap date (``lastmod``, null when
        none is known), which the state registers and ``newscrawl state rebuild`` reads
        back; meta: its URL, kind, that date and the page's try (``rejected_at``)."""
        lastmod = known_lastmods(self.crawler).get(item.url)
        # The page's last try, for the failed-page backoff: the run's start, as a rebuilt state
        # reads it from the run id.
        tried = utc_timestamp(run_started_at(self.crawler))
        meta = {"url": item.url, "kind": item.kind, "lastmod": lastmod, "rejected_at": tried}
        return {**asdict(item), "lastmod": lastmod}, meta

    def failed_before(self, item: Reject) -> bool:
        """Tell whether the reject is of a page fetched again that had failed before."""
        if self.state is None or not item.url or item.kind in DOWNLOAD_REJECTS:
            return False
        try:
            return self.state.failed_before(item.url) is not None  # the key it was registered by
        except StateError as exc:
            self._stop(exc)
            return False

    def written(self, item: Any) -> None:
        """Count it as ``newscrawl/rejects/<kind>``, and in ``FAILED_AGAIN`` when the page
        had failed before; end its way here.

        Counted as the writer takes it, not when its batch is published (as records are):
        these count pages the crawl saw and how they failed, which stays true of a reject
        whose batch is then discarded.

        A Reject goes no further than the rejects file: a DropItem logged at DEBUG keeps it
        out of Scrapy's feed exports (``-O f.jsonl``), which get records only.
        """
        self.crawler.stats.inc_value(f"newscrawl/rejects/{item.kind}")
        if self.failed_before(item):
            self.crawler.stats.inc_value(FAILED_AGAIN)
        raise DropItem(f"reject {item.kind} {item.url}: in the rejects file", log_level="DEBUG")


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
