"""Scrapy extensions: the site's state and run lock, and tuning of the crawl process itself
(the run report is in ``report.py``).

:class:`SiteState` is the one place where a crawl's run lock and state store are opened and
closed; the spider and the pipelines receive the store from it (:func:`site_state`).

:class:`OutputLock` keeps a site's output folder to one run at a time, whatever the state
folders of the runs.

:class:`GcTuning` makes CPython's cyclic garbage collector cheaper for a crawl. A crawl
process holds many long-lived objects (Scrapy, Twisted, the scheduler's requests, caches)
and makes many short-lived ones per page; with CPython's default threshold (a young
collection every 700 net allocations) the collector keeps re-scanning the long-lived ones
and promoting page objects that would have died a moment later. Measured in
``bench/README.md``: the crawl process spent 11-20% of its CPU time in the collector.

The threshold trades memory for CPU. On the 10,000-article benchmark portal the bare spider
ran at 446 pages/s and 107 MB with CPython's settings, 540 with freezing alone, 588 and
113 MB with a threshold of 5,000 (newscrawl's default), 628 and 154 MB with 20,000.

:class:`CrawlDelayAutoThrottle` is Scrapy's AutoThrottle, except that it never lowers a
host's delay below the Crawl-delay its robots.txt asks for (``middlewares.crawl_delay_floor``).
"""

from __future__ import annotations

import gc
import logging
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from newscrawl.middlewares import crawl_delay_floor
from newscrawl.report import LEASE_LOST, write_skipped_report
from newscrawl.storage.backend import RunGuard, StateBackend, open_site_state
from newscrawl.storage.output import PublishedBatch
from newscrawl.storage.runlock import AlreadyRunning, RunLock

logger = logging.getLogger(__name__)


