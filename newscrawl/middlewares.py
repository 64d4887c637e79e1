"""Downloader middlewares of newscrawl: retries that wait, politely, redirect loops, and
meta refreshes found without decoding every page.

:class:`BackoffRetryMiddleware` replaces Scrapy's ``RetryMiddleware`` (same settings, same
``retry/*`` stats, same ``dont_retry`` / ``max_retry_times`` meta keys) and adds waiting:
a retried request is handed back to the engine only after the server's ``Retry-After``
or an exponential backoff with full jitter, and a domain that answers 429 or 503 has its
download slot slowed down. The pure helpers :func:`parse_retry_after` and
:func:`backoff_ceiling` / :func:`backoff_delay` hold the arithmetic, so it can be tested
without a crawler.

:class:`RedirectLoopMiddleware` turns a redirect back onto a URL of the same chain into
an error the spider's errback sees, instead of a request the duplicate filter drops
without a word; :class:`FeedAndSitemapRedirectMiddleware` lets a sitemap's or a feed's redirect
past that filter, so that what it leads to is read, and judged, as the sitemap or feed.

:class:`SkimMetaRefreshMiddleware` replaces Scrapy's ``MetaRefreshMiddleware`` and
follows the same refreshes, but decodes a page only when its first bytes mention
"refresh": Scrapy's decodes every HTML page whole, and an article page that is only
passed to an extraction worker never needs its text in the crawl process.

Off the site: :class:`OriginOffsiteMiddleware` replaces Scrapy's ``OffsiteMiddleware`` and
asks the spider's ``is_onsite(url)`` (with ``--base-url``, one exact origin: scheme, host
and port), and :class:`OffsiteRedirectMiddleware` and :class:`SkimMetaRefreshMiddleware`
turn a redirect or meta refresh off the site into :class:`OffsiteRedirect`, which the
request's errback records: Scrapy's offsite filter would drop the redirected request as it
is scheduled, without calling any errback.

:class:`CappedRobotParser` (``ROBOTSTXT_PARSER``) is Scrapy's Protego parser over the first
500 KiB of a robots.txt (``newscrawl.robotstxt``), so that a file of many rules cannot make
every request of the crawl dear. :class:`RfcRobotsTxtMiddleware` replaces Scrapy's
``RobotsTxtMiddleware`` and reads its answer as RFC 9309 says: a 4xx allows everything, a
5xx or a failed download disallows everything (Scrapy reads any answer's body as rules,
and allows everything when the download fails), and checks every request that came while
robots.txt was being fetched (Scrapy 2.19 lets all but the first of them through). A
robots.txt's Crawl-delay becomes the least delay of its host's download slot
(:func:`crawl_delay_floor`), which ``extensions.CrawlDelayAutoThrottle`` keeps to.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Self
from urllib.parse import urljoin, urlsplit

from scrapy import Spider
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.robotstxt import ProtegoRobotParser, RobotParser
from scrapy.utils.asyncio import sleep as reactor_sleep
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred
from w3lib.url import safe_url_string

from newscrawl.extraction.page import page_encoding
from newscrawl.identity import canonicalize_url
from newscrawl.robotstxt import DISALLOW_ALL, UNAVAILABLE, capped

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

THROTTLE_CODES = frozenset({429, 503})
"""Statuses whose ``Retry-After`` is honoured and that slow the whole domain down."""

_DELAY_SECONDS = re.compile(r"[0-9]+")


def parse_retry_after(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Return the wait a ``Retry-After`` header asks for, in seconds, or None if unusable.

    ``value`` is either delay-seconds (ASCII digits only, RFC 9110 §10.2.3) or an HTTP
    date; a date is measured from ``now`` (default: the current UTC time) and a date in
    the past means 0. Anything else (empty, negative, fractional, garbage) gives None.

    >>> parse_retry_after("120")
    120.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 28, tzinfo=UTC))
    30.0
    >>> parse_retry_after("-5") is None
    True
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" zone: UTC without a claim of locality
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_ceiling(attempt: int, base: float, cap: float) -> float:
    """Return the longest backoff before retry number ``attempt`` (1-based).

    That is ``base * 2**(attempt-1)``, never more than ``cap`` and never negative.

    >>> [backoff_ceiling(n, 1.0, 5.0) for n in (1, 2, 3, 4)]
    [1.0, 2.0, 4.0, 5.0]
    """
    if base <= 0 or cap <= 0:
        return 0.0
    exponent = max(attempt, 1) - 1
    if exponent >= 64:  # 2**64 * base exceeds any sensible cap; avoid huge floats
        return cap
    return min(cap, base * 2.0**exponent)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Return a "full jitter" backoff: uniform between 0 and :func:`backoff_ceiling`."""
    ceiling = backoff_ceiling(attempt, base, cap)
    return (rng or random).uniform(0.0, ceiling) if ceiling else 0.0


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, plus a wait before each retry and per-domain slow-down.

    Promises:

    - Which requests are retried, how often, and the ``retry/count``,
      ``retry/reason_count/<reason>`` and ``retry/max_reached`` stats are exactly
      Scrapy's (``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, meta keys
      ``dont_retry`` and ``max_retry_times``).
    - A retried request is returned to the engine only after a wait: the
      ``Retry-After`` of a 429 or 503 answer when it parses, else
      ``uniform(0, min(NEWSCRAWL_RETRY_BACKOFF_MAX, NEWSCRAWL_RETRY_BACKOFF_BASE *
      2**(attempt-1)))`` (full jitter). Connection errors back off the same way. The
      wait does not block the reactor, and the time waited is added to
      ``newscrawl/retry/wait_seconds``. The slot delay (below) may add to it.
    - A wait is cut short when the crawl starts closing (Ctrl-C, ``CLOSESPIDER_*``):
      the request is then not retried, so its last failure reaches the spider's errback
      (counted in ``newscrawl/retry/cut_short``; ``retry/count`` already includes it).
    - A ``Retry-After`` longer than ``NEWSCRAWL_RETRY_AFTER_MAX`` is not waited for: the
      request is given up at once (its 429/503 goes on to the spider's errback as an
      HTTP error), logged, and counted in ``newscrawl/retry/retry_after_too_long``.
    - Every 429 or 503 (``dont_retry`` or not) raises the delay of the request's
      download slot (the domain) so that the next requests there start at least the
      Retry-After apart: the backoff ceiling when there is no usable Retry-After,
      including a too-long one, since a hostile value must not stall the run. The
      slot's jitter is compensated, so even the shortest jittered delay honours it.
      The first non-throttled answer from that slot puts back the delay it had,
      unless something else (AutoThrottle, which halves it on every 200) has changed
      it meanwhile. Counted in ``newscrawl/retry/slot_delay_raised``.

    Cost of waiting here rather than in the scheduler: a waiting request still counts
    towards ``CONCURRENT_REQUESTS`` (it is in the downloader's active set), but not
    towards the slot's per-domain concurrency.
    """

    WAIT_STEP = 1.0
    """Longest single sleep of a wait; the crawl's closing is checked between them."""

    def __init__(self, settings: BaseSettings) -> None:
        """Read the retry settings; raise NotConfigured when ``RETRY_ENABLED`` is off."""
        super().__init__(settings)
        self.backoff_base = max(0.0, settings.getfloat("NEWSCRAWL_RETRY_BACKOFF_BASE", 1.0))
        self.backoff_max = max(0.0, settings.getfloat("NEWSCRAWL_RETRY_BACKOFF_MAX", 60.0))
        self.retry_after_max = max(0.0, settings.getfloat("NEWSCRAWL_RETRY_AFTER_MAX", 300.0))
        self.rng = random.Random()
        self.sleep: Callable[[float], Awaitable[None]] = reactor_sleep
        """How to wait; tests replace it. Must not block the reactor."""
        self._raised: dict[str, tuple[float, float]] = {}
        """Slot key -> (delay before we raised it, delay we set)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the middleware from the crawler's settings."""
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    # -- downloader middleware API (no ``spider`` argument: Scrapy >= 2.14) -------------

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        """Return ``response``, or after a wait the request that retries it."""
        retry_after = None
        if response.status in THROTTLE_CODES:
            retry_after = parse_retry_after(response.headers.get(b"Retry-After"))
            self._slow_down_slot(request, self._slot_delay_for(request, retry_after))
        else:
            self._restore_slot(request)
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        if retry_after is not None and retry_after > self.retry_after_max:
            self._give_up_too_long(request, response, retry_after)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None or not await self._wait(retry, retry_after):
            return response
        return retry

    async def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        """Return None (let the error through), or after a backoff the retry request."""
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get(
            "dont_retry", False
        ):
            return None
        retry = self._retry(request, exception)
        if retry is None or not await self._wait(retry, None):
            return None
        return retry

    # -- waiting ---------------------------------------------------------------------

    def wait_for(self, retry: Request, retry_after: float | None) -> float:
        """Return the seconds to wait before sending ``retry`` (a request from ``_retry``)."""
        if retry_after is not None:
            return retry_after
        attempt = int(retry.meta.get("retry_times", 1))
        return backoff_delay(attempt, self.backoff_base, self.backoff_max, self.rng)

    async def _wait(self, retry: Request, retry_after: float | None) -> bool:
        """Wait before ``retry``; return False when the crawl began closing meanwhile.

        The wait is taken in steps of at most :attr:`WAIT_STEP` seconds, so that a
        closing crawl (Ctrl-C, ``CLOSESPIDER_TIMEOUT``) is not held up by a long
        Retry-After: a retry handed to a closing engine would be dropped unseen, so the
        caller gives the request up instead and the spider's errback records it.
        """
        seconds = self.wait_for(retry, retry_after)
        if seconds > 0:
            logger.debug(
                "Waiting %.2f s before retry %d of %s",
                seconds,
                retry.meta.get("retry_times", 1),
                retry,
            )
        waited = 0.0
        while waited < seconds and not self._crawl_closing():
            step = min(self.WAIT_STEP, seconds - waited)
            await self.sleep(step)
            waited += step
        if waited:
            self._stats_inc("newscrawl/retry/wait_seconds", waited)
        if self._crawl_closing():
            self._stats_inc("newscrawl/retry/cut_short")
            logger.info("Not retrying %s: the crawl is closing", retry)
            return False
        return True

    def _crawl_closing(self) -> bool:
        """True once the engine is stopping or closing the spider."""
        try:
            engine = self.crawler.engine
        except RuntimeError:  # not started: nothing to close
            return False
        if not getattr(engine, "running", True):
            return True
        # CLOSESPIDER_* close the spider without stopping the engine; Scrapy 2.19 marks
        # that only on the engine's private slot. Read defensively: should it be renamed,
        # only this shortcut is lost.
        return getattr(getattr(engine, "_slot", None), "closing", None) is not None

    def _give_up_too_long(self, request: Request, response: Response, seconds: float) -> None:
        self._stats_inc("newscrawl/retry/retry_after_too_long")
        level = request.meta.get("give_up_log_level", self.give_up_log_level)
        if isinstance(level, str):
            level = logging.getLevelName(level)
        logger.log(
            level if isinstance(level, int) else logging.ERROR,
            "Gave up on %s: %d asks Retry-After %.0f s, more than "
            "NEWSCRAWL_RETRY_AFTER_MAX (%.0f s)",
            request,
            response.status,
            seconds,
            self.retry_after_max,
        )

    # -- per-domain slow-down -----------------------------------------------------------

    def _slot(self, request: Request) -> tuple[str, Slot] | None:
        """Return the download slot ``request`` went through, if the crawl has it."""
        key = request.meta.get("download_slot")
        try:
            slots = self.crawler.engine.downloader.slots
        except (AttributeError, RuntimeError):  # no engine: the crawl has not started
            return None
        slot = slots.get(key) if key is not None else None
        return (key, slot) if slot is not None else None

    def _slot_delay_for(self, request: Request, retry_after: float | None) -> float:
        """Return the slot delay a 429/503 asks for: its Retry-After, else the backoff ceiling.

        A Retry-After above ``NEWSCRAWL_RETRY_AFTER_MAX`` counts as unusable, so that one
        hostile answer cannot slow every other page of the domain to a crawl.
        """
        if retry_after is not None and retry_after <= self.retry_after_max:
            return retry_after
        attempt = int(request.meta.get("retry_times", 0)) + 1
        return backoff_ceiling(attempt, self.backoff_base, self.backoff_max)

    def _slow_down_slot(self, request: Request, seconds: float) -> None:
        """Make the next requests of the slot start at least ``seconds`` apart."""
        found = self._slot(request)
        if found is None or seconds <= 0:
            return
        key, slot = found
        jitter = float(getattr(slot, "jitter", 0.0) or 0.0)
        wanted = seconds / (1.0 - jitter) if 0.0 < jitter < 1.0 else seconds
        if slot.delay >= wanted:
            return
        before = self._raised.get(key, (slot.delay, slot.delay))[0]
        self._raised[key] = (before, wanted)
        logger.info("Slowing down %s: delay %.2f s -> %.2f s", key, slot.delay, wanted)
        slot.delay = wanted
        self._stats_inc("newscrawl/retry/slot_delay_raised")

    def _restore_slot(self, request: Request) -> None:
        """Put back the slot's delay after a non-throttled answer, if we raised it."""
        found = self._slot(request)
        if found is None or found[0] not in self._raised:
            return
        key, slot = found
        before, ours = self._raised.pop(key)
        if slot.delay == ours:  # nobody (AutoThrottle) adjusted it since
            before = max(before, crawl_delay_floor(self.crawler, key))
            logger.info("Speeding %s up again: delay %.2f s -> %.2f s", key, slot.delay, before)
            slot.delay = before

    def _stats_inc(self, key: str, count: float = 1) -> None:
        self.crawler.stats.inc_value(key, count)


class OffsiteRedirect(IgnoreRequest):
    """A redirect or meta refresh leads off the site; the request's errback records it."""


def onsite_check(crawler: Crawler) -> Callable[[str], bool] | None:
    """Return the spider's ``is_onsite(url)``, or None when the spider has none (then every
    URL counts as on the site)."""
    spider = getattr(crawler, "spider", None)
    check = getattr(spider, "is_onsite", None)
    return check if callable(check) else None


def refuse_offsite_redirect(crawler: Crawler, request: Request, target: str, how: str) -> None:
    """Raise :class:`OffsiteRedirect` when ``target`` (where ``request`` is sent next) is off
    the spider's site; count it in ``newscrawl/redirect/offsite``."""
    check = onsite_check(crawler)
    if check is None or check(target):
        return
    crawler.stats.inc_value("newscrawl/redirect/offsite")
    chain = [*request.meta.get("redirect_urls", []), request.url, target]
    raise OffsiteRedirect(f"{how} off the site: {' -> '.join(chain)}")


class OriginOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's ``OffsiteMiddleware`` (same stats, same ``allow_offsite`` and ``dont_filter``
    escapes), deciding with the spider's ``is_onsite(url)`` when it has one.

    Why: Scrapy's matches host names only, so with ``--base-url http://127.0.0.1:8000`` any
    port of 127.0.0.1 was allowed and other local services were fetched and published as
    records of the site.
    """

    def should_follow(self, request: Request, spider: Spider) -> bool:
        """Return True when ``request`` is on the site (see the class docstring)."""
        check = getattr(spider, "is_onsite", None)
        if callable(check):
            return bool(check(request.url))
        return super().should_follow(request, spider)


REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
"""Statuses Scrapy's RedirectMiddleware follows when there is a Location header."""


