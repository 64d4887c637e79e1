"""Extraction in worker processes, so that the crawl's one thread keeps fetching.

Scrapy runs spiders, pipelines and the downloader on one thread; extraction is pure CPU
work on bytes, so it can run in other processes. :class:`Extractor` gives the crawl an
awaitable record per page, extracted in ``NEWSCRAWL_EXTRACT_PROCESSES`` worker processes
(``0``: in the crawl's own process).

A worker is ``python -m newscrawl.workers PROFILE``, started by the reactor
(``spawnProcess``) with a pipe on its stdin and one on its stdout. Pages go in and results
come out as length-prefixed pickles, in order, so the crawl thread spends no time in
helper threads, locks or polling: the reactor reads and writes the pipes as it does
sockets. A worker imports the extraction stack, not Scrapy, and ends when its stdin
closes, which is also what happens when the crawl dies, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import logging
import os
import pickle
import signal
import struct
import sys
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

if __name__ == "__main__":
    # A worker process handles our dataclasses only. Without this, itemadapter (through
    # itemloaders) imports Scrapy to support scrapy.Item. Kept because it still pays:
    # bench/worker_scrapy_block.py (5 runs each, alternating, on this 2-core machine)
    # measured a worker at 158 MiB peak RSS blocked against 178 MiB not, and start-up
    # (imports and warm-up) 3.1 s against 3.9 s; a crawl runs up to four workers.
    sys.modules.setdefault("scrapy", None)  # type: ignore[arg-type]

from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

from newscrawl.extraction import (
    ExtractionError,
    NotAnArticle,
    TooSlow,
    check_complete,
    check_outcome,
    extract_article,
    time_budget,
)
from newscrawl.extraction.limits import DEFAULT_TIMEOUT
from newscrawl.extraction.processors import url_repairs
from newscrawl.items import to_dict

logger = logging.getLogger(__name__)

MAX_AUTO_PROCESSES = 4
PR_SET_PDEATHSIG = 1
FRAME = struct.Struct("!I")
"""Each message on a worker's pipes is its length (4 bytes, big-endian), then a pickle."""
READY = pickle.dumps(None, 5)
"""A worker's first message, once it has warmed up; every later one answers a page."""
PICKLE_PROTOCOL = 5
CLOSE_TIMEOUT = 10.0
"""Seconds a closing crawl waits for its workers to finish before killing them."""
PIPE_BYTES = 1 << 20
"""Size a worker asks for its pipes (Linux's default limit for a user; the default is 64 KiB)."""
IN_FLIGHT_BYTES = PIPE_BYTES
"""Bytes of pages sent to a worker and not yet answered, at most (one page always goes)."""
WORKER_NICENESS = 10
"""How much a worker lowers its CPU priority below the crawl's (see _yield_to_the_crawl)."""
HANG_CPU_GRACE = 2.0
"""CPU seconds past the page's budget after which a worker is taken for stuck in C code
(the deadline inside extraction, checked between C calls, did not stop it) and killed."""
HANG_WALL_FACTOR = 12
"""A worker holding one page for this many times the budget in wall-clock time, and not
running (sleeping: extraction waits on nothing), is killed too: it is blocked. A worker
that waits for a CPU is running, so a busy machine does not get its pages killed."""
WATCH_INTERVAL = 0.5
"""Seconds between two looks at the workers' current pages."""
HANG_HOOK = "NEWSCRAWL_TEST_HANG_URL"
"""Test hook: a worker started with this in its environment hangs (sleeps, or spins with
the value's prefix ``spin:``) on every page whose URL contains the rest of the value."""


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


def extract_timeout(setting: str | float | None) -> float | None:
    """Return the per-page time budget ``NEWSCRAWL_EXTRACT_TIMEOUT`` asks for, in seconds.

    Unset or empty: the default (``limits.DEFAULT_TIMEOUT``); ``0``: no budget.
    """
    if setting in (None, ""):
        return DEFAULT_TIMEOUT
    seconds = float(setting)  # type: ignore[arg-type]
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"NEWSCRAWL_EXTRACT_TIMEOUT must be 0 or more seconds, not {setting}")
    return seconds or None