class SiteState:
    """Hold the crawl site's run lock, output folder lock and state store from the crawl's
    start to its end.

    Built once per crawl, after the spider (whose ``site`` names the state), in this order:
    it takes the run lock (an ``flock`` in ``NEWSCRAWL_STATE_DIR``, or the worker's Redis
    lease), then the output folder's lock (:func:`take_output_lock`), then opens the store
    (``newscrawl.storage.backend.open_site_state``), and only then registers the output
    files a dead run published but never registered (``reconcile`` over
    ``NEWSCRAWL_OUTPUT_DIR``): while another run holds the output folder, a file it has
    just published and not registered yet is no dead run's. A run refused by either lock
    writes its skipped report, releases what it took and opens no state. ``AlreadyRunning``
    or ``StateError`` raised here fails the crawl before anything is fetched. When the
    engine stops (after the pipelines published their last batches and the spider closed),
    the store is closed, then the locks released.

    The writer pipelines hand it each published batch (:meth:`records_published`,
    :meth:`rejects_published`); it registers them in the store.
    """

    def __init__(
        self,
        crawler: Crawler,
        site: str,
        lock: RunGuard | None = None,
        store: StateBackend | None = None,
        output_lock: RunLock | None = None,
    ) -> None:
        self.crawler = crawler
        self.site = site
        self.lock = lock
        self.store = store
        self.output_lock = output_lock

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Take the locks and open the state; NotConfigured without a spider or state folder."""
        spider = crawler.spider
        if spider is None:
            raise NotConfigured("no spider yet: the site's state cannot be named")
        site = getattr(spider, "site", None) or spider.name
        settings = crawler.settings
        redis_url = settings.get("NEWSCRAWL_REDIS_URL")
        try:
            opened = open_site_state(
                settings.get("NEWSCRAWL_STATE_DIR"),
                site,
                redis_url=redis_url,
                redis_prefix=settings.get("NEWSCRAWL_REDIS_PREFIX", "newscrawl"),
                worker=worker_name(settings) if redis_url else "",
                lease_seconds=settings.getfloat("NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT", 30.0),
                redis_retries=settings.getint("NEWSCRAWL_REDIS_RETRIES", 6),
                # After the run lock, so that a run it refuses creates nothing under the
                # output folder; before the state, which a run refused here never opens.
                before_open=lambda: take_output_lock(crawler, site),
            )
        except BaseException as exc:
            release_output_lock(crawler)  # taken, when the state then failed to open
            if isinstance(exc, AlreadyRunning):  # the run lock's or the output folder's
                write_skipped_report(crawler, site, str(exc))  # cron and scrapyd read it
            raise
        if opened is None:
            raise NotConfigured("no NEWSCRAWL_STATE_DIR: a stateless crawl")
        lock, store = opened
        extension = cls(crawler, site, lock, store, take_output_lock(crawler, site))
        if hasattr(lock, "on_lost"):  # a Redis lease: renewed while the run lasts
            lock.on_lost = extension.lease_lost
        try:
            root = Path(crawler.settings.get("NEWSCRAWL_OUTPUT_DIR", "out"))
            for path in store.reconcile(root, site):
                logger.warning("Registered %s, published by a run that died before it could", path)
        except BaseException:
            extension.close()
            raise
        crawler.signals.connect(extension.close, signal=signals.engine_stopped)
        return extension

    def lease_lost(self) -> None:
        """Stop the run: its lease expired while it ran (Redis away longer than the lease,
        restarted empty or flushed), so the other workers have taken its requests back and
        may hold its lease. Called from the lease's renewal thread; the run fails with
        :data:`~newscrawl.report.LEASE_LOST`."""
        from twisted.internet import reactor

        reactor.callFromThread(self._stop_for_lost_lease)

    def _stop_for_lost_lease(self) -> None:
        message = (
            "the run lease was lost while the run went on (Redis was away for longer than "
            "NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT, or restarted without its data, or flushed): "
            "stopped, the other workers take its requests"
        )
        logger.error("%s", message)
        self.crawler.stats.set_value(LEASE_LOST, message)
        engine = self.crawler.engine
        if engine is not None and engine.running and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="lease_lost"))

    def close(self) -> None:
        """Close the store, then release the output folder's lock and the run lock.
        Idempotent."""
        store, self.store = self.store, None
        try:
            if store is not None:
                store.close()
        finally:
            output_lock, self.output_lock = self.output_lock, None
            if output_lock is not None:
                output_lock.release()
            lock, self.lock = self.lock, None
            if lock is not None:
                lock.release()

    def records_published(self, batch: PublishedBatch) -> None:
        """Register a published records file and its articles, with the latest page dates.

        Feeds and sitemaps may give a page's date after the page was written: the latest
        known at publish time is stored, so that the next run compares against it.
        """
        if self.store is None:
            return
        lastmods = known_lastmods(self.crawler)
        metas = [{**m, "lastmod": lastmods.get(m["url"], m["lastmod"])} for m in batch.records_meta]
        self.store.register_batch(batch.path, metas)

    def rejects_published(self, batch: PublishedBatch) -> None:
        """Register the pages of a published rejects file, with their kinds and the latest
        page dates (as for records: a date seen after the reject is then not taken for a
        change of the page by the next run).

        The state keeps a page of a content reject (``CONTENT_REJECTS``) out of the next
        runs until it changes; it remembers the others only to tell, when the next run
        fetches the page again, that it failed before (``failed_before``)."""
        pages = [m for m in batch.records_meta if m.get("url")]
        if self.store is not None:  # the file too, with no page: reconcile skips it
            lastmods = known_lastmods(self.crawler)
            self.store.register_rejects(
                [{**m, "lastmod": lastmods.get(m["url"], m.get("lastmod"))} for m in pages],
                path=batch.path,
            )


def worker_name(settings: Any) -> str:
    """Return this worker's name in distributed mode: ``NEWSCRAWL_WORKER``, else the host's.

    The run lease is per site and worker name: a second run on the same host (cron
    starting the next run too early) exits 75; several workers on one host need a
    ``NEWSCRAWL_WORKER`` each.
    """
    return settings.get("NEWSCRAWL_WORKER") or socket.gethostname().split(".")[0]


class RedisMode:
    """Scrapy add-on: with ``NEWSCRAWL_REDIS_URL`` set, the crawl runs in distributed mode.

    It sets ``SCHEDULER`` to ``newscrawl.frontier.RedisScheduler`` (the shared queue and
    duplicate filter) and adds ``newscrawl.frontier.GlobalPoliteness`` to the downloader
    middlewares; ``SiteState`` then opens the Redis state and lease. Without the setting it
    changes nothing, and nothing imports Redis.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the add-on."""
        return cls()

    def update_settings(self, settings: Any) -> None:
        """Switch the scheduler and move politeness to Redis when a Redis URL is set.

        The download delay becomes global (``NEWSCRAWL_GLOBAL_DOWNLOAD_DELAY``, from
        ``DOWNLOAD_DELAY`` as given by the profile, project or command line) and each
        worker's own delay and AutoThrottle are turned off, at the priority they were set
        with: a per-worker delay on top would make the shared timetable's gaps uneven.
        """
        if not settings.get("NEWSCRAWL_REDIS_URL"):
            return
        settings.set("SCHEDULER", "newscrawl.frontier.RedisScheduler", priority="addon")
        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", "newscrawl.frontier.GlobalPoliteness", 540
        )
        delay = settings.getfloat("DOWNLOAD_DELAY", 0.0)
        settings.set("NEWSCRAWL_GLOBAL_DOWNLOAD_DELAY", delay, priority="addon")
        settings.set("DOWNLOAD_DELAY", 0.0, priority=settings.getpriority("DOWNLOAD_DELAY") or 0)
        throttle = settings.getpriority("AUTOTHROTTLE_ENABLED") or 0
        settings.set("AUTOTHROTTLE_ENABLED", False, priority=throttle)


def site_state(crawler: Crawler) -> SiteState | None:
    """Return the crawl's :class:`SiteState` while its store is open, else None."""
    try:
        extension = crawler.get_extension(SiteState)
    except RuntimeError:  # extensions are built after the spider, before the engine
        return None
    return extension if extension is not None and extension.store is not None else None


