"""UrlSpider's decisions, one at a time: scope, URL shapes, state and the page budget.

The crawls end to end (entry points, page types, bad input) are in
tests/commands/test_crawl_url.py.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from scrapy.exceptions import DownloadCancelledError, DownloadFailedError
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from newscrawl.commands.crawl import url_spider
from newscrawl.middlewares import CappedRobotParser, RfcRobotsTxtMiddleware
from newscrawl.report import OPTIONAL_META
from newscrawl.spiders.url import BARREN_META, PRIORITY, SHAPE_META, UrlSpider
from newscrawl.storage.backend import Verdict
from tests.conftest import LAUGH, attribute_flood, billion_laughs

HOME = "https://www.portal.example/"


def spider(settings: dict[str, Any] | None = None, **kwargs: Any) -> UrlSpider:
    """A UrlSpider for ``HOME`` with a crawler (``settings`` added), and no state."""
    _site, cls = url_spider(kwargs.pop("url", HOME))
    crawler = get_crawler(cls, {"NEWSCRAWL_STATE_DIR": "", **(settings or {})})
    crawler.spider = crawler._create_spider(url=kwargs.pop("start", HOME), **kwargs)
    crawler.stats.open_spider()
    return crawler.spider


class KnowsEverything:
    """A state that has every page already."""

    def verdict(self, url: str, lastmod: str | None, *args: Any) -> Verdict:
        return Verdict.KNOWN


def test_the_site_is_named_after_the_host() -> None:
    crawl = spider()
    assert crawl.site == "www_portal_example"
    assert crawl.name == "www_portal_example"
    assert crawl.profile.name == "generic"


def test_links_off_the_host_or_not_pages_are_not_requested() -> None:
    crawl = spider()
    body = b"""<html><body>
    <a href="/2026/12/05/the-council-passes-the-budget/">a</a>
    <a href="/category/city/">b</a>
    <a href="/wp-content/uploads/photo.jpg">c</a>
    <a href="https://news.portal.example/2026/12/05/other-host-story/">d</a>
    <a href="https://www.facebook.com/portal">e</a>
    <a href="/about/">f</a>
    </body></html>"""
    response = HtmlResponse(HOME, body=body, request=Request(HOME))
    requests = list(crawl.follow_links(response))
    shapes = {r.url: r.meta[SHAPE_META] for r in requests}
    assert shapes == {
        "https://www.portal.example/2026/12/05/the-council-passes-the-budget/": "article",
        "https://www.portal.example/category/city/": "listing",
        "https://www.portal.example/about/": "unknown",
    }
    assert [r.priority for r in requests] == [PRIORITY["article"], PRIORITY["listing"], 5]


def test_links_with_user_information_are_not_requested() -> None:
    crawl = spider()
    story = "www.portal.example/2026/12/05/the-council-passes-the-budget/"
    body = f"""<html><body>
    <a href="https://a@{story}">a</a>
    <a href="https://a:b@{story}">b</a>
    <a href="https://@{story}">c</a>
    <a href="https://{story}">d</a>
    </body></html>""".encode()
    response = HtmlResponse(HOME, body=body, request=Request(HOME))
    assert [r.url for r in crawl.follow_links(response)] == [f"https://{story}"]
    assert crawl.crawler.stats.get_value("newscrawl/links/offsite") == 3


def test_links_are_read_as_extraction_reads_the_page() -> None:
    """A UTF-16LE page labelled "utf-16", with no BOM: Scrapy (w3lib) reads it big-endian
    and finds no link; extraction, and so the spider, read it little-endian (WHATWG)."""
    crawl = spider()
    story = "https://www.portal.example/2026/12/05/the-council-passes-the-budget/"
    body = f'<html><body><p>Новости</p><a href="{story}">Совет принял бюджет</a></body></html>'
    response = HtmlResponse(
        HOME,
        body=body.encode("utf-16-le"),
        headers={"Content-Type": "text/html; charset=utf-16"},
        request=Request(HOME),
    )
    assert [r.url for r in crawl.follow_links(response)] == [story]


def test_subdomains_widen_the_scope_to_the_registrable_domain() -> None:
    crawl = spider(subdomains=True)
    assert crawl.is_onsite("https://news.portal.example/2026/12/05/other-host-story/")
    assert not crawl.is_onsite("https://www.facebook.com/portal")


def test_known_articles_are_skipped_but_listings_are_always_fetched_again() -> None:
    crawl = spider()
    crawl.state = KnowsEverything()  # type: ignore[assignment]
    article = "https://www.portal.example/2026/12/05/the-council-passes-the-budget/"
    assert crawl.page_request(article, "article") is None
    assert crawl.crawler.stats.get_value("newscrawl/skipped/known") == 1
    assert crawl.page_request("https://www.portal.example/category/city/", "listing")


def test_the_budget_counts_each_page_once_and_stops_at_max_pages() -> None:
    crawl = spider(max_pages=3)
    urls = [f"https://www.portal.example/2026/12/05/story-number-{n}/" for n in range(5)]
    first = [crawl.page_request(urls[0], "article"), crawl.page_request(urls[0], "article")]
    assert first[0] is not None
    assert first[1] is None  # the same page again costs nothing
    made = [crawl.page_request(u, "article") for u in urls[1:]]
    assert sum(r is not None for r in made) == 2
    assert crawl.crawler.stats.get_value("newscrawl/skipped/max_pages") == 2


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_budget_under_one_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="must be 1 or more"):
        spider(max_pages=value)


def _past_the_markup_limits() -> bytes:
    """A page with an article link and one element of more attributes than extraction lets
    the parser read (:func:`~tests.conftest.attribute_flood`)."""
    attributes = attribute_flood(name="data-a")
    return (
        f'<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head>'
        f"<body><div {attributes}>ad</div>"
        f'<a href="/2026/12/05/the-council-passes-the-budget/">a</a></body></html>'
    ).encode()


def test_a_home_page_past_the_markup_limits_is_not_read() -> None:
    crawl = spider()
    response = HtmlResponse(HOME, body=_past_the_markup_limits(), request=Request(HOME))
    assert list(crawl.parse_home(response)) == []
    assert crawl.crawler.stats.get_value("newscrawl/errors/listing-too-large") == 1


def test_a_listing_past_the_markup_limits_is_not_read() -> None:
    crawl = spider()
    url = HOME + "category/city/"
    request = Request(url, meta={SHAPE_META: "listing"})
    response = HtmlResponse(url, body=_past_the_markup_limits(), request=request)
    # A listing is not extracted: the coroutine ends before it awaits anything.
    assert asyncio.run(crawl.parse_article(response)) == []
    assert crawl.crawler.stats.get_value("newscrawl/errors/listing-too-large") == 1


def test_a_page_cut_short_is_a_truncated_reject_and_its_links_are_followed() -> None:
    """Cut before its text, an article reads as no article; it is a reject the next run
    fetches again, not a page of type "other" that nothing ever mentions."""
    crawl = spider()
    url = HOME + "2026/12/05/the-council-passes-the-budget/"
    body = (
        b"<html><head><title>The council passes the budget</title></head><body>"
        b'<a href="/2026/12/04/the-mayor-opens-the-bridge/">The mayor opens the bridge</a>'
        b"<article><h1>The council passes the budget</h1><p>The cou"
    )
    response = HtmlResponse(url, body=body, request=Request(url, meta={SHAPE_META: "article"}))
    reject, *links = asyncio.run(crawl.parse_article(response))
    assert reject.kind == "truncated"
    assert [link.url for link in links] == [HOME + "2026/12/04/the-mayor-opens-the-bridge/"]
    assert crawl.crawler.stats.get_value("newscrawl/extract/truncated") == 1


def _sitemap(paths: list[str], doctype: str = "", laugh_in: int = -1) -> bytes:
    """A sitemap of the article ``paths``; the entry at ``laugh_in`` uses :data:`LAUGH`, in
    its ``<lastmod>``, which comes before its ``<loc>``: libxml2 stops before its loc."""
    entries = "".join(
        f"<url><lastmod>{LAUGH if n == laugh_in else '2026-12-05'}</lastmod>"
        f"<loc>{HOME}{p}</loc></url>\n"
        for n, p in enumerate(paths)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>'
    ).encode()


def test_a_billion_laughs_sitemap_gives_every_entry_within_the_budget() -> None:
    crawl = spider(max_pages=4)
    paths = [f"2026/12/05/story-number-{n}/" for n in range(5)]
    url = HOME + "sitemap.xml"
    body = _sitemap(paths, billion_laughs("urlset"), laugh_in=1)
    requests = list(crawl._parse_sitemap(XmlResponse(url, body=body, request=Request(url))))
    assert [r.url for r in requests] == [HOME + p for p in paths[:4]]  # read past the entity
    assert [r.priority for r in requests] == [PRIORITY["article"]] * 4
    stats = crawl.crawler.stats
    assert stats.get_value("newscrawl/skipped/max_pages") == 1
    assert stats.get_value("newscrawl/errors/sitemap-damaged") == 1


@pytest.mark.parametrize("guessed", [False, True], ids=["named", "guessed"])
def test_a_sitemap_that_is_no_xml_at_all_is_lost_unless_it_was_a_guess(guessed: bool) -> None:
    """One robots.txt names is an entry point lost; ``/sitemap.xml`` guessed when robots.txt
    names none is no fault (a site may answer any path with a page)."""
    crawl = spider()
    url = HOME + "sitemap.xml"
    request = Request(url, meta={OPTIONAL_META: True} if guessed else {})
    response = TextResponse(url, body=b"Not here.", request=request)
    assert list(crawl._parse_sitemap(response)) == []
    stats = crawl.crawler.stats
    assert stats.get_value("newscrawl/errors/not-a-sitemap") == (None if guessed else 1)
    assert stats.get_value("newscrawl/errors/sitemap-damaged") is None


def test_a_guessed_sitemap_too_large_to_download_is_reported_as_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Something past DOWNLOAD_MAXSIZE where a sitemap is guessed is a sitemap lost all the
    same (it was said at INFO, as a guess that is not there); a guess that fails otherwise
    stays quiet."""
    crawl = spider()
    failures = []
    for path, error in (
        ("sitemap.xml", DownloadCancelledError("larger than download max size")),
        ("sitemap_index.xml", DownloadFailedError("Connection refused")),
    ):
        failure = Failure(error)
        url = HOME + path
        failure.request = Request(url, crawl._parse_sitemap, meta={OPTIONAL_META: True})
        failures.append(failure)
    for failure in failures:
        assert list(crawl.on_optional_error(failure)) == []
    limit = crawl.crawler.settings.getint("DOWNLOAD_MAXSIZE")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        f"Not read: {HOME}sitemap.xml is larger than the download size limit "
        f"(DOWNLOAD_MAXSIZE {limit} bytes)"
    ]
    assert crawl.crawler.stats.get_value("newscrawl/errors/sitemap-too-large") == 1


