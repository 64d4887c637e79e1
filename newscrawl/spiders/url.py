"""Crawl a portal that has no profile, from its address: ``newscrawl crawl https://...``.

:class:`UrlSpider` is the portal spider with the site profile replaced by what the address
and the site itself say (``newscrawl.discovery``): the state, the report, the run lock,
politeness, robots.txt, the pipelines and the output layout are those of every crawl,
kept under a site name made from the host (``site_key``). Pages are extracted with the
``generic`` profile.

Entry points: the start URL (the home page); the sitemaps robots.txt names, else
``/sitemap.xml`` and ``/sitemap_index.xml``; the RSS/Atom feeds the home page names in
``<link rel="alternate">``. Every link found on the home page, on listings and on articles
is followed when it stays in the portal's :class:`~newscrawl.discovery.Scope` and its shape
(:func:`~newscrawl.discovery.url_shape`) says it is a page. Once fetched, the generic
extractor's page type decides: an article gives its record; a listing is followed (its
links, its pagination) and counted in ``newscrawl/pages/listing``, never written; other
pages (galleries, videos, static pages) are counted by type. ``max_pages`` is the budget of
requests of the whole run (sitemaps and feeds included); a link whose request a middleware
would drop (too long, forbidden by robots.txt) costs none of it. Listing links are not
followed from the third page in a row that linked nothing new (``NEWSCRAWL_MAX_BARREN_LISTINGS``):
calendars and pagination without end. Relative links resolve against the page's ``<base href>``.

When the start URL is not a portal (an error, a redirect to another host, a page that is
not HTML, robots.txt forbids it) or no page found is an article, the spider sets
``newscrawl/site_failure``: the report fails the run with that line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Self
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.spiders import SitemapSpider
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from newscrawl.discovery import (
    SITEMAP_GUESSES,
    Scope,
    feed_links,
    page_links,
    robots_sitemaps,
    site_key,
    start_url,
    url_shape,
)
from newscrawl.extensions import site_state
from newscrawl.extraction import ExtractionError, NotAnArticle, Truncated, not_html_page
from newscrawl.identity import canonicalize_url
from newscrawl.items import Reject
from newscrawl.middlewares import OffsiteRedirect, RfcRobotsTxtMiddleware
from newscrawl.profiles import FALLBACK, load_profile
from newscrawl.report import OPTIONAL_META, SITE_FAILURE, count_failure
from newscrawl.robotstxt import UNAVAILABLE
from newscrawl.spiders.portal import LASTMOD_META, PortalSpider, origin
from newscrawl.spiders.reading import page_selector, page_text
from newscrawl.storage.state import parse_since
from newscrawl.workers import Extractor

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 5000
"""Requests a URL crawl makes at most when ``--max-pages`` is not given."""

DEFAULT_MAX_BARREN = 3
"""Barren pages in a row a chain of listings is followed through when
``NEWSCRAWL_MAX_BARREN_LISTINGS`` is not set (:meth:`UrlSpider.follow_links`)."""

SHAPE_META = "newscrawl_shape"
"""Request meta: what the URL's shape said the page is (``article``, ``listing``, ``unknown``)."""

BARREN_META = "newscrawl_barren"
"""Request meta: how many pages in a row, up to the page that linked this one, were not
articles and linked no page (article or unknown) that no earlier page of the run linked."""

PRIORITY = {"entry": 100, "sitemap": 50, "article": 10, "unknown": 5, "listing": 0}
"""Request priorities: entry points first, then sitemaps, then the pages most likely to be
articles (so a small ``--max-pages`` budget is spent on records before listings)."""


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def is_html_page(response: Response) -> bool:
    """Tell whether ``response`` is an HTML page by the rule extraction and ``newscrawl
    extract URL`` apply (:func:`~newscrawl.extraction.not_html_page`), and a text response
    to Scrapy (whose links can be read)."""
    return isinstance(response, TextResponse) and (
        not_html_page(response.body, response.headers) is None
    )