def extract_record(
    url: str,
    body: bytes,
    headers: dict[str, Any] | None,
    profile: str,
    now: datetime,
    timeout: float | None = None,
    repairs: Counter[str] | None = None,
) -> dict[str, Any]:
    """Return the record of a page as a dict; raise ExtractionError when it gives none.

    The URL values repaired or dropped on this page (``url_repairs``) are added to
    ``repairs`` when it is given, whatever the outcome.

    Extraction may spend ``timeout`` seconds on the page (None: no limit); past that it
    stops at its next check and the page is a TooSlow reject (see
    ``newscrawl.extraction.limits`` for how, and why a deadline). A record from a page
    that looks cut short is a Truncated reject instead, and a whole page whose body came out
    empty a NoBody reject (``check_outcome``). A page cut short whose part read is not an
    article is a Truncated reject too, not NotAnArticle.

    An unexpected exception inside extraction (a bug, a C library's error) is logged with
    its traceback and raised as an ExtractionError, so that the page becomes a reject
    instead of vanishing into the crawl's error log.
    """
    before = url_repairs().copy() if repairs is not None else None
    try:
        with time_budget(timeout):
            try:
                article = extract_article(url, body, headers, profile=profile, now=now)
            except NotAnArticle:
                # What is read of a page cut short may be no article only because the cut
                # came first: a Truncated reject is fetched again by the next run, while
                # a page that is not an article is remembered as such.
                check_complete(body, headers, url)
                raise
        check_outcome(article, body, headers, url)
        return to_dict(article)
    except ExtractionError:
        raise
    except Exception as exc:
        logger.exception("Extraction failed on %s", url)
        raise ExtractionError(f"extraction failed: {type(exc).__name__}: {exc}", url=url) from exc
    finally:
        if repairs is not None and before is not None:
            repairs.update(url_repairs() - before)


# --- the worker process --------------------------------------------------------------


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    """Return ``size`` bytes from ``stream``, or None at end of stream (even mid-message)."""
    data = stream.read(size)
    if not data:
        return None
    while len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            return None
        data += more
    return data


def _outcome(profile: str, message: bytes, timeout: float | None = None) -> bytes:
    """Return the pickled ``(True, record, repairs)`` or ``(False, ExtractionError,
    repairs)`` of one page; ``repairs`` counts the page's URL values repaired or dropped."""
    url, body, headers, now = pickle.loads(message)
    _hang_if_asked(url)
    repairs: Counter[str] = Counter()
    try:
        record = extract_record(url, body, headers, profile, now, timeout, repairs)
        outcome: tuple[bool, Any, dict[str, int]] = (True, record, dict(repairs))
    except ExtractionError as exc:
        outcome = (False, exc, dict(repairs))
    try:
        return pickle.dumps(outcome, PICKLE_PROTOCOL)
    except Exception as exc:  # an exception that does not pickle
        error = ExtractionError(f"extraction failed: {exc}", url=url)
        return pickle.dumps((False, error, dict(repairs)), PICKLE_PROTOCOL)


def _hang_if_asked(url: str) -> None:
    """The test hook (``HANG_HOOK``): stand for a call into C that never returns."""
    hook = os.environ.get(HANG_HOOK)
    if not hook:
        return
    spin = hook.startswith("spin:")
    if hook.removeprefix("spin:") in url:
        while True:
            if not spin:
                time.sleep(60)


