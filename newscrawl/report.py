"""What a run did, for people and for cron: a JSON report, a summary and an exit code.

:class:`RunReport` is a Scrapy extension: when the spider closes it turns the crawl's stats
into a report, writes it next to the output (``<out>/<site>/<day>/<run_id>.report.json``)
and logs the summary, so ``newscrawl crawl``, ``scrapy crawl`` and scrapyd all get one.
:class:`Progress` shows a one-line progress display while a crawl runs on a terminal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.reactor import is_reactor_installed
from twisted.internet import task

from newscrawl.items import FIELD_NAMES
from newscrawl.robotstxt import UNAVAILABLE
from newscrawl.storage.runlock import EXIT_ALREADY_RUNNING

logger = logging.getLogger(__name__)

EXIT_OK = 0
"""Exit code and report ``exit_code`` of a run that did its job."""
EXIT_FAILED = 1
"""Exit code and report ``exit_code`` of a run that failed; ``failures`` says why."""

REQUESTS = "newscrawl/requests"
"""Stats prefix of requests by final outcome (``ok``, ``failed``), counted by RequestOutcomes."""
ENTRY_POINTS = "newscrawl/entry_points"
"""Stats prefix of the profile's entry points: ``total`` and ``fetched`` (set by the spider);
in distributed mode also ``fetched_by_crawl``, those any worker fetched (the scheduler)."""
SITE_FAILURE = "newscrawl/site_failure"
"""Stat a spider sets to one line saying why the site could not be crawled at all (a URL
crawl of an address that is not a news portal); the report fails the run with it."""
LEASE_LOST = "newscrawl/lease_lost"
"""Stat: why a distributed worker stopped when its run lease expired under it; the report
fails the run with it."""
PAGES = "newscrawl/pages"
"""Stats prefix of the pages a URL crawl fetched, by the type the generic extractor gave them
(``article``, ``listing``, ``gallery``, ``video``, ``other``) and ``home``."""
FAILED_AGAIN = "newscrawl/articles/failed_again"
"""Stat of the article pages fetched that gave no record and had failed in an earlier run
(a cut page, an empty 200...: retried by later runs until it gives a record), counted by
the rejects writer from the state. They are left out of "fetched but no record"."""
LEASED_ELSEWHERE = "newscrawl/frontier/leased_elsewhere"
"""Stat (distributed mode): the requests other workers held, their lease running, when this
worker finished (``RedisScheduler``); ``LEASED_TO`` names those workers. A worker that
died keeps its requests until its lease expires: the crawl is not over, though this
worker had nothing left to do."""
LEASED_TO = "newscrawl/frontier/leased_to"
"""Stat (distributed mode): the sorted names of the workers :data:`LEASED_ELSEWHERE` counts."""
DEFERRED = "newscrawl/skipped/deferred"
"""Stat of the articles not fetched because they failed in runs in a row and wait out their
failed-page backoff (``NEWSCRAWL_FAILED_PAGE_BACKOFF``), counted once per article."""
OPTIONAL_META = "newscrawl_optional"
"""Request meta: a guessed URL (``/sitemap.xml`` when robots.txt names no sitemap) whose
absence is no error; RequestOutcomes leaves it out of the error rate."""


def run_started_at(crawler: Crawler) -> datetime:
    """Return when the run started (aware, UTC), fixed per crawler at the first call.

    The run's id, the day folder of its batches and of its report, and the report's
    ``started_at`` all come from this one moment, so a run that crosses midnight keeps
    to the folder of the day it started.
    """
    started = getattr(crawler, "_newscrawl_started_at", None)
    if started is None:
        started = datetime.now(UTC)
        crawler._newscrawl_started_at = started  # type: ignore[attr-defined]
    return started


def run_day(crawler: Crawler) -> str:
    """Return the run's day folder name, ``YYYY-MM-DD``: the UTC day the run started."""
    return run_started_at(crawler).date().isoformat()


def run_id_for(crawler: Crawler) -> str:
    """Return the run's id: ``NEWSCRAWL_RUN_ID``, else the UTC start time, fixed per crawler."""
    run_id = getattr(crawler, "_newscrawl_run_id", None)
    if run_id is None:
        run_id = crawler.settings.get("NEWSCRAWL_RUN_ID") or run_started_at(crawler).strftime(
            "%Y%m%dT%H%M%SZ"
        )
        crawler._newscrawl_run_id = run_id  # type: ignore[attr-defined]
    return str(run_id)