class UrlSpider(PortalSpider):
    """Crawl the portal at ``url`` with no profile: ``-a url=https://portal.example/``.

    Arguments: ``url`` (where to start; its host names the site); ``subdomains`` (also
    crawl the other hosts of its registrable domain); ``max_pages`` (budget of requests,
    default :data:`DEFAULT_MAX_PAGES`); ``since`` (as for a profiled crawl).
    """

    name = ""  # named per site by newscrawl.commands.crawl.url_spider; not in `scrapy list`
    sitemap_rules = (("", "parse_article"),)

    def __init__(
        self,
        url: str | None = None,
        subdomains: bool | str = False,
        max_pages: int | str | None = None,
        since: str | datetime | None = None,
        **kwargs: Any,
    ) -> None:
        if not url:
            raise ValueError("UrlSpider needs the portal's address: -a url=https://...")
        start = start_url(url)
        self.scope = Scope(start, _flag(subdomains))
        self.site = site_key(start)
        self.profile = load_profile(FALLBACK)
        self.home = origin(start)
        self.base_url = None
        self._base_origin = None
        self.domains = {self.scope.domain}
        self.start_urls = [start]
        self.feed_urls: list[str] = []
        self.sitemap_urls = [urljoin(self.home, "/robots.txt")]
        self.sitemap_follow = [""]
        self.allowed_domains = [self.scope.domain]
        self.since = parse_since(since, datetime.now(UTC)) if isinstance(since, str) else since
        self.lastmod: dict[str, str] = {}
        self.requested: set[str] = set()
        self.entry_points = frozenset({canonicalize_url(start)})
        self.entry_points_due = set(self.entry_points)
        self.skipped: set[tuple[str, str]] = set()
        self.state = None
        self.extractor = Extractor(0, self.profile.name)
        self.max_pages = DEFAULT_MAX_PAGES if max_pages is None else int(max_pages)
        if self.max_pages < 1:
            raise ValueError(f"max_pages {max_pages!r}: must be 1 or more")
        self.seen: set[str] = set()
        """Canonical URLs of every request this run made (at most ``max_pages``)."""
        self.linked: set[str] = set()
        """Canonical URLs of the pages (article-shaped or unknown) any page fetched linked."""
        SitemapSpider.__init__(self, **kwargs)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Build the spider as PortalSpider does, and judge the site when the crawl goes idle."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.judge_site, signal=signals.spider_idle)
        return spider

    # -- scope and budget --------------------------------------------------------------

    def is_onsite(self, url: str) -> bool:
        """Tell whether ``url`` is in the portal's scope (see :class:`Scope`)."""
        return self.scope.contains(url)

    def spend(self, url: str) -> bool:
        """Take one request of the budget for ``url``; False when it is already requested in
        this run (the duplicate filter would drop it), when a middleware would drop its
        request before it goes out (no budget spent on it): the URL is longer than Scrapy's
        ``URLLENGTH_LIMIT`` (counted in ``newscrawl/skipped/url_too_long``) or the host's
        robots.txt, read already, forbids it (``newscrawl/skipped/robots_forbidden``); or
        when the budget is spent (counted in ``newscrawl/skipped/max_pages``)."""
        key = canonicalize_url(url)
        if key in self.seen:
            return False
        if self.url_length_limit and len(safe_url_string(url)) > self.url_length_limit:
            self.crawler.stats.inc_value("newscrawl/skipped/url_too_long")
            return False
        if self.robots is not None and self.robots.allows(url) is False:
            self.crawler.stats.inc_value("newscrawl/skipped/robots_forbidden")
            return False
        if len(self.seen) >= self.max_pages:
            self.crawler.stats.inc_value("newscrawl/skipped/max_pages")
            return False
        self.seen.add(key)
        return True

    @cached_property
    def robots(self) -> RfcRobotsTxtMiddleware | None:
        """The crawl's robots.txt middleware (None when ``ROBOTSTXT_OBEY`` is off, or when
        asked before the crawl has started: a spider with no engine fetches nothing)."""
        try:
            downloader = self.crawler.engine.downloader
        except RuntimeError:  # Crawler.engine is not set yet
            return None
        for middleware in downloader.middleware.middlewares:
            if isinstance(middleware, RfcRobotsTxtMiddleware):
                return middleware
        return None

    @cached_property
    def url_length_limit(self) -> int:
        """The longest URL Scrapy requests (``URLLENGTH_LIMIT``; 0: no limit)."""
        return self.crawler.settings.getint("URLLENGTH_LIMIT")

    def fail_site(self, reason: str) -> None:
        """Record why this site cannot be crawled (the first reason stays)."""
        stats = self.crawler.stats
        if not stats.get_value(SITE_FAILURE):
            logger.error("Not crawling %s: %s", self.start_urls[0], reason)
            stats.set_value(SITE_FAILURE, reason)

    # -- entry points ------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """Yield the home page, then robots.txt (for its sitemaps)."""
        if self.state is None:
            extension = site_state(self.crawler)
            self.state = extension.store if extension is not None else None
        self.crawler.stats.set_value("newscrawl/entry_points/total", 1)
        home = self.start_urls[0]
        self.spend(home)
        yield Request(
            home, callback=self.parse_home, errback=self.on_start_error, priority=PRIORITY["entry"]
        )
        robots = self.sitemap_urls[0]
        if self.spend(robots):
            yield Request(
                robots,
                callback=self._parse_sitemap,
                errback=self.on_robots_error,
                priority=PRIORITY["entry"],
                meta={OPTIONAL_META: True},
            )

    def parse_home(self, response: Response) -> Iterable[Request]:
        """Follow the home page's feeds and links; fail the site when it is not a web page.

        A feed it names on another host is not fetched: it is logged and counted in
        ``newscrawl/skipped/offsite``."""
        self.note_entry_point(response)
        if not is_html_page(response) or b"<" not in response.body[:4096]:
            kind = response.headers.get("Content-Type", b"no Content-Type").decode("latin-1")
            self.fail_site(f"the start URL is not an HTML page ({kind})")
            return
        self.crawler.stats.inc_value("newscrawl/pages/home")
        if self.markup_refused(response):
            return
        for feed in feed_links(page_text(response), response.url):
            if not self.is_onsite(feed):
                logger.info("Not fetching %s, which the home page names: it is off the site", feed)
                self.crawler.stats.inc_value("newscrawl/skipped/offsite")
            elif self.spend(feed):
                yield Request(
                    feed,
                    callback=self.parse_feed,
                    errback=self.on_error,
                    priority=PRIORITY["entry"],
                )
        yield from self.follow_links(response)

    def sitemap_requests(self, response: Response) -> Iterable[Request]:
        """Return the requests for the sitemaps robots.txt names, else for the usual places.

        A sitemap it names on another host is not fetched: it is logged and counted in
        ``newscrawl/skipped/offsite``.
        """
        named = []
        for url in robots_sitemaps(response.body, response.url):
            if self.is_onsite(url):
                named.append(url)
                continue
            logger.info("Not fetching %s, which robots.txt names: it is off the site", url)
            self.crawler.stats.inc_value("newscrawl/skipped/offsite")
        urls = named or [urljoin(self.home, path) for path in SITEMAP_GUESSES]
        for url in urls:
            if self.spend(url):
                yield Request(
                    url,
                    callback=self._parse_sitemap,
                    errback=self.on_error if named else self.on_optional_error,
                    priority=PRIORITY["sitemap"],
                    meta={} if named else {OPTIONAL_META: True},
                )

    def _parse_sitemap(self, response: Response) -> Iterable[Any]:
        """robots.txt: request its sitemaps; a sitemap: as a profiled crawl reads it, within
        the budget."""
        if response.url.endswith("/robots.txt"):
            if isinstance(response, TextResponse):
                yield from self.sitemap_requests(response)
            else:
                yield from self.guessed_sitemaps()
            return
        for output in super()._parse_sitemap(response):
            if not isinstance(output, Request):
                yield output
            else:  # sitemap_filter spent the budget for it
                if output.callback == self._parse_sitemap:
                    yield output.replace(priority=PRIORITY["sitemap"])
                else:
                    shape = url_shape(output.url)
                    meta = {**output.meta, SHAPE_META: shape}
                    yield output.replace(priority=PRIORITY.get(shape, 0), meta=meta)

    def guessed_sitemaps(self) -> Iterable[Request]:
        """Requests for ``/sitemap.xml`` and ``/sitemap_index.xml`` (robots.txt named none)."""
        for path in SITEMAP_GUESSES:
            url = urljoin(self.home, path)
            if self.spend(url):
                yield Request(
                    url,
                    callback=self._parse_sitemap,
                    errback=self.on_optional_error,
                    priority=PRIORITY["sitemap"],
                    meta={OPTIONAL_META: True},
                )

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Keep the entries that are pages (or sitemaps) this run wants, within the budget.

        Once the budget is spent, the rest of a sitemap is only counted: no state lookup,
        no date kept. Scrapy's reading of the sitemap is checked first, as in a profiled
        crawl (:meth:`~PortalSpider.sitemap_entries`).
        """
        for entry in self.sitemap_entries(entries):
            loc = str(entry.get("loc") or "")
            if len(self.seen) >= self.max_pages:
                self.crawler.stats.inc_value("newscrawl/skipped/max_pages")
                continue
            if url_shape(loc) == "not-a-page" and not loc.endswith((".xml", ".xml.gz")):
                continue
            for kept in super().sitemap_filter([entry]):
                if self.spend(kept["loc"]):
                    yield kept

    # -- links ---------------------------------------------------------------------------

    def article_request(self, url: str, lastmod: str | None = None) -> Request | None:
        """Return the request for a page a feed lists, or None (see :meth:`page_request`)."""
        shape = url_shape(url)
        return self.page_request(url, "unknown" if shape == "not-a-page" else shape, lastmod)

    def page_request(
        self, url: str, shape: str, lastmod: str | None = None, barren: int = 0
    ) -> Request | None:
        """Return the request for the page ``url`` whose URL has ``shape``, or None when it
        is off the site, known from an earlier run (articles only: listings change), already
        asked for, or over the budget. ``barren`` goes with it (:data:`BARREN_META`)."""
        page = canonicalize_url(url)
        if not self.is_onsite(page):
            self.crawler.stats.inc_value("newscrawl/skipped/offsite")
            return None
        if page in self.seen:
            return None
        if shape != "listing":
            lastmod = self.remember_lastmod(page, lastmod)
            if not self.is_wanted(page, lastmod):
                return None
        if not self.spend(page):
            return None
        if shape != "listing":
            self.requested.add(page)
        return Request(
            page,
            callback=self.parse_article,
            errback=self.on_error,
            priority=PRIORITY.get(shape, 0),
            meta={LASTMOD_META: lastmod, SHAPE_META: shape, BARREN_META: barren},
        )

    @cached_property
    def max_barren(self) -> int:
        """How many barren pages in a row a chain of listings is followed through
        (``NEWSCRAWL_MAX_BARREN_LISTINGS``; 0: no limit)."""
        return self.crawler.settings.getint("NEWSCRAWL_MAX_BARREN_LISTINGS", DEFAULT_MAX_BARREN)

    def follow_links(self, response: TextResponse, article: bool = False) -> Iterable[Request]:
        """Return the requests for the on-site page links of ``response``, whose markup is
        known to be within the limits (:meth:`markup_refused`, or extraction read it);
        ``article``: the page is an article that gave its record.

        A page that is no article and links no page (article-shaped or unknown) that no
        earlier page of the run linked is *barren*. Listing links are not followed from a
        page that ends ``max_barren`` barren pages in a row (counted in
        ``newscrawl/skipped/barren_listings``): a calendar that links the next day forever,
        pagination past the last article, filters of a search combined without end. A page
        that links new pages, and an article, start the count again.
        """
        offsite = 0
        links: list[tuple[str, str]] = []
        new_pages = False
        for url in page_links(page_selector(response), response.url):
            if not self.is_onsite(url):
                offsite += 1
                continue
            shape = url_shape(url)
            if shape == "not-a-page":
                continue
            if shape != "listing" and (key := canonicalize_url(url)) not in self.linked:
                self.linked.add(key)
                new_pages = True
            links.append((url, shape))
        if offsite:
            self.crawler.stats.inc_value("newscrawl/links/offsite", offsite)
        barren = 0 if article or new_pages else response.meta.get(BARREN_META, 0) + 1
        stop = bool(self.max_barren) and barren >= self.max_barren
        requests = []
        for url, shape in links:
            if stop and shape == "listing":
                if canonicalize_url(url) not in self.seen:
                    self.crawler.stats.inc_value("newscrawl/skipped/barren_listings")
                continue
            if request := self.page_request(url, shape, barren=barren):
                requests.append(request)
        return requests

    # -- pages -----------------------------------------------------------------------------

    async def parse_article(self, response: Response) -> list[Any]:
        """Return the page's record and the requests for its links; a listing gives only
        its links, any other page that is not an article nothing (each counted by type).

        A page whose URL has the shape of a listing (``/category/x/``, ``/page/2/``) is a
        listing whatever its text: section and tag pages that show long excerpts read as
        articles to the page type alone. It is not extracted.
        """
        stats = self.crawler.stats
        if not is_html_page(response):
            stats.inc_value("newscrawl/pages/other")
            return []
        if response.meta.get(SHAPE_META) == "listing":
            stats.inc_value("newscrawl/pages/listing")
            return [] if self.markup_refused(response) else list(self.follow_links(response))
        page = self.page_url(response.url)
        self.remember_lastmod(page, response.meta.get(LASTMOD_META))
        try:
            record = await self.extractor.extract(
                page, response.body, dict(response.headers.items()), datetime.now(UTC)
            )
        except NotAnArticle as exc:
            kind = str(getattr(exc, "page_type", "other"))
            stats.inc_value(f"newscrawl/pages/{kind}")
            logger.debug("Not an article: %s: %s", page, exc)
            return list(self.follow_links(response))
        except ExtractionError as exc:
            stats.inc_value("newscrawl/articles/fetched")
            logger.warning("No record from %s: %s (%s)", page, exc, exc.kind)
            stats.inc_value(f"newscrawl/extract/{exc.kind}")
            reject = Reject(url=page, errors=[{"field": None, "message": str(exc)}], kind=exc.kind)
            # The links of a page cut short are followed: they are all that came of it, and
            # extraction held its markup to the limits before it found the cut.
            links = self.follow_links(response) if isinstance(exc, Truncated) else ()
            return [reject, *links]
        stats.inc_value("newscrawl/articles/fetched")
        stats.inc_value("newscrawl/pages/article")
        return [record, *self.follow_links(response, article=True)]

    def on_error(self, failure: Failure) -> Iterable[Any]:
        """As for a profiled crawl, except that a listing that fails gives no reject."""
        request = getattr(failure, "request", None)
        if request is not None and request.meta.get(SHAPE_META) == "listing":
            offsite = bool(failure.check(OffsiteRedirect))
            count_failure(self.crawler.stats, request, deliberate=offsite)
            self.crawler.stats.inc_value("newscrawl/listings/failed")
            logger.error("Failed listing %s: %s", request.url, failure.getErrorMessage())
            return
        # Anything else as a profiled crawl says it: one line (an article page past
        # DOWNLOAD_MAXSIZE is "Failed PAGE: ...", a sitemap past it "Not read: ...").
        yield from super().on_error(failure)

    def on_optional_error(self, failure: Failure) -> Iterable[Any]:
        """A guessed entry point (``/sitemap.xml``) is not there: that is no error. One too
        large to download is a sitemap lost all the same, reported as a named one is."""
        request = getattr(failure, "request", None)
        if self.sitemap_too_large(failure):
            return self.on_error(failure)
        logger.info("No %s: %s", getattr(request, "url", "?"), failure.getErrorMessage())
        return ()

    def on_robots_error(self, failure: Failure) -> Iterable[Request]:
        """robots.txt could not be read: look for sitemaps where they usually are."""
        self.on_optional_error(failure)
        # An HTTP error status or a failed download; not a request robots.txt forbade.
        if failure.check(HttpError) or not failure.check(IgnoreRequest):
            yield from self.guessed_sitemaps()

    def on_start_error(self, failure: Failure) -> Iterable[Any]:
        """The start URL could not be fetched: say why the site cannot be crawled."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else self.start_urls[0]
        if failure.check(OffsiteRedirect):
            reason = (
                f"the start URL redirects to another site ({failure.getErrorMessage()}); "
                "crawl that address instead"
            )
            if not self.scope.subdomains:
                reason += ", or add --subdomains if it is a host of the same domain"
        elif failure.check(HttpError):
            reason = f"the start URL {url} answered HTTP {failure.value.response.status}"
        elif failure.check(IgnoreRequest) and self.crawler.stats.get_value(UNAVAILABLE):
            reason = str(self.crawler.stats.get_value(UNAVAILABLE))
        elif failure.check(IgnoreRequest) and self.crawler.stats.get_value("robotstxt/forbidden"):
            reason = f"robots.txt forbids fetching the start URL {url}"
        else:
            reason = f"the start URL {url} could not be fetched: {failure.getErrorMessage()}"
        self.fail_site(reason)
        self.crawler.stats.inc_value("newscrawl/errors/start-url")
        return []

    def judge_site(self) -> None:
        """When nothing is left to fetch: fail the site when no page found was an article."""
        stats = self.crawler.stats
        if stats.get_value(SITE_FAILURE) or stats.get_value("newscrawl/articles/fetched"):
            return
        if stats.get_value("newscrawl/skipped/known") or stats.get_value(
            "newscrawl/skipped/before_since"
        ):
            return  # articles were found, and are known or older than --since
        pages = {
            k.rsplit("/", 1)[-1]: v
            for k, v in stats.get_stats().items()
            if k.startswith("newscrawl/pages/")
        }
        listings = pages.get("listing", 0) + pages.get("home", 0)
        others = sum(v for k, v in pages.items() if k not in ("listing", "home"))
        if not pages:
            return  # the start URL failed: on_start_error said why
        if listings and not others and stats.get_value("newscrawl/pages/listing"):
            self.fail_site(
                f"not a news portal: every page fetched ({listings}) is a listing, none an article"
            )
        else:
            found = ", ".join(f"{k} {v}" for k, v in sorted(pages.items()))
            self.fail_site(f"not a news portal: no article page found ({found})")
