"""What a run did, for people and for cron: a JSON report, a summary and an exit code.

:class:`RunReport` is a Scrapy extension: when the spider closes it turns the crawl's stats
into a report, writes it next to the output (``<out>/<site>/<day>/<run_id>.report.json``)
and logs the summary, so ``newscrawl crawl``, ``scrapy crawl`` and scrapyd all get one.
:class:`Progress` shows a one-line progress display while a crawl runs on a terminal.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from newscrawl.items import FIELD_NAMES

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1


def run_id_for(crawler: Crawler) -> str:
    """Return the run's id: ``NEWSCRAWL_RUN_ID``, else the UTC start time, fixed per crawler."""
    run_id = getattr(crawler, "_newscrawl_run_id", None)
    if run_id is None:
        run_id = crawler.settings.get("NEWSCRAWL_RUN_ID") or datetime.now(UTC).strftime(
            "%Y%m%dT%H%M%SZ"
        )
        crawler._newscrawl_run_id = run_id  # type: ignore[attr-defined]
    return str(run_id)


def _sum(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix): v for k, v in sorted(stats.items()) if k.startswith(prefix)}


def build_report(
    stats: dict[str, Any],
    *,
    site: str,
    run_id: str,
    duration: float,
    thresholds: dict[str, float],
    max_error_rate: float,
) -> dict[str, Any]:
    """Return the run report for a crawl's ``stats``: counts, coverage, verdict and exit code.

    A run fails when its output stopped, when articles were fetched but no record was
    written, when the share of article pages that failed exceeds ``max_error_rate``, or
    when a field's coverage is below its threshold.
    """
    records = int(stats.get("newscrawl/records", 0))
    fetched = int(stats.get("newscrawl/articles/fetched", 0))
    failed_pages = int(stats.get("newscrawl/articles/failed", 0))
    pages = int(stats.get("response_received_count", 0))
    coverage = {
        name: round(stats.get(f"newscrawl/coverage/{name}", 0) / records, 4) if records else None
        for name in FIELD_NAMES
    }
    rejects = _sum(stats, "newscrawl/rejects/")
    errors = {
        **{f"extract/{k}": v for k, v in _sum(stats, "newscrawl/extract/").items()},
        **_sum(stats, "newscrawl/errors/"),
        **{
            f"status/{k}": v
            for k, v in _sum(stats, "downloader/response_status_count/").items()
            if not k.startswith(("2", "3"))
        },
        **{
            f"exception/{k.rsplit('.', 1)[-1]}": v
            for k, v in _sum(stats, "downloader/exception_type_count/").items()
        },
    }
    attempted = fetched + failed_pages
    error_rate = round(failed_pages / attempted, 4) if attempted else 0.0
    failures: list[str] = []
    if output_error := stats.get("newscrawl/output_error"):
        failures.append(f"output stopped: {output_error}")
    if attempted and not records and not stats.get("newscrawl/duplicates/unchanged"):
        failures.append(f"{attempted} article pages were due but no record was written")
    if error_rate > max_error_rate:
        failures.append(f"error rate {error_rate:.1%} is over the limit {max_error_rate:.1%}")
    for name, minimum in thresholds.items():
        share = coverage.get(name)
        if records and share is not None and share < minimum:
            failures.append(f"coverage of {name} {share:.1%} is under its threshold {minimum:.1%}")
    return {
        "site": site,
        "run_id": run_id,
        "status": "failed" if failures else "ok",
        "exit_code": EXIT_FAILED if failures else EXIT_OK,
        "failures": failures,
        "finish_reason": stats.get("finish_reason"),
        "duration_seconds": round(duration, 3),
        "pages_fetched": pages,
        "pages_per_second": round(pages / duration, 2) if duration > 0 else None,
        "articles_fetched": fetched,
        "records_written": records,
        "revisions": int(stats.get("newscrawl/revisions", 0)),
        "rejects": sum(rejects.values()),
        "rejects_by_kind": rejects,
        "duplicates_skipped": {
            "page": int(stats.get("newscrawl/duplicates/page", 0)),
            "unchanged": int(stats.get("newscrawl/duplicates/unchanged", 0)),
        },
        "duplicates_flagged": int(stats.get("newscrawl/duplicates/content", 0)),
        "skipped": _sum(stats, "newscrawl/skipped/"),
        "retries": int(stats.get("retry/count", 0)),
        "errors": errors,
        "error_rate": error_rate,
        "coverage": coverage,
        "coverage_thresholds": thresholds,
        "output_files": list(stats.get("newscrawl/output_files", [])),
    }


