"""Unit tests of the downloader middlewares, with real Scrapy requests, responses and crawlers.

The middlewares' ``sleep`` is replaced by a recorder, so no test waits for real except
the one that checks that waiting does not block the event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.core.downloader import Downloader, Slot
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import (
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    ScrapyDeprecationWarning,
)
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from newscrawl import settings as project_settings
from newscrawl.middlewares import (
    CRAWL_DELAY,
    REFRESH_SCAN_BYTES,
    REFRESH_SCAN_CHARACTERS,
    BackoffRetryMiddleware,
    CappedRobotParser,
    FeedAndSitemapRedirectMiddleware,
    RedirectLoopMiddleware,
    RfcRobotsTxtMiddleware,
    SkimMetaRefreshMiddleware,
    backoff_ceiling,
    backoff_delay,
    parse_retry_after,
)
from newscrawl.spiders import portal_spider

URL = "http://127.0.0.1:8000/some-article/"
SLOT = "127.0.0.1"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def http_date(when: datetime) -> str:
    """Return ``when`` as an IMF-fixdate (``Sat, 28 Nov 2026 09:00:30 GMT``)."""
    return format_datetime(when.astimezone(UTC), usegmt=True)


def project_crawler(**overrides: Any) -> Crawler:
    """Return a crawler with newscrawl's retry settings (plus ``overrides``) and a spider."""
    names = [n for n in dir(project_settings) if n.startswith(("RETRY_", "NEWSCRAWL_RETRY_"))]
    settings = {name: getattr(project_settings, name) for name in names}
    settings["DOWNLOADER_MIDDLEWARES"] = project_settings.DOWNLOADER_MIDDLEWARES
    settings.update(overrides)
    crawler = get_crawler(Spider, settings)
    crawler.spider = Spider.from_crawler(crawler, name="test")
    return crawler


class Sleeps:
    """A stand-in for ``asyncio.sleep`` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    @property
    def total(self) -> float:
        """All the time waited, in seconds."""
        return sum(self.calls)


class CeilingRandom(random.Random):
    """A random source whose ``uniform`` always picks the top of the range."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.fixture
def crawler() -> Crawler:
    return project_crawler()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def mw(crawler: Crawler, sleeps: Sleeps) -> BackoffRetryMiddleware:
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    middleware.sleep = sleeps
    middleware.rng = random.Random(1234)
    return middleware


def stats(crawler: Crawler) -> dict[str, Any]:
    return crawler.stats.get_stats()


def response(
    status: int, request: Request | None = None, headers: dict[str, str] | None = None
) -> Response:
    request = request or Request(URL)
    return HtmlResponse(
        request.url, status=status, headers=headers or {}, body=b"<html></html>", request=request
    )


def answer(mw: BackoffRetryMiddleware, request: Request, resp: Response) -> Request | Response:
    return asyncio.run(mw.process_response(request, resp))


def fail(mw: BackoffRetryMiddleware, request: Request, exc: Exception) -> Request | Response | None:
    return asyncio.run(mw.process_exception(request, exc))


# -- Retry-After parsing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("1", 1.0),
        ("120", 120.0),
        (" 30 ", 30.0),
        (b"7", 7.0),
        ("007", 7.0),
        ("86400", 86400.0),
        (http_date(NOW + timedelta(seconds=30)), 30.0),
        (http_date(NOW + timedelta(hours=2)), 7200.0),
        ("Sat, 28 Nov 2026 09:01:00 GMT", 60.0),
        ("Saturday, 28-Nov-26 09:01:00 GMT", 60.0),  # RFC 850, obsolete but allowed
        ("Sat Nov 28 09:01:00 2026", 60.0),  # asctime, obsolete but allowed
        ("Sat, 28 Nov 2026 09:01:00 -0000", 60.0),
        ("Sat, 28 Nov 2026 12:01:00 +0300", 60.0),
    ],
)
def test_retry_after_parses_seconds_and_dates(value: str | bytes, expected: float) -> None:
    assert parse_retry_after(value, now=NOW) == pytest.approx(expected)


def test_retry_after_date_in_the_past_means_now() -> None:
    assert parse_retry_after(http_date(NOW - timedelta(minutes=5)), now=NOW) == 0.0


