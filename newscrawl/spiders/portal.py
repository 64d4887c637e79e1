"""The one spider: it discovers article pages of a portal and hands them to extraction.

Entry points come from the site profile (home/category listings, RSS/Atom feeds,
sitemaps); the spider never changes per portal. Sitemap handling is Scrapy's
SitemapSpider (sitemap index, ``sitemap_follow``, gzip, robots.txt), with
``sitemap_filter`` used to canonicalise URLs, apply ``since`` and remember ``<lastmod>``.
A sitemap or feed whose XML is damaged or hostile gives every entry that can be read, and
is reported (``report_damaged``; ``newscrawl.spiders.reading`` and ``newscrawl.xmlread``
say how it is read); a sitemap or feed that cannot be read at all (too large, not a
sitemap, not a feed) is reported too (``report_unread``).

Every URL the spider decides about is a *page URL*: the portal's own URL in canonical
form. With ``base_url`` the portal is fetched from another origin (a saved copy served on
127.0.0.1), but records, state and decisions still use the portal's own URLs.
"""

from __future__ import annotations

import itertools
import logging
import struct
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from datetime import UTC, datetime
from functools import cache, cached_property, lru_cache
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.spiders import SitemapSpider
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from newscrawl import __version__
from newscrawl.discovery import document_base
from newscrawl.extensions import site_state
from newscrawl.extraction import ExtractionError, TooLarge, check_source
from newscrawl.extraction.processors import DateParser, absolute_url, format_datetime
from newscrawl.extraction.selectors import select
from newscrawl.identity import canonicalize_url, has_userinfo, origin_key
from newscrawl.items import Reject
from newscrawl.middlewares import OffsiteRedirect
from newscrawl.names import check_name, check_run_id
from newscrawl.profiles import Profile, load_profile, portal_problem
from newscrawl.report import OPTIONAL_META, count_as_failed, count_failure, run_id_for
from newscrawl.spiders.reading import (
    NOT_A_SITEMAP,
    NOT_WHAT_WAS_ASKED,
    SITEMAP_DAMAGED,
    SITEMAP_TOO_LARGE,
    Unread,
    asked_url,
    feed_reading,
    page_selector,
    page_text,
    sitemap_reading,
    sitemap_type,
    what_came,
    whole_entry,
)
from newscrawl.storage.backend import (
    FAILED_PAGE_BACKOFF,
    FAILED_PAGE_BACKOFF_MAX,
    StateBackend,
    Verdict,
)
from newscrawl.storage.state import parse_since
from newscrawl.workers import Extractor, extract_timeout, worker_count
from newscrawl.xmlread import (
    Fault,
    first_fault,
    parse_xml,
    without_internal_subset,
    xml_start,
)

logger = logging.getLogger(__name__)

LASTMOD_META = "newscrawl_lastmod"
"""Request meta: the page's date as feeds and sitemaps gave it to the worker that asked for
the page (the pipelines store it with the record or reject, wherever it is fetched)."""

_ISO_DATES = DateParser([], "UTC")

entry_point_fetched = object()
"""Signal: an entry point of the spider answered and reached its callback. Arguments:
``url`` (its canonical URL, as in ``entry_points``) and ``spider``. In distributed mode the
scheduler records it for the whole generation (``newscrawl.frontier.RedisScheduler``)."""


@cache
def _site_dates(languages: tuple[str, ...], timezone: str) -> DateParser:
    return DateParser(languages, timezone)


