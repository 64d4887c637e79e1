"""Discovery: listings, feeds (RSS and Atom) and sitemaps (index, news), with no server.

The spider's callbacks get real Scrapy responses built from bytes.
"""

from __future__ import annotations

import codecs
import gzip
import inspect
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Headers, HtmlResponse, Request, Response, XmlResponse
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler

from newscrawl.identity import canonicalize_url
from newscrawl.report import OPTIONAL_META
from newscrawl.spiders import portal_spider
from newscrawl.spiders.portal import PortalSpider
from tests.conftest import LAUGH, attribute_flood, billion_laughs


def spider(**kwargs: Any) -> PortalSpider:
    crawler = get_crawler(portal_spider("jmn"), {"NEWSCRAWL_STATE_DIR": ""})
    crawler.spider = crawler._create_spider(**kwargs)
    return crawler.spider


def article_urls(requests: Any, spider: PortalSpider) -> list[str]:
    return [r.url for r in requests if r.callback == spider.parse_article]


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>JMN</title>
  <entry><title>A</title><link href="https://jmn.info/a/?utm_source=atom#x"/>
    <updated>2016-03-26T10:00:00+03:00</updated></entry>
  <entry><title>B</title><link rel="alternate" href="/b/"/>
    <published>2016-03-20T10:00:00Z</published></entry>
</feed>"""

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><title>A</title><link>https://jmn.info/a/</link>
  <pubDate>Sat, 26 Mar 2016 07:00:00 +0000</pubDate></item>
</channel></rss>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://jmn.info/new/</loc>
    <news:news><news:publication><news:name>JMN</news:name><news:language>en</news:language>
    </news:publication><news:publication_date>2016-03-26T10:00:00+03:00</news:publication_date>
    <news:title>New</news:title></news:news></url>
  <url><loc>https://jmn.info/old/</loc>
    <news:news><news:publication_date>2016-03-01T10:00:00+03:00</news:publication_date></news:news>
  </url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://jmn.info/post-sitemap.xml</loc></sitemap>
  <sitemap><loc>https://jmn.info/page-sitemap.xml</loc></sitemap>
</sitemapindex>"""


def xml(url: str, body: bytes) -> XmlResponse:
    return XmlResponse(url=url, body=body, request=Request(url))


def test_atom_feed_links_dates_and_canonical_urls() -> None:
    s = spider()
    urls = article_urls(s.parse_feed(xml("https://jmn.info/feed/atom/", ATOM)), s)
    assert urls == ["https://jmn.info/a/", "https://jmn.info/b/"]
    assert s.lastmod["https://jmn.info/a/"] == "2016-03-26T10:00:00+03:00"
    assert s.lastmod["https://jmn.info/b/"] == "2016-03-20T10:00:00+00:00"


def test_rss_dates_are_kept_as_iso_instants() -> None:
    s = spider()
    assert article_urls(s.parse_feed(xml("https://jmn.info/feed/", RSS)), s)
    assert s.lastmod["https://jmn.info/a/"] == "2016-03-26T07:00:00+00:00"


def test_the_latest_date_any_entry_point_gives_wins() -> None:
    s = spider()
    s.remember_lastmod("https://jmn.info/a/", "2016-03-26T10:00:00+03:00")
    s.remember_lastmod("https://jmn.info/a/", "Fri, 25 Mar 2016 07:00:00 +0000")
    assert s.lastmod["https://jmn.info/a/"] == "2016-03-26T10:00:00+03:00"


def test_sitemap_index_follows_only_post_sitemaps() -> None:
    s = spider()
    requests = list(s._parse_sitemap(xml("https://jmn.info/sitemap_index.xml", INDEX)))
    assert [r.url for r in requests] == ["https://jmn.info/post-sitemap.xml"]


def test_news_sitemap_dates_bound_since() -> None:
    s = spider(since=datetime(2016, 3, 20, tzinfo=UTC))
    requests = list(s._parse_sitemap(xml("https://jmn.info/news-sitemap.xml", NEWS_SITEMAP)))
    assert article_urls(requests, s) == ["https://jmn.info/new/"]
    assert s.lastmod["https://jmn.info/new/"] == "2016-03-26T10:00:00+03:00"
    assert s.crawler.stats.get_value("newscrawl/skipped/before_since") == 1


LISTING = """<html><body><ul>
<li><h2 class="post-box-title"><a href="https://jmn.info/new/">New</a></h2>
    <p class="post-meta"><span class="tie-date">March 26, 2016</span></p></li>
<li><h2 class="post-box-title"><a href="https://jmn.info/old/?utm_medium=x">Old</a></h2>
    <p class="post-meta"><span class="tie-date">March 20, 2016</span></p></li>
</ul><div class="pagination"><a href="https://jmn.info/category/world/page/2/">2</a></div>
</body></html>"""