def utc_timestamp(moment: datetime) -> str:
    """Return ``moment`` as ISO 8601 in UTC, to the second: ``2016-03-25T09:00:00+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


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
    started_at: str | None = None,
    finished_at: str | None = None,
) -> dict[str, Any]:
    """Return the run report for a crawl's ``stats``: counts, coverage, verdict and exit code.

    A run fails (status ``failed``, exit code 1, each reason in ``failures``) when:

    - the crawl could not start (``finish_reason`` ``start_error``) or was shut down;
    - its output stopped (disk full, unwritable folder);
    - it had entry points and none of them could be fetched;
    - every request it made failed;
    - the share of failed requests of any kind (entry points, listings, sitemaps and
      articles; robots.txt and requests dropped on purpose left out) is over
      ``max_error_rate``;
    - article pages were fetched but no record was written, not counting pages that failed
      in an earlier run and failed again (``FAILED_AGAIN``): a page the portal always
      serves cut must not fail every run, but fresh pages that give no record do;
    - a robots.txt could not be read (a 5xx, no answer), so its host was not crawled;
    - a field's coverage is under its threshold.

    A worker of a distributed crawl that finished while other workers held requests
    (``leased_elsewhere``: a dead worker's, until its lease expires) did not fail: the work
    was not its to do, and comes back for a live worker or the next run.
    """
    records = int(stats.get("newscrawl/records", 0))
    fetched = int(stats.get("newscrawl/articles/fetched", 0))
    failed_pages = int(stats.get("newscrawl/articles/failed", 0))
    failed_again = min(int(stats.get(FAILED_AGAIN, 0)), fetched)
    pages = int(stats.get("response_received_count", 0))
    requests_ok = int(stats.get(f"{REQUESTS}/ok", 0))
    requests_failed = int(stats.get(f"{REQUESTS}/failed", 0))
    entry_total = int(stats.get(f"{ENTRY_POINTS}/total", 0))
    entry_fetched = int(stats.get(f"{ENTRY_POINTS}/fetched", 0))
    # distributed mode: the profile's entry points any worker of the generation fetched
    entry_crawl = int(stats.get(f"{ENTRY_POINTS}/fetched_by_crawl", 0))
    reason = stats.get("finish_reason")
    # Coverage is counted by the records writer, for the records of each batch it publishes:
    # a share of the records written (in published files), never over 1. Stats that count
    # records but no coverage came from another writer: unknown rather than nil.
    counted = records and any(key.startswith("newscrawl/coverage/") for key in stats)
    coverage = {
        name: round(stats.get(f"newscrawl/coverage/{name}", 0) / records, 4) if counted else None
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
    requests = requests_ok + requests_failed
    error_rate = round(requests_failed / requests, 4) if requests else 0.0
    failures: list[str] = []
    if reason == "start_error":
        failures.append("the crawl could not start (finish reason start_error; see the log)")
    elif reason == "shutdown":
        failures.append("the run was interrupted before it finished (finish reason shutdown)")
    if output_error := stats.get("newscrawl/output_error"):
        failures.append(f"output stopped: {output_error}")
    if site_failure := stats.get(SITE_FAILURE):
        failures.append(str(site_failure))
    if lease_lost := stats.get(LEASE_LOST):
        failures.append(str(lease_lost))
    if (robots_failure := stats.get(UNAVAILABLE)) and str(robots_failure) not in failures:
        failures.append(str(robots_failure))  # unless it is why the site failed, said above
    # A crawl by URL whose start URL failed (SITE_FAILURE with no entry point fetched: a
    # 404, no HTML, robots.txt forbids it) has said why in one line above: that no entry
    # point and no request answered follows from it, and is not said again.
    if not (site_failure and not entry_fetched):
        if entry_total and not entry_fetched and not entry_crawl:
            failures.append(f"no entry point could be fetched (0 of {entry_total})")
        if requests_failed and not requests_ok:
            failures.append(f"every request failed ({requests_failed})")
        elif error_rate > max_error_rate:
            failures.append(
                f"error rate {error_rate:.1%} ({requests_failed} of {requests} requests failed) "
                f"is over the limit {max_error_rate:.1%}"
            )
    fresh = fetched - failed_again
    if fresh and not records and not stats.get("newscrawl/duplicates/unchanged"):
        again = f" ({failed_again} more failed again, as in an earlier run)" if failed_again else ""
        failures.append(f"{fresh} article pages were fetched but no record was written{again}")
    for name, minimum in thresholds.items():
        share = coverage.get(name)
        if records and share is not None and share < minimum:
            failures.append(
                f"coverage of {name} {share:.1%} is under its threshold {minimum:.1%}"
                f" (if the portal changed its markup, `newscrawl profile check {site}"
                " --pages DIR` on saved pages shows which selectors stopped matching)"
            )
    return {
        "site": site,
        "run_id": run_id,
        "status": "failed" if failures else "ok",
        "exit_code": EXIT_FAILED if failures else EXIT_OK,
        "failures": failures,
        "finish_reason": reason,
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_seconds": round(duration, 3),
        "entry_points": {"total": entry_total, "fetched": entry_fetched}
        | ({"fetched_by_crawl": entry_crawl} if entry_crawl else {}),
        "requests": {"ok": requests_ok, "failed": requests_failed},
        "pages_fetched": pages,
        "pages_per_second": round(pages / duration, 2) if duration > 0 else None,
        "articles_fetched": fetched,
        "articles_failed": failed_pages,
        "articles_failed_again": failed_again,
        "articles_deferred": int(stats.get(DEFERRED, 0)),
        "records_written": records,
        "revisions": int(stats.get("newscrawl/revisions", 0)),
        "rejects": sum(rejects.values()),
        "rejects_by_kind": rejects,
        "duplicates_skipped": {
            "page": int(stats.get("newscrawl/duplicates/page", 0)),
            "unchanged": int(stats.get("newscrawl/duplicates/unchanged", 0)),
        },
        "duplicates_flagged": int(stats.get("newscrawl/duplicates/content", 0)),
        "leased_elsewhere": {
            "requests": int(stats.get(LEASED_ELSEWHERE, 0)),
            "workers": list(stats.get(LEASED_TO, [])),
        },
        "urls_repaired": {
            "repaired": int(stats.get("newscrawl/urls/repaired", 0)),
            "dropped": int(stats.get("newscrawl/urls/dropped", 0)),
        },
        "skipped": _sum(stats, "newscrawl/skipped/"),
        "pages_by_type": _sum(stats, f"{PAGES}/"),
        "retries": int(stats.get("retry/count", 0)),
        "errors": errors,
        "error_rate": error_rate,
        "coverage": coverage,
        "coverage_thresholds": thresholds,
        "output_files": list(stats.get("newscrawl/output_files", [])),
    }


NOT_CONTENT = frozenset({"duplicate_of", "free_access"})
"""Fields that are null by design on most records (no copy, no word on access): left out of
the summary's coverage line."""


def _outcome(report: dict[str, Any]) -> str | None:
    """Return the summary's line on a run that wrote no record and did not fail, else None."""
    if report["records_written"] or report["failures"]:
        return None
    skipped = report["skipped"]
    before_since = skipped.get("before_since", 0)
    known = skipped.get("known", 0) + report["duplicates_skipped"]["unchanged"]
    entry_points = report.get("entry_points") or {}
    fetched_anywhere = entry_points.get("fetched") or entry_points.get("fetched_by_crawl")
    if entry_points.get("total") and not fetched_anywhere:
        return "no new records: no entry point was fetched"
    if before_since:
        return f"no new records: {before_since} entries were older than --since"
    if known:
        return "no new records: nothing changed since the last run"
    if report.get("articles_deferred") and not report["articles_fetched"]:
        return (
            "no new records: the only articles due failed in runs in a row and wait for a "
            "later run (failed-page backoff)"
        )
    fetched = report["articles_fetched"]
    if fetched and fetched == report.get("articles_failed_again"):
        return "no new records: the only articles fetched failed before and failed again"
    if fetched:
        return "no new records: no article page gave a record (see rejects)"
    leased = report.get("leased_elsewhere") or {}
    if requests := leased.get("requests"):
        # Not "listed no articles": the listings may be among them, or their articles were
        # fetched by a worker that died before it published the records.
        names = list(leased.get("workers") or ())
        if len(names) == 1:
            back = "if it died, they go back to the queue when its lease expires, for the next run"
            holder = "another worker"
        else:
            back = (
                "if one died, its requests go back to the queue when its lease expires, for a "
                "live worker or the next run"
            )
            holder = "other workers"
        return (
            f"no new records: {requests} requests are still leased to {holder} "
            f"({', '.join(names)}); {back}"
        )
    return "no new records: the entry points listed no articles"


def summary(report: dict[str, Any]) -> str:
    """Return a few lines a person reads after a run."""
    duplicates = report["duplicates_skipped"]
    skipped = report["skipped"]
    lines = [
        f"{report['site']} run {report['run_id']}: {report['status'].upper()} "
        f"in {report['duration_seconds']:.1f} s ({report['pages_per_second'] or 0} pages/s)",
        f"pages fetched: {report['pages_fetched']}, records written: {report['records_written']}"
        f", revisions: {report['revisions']}, rejects: {report['rejects']}"
        f", duplicates skipped: {duplicates['page'] + duplicates['unchanged']}",
    ]
    not_fetched = []
    if known := skipped.get("known", 0):
        not_fetched.append(f"{known} known articles (unchanged since the last run)")
    if before_since := skipped.get("before_since", 0):
        not_fetched.append(f"{before_since} entries older than --since")
    if over_budget := skipped.get("max_pages", 0):
        not_fetched.append(f"{over_budget} pages over --max-pages")
    if too_long := skipped.get("url_too_long", 0):
        not_fetched.append(f"{too_long} links longer than URLLENGTH_LIMIT")
    if forbidden := skipped.get("robots_forbidden", 0):
        not_fetched.append(f"{forbidden} links robots.txt forbids")
    if barren := skipped.get("barren_listings", 0):
        not_fetched.append(
            f"{barren} listing links of pages that linked nothing new"
            " (NEWSCRAWL_MAX_BARREN_LISTINGS)"
        )
    if deferred := report.get("articles_deferred"):
        not_fetched.append(
            f"{deferred} articles that failed in runs in a row (backoff: a later run tries them)"
        )
    if not_fetched:
        lines.append("not fetched: " + ", ".join(not_fetched))
    if failed_again := report.get("articles_failed_again"):
        lines.append(
            f"failed again: {failed_again} article pages that failed in an earlier run"
            " (see rejects; a later run tries them again)"
        )
    if by_type := report.get("pages_by_type"):
        lines.append("pages by type: " + ", ".join(f"{k} {v}" for k, v in by_type.items()))
    if outcome := _outcome(report):
        lines.append(outcome)
    if report["errors"]:
        lines.append("errors: " + ", ".join(f"{k} {v}" for k, v in report["errors"].items()))
    urls = report.get("urls_repaired") or {}
    if urls.get("repaired") or urls.get("dropped"):
        lines.append(
            f"optional URLs repaired: {urls.get('repaired', 0)}, dropped: {urls.get('dropped', 0)}"
        )
    low = [
        f"{k} {v:.0%}"
        for k, v in report["coverage"].items()
        if v is not None and v < 1 and k not in NOT_CONTENT
    ]
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


def report_path(settings: Any, site: str, day: str, name: str) -> Path:
    """Return where a run's report goes: ``<NEWSCRAWL_OUTPUT_DIR>/<site>/<day>/<name>``."""
    return Path(settings.get("NEWSCRAWL_OUTPUT_DIR", "out")) / site / day / name


def write_skipped_report(crawler: Crawler, site: str, reason: str) -> dict[str, Any]:
    """Write and return the report of a run that did not start because another run holds
    the lock: status ``skipped``, exit code 75, ``reason`` saying which run holds it.

    It goes to ``<out>/<site>/<day>/<run_id>.skipped.report.json``, so that it never
    replaces the report of the run holding the lock, even one with the same run id. A
    report that cannot be written is logged, not raised: the refusal stands either way.
    """
    started = utc_timestamp(run_started_at(crawler))
    run_id = run_id_for(crawler)
    report: dict[str, Any] = {
        "site": site,
        "run_id": run_id,
        "status": "skipped",
        "exit_code": EXIT_ALREADY_RUNNING,
        "failures": [],
        "reason": reason,
        "finish_reason": "locked",
        "started_at": started,
        "finished_at": utc_timestamp(datetime.now(UTC)),
    }
    path = report_path(crawler.settings, site, run_day(crawler), f"{run_id}.skipped.report.json")
    try:
        write_json_atomic(path, report)
        report["report_path"] = str(path)
    except OSError as exc:
        logger.error("Cannot write the run report %s: %s", path, exc)
        report["report_path"] = None
    logger.info("Run skipped: %s (report: %s)", reason, report["report_path"])
    return report


class RunReport:
    """Scrapy extension: build, write and log the run report when the spider closes, or
    when the reactor stops with the spider still open.

    A second SIGTERM or Ctrl-C makes Scrapy's ``CrawlerProcess`` stop the reactor at once
    (``_signal_kill``), in the middle of the spider's closing: ``spider_closed`` never
    comes, no pipeline closes, and the open batch stays a temp file. So from the spider's
    opening to its closing the extension also waits for the reactor's shutdown (a system
    event trigger, after its last callbacks ran) and writes the report then, with finish
    reason ``shutdown``, from the stats as they stand: they count and list only the batches
    published (see ``BatchWriterPipeline``). ``newscrawl crawl``, ``scrapy crawl`` and
    scrapyd, which all run the crawl in a ``CrawlerProcess``, get it alike. Without a
    Twisted reactor (Scrapy's ``TWISTED_REACTOR_ENABLED = False``) there is none to wait
    for, and a forced stop writes no report.

    The summary goes to the log unless ``NEWSCRAWL_LOG_SUMMARY`` is off (``newscrawl
    crawl`` turns it off and prints the summary on stdout instead, so that it appears
    once when stdout and stderr go to the same log file).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started = time.monotonic()
        run_started_at(crawler)
        self.report: dict[str, Any] | None = None
        self._open_spider: Any = None
        """The spider from its opening until the report is written, else None."""
        self._shutdown_trigger: Any = None
        """The id of the reactor's shutdown trigger while one is registered, else None."""
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Create the extension for a crawl."""
        return cls(crawler)

    def spider_opened(self, spider: Any = None) -> None:
        """Start the run's clock, and have the reactor's shutdown write the report if the
        spider is still open then (:meth:`reactor_stopped`)."""
        self.started = time.monotonic()
        self._open_spider = spider
        if spider is not None and self._shutdown_trigger is None and is_reactor_installed():
            from twisted.internet import reactor

            self._shutdown_trigger = reactor.addSystemEventTrigger(
                "after", "shutdown", self.reactor_stopped
            )

    def reactor_stopped(self) -> None:
        """Write the report of a run whose reactor stopped before its spider closed (a
        forced stop), with finish reason ``shutdown``; do nothing once the report is
        written or before the spider opened."""
        self._shutdown_trigger = None  # a trigger runs once
        spider = self._open_spider
        if spider is not None and self.report is None:
            self.spider_closed(spider, "shutdown")

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Write the report next to the output (in the day folder of the run's start) and
        log its summary; the reactor's shutdown then has nothing left to write."""
        self._open_spider = None
        trigger, self._shutdown_trigger = self._shutdown_trigger, None
        if trigger is not None:
            from twisted.internet import reactor

            with contextlib.suppress(ValueError):  # never in the way of the report
                reactor.removeSystemEventTrigger(trigger)
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
            started_at=utc_timestamp(run_started_at(self.crawler)),
            finished_at=utc_timestamp(datetime.now(UTC)),
        )
        path = report_path(settings, site, run_day(self.crawler), f"{run_id}.report.json")
        report["report_path"] = str(path)
        try:
            write_json_atomic(path, report)
        except OSError as exc:
            logger.error("Cannot write the run report %s: %s", path, exc)
            report["report_path"] = None
        self.report = report
        if settings.getbool("NEWSCRAWL_LOG_SUMMARY", True):
            logger.info("Run summary:\n%s", summary(report))
        else:
            logger.info("Run %s: %s (report: %s)", run_id, report["status"], report["report_path"])