def origin(url: str) -> str:
    """Return ``scheme://host[:port]`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


URL_CACHE_SIZE = 16384
"""How many answers of ``page_url``, ``fetch_url``, ``is_onsite`` and ``portal_url`` a
spider remembers (each is a pure function of the URL, as the spider's base URL, home and
domains are fixed when it is built). A crawl meets one URL many times: in listings,
feeds and sitemaps, in its request and its response, and in the teasers and breadcrumbs of
other records."""

URL_KEYS = frozenset({"url", "canonical_url", "duplicate_of"})
"""Keys whose values are URLs, at any depth of a record (breadcrumb, images, teasers)."""


def rebase(url: str, new_origin: str) -> str:
    """Return ``url`` moved onto ``new_origin`` (path and query kept, fragment dropped)."""
    base = urlsplit(new_origin)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path or "/", parts.query, ""))


class PortalSpider(SitemapSpider):
    """Crawl one portal described by a site profile: ``scrapy crawl portal -a site=jmn``.

    Arguments: ``site`` (profile name); ``base_url`` (fetch the portal from this origin,
    e.g. a saved copy on 127.0.0.1); ``profile`` (extraction profile, when it differs from
    ``site``); ``since`` (a date or a duration such as ``2d``: feed and sitemap entries
    older than that are not fetched, nor listed articles dated before it).
    """

    name = "portal"
    site: str | None = None
    sitemap_rules = (("", "parse_article"),)
    _sitemap_read: tuple[Response, bytes] | None = None
    """The sitemap :meth:`_parse_sitemap` is reading, and its body, for
    :meth:`sitemap_entries` (Scrapy hands ``sitemap_filter`` the entries alone)."""

    def __init__(
        self,
        site: str | None = None,
        base_url: str | None = None,
        profile: str | None = None,
        since: str | datetime | None = None,
        **kwargs: Any,
    ) -> None:
        site = site or self.site
        if not site:
            raise ValueError("PortalSpider needs a site profile: -a site=NAME")
        self.site = check_name("site", site)
        self.profile: Profile = load_profile(profile or site)
        site_profile = load_profile(site)
        if problem := portal_problem(site_profile):
            raise ValueError(problem)
        discovery = site_profile.get("discovery", default={})
        starts = list(discovery.get("start_urls", []))
        self.home = origin(starts[0]) if starts else f"https://{site_profile.domains[0]}"
        self.base_url = origin(base_url) if base_url else None
        self._base_origin = origin_key(self.base_url) if self.base_url else None
        self.domains = set(site_profile.domains)
        self.start_urls = [self.fetch_url(u) for u in starts]
        self.feed_urls = [self.fetch_url(u) for u in discovery.get("feeds", [])]
        self.sitemap_urls = [self.fetch_url(u) for u in discovery.get("sitemaps", [])]
        self.sitemap_follow = list(discovery.get("sitemap_follow", [])) or [""]
        self.allowed_domains = [*self.domains]
        if self.base_url:
            self.allowed_domains.append(urlsplit(self.base_url).hostname or "")
        now = datetime.now(UTC)
        self.since = parse_since(since, now) if isinstance(since, str) else since
        self.lastmod: dict[str, str] = {}
        self.requested: set[str] = set()
        """Article pages this run has asked for (the state must not call them known)."""
        self.entry_points = frozenset(
            canonicalize_url(u) for u in (*self.start_urls, *self.feed_urls, *self.sitemap_urls)
        )
        """The profile's entry points (canonical fetch URLs): start URLs, feeds, sitemaps."""
        self.entry_points_due = set(self.entry_points)
        """Entry points that have not answered yet in this run."""
        self.skipped: set[tuple[str, str]] = set()
        """``(reason, page)`` of the articles this run did not fetch, counted once each."""
        self.state: StateBackend | None = None
        """The site's state, from ``newscrawl.extensions.SiteState`` as the crawl starts."""
        self.extractor = Extractor(0, self.profile.name)
        super().__init__(**kwargs)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Apply the profile's crawl settings, and a User-Agent naming the contact URL.

        ``USER_AGENT`` is built from ``NEWSCRAWL_CONTACT_URL`` unless set explicitly.
        """
        super().update_settings(settings)
        if settings.getpriority("USER_AGENT") <= SETTINGS_PRIORITIES["project"]:
            contact = settings.get("NEWSCRAWL_CONTACT_URL")
            settings.set("USER_AGENT", f"newscrawl/{__version__} (+{contact})", priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Build the spider with its extraction workers (``NEWSCRAWL_EXTRACT_PROCESSES``);
        without workers, extraction in this process is warmed up here.

        The run lock and the state are not the spider's: ``newscrawl.extensions.SiteState``
        takes and opens them right after, for ``newscrawl crawl``, ``scrapy crawl`` and
        scrapyd jobs alike, and closes them after this spider has closed.
        """
        spider = super().from_crawler(crawler, *args, **kwargs)
        check_run_id(run_id_for(crawler))  # it names files under the output folder
        processes = worker_count(crawler.settings.get("NEWSCRAWL_EXTRACT_PROCESSES", 0))
        timeout = extract_timeout(crawler.settings.get("NEWSCRAWL_EXTRACT_TIMEOUT"))
        spider.extractor = Extractor(processes, spider.profile.name, timeout)
        if not processes:
            # Before the crawl opens, not on its first article: the reactor would stand
            # still for the load (about 0.1 s of CPU) with every download in flight.
            spider.extractor.warm_up()
        return spider

    async def closed(self, reason: str) -> None:
        """Stop the extraction workers and wait until they exit."""
        await maybe_deferred_to_future(self.extractor.close())

    # -- URLs ------------------------------------------------------------------------

    def fetch_url(self, url: str) -> str:
        """Return where to fetch the portal page ``url`` (moved onto ``base_url`` if set; a
        URL with user information is not moved, so that :meth:`is_onsite` refuses it)."""
        if not self.base_url:
            return url
        return self._remembered_fetch_urls(url)

    @cached_property
    def _remembered_fetch_urls(self) -> Callable[[str], str]:
        """:meth:`_fetch_url` remembering its last :data:`URL_CACHE_SIZE` answers."""
        return lru_cache(maxsize=URL_CACHE_SIZE)(self._fetch_url)

    def _fetch_url(self, url: str) -> str:
        if (urlsplit(url).hostname or "") in self.domains and not has_userinfo(url):
            return rebase(url, self.base_url or "")
        return url

    def is_onsite(self, url: str) -> bool:
        """Tell whether the crawl may fetch ``url``: with ``base_url``, only that exact origin
        (scheme, host and port); without it, http(s) on the profile's domains and their
        subdomains (any port). Never a URL with user information (``http://a@host/``): a
        link that carries one is not followed, a redirect to one is refused."""
        return self._remembered_onsite(url)

    @cached_property
    def _remembered_onsite(self) -> Callable[[str], bool]:
        """:meth:`_is_onsite` remembering its last :data:`URL_CACHE_SIZE` answers."""
        return lru_cache(maxsize=URL_CACHE_SIZE)(self._is_onsite)

    def _is_onsite(self, url: str) -> bool:
        if has_userinfo(url):
            return False
        key = origin_key(url)
        if key is None:
            return False
        if self.base_url:
            return key == self._base_origin
        host = key[1]
        return any(host == d or host.endswith("." + d) for d in self.domains)

    @cached_property
    def _origins(self) -> tuple[str, str, str]:
        """The ``base_url`` host, and the portal's scheme and host (``base_url`` is set)."""
        home = urlsplit(self.home)
        return urlsplit(self.base_url or "").netloc, home.scheme, home.netloc

    def portal_url(self, url: str) -> str:
        """Return ``url`` with the ``base_url`` host swapped for the portal's own origin (any
        other URL unchanged; path, query and fragment kept, no canonicalisation)."""
        if not self.base_url or not isinstance(url, str):
            return url
        return self._remembered_portal_urls(url)

    @cached_property
    def _remembered_portal_urls(self) -> Callable[[str], str]:
        """:meth:`_portal_url` remembering its last :data:`URL_CACHE_SIZE` answers."""
        return lru_cache(maxsize=URL_CACHE_SIZE)(self._portal_url)

    def _portal_url(self, url: str) -> str:
        base, scheme, host = self._origins
        parts = urlsplit(url)
        if parts.netloc != base or parts.scheme not in ("http", "https"):
            return url
        return urlunsplit((scheme, host, parts.path, parts.query, parts.fragment))

    def portal_urls(self, value: Any) -> Any:
        """Return ``value`` (a record or part of one) with every URL field (``URL_KEYS``, at
        any depth) moved back from the ``base_url`` origin to the portal's own (as
        :meth:`portal_url`); its dicts and lists are new, other values the same objects."""
        portal_url = self.portal_url
        containers = (dict, list)

        def walk(node: Any) -> Any:
            # Strings, numbers and None are most of a record: no call for each of them.
            if isinstance(node, dict):
                return {
                    k: portal_url(v)
                    if k in URL_KEYS
                    else (walk(v) if isinstance(v, containers) else v)
                    for k, v in node.items()
                }
            if isinstance(node, list):
                return [walk(v) if isinstance(v, containers) else v for v in node]
            return node

        return walk(value)

    def page_url(self, url: str) -> str:
        """Return the portal's own canonical URL for a fetched URL (inverse of fetch_url)."""
        return self._remembered_page_urls(url)

    @cached_property
    def _remembered_page_urls(self) -> Callable[[str], str]:
        """:meth:`_page_url` remembering its last :data:`URL_CACHE_SIZE` answers."""
        return lru_cache(maxsize=URL_CACHE_SIZE)(self._page_url)

    def _page_url(self, url: str) -> str:
        if self.base_url and origin(url) == self.base_url:
            url = rebase(url, self.home)
        return canonicalize_url(url)

    # -- discovery -------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """Take the site's state from the crawl; yield the requests for every entry point."""
        if self.state is None:
            extension = site_state(self.crawler)
            self.state = extension.store if extension is not None else None
        self.crawler.stats.set_value("newscrawl/entry_points/total", len(self.entry_points_due))
        for url in self.start_urls:
            yield Request(url, callback=self.parse_listing, errback=self.on_error)
        for url in self.feed_urls:
            yield Request(url, callback=self.parse_feed, errback=self.on_error)
        async for request in super().start():
            yield self.with_errback(request)
        for request in self.retry_requests():
            yield request

    def retry_requests(self) -> list[Request]:
        """Return the requests for the pages that failed in earlier runs and are due again
        (``StateBackend.failed_pages``, each judged as any article link is:
        :meth:`article_request`), so that a page no entry point links any more (a feed's
        item that scrolled off) is still tried until it gives a record. A page this run
        asked for already is left out."""
        if self.state is None:
            return []
        pages = [page for page in self.state.failed_pages() if page not in self.requested]
        self.state.prefetch(pages)
        return [
            request
            for page in pages
            if (request := self.article_request(page, self.lastmod.get(page))) is not None
        ]

    def with_errback(self, request: Any) -> Any:
        """Return ``request`` with :meth:`on_error` as its errback if it has none; pass any
        other output (items) through.

        SitemapSpider builds its own requests (sitemaps, and the articles they list) without
        an errback: their download failures would go unrecorded.
        """
        if isinstance(request, Request) and request.errback is None:
            # Set on the request itself, which SitemapSpider built for this answer alone:
            # request.replace() would build it again (24 us, URL checks included).
            request.errback = self.on_error
            # The page's date goes with its request: in distributed mode another worker,
            # which never read this sitemap, may fetch it (LASTMOD_META).
            if lastmod := self.lastmod.get(self.page_url(request.url)):
                request.meta[LASTMOD_META] = lastmod
        return request

    def remember_lastmod(self, page: str, lastmod: str | None) -> str | None:
        """Keep the latest modification date any entry point gave for ``page``; return it.

        Dates are kept as ISO 8601 (feeds give RFC 2822), so later runs compare instants.
        """
        if lastmod and lastmod == self.lastmod.get(page):
            # The date kept already, as it is kept (a request's or response's meta hands it
            # back): parsing it gives the same instant, which is not later than itself.
            return lastmod
        when = _ISO_DATES.parse(lastmod, datetime.now(UTC)) if lastmod else None
        if when is not None:
            known = self.lastmod.get(page)
            if known is None or when > datetime.fromisoformat(known):
                self.lastmod[page] = format_datetime(when) or ""
        return self.lastmod.get(page)

    def note_entry_point(self, response: Response) -> None:
        """Count ``response`` as a fetched entry point when it answers one (start URL, feed or
        sitemap of the profile), once per entry point: the report fails a run that fetched
        none of them. Each time an entry point answers, send :data:`entry_point_fetched`
        (also for one this worker no longer counts as due)."""
        key = canonicalize_url(asked_url(response.request, response.url))
        if key not in self.entry_points:
            return
        if key in self.entry_points_due:
            self.entry_points_due.discard(key)
            self.crawler.stats.inc_value("newscrawl/entry_points/fetched")
        # Distributed mode records it for the other workers (RedisScheduler); locally no
        # one listens.
        self.crawler.signals.send_catch_log(entry_point_fetched, url=key, spider=self)

    def count_skip(self, reason: str, page: str) -> None:
        """Count the article ``page`` as not fetched for ``reason`` (``known``,
        ``before_since``): once per article, however many links lead to it."""
        if (reason, page) not in self.skipped:
            self.skipped.add((reason, page))
            self.crawler.stats.inc_value(f"newscrawl/skipped/{reason}")

    def uncount_skips(self, page: str) -> None:
        """Take back the skips counted for ``page``: another entry point made it wanted."""
        for reason in ("known", "before_since", "deferred"):
            if (reason, page) in self.skipped:
                self.skipped.discard((reason, page))
                self.crawler.stats.inc_value(f"newscrawl/skipped/{reason}", -1)

    def is_wanted(self, page: str, lastmod: str | None) -> bool:
        """Tell whether to fetch the article at ``page`` in this run; count why not."""
        if page in self.requested:
            return True  # asked for in this run already: the duplicate filter drops it
        if self.since and lastmod:
            when = _ISO_DATES.parse(lastmod, datetime.now(UTC))
            if when and when < self.since:
                self.count_skip("before_since", page)
                return False
        if self.state is not None:
            verdict = self.state.verdict(page, lastmod, self.failed_page_backoff)
            if verdict is not Verdict.FETCH:
                self.count_skip(verdict.value, page)  # known, deferred
                return False
        self.uncount_skips(page)
        return True

    @cached_property
    def failed_page_backoff(self) -> tuple[float, float]:
        """The failed-page backoff's base and longest wait, in seconds
        (``NEWSCRAWL_FAILED_PAGE_BACKOFF``, ``NEWSCRAWL_FAILED_PAGE_BACKOFF_MAX``; 0 turns
        it off)."""
        crawler = getattr(self, "crawler", None)
        if crawler is None:
            return (FAILED_PAGE_BACKOFF, FAILED_PAGE_BACKOFF_MAX)
        settings = crawler.settings
        return (
            settings.getfloat("NEWSCRAWL_FAILED_PAGE_BACKOFF", FAILED_PAGE_BACKOFF),
            settings.getfloat("NEWSCRAWL_FAILED_PAGE_BACKOFF_MAX", FAILED_PAGE_BACKOFF_MAX),
        )

    def article_request(self, url: str, lastmod: str | None = None) -> Request | None:
        """Return the request for an article, or None when this run should skip it."""
        page = self.page_url(url)
        if not self.is_onsite(self.fetch_url(page)):
            self.crawler.stats.inc_value("newscrawl/skipped/offsite")
            return None
        lastmod = self.remember_lastmod(page, lastmod)
        if not self.is_wanted(page, lastmod):
            return None
        self.requested.add(page)
        return Request(
            self.fetch_url(page),
            callback=self.parse_article,
            errback=self.on_error,
            meta={LASTMOD_META: lastmod},
        )

    def _links(self, response: TextResponse, queries: Iterable[str]) -> Iterable[tuple[str, Any]]:
        """Yield ``(absolute page URL, link node)`` for the links the queries select,
        relative ones resolved as a browser resolves them: against the page's ``<base
        href>`` when it has one (:func:`~newscrawl.discovery.document_base`)."""
        selector = page_selector(response)
        base = document_base(selector, self.page_url(response.url))
        for query in queries:
            for node in select(selector, query):
                href = node.root if isinstance(node.root, str) else node.attrib.get("href")
                if url := absolute_url(href, base):
                    yield url, node

    def markup_refused(self, response: TextResponse) -> bool:
        """Tell whether the links of ``response`` (a listing or home page) must not be read:
        its markup is past the limits extraction holds every page to
        (:func:`~newscrawl.extraction.check_source`: libxml2 takes minutes over one element
        with a few hundred thousand attributes, and the crawl would wait). Such a page is
        logged as an error, counted in ``newscrawl/errors/listing-too-large``, and its
        request counts as failed in the run's error rate."""
        try:
            check_source(page_text(response), response.url)
        except TooLarge as exc:
            logger.error("Not following the links of %s: %s", response.url, exc)
            self.crawler.stats.inc_value("newscrawl/errors/listing-too-large")
            count_as_failed(self.crawler.stats, response.request)
            return True
        return False

    def listing_date(self, link: Any) -> datetime | None:
        """Return the date a listing shows next to an article link, or None."""
        query = self.profile.get("discovery", "listing_date")
        if not query or isinstance(link.root, str):
            return None
        text = " ".join(select(link, query).getall()[:1])
        parser = _site_dates(tuple(self.profile.languages), self.profile.timezone)
        return parser.parse(text, datetime.now(UTC)) if text.strip() else None

    def parse_listing(self, response: Response) -> Iterable[Request]:
        """Follow article links and further listing pages (categories, pagination).

        With ``since``, articles the listing dates before it are skipped, and a listing
        whose dated articles are all older is not followed further.
        """
        self.note_entry_point(response)
        if not isinstance(response, TextResponse) or self.markup_refused(response):
            return
        discovery = self.profile.get("discovery", default={})
        dated, recent = 0, 0
        links = list(self._links(response, discovery.get("article_links", [])))
        self.prefetch_state([url for url, _node in links])
        for url, node in links:
            when = self.listing_date(node) if self.since else None
            if when is not None:
                dated += 1
                # Listings show days: compare calendar days in the site's timezone.
                if when.date() < self.since.astimezone(when.tzinfo).date():
                    self.count_skip("before_since", self.page_url(url))
                    continue
                recent += 1
            if request := self.article_request(url):
                yield request
        if dated and not recent:
            logger.info("Not following %s further: all its articles predate --since", response.url)
            return
        for url, _node in self._links(response, discovery.get("listing_links", [])):
            listing = self.fetch_url(canonicalize_url(url))
            if not self.is_onsite(listing):
                self.crawler.stats.inc_value("newscrawl/skipped/offsite")
                continue
            yield Request(listing, callback=self.parse_listing, errback=self.on_error)

    def parse_feed(self, response: Response) -> Iterable[Request]:
        """Request every item of an RSS 2.0 or Atom feed, remembering its date.

        The feed's bytes are read as a sitemap's are (:func:`~newscrawl.xmlread.parse_xml`),
        in the encoding XML's rules give (:func:`~newscrawl.xmlread.feed_encoding`: a
        Content-Type's charset, the XML declaration): bytes that are not in that encoding
        are damage, not text Scrapy turned into U+FFFD. A feed whose XML is damaged or
        hostile gives the items that can be read and is reported (:meth:`report_damaged`);
        one that is no feed at all (:func:`feed_reading`: a web page) is reported too
        (:meth:`report_unread`). A feed of no items (a new portal's) is no fault.
        """
        self.note_entry_point(response)
        read = feed_reading(response)
        if isinstance(read, Unread):
            self.report_unread(response, read)
            return
        body, reading = read
        entries: list[tuple[str, str | None]] = []
        selector = Selector(root=reading.root, type="xml")
        selector.remove_namespaces()
        base = self.page_url(response.url)
        for item in selector.xpath("//item | //entry"):
            link = item.xpath("link/@href").get() or item.xpath("link/text()").get()
            date = item.xpath("updated/text() | pubDate/text() | published/text()").get()
            if reading.fault is not None:  # a feed cut short: its last value may be cut
                if (whole := whole_entry({"loc": link, "date": date}, body)) is None:
                    continue
                date = whole.get("date")
            if url := absolute_url(link, base):
                entries.append((url, date))
        if reading.fault is not None:
            self.report_damaged("feed", response, reading.fault, len(entries))
        self.prefetch_state([url for url, _date in entries])
        for url, date in entries:
            if request := self.article_request(url, date):
                yield request

    def report_damaged(self, kind: str, response: Response, fault: Fault, entries: int) -> None:
        """Say that the ``kind`` (``sitemap``, ``feed``) ``response`` is damaged or hostile
        XML, of which ``entries`` entries were read: one error line naming it and its first
        fault, a count in ``newscrawl/errors/<kind>-damaged`` (the report's ``errors``),
        and its request counted as failed in the run's error rate, as for a listing that
        cannot be read. What was read is used all the same."""
        logger.error("Damaged %s %s: %s; entries read: %d", kind, response.url, fault, entries)
        self.crawler.stats.inc_value(f"newscrawl/errors/{kind}-damaged")
        count_as_failed(self.crawler.stats, response.request)

    def report_unread(self, response: Response, unread: Unread) -> None:
        """Say that the sitemap or feed ``response`` could not be read at all: an entry point
        lost, as :meth:`say_unread` says, and its request counted as failed in the run's
        error rate, as for a damaged one (:meth:`report_damaged`).

        A guessed URL (:data:`~newscrawl.report.OPTIONAL_META`: ``/sitemap.xml`` in a crawl
        by URL when robots.txt names none) that turns out not to be a sitemap or feed
        (:data:`NOT_WHAT_WAS_ASKED`) is no fault: many sites answer any path with a page.
        That is one info line, and nothing counted. A feed a page names in ``<link
        rel="alternate">`` is no guess.
        """
        request = response.request
        url = asked_url(request, response.url)
        if (
            unread.kind in NOT_WHAT_WAS_ASKED
            and request is not None
            and request.meta.get(OPTIONAL_META)
        ):
            logger.info("Not read: %s %s; a guess, no error", url, unread.reason)
            return
        self.say_unread(url, unread)
        count_as_failed(self.crawler.stats, request)

    def say_unread(self, url: str, unread: Unread) -> None:
        """Log the one error line of a sitemap or feed that could not be read, ``Not read:
        URL REASON``, naming it by the URL it was asked for (``url``, before any redirect),
        and count it in ``newscrawl/errors/<kind>`` (the report's ``errors``)."""
        logger.error("Not read: %s %s", url, unread.reason)
        self.crawler.stats.inc_value(f"newscrawl/errors/{unread.kind}")

    def is_sitemap_request(self, request: Request) -> bool:
        """Tell whether ``request`` asks for a sitemap (SitemapSpider's, or a crawl by URL's),
        not for the robots.txt it reads sitemaps from."""
        return request.callback == self._parse_sitemap and not request.url.endswith("/robots.txt")

    def redirect_is_judged(self, request: Request) -> bool:
        """Tell whether what a redirect of ``request`` leads to must reach its callback even
        when this run has asked for that URL already: ``request`` asks for a sitemap
        (:meth:`is_sitemap_request`) or a feed, whose callback says what came instead
        (``not-a-sitemap``, ``not-a-feed``), where the duplicate filter would drop it without
        a word (``newscrawl.middlewares.FeedAndSitemapRedirectMiddleware`` asks)."""
        return self.is_sitemap_request(request) or request.callback == self.parse_feed

    def sitemap_body(self, response: Response) -> bytes | Unread:
        """Return the XML of the sitemap ``response``, or why it holds none the crawl can read.

        A gzip file (by its first bytes) is decompressed within ``DOWNLOAD_MAXSIZE``
        (:data:`SITEMAP_TOO_LARGE` past it, :data:`SITEMAP_DAMAGED` when it cannot be), and
        the blank lines some servers send before ``<?xml`` are dropped
        (:func:`~newscrawl.xmlread.xml_start`). The body is a sitemap when Scrapy's reading
        of it finds a ``<urlset>`` or ``<sitemapindex>`` root element, whatever its
        Content-Type and URL say; anything else (a web page, a feed, text, nothing) is
        :data:`NOT_A_SITEMAP`. SitemapSpider itself judges by the response's class and URL:
        it passes over a sitemap served as ``text/plain`` at ``/sitemap/`` as over a web
        page, and hands a gzip file that Scrapy took for XML (``/sitemap.xml``) to the XML
        parser as it is.
        """
        body = response.body
        if gzip_magic_number(response):
            limit = response.meta.get("download_maxsize", self._max_size)
            try:
                body = gunzip(body, max_size=limit)
            except ValueError:  # Scrapy's _DecompressionMaxSizeExceeded, past max_size
                reason = (
                    "decompresses to more than the download size limit "
                    f"(DOWNLOAD_MAXSIZE {limit} bytes)"
                )
                return Unread(SITEMAP_TOO_LARGE, reason)
            except (OSError, EOFError, struct.error, zlib.error) as exc:
                # gunzip raises these when it decompressed nothing, and zlib.error for a
                # corrupt stream wherever it is (one merely cut short gives what it holds).
                return Unread(
                    SITEMAP_DAMAGED, f"is a gzip file that cannot be decompressed ({exc})"
                )
        body = xml_start(body)
        root = sitemap_type(body)
        if root in ("urlset", "sitemapindex"):
            return body
        return Unread(NOT_A_SITEMAP, f"is not a sitemap ({what_came(response, root)})")

    def _get_sitemap_body(self, response: Response) -> bytes | None:
        """SitemapSpider's hook: the XML :meth:`_parse_sitemap` found in ``response``
        (:meth:`sitemap_body`, read once: a gzip file is decompressed once), or None."""
        if self._sitemap_read is not None and self._sitemap_read[0] is response:
            return self._sitemap_read[1]
        body = self.sitemap_body(response)
        return body if isinstance(body, bytes) else None

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        """Read Google News dates, then let SitemapSpider do the rest.

        Scrapy's sitemap parser keeps only the direct children of ``<url>``, so the
        ``<news:publication_date>`` of a news sitemap is read here, as the entry's date
        when it has no ``<lastmod>``. A sitemap whose XML is damaged or hostile gives the
        entries that can be read, and is reported (:meth:`sitemap_entries`); one that cannot
        be read at all (:meth:`sitemap_body`: too large, not a sitemap) is reported too
        (:meth:`report_unread`), where SitemapSpider would only warn.
        """
        self.note_entry_point(response)
        if response.url.endswith("/robots.txt"):  # a profile may name it: its sitemaps
            return (self.with_errback(r) for r in super()._parse_sitemap(response))
        body = self.sitemap_body(response)
        if isinstance(body, Unread):
            self.report_unread(response, body)
            return ()
        if b"sitemap-news" in body:
            self.remember_news_dates(body)
        self._sitemap_read = (response, body)
        try:
            # Scrapy reads the whole sitemap (through sitemap_filter) before it returns.
            requests = super()._parse_sitemap(response)
        finally:
            self._sitemap_read = None
        return (self.with_errback(r) for r in requests)

    def remember_news_dates(self, body: bytes) -> None:
        """Remember the ``<news:publication_date>`` of each ``<url>`` of the news sitemap
        ``body`` that has no ``<lastmod>``, as its page's date; a date the sitemap was cut
        in is not read."""
        reading = parse_xml(body)
        if reading.root is None:
            return
        news = Selector(root=reading.root, type="xml")
        news.remove_namespaces()
        for url in news.xpath("//url[news/publication_date]"):
            loc = url.xpath("loc/text()").get("").strip()
            date = url.xpath("news/publication_date/text()").get()
            if reading.fault is not None:  # a news sitemap cut short
                if (whole := whole_entry({"loc": loc, "date": date}, body)) is None:
                    continue
                date = whole.get("date")
            if loc and not url.xpath("lastmod"):
                self.remember_lastmod(self.page_url(loc), date)

    def sitemap_entries(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Return the entries of the sitemap :meth:`_parse_sitemap` is reading, checked; any
        other ``entries`` (a part of them, already checked) unchanged.

        Scrapy's reading (:class:`~scrapy.utils.sitemap.Sitemap`) stops without a word where
        libxml2 stops. Once it has given its last entry, its error log is read
        (:func:`~newscrawl.xmlread.first_fault`): a damaged or hostile sitemap is reported
        (:meth:`report_damaged`); the entry it was cut in, if any, is not used (a field it
        was cut in is left out of it); and one whose entities stopped libxml2 is read again
        without the declarations of its DOCTYPE, for the entries after their first use.
        """
        if not isinstance(entries, Sitemap) or self._sitemap_read is None:
            return entries
        response, body = self._sitemap_read
        self._sitemap_read = None  # one check, one report, per response
        return self._checked_entries(entries, response, body)

    def _checked_entries(
        self, sitemap: Sitemap, response: Response, body: bytes
    ) -> Iterator[dict[str, Any]]:
        given = 0
        last: dict[str, Any] | None = None
        for entry in sitemap:  # each given once the next has come: the last may be cut
            if last is not None:
                yield last
            last = entry
            given += 1
        fault = first_fault(sitemap.xmliter.error_log)
        if fault is None:
            if last is not None:
                yield last
            return
        read = given
        if last is not None:
            if (whole := whole_entry(last, body)) is not None:
                yield whole
            else:
                read -= 1
        if fault.entities and (safe := without_internal_subset(body)):
            # The same parser over the same bytes up to the stop: the second reading gives
            # the first one's entries first, in the same order, then those after the stop.
            for entry in itertools.islice(sitemap_reading(safe), given, None):
                if (whole := whole_entry(entry, body)) is not None:
                    read += 1
                    yield whole
        self.report_damaged("sitemap", response, fault, read)

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Keep the sitemap entries this run wants, moved onto the fetch origin; the state
        is asked about each chunk of ``PREFETCH_CHUNK`` entries together
        (``prefetch_state``). Scrapy's reading of the sitemap is checked first
        (:meth:`sitemap_entries`)."""
        entries = self.sitemap_entries(entries)
        if self.state is not None:
            entries = _prefetched(entries, self._prefetch_entries)
        for entry in entries:
            if not entry.get("loc"):
                continue
            page = self.page_url(entry["loc"])
            if not self.is_onsite(self.fetch_url(page)):
                self.crawler.stats.inc_value("newscrawl/skipped/offsite")
                continue
            lastmod = entry.get("lastmod") or self.lastmod.get(page)
            if "sitemap" in page.rsplit("/", 1)[-1] or page.endswith((".xml", ".xml.gz")):
                yield {**entry, "loc": self.fetch_url(page)}  # a sitemap of an index
                continue
            lastmod = self.remember_lastmod(page, lastmod)
            if self.is_wanted(page, lastmod):
                self.requested.add(page)
                yield {**entry, "loc": self.fetch_url(page)}

    def _prefetch_entries(self, entries: list[dict[str, Any]]) -> None:
        self.prefetch_state(entry["loc"] for entry in entries if entry.get("loc"))

    def prefetch_state(self, urls: Iterable[str]) -> None:
        """Let a state that reads many pages at once (``prefetch``: Redis) read those of
        ``urls`` this run has not asked for yet, before they are judged one by one: one
        round trip for a sitemap's chunk, a listing or a feed, not one a page."""
        if self.state is not None:  # lazy: a state that reads nothing ahead maps no URL
            pages = (self.page_url(url) for url in urls)
            self.state.prefetch(page for page in pages if page not in self.requested)

    # -- pages -----------------------------------------------------------------------

    def parse_article(self, response: Response) -> list[Any] | Coroutine[Any, Any, list[Any]]:
        """Return the page's record, or a Reject saying why there is none.

        Extracting in this process, the list itself: Scrapy takes a plain callback's list as
        it is, where a coroutine costs it a task, a Deferred and a Future around the call
        (tens of microseconds a page). With extraction workers, a coroutine that returns
        the list once a worker has answered: not an async generator, so that Scrapy handles
        the output as it does a plain callback's, without waking its item workers while the
        page is being extracted.
        """
        page = self.page_url(response.url)
        self.remember_lastmod(page, response.meta.get(LASTMOD_META))
        self.crawler.stats.inc_value("newscrawl/articles/fetched")
        page_args = (page, response.body, dict(response.headers.items()), datetime.now(UTC))
        if not self.extractor.in_process:
            return self._parse_in_worker(*page_args)
        try:
            record = self.extractor.extract_here(*page_args)
        except ExtractionError as exc:
            return self._no_record(page, exc)
        return self._record(record)

    async def _parse_in_worker(
        self, page: str, body: bytes, headers: dict[str, Any], now: datetime
    ) -> list[Any]:
        """:meth:`parse_article`'s answer, the page extracted by a worker."""
        try:
            record = await self.extractor.extract(page, body, headers, now)
        except ExtractionError as exc:
            return self._no_record(page, exc)
        return self._record(record)

    def _record(self, record: dict[str, Any]) -> list[Any]:
        self.count_url_repairs()
        return [self.portal_urls(record) if self.base_url else record]

    def _no_record(self, page: str, exc: ExtractionError) -> list[Any]:
        self.count_url_repairs()
        logger.warning("No record from %s: %s (%s)", page, exc, exc.kind)
        self.crawler.stats.inc_value(f"newscrawl/extract/{exc.kind}")
        return [Reject(url=page, errors=[{"field": None, "message": str(exc)}], kind=exc.kind)]

    _url_repairs_counted: dict[str, int] = {}  # noqa: RUF012 - replaced, never changed
    """The counts :meth:`count_url_repairs` last copied into the stats."""

    def count_url_repairs(self) -> None:
        """Copy the extractor's counts of URL values repaired or dropped on this crawl's
        pages into the stats (``newscrawl/urls/repaired``, ``newscrawl/urls/dropped``)."""
        repairs = self.extractor.url_repairs
        if repairs == self._url_repairs_counted:
            return  # the stats have them: most pages repair nothing
        for outcome, count in repairs.items():
            self.crawler.stats.set_value(f"newscrawl/urls/{outcome}", count)
        self._url_repairs_counted = dict(repairs)

    def sitemap_too_large(self, failure: Failure) -> Unread | None:
        """Return why the sitemap whose request failed with ``failure`` was not read when
        what failed is its size (:data:`SITEMAP_TOO_LARGE`), else None.

        Its download stopped at ``DOWNLOAD_MAXSIZE`` (``DownloadCancelledError``: "is larger
        than"), or Scrapy's HttpCompressionMiddleware dropped a body sent with a
        ``Content-Encoding`` that decompresses past it ("decompresses to more than", as a
        gzip file past it says): that middleware raises ``IgnoreRequest`` from its
        decompression error, a ``ValueError`` that carries the ``max_size`` it was held to.
        """
        request = getattr(failure, "request", None)
        if request is None or not self.is_sitemap_request(request):
            return None
        limit = request.meta.get("download_maxsize", self._max_size)
        if failure.check(DownloadCancelledError):
            past = "is larger than"
        elif failure.check(IgnoreRequest) and isinstance(
            cause := failure.value.__cause__, ValueError
        ):
            past = "decompresses to more than"
            limit = getattr(cause, "max_size", limit)
        else:
            return None
        reason = f"{past} the download size limit (DOWNLOAD_MAXSIZE {limit} bytes)"
        return Unread(SITEMAP_TOO_LARGE, reason)

    def on_error(self, failure: Failure) -> Iterable[Any]:
        """Record a page that could not be downloaded (after retries) as a Reject; a sitemap
        past the size limit (:meth:`sitemap_too_large`) as one not read."""
        request = getattr(failure, "request", None)
        if request is not None and (too_large := self.sitemap_too_large(failure)):
            count_failure(self.crawler.stats, request)
            self.say_unread(asked_url(request, request.url), too_large)
            return
        # After redirects failure.request is the last hop; the page is where the chain began.
        first = (request.meta.get("redirect_urls") or [request.url])[0] if request else None
        page = self.page_url(first) if first is not None else None
        http = failure.check("scrapy.spidermiddlewares.httperror.HttpError")
        offsite = failure.check(OffsiteRedirect)
        count_failure(self.crawler.stats, request, deliberate=bool(offsite))
        kind = "offsite-redirect" if offsite else "http-error" if http else "download-error"
        message = failure.getErrorMessage() or failure.type.__name__  # data loss has no text
        if http:
            message = f"HTTP {failure.value.response.status}: {message}"
        logger.error("Failed %s: %s", page, message)
        self.crawler.stats.inc_value(f"newscrawl/errors/{kind}")
        if request is not None and request.callback == self.parse_article:
            self.crawler.stats.inc_value("newscrawl/articles/failed")
            yield Reject(url=page, errors=[{"field": None, "message": message}], kind=kind)


PREFETCH_CHUNK = 500
"""Sitemap entries judged together (``PortalSpider.sitemap_filter``)."""


def _prefetched(
    entries: Iterable[dict[str, Any]], prefetch: Callable[[list[dict[str, Any]]], None]
) -> Iterator[dict[str, Any]]:
    """Yield ``entries``, calling ``prefetch`` on each chunk of ``PREFETCH_CHUNK`` of them
    before yielding it."""
    iterator = iter(entries)
    while chunk := list(itertools.islice(iterator, PREFETCH_CHUNK)):
        prefetch(chunk)
        yield from chunk
