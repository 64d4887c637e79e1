"""Redis-only promises of the verdicts a spider asks of a sitemap's pages together
(``RedisStateStore.prefetch``). Here, among the storage tests, so that the mutants of
tests/mutation/storage_mutants.py are run against them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from newscrawl.storage.backend import Verdict
from newscrawl.storage.redis_state import RedisStateStore

Redis = tuple[Any, str]


def test_a_prefetched_verdict_is_read_once(redis_prefix: Redis, tmp_path: Path) -> None:
    """What ``prefetch`` read serves one ``verdict`` of each page, and only until the next
    ``prefetch``: later verdicts read the state as it is then."""
    client, prefix = redis_prefix
    store = RedisStateStore(client, prefix, "jmn")
    a, b = "https://jmn.info/a/", "https://jmn.info/b/"
    store.prefetch([a, b, a])
    store.register_batch(tmp_path / "1.jsonl", [{"url": u, "fingerprint": "f"} for u in (a, b)])
    assert store.verdict(a, None) is Verdict.FETCH  # as read by prefetch
    assert store.verdict(a, None) is Verdict.KNOWN  # read again
    store.prefetch([a])
    assert store.verdict(b, None) is Verdict.KNOWN  # forgotten by the second prefetch


def page_by_page(store: RedisStateStore) -> Any:
    """A state that judges with ``store`` but reads nothing ahead: a round trip a page."""
    return SimpleNamespace(verdict=store.verdict, prefetch=lambda urls: None)


def spider_on(state: Any) -> Any:
    """The jmn portal spider, its stats open, judging pages with ``state``."""
    from scrapy.utils.test import get_crawler

    from newscrawl.spiders import portal_spider

    crawler = get_crawler(portal_spider("jmn"), {"NEWSCRAWL_STATE_DIR": ""})
    spider = crawler._create_spider()
    crawler.stats.open_spider()
    spider.state = state
    return spider


def test_a_sitemap_is_judged_in_one_round_trip_a_chunk(redis_prefix: Redis, tmp_path: Path) -> None:
    """The portal spider asks the Redis state about a sitemap's pages together
    (``prefetch``: one trip a chunk of ``PREFETCH_CHUNK``, where each page was one), and
    keeps the same entries as when asking page by page."""

    from newscrawl.spiders.portal import PREFETCH_CHUNK
    from tests.redis_support import counting_client

    _client, prefix = redis_prefix
    counted = counting_client()
    store = RedisStateStore(counted, prefix, "jmn")
    pages = [f"https://jmn.info/{n}/" for n in range(PREFETCH_CHUNK * 2 + 7)]
    day, later = "2016-03-24T00:00:00+00:00", "2016-03-25T00:00:00+00:00"
    store.register_batch(
        tmp_path / "1.jsonl", [{"url": p, "fingerprint": "f", "lastmod": day} for p in pages[::3]]
    )
    store.register_rejects([{"url": p, "kind": "not-article"} for p in pages[1::5]])
    store.register_rejects([{"url": p, "kind": "timeout"} for p in pages[2::7]])
    entries = [{"loc": p, "lastmod": (day, later, None)[n % 3]} for n, p in enumerate(pages)] + [
        {"loc": ""},
        {"loc": "https://jmn.info/sitemap-2.xml"},
    ]

    def kept(state: Any) -> tuple[list[str], list[str]]:
        spider = spider_on(state)
        counted.sent.clear()
        locs = [entry["loc"] for entry in spider.sitemap_filter(iter(entries))]
        return locs, list(counted.sent)

    store.prefetch(pages[:1])  # loads its script
    store.prefetch([])  # and forgets what it read
    by_page, one_each = kept(page_by_page(store))
    together, chunks = kept(store)
    assert together == by_page
    assert len(set(by_page)) < len(pages)  # known and rejected pages left out
    assert one_each == ["EVALSHA"] * len(pages)
    assert chunks == ["EVALSHA"] * 3
    counted.close()


def test_a_feed_is_judged_in_one_round_trip(redis_prefix: Redis, tmp_path: Path) -> None:
    """A feed's items (and so a listing's links, judged the same way) cost the Redis state
    one round trip together, not one each, and the same requests come out."""
    from scrapy.http import XmlResponse

    from tests.redis_support import counting_client

    _client, prefix = redis_prefix
    counted = counting_client()
    store = RedisStateStore(counted, prefix, "jmn")
    pages = [f"https://jmn.info/{n}/" for n in range(9)]
    store.register_batch(tmp_path / "1.jsonl", [{"url": p, "fingerprint": "f"} for p in pages[::2]])
    items = "".join(f"<item><link>{p}</link></item>" for p in pages)
    feed = f"<rss><channel>{items}</channel></rss>".encode()

    def requested(state: Any) -> tuple[list[str], list[str]]:
        spider = spider_on(state)
        counted.sent.clear()
        response = XmlResponse("https://jmn.info/feed/", body=feed)
        urls = [request.url for request in spider.parse_feed(response)]
        return urls, list(counted.sent)

    store.prefetch(pages[:1])  # loads its script
    store.prefetch([])  # and forgets what it read
    by_page, one_each = requested(page_by_page(store))
    together, once = requested(store)
    assert together == by_page == pages[1::2]
    assert one_each == ["EVALSHA"] * len(pages)
    assert once == ["EVALSHA"]
    counted.close()


def test_a_listings_links_are_judged_in_one_round_trip(redis_prefix: Redis, tmp_path: Path) -> None:
    """A listing page's article links cost the Redis state one round trip together."""
    from scrapy.http import HtmlResponse

    from tests.redis_support import counting_client

    _client, prefix = redis_prefix
    counted = counting_client()
    store = RedisStateStore(counted, prefix, "jmn")
    pages = [f"https://jmn.info/{n}/" for n in range(6)]
    store.register_batch(tmp_path / "1.jsonl", [{"url": p, "fingerprint": "f"} for p in pages[:2]])
    store.prefetch(pages[:1])  # loads its script
    spider = spider_on(store)
    links = iter([[(p, None) for p in pages], []])  # the article links, then no listings
    spider._links = lambda response, queries: next(links)  # type: ignore[method-assign]
    counted.sent.clear()
    response = HtmlResponse("https://jmn.info/", body=b"<html></html>")
    assert [r.url for r in spider.parse_listing(response)] == pages[2:]
    assert counted.sent == ["EVALSHA"]
    counted.close()