@pytest.mark.parametrize(
    ("since", "articles", "follows_pagination"),
    [
        (None, ["https://jmn.info/new/", "https://jmn.info/old/"], True),
        (datetime(2016, 3, 25, tzinfo=UTC), ["https://jmn.info/new/"], True),
        (datetime(2016, 3, 27, tzinfo=UTC), [], False),
    ],
    ids=["no-since", "since-between", "since-after-all"],
)
def test_listing_links_and_since(
    since: datetime | None, articles: list[str], follows_pagination: bool
) -> None:
    s = spider(since=since)
    page = HtmlResponse(
        url="https://jmn.info/category/world/", body=LISTING.encode(), encoding="utf-8"
    )
    requests = list(s.parse_listing(page))
    assert article_urls(requests, s) == articles
    listings = [r.url for r in requests if r.callback == s.parse_listing]
    assert listings == (["https://jmn.info/category/world/page/2/"] if follows_pagination else [])


MISREAD_BY_SCRAPY = {
    # w3lib reads the label "utf-16" big-endian; the WHATWG Encoding Standard, little-endian
    "utf-16-header-no-bom": (LISTING.encode("utf-16-le"), "text/html; charset=utf-16"),
    # a <meta> cannot declare UTF-16 (WHATWG: it means UTF-8); w3lib obeys it
    "utf-16-meta-on-utf-8": (
        LISTING.replace("<html>", '<html><head><meta charset="utf-16"></head>').encode(),
        "text/html",
    ),
}


@pytest.mark.parametrize(
    ("body", "content_type"), MISREAD_BY_SCRAPY.values(), ids=MISREAD_BY_SCRAPY
)
def test_a_listing_is_read_as_extraction_reads_its_pages(body: bytes, content_type: str) -> None:
    """The links come from extraction's decoding of the bytes, not Scrapy's, which made
    these listings noise with no link in it."""
    s = spider()
    url = "https://jmn.info/category/world/"
    page = HtmlResponse(url=url, body=body, headers={"Content-Type": content_type})
    articles = article_urls(s.parse_listing(page), s)
    assert articles == ["https://jmn.info/new/", "https://jmn.info/old/"]


def test_listing_links_resolve_against_the_base_href() -> None:
    """A listing at ``/category/world/`` saying ``<base href="/">`` links ``new/`` to
    ``/new/``; resolved against the listing's URL, it was ``/category/world/new/``."""
    s = spider()
    body = LISTING.replace("https://jmn.info/", "").replace(
        "<html>", '<html><head><base href="/"></head>'
    )
    page = HtmlResponse(url="https://jmn.info/category/world/", body=body.encode())
    requests = list(s.parse_listing(page))
    assert article_urls(requests, s) == ["https://jmn.info/new/", "https://jmn.info/old/"]
    listings = [r.url for r in requests if r.callback == s.parse_listing]
    assert listings == ["https://jmn.info/category/world/page/2/"]


def test_base_url_fetches_elsewhere_but_keeps_portal_urls() -> None:
    s = spider(base_url="http://127.0.0.1:8123/")
    assert s.start_urls == ["http://127.0.0.1:8123/"]
    request = s.article_request("https://jmn.info/a/?utm_source=x")
    assert request is not None
    assert request.url == "http://127.0.0.1:8123/a/"
    assert s.page_url("http://127.0.0.1:8123/a/") == "https://jmn.info/a/"
    assert "127.0.0.1" in s.allowed_domains


def test_every_url_field_goes_back_to_the_portal() -> None:
    s = spider(base_url="http://127.0.0.1:8123/")
    mirror = "http://127.0.0.1:8123"
    record = {
        "url": "https://jmn.info/a/",
        "canonical_url": f"{mirror}/a/",
        "duplicate_of": f"{mirror}/b/",
        "breadcrumb": [{"name": "Home", "url": f"{mirror}/"}, {"name": "A", "url": None}],
        "images": [{"url": f"{mirror}/img.jpg?w=1#x", "caption": f"see {mirror}/c/"}],
        "teasers": [{"title": "T", "url": "https://other.example/t/", "excerpt": None}],
        "body": [f"text naming {mirror}/d/ stays text"],
    }
    mapped = s.portal_urls(record)
    assert mapped["canonical_url"] == "https://jmn.info/a/"
    assert mapped["duplicate_of"] == "https://jmn.info/b/"
    assert mapped["breadcrumb"] == [
        {"name": "Home", "url": "https://jmn.info/"},
        {"name": "A", "url": None},
    ]
    assert mapped["images"][0] == {
        "url": "https://jmn.info/img.jpg?w=1#x",
        "caption": f"see {mirror}/c/",
    }
    assert mapped["teasers"][0]["url"] == "https://other.example/t/"
    assert mapped["body"] == record["body"]


