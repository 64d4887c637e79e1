"""Redis-only promises of the dedup step's one question (``RedisStateStore.dedup``): a claim
per live worker, and one round trip a record. Here, among the storage tests, so that the
mutants of its script (tests/mutation/storage_mutants.py) are run against them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newscrawl.storage.backend import RecordVerdict
from newscrawl.storage.redis_state import RedisLease, RedisStateStore
from tests.redis_support import counting_client, two_live_workers

Redis = tuple[Any, str]


def test_a_record_is_deduplicated_by_one_live_worker(redis_prefix: Redis) -> None:
    """``dedup`` claims like ``claim``: once per live worker, taking nothing on a refusal,
    and a dead worker's pages pass on."""
    client, prefix = redis_prefix
    a, b = "https://jmn.info/a/", "https://jmn.info/b/"
    with two_live_workers(client, prefix) as (one, two, leases):
        assert one.dedup([a, "https://jmn.info/?p=1"], "f").claimed
        assert one.dedup([a], "f").claimed  # its own claim again
        assert two.dedup([b, a], "f") == RecordVerdict("new", 1, claimed=False)
        assert two.dedup([b], "f").claimed  # nothing was taken by the refusal
        leases[0].release()  # w1 is gone: its pages may be written by another
        assert two.dedup([a], "f").claimed


def test_an_unchanged_page_is_not_claimed(redis_prefix: Redis, tmp_path: Path) -> None:
    """A worker that finds a page unchanged does not write it, so it leaves the page to a
    worker that fetches a changed text."""
    client, prefix = redis_prefix
    a = "https://jmn.info/a/"
    with two_live_workers(client, prefix) as (one, two, _leases):
        one.register_batch(tmp_path / "1.jsonl", [{"url": a, "fingerprint": "f"}])
        assert one.dedup([a], "f") == RecordVerdict("unchanged", 1)
        assert two.dedup([a], "g") == RecordVerdict("revision", 2)