OUTCOME_META = "newscrawl_outcome"
"""Request meta: how :class:`RequestOutcomes` counted the request ("ok" or "failed")."""
ANSWERED_META = "newscrawl_answered"
"""Request meta: the URL of the request whose response came from the network
(:class:`ResponseArrivals`), so that an error raised over that response is known for a
download that failed, not a request dropped before it went out."""


class RequestOutcomes:
    """Downloader middleware: count each request once, by its final outcome.

    It sits outside retries and redirects, so it sees what they finally gave: a response
    (``newscrawl/requests/ok`` below 400, ``newscrawl/requests/failed`` from 400) or an
    exception (``failed``). Requests dropped on purpose (``IgnoreRequest``: robots.txt
    rules, off-site) and robots.txt itself are not counted. A response that an inner
    middleware turned into an error (a redirect loop, a body over the size limit once
    decompressed, a body that is not the gzip it claims) never reaches it: the spider's
    errback counts those (:func:`count_failure`). The report's error rate and "every
    request failed" come from these counts.
    """

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the middleware with the crawl's stats."""
        return cls(crawler.stats)

    @staticmethod
    def _counted(request: Any) -> bool:
        return urlsplit(request.url).path != "/robots.txt" and not request.meta.get(OPTIONAL_META)

    def process_response(self, request: Any, response: Any) -> Any:
        """Count the final response as ok or failed by its status; return it unchanged."""
        if self._counted(request):
            outcome = "failed" if response.status >= 400 else "ok"
            self.stats.inc_value(f"{REQUESTS}/{outcome}")
            request.meta[OUTCOME_META] = outcome
        return response

    def process_exception(self, request: Any, exception: BaseException) -> None:
        """Count a final download error as failed; let it go on."""
        if self._counted(request) and not isinstance(exception, IgnoreRequest):
            self.stats.inc_value(f"{REQUESTS}/failed")
            request.meta[OUTCOME_META] = "failed"


