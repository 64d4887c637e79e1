"""The one spider: it discovers article pages of a portal and hands them to extraction.

Entry points come from the site profile (home/category listings, RSS/Atom feeds,
sitemaps); the spider never changes per portal. Sitemap handling is Scrapy's
SitemapSpider (sitemap index, ``sitemap_follow``, gzip, robots.txt), with
``sitemap_filter`` used to canonicalise URLs and to remember ``<lastmod>``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.spiders import SitemapSpider
from twisted.python.failure import Failure

from newscrawl.extract import ExtractionError, extract_article
from newscrawl.items import Reject, to_dict
from newscrawl.loaders import select
from newscrawl.processors import absolute_url, canonicalize_url
from newscrawl.profiles import Profile, load_profile

logger = logging.getLogger(__name__)


def rebase(url: str, base_url: str | None) -> str:
    """Return ``url`` moved onto ``base_url``'s scheme and host (path and query kept)."""
    if not base_url:
        return url
    base = urlsplit(base_url)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path or "/", parts.query, ""))


class PortalSpider(SitemapSpider):
    """Crawl one portal described by a site profile: ``scrapy crawl portal -a site=jmn``.

    Arguments: ``site`` (profile name), ``base_url`` (serve the portal from another
    origin, e.g. a local copy on 127.0.0.1), ``profile`` (extraction profile, when
    it differs from ``site``).
    """

    name = "portal"
    site: str | None = None
    sitemap_rules = (("", "parse_article"),)

    def __init__(
        self,
        site: str | None = None,
        base_url: str | None = None,
        profile: str | None = None,
        **kwargs: Any,
    ) -> None:
        site = site or self.site
        if not site:
            raise ValueError("PortalSpider needs a site profile: -a site=NAME")
        self.profile: Profile = load_profile(profile or site)
        self.site = site
        self.base_url = base_url
        discovery = self.profile.get("discovery", default={})
        self.sitemap_urls = [rebase(u, base_url) for u in discovery.get("sitemaps", [])]
        self.sitemap_follow = list(discovery.get("sitemap_follow", [])) or [""]
        self.start_urls = [rebase(u, base_url) for u in discovery.get("start_urls", [])]
        self.feed_urls = [rebase(u, base_url) for u in discovery.get("feeds", [])]
        domains = list(self.profile.domains)
        if base_url:
            domains.append(urlsplit(base_url).hostname or "")
        self.allowed_domains = domains
        self.lastmod: dict[str, str] = {}
        super().__init__(**kwargs)

    # -- discovery -------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """Yield the requests for every entry point of the profile."""
        for url in self.start_urls:
            yield Request(url, callback=self.parse_listing, errback=self.on_error)
        for url in self.feed_urls:
            yield Request(url, callback=self.parse_feed, errback=self.on_error)
        async for request in super().start():
            yield request

    def article_request(self, url: str, lastmod: str | None = None) -> Request | None:
        """Return the request for an article URL in its canonical form, or None to skip it."""
        canonical = canonicalize_url(rebase(url, self.base_url) if self.base_url else url)
        if lastmod:
            self.lastmod[canonical] = lastmod
        return Request(canonical, callback=self.parse_article, errback=self.on_error)

    def parse_listing(self, response: Response) -> Iterable[Request]:
        """Follow article links and further listing pages (categories, pagination)."""
        if not isinstance(response, TextResponse):
            return
        discovery = self.profile.get("discovery", default={})
        for query in discovery.get("article_links", []):
            for href in select(
                response.selector, f"{query}::attr(href)" if "::" not in query else query
            ).getall():
                url = absolute_url(href, response.url)
                if url and (request := self.article_request(url)):
                    yield request
        for query in discovery.get("listing_links", []):
            for href in select(response.selector, f"{query}::attr(href)").getall():
                url = absolute_url(href, response.url)
                if url:
                    yield Request(
                        canonicalize_url(url), callback=self.parse_listing, errback=self.on_error
                    )

    def parse_feed(self, response: Response) -> Iterable[Request]:
        """Request every item of an RSS 2.0 or Atom feed, remembering its date."""
        selector = (
            Selector(text=response.text, type="xml") if isinstance(response, TextResponse) else None
        )
        if selector is None:
            return
        selector.remove_namespaces()
        for item in selector.xpath("//item | //entry"):
            link = item.xpath("link/@href").get() or item.xpath("link/text()").get()
            date = item.xpath("updated/text() | pubDate/text() | published/text()").get()
            url = absolute_url(link, response.url)
            if url and (request := self.article_request(url, date)):
                yield request

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Canonicalise sitemap URLs onto the crawl's origin and remember their ``<lastmod>``."""
        for entry in entries:
            loc = entry.get("loc")
            if not loc:
                continue
            loc = canonicalize_url(rebase(loc, self.base_url))
            if entry.get("lastmod"):
                self.lastmod[loc] = entry["lastmod"]
            yield {**entry, "loc": loc}

    # -- pages -----------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterable[Any]:
        """Yield the page's record, or a Reject saying why there is none."""
        try:
            article = extract_article(
                response.url,
                response.body,
                dict(response.headers.items()),
                profile=self.profile,
                now=datetime.now(UTC),
            )
        except ExtractionError as exc:
            logger.warning("No record from %s: %s (%s)", response.url, exc, exc.kind)
            self.crawler.stats.inc_value(f"newscrawl/extract/{exc.kind}")
            yield Reject(
                url=response.url, errors=[{"field": None, "message": str(exc)}], kind=exc.kind
            )
            return
        yield to_dict(article)

    def on_error(self, failure: Failure) -> Iterable[Any]:
        """Record a page that could not be downloaded (after retries) as a Reject."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else None
        kind = (
            "http-error"
            if failure.check("scrapy.spidermiddlewares.httperror.HttpError")
            else "download-error"
        )
        logger.error("Failed %s: %s", url, failure.getErrorMessage())
        self.crawler.stats.inc_value(f"newscrawl/errors/{kind}")
        if request is not None and request.callback == self.parse_article:
            yield Reject(
                url=url, errors=[{"field": None, "message": failure.getErrorMessage()}], kind=kind
            )