def summary(report: dict[str, Any]) -> str:
    """Return a few lines a person reads after a run."""
    skipped = report["duplicates_skipped"]
    lines = [
        f"{report['site']} run {report['run_id']}: {report['status'].upper()} "
        f"in {report['duration_seconds']:.1f} s ({report['pages_per_second'] or 0} pages/s)",
        f"pages fetched: {report['pages_fetched']}, records written: {report['records_written']}"
        f", revisions: {report['revisions']}, rejects: {report['rejects']}"
        f", duplicates skipped: {skipped['page'] + skipped['unchanged']}"
        f", known articles not fetched: {report['skipped'].get('known', 0)}",
    ]
    if not report["records_written"] and not report["failures"]:
        lines.append("no new records: nothing changed since the last run")
    if report["errors"]:
        lines.append("errors: " + ", ".join(f"{k} {v}" for k, v in report["errors"].items()))
    low = [f"{k} {v:.0%}" for k, v in report["coverage"].items() if v is not None and v < 1]
    if low:
        lines.append("coverage under 100%: " + ", ".join(low))
    lines.extend(f"FAILED: {reason}" for reason in report["failures"])
    lines.extend(f"  {path}" for path in report["output_files"])
    if report.get("report_path"):
        lines.append(f"  report: {report['report_path']}")
    return "\n".join(lines)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON to ``path`` through a temp file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.part")
    try:
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class RunReport:
    """Scrapy extension: build, write and log the run report when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started = time.monotonic()
        self.report: dict[str, Any] | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Create the extension for a crawl."""
        return cls(crawler)

    def spider_opened(self) -> None:
        """Start the run's clock."""
        self.started = time.monotonic()

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Write the report next to the output and log its summary."""
        settings = self.crawler.settings
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        site = getattr(spider, "site", None) or spider.name
        run_id = run_id_for(self.crawler)
        report = build_report(
            stats,
            site=site,
            run_id=run_id,
            duration=time.monotonic() - self.started,
            thresholds={
                k: float(v) for k, v in settings.getdict("NEWSCRAWL_COVERAGE_THRESHOLDS").items()
            },
            max_error_rate=settings.getfloat("NEWSCRAWL_MAX_ERROR_RATE"),
        )
        day = datetime.now(UTC).date().isoformat()
        path = (
            Path(settings.get("NEWSCRAWL_OUTPUT_DIR", "out")) / site / day / f"{run_id}.report.json"
        )
        report["report_path"] = str(path)
        try:
            write_json_atomic(path, report)
        except OSError as exc:
            logger.error("Cannot write the run report %s: %s", path, exc)
            report["report_path"] = None
        self.report = report
        logger.info("Run summary:\n%s", summary(report))


class Progress:
    """Scrapy extension: a one-line progress display on stderr, only when it is a terminal."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Enable the display when stderr is a TTY and NEWSCRAWL_PROGRESS is on."""
        if not crawler.settings.getbool("NEWSCRAWL_PROGRESS", True) or not sys.stderr.isatty():
            raise NotConfigured
        return cls(crawler, crawler.settings.getfloat("NEWSCRAWL_PROGRESS_INTERVAL", 1.0))

    def line(self) -> str:
        """Return the current progress line."""
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        elapsed = max(time.monotonic() - self.started, 1e-9)
        pages = stats.get("response_received_count", 0)
        try:
            scheduler = self.crawler.engine.scheduler
        except RuntimeError:  # the crawl has not started
            scheduler = None
        pending = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        records = stats.get("newscrawl/records", 0)
        rejects = sum(v for k, v in stats.items() if k.startswith("newscrawl/rejects/"))
        return (
            f"{pages} pages ({pages / elapsed:.1f}/s), {records} records, "
            f"{rejects} rejects, {pending} queued"
        )

    def spider_opened(self) -> None:
        """Start drawing."""
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.draw)
        self.loop.start(self.interval, now=False)

    def draw(self) -> None:
        """Redraw the progress line in place."""
        sys.stderr.write("\r\x1b[2K" + self.line())
        sys.stderr.flush()

    def spider_closed(self) -> None:
        """Stop drawing and end the line."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
            sys.stderr.write("\n")