def test_known_and_old_articles_are_counted_once_each() -> None:
    s = spider(since="2016-03-25")
    for _ in range(3):  # the same article in a listing, a feed and a sitemap
        s.count_skip("before_since", "https://jmn.info/a/")
    s.count_skip("before_since", "https://jmn.info/b/")
    assert s.crawler.stats.get_value("newscrawl/skipped/before_since") == 2
    assert s.is_wanted("https://jmn.info/b/", "2016-03-26T00:00:00+00:00")  # newer elsewhere
    assert s.crawler.stats.get_value("newscrawl/skipped/before_since") == 1


def test_pages_requested_in_this_run_are_not_counted_as_known(tmp_path: Any) -> None:
    from newscrawl.storage.state import StateStore

    s = spider()
    s.state = StateStore.for_site(tmp_path, "jmn")
    assert s.article_request("https://jmn.info/a/") is not None
    # The batch holding /a/ is published and registered while the run goes on.
    s.state.register_batch(
        tmp_path / "b.jsonl", [{"url": "https://jmn.info/a/", "fingerprint": "0" * 40}]
    )
    assert s.article_request("https://jmn.info/a/") is not None  # the dupefilter drops it
    assert s.crawler.stats.get_value("newscrawl/skipped/known") is None
    fresh = spider()
    fresh.state = s.state
    assert fresh.article_request("https://jmn.info/a/") is None  # a later run: known
    assert fresh.crawler.stats.get_value("newscrawl/skipped/known") == 1
    s.state.close()


@pytest.mark.parametrize(("processes", "warm"), [(0, True), (1, False)])
def test_in_process_extraction_warms_up_before_the_crawl(processes: int, warm: bool) -> None:
    """Without workers the spider loads extraction's models as it is built, not while its
    first article waits; with workers each worker does that, and the spider starts none yet."""
    crawler = get_crawler(
        portal_spider("jmn"),
        {"NEWSCRAWL_STATE_DIR": "", "NEWSCRAWL_EXTRACT_PROCESSES": processes},
    )
    s = crawler._create_spider()
    assert s.extractor._warm is warm
    assert s.extractor._workers == []


def test_in_process_extraction_answers_with_the_list_itself() -> None:
    """Extracting in the crawl process, an article's callback returns its output list (Scrapy
    wraps a coroutine in a task, a Deferred and a Future); with workers, a coroutine."""
    jmn = Path(__file__).resolve().parents[2] / "fixtures" / "jmn"
    body = (jmn / "seed-article.html").read_bytes()
    url = "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
    crawler = get_crawler(portal_spider("jmn"), {"NEWSCRAWL_STATE_DIR": ""})
    s = crawler._create_spider()
    output = s.parse_article(HtmlResponse(url, body=body, request=Request(url)))
    assert isinstance(output, list)
    assert [record["headline"] for record in output] == ["Lavrov said what Putin agreed with Kerry"]
    assert crawler.stats.get_value("newscrawl/articles/fetched") == 1
    empty = s.parse_article(HtmlResponse(url, body=b"<html></html>", request=Request(url)))
    assert isinstance(empty, list)
    assert [type(reject).__name__ for reject in empty] == ["Reject"]
    crawler = get_crawler(
        portal_spider("jmn"), {"NEWSCRAWL_STATE_DIR": "", "NEWSCRAWL_EXTRACT_PROCESSES": 1}
    )
    with_workers = crawler._create_spider()
    pending = with_workers.parse_article(HtmlResponse(url, body=body, request=Request(url)))
    assert inspect.iscoroutine(pending)
    pending.close()  # never started: no worker process


def test_sitemap_requests_get_the_errback_and_the_page_date() -> None:
    """SitemapSpider's requests come without an errback: each gets on_error, and the date
    a sitemap or feed gave its page rides along in its meta; other output passes as it is."""
    s = spider(base_url="http://127.0.0.1:8123/")
    s.remember_lastmod("https://jmn.info/a/", "2016-03-26T10:00:00+03:00")
    dated = s.with_errback(Request("http://127.0.0.1:8123/a/", callback=s.parse_article))
    assert dated.errback == s.on_error
    assert dated.meta["newscrawl_lastmod"] == "2016-03-26T10:00:00+03:00"
    undated = s.with_errback(Request("http://127.0.0.1:8123/b/", callback=s.parse_article))
    assert undated.errback == s.on_error
    assert "newscrawl_lastmod" not in undated.meta

    def own(failure: Any) -> None: ...

    handled = s.with_errback(Request("http://127.0.0.1:8123/a/", errback=own))
    assert handled.errback is own
    assert "newscrawl_lastmod" not in handled.meta
    item = {"url": "https://jmn.info/a/"}
    assert s.with_errback(item) is item