class RedirectLoopMiddleware:
    """Fail a request whose redirect leads back to a URL already in its redirect chain.

    Why: Scrapy's RedirectMiddleware sends each redirect back through the scheduler
    with the original ``dont_filter`` (False), so when ``/a/`` redirects to ``/b/``
    and ``/b/`` back to ``/a/``, the duplicate filter drops the second ``/a/`` (only
    ``dupefilter/filtered`` moves): the page silently vanishes, with no errback and no
    reject, long before ``REDIRECT_MAX_TIMES`` could stop it.

    Promises: for a 3xx answer with a Location that RedirectMiddleware would follow,
    if the target's canonical URL (:func:`newscrawl.identity.canonicalize_url`, the key
    of the duplicate filter) equals the request's URL or one of
    its ``redirect_urls``, raise :class:`~scrapy.exceptions.IgnoreRequest` with the
    chain in the message (the request's errback gets it) and count
    ``newscrawl/redirect/loop``. Every other response passes through untouched; so do
    requests with ``dont_redirect`` or that handle the status themselves.

    It must see responses before RedirectMiddleware (600) does, so its priority in
    ``DOWNLOADER_MIDDLEWARES`` must be higher than 600, e.g. 610.
    """

    def __init__(self, crawler: Crawler) -> None:
        """Remember the crawler (for stats and the spider's ``handle_httpstatus_list``)."""
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the middleware."""
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        """Return ``response``, or raise IgnoreRequest when it redirects into a loop."""
        target = self.redirect_target(request, response)
        if target is None:
            return response
        chain = [*request.meta.get("redirect_urls", []), request.url]
        seen = {canonicalize_url(url) for url in chain}
        if canonicalize_url(target) not in seen:
            return response
        self.crawler.stats.inc_value("newscrawl/redirect/loop")
        raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, target])}")

    def redirect_target(self, request: Request, response: Response) -> str | None:
        """Return the absolute URL RedirectMiddleware would follow, or None if it would not."""
        if response.status not in REDIRECT_CODES or request.meta.get("dont_redirect", False):
            return None
        handled = getattr(self.crawler.spider, "handle_httpstatus_list", ())
        if (
            response.status in handled
            or response.status in request.meta.get("handle_httpstatus_list", ())
            or request.meta.get("handle_httpstatus_all", False)
        ):
            return None
        location = response.headers.get(b"Location")
        if not location:
            return None
        text = location.decode("latin-1")
        if text.startswith("//"):
            text = f"{request.url.split(':', 1)[0]}:{text}"
        return urljoin(request.url, safe_url_string(text))


class OffsiteRedirectMiddleware(RedirectLoopMiddleware):
    """Fail a request whose redirect leads off the site, with :class:`OffsiteRedirect`.

    Promises: for a 3xx answer that RedirectMiddleware would follow to a URL the spider's
    ``is_onsite`` refuses, raise :class:`OffsiteRedirect` naming the chain (the request's
    errback gets it; the spider records a reject of kind ``offsite-redirect``) and count
    ``newscrawl/redirect/offsite``. Everything else passes through. Like
    :class:`RedirectLoopMiddleware`, its priority must be above 600.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        """Return ``response``, or raise OffsiteRedirect when it redirects off the site."""
        target = self.redirect_target(request, response)
        if target is not None:
            refuse_offsite_redirect(self.crawler, request, target, f"redirect {response.status}")
        return response


