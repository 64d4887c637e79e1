"""Item pipelines, in order: validate, deduplicate, write.

Each is configured from ``NEWSCRAWL_*`` settings in ``from_crawler`` and counts
what it does in the crawl's stats under ``newscrawl/…``. Nothing is dropped
without a counter and a log line; invalid records and failed pages go to the
rejects file.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from newscrawl.items import Reject
from newscrawl.output import BatchWriter, OutputError
from newscrawl.processors import canonicalize_url
from newscrawl.schema import record_errors

logger = logging.getLogger(__name__)


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
        record = ItemAdapter(item).asdict()
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


class DedupPipeline:
    """Drop a record whose page was already written in this run; flag copies of equal text.

    A page is the same when its canonical URL (or its URL, canonicalised) was seen.
    A record whose fingerprint matches an earlier record of another page is kept,
    with ``duplicate_of`` set to that page's URL.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen_pages: set[str] = set()
        self.seen_fingerprints: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the pipeline with the crawl's stats."""
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Return the record (maybe flagged), raise DropItem for a page written before."""
        if isinstance(item, Reject):
            return item
        keys = {canonicalize_url(item["url"])}
        if item.get("canonical_url"):
            keys.add(canonicalize_url(item["canonical_url"]))
        if keys & self.seen_pages:
            self.stats.inc_value("newscrawl/duplicates/page")
            raise DropItem(f"duplicate page {item['url']} (already written in this run)")
        self.seen_pages |= keys
        first = self.seen_fingerprints.setdefault(item["fingerprint"], item["url"])
        if first != item["url"]:
            item["duplicate_of"] = first
            self.stats.inc_value("newscrawl/duplicates/content")
        return item


class JsonLinesWriterPipeline:
    """Write records and rejects as UTF-8 JSON Lines through :class:`~newscrawl.output.BatchWriter`.

    Our own writer rather than feed exports: batches are published by atomic rename
    only when complete, rotate by count or age, and a disk-full error stops the crawl.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.root = Path(settings.get("NEWSCRAWL_OUTPUT_DIR", "out"))
        self.run_id = settings.get("NEWSCRAWL_RUN_ID") or datetime.now(UTC).strftime(
            "%Y%m%dT%H%M%SZ"
        )
        self.options: dict[str, Any] = {
            "max_records": settings.getint("NEWSCRAWL_BATCH_RECORDS", 5000),
            "max_seconds": settings.getfloat("NEWSCRAWL_BATCH_SECONDS", 600.0),
            "compress": settings.getbool("NEWSCRAWL_GZIP", False),
        }
        self.records: BatchWriter | None = None
        self.rejects: BatchWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the writer from the crawl's NEWSCRAWL_* settings."""
        return cls(crawler)

    def open_spider(self) -> None:
        """Open the records and rejects writers for this run."""
        site = getattr(self.crawler.spider, "site", None) or self.crawler.spider.name
        self.records = BatchWriter(self.root, site, self.run_id, kind="records", **self.options)
        self.rejects = BatchWriter(self.root, site, self.run_id, kind="rejects", **self.options)

    def process_item(self, item: Any) -> Any:
        """Write the item to the records file, or a Reject to the rejects file."""
        if self.records is None or self.rejects is None:
            raise RuntimeError("the writer pipeline was not opened")
        try:
            if isinstance(item, Reject):
                self.rejects.write(asdict(item))
                self.crawler.stats.inc_value(f"newscrawl/rejects/{item.kind}")
            else:
                self.records.write(item)
                self.crawler.stats.inc_value("newscrawl/records")
        except OutputError as exc:
            logger.critical("Output stopped: %s", exc)
            self.crawler.stats.set_value("newscrawl/output_error", str(exc))
            if self.crawler.engine is not None:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="output_error"))
            raise DropItem(f"not written: {exc}") from exc
        return item

    def close_spider(self) -> None:
        """Publish the open batches and record the published paths in the stats."""
        for writer in (self.records, self.rejects):
            if writer is None:
                continue
            try:
                batches = writer.close()
            except OutputError as exc:
                logger.critical("Output stopped: %s", exc)
                self.crawler.stats.set_value("newscrawl/output_error", str(exc))
                continue
            for batch in batches:
                self.crawler.stats.inc_value("newscrawl/files_published")
                logger.info("Published %s (%d lines)", batch.path, batch.count)
        paths = [str(b.path) for w in (self.records, self.rejects) if w for b in w.published]
        self.crawler.stats.set_value("newscrawl/output_files", paths)