def serve(profile: str, source: IO[bytes], sink: IO[bytes], timeout: float | None = None) -> int:
    """Extract every page read from ``source`` and write its outcome to ``sink``, in order.

    Returns the number of pages handled when ``source`` ends. Every page gets exactly one
    outcome; extraction errors are outcomes, not crashes. Each page may take ``timeout``
    seconds (None: no limit).
    """
    handled = 0
    while (header := _read_exactly(source, FRAME.size)) is not None:
        message = _read_exactly(source, FRAME.unpack(header)[0])
        if message is None:
            break
        reply = _outcome(profile, message, timeout)
        sink.write(FRAME.pack(len(reply)) + reply)
        sink.flush()
        handled += 1
    return handled


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the crawl process dies (a no-op elsewhere).

    Without it a worker busy with a page would finish it first; at the next read it sees
    its stdin closed and ends anyway.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _yield_to_the_crawl() -> None:
    """Run this worker as batch work: the crawl process (and anything else) comes first.

    The crawl process keeps downloads moving; a worker that held a CPU while the crawl
    (or, on one machine, the server) waited to run would delay every response and starve
    itself of pages. A worker still gets every CPU cycle nobody else wants.
    """
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    with contextlib.suppress(OSError, AttributeError):
        os.nice(WORKER_NICENESS)


def _widen_pipes() -> None:
    """Make the worker's stdin and stdout pipes hold ``PIPE_BYTES`` (where Linux allows).

    A 64 KiB pipe holds one or two pages: whenever the crawl process was busy for longer
    than a page takes to extract, the worker sat waiting for its next page. With room for
    a megabyte of pages it keeps working through those moments (on the benchmark portal,
    about 20% more pages per second and the machine idle 10% of the time instead of 24%).
    """
    for fd in (0, 1):
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _warm_up(profile: str) -> None:
    """Load the profile, the language model, the date parser, the JSON-LD reader (and,
    for profiles that need it, trafilatura) before the first page.

    Run outside any time budget: on a busy machine these loads alone took longer than
    ``NEWSCRAWL_EXTRACT_TIMEOUT``, and the first good page became a too-slow reject.
    """
    page = (
        b'<html><head><meta charset="utf-8">'
        b'<meta property="article:published_time" content="2016-03-24T10:00:00+03:00">'
        b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Warm up"}'
        b'</script></head><body><article id="the-post" '
        b'class="post type-post"><h1 class="entry-title">Warm up the worker</h1>'
        b'<div class="entry"><p>A first paragraph of text, long enough to tell its language '
        b"from the words in it.</p></div></article></body></html>"
    )
    with contextlib.suppress(ExtractionError):
        extract_record("https://warm.invalid/", page, None, profile, datetime.now().astimezone())


def main(argv: list[str] | None = None) -> int:
    """Run one worker (``python -m newscrawl.workers PROFILE [TIMEOUT]``): pages in on
    stdin, outcomes out. Each page may take TIMEOUT seconds (0 or none: no limit)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        timeout = float(args[1]) if len(args) == 2 else None
    except ValueError:
        timeout = -1.0
    if len(args) not in (1, 2) or (timeout is not None and timeout < 0):
        print("usage: python -m newscrawl.workers PROFILE [TIMEOUT]", file=sys.stderr)
        return 2
    _die_with_parent()
    _yield_to_the_crawl()
    _widen_pipes()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the crawl, which closes us
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s [%(name)s] %(message)s")
    # Outcomes go to a private copy of stdout; a stray print() lands on stderr instead.
    sink = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _warm_up(args[0])
    sink.write(FRAME.pack(len(READY)) + READY)  # the crawl times pages from here on
    sink.flush()
    serve(args[0], sys.stdin.buffer, sink, timeout or None)
    return 0


# --- the crawl's side ----------------------------------------------------------------


class WorkerDied(ExtractionError):
    """The worker extracting the page ended before it answered."""

    kind = "worker-died"


class _WorkerProtocol(ProcessProtocol):
    """Hands a worker process's output and its end to its :class:`_Worker`."""

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        """Take bytes from the worker's stdout."""
        if childFD == 1:
            self.worker.received(data)

    def processEnded(self, reason: Failure) -> None:
        """Tell the worker its process is gone."""
        self.worker.ended(reason.getErrorMessage())