class ResponseArrivals:
    """Downloader middleware, innermost: mark each request whose response came from the
    network (:data:`ANSWERED_META`), before any other middleware reads the response."""

    def process_response(self, request: Any, response: Any) -> Any:
        """Mark ``request`` as answered; return ``response`` unchanged."""
        request.meta[ANSWERED_META] = request.url
        return response


def count_as_failed(stats: Any, request: Any) -> None:
    """Count ``request``, which :class:`RequestOutcomes` counted as ok, as failed instead:
    its response came but cannot be used (a listing whose markup is past the limits), so
    it weighs in the error rate as a failed download does. No request: nothing to count."""
    if request is not None and RequestOutcomes._counted(request):
        stats.inc_value(f"{REQUESTS}/ok", -1)
        stats.inc_value(f"{REQUESTS}/failed")
        request.meta[OUTCOME_META] = "failed"


def count_failure(stats: Any, request: Any, *, deliberate: bool = False) -> None:
    """Count the request of a failed download that :class:`RequestOutcomes` did not count
    as failed: an HTTP error it counted as ok (a 3xx that no redirect followed), or an
    error raised over a response that came (a redirect loop, a decompression bomb, a body
    that is not the gzip it claims). ``deliberate``: the failure is the crawl's own choice
    (an off-site redirect refused), not counted. A request dropped before it went out
    (robots.txt) got no response and is not counted either."""
    if request is None or deliberate or not RequestOutcomes._counted(request):
        return
    outcome = request.meta.get(OUTCOME_META)
    if outcome == "ok":
        count_as_failed(stats, request)
    elif outcome is None and request.meta.get(ANSWERED_META) == request.url:
        stats.inc_value(f"{REQUESTS}/failed")
        request.meta[OUTCOME_META] = "failed"