def test_the_spider_asks_the_distributed_state_once_per_page(redis_prefix: Any) -> None:
    """In distributed mode every question costs a Redis round trip: the fetch decision on
    an article link is one (known or not, deferred or not), not one each."""
    from newscrawl.storage.redis_state import RedisStateStore
    from tests.redis_support import counting_client

    _, prefix = redis_prefix
    client = counting_client()
    state = RedisStateStore(client, prefix, "jmn")
    failed = "https://jmn.info/cut/"
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    state.register_rejects([{"url": failed, "kind": "truncated", "rejected_at": an_hour_ago}])
    s = spider()
    s.state = state
    state.should_fetch("https://jmn.info/warm-up/", None)  # Redis learns the script
    for page, wanted in (("https://jmn.info/new/", True), (failed, True)):
        client.sent.clear()
        assert (s.article_request(page) is not None) is wanted
        assert len(client.sent) == 1, client.sent
    state.close()


def test_a_page_that_failed_runs_in_a_row_waits_out_its_backoff(tmp_path: Any) -> None:
    """The first retry is the next run; after two failures in a row the page waits two
    hours from its last try, counted once as deferred; 0 turns the backoff off."""
    from datetime import timedelta

    from newscrawl.storage.state import StateStore

    page = "https://jmn.info/cut/"
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    with StateStore.for_site(tmp_path, "jmn") as state:
        state.register_rejects([{"url": page, "kind": "truncated", "rejected_at": an_hour_ago}])
        s = spider()
        s.state = state
        assert s.article_request(page) is not None  # one failure: the next run tries it
        state.register_rejects([{"url": page, "kind": "truncated", "rejected_at": an_hour_ago}])
        later = spider()
        later.state = state
        assert later.article_request(page) is None
        assert later.article_request(page) is None  # linked twice, counted once
        assert later.crawler.stats.get_value("newscrawl/skipped/deferred") == 1
        assert later.crawler.stats.get_value("newscrawl/skipped/known") is None
        off = spider()
        off.state = state
        off.failed_page_backoff = (0.0, 7 * 86400.0)
        assert off.article_request(page) is not None


def _over_the_attribute_limit(links: str) -> bytes:
    """A listing page holding ``links``, with one element of more attributes than extraction
    lets the parser read (:func:`~tests.conftest.attribute_flood`)."""
    return (
        f"<html><body><div {attribute_flood(name='data-a')}>ad</div>{links}</body></html>".encode()
    )


def test_a_listing_past_the_markup_limits_is_not_read_and_counts_as_failed() -> None:
    s = spider()
    s.crawler.stats.open_spider()
    url = "https://jmn.info/category/world/"
    s.crawler.stats.inc_value("newscrawl/requests/ok")  # as RequestOutcomes counted it
    page = HtmlResponse(
        url=url,
        body=_over_the_attribute_limit('<h2 class="post-box-title"><a href="/new/">New</a></h2>'),
        encoding="utf-8",
        request=Request(url),
    )
    assert list(s.parse_listing(page)) == []
    stats = s.crawler.stats
    assert stats.get_value("newscrawl/errors/listing-too-large") == 1
    assert stats.get_value("newscrawl/requests/ok") == 0
    assert stats.get_value("newscrawl/requests/failed") == 1


def test_a_listing_within_the_markup_limits_is_read() -> None:
    s = spider()
    page = HtmlResponse(
        url="https://jmn.info/category/world/", body=LISTING.encode(), encoding="utf-8"
    )
    assert article_urls(s.parse_listing(page), s)
    assert s.crawler.stats.get_value("newscrawl/errors/listing-too-large") is None


# --- sitemaps and feeds whose XML is damaged or hostile -----------------------------------

NEWS_URL = "https://jmn.info/news-sitemap.xml"
FEED_URL = "https://jmn.info/feed/"


def news_sitemap(entries: str, doctype: str = "") -> bytes:
    """A Google News sitemap of ``entries`` (``<url>`` elements), after ``doctype``."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{entries}</urlset>\n"
    ).encode()


def news_entry(path: str, day: int, title: str = "A title") -> str:
    return (
        f"<url><loc>https://jmn.info/{path}/</loc><news:news><news:publication_date>"
        f"2016-03-{day:02}T10:00:00+00:00</news:publication_date><news:title>{title}"
        "</news:title></news:news></url>\n"
    )


def rss(items: str, doctype: str = "") -> bytes:
    """An RSS 2.0 feed of ``items`` (``<item>`` elements), after ``doctype``."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}'
        f'<rss version="2.0"><channel><title>JMN</title>\n{items}</channel></rss>\n'
    ).encode()


