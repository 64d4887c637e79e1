"""A bare Scrapy spider: the links of newscrawl's ``jmn`` crawl, followed and nothing else.

It is the baseline of ``bench/run.py``: the same entry points (home page, RSS feed, sitemap
index with its ``post-sitemap*.xml``), the same listing and article link selectors (read from
the ``jmn`` profile) and the same Scrapy settings as a newscrawl crawl (concurrency,
robots.txt, retries, downloader), but no extraction, no items, no pipelines and no newscrawl
extensions or middlewares. Article pages are downloaded and dropped.

Usage (the portal of ``bench/portal.py`` must be running)::

    python bench/bare_spider.py --base-url http://127.0.0.1:PORT -s CONCURRENT_REQUESTS=16

The module also holds :class:`JsonStatsCollector`, which ``bench/run.py`` sets as
``STATS_CLASS`` for both the bare spider and the full newscrawl crawl, so that both report
their Scrapy stats the same way (``BENCH_STATS_FILE``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector
from scrapy import Request
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse
from scrapy.settings import Settings
from scrapy.spiders import SitemapSpider
from scrapy.statscollectors import MemoryStatsCollector, StatsT

from newscrawl import settings as newscrawl_settings
from newscrawl.commands.crawl import apply_overrides
from newscrawl.profiles import load_profile

SITE = "jmn"
"""The profile whose entry points and link selectors the bare spider uses."""

SHARED_SETTINGS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_DELAY",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_WARNSIZE",
    "RETRY_ENABLED",
    "RETRY_TIMES",
    "RETRY_HTTP_CODES",
    "COOKIES_ENABLED",
    "TELNETCONSOLE_ENABLED",
    "LOGSTATS_INTERVAL",
)
"""newscrawl's project settings that the bare spider takes over unchanged (those it defines).

Everything that shapes downloading is here; pipelines, extensions, the log formatter and
newscrawl's retry middleware are not (the bare spider keeps Scrapy's own RetryMiddleware,
configured by the same ``RETRY_*`` values).
"""


def bare_settings(overrides: Sequence[str] = ()) -> Settings:
    """Return the bare spider's settings: Scrapy's defaults, newscrawl's shared settings, ``-s``.

    ``overrides`` are ``NAME=VALUE`` strings applied at command-line priority, as
    ``newscrawl crawl -s`` applies them. Raises ValueError for an item without ``=``.
    """
    settings = Settings()
    for name in SHARED_SETTINGS:
        if hasattr(newscrawl_settings, name):
            settings.set(name, getattr(newscrawl_settings, name), priority="project")
    if not hasattr(newscrawl_settings, "USER_AGENT"):  # newscrawl's spider builds it
        contact = getattr(newscrawl_settings, "NEWSCRAWL_CONTACT_URL", "")
        settings.set("USER_AGENT", f"newscrawl-bench-bare (+{contact})", priority="project")
    settings.set("LOG_LEVEL", "WARNING", priority="project")
    apply_overrides(settings, overrides)
    return settings


def rebase(url: str, base_url: str | None) -> str:
    """Return ``url`` with its scheme and host replaced by those of ``base_url`` (if given)."""
    if not base_url:
        return url
    base = urlsplit(base_url)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path or "/", parts.query, ""))


def link_query(query: str) -> tuple[str, str]:
    """Return ``("css"|"xpath", expression)`` for a profile link selector, selecting hrefs.

    Profile selectors are CSS unless they start with ``xpath:``; a CSS selector without a
    ``::`` pseudo-element selects the ``href`` attribute, as newscrawl's spider does.
    """
    if query.startswith("xpath:"):
        return "xpath", query.removeprefix("xpath:")
    return "css", query if "::" in query else f"{query}::attr(href)"


class BareSpider(SitemapSpider):
    """Follow the ``jmn`` profile's links on a portal; download article pages and drop them."""

    name = "bare"
    sitemap_rules = (("", "parse_article"),)

    def __init__(self, base_url: str | None = None, **kwargs: Any) -> None:
        """Take entry points and link selectors from the ``jmn`` profile, moved to ``base_url``."""
        profile = load_profile(SITE)
        discovery = profile.get("discovery", default={})
        self.start_urls = [rebase(u, base_url) for u in discovery.get("start_urls", [])]
        self.feed_urls = [rebase(u, base_url) for u in discovery.get("feeds", [])]
        self.sitemap_urls = [rebase(u, base_url) for u in discovery.get("sitemaps", [])]
        self.sitemap_follow = list(discovery.get("sitemap_follow", [])) or [""]
        self.article_queries = [link_query(q) for q in discovery.get("article_links", [])]
        self.listing_queries = [link_query(q) for q in discovery.get("listing_links", [])]
        hosts = [urlsplit(base_url).hostname or ""] if base_url else []
        self.allowed_domains = [*profile.domains, *hosts]
        super().__init__(**kwargs)

    async def start(self) -> AsyncIterator[Any]:
        """Yield the home page, the feeds, then the sitemaps (as newscrawl's spider does)."""
        for url in self.start_urls:
            yield Request(url, callback=self.parse_listing)
        for url in self.feed_urls:
            yield Request(url, callback=self.parse_feed)
        async for request in super().start():
            yield request

    @staticmethod
    def _hrefs(response: TextResponse, queries: Iterable[tuple[str, str]]) -> Iterable[str]:
        for kind, expression in queries:
            nodes = response.xpath(expression) if kind == "xpath" else response.css(expression)
            yield from nodes.getall()

    def parse_listing(self, response: Response) -> Iterable[Request]:
        """Follow the article links and the listing links (menu, pagination, crumbs)."""
        if not isinstance(response, TextResponse):
            return
        for href in self._hrefs(response, self.article_queries):
            yield response.follow(href, callback=self.parse_article)
        for href in self._hrefs(response, self.listing_queries):
            yield response.follow(href, callback=self.parse_listing)

    def parse_feed(self, response: Response) -> Iterable[Request]:
        """Follow the link of every RSS 2.0 or Atom feed item."""
        if not isinstance(response, TextResponse):
            return
        selector = Selector(text=response.text, type="xml")
        selector.remove_namespaces()
        for item in selector.xpath("//item | //entry"):
            link = item.xpath("link/@href").get() or item.xpath("link/text()").get()
            if link and link.strip():
                yield response.follow(link.strip(), callback=self.parse_article)

    def parse_article(self, response: Response) -> Iterable[Any]:
        """Drop the article page: the bare spider parses nothing and yields nothing."""
        return ()


class JsonStatsCollector(MemoryStatsCollector):
    """Scrapy's default stats collector that also writes the final stats to ``BENCH_STATS_FILE``.

    The file gets one JSON object (values that JSON lacks, such as datetimes, as strings)
    when the spider closes, after ``elapsed_time_seconds`` has been set.
    """

    def _persist_stats(self, stats: StatsT) -> None:
        super()._persist_stats(stats)
        target = self._crawler.settings.get("BENCH_STATS_FILE")
        if target:
            Path(target).write_text(json.dumps(stats, default=str, indent=2), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Crawl the portal at ``--base-url`` with the bare spider; return 0 when it finished."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="origin of the portal to crawl")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    try:
        settings = bare_settings(args.set)
    except ValueError as exc:
        parser.error(str(exc))
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, base_url=args.base_url)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return 0 if stats.get("finish_reason") == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
