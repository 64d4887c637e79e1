"""Extraction worker processes: same records, every page answered, no orphan, no lost page."""

from __future__ import annotations

import fcntl
import io
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newscrawl import workers
from newscrawl.extraction import EmptyPage, ExtractionError, NotAnArticle, Truncated
from newscrawl.workers import FRAME, extract_record, serve, worker_count
from tests.conftest import FIXTURES, ROOT

SEED = FIXTURES / "jmn" / "seed-article.html"
URL = "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
NOW = datetime(2016, 3, 25, 9, tzinfo=UTC)
NOT_AN_ARTICLE = b"<html><body><p>Contact us</p></body></html>"


def frame(url: str, body: bytes) -> bytes:
    message = pickle.dumps((url, body, None, NOW), workers.PICKLE_PROTOCOL)
    return FRAME.pack(len(message)) + message


def outcomes(stream: bytes) -> list[tuple[bool, Any]]:
    found, at = [], 0
    while at < len(stream):
        (size,) = FRAME.unpack_from(stream, at)
        found.append(pickle.loads(stream[at + FRAME.size : at + FRAME.size + size]))
        at += FRAME.size + size
    return found


@pytest.mark.parametrize(("setting", "expected"), [("0", 0), (2, 2), ("3", 3)])
def test_worker_count(setting: object, expected: int) -> None:
    assert worker_count(setting) == expected  # type: ignore[arg-type]


def test_worker_count_auto_leaves_a_cpu_for_the_crawl() -> None:
    cpus = len(os.sched_getaffinity(0))
    assert worker_count("auto") == max(0, min(cpus - 1, 4))
    with pytest.raises(ValueError, match="0 or more"):
        worker_count("-1")


def test_serve_answers_every_page_in_order() -> None:
    pages = [(URL, SEED.read_bytes()), (URL + "x/", NOT_AN_ARTICLE), (URL + "y/", b"  \n")]
    sink = io.BytesIO()
    handled = serve("jmn", io.BytesIO(b"".join(frame(u, b) for u, b in pages)), sink)
    assert handled == 3
    (ok, record, _), (ok_2, not_article, _), (ok_3, empty, _) = outcomes(sink.getvalue())
    assert (ok, ok_2, ok_3) == (True, False, False)
    assert record == extract_record(URL, SEED.read_bytes(), None, "jmn", NOW)
    assert isinstance(not_article, NotAnArticle)
    assert not_article.url == URL + "x/"
    assert isinstance(empty, EmptyPage)


def test_serve_stops_at_a_cut_message_without_answering_it() -> None:
    whole = frame(URL, SEED.read_bytes())
    sink = io.BytesIO()
    assert serve("jmn", io.BytesIO(whole + whole[:-10]), sink) == 1
    assert len(outcomes(sink.getvalue())) == 1


def test_a_bug_in_extraction_becomes_an_extraction_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(workers, "extract_article", broken)
    with pytest.raises(ExtractionError, match="extraction failed: ZeroDivisionError") as caught:
        extract_record(URL, b"<html/>", None, "jmn", NOW)
    assert caught.value.kind == "extraction-error"
    assert caught.value.url == URL
    sink = io.BytesIO()
    serve("jmn", io.BytesIO(frame(URL, b"<html/>")), sink)
    ((ok, error, _),) = outcomes(sink.getvalue())
    assert not ok
    assert "ZeroDivisionError" in str(error)


def test_a_page_cut_before_its_article_markup_is_truncated_not_no_article() -> None:
    """Cut short before ``<article id="the-post">``, the seed page reads as no article; a
    page that is not an article is remembered as one, a truncated one is fetched again."""
    seed = SEED.read_bytes()
    cut = seed[: seed.index(b'<article class="post-listing')]
    with pytest.raises(Truncated, match="no closing </body> or </html> tag"):
        extract_record(URL, cut, None, "jmn", NOW)


def test_a_whole_page_that_is_not_an_article_stays_no_article() -> None:
    with pytest.raises(NotAnArticle):
        extract_record(URL, NOT_AN_ARTICLE, None, "jmn", NOW)