def known_lastmods(crawler: Crawler) -> Mapping[str, Any]:
    """Return the page dates the spider learnt from feeds and sitemaps (page URL -> ISO)."""
    return getattr(crawler.spider, "lastmod", None) or {}


_OUTPUT_LOCK = "_newscrawl_output_lock"
"""Attribute of a crawler: the lock of its output folder once :func:`take_output_lock`
was called (None when the crawl goes on unlocked)."""


def take_output_lock(crawler: Crawler, site: str) -> RunLock | None:
    """Take the lock of ``site``'s output folder for ``crawler``'s run, once: later calls
    return what the first one did, so :class:`SiteState` and :class:`OutputLock` share it.

    Returns the held lock, or None without ``NEWSCRAWL_OUTPUT_DIR`` or when the lock file
    cannot be created (the output path is a file, a read-only folder: logged, and the crawl
    goes on unlocked, for the writer to fail it with its own one-line error). Raises
    ``AlreadyRunning`` when another run holds the lock; nothing is remembered then.
    """
    if hasattr(crawler, _OUTPUT_LOCK):
        return getattr(crawler, _OUTPUT_LOCK)  # type: ignore[no-any-return]
    output_dir = crawler.settings.get("NEWSCRAWL_OUTPUT_DIR")
    lock: RunLock | None = None
    if output_dir:
        lock = RunLock.for_output(Path(output_dir), site)
        try:
            lock.acquire()
        except AlreadyRunning:
            raise
        except OSError as exc:
            logger.warning("Output folder not locked: cannot create %s: %s", lock.path, exc)
            lock = None
    setattr(crawler, _OUTPUT_LOCK, lock)
    return lock


def release_output_lock(crawler: Crawler) -> None:
    """Release the lock :func:`take_output_lock` took for ``crawler``, if any. Idempotent."""
    lock = getattr(crawler, _OUTPUT_LOCK, None)
    if lock is not None:
        lock.release()