def rss_item(path: str, day: int, title: str = "A title") -> str:
    return (
        f"<item><title>{title}</title><link>https://jmn.info/{path}/</link>"
        f"<pubDate>{day:02} Mar 2016 10:00:00 +0000</pubDate></item>\n"
    )


def answered(s: PortalSpider) -> PortalSpider:
    """``s`` with its stats open and one request counted ok, as RequestOutcomes counts the
    sitemap's or feed's."""
    s.crawler.stats.open_spider()
    s.crawler.stats.inc_value("newscrawl/requests/ok")
    return s


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_billion_laughs_news_sitemap_gives_every_entry_and_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = answered(spider())
    entries = news_entry("a", 21) + news_entry("b", 22, LAUGH) + news_entry("c", 23)
    body = news_sitemap(entries + news_entry("d", 24), billion_laughs("urlset"))
    requests = list(s._parse_sitemap(xml(NEWS_URL, body)))
    assert article_urls(requests, s) == [f"https://jmn.info/{p}/" for p in "abcd"]
    assert s.lastmod["https://jmn.info/d/"] == "2016-03-24T10:00:00+00:00"  # after the entity
    stats = s.crawler.stats
    assert stats.get_value("newscrawl/errors/sitemap-damaged") == 1
    assert stats.get_value("newscrawl/requests/failed") == 1
    assert stats.get_value("newscrawl/requests/ok") == 0
    [error] = errors_logged(caplog)
    assert error.startswith(f"Damaged sitemap {NEWS_URL}: hostile XML: its DOCTYPE declares")
    assert error.endswith("none was expanded; entries read: 4")


def test_a_billion_laughs_feed_gives_every_item_and_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = answered(spider())
    items = rss_item("a", 21) + rss_item("b", 22, LAUGH) + rss_item("c", 23)
    requests = list(s.parse_feed(xml(FEED_URL, rss(items, billion_laughs("rss")))))
    assert article_urls(requests, s) == [f"https://jmn.info/{p}/" for p in "abc"]
    assert s.lastmod["https://jmn.info/c/"] == "2016-03-23T10:00:00+00:00"
    stats = s.crawler.stats
    assert stats.get_value("newscrawl/errors/feed-damaged") == 1
    assert stats.get_value("newscrawl/requests/failed") == 1
    [error] = errors_logged(caplog)
    assert error.startswith(f"Damaged feed {FEED_URL}: hostile XML: ")
    assert error.endswith("; entries read: 3")