def start_worker(**options: Any) -> subprocess.Popen[bytes]:
    """Start the real worker command for ``jmn`` with pipes on its stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "newscrawl.workers", "jmn"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        **options,
    )


def test_worker_process_round_trip_and_clean_exit() -> None:
    """The real worker command: stray prints cannot corrupt its answers; EOF ends it."""
    worker = start_worker(stderr=subprocess.PIPE)
    stdout, stderr = worker.communicate(
        frame(URL, SEED.read_bytes()) + frame(URL, NOT_AN_ARTICLE), timeout=120
    )
    assert worker.returncode == 0, stderr.decode()[-2000:]
    ready, (ok, record, _), (ok_2, error, _) = outcomes(stdout)
    assert ready is None  # the first message: warmed up
    assert (ok, ok_2) == (True, False)
    assert record["headline_alt"]["lang"] == "ru"
    assert error.kind == "not-article"


def test_worker_command_needs_a_profile() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl.workers"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "usage" in result.stderr


REACTOR_SCRIPT = """
import asyncio, os, signal, sys, time
from datetime import datetime, timezone
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from newscrawl.workers import Extractor

SEED = open({seed!r}, "rb").read()
NOW = datetime(2016, 3, 25, 9, tzinfo=timezone.utc)

async def scenario():
    extractor = Extractor(1, "jmn")
    try:
{body}
    finally:
        extractor.close()

def done(result):
    reactor.stop()
    return result