def test_the_dedup_step_asks_redis_one_command_a_record(
    redis_prefix: Redis,
) -> None:
    """One round trip a record in distributed mode: classify, claim and first owner of the
    text are one script (they were three to four commands)."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from newscrawl.pipelines import DedupPipeline

    client, prefix = redis_prefix
    counted = counting_client()
    store = RedisStateStore(counted, prefix, "jmn", worker="w1")
    lease = RedisLease(client, prefix, "jmn", "w1")
    lease.acquire()
    pipeline = DedupPipeline(get_crawler(Spider), store)
    pipeline.process_item({"url": "https://jmn.info/warm-up/", "fingerprint": "w"})  # loads it
    commands = counted.sent
    commands.clear()
    try:
        for n in range(5):
            record = {
                "url": f"https://jmn.info/{n}/",
                "canonical_url": f"https://jmn.info/?p={n}",
                "fingerprint": f"f{n % 2}",
            }
            assert pipeline.process_item(record)["revision"] == 1
    finally:
        lease.release()
        counted.close()
    assert commands == ["EVALSHA"] * 5


def test_an_unchanged_page_costs_one_command(redis_prefix: Redis, tmp_path: Path) -> None:
    """The dedup step notes an unchanged page (``note_seen``) in its one question: one round
    trip, where the question and then ``note_seen`` (a lock, two reads, a write and the
    unlock) were six."""
    from scrapy import Spider
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from newscrawl.pipelines import DedupPipeline

    client, prefix = redis_prefix
    counted = counting_client()
    store = RedisStateStore(counted, prefix, "jmn", worker="w1")
    lease = RedisLease(client, prefix, "jmn", "w1")
    lease.acquire()
    urls = [f"https://jmn.info/{n}/" for n in range(4)]
    store.register_batch(
        tmp_path / "1.jsonl",
        [{"url": u, "fingerprint": "f", "lastmod": "2016-03-24T00:00:00+00:00"} for u in urls],
    )
    crawler = get_crawler(Spider)
    crawler.spider = Spider("jmn")
    crawler.spider.lastmod = dict.fromkeys(urls, "2016-03-25T10:00:00+00:00")  # type: ignore[attr-defined]
    pipeline = DedupPipeline(crawler, store)
    with pytest.raises(DropItem):  # loads the script
        pipeline.process_item({"url": urls[0], "fingerprint": "f"})
    commands = counted.sent
    commands.clear()
    try:
        for url in urls[1:]:
            with pytest.raises(DropItem, match="unchanged"):
                pipeline.process_item({"url": url, "fingerprint": "f"})
    finally:
        lease.release()
        counted.close()
    assert commands == ["EVALSHA"] * 3
    for url in urls:  # noted: the sitemap's newer date is kept, the page not fetched again
        assert not store.should_fetch(url, "2016-03-25T10:00:00+00:00")
        assert store.should_fetch(url, "2016-03-25T10:00:01+00:00")


STORED_LASTMODS = [
    None,
    "2016-03-24T10:00:00+03:00",
    "2016-03-24T07:00:00Z",
    "2016-03-24T07:00:00.5+00:00",
    "2016-03-24T07:00:00.123456-01:30",
    " 2016-03-24T07:00:00+00:00\n",
    "2016-03-24",
    "2016-03-24T07:00:00",
    "2016-03-24 07:00:00+00:00",
    "2016-03-24T07:00+00:00",
    "2016-02-30T07:00:00+00:00",
    "2016-02-29T23:59:59+23:59",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59.999999-23:59",
    "2016-03-24T07:00:00+00:00\x1c",
    "2016-03-24T07:00:00+00:00\u00a0",
    "yesterday",
    "",
]
GIVEN_LASTMODS = [
    None,
    "",
    "2016-03-24T07:00:00+00:00",
    "2016-03-24T07:00:00.000001+00:00",
    "2016-03-24T10:00:00+03:00",
    "2016-03-24T06:59:59.999999Z",
    "2016-03-24",
    " 2016-03-24 ",
    "2016-03-24T07:00:00",
    "2016-03-24T07:00:00+00:00\x1c",
    "2016-03-25T00:00:00+00:00",
    "2015-01-01T00:00:00+00:00",
    "yesterday",
]


def test_noting_in_the_script_agrees_with_note_seen(
    redis_prefix: Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For every pair of stored and given lastmod, the dedup script's note keeps the lastmod
    ``note_seen`` keeps: its Lua reads dates only in their plain form and hands the rest to
    ``note_seen``, which most pairs do not need. A registration holding the writer lock is
    waited for."""
    client, prefix = redis_prefix
    store = RedisStateStore(client, prefix, "jmn")
    handed: list[str] = []
    note_seen = store.note_seen

    def counted(url: str, lastmod: str | None) -> bool:
        handed.append(url)
        return note_seen(url, lastmod)

    pairs = 0
    for g, given in enumerate(GIVEN_LASTMODS):
        urls = [f"https://jmn.info/{g}-{n}/" for n in range(2 * len(STORED_LASTMODS))]
        records = [
            {"url": url, "fingerprint": "f", "lastmod": STORED_LASTMODS[n // 2]}
            for n, url in enumerate(urls)
        ]
        store.register_batch(tmp_path / f"{g}.jsonl", records)
        for by_script, by_python in zip(urls[::2], urls[1::2], strict=True):
            monkeypatch.setattr(store, "note_seen", counted)
            assert store.dedup([by_script], "f", note=True, lastmod=given).status == "unchanged"
            monkeypatch.undo()
            assert store.note_seen(by_python, given)
            script, python = store.get(by_script), store.get(by_python)
            assert script is not None
            assert python is not None
            assert (script.lastmod, given) == (python.lastmod, given)
            assert script.last_seen >= python.first_seen
            pairs += 1
    assert 0 < len(handed) < pairs / 3  # the stored dates above are mostly not plain
    client.set(f"{prefix}:jmn:writer", "another", px=300)  # a registration under way
    url = "https://jmn.info/0-0/"
    store.dedup([url], "f", note=True, lastmod="2030-01-01T00:00:00+00:00")
    assert client.get(f"{prefix}:jmn:writer") is None  # it waited for the lock to go
    assert store.get(url).lastmod == "2030-01-01T00:00:00+00:00"  # type: ignore[union-attr]