@pytest.mark.parametrize(
    ("cut", "pages"),
    [
        ("<url><loc>https://jmn.info/c", "ab"),
        ("<url><loc>https://jmn.info/c/</loc><lastmod>2016-03-2", "abc"),
        ("<url><loc>https://jmn.info/c/</loc></url>\n<url>", "abc"),
    ],
    ids=["in-a-loc", "in-a-lastmod", "between-entries"],
)
def test_a_sitemap_cut_short_gives_its_whole_entries_and_is_reported(
    cut: str, pages: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = answered(spider())
    whole = "".join(
        f"<url><loc>https://jmn.info/{p}/</loc><lastmod>2016-03-2{n}</lastmod></url>\n"
        for n, p in enumerate("ab")
    )
    body = news_sitemap(whole).split(b"</urlset>")[0] + cut.encode()
    requests = list(s._parse_sitemap(xml("https://jmn.info/post-sitemap.xml", body)))
    assert article_urls(requests, s) == [f"https://jmn.info/{p}/" for p in pages]
    assert "https://jmn.info/c/" not in s.lastmod  # a date cut to 2016-03-2 is no date
    assert s.crawler.stats.get_value("newscrawl/errors/sitemap-damaged") == 1
    [error] = errors_logged(caplog)
    assert "post-sitemap.xml: not well-formed XML at line " in error
    assert error.endswith(f"; entries read: {len(pages)}")


def test_a_feed_cut_short_gives_its_whole_items_and_is_reported() -> None:
    s = answered(spider())
    body = rss(rss_item("a", 21) + rss_item("b", 22)).split(b"</channel>")[0]
    cut = body + b"<item><title>C</title><link>https://jmn.info/c/</link><pubDate>23 Mar 20"
    requests = list(s.parse_feed(xml(FEED_URL, cut)))
    assert article_urls(requests, s) == [f"https://jmn.info/{p}/" for p in "abc"]
    assert "https://jmn.info/c/" not in s.lastmod  # its date was cut
    assert s.crawler.stats.get_value("newscrawl/errors/feed-damaged") == 1


@pytest.mark.parametrize(
    "damage",
    [
        (b"/b/</loc>", b"/b/?x=1&y=2</loc>"),
        (b"<loc>https://jmn.info/a/</loc>", "<loc>https://jmn.info/a/é/</loc>".encode("latin-1")),
    ],
    ids=["stray-ampersand", "latin-1-bytes-in-utf-8"],
)
def test_a_sitemap_libxml2_reads_past_a_fault_in_is_still_reported(
    damage: tuple[bytes, bytes],
) -> None:
    s = answered(spider())
    entries = "".join(f"<url><loc>https://jmn.info/{p}/</loc></url>\n" for p in "abc")
    body = news_sitemap(entries).replace(*damage)
    requests = list(s._parse_sitemap(xml("https://jmn.info/post-sitemap.xml", body)))
    assert article_urls(requests, s)[-1] == "https://jmn.info/c/"  # read past the fault
    assert s.crawler.stats.get_value("newscrawl/errors/sitemap-damaged") == 1


def test_whole_sitemaps_and_feeds_are_read_without_a_word(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = answered(spider())
    blank_lines = b"\n\n" + news_sitemap(news_entry("e", 25))  # before <?xml: no damage
    assert article_urls(s.parse_feed(xml("https://jmn.info/feed/atom/", ATOM)), s)
    assert article_urls(s.parse_feed(xml(FEED_URL, RSS)), s)
    assert article_urls(s._parse_sitemap(xml(NEWS_URL, NEWS_SITEMAP)), s)
    assert list(s._parse_sitemap(xml("https://jmn.info/sitemap_index.xml", INDEX)))
    assert article_urls(s._parse_sitemap(xml(NEWS_URL, blank_lines)), s)
    assert errors_logged(caplog) == []
    stats = s.crawler.stats.get_stats()
    assert not [key for key in stats if key.startswith("newscrawl/errors/")]
    assert stats["newscrawl/requests/ok"] == 1


# --- the encoding of a feed -----------------------------------------------------------------

NEWS_PAGE = "https://jmn.info/новости/"


def feed_in(codec: str, declared: str | None = None, bom: bytes = b"") -> bytes:
    """An RSS feed linking :data:`NEWS_PAGE`, written in ``codec``, its XML declaration
    naming ``declared`` (no encoding when None), after ``bom``."""
    encoding = f' encoding="{declared}"' if declared else ""
    return bom + (
        f'<?xml version="1.0"{encoding}?><rss version="2.0"><channel><item>'
        f"<title>Новости</title><link>{NEWS_PAGE}</link></item></channel></rss>"
    ).encode(codec)


FEEDS_IN_THEIR_ENCODING = {
    "declared-in-the-xml": ("application/rss+xml", feed_in("cp1251", "windows-1251")),
    "in-the-content-type-only": (
        "application/rss+xml; charset=windows-1251",
        feed_in("cp1251"),
    ),
    "xml-content-type-over-the-declaration": (
        "application/rss+xml; charset=windows-1251",
        feed_in("cp1251", "utf-8"),
    ),
    "declaration-over-a-web-page-charset": (
        "text/html; charset=utf-8",
        feed_in("cp1251", "windows-1251"),
    ),
    "web-page-charset-when-the-xml-says-nothing": (
        "text/plain; charset=windows-1251",
        feed_in("cp1251"),
    ),
    "bom-over-the-content-type": (
        "text/xml; charset=windows-1251",
        feed_in("utf-8", bom=codecs.BOM_UTF8),
    ),
    "charset-libxml2-does-not-know": ("application/rss+xml; charset=utf8mb4", feed_in("utf-8")),
    "declaration-over-a-server-default-utf-8-the-bytes-are-not-in": (
        "application/rss+xml; charset=utf-8",
        feed_in("cp1251", "windows-1251"),
    ),
}


@pytest.mark.parametrize("case", FEEDS_IN_THEIR_ENCODING)
def test_a_feed_is_read_in_the_encoding_xmls_rules_give(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A BOM, then an XML Content-Type's charset (RFC 7303), then the XML declaration, then
    any other Content-Type's charset (``newscrawl.xmlread.feed_encoding``)."""
    s = answered(spider())
    content_type, body = FEEDS_IN_THEIR_ENCODING[case]
    requests = list(s.parse_feed(served(FEED_URL, content_type, body)))
    assert article_urls(requests, s) == [canonicalize_url(NEWS_PAGE)]
    assert errors_logged(caplog) == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            "application/rss+xml; charset=utf-8",
            rss(rss_item("a", 21, "Caf\u00e9") + rss_item("b", 22)).replace(
                "\u00e9".encode(), "\u00e9".encode("latin-1")
            ),
        ),
        ("application/rss+xml; charset=utf-8", feed_in("cp1251", "utf-8")),
    ],
    ids=["latin-1-bytes-in-utf-8", "utf-8-said-twice-of-windows-1251-bytes"],
)
def test_bytes_not_in_a_feeds_encoding_are_reported_as_damage(
    content_type: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """Scrapy decoded feeds, so such bytes were U+FFFD before libxml2 saw them, and no
    damage; in a sitemap they were."""
    s = answered(spider())
    requests = list(s.parse_feed(served(FEED_URL, content_type, body)))
    assert article_urls(requests, s)  # read past the damage
    assert s.crawler.stats.get_value("newscrawl/errors/feed-damaged") == 1
    [error] = errors_logged(caplog)
    assert error.startswith(f"Damaged feed {FEED_URL}: not well-formed XML at line ")
    assert "(Invalid bytes in character encoding)" in error


def served(url: str, content_type: str, body: bytes) -> Response:
    """The response Scrapy builds for ``body`` served at ``url`` as ``content_type``, of
    the class Scrapy's downloader gives it (``responsetypes``)."""
    headers = Headers({"Content-Type": content_type})
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url, body=body, headers=headers, request=Request(url))