# As in Scrapy: coroutines run as asyncio tasks on the reactor's loop.
reactor.callWhenRunning(
    lambda: Deferred.fromFuture(asyncio.ensure_future(scenario())).addBoth(done)
)
reactor.run()
"""


def reactor_script(body: str) -> str:
    """Return a script running ``body`` (an async block with ``extractor``, ``SEED``, ``NOW``)."""
    return REACTOR_SCRIPT.format(
        seed=str(SEED), body=textwrap.indent(textwrap.dedent(body), " " * 8)
    )


def run_in_reactor(body: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``body`` (see :func:`reactor_script`) under the reactor in a new process."""
    return subprocess.run(
        [sys.executable, "-c", reactor_script(body)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_extractor_gives_records_and_errors_through_a_worker() -> None:
    result = run_in_reactor(
        """
        record = await extractor.extract("https://jmn.info/a/", SEED, None, NOW)
        print("headline", record["headline"])
        try:
            await extractor.extract("https://jmn.info/b/", b"<html></html>", None, NOW)
        except Exception as exc:
            print("error", type(exc).__name__, exc.url)
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "headline Lavrov said what Putin agreed with Kerry" in result.stdout
    assert "error NotAnArticle https://jmn.info/b/" in result.stdout


def test_a_killed_worker_fails_only_its_pages_and_is_replaced() -> None:
    result = run_in_reactor(
        """
        first = asyncio.ensure_future(extractor.extract("https://jmn.info/a/", SEED, None, NOW))
        await asyncio.sleep(0)
        (worker,) = extractor._workers
        os.kill(worker.transport.pid, signal.SIGKILL)  # still warming up: holds the page
        try:
            await first
        except Exception as exc:
            print("lost", type(exc).__name__, exc.kind, exc.url)
        record = await extractor.extract("https://jmn.info/c/", SEED, None, NOW)
        print("after", record["url"], len(extractor._workers))
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "lost WorkerDied worker-died https://jmn.info/a/" in result.stdout
    assert "after https://jmn.info/c/ 1" in result.stdout


def test_a_worker_that_cannot_start_fails_its_pages_with_a_reason() -> None:
    result = run_in_reactor(
        """
        def refuse(*args, **kwargs):
            raise OSError(11, "Resource temporarily unavailable")

        reactor.spawnProcess = refuse
        try:
            await extractor.extract("https://jmn.info/a/", SEED, None, NOW)
        except Exception as exc:
            print("lost", type(exc).__name__, exc.url, exc)
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "lost WorkerDied https://jmn.info/a/ no extraction worker could start" in result.stdout
    assert "Could not start an extraction worker" in result.stderr


def test_workers_end_with_a_killed_crawl() -> None:
    script = reactor_script(
        """
        await extractor.extract("https://jmn.info/a/", SEED, None, NOW)
        print(extractor._workers[0].transport.pid, flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert _alive(worker)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker), "the worker outlived the killed crawl"
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_worker_process_does_not_load_scrapy() -> None:
    """A worker needs no Scrapy; loading it would cost about 30 MB per worker."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "newscrawl.workers", "jmn"],
        cwd=ROOT,
        input=b"",
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.decode().splitlines()]
    assert "newscrawl.extraction" in imported
    assert not [name for name in imported if name.startswith("scrapy.")]


def test_worker_runs_as_batch_work_with_wide_pipes() -> None:
    worker = start_worker()
    try:
        assert worker.stdin is not None
        assert worker.stdout is not None
        worker.stdin.write(frame(URL, NOT_AN_ARTICLE))
        worker.stdin.flush()
        worker.stdout.read(FRAME.size)  # answered: past its start-up
        fields = Path(f"/proc/{worker.pid}/stat").read_text().rsplit(")", 1)[1].split()
        nice, policy = int(fields[16]), int(fields[38])
        assert nice == min(19, os.nice(0) + workers.WORKER_NICENESS)
        assert policy == os.SCHED_BATCH
        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        for pipe in (worker.stdin, worker.stdout):  # widened from Linux's 64 KiB
            size = fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ)
            assert size == min(workers.PIPE_BYTES, limit) or limit < workers.PIPE_BYTES
    finally:
        worker.kill()
        worker.wait(timeout=30)


def test_url_repairs_of_a_page_come_back_with_its_outcome() -> None:
    bad = SEED.read_bytes().replace(
        b'<div class="entry">', b'<div class="entry"><p><img src="/a b.jpg"><img src="http://[x">'
    )
    sink = io.BytesIO()
    serve("jmn", io.BytesIO(frame(URL, bad) + frame(URL, SEED.read_bytes())), sink)
    (ok, _record, repairs), (_ok, _record_2, none) = outcomes(sink.getvalue())
    assert ok
    assert repairs["repaired"] >= 1
    assert repairs["dropped"] >= 1
    assert none == {}


@pytest.mark.parametrize(
    ("hook", "wall_factor", "why"),
    [
        pytest.param(
            "spin:hang",
            10_000,
            "s of CPU on one page",
            id="busy-in-c-code",
            marks=pytest.mark.slow,  # a worker runs niced: minutes on a busy machine
        ),
        pytest.param("hang", workers.HANG_WALL_FACTOR, "s on one page", id="blocked"),
    ],
)
def test_a_worker_stuck_past_the_budget_gives_too_slow_and_is_replaced(
    hook: str, wall_factor: int, why: str
) -> None:
    """A worker that does not stop at its budget (the hook stands for a call into lxml that
    runs on) is killed: its page is a too-slow reject, the page queued behind it is
    extracted by a new worker, and the crawl goes on. A busy worker is caught by its CPU
    time (the wall-clock limit is set out of reach), a blocked one by the wall clock."""
    result = run_in_reactor(
        f"""
        import newscrawl.workers
        newscrawl.workers.HANG_WALL_FACTOR = {wall_factor}
        os.environ[{workers.HANG_HOOK!r}] = {hook!r}
        stuck = Extractor(1, "jmn", timeout=0.5)
        try:
            first = asyncio.ensure_future(stuck.extract("https://jmn.info/hang/", SEED, None, NOW))
            second = asyncio.ensure_future(stuck.extract("https://jmn.info/b/", SEED, None, NOW))
            await asyncio.sleep(0)
            (worker,) = stuck._workers
            try:
                await first
            except Exception as exc:
                print("first", exc.kind, exc.url, exc)
            record = await second
            print("second", record["url"], stuck._workers[0].transport.pid != worker.transport.pid)
        finally:
            stuck.close()
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "first too-slow https://jmn.info/hang/" in result.stdout
    assert why in result.stdout
    assert "second https://jmn.info/b/ True" in result.stdout
    assert "is stuck" in result.stderr