class OutputLock:
    """Hold the lock of the site's output folder, ``<NEWSCRAWL_OUTPUT_DIR>/<site>/
    .newscrawl.lock``, from the crawl's start until the engine stops.

    Two runs writing one output folder, even with different state folders, would each write
    the same articles and remove each other's unfinished batches: the second raises
    ``AlreadyRunning`` before the engine exists (no fetch; only a ``skipped`` report), and
    ``newscrawl crawl`` exits 75. A crawl with a state has the lock from :class:`SiteState`
    already, taken after its run lock (so a run stopped by the run lock creates nothing under
    the output folder) and before its state opens; this extension, built after it, holds it
    for a stateless crawl. When the lock file cannot be created the crawl goes on unlocked
    (:func:`take_output_lock`).
    """

    def __init__(self, lock: RunLock | None) -> None:
        self.lock = lock

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Take the lock (unless ``SiteState`` did); NotConfigured without a spider or
        ``NEWSCRAWL_OUTPUT_DIR``."""
        spider = crawler.spider
        output_dir = crawler.settings.get("NEWSCRAWL_OUTPUT_DIR")
        if spider is None or not output_dir:
            raise NotConfigured("no spider or no output folder: nothing to lock")
        site = getattr(spider, "site", None) or spider.name
        try:
            lock = take_output_lock(crawler, site)
        except AlreadyRunning as exc:
            write_skipped_report(crawler, site, str(exc))  # cron and scrapyd read the report
            raise
        extension = cls(lock)
        crawler.signals.connect(extension.release, signal=signals.engine_stopped)
        return extension

    def release(self) -> None:
        """Release the lock. Idempotent."""
        lock, self.lock = self.lock, None
        if lock is not None:
            lock.release()


class GcTuning:
    """While the engine runs: freeze start-up objects, collect young objects less often, and
    collect everything on a timer.

    Settings: ``NEWSCRAWL_GC_THRESHOLD`` (young-generation threshold; 0 leaves CPython's),
    ``NEWSCRAWL_GC_FREEZE`` (move the objects alive at start to a generation the collector
    never scans) and ``NEWSCRAWL_GC_COLLECT_EVERY`` (seconds between full collections; 0:
    none). All are undone when the engine stops. Reference counting still frees almost every
    object at once; the timed full collections free the cycles that would otherwise wait for
    CPython's rarer full collections (on a 10,000-page crawl, 20 MB of them by the end).
    """

    def __init__(self, threshold: int, freeze: bool, collect_every: float = 0.0) -> None:
        if threshold < 0:
            raise ValueError(f"NEWSCRAWL_GC_THRESHOLD must be 0 or more, not {threshold}")
        if collect_every < 0:
            raise ValueError(f"NEWSCRAWL_GC_COLLECT_EVERY must be 0 or more, not {collect_every}")
        self.threshold = threshold
        self.freeze = freeze
        self.collect_every = collect_every
        self._saved: tuple[int, int, int] | None = None
        self._collector: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the extension from settings; NotConfigured when all are off."""
        settings = crawler.settings
        extension = cls(
            settings.getint("NEWSCRAWL_GC_THRESHOLD", 0),
            settings.getbool("NEWSCRAWL_GC_FREEZE"),
            settings.getfloat("NEWSCRAWL_GC_COLLECT_EVERY", 0.0),
        )
        if not (extension.threshold or extension.freeze or extension.collect_every):
            raise NotConfigured("garbage collector left as it is")
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        """Apply the settings."""
        self._saved = gc.get_threshold()
        if self.freeze:
            gc.collect()
            gc.freeze()
        if self.threshold:
            gc.set_threshold(self.threshold, *self._saved[1:])
        if self.collect_every:
            self._collector = LoopingCall(gc.collect)
            self._collector.start(self.collect_every, now=False)
        frozen = gc.get_freeze_count()
        logger.debug("GC threshold %s, %d objects frozen", gc.get_threshold(), frozen)

    def engine_stopped(self) -> None:
        """Restore the collector as it was."""
        if self._collector is not None and self._collector.running:
            self._collector.stop()
        self._collector = None
        if self._saved is None:
            return
        gc.set_threshold(*self._saved)
        if self.freeze:
            gc.unfreeze()
        self._saved = None


class CrawlDelayAutoThrottle(AutoThrottle):
    """Scrapy's AutoThrottle (same settings), whose delay of a host stays at or above the
    Crawl-delay of its robots.txt: AutoThrottle lowers a fast host's delay towards
    ``DOWNLOAD_DELAY``, which would undo what the robots.txt middleware set."""

    def _response_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        super()._response_downloaded(response, request, spider)
        key = request.meta.get("download_slot")
        floor = crawl_delay_floor(self.crawler, key)
        slot = self.crawler.engine.downloader.slots.get(key) if floor else None
        if slot is not None and slot.delay < floor:
            slot.delay = floor