def test_retry_after_date_defaults_to_the_current_time() -> None:
    soon = datetime.now(UTC) + timedelta(seconds=100)
    assert 95.0 <= (parse_retry_after(http_date(soon)) or 0) <= 100.0


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "-1",
        "-120",
        "+5",
        "1.5",
        "5s",
        "1e3",
        "soon",
        "tomorrow at noon",
        "٣",  # an Arabic-Indic digit is a digit to str.isdigit, not to HTTP
        "Sat, 31 Feb 2026 09:00:00 GMT",
        "Sat, 28 Nov 2026 25:00:00 GMT",
        b"\xff\xfe",
    ],
)
def test_retry_after_garbage_or_negative_is_unusable(value: str | bytes | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


# -- backoff schedule ------------------------------------------------------------------


def test_backoff_ceiling_doubles_from_base_up_to_cap() -> None:
    assert [backoff_ceiling(n, 1.0, 60.0) for n in range(1, 9)] == [
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        60.0,
        60.0,
    ]
    assert [backoff_ceiling(n, 0.05, 60.0) for n in (1, 2, 3)] == pytest.approx([0.05, 0.1, 0.2])


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "expected"),
    [
        (0, 1.0, 60.0, 1.0),  # attempt numbers start at 1
        (-3, 1.0, 60.0, 1.0),
        (10_000, 1.0, 60.0, 60.0),  # no overflow
        (3, 0.0, 60.0, 0.0),
        (3, 1.0, 0.0, 0.0),
        (3, -1.0, 60.0, 0.0),
    ],
)
def test_backoff_ceiling_edges(attempt: int, base: float, cap: float, expected: float) -> None:
    assert backoff_ceiling(attempt, base, cap) == expected


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 8, 20])
def test_backoff_delay_stays_within_zero_and_ceiling(attempt: int) -> None:
    rng = random.Random(attempt)
    ceiling = backoff_ceiling(attempt, 1.0, 60.0)
    delays = [backoff_delay(attempt, 1.0, 60.0, rng) for _ in range(500)]
    assert all(0.0 <= d <= ceiling for d in delays)
    # Full jitter: spread over the whole range, not bunched at the ceiling.
    assert min(delays) < 0.1 * ceiling
    assert max(delays) > 0.9 * ceiling


def test_backoff_delay_without_ceiling_is_zero() -> None:
    assert backoff_delay(3, 0.0, 60.0) == 0.0


# -- configuration ---------------------------------------------------------------------


def test_reads_newscrawl_settings(mw: BackoffRetryMiddleware) -> None:
    assert (mw.backoff_base, mw.backoff_max, mw.retry_after_max) == (1.0, 60.0, 300.0)
    assert mw.max_retry_times == project_settings.RETRY_TIMES
    assert {429, 503, 500} <= mw.retry_http_codes


def test_settings_can_be_overridden_as_strings() -> None:
    crawler = project_crawler(
        NEWSCRAWL_RETRY_BACKOFF_BASE="0.05",
        NEWSCRAWL_RETRY_BACKOFF_MAX="2",
        NEWSCRAWL_RETRY_AFTER_MAX="10",
    )
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    assert (mw.backoff_base, mw.backoff_max, mw.retry_after_max) == (0.05, 2.0, 10.0)


def test_retry_disabled_means_not_configured() -> None:
    with pytest.raises(NotConfigured):
        BackoffRetryMiddleware.from_crawler(project_crawler(RETRY_ENABLED=False))


def test_methods_take_no_spider_argument() -> None:
    for method in (
        BackoffRetryMiddleware.process_response,
        BackoffRetryMiddleware.process_exception,
    ):
        assert "spider" not in inspect.signature(method).parameters
    assert "spider" not in inspect.signature(RedirectLoopMiddleware.process_response).parameters


def test_project_middlewares_load_without_deprecation_warnings(crawler: Crawler) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScrapyDeprecationWarning)
        manager = build_from_crawler(DownloaderMiddlewareManager, crawler)
    names = [type(mw).__name__ for mw in manager.middlewares]
    assert "BackoffRetryMiddleware" in names
    assert "RetryMiddleware" not in names
    assert "SkimMetaRefreshMiddleware" in names
    assert "MetaRefreshMiddleware" not in names


