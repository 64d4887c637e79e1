"""Extraction in worker processes, so that the crawl's one thread keeps fetching.

Scrapy runs spiders, pipelines and the downloader on one thread; extraction is pure CPU
work on bytes, so it can run in other processes. :class:`Extractor` hands pages to a
``ProcessPoolExecutor`` (``NEWSCRAWL_EXTRACT_PROCESSES`` workers; ``0`` extracts in the
crawl's own process) and gives the crawl an awaitable result. Workers are started with
``spawn``: they import only the extraction stack, not Scrapy or Twisted.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from newscrawl.extract import ExtractionError, extract_article
from newscrawl.items import to_dict

logger = logging.getLogger(__name__)

MAX_AUTO_PROCESSES = 4
PR_SET_PDEATHSIG = 1


def worker_count(setting: str | int | None) -> int:
    """Return how many extraction processes a setting asks for.

    ``"auto"`` means one per CPU this process may use, less one for the crawl itself (at
    most four); a number means that many; ``0`` means none (extract in the crawl process).
    """
    if setting in (None, "", "auto"):
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return max(0, min((cpus or 1) - 1, MAX_AUTO_PROCESSES))
    count = int(setting)
    if count < 0:
        raise ValueError(f"NEWSCRAWL_EXTRACT_PROCESSES must be 0 or more, not {count}")
    return count


def extract_record(
    url: str, body: bytes, headers: dict[str, Any] | None, profile: str, now: datetime
) -> dict[str, Any]:
    """Return the record of a page as a dict; raise ExtractionError. Runs in a worker."""
    return to_dict(extract_article(url, body, headers, profile=profile, now=now))


def _die_with_parent(parent: int) -> None:
    """End this worker when the crawl process dies, even by SIGKILL.

    Linux's PR_SET_PDEATHSIG asks the kernel for that; elsewhere a thread watches the
    parent's pid. Without this, a killed crawl would leave its workers waiting forever.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init_worker(profile: str, parent: int) -> None:
    """Tie the worker's life to the crawl's, then load the profile, language model and dates."""
    _die_with_parent(parent)
    page = (
        b'<html><head><meta charset="utf-8"></head><body><article id="the-post" '
        b'class="post type-post"><h1 class="entry-title">Warm up the worker</h1>'
        b'<div class="entry"><p>A first paragraph of text.</p></div></article></body></html>'
    )
    with contextlib.suppress(ExtractionError):
        extract_record("https://warm.invalid/", page, None, profile, datetime.now().astimezone())


class Extractor:
    """Extract pages in worker processes (or in this process when there are none)."""

    def __init__(self, processes: int, profile: str) -> None:
        self.processes = processes
        self.profile = profile
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.profile, os.getpid()),
            )
        return self._pool

    async def extract(
        self, url: str, body: bytes, headers: dict[str, Any] | None, now: datetime
    ) -> dict[str, Any]:
        """Return the page's record; raise ExtractionError when it gives none."""
        if not self.processes:
            return extract_record(url, body, headers, self.profile, now)
        try:
            future = self._executor().submit(extract_record, url, body, headers, self.profile, now)
            return await _awaitable(future)
        except BrokenProcessPool as exc:
            # A worker died (killed, out of memory, a crash in a C library): start anew and
            # let this page go to the rejects instead of taking the crawl down.
            logger.error("An extraction worker died on %s; restarting the pool", url)
            self.close()
            raise ExtractionError(f"the extraction worker died: {exc}", url=url) from exc

    def close(self) -> None:
        """Stop the workers (waiting for none of their pending work)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


async def _awaitable(future: Future[Any]) -> Any:
    """Await a concurrent.futures Future on the reactor, whichever reactor it is."""
    from twisted.internet import reactor

    deferred: Deferred[Any] = Deferred()

    def settle(done: Future[Any]) -> None:
        error = done.exception()
        if error is not None:
            deferred.errback(error)
        else:
            deferred.callback(done.result())

    future.add_done_callback(lambda done: reactor.callFromThread(settle, done))  # type: ignore[attr-defined]
    return await maybe_deferred_to_future(deferred)