class FeedAndSitemapRedirectMiddleware:
    """Let the redirect of a sitemap or a feed (a 3xx, a meta refresh) past the duplicate
    filter.

    Why: a portal that moved its sitemap or feed often redirects the old URL to its home
    page, which the crawl asked for already. Scrapy's redirect middlewares give the
    redirected request the first request's ``dont_filter`` (False), and the duplicate filter
    drops it (only ``dupefilter/filtered`` moves): the entry point is lost without a word.

    Promises: when the answer to a request whose redirect the spider judges
    (``redirect_is_judged``: a sitemap's, a feed's) comes, set that request's
    ``dont_filter``, which a redirect of it inherits. The page the redirect leads to is then
    fetched (again) and read as the sitemap or feed, and the spider says what it is
    (``PortalSpider.sitemap_body``, ``newscrawl.spiders.reading.feed_reading``). Loops and
    redirects off the site are still stopped (:class:`RedirectLoopMiddleware`,
    :class:`OffsiteRedirectMiddleware`: they see the answer first), and no other redirect is
    sent past the duplicate filter. Its priority must be above those of RedirectMiddleware
    (600) and the meta refresh middleware.
    """

    def __init__(self, crawler: Crawler) -> None:
        """Remember the crawler (for its spider's ``redirect_is_judged``)."""
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the middleware."""
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        """Return ``response`` unchanged; mark a sitemap's or feed's request ``dont_filter``."""
        check = getattr(self.crawler.spider, "redirect_is_judged", None)
        if callable(check) and check(request):
            request.dont_filter = True
        return response


REFRESH_SCAN_CHARACTERS = 4096
"""Scrapy looks for a meta refresh in a page's first 4,096 characters."""
REFRESH_SCAN_BYTES = REFRESH_SCAN_CHARACTERS * 4
"""In an encoding that writes ASCII as ASCII, those characters fit in this many bytes; when
the first 4,096 bytes are all ASCII, they are those characters."""


class SkimMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware`` (same settings, same redirects), minus the decoding
    of pages that cannot hold a refresh.

    Promises: a response is returned untouched and undecoded when the bytes that can hold
    Scrapy's first 4,096 characters have no NUL byte and no "refresh" in any letter case:
    the first :data:`REFRESH_SCAN_CHARACTERS` bytes when they are all ASCII (they are those
    characters), else the first :data:`REFRESH_SCAN_BYTES`. Any other response goes
    through Scrapy's middleware as it is. NUL bytes mean UTF-16 or UTF-32, where the word is
    not spelled in ASCII bytes; Scrapy then reads the page in the encoding extraction reads
    it in (:func:`~newscrawl.extraction.page.page_encoding`), not in w3lib's, which takes a
    ``utf-16`` charset without a BOM for big-endian. A refresh to a URL off the spider's
    site (its ``is_onsite``) raises :class:`OffsiteRedirect` instead of being followed.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:
        """Return the redirect request Scrapy would, without decoding a page with no refresh."""
        checked = response
        if isinstance(response, HtmlResponse):
            body = response.body
            head = body[:REFRESH_SCAN_CHARACTERS]
            # An ASCII head (most pages) is the whole window: a quarter of the bytes to lower.
            # bytes.lower() is several times faster than a case-blind regex, and than decoding.
            head = (head if head.isascii() else body[:REFRESH_SCAN_BYTES]).lower()
            if b"\0" not in head and b"refresh" not in head:
                return response
            if b"\0" in head:
                encoding, _declared = page_encoding(body, response.headers)
                checked = response.replace(encoding=encoding)
        result = super().process_response(request, checked)
        if result is checked:
            result = response  # no refresh: the response as it came, not the re-read copy
        crawler = getattr(self, "crawler", None)  # set by Scrapy's from_crawler
        if isinstance(result, Request) and crawler is not None:
            refuse_offsite_redirect(crawler, request, result.url, "meta refresh")
        return result


