"""Redis-only promises of the dedup step's one question (``RedisStateStore.dedup``): a claim
per live worker, and one round trip a record. Here, among the storage tests, so that the
mutants of its script (tests/mutation/storage_mutants.py) are run against them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newscrawl.storage.backend import RecordVerdict
from newscrawl.storage.redis_state import RedisLease, RedisStateStore
from tests.redis_support import two_live_workers

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
    redis_prefix: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One round trip a record in distributed mode: classify, claim and first owner of the
    text are one script (they were three to four commands)."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from newscrawl.pipelines import DedupPipeline

    client, prefix = redis_prefix
    store = RedisStateStore(client, prefix, "jmn", worker="w1")
    lease = RedisLease(client, prefix, "jmn", "w1")
    lease.acquire()
    pipeline = DedupPipeline(get_crawler(Spider), store)
    pipeline.process_item({"url": "https://jmn.info/warm-up/", "fingerprint": "w"})  # loads it
    commands: list[str] = []
    send = client.execute_command

    def counted(*args: Any, **options: Any) -> Any:
        commands.append(str(args[0]))
        return send(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    try:
        for n in range(5):
            record = {
                "url": f"https://jmn.info/{n}/",
                "canonical_url": f"https://jmn.info/?p={n}",
                "fingerprint": f"f{n % 2}",
            }
            assert pipeline.process_item(record)["revision"] == 1
    finally:
        monkeypatch.undo()
        lease.release()
    assert commands == ["EVALSHA"] * 5