NOT_SITEMAPS = {
    "web-page": ("text/html; charset=utf-8", b"<!DOCTYPE html><html><body>Moved</body></html>"),
    "feed": ("application/rss+xml", RSS),
    "text": ("text/plain", b"hello"),
    "blank": ("application/xml", b"  \n"),
    "xml-declaration-only": ("application/xml", b"<?xml version='1.0'?>"),
}


@pytest.mark.parametrize("case", NOT_SITEMAPS)
def test_a_body_that_is_no_sitemap_is_reported_as_an_entry_point_lost(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Scrapy only warned ("Ignoring invalid sitemap"): a portal that moved its sitemap
    lost that entry point every run, without a count."""
    s = answered(spider())
    content_type, body = NOT_SITEMAPS[case]
    url = "https://jmn.info/post-sitemap.xml"
    assert list(s._parse_sitemap(served(url, content_type, body))) == []
    [error] = errors_logged(caplog)
    assert error.startswith(f"Not read: {url} is not a sitemap ({content_type.split(';')[0]}, ")
    stats = s.crawler.stats
    assert stats.get_value("newscrawl/errors/not-a-sitemap") == 1
    assert stats.get_value("newscrawl/requests/failed") == 1
    assert stats.get_value("newscrawl/requests/ok") == 0


@pytest.mark.parametrize("how", ["as-text-at-a-path", "gzip-taken-for-xml"])
def test_a_sitemap_is_read_whatever_its_content_type_and_url_say(
    how: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Scrapy judges a sitemap by its response's class and URL: it passed over a sitemap
    served as text/plain at /sitemap/, and handed a gzip file it took for XML (by its .xml
    URL) to the parser undecompressed. Both were lost with a warning."""
    s = answered(spider())
    body = news_sitemap(news_entry("a", 21))
    if how == "as-text-at-a-path":
        response = served("https://jmn.info/sitemap/", "text/plain", body)
    else:
        response = served(NEWS_URL, "application/x-gzip", gzip.compress(body))
        assert isinstance(response, XmlResponse)
    assert article_urls(s._parse_sitemap(response), s) == ["https://jmn.info/a/"]
    assert errors_logged(caplog) == []


NOT_FEEDS = {
    "web-page": (
        "text/html; charset=utf-8",
        b"<!DOCTYPE html><html><head><meta charset=utf-8><title>Moved</title></head></html>",
        "root element <html>",
    ),
    "xhtml": (
        "application/xhtml+xml",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
        "root element <html>",
    ),
    "sitemap": ("application/xml", NEWS_SITEMAP, "root element <urlset>"),
    "json-feed": (
        "application/feed+json",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
        "no XML element in it",
    ),
    "text": ("text/plain", b"hello", "no XML element in it"),
    "blank": ("application/rss+xml", b"  \n", "no XML element in it"),
}


@pytest.mark.parametrize("case", NOT_FEEDS)
def test_a_body_that_is_no_feed_is_reported_as_an_entry_point_lost(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Was: a web page reported as a damaged feed ("not well-formed XML", as if a feed were
    broken), and XHTML or a sitemap read as a feed of no items without a word."""
    s = answered(spider())
    content_type, body, root = NOT_FEEDS[case]
    assert list(s.parse_feed(served(FEED_URL, content_type, body))) == []
    [error] = errors_logged(caplog)
    assert error == f"Not read: {FEED_URL} is not a feed ({content_type.split(';')[0]}, {root})"
    stats = s.crawler.stats
    assert stats.get_value("newscrawl/errors/not-a-feed") == 1
    assert stats.get_value("newscrawl/errors/feed-damaged") is None  # one count, of what it is
    assert stats.get_value("newscrawl/requests/failed") == 1
    assert stats.get_value("newscrawl/requests/ok") == 0


def test_a_feed_redirected_to_a_web_page_is_named_by_its_own_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = answered(spider())
    home = "https://jmn.info/"
    request = Request(home, callback=s.parse_feed, meta={"redirect_urls": [FEED_URL]})
    body = b"<!DOCTYPE html><html><head><title>JMN</title></head><body></body></html>"
    headers = {"Content-Type": "text/html"}
    assert list(s.parse_feed(HtmlResponse(home, body=body, headers=headers, request=request))) == []
    [error] = errors_logged(caplog)
    assert error == (
        f"Not read: {FEED_URL} is not a feed (redirected to {home}, text/html, root element <html>)"
    )
    assert s.crawler.stats.get_value("newscrawl/errors/not-a-feed") == 1


def test_a_guessed_feed_that_is_no_feed_is_no_fault(caplog: pytest.LogCaptureFixture) -> None:
    """No crawl guesses a feed's URL today (a crawl by URL reads the ones its home page
    names); a guess would be marked as a guessed sitemap is, and stay as quiet."""
    s = answered(spider())
    caplog.set_level(logging.INFO)
    request = Request(FEED_URL, callback=s.parse_feed, meta={OPTIONAL_META: True})
    page = HtmlResponse(FEED_URL, body=b"<html><body>Home</body></html>", request=request)
    assert list(s.parse_feed(page)) == []
    assert errors_logged(caplog) == []
    assert f"Not read: {FEED_URL} is not a feed (" in caplog.text
    assert s.crawler.stats.get_value("newscrawl/errors/not-a-feed") is None
    assert s.crawler.stats.get_value("newscrawl/requests/failed") is None


RDF_FEED = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="https://jmn.info/"><title>JMN</title></channel>
  <item rdf:about="https://jmn.info/a/"><title>A</title><link>https://jmn.info/a/</link></item>
</rdf:RDF>"""


@pytest.mark.parametrize(
    "body",
    [
        rss(""),
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>JMN</title></feed>',
        RDF_FEED.replace(RDF_FEED[RDF_FEED.index(b"  <item") : RDF_FEED.index(b"</rdf:RDF>")], b""),
    ],
    ids=["rss", "atom", "rss-1.0"],
)
def test_a_feed_of_no_items_is_no_fault(body: bytes, caplog: pytest.LogCaptureFixture) -> None:
    """A new portal's feed: nothing to fetch yet, and nothing wrong."""
    s = answered(spider())
    assert list(s.parse_feed(served(FEED_URL, "application/xml", body))) == []
    assert errors_logged(caplog) == []
    assert s.crawler.stats.get_value("newscrawl/requests/ok") == 1
    assert s.crawler.stats.get_value("newscrawl/requests/failed") is None


def test_an_rss_1_0_feed_is_read() -> None:
    s = spider()
    requests = s.parse_feed(served(FEED_URL, "application/rdf+xml", RDF_FEED))
    assert article_urls(requests, s) == ["https://jmn.info/a/"]


def corrupt(packed: bytes) -> bytes:
    """``packed`` (gzip) with bytes in the middle of its stream flipped."""
    middle = len(packed) // 2
    return (
        packed[:middle]
        + bytes(b ^ 0x55 for b in packed[middle : middle + 64])
        + packed[middle + 64 :]
    )


@pytest.mark.parametrize("damage", ["cut-in-its-header", "corrupt-stream"])
def test_a_gzip_sitemap_that_cannot_be_decompressed_is_reported_as_damaged(
    damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Scrapy's gunzip raises for these: the spider's callback failed with a traceback."""
    s = answered(spider())
    url = "https://jmn.info/post-sitemap.xml.gz"
    entries = "".join(news_entry(f"story-{n}", 21) for n in range(200))
    packed = gzip.compress(news_sitemap(entries))
    body = packed[:12] if damage == "cut-in-its-header" else corrupt(packed)
    assert list(s._parse_sitemap(served(url, "application/x-gzip", body))) == []
    [error] = errors_logged(caplog)
    assert error.startswith(f"Not read: {url} is a gzip file that cannot be decompressed (")
    assert s.crawler.stats.get_value("newscrawl/errors/sitemap-damaged") == 1
    assert s.crawler.stats.get_value("newscrawl/requests/failed") == 1