CRAWL_DELAY = "newscrawl_crawl_delay"
"""Key, in the downloader's per-slot settings (``DOWNLOAD_SLOTS``), of the Crawl-delay a
host's robots.txt asks for: the least delay its slot keeps (:func:`crawl_delay_floor`)."""


def crawl_delay_floor(crawler: Crawler, key: str | None) -> float:
    """Return the seconds robots.txt's Crawl-delay puts between two requests of the download
    slot ``key`` (a host name), or 0 when it asks for none (or the crawl has no engine)."""
    try:
        per_slot = crawler.engine.downloader.per_slot_settings
    except (AttributeError, RuntimeError):
        return 0.0
    return float(per_slot.get(key or "", {}).get(CRAWL_DELAY, 0.0))


class CappedRobotParser(ProtegoRobotParser):
    """Scrapy's Protego robots.txt parser over the robots.txt :func:`~newscrawl.robotstxt.capped`
    to RFC 9309's 500 KiB."""

    def __init__(self, robotstxt_body: bytes, spider: Spider | None) -> None:
        super().__init__(capped(robotstxt_body), spider)


_SCRAPY_ROBOTS_LOG = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")


class _RobotsDownloadErrorFilter(logging.Filter):
    """Leave out Scrapy's log line of a robots.txt that could not be fetched: it names the
    page that asked rather than robots.txt and carries a traceback for what is a server's
    fault (a timeout, a refused connection, a body that is not the gzip it claims).
    :class:`RfcRobotsTxtMiddleware` logs one line of its own, which the run's report fails
    on."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Tell whether ``record`` is to be logged: all but that line."""
        return not str(record.msg).startswith("Error downloading %(request)s")


class RfcRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with the answer read as RFC 9309 (section 2.3.1) says.

    - 2xx: the rules in the body (the first 500 KiB: :class:`CappedRobotParser`).
    - 4xx ("unavailable"): no rules, everything allowed, whatever the error page says.
    - 5xx, or no answer at all (a connection error, a timeout: "unreachable"): everything
      on that host disallowed for this run, logged as an error, and set in the stat
      :data:`~newscrawl.robotstxt.UNAVAILABLE`, which fails the run's report. The next run
      asks again.

    A robots.txt request dropped on purpose (``IgnoreRequest``) is left to Scrapy: no rules.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_crawl_delay = crawler.settings.getfloat("NEWSCRAWL_MAX_CRAWL_DELAY", 30.0)
        if not any(isinstance(f, _RobotsDownloadErrorFilter) for f in _SCRAPY_ROBOTS_LOG.filters):
            _SCRAPY_ROBOTS_LOG.addFilter(_RobotsDownloadErrorFilter())

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """Return the robots.txt parser of ``request``'s host, fetching robots.txt first if
        no request has yet; a request that comes while it is being fetched waits for it.

        Scrapy 2.19 makes every waiting request await the host's one Deferred through
        ``asFuture``, which hands the parser to the first of them only: the others get
        None and go out unchecked (the portal's sitemap index, fetched despite
        ``Disallow: /``). Here each waiter gets a Deferred of its own.
        """
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        waiter: Deferred[RobotParser | None] = Deferred()

        def relay(parser: RobotParser | None) -> RobotParser | None:
            waiter.callback(parser)
            return parser  # for the next waiter

        pending.addCallback(relay)
        return await maybe_deferred_to_future(waiter)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if 400 <= response.status < 500:
            response = response.replace(body=b"")
        elif response.status >= 500:
            self._unavailable(response.url, f"answered HTTP {response.status}")
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)
        if 200 <= response.status < 300:
            self._honour_crawl_delay(self._parsers[netloc], request)

    def _honour_crawl_delay(self, parser: RobotParser, request: Request) -> None:
        """Make the requests of ``request``'s download slot start at least the Crawl-delay
        apart that ``parser``'s robots.txt asks of us (at most ``NEWSCRAWL_MAX_CRAWL_DELAY``),
        without jitter, for the rest of the run: also after the slot is idle and made again,
        and whatever AutoThrottle or a retry's slow-down does to its delay."""
        agent = self._robotstxt_useragent or request.headers.get(
            b"User-Agent", self._default_useragent
        )
        asked = parser.crawl_delay(agent)
        if not asked or asked <= 0:
            return
        seconds = min(float(asked), self.max_crawl_delay)
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        if asked > seconds:
            logger.warning(
                "robots.txt of %s asks for a Crawl-delay of %s s: keeping to %s s "
                "(NEWSCRAWL_MAX_CRAWL_DELAY)",
                key,
                asked,
                seconds,
            )
        else:
            logger.info("robots.txt of %s asks for a Crawl-delay of %s s", key, seconds)
        entry = downloader.per_slot_settings.setdefault(key, {})
        entry[CRAWL_DELAY] = max(seconds, float(entry.get(CRAWL_DELAY, 0.0)))
        entry["delay"] = max(float(entry.get("delay", 0.0)), entry[CRAWL_DELAY])
        entry["jitter"] = 0.0  # a jittered delay starts some requests sooner than asked
        if (slot := downloader.slots.get(key)) is not None:
            slot.delay = max(slot.delay, entry[CRAWL_DELAY])
            slot.jitter = 0.0
        self._stats.set_value(f"newscrawl/robots/crawl_delay/{key}", entry[CRAWL_DELAY])

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._unavailable(
            f"robots.txt of {netloc}", f"could not be fetched ({str(exc).rstrip('.')})"
        )
        parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(pending, Deferred):
            pending.callback(parser)

    def allows(self, url: str) -> bool | None:
        """Tell, without waiting, whether the robots.txt of ``url``'s host lets us fetch
        ``url``, as :meth:`process_request` will judge its request; None when that
        robots.txt has not been read yet, or gave no rules (a request waits for it and is
        judged then)."""
        parser = self._parsers.get(urlsplit(url).netloc)
        if parser is None or isinstance(parser, Deferred):
            return None
        agent = self._robotstxt_useragent or self._default_useragent
        return bool(parser.allowed(url, agent))

    def _unavailable(self, robots: str, why: str) -> None:
        """Say that ``robots`` could not be read, so that nothing is fetched from its host."""
        line = f"{robots} {why}: nothing is fetched from its host (RFC 9309)"
        logger.error("%s", line)
        self._stats.set_value(UNAVAILABLE, line)