class _Worker:
    """One worker process as the reactor sees it: a pipe each way and the pages in flight."""

    def __init__(
        self,
        profile: str,
        on_answer: Callable[[], None],
        on_exit: Callable[[_Worker, list[_Page]], None],
        timeout: float | None = None,
    ) -> None:
        from twisted.internet import reactor  # not at import: Scrapy chooses the reactor

        self.pending: deque[_Page] = deque()
        """Every page sent and not yet answered, oldest (the one in hand) first."""
        self.pending_bytes = 0
        """Total size of the pages in ``pending``."""
        self._buffer = bytearray()
        self._on_answer = on_answer
        self._on_exit = on_exit
        self.alive = True
        self.exited: Deferred[None] = Deferred()
        """Fires once the process has ended and been reaped."""
        self.timeout = timeout
        self.started: tuple[float, float | None] | None = None
        """(wall-clock time, process CPU time) when the page in hand was started."""
        self.hung: str | None = None
        """Why the worker was killed as stuck, once it was."""
        self.ready = False
        """Whether the worker has warmed up (its first message, READY)."""
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.transport = reactor.spawnProcess(  # type: ignore[attr-defined]
            _WorkerProtocol(self),
            sys.executable,
            [sys.executable, "-m", "newscrawl.workers", profile, str(timeout or 0)],
            env=env,
            childFDs={0: "w", 1: "r", 2: 2},
        )
        logger.info("Started extraction worker %s (profile %s)", self.transport.pid, profile)

    def has_room_for(self, message: bytes) -> bool:
        """Tell whether ``message`` fits in the in-flight budget (an idle worker takes any)."""
        return not self.pending or self.pending_bytes + len(message) <= IN_FLIGHT_BYTES

    def send(self, page: _Page) -> None:
        """Send one page; its Deferred will fire with its ``(ok, payload, repairs)`` outcome."""
        if not self.pending and self.ready:
            self._start_clock()
        self.pending.append(page)
        self.pending_bytes += len(page[1])
        self.transport.writeSequence([FRAME.pack(len(page[1])), page[1]])

    def received(self, data: bytes) -> None:
        """Fire the Deferred of every page whose outcome is now complete, oldest first."""
        buffer = self._buffer
        buffer += data
        start = 0
        while len(buffer) - start >= FRAME.size:
            (size,) = FRAME.unpack_from(buffer, start)
            end = start + FRAME.size + size
            if len(buffer) < end:
                break
            outcome = pickle.loads(memoryview(buffer)[start + FRAME.size : end])
            start = end
            if outcome is None:  # READY: warm-up is not the first page's time
                self.ready = True
                self._start_clock()
                continue
            _url, message, deferred = self.pending.popleft()
            self.pending_bytes -= len(message)
            self._start_clock()
            deferred.callback(outcome)
        del buffer[:start]
        if start:
            self._on_answer()

    def _start_clock(self) -> None:
        """Note when the worker started the page now in hand (the next one it answers)."""
        self.started = (time.monotonic(), self.process_state()[0])

    def process_state(self) -> tuple[float | None, str | None]:
        """Return the CPU seconds the worker process has used and its scheduling state
        (``R`` running or waiting for a CPU, ``S``/``D`` sleeping); Nones where Linux's
        /proc is not."""
        try:
            with open(f"/proc/{self.transport.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS, fields[0].decode()
        except (OSError, IndexError, ValueError, TypeError, UnicodeDecodeError):
            return None, None

    def check_hung(self) -> None:
        """Kill the worker when the page in hand took it past its budget and it did not stop:
        ``HANG_CPU_GRACE`` CPU seconds more (stuck in C code), or ``HANG_WALL_FACTOR``
        times the budget in wall-clock time while not running (blocked: extraction waits on
        nothing, and a worker that only waits for a CPU on a busy machine is left alone).
        The page becomes a TooSlow reject and the pages behind it go to another worker
        (see :meth:`ended`)."""
        if not self.alive or not self.pending or not self.timeout or self.hung is not None:
            return
        if self.started is None or not self.ready:
            return
        wall_started, cpu_started = self.started
        wall = time.monotonic() - wall_started
        cpu, state = self.process_state()
        used = cpu - cpu_started if cpu is not None and cpu_started is not None else None
        if used is not None and used > self.timeout + HANG_CPU_GRACE:
            self.hung = f"{used:.1f} s of CPU on one page"
        elif wall > self.timeout * HANG_WALL_FACTOR and state != "R":
            self.hung = f"{wall:.0f} s on one page, not running"
        if self.hung is not None:
            logger.error(
                "Extraction worker %s is stuck (%s, the budget is %s s): killing it",
                self.transport.pid,
                self.hung,
                self.timeout,
            )
            self.kill()

    def ended(self, why: str) -> None:
        """Settle the pages the process held, and leave the pool.

        A worker killed as stuck gives its page in hand a TooSlow outcome and hands the
        pages behind it, which it never started, back to the pool. A worker that died of
        anything else fails all its pages with WorkerDied.
        """
        self.alive = False
        orphans: list[_Page] = []
        if self.hung is not None and self.pending:
            url, _message, deferred = self.pending.popleft()
            error = TooSlow(
                f"extraction ran past its time budget and did not stop ({self.hung}); "
                "its worker was replaced",
                url=url,
            )
            deferred.callback((False, error, {}))
            orphans = list(self.pending)
            self.pending.clear()
        elif self.pending:
            logger.error(
                "An extraction worker ended with %d page(s) in hand: %s", len(self.pending), why
            )
        while self.pending:
            url, _message, deferred = self.pending.popleft()
            deferred.callback(
                (False, WorkerDied(f"the extraction worker died: {why}", url=url), {})
            )
        self.pending_bytes = 0
        self._on_exit(self, orphans)
        self.exited.callback(None)

    def close(self) -> None:
        """Close the worker's stdin: it ends once it has answered what it holds."""
        if self.alive:
            with contextlib.suppress(Exception):
                self.transport.closeStdin()

    def kill(self) -> None:
        """End the process now (SIGKILL)."""
        if self.alive:
            with contextlib.suppress(Exception):
                self.transport.signalProcess("KILL")


_Page = tuple[str, bytes, "Deferred[tuple[bool, Any, dict[str, int]]]"]
"""A page on its way through a worker: URL, message, and the Deferred of its outcome."""
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
"""Units of the CPU times in /proc/<pid>/stat."""


class Extractor:
    """Extract pages in worker processes (or in this process when there are none).

    Each page may take ``timeout`` seconds (None: no limit), in this process or in a
    worker alike: the same deadline runs inside extraction (``extraction.limits``), so a
    slow page becomes a TooSlow reject and, in this process, hands the thread back to the
    crawl soon after its budget. A worker that does not stop (a call into C that runs on)
    is killed and replaced, and its page is a TooSlow reject (``_Worker.check_hung``).

    ``url_repairs`` counts the URL values repaired or dropped on every page extracted so
    far, in workers and in this process.
    """

    def __init__(self, processes: int, profile: str, timeout: float | None = None) -> None:
        self.processes = processes
        self.profile = profile
        self.timeout = timeout
        self.url_repairs: Counter[str] = Counter()
        self._warm = False
        self._workers: list[_Worker] = []
        self._waiting: deque[_Page] = deque()
        """Pages not yet sent to a worker, oldest first."""
        self._closed = False
        self._watch: Any = None

    def warm_up(self) -> None:
        """Load now what extraction in this process loads once (:func:`_warm_up`), as a
        worker does when it starts, rather than while the first page waits; once only."""
        if not self._warm:
            _warm_up(self.profile)
            self._warm = True

    def _dispatch(self) -> None:
        """Send waiting pages to workers with room, starting workers as needed.

        A worker gets at most ``IN_FLIGHT_BYTES`` of pages at a time, about what its pipe
        holds; the rest wait here, not in ever larger write buffers.
        """
        while self._waiting and len(self._workers) < self.processes:
            try:
                self._workers.append(
                    _Worker(self.profile, self._dispatch, self._lost, self.timeout)
                )
            except OSError as exc:  # no process could be started (out of memory, limits)
                logger.error("Could not start an extraction worker: %s", exc)
                if self._workers:
                    break
                while self._waiting:
                    url, _message, deferred = self._waiting.popleft()
                    error = WorkerDied(f"no extraction worker could start: {exc}", url=url)
                    deferred.callback((False, error, {}))
                return
        self._start_watch()
        while self._waiting:
            worker = min(self._workers, key=lambda w: w.pending_bytes)
            if not worker.has_room_for(self._waiting[0][1]):
                return
            worker.send(self._waiting.popleft())

    def _start_watch(self) -> None:
        """Look at the workers' pages every WATCH_INTERVAL seconds while there are workers."""
        if self._watch is not None or not self.timeout or not self._workers:
            return
        from twisted.internet.task import LoopingCall

        self._watch = LoopingCall(self._check_workers)
        self._watch.start(WATCH_INTERVAL, now=False)

    def _check_workers(self) -> None:
        for worker in list(self._workers):
            worker.check_hung()

    def _stop_watch(self) -> None:
        if self._watch is not None and self._watch.running:
            self._watch.stop()
        self._watch = None

    def _lost(self, worker: _Worker, orphans: list[_Page]) -> None:
        with contextlib.suppress(ValueError):
            self._workers.remove(worker)
        self._waiting.extendleft(reversed(orphans))
        if self._closed:
            while self._waiting:
                url, _message, deferred = self._waiting.popleft()
                error = WorkerDied("the crawl closed before extraction", url=url)
                deferred.callback((False, error, {}))
            return
        self._dispatch()

    @property
    def in_process(self) -> bool:
        """Whether pages are extracted in this process now (no workers, or closed)."""
        return not self.processes or self._closed

    def extract_here(
        self, url: str, body: bytes, headers: dict[str, Any] | None, now: datetime
    ) -> dict[str, Any]:
        """Return the page's record, extracted in this process, as :meth:`extract` does
        without workers; raise ExtractionError when it gives none."""
        self.warm_up()
        return extract_record(url, body, headers, self.profile, now, self.timeout, self.url_repairs)

    async def extract(
        self, url: str, body: bytes, headers: dict[str, Any] | None, now: datetime
    ) -> dict[str, Any]:
        """Return the page's record; raise ExtractionError when it gives none.

        A worker that dies (killed, out of memory, a crash in a C library) fails only the
        pages it held, with WorkerDied; the next page starts a new worker.
        """
        if self.in_process:
            return self.extract_here(url, body, headers, now)
        from scrapy.utils.defer import maybe_deferred_to_future

        message = pickle.dumps((url, body, headers, now), PICKLE_PROTOCOL)
        deferred: Deferred[tuple[bool, Any, dict[str, int]]] = Deferred()
        self._waiting.append((url, message, deferred))
        self._dispatch()
        ok, payload, repairs = await maybe_deferred_to_future(deferred)
        self.url_repairs.update(repairs)
        if not ok:
            raise payload
        return payload  # type: ignore[no-any-return]

    def close(self, timeout: float = CLOSE_TIMEOUT) -> Deferred[None]:
        """Let the workers finish what they hold and end; later pages extract in-process.

        Returns a Deferred that fires once every worker has exited, so that a crawl does
        not end before its workers (those still running after ``timeout`` seconds are
        killed).
        """
        from twisted.internet import reactor

        self._closed = True
        self._stop_watch()
        while self._waiting:  # none when Scrapy closes the spider: it waits for callbacks
            url, _message, deferred = self._waiting.popleft()
            error = WorkerDied("the crawl closed before extraction", url=url)
            deferred.callback((False, error, {}))
        workers = list(self._workers)
        for worker in workers:
            worker.close()
        if not workers:
            return succeed(None)
        timer = reactor.callLater(timeout, lambda: [w.kill() for w in workers])  # type: ignore[attr-defined]
        done: Deferred[Any] = DeferredList([w.exited for w in workers])

        def stop_timer(result: Any) -> None:
            if timer.active():
                timer.cancel()

        return done.addBoth(stop_timer)


if __name__ == "__main__":
    sys.exit(main())