def test_a_link_longer_than_the_url_length_limit_costs_no_budget() -> None:
    """Scrapy's UrlLengthMiddleware drops a request for a URL over ``URLLENGTH_LIMIT``
    after the spider made it: the spider spent a request of the budget on each such link,
    and a page of them could spend it all on nothing fetched."""
    crawl = spider(max_pages=2)
    limit = crawl.crawler.settings.getint("URLLENGTH_LIMIT")
    too_long = HOME + "2026/12/05/" + "-".join(["word"] * (limit // 5)) + "/"
    assert crawl.page_request(too_long, "article") is None
    assert crawl.page_request(too_long, "article") is None
    stories = [HOME + f"2026/12/05/story-number-{n}/" for n in range(2)]
    assert all(crawl.page_request(url, "article") for url in stories)
    stats = crawl.crawler.stats
    assert stats.get_value("newscrawl/skipped/url_too_long") == 2  # each link met
    assert stats.get_value("newscrawl/skipped/max_pages") is None


def test_a_link_robots_txt_forbids_costs_no_budget() -> None:
    """The robots.txt middleware drops a request robots.txt forbids as it goes out: the
    spider spent a request of the budget on it first. Once the host's robots.txt is read,
    such a link is counted instead; before, the request is made and judged as it waits."""
    crawl = spider(max_pages=2)
    robots = RfcRobotsTxtMiddleware(get_crawler(settings_dict={"ROBOTSTXT_OBEY": True}))
    crawl.robots = robots
    search = HOME + "search/?q=council"
    assert robots.allows(search) is None  # not read yet
    robots._parsers["www.portal.example"] = CappedRobotParser(
        b"User-agent: *\nDisallow: /search\n", crawl
    )
    assert robots.allows(search) is False
    assert crawl.page_request(search, "listing") is None
    stories = [HOME + f"2026/12/05/story-number-{n}/" for n in range(2)]
    assert all(crawl.page_request(url, "article") for url in stories)
    stats = crawl.crawler.stats
    assert stats.get_value("newscrawl/skipped/robots_forbidden") == 1
    assert stats.get_value("newscrawl/skipped/max_pages") is None


def _follow(crawl: UrlSpider, path: str, barren: int, body: bytes) -> list[tuple[str, int]]:
    """``(url, barren count)`` of the requests ``crawl`` makes for the links of the listing
    at ``path``, reached after ``barren`` barren pages in a row."""
    url = HOME + path
    request = Request(url, meta={SHAPE_META: "listing", BARREN_META: barren})
    response = HtmlResponse(url, body=body, request=request)
    return [(r.url, r.meta[BARREN_META]) for r in crawl.follow_links(response)]


def test_listing_links_are_not_followed_past_max_barren_pages_in_a_row() -> None:
    """A page that is no article and links no page not met before is barren; listing links
    are followed through ``NEWSCRAWL_MAX_BARREN_LISTINGS`` (3) such pages in a row, then
    not: a calendar linking the next day forever is left after three days."""
    crawl = spider()
    assert crawl.max_barren == 3
    story = HOME + "2026/12/05/the-council-passes-the-budget/"
    day = '<a href="/2026/12/{0:02d}/">next day</a><a href="{1}">story</a>'
    # links a story no page linked before: not barren, whatever came before it
    assert _follow(crawl, "2026/12/01/", 2, day.format(2, story).encode()) == [
        (HOME + "2026/12/02/", 0),
        (story, 0),
    ]
    # the same story again: the first, second, third barren page in a row
    assert _follow(crawl, "2026/12/02/", 0, day.format(3, story).encode()) == [
        (HOME + "2026/12/03/", 1)
    ]
    assert _follow(crawl, "2026/12/03/", 1, day.format(4, story).encode()) == [
        (HOME + "2026/12/04/", 2)
    ]
    stats = crawl.crawler.stats
    assert stats.get_value("newscrawl/skipped/barren_listings") is None
    assert _follow(crawl, "2026/12/04/", 2, day.format(5, story).encode()) == []
    assert stats.get_value("newscrawl/skipped/barren_listings") == 1


def test_barren_pages_are_followed_without_end_when_the_limit_is_0() -> None:
    crawl = spider({"NEWSCRAWL_MAX_BARREN_LISTINGS": 0})
    body = b'<a href="/2026/12/06/">next day</a>'
    assert _follow(crawl, "2026/12/05/", 100, body) == [(HOME + "2026/12/06/", 101)]


def test_a_sitemap_robots_txt_names_on_another_host_is_counted_off_site(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sitemap on another host is not fetched (the crawl stays on the portal's host);
    before, it was left out without a word, and the articles only it lists with it."""
    crawl = spider()
    robots = (
        b"Sitemap: https://www.portal.example/news-sitemap.xml\n"
        b"Sitemap: https://sitemaps.cdn.example/portal/sitemap.xml\n"
    )
    url = HOME + "robots.txt"
    response = TextResponse(url, body=robots, request=Request(url))
    with caplog.at_level(logging.INFO):
        requests = list(crawl._parse_sitemap(response))
    assert [r.url for r in requests] == [HOME + "news-sitemap.xml"]
    assert crawl.crawler.stats.get_value("newscrawl/skipped/offsite") == 1
    assert (
        "Not fetching https://sitemaps.cdn.example/portal/sitemap.xml, which robots.txt names: "
        "it is off the site"
    ) in caplog.text


def test_a_feed_the_home_page_names_on_another_host_is_counted_off_site() -> None:
    crawl = spider()
    body = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed/">'
        b'<link rel="alternate" type="application/rss+xml" href="https://feeds.cdn.example/p">'
        b"</head><body></body></html>"
    )
    response = HtmlResponse(HOME, body=body, request=Request(HOME))
    assert [r.url for r in crawl.parse_home(response)] == [HOME + "feed/"]
    assert crawl.crawler.stats.get_value("newscrawl/skipped/offsite") == 1