class Progress:
    """Scrapy extension: a one-line progress display on stderr, only when it is a terminal.

    It counts the records written so far, the open batch's included (the report counts
    only those in published files).

    Log lines that go to the same terminal erase the progress line before they print, so
    they never share a line with it; the next tick draws it again below them.
    """

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        self.drawn = False
        """True while a progress line is on the terminal."""
        self.handlers: list[logging.Handler] = []
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
        # Records leave the last pipeline once the writer accepted them: Scrapy counts those.
        # newscrawl/records counts the published ones, which would stand still for as long
        # as a batch stays open (NEWSCRAWL_BATCH_SECONDS, 10 minutes by default).
        records = stats.get("item_scraped_count", 0)
        rejects = sum(v for k, v in stats.items() if k.startswith("newscrawl/rejects/"))
        return (
            f"{pages} pages ({pages / elapsed:.1f}/s), {records} records, "
            f"{rejects} rejects, {pending} queued"
        )

    def spider_opened(self) -> None:
        """Start drawing, and have log lines to the terminal clear the line first."""
        self.started = time.monotonic()
        for handler in logging.getLogger().handlers:
            if getattr(handler, "stream", None) is sys.stderr:
                handler.addFilter(self._clear_before_log)
                self.handlers.append(handler)
        self.loop = task.LoopingCall(self.draw)
        self.loop.start(self.interval, now=False)

    def _clear_before_log(self, record: logging.LogRecord) -> bool:
        """Log filter that never filters: it erases a drawn progress line, so the log line
        starts on an empty line instead of being appended to the progress text."""
        self.clear()
        return True

    def clear(self) -> None:
        """Erase the progress line if one is drawn (the cursor goes back to column 0)."""
        if self.drawn:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
            self.drawn = False

    def draw(self) -> None:
        """Redraw the progress line in place."""
        sys.stderr.write("\r\x1b[2K" + self.line())
        sys.stderr.flush()
        self.drawn = True

    def spider_closed(self) -> None:
        """Stop drawing, erase the line and stop watching the log."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.clear()
        for handler in self.handlers:
            handler.removeFilter(self._clear_before_log)
        self.handlers.clear()