# -- responses -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204, 301, 302, 304, 400, 403, 404, 410, 501])
def test_non_retry_codes_pass_through(
    mw: BackoffRetryMiddleware, sleeps: Sleeps, crawler: Crawler, status: int
) -> None:
    request = Request(URL)
    resp = response(status, request, {"Retry-After": "5"})
    assert answer(mw, request, resp) is resp
    assert sleeps.calls == []
    assert not any(key.startswith(("retry/", "newscrawl/retry/")) for key in stats(crawler))


def test_500_is_retried_after_a_jittered_backoff(
    mw: BackoffRetryMiddleware, sleeps: Sleeps, crawler: Crawler
) -> None:
    request = Request(URL, meta={"download_slot": SLOT})
    retry = answer(mw, request, response(500, request))
    assert isinstance(retry, Request)
    assert retry.url == URL
    assert retry.meta["retry_times"] == 1
    assert retry.dont_filter
    (waited,) = sleeps.calls
    assert 0.0 < waited <= 1.0
    assert stats(crawler)["retry/count"] == 1
    assert stats(crawler)["retry/reason_count/500 Internal Server Error"] == 1
    assert stats(crawler)["newscrawl/retry/wait_seconds"] == pytest.approx(waited)


def test_backoff_doubles_with_each_attempt_up_to_the_max(sleeps: Sleeps) -> None:
    crawler = project_crawler(RETRY_TIMES=8, NEWSCRAWL_RETRY_BACKOFF_MAX=10)
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    mw.sleep = sleeps
    mw.rng = CeilingRandom()
    request: Request | Response = Request(URL)
    waits = []
    for _ in range(8):
        assert isinstance(request, Request)
        before = sleeps.total
        request = answer(mw, request, response(502, request))
        waits.append(sleeps.total - before)
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0]
    assert max(sleeps.calls) <= BackoffRetryMiddleware.WAIT_STEP
    assert stats(crawler)["newscrawl/retry/wait_seconds"] == pytest.approx(55.0)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_is_waited_exactly(
    mw: BackoffRetryMiddleware, sleeps: Sleeps, crawler: Crawler, status: int
) -> None:
    request = Request(URL)
    retry = answer(mw, request, response(status, request, {"Retry-After": "3"}))
    assert isinstance(retry, Request)
    assert sleeps.total == 3.0
    assert stats(crawler)["newscrawl/retry/wait_seconds"] == 3.0


def test_retry_after_http_date_is_waited(mw: BackoffRetryMiddleware, sleeps: Sleeps) -> None:
    request = Request(URL)
    later = datetime.now(UTC) + timedelta(seconds=42)
    retry = answer(mw, request, response(503, request, {"Retry-After": http_date(later)}))
    assert isinstance(retry, Request)
    assert 38.0 <= sleeps.total <= 42.0


def test_retry_after_is_ignored_on_other_statuses(
    mw: BackoffRetryMiddleware, sleeps: Sleeps
) -> None:
    request = Request(URL)
    assert isinstance(answer(mw, request, response(500, request, {"Retry-After": "50"})), Request)
    (waited,) = sleeps.calls
    assert waited <= 1.0


@pytest.mark.parametrize("value", ["soon", "-5", "1.5", ""])
def test_unusable_retry_after_falls_back_to_backoff(
    mw: BackoffRetryMiddleware, sleeps: Sleeps, value: str
) -> None:
    request = Request(URL)
    assert isinstance(answer(mw, request, response(429, request, {"Retry-After": value})), Request)
    (waited,) = sleeps.calls
    assert 0.0 <= waited <= 1.0


def test_retry_after_zero_retries_without_waiting(
    mw: BackoffRetryMiddleware, sleeps: Sleeps, crawler: Crawler
) -> None:
    request = Request(URL)
    assert isinstance(answer(mw, request, response(429, request, {"Retry-After": "0"})), Request)
    assert sleeps.calls == []
    assert "newscrawl/retry/wait_seconds" not in stats(crawler)


