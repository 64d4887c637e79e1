"""Redis-only promises of the distributed state: layouts, sites apart, the run lease."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from newscrawl.storage.backend import FailureStreak
from newscrawl.storage.redis_state import LAYOUT, RedisLease, RedisStateStore, connect
from newscrawl.storage.runlock import EXIT_ALREADY_RUNNING, AlreadyRunning
from newscrawl.storage.state import StateError
from tests.redis_support import two_live_workers

Redis = tuple[Any, str]


def test_data_of_another_layout_is_refused(redis_prefix: Redis) -> None:
    client, prefix = redis_prefix
    client.hset(f"{prefix}:jmn:meta", "layout", "newscrawl-state/0")
    with pytest.raises(StateError, match=r"layout 'newscrawl-state/0'.*--clear"):
        RedisStateStore(client, prefix, "jmn")


def test_new_state_records_its_layout(redis_prefix: Redis) -> None:
    client, prefix = redis_prefix
    RedisStateStore(client, prefix, "jmn")
    assert client.hget(f"{prefix}:jmn:meta", "layout").decode() == LAYOUT


def test_a_reject_written_before_the_failure_streak_counts_one_failure(
    redis_prefix: Redis,
) -> None:
    """A reject the version before wrote (no ``failures``) reads as one failure, and the
    next reject of the page makes two: the layout stays."""
    client, prefix = redis_prefix
    url, last = "https://jmn.info/1", "2016-03-25T09:00:00+00:00"
    old = {"kind": "truncated", "lastmod": None, "rejected_at": last}
    client.hset(f"{prefix}:jmn:rejected", url, json.dumps(old))
    store = RedisStateStore(client, prefix, "jmn")
    assert store.failed_before(url) == "truncated"
    assert store.failure_streak(url) == FailureStreak(1, last)
    store.register_rejects([{"url": url, "kind": "truncated", "rejected_at": last}])
    assert store.failure_streak(url) == FailureStreak(2, last)


def test_two_sites_share_one_redis_apart(redis_prefix: Redis, tmp_path: Any) -> None:
    client, prefix = redis_prefix
    jmn, other = RedisStateStore(client, prefix, "jmn"), RedisStateStore(client, prefix, "other")
    jmn.register_batch(tmp_path / "1.jsonl", [{"url": "https://x/a", "fingerprint": "f"}])
    assert jmn.classify("https://x/a", "f")[0] == "unchanged"
    assert other.classify("https://x/a", "f")[0] == "new"


def test_clear_removes_the_state_but_not_leases(redis_prefix: Redis, tmp_path: Any) -> None:
    client, prefix = redis_prefix
    store = RedisStateStore(client, prefix, "jmn")
    store.register_batch(tmp_path / "1.jsonl", [{"url": "https://x/a", "fingerprint": "f"}])
    lease = RedisLease(client, prefix, "jmn", "w1")
    lease.acquire()
    try:
        assert store.clear() >= 3
        assert client.exists(lease.key)
        assert RedisStateStore(client, prefix, "jmn").classify("https://x/a", "f")[0] == "new"
    finally:
        lease.release()


def test_no_redis_is_a_clear_error() -> None:
    with pytest.raises(StateError, match="redis-server"):
        connect("redis://127.0.0.1:1/0")
    with pytest.raises(ValueError, match="not a Redis URL"):
        connect("http://127.0.0.1:6379/0")


def test_second_run_of_a_worker_exits_75(redis_prefix: Redis) -> None:
    client, prefix = redis_prefix
    first = RedisLease(client, prefix, "jmn", "w1")
    first.acquire()
    try:
        with pytest.raises(AlreadyRunning, match="in progress") as caught:
            RedisLease(client, prefix, "jmn", "w1").acquire()
        assert caught.value.exit_code == EXIT_ALREADY_RUNNING
        assert caught.value.pid is not None
        other = RedisLease(client, prefix, "jmn", "w2")  # another worker of the same crawl
        other.acquire()
        other.release()
    finally:
        first.release()
    assert not client.exists(first.key)
    again = RedisLease(client, prefix, "jmn", "w1")
    again.acquire()
    again.release()


def test_a_lease_that_expired_under_its_holder_is_reported_once_and_not_taken_back(
    redis_prefix: Redis,
) -> None:
    """Redis flushed (or restarted empty, or away past the ttl): the next renewal finds
    the key gone, tells the holder once, and does not set it again for a run that the
    other workers now count as dead."""
    client, prefix = redis_prefix
    lease = RedisLease(client, prefix, "jmn", "w1", ttl=0.3)
    lost: list[float] = []
    lease.on_lost = lambda: lost.append(time.monotonic())
    lease.acquire()
    try:
        client.delete(lease.key)
        time.sleep(0.8)  # several renewal beats
        assert len(lost) == 1
        assert not client.exists(lease.key)
    finally:
        lease.release()


def test_lease_is_renewed_while_held_and_expires_when_the_holder_dies(
    redis_prefix: Redis,
) -> None:
    client, prefix = redis_prefix
    live = RedisLease(client, prefix, "jmn", "w1", ttl=0.6)
    live.acquire()
    try:
        time.sleep(1.5)  # longer than the ttl: only the renewals keep it
        assert client.exists(live.key)
    finally:
        live.release()
    # A holder that died: the key was set, nobody renews it.
    client.set(f"{prefix}:jmn:lease:w3", '{"pid": 1}', px=300)
    with pytest.raises(AlreadyRunning):
        RedisLease(client, prefix, "jmn", "w3").acquire()
    time.sleep(0.5)
    freed = RedisLease(client, prefix, "jmn", "w3")
    freed.acquire()
    freed.release()


def test_release_leaves_a_lease_taken_over_by_another(redis_prefix: Redis) -> None:
    client, prefix = redis_prefix
    lease = RedisLease(client, prefix, "jmn", "w1", ttl=30)
    lease.acquire()
    client.set(lease.key, "someone else")
    lease.release()
    assert client.get(lease.key) == b"someone else"


@pytest.mark.parametrize("worker", ["", "a/b", ".hidden", "a:b"])
def test_worker_name_must_be_a_name(redis_prefix: Redis, worker: str) -> None:
    client, prefix = redis_prefix
    with pytest.raises(ValueError, match="worker name"):
        RedisLease(client, prefix, "jmn", worker)


def test_a_page_is_claimed_by_one_live_worker(redis_prefix: Redis) -> None:
    client, prefix = redis_prefix
    with two_live_workers(client, prefix) as (one, two, leases):
        assert one.claim({"https://jmn.info/?p=1", "https://jmn.info/a/"})
        assert one.claim({"https://jmn.info/a/"})  # its own claim again
        assert not two.claim({"https://jmn.info/a/", "https://jmn.info/b/"})
        assert two.claim({"https://jmn.info/b/"})  # nothing was taken by the refusal
        assert two.claim([])
        leases[0].release()  # w1 is gone: its pages may be written by another
        assert two.claim({"https://jmn.info/a/"})


def test_dedup_drops_a_page_another_worker_writes(redis_prefix: Redis, tmp_path: Any) -> None:
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from newscrawl.pipelines import DedupPipeline
    from tests.test_pipelines import record

    client, prefix = redis_prefix
    lease = RedisLease(client, prefix, "jmn", "w1")
    lease.acquire()
    try:
        first = DedupPipeline(get_crawler(), RedisStateStore(client, prefix, "jmn", worker="w1"))
        second = DedupPipeline(get_crawler(), RedisStateStore(client, prefix, "jmn", worker="w2"))
        first.process_item(
            record(url="https://jmn.info/?p=12", canonical_url="https://jmn.info/a/")
        )
        with pytest.raises(DropItem, match="another worker"):
            second.process_item(record(url="https://jmn.info/a/"))
    finally:
        lease.release()


def test_a_failure_registered_by_two_workers_at_once_counts_twice(redis_prefix: Redis) -> None:
    """Two workers register a reject of one page at the same moment: the other's
    registration lands between this worker's call and its write reaching Redis. The
    streak grows by two: the read of the old streak and the write are one step."""
    import redis

    client, prefix = redis_prefix
    url, tried = "https://jmn.info/1", "2016-03-25T09:00:00+00:00"
    other = RedisStateStore(client, prefix, "jmn")
    page = [{"url": url, "kind": "truncated", "rejected_at": tried}]
    other.register_rejects(page)

    class Interleaved(redis.Redis):  # type: ignore[misc, type-arg]
        """Lets the other worker register just before this one's write goes out."""

        armed = True

        def _other_first(self) -> None:
            if self.armed:
                self.armed = False
                other.register_rejects(page)

        def execute_command(self, *args: Any, **options: Any) -> Any:
            if str(args[0]).upper() in ("EVAL", "EVALSHA"):
                self._other_first()
            return super().execute_command(*args, **options)

        def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
            pipe = super().pipeline(transaction, shard_hint)
            execute = pipe.execute

            def after_the_other(*args: Any, **kwargs: Any) -> Any:
                self._other_first()
                return execute(*args, **kwargs)

            pipe.execute = after_the_other
            return pipe

    this = RedisStateStore(Interleaved(connection_pool=client.connection_pool), prefix, "jmn")
    this.register_rejects(page)
    assert this.failure_streak(url) == FailureStreak(3, tried)