@pytest.mark.parametrize(
    "value",
    [lambda: "301", lambda: "86400", lambda: http_date(datetime.now(UTC) + timedelta(days=1))],
    ids=["301", "86400", "http-date-a-day-ahead"],  # the date is taken when the test runs
)
def test_too_long_retry_after_gives_up_at_once(
    mw: BackoffRetryMiddleware,
    sleeps: Sleeps,
    crawler: Crawler,
    value: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = Request(URL)
    resp = response(503, request, {"Retry-After": value()})
    started = time.monotonic()
    assert answer(mw, request, resp) is resp
    assert time.monotonic() - started < 0.5
    assert sleeps.calls == []
    assert stats(crawler)["newscrawl/retry/retry_after_too_long"] == 1
    assert "retry/count" not in stats(crawler)
    assert "Retry-After" in caplog.text
    assert URL in caplog.text


def test_retry_after_at_the_max_is_still_waited(mw: BackoffRetryMiddleware, sleeps: Sleeps) -> None:
    request = Request(URL)
    assert isinstance(answer(mw, request, response(429, request, {"Retry-After": "300"})), Request)
    assert sleeps.total == 300.0


@pytest.mark.parametrize("status", [429, 500, 503])
def test_dont_retry_is_respected(
    mw: BackoffRetryMiddleware, sleeps: Sleeps, crawler: Crawler, status: int
) -> None:
    request = Request(URL, meta={"dont_retry": True})
    resp = response(status, request, {"Retry-After": "1"})
    assert answer(mw, request, resp) is resp
    assert sleeps.calls == []
    assert "retry/count" not in stats(crawler)


def test_gives_up_after_retry_times(
    mw: BackoffRetryMiddleware, sleeps: Sleeps, crawler: Crawler
) -> None:
    request = Request(URL, meta={"retry_times": project_settings.RETRY_TIMES})
    resp = response(500, request)
    assert answer(mw, request, resp) is resp
    assert sleeps.calls == []
    assert stats(crawler)["retry/max_reached"] == 1


def test_max_retry_times_meta_is_respected(mw: BackoffRetryMiddleware, sleeps: Sleeps) -> None:
    request = Request(URL, meta={"max_retry_times": 0})
    resp = response(503, request, {"Retry-After": "1"})
    assert answer(mw, request, resp) is resp
    assert sleeps.calls == []


# -- exceptions --------------------------------------------------------------------------


def test_connection_errors_back_off_too(
    mw: BackoffRetryMiddleware, sleeps: Sleeps, crawler: Crawler
) -> None:
    request = Request(URL)
    retry = fail(mw, request, DownloadTimeoutError("took too long"))
    assert isinstance(retry, Request)
    assert retry.meta["retry_times"] == 1
    (waited,) = sleeps.calls
    assert 0.0 < waited <= 1.0
    assert stats(crawler)["retry/reason_count/scrapy.exceptions.DownloadTimeoutError"] == 1


def test_other_exceptions_pass_through(mw: BackoffRetryMiddleware, sleeps: Sleeps) -> None:
    assert fail(mw, Request(URL), ValueError("not a network problem")) is None
    assert fail(mw, Request(URL, meta={"dont_retry": True}), DownloadTimeoutError()) is None
    assert fail(mw, Request(URL, meta={"retry_times": 3}), DownloadTimeoutError()) is None
    assert sleeps.calls == []


# -- waiting does not block, and gives way to a closing crawl ------------------------------


class StoppingSleeps(Sleeps):
    """Sleeps that stop the (stand-in) engine after ``after`` steps."""

    def __init__(self, engine: SimpleNamespace, after: int) -> None:
        super().__init__()
        self.engine = engine
        self.after = after

    async def __call__(self, seconds: float) -> None:
        await super().__call__(seconds)
        if len(self.calls) >= self.after:
            self.engine.running = False


def test_wait_is_cut_short_when_the_engine_stops(
    mw: BackoffRetryMiddleware, crawler: Crawler
) -> None:
    engine = SimpleNamespace(running=True, downloader=SimpleNamespace(slots={}))
    crawler.engine = engine  # type: ignore[assignment]
    mw.sleep = sleeps = StoppingSleeps(engine, after=2)
    request = Request(URL)
    resp = response(429, request, {"Retry-After": "200"})
    assert answer(mw, request, resp) is resp  # not retried: the errback will see the 429
    assert sleeps.calls == [1.0, 1.0]
    assert stats(crawler)["newscrawl/retry/wait_seconds"] == 2.0
    assert stats(crawler)["newscrawl/retry/cut_short"] == 1


def test_no_wait_at_all_when_the_spider_is_closing(
    mw: BackoffRetryMiddleware, sleeps: Sleeps, crawler: Crawler
) -> None:
    closing_slot = SimpleNamespace(closing=object())  # what CLOSESPIDER_TIMEOUT leaves
    crawler.engine = SimpleNamespace(  # type: ignore[assignment]
        running=True, _slot=closing_slot, downloader=SimpleNamespace(slots={})
    )
    assert fail(mw, Request(URL), DownloadTimeoutError()) is None
    assert sleeps.calls == []
    assert stats(crawler)["newscrawl/retry/cut_short"] == 1


# -- waiting does not block --------------------------------------------------------------


def test_real_waits_run_concurrently_on_the_event_loop() -> None:
    crawler = project_crawler(NEWSCRAWL_RETRY_BACKOFF_BASE=0.3)
    mw = BackoffRetryMiddleware.from_crawler(crawler)  # the real, non-blocking sleep
    mw.rng = CeilingRandom()

    async def five_retries() -> list[Request | Response]:
        requests = [Request(f"{URL}?n={n}") for n in range(5)]
        return await asyncio.gather(*(mw.process_response(r, response(500, r)) for r in requests))

    started = time.monotonic()
    results = asyncio.run(five_retries())
    elapsed = time.monotonic() - started
    assert all(isinstance(r, Request) for r in results)
    assert 0.29 <= elapsed < 0.9  # five 0.3 s waits side by side, not one after another


# -- per-domain slow-down --------------------------------------------------------------


@pytest.fixture
def slot(crawler: Crawler) -> Slot:
    """A real downloader slot for 127.0.0.1 behind a stand-in engine."""
    slot = Slot(concurrency=4, delay=0.25, jitter=0.5)
    crawler.engine = SimpleNamespace(downloader=SimpleNamespace(slots={SLOT: slot}))  # type: ignore[assignment]
    return slot


def slot_request() -> Request:
    return Request(URL, meta={"download_slot": SLOT})


def test_429_raises_the_slot_delay_beyond_jitter(
    mw: BackoffRetryMiddleware, slot: Slot, crawler: Crawler
) -> None:
    request = slot_request()
    answer(mw, request, response(429, request, {"Retry-After": "2"}))
    assert slot.delay == pytest.approx(4.0)  # 2 / (1 - 0.5): the shortest jittered delay is 2
    assert min(slot.download_delay() for _ in range(200)) >= 2.0
    assert stats(crawler)["newscrawl/retry/slot_delay_raised"] == 1


def test_slot_is_slowed_even_when_the_request_is_not_retried(
    mw: BackoffRetryMiddleware, slot: Slot
) -> None:
    request = Request(URL, meta={"download_slot": SLOT, "dont_retry": True})
    answer(mw, request, response(503, request, {"Retry-After": "3"}))
    assert slot.delay == pytest.approx(6.0)


def test_503_without_retry_after_slows_the_slot_by_the_backoff_ceiling(
    mw: BackoffRetryMiddleware, slot: Slot
) -> None:
    request = slot_request()
    answer(mw, request, response(503, request))
    assert slot.delay == pytest.approx(2.0)  # ceiling 1 s, jitter compensated


def test_too_long_retry_after_does_not_stall_the_slot(
    mw: BackoffRetryMiddleware, slot: Slot
) -> None:
    request = slot_request()
    answer(mw, request, response(429, request, {"Retry-After": "100000"}))
    assert slot.delay == pytest.approx(2.0)


def test_500_does_not_touch_the_slot(mw: BackoffRetryMiddleware, slot: Slot) -> None:
    request = slot_request()
    answer(mw, request, response(500, request))
    assert slot.delay == 0.25


def test_slower_slot_is_left_alone(mw: BackoffRetryMiddleware, slot: Slot) -> None:
    slot.delay = 30.0
    request = slot_request()
    answer(mw, request, response(429, request, {"Retry-After": "2"}))
    assert slot.delay == 30.0


def test_first_good_answer_restores_the_slot_delay(mw: BackoffRetryMiddleware, slot: Slot) -> None:
    request = slot_request()
    answer(mw, request, response(429, request, {"Retry-After": "1"}))
    answer(mw, request, response(429, request, {"Retry-After": "2"}))
    assert slot.delay == pytest.approx(4.0)
    answer(mw, request, response(200, request))
    assert slot.delay == 0.25


def test_a_restored_slot_delay_keeps_to_the_crawl_delay(
    mw: BackoffRetryMiddleware, slot: Slot
) -> None:
    slot.jitter = 0.0
    mw.crawler.engine.downloader.per_slot_settings = {SLOT: {CRAWL_DELAY: 1.5}}  # type: ignore[union-attr]
    request = slot_request()
    answer(mw, request, response(429, request, {"Retry-After": "2"}))
    assert slot.delay == pytest.approx(2.0)
    answer(mw, request, response(200, request))
    assert slot.delay == 1.5  # not the 0.25 s it had before the 429


def test_autothrottle_adjustment_is_not_undone(mw: BackoffRetryMiddleware, slot: Slot) -> None:
    request = slot_request()
    answer(mw, request, response(429, request, {"Retry-After": "2"}))
    slot.delay = 2.1  # AutoThrottle halved it on a 200 before the middleware saw it
    answer(mw, request, response(200, request))
    assert slot.delay == 2.1


def test_no_engine_means_no_slot_changes(mw: BackoffRetryMiddleware, sleeps: Sleeps) -> None:
    request = slot_request()
    assert isinstance(answer(mw, request, response(429, request, {"Retry-After": "1"})), Request)
    assert sleeps.calls == [1.0]


def test_a_crawl_delay_slot_waits_without_jitter_even_when_made_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Scrapy jitters every slot's delay by ±50% by default, which would start some
    requests sooner than the Crawl-delay asks; the slot of a host with one never is, also
    when Scrapy drops it while idle and makes it again from the per-slot settings."""
    crawler = project_crawler(ROBOTSTXT_OBEY=True, NEWSCRAWL_MAX_CRAWL_DELAY=30.0)
    downloader = Downloader(crawler)
    monkeypatch.setattr(downloader, "_start_slot_gc", lambda: None)
    crawler.engine = SimpleNamespace(downloader=downloader)  # type: ignore[assignment]
    request = Request(URL)
    _, before = downloader._get_slot(request)
    assert before.jitter > 0  # Scrapy's default, which the Crawl-delay must switch off
    mw = RfcRobotsTxtMiddleware(crawler)
    parser = CappedRobotParser(b"User-agent: *\nCrawl-delay: 2\n", crawler.spider)
    mw._honour_crawl_delay(parser, request)
    assert (before.delay, before.jitter) == (2.0, 0.0)
    del downloader.slots[SLOT]  # what Scrapy's slot GC does to an idle slot
    _, again = downloader._get_slot(request)
    assert (again.delay, again.jitter) == (2.0, 0.0)
    assert min(again.download_delay() for _ in range(200)) == 2.0


# -- redirect loops --------------------------------------------------------------------


@pytest.fixture
def loop_mw(crawler: Crawler) -> RedirectLoopMiddleware:
    return RedirectLoopMiddleware.from_crawler(crawler)


def redirect(request: Request, location: str, status: int = 302) -> Response:
    return Response(request.url, status=status, headers={"Location": location}, request=request)


def test_redirect_back_into_the_chain_is_an_error(
    loop_mw: RedirectLoopMiddleware, crawler: Crawler
) -> None:
    request = Request(
        "http://127.0.0.1:8000/_loop/a/", meta={"redirect_urls": ["http://127.0.0.1:8000/a/"]}
    )
    with pytest.raises(IgnoreRequest, match=r"redirect loop: .*/a/ -> .*/_loop/a/ -> .*/a/"):
        loop_mw.process_response(request, redirect(request, "http://127.0.0.1:8000/a/"))
    assert stats(crawler)["newscrawl/redirect/loop"] == 1


@pytest.mark.parametrize(
    "location", ["/a/", "/a/#comments", "//127.0.0.1:8000/a/", "http://127.0.0.1:8000/a/?"]
)
def test_loop_detection_resolves_the_location(
    loop_mw: RedirectLoopMiddleware, location: str
) -> None:
    request = Request("http://127.0.0.1:8000/a/")
    with pytest.raises(IgnoreRequest):
        loop_mw.process_response(request, redirect(request, location, 301))


def test_redirect_to_a_new_url_passes(loop_mw: RedirectLoopMiddleware) -> None:
    request = Request("http://127.0.0.1:8000/a", meta={"redirect_urls": ["http://x/old"]})
    resp = redirect(request, "/a/")
    assert loop_mw.process_response(request, resp) is resp


@pytest.mark.parametrize(
    "meta",
    [{"dont_redirect": True}, {"handle_httpstatus_list": [302]}, {"handle_httpstatus_all": True}],
)
def test_requests_handling_redirects_themselves_pass(
    loop_mw: RedirectLoopMiddleware, meta: dict[str, Any]
) -> None:
    request = Request("http://127.0.0.1:8000/a/", meta=meta)
    resp = redirect(request, "/a/")
    assert loop_mw.process_response(request, resp) is resp


@pytest.mark.parametrize("status", [200, 304, 404, 500])
def test_non_redirects_pass(loop_mw: RedirectLoopMiddleware, status: int) -> None:
    request = Request("http://127.0.0.1:8000/a/")
    resp = Response(request.url, status=status, headers={"Location": "/a/"}, request=request)
    assert loop_mw.process_response(request, resp) is resp


# -- a sitemap's redirect -----------------------------------------------------------------


def test_only_a_sitemaps_or_feeds_redirect_is_sent_past_the_duplicate_filter() -> None:
    """A moved sitemap or feed redirected to the home page must reach the spider, which the
    duplicate filter would stop (the home page was asked for first); any other redirect
    to a page asked for already is a duplicate, and stays one."""
    crawler = get_crawler(portal_spider("jmn"), {"NEWSCRAWL_STATE_DIR": ""})
    crawler.spider = spider = crawler._create_spider()
    marks = FeedAndSitemapRedirectMiddleware.from_crawler(crawler)
    redirects = RedirectMiddleware.from_crawler(crawler)
    asked = {
        "sitemap": (Request("https://jmn.info/sitemap_index.xml", spider._parse_sitemap), True),
        "robots.txt": (Request("https://jmn.info/robots.txt", spider._parse_sitemap), False),
        "feed": (Request("https://jmn.info/feed/", spider.parse_feed), True),
        "article": (Request("https://jmn.info/a/", spider.parse_article), False),
    }
    for name, (request, passes) in asked.items():
        answer = redirect(request, "/")
        followed = redirects.process_response(request, marks.process_response(request, answer))
        assert isinstance(followed, Request), name
        assert followed.url == "https://jmn.info/"
        assert followed.dont_filter is passes, name


# -- meta refresh ----------------------------------------------------------------------

FILLER = "<p>" + "Lavrov said what Putin agreed with Kerry. " * 20 + "</p>"


@pytest.fixture
def refresh_mw() -> SkimMetaRefreshMiddleware:
    return SkimMetaRefreshMiddleware.from_crawler(project_crawler())


def html_page(body: str, encoding: str = "utf-8") -> HtmlResponse:
    return HtmlResponse(
        "http://127.0.0.1:8000/a/",
        body=body.encode(encoding),
        headers={"Content-Type": f"text/html; charset={encoding}"},
        request=Request("http://127.0.0.1:8000/a/"),
    )


REFRESH = '<meta http-equiv="Refresh" content="0; url=/b/">'


@pytest.mark.parametrize(
    ("case", "page"),
    [
        ("refresh-in-head", f"<html><head>{REFRESH}</head><body>{FILLER}</body></html>"),
        ("refresh-upper-case", f"<HTML><HEAD>{REFRESH.upper()}</HEAD></HTML>"),
        ("refresh-after-a-long-head", f"<html><head><title>{'x' * 3000}</title>{REFRESH}"),
    ],
)
def test_meta_refresh_is_followed(
    refresh_mw: SkimMetaRefreshMiddleware, case: str, page: str
) -> None:
    response = html_page(page)
    redirected = refresh_mw.process_response(response.request, response)
    assert isinstance(redirected, Request), case
    assert redirected.url.lower() == "http://127.0.0.1:8000/b/"


def test_meta_refresh_in_utf16_is_followed(refresh_mw: SkimMetaRefreshMiddleware) -> None:
    response = html_page(f"<html><head>{REFRESH}</head></html>", "utf-16")
    redirected = refresh_mw.process_response(response.request, response)
    assert isinstance(redirected, Request)
    assert redirected.url == "http://127.0.0.1:8000/b/"


def test_meta_refresh_in_utf16_without_bom_is_read_as_extraction_reads_it(
    refresh_mw: SkimMetaRefreshMiddleware,
) -> None:
    """The label "utf-16" is UTF-16LE (WHATWG); Scrapy alone read these bytes big-endian
    and found no refresh in them."""
    url = "http://127.0.0.1:8000/a/"
    body = f"<html><head><title>Новости</title>{REFRESH}</head></html>".encode("utf-16-le")
    headers = {"Content-Type": "text/html; charset=utf-16"}
    response = HtmlResponse(url, body=body, headers=headers, request=Request(url))
    redirected = refresh_mw.process_response(response.request, response)
    assert isinstance(redirected, Request)
    assert redirected.url == "http://127.0.0.1:8000/b/"
    without = body.replace(REFRESH.encode("utf-16-le"), b"")
    plain = HtmlResponse(url, body=without, headers=headers, request=Request(url))
    assert refresh_mw.process_response(plain.request, plain) is plain


def test_page_without_refresh_is_not_decoded(refresh_mw: SkimMetaRefreshMiddleware) -> None:
    response = html_page(f"<html><head><title>A</title></head><body>{FILLER * 5}</body></html>")
    assert refresh_mw.process_response(response.request, response) is response
    assert getattr(response, "_cached_ubody", None) is None


def test_refresh_word_in_the_text_is_checked_as_scrapy_does(
    refresh_mw: SkimMetaRefreshMiddleware,
) -> None:
    response = html_page(f"<html><body><p>Refresh your browser.</p>{FILLER}</body></html>")
    assert refresh_mw.process_response(response.request, response) is response
    assert getattr(response, "_cached_ubody", None) is not None  # Scrapy looked


def test_refresh_word_behind_an_ascii_head_of_4096_bytes_is_not_decoded(
    refresh_mw: SkimMetaRefreshMiddleware,
) -> None:
    """4,096 ASCII bytes are Scrapy's whole 4,096-character window: a "refresh" after them
    (a paragraph, a script) cannot be a refresh to Scrapy, and the page is not decoded."""
    head = f"<html><head><title>{'x' * REFRESH_SCAN_CHARACTERS}</title></head>"
    response = html_page(f"{head}<body><p>Refresh your browser.</p>{FILLER}</body></html>")
    assert refresh_mw.process_response(response.request, response) is response
    assert getattr(response, "_cached_ubody", None) is None


def test_refresh_word_behind_a_non_ascii_head_is_checked_as_scrapy_does(
    refresh_mw: SkimMetaRefreshMiddleware,
) -> None:
    """With non-ASCII text the first 4,096 characters span more bytes: the page is decoded
    and Scrapy follows a refresh it finds within them."""
    page = f"<html><head><title>{'я' * 3000}</title>{REFRESH}</head></html>"
    response = html_page(page)
    assert len(page[:4096].encode()) > REFRESH_SCAN_CHARACTERS
    redirected = refresh_mw.process_response(response.request, response)
    assert isinstance(redirected, Request)


def test_refresh_beyond_the_first_4096_characters_is_ignored_as_by_scrapy(
    refresh_mw: SkimMetaRefreshMiddleware,
) -> None:
    page = f"<html><head><title>{'x' * REFRESH_SCAN_BYTES}</title>{REFRESH}</head></html>"
    response = html_page(page)
    assert refresh_mw.process_response(response.request, response) is response
