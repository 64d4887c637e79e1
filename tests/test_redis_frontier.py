"""Distributed mode with the real Redis: the scrapy-redis adapter, several worker processes
on the fixture portal, a worker killed mid-way, the lease, global politeness."""

from __future__ import annotations

import inspect
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider

from newscrawl.devtools.devserver import FixtureSite, RunningServer, serve
from newscrawl.frontier import FRONTIER_LAYOUT
from newscrawl.identity import request_key
from tests.conftest import FIXTURES, ROOT
from tests.redis_support import REDIS_URL, free_port, start_redis

Redis = tuple[Any, str]
ARTICLES = 15
"""Articles of the fixture portal (the local crawl writes as many)."""


# -- the adapter: what newscrawl.frontier relies on in scrapy-redis ----------------------


def test_scrapy_redis_parts_we_adapt_are_as_expected() -> None:
    """Fails when a scrapy-redis upgrade changes what the adapter builds on."""
    import scrapy_redis
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import Base, PriorityQueue
    from scrapy_redis.scheduler import Scheduler

    assert scrapy_redis.__version__ == "0.9.1"
    assert list(inspect.signature(Base.__init__).parameters) == [
        "self",
        "server",
        "spider",
        "key",
        "serializer",
    ]
    assert callable(Base._encode_request)
    assert callable(Base._decode_request)
    assert issubclass(PriorityQueue, Base)
    assert list(inspect.signature(RFPDupeFilter.__init__).parameters) == [
        "self",
        "server",
        "key",
        "debug",
    ]
    params = inspect.signature(Scheduler.__init__).parameters
    assert {"server", "persist", "idle_before_close"} <= set(params)
    # The filter asks its own request_fingerprint and SADDs it: we override the former.
    assert "self.request_fingerprint(request)" in inspect.getsource(RFPDupeFilter.request_seen)
    assert "sadd" in inspect.getsource(RFPDupeFilter.request_seen)


class _Sets:
    def __init__(self) -> None:
        self.members: set[str] = set()

    def sadd(self, key: str, value: str) -> int:
        before = len(self.members)
        self.members.add(value)
        return len(self.members) - before


def test_shared_filter_keys_on_the_canonical_url() -> None:
    from newscrawl.frontier import CanonicalRedisDupeFilter

    dupefilter = CanonicalRedisDupeFilter(_Sets(), key="k")
    assert not dupefilter.request_seen(Request("https://jmn.info/a/?utm_source=x"))
    assert dupefilter.request_seen(Request("https://JMN.info:443/a/#top"))
    assert not dupefilter.request_seen(Request("https://jmn.info/a/?id=2"))
    import hashlib

    expected = hashlib.sha1(request_key("GET", "https://jmn.info/a/").encode()).hexdigest()
    assert expected in dupefilter.server.members


class _Spider(Spider):
    name = "roundtrip"

    def parse_listing(self, response: Any) -> None:
        """A callback the queue must name and find again."""


def test_queue_round_trip_keeps_request_and_priority(redis_prefix: Redis) -> None:
    from newscrawl.frontier import Frontier, TakingQueue

    client, prefix = redis_prefix
    frontier = Frontier(client, prefix, "jmn")
    spider = _Spider()
    queue = TakingQueue(client, spider, frontier.queue, frontier.taken("w1"), "w1")
    queue.push(Request("https://jmn.info/low/", priority=0, callback=spider.parse_listing))
    queue.push(Request("https://jmn.info/high/", priority=5, meta={"x": 1}))
    first = queue.take()
    assert first is not None
    assert first.url == "https://jmn.info/high/"
    assert first.meta["x"] == 1
    second = queue.take()
    assert second is not None
    assert second.callback == spider.parse_listing
    assert queue.take() is None
    assert client.hlen(frontier.taken("w1")) == 2  # kept until the worker finishes


class _ErrbackSpider(_Spider):
    def on_error(self, failure: Any) -> None:
        """An errback."""


class _AliasSpider(_Spider):
    also_listing = _Spider.parse_listing  # one method under two names


def test_a_request_is_serialised_as_scrapy_redis_does_without_scanning_the_spider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The queue stores what ``Request.to_dict`` with the spider gives (callback and
    errback by name), without ``inspect.getmembers`` over the whole spider twice a request:
    a tenth of a worker's CPU per page."""
    import inspect
    import pickle

    from newscrawl.frontier import TakingQueue

    spider = _ErrbackSpider()
    queue = TakingQueue(None, spider, "q", "t", "w1")
    requests = [
        Request("https://jmn.info/a/", callback=spider.parse_listing, errback=spider.on_error),
        Request("https://jmn.info/b/", meta={"x": 1}, priority=3, cb_kwargs={"k": 2}),
    ]
    expected = [r.to_dict(spider=spider) for r in requests]
    scans: list[Any] = []
    real = inspect.getmembers

    def counted(obj: Any, predicate: Any = None) -> Any:
        if isinstance(obj, Spider):
            scans.append(obj)
        return real(obj, predicate)

    monkeypatch.setattr(inspect, "getmembers", counted)
    assert [pickle.loads(queue._encode_request(r)) for r in requests] == expected
    assert scans == []
    assert queue._decode_request(queue._encode_request(requests[0])).errback == spider.on_error
    with pytest.raises(ValueError, match="not an instance method"):
        queue._encode_request(Request("https://jmn.info/d/", callback=lambda r: None))
    aliased = _AliasSpider()
    queue = TakingQueue(None, aliased, "q", "t", "w1")
    request = Request("https://jmn.info/c/", callback=aliased.also_listing)
    assert queue._decode_request(queue._encode_request(request)).callback == aliased.parse_listing


def test_requests_of_a_dead_worker_go_back(redis_prefix: Redis) -> None:
    from newscrawl.frontier import Frontier, TakingQueue

    client, prefix = redis_prefix
    frontier = Frontier(client, prefix, "jmn")
    spider = _Spider()
    queue = TakingQueue(client, spider, frontier.queue, frontier.taken("dead"), "dead")
    queue.push(Request("https://jmn.info/a/"))
    client.hset(frontier.workers, "dead", json.dumps({"seen": 0, "busy": True}))
    client.set(frontier.lease("dead"), "x", px=200)
    assert queue.take() is not None
    assert len(queue) == 0
    assert frontier.reap(me="w2") == 0  # its lease still runs: not dead yet
    time.sleep(0.3)
    assert frontier.reap(me="w2") == 1
    assert len(queue) == 1
    assert frontier.reap(me="w2") == 0  # only once
    assert frontier.status()["in_flight"] == 0


# -- entry points queued by one worker and fetched by another ----------------------------


class _Worker:
    """One worker of a distributed crawl, driven by hand (no engine, no reactor running):
    its spider, stats and Redis scheduler, holding its lease."""

    def __init__(self, client: Any, prefix: str, name: str, kind: str) -> None:
        from scrapy.utils.test import get_crawler

        from newscrawl.commands.crawl import url_spider
        from newscrawl.frontier import Frontier, RedisScheduler
        from newscrawl.spiders import portal_spider

        settings = {"NEWSCRAWL_STATE_DIR": "", "NEWSCRAWL_WORKER": name}
        if kind == "portal":
            self.crawler = get_crawler(portal_spider("jmn"), settings)
            self.crawler.spider = self.crawler._create_spider()
        else:
            _site, cls = url_spider("https://jmn.info/")
            self.crawler = get_crawler(cls, settings)
            self.crawler.spider = self.crawler._create_spider(url="https://jmn.info/")
        self.crawler.stats.open_spider()
        self.spider = self.crawler.spider
        frontier = Frontier(client, prefix, self.spider.site)
        client.set(frontier.lease(name), "{}", px=60_000)  # SiteState takes it in a crawl
        self.scheduler = RedisScheduler(self.crawler, client, frontier, name)

    def start(self) -> None:
        """Open the scheduler and queue what the spider's ``start()`` yields, as the engine
        does."""
        import asyncio

        async def requests() -> list[Request]:
            return [r async for r in self.spider.start() if isinstance(r, Request)]

        self.scheduler.open(self.spider)
        for request in asyncio.run(requests()):
            self.scheduler.enqueue_request(request)
        self.scheduler.flush()  # the engine's next take would carry them

    def take_all(self) -> list[Request]:
        """Take every queued request (the downloads are up to the test)."""
        taken = []
        while (request := self.scheduler.queue.take()) is not None:
            taken.append(request)
        return taken

    def answer(self, request: Request) -> None:
        """The download of ``request`` succeeded: its callback notes the entry point."""
        from scrapy.http import HtmlResponse

        body = b"<html><body>page</body></html>"
        self.spider.note_entry_point(HtmlResponse(request.url, body=body, request=request))

    def report(self) -> dict[str, Any]:
        """Close the scheduler (the engine does it just before the report) and return the
        report of the worker's stats."""
        from newscrawl.report import build_report

        self.scheduler.close("finished")
        stats = dict(self.crawler.stats.get_stats())
        stats.setdefault("finish_reason", "finished")
        return build_report(
            stats, site="jmn", run_id="r", duration=1.0, thresholds={}, max_error_rate=1.0
        )


def test_new_requests_go_with_the_next_take_in_one_round_trip(redis_prefix: Redis) -> None:
    """A page's new links cost no trip of their own: they go to Redis with the worker's
    next take, each marked in the shared filter and queued in one step (two steps left a
    window where a dead worker lost the page: marked, not queued). A page this worker knows
    is refused at once; one another worker queued is dropped as the engine drops a refused
    request (logged as filtered, ``request_dropped``)."""
    from types import SimpleNamespace

    from scrapy import signals

    from tests.redis_support import counting_client

    client, prefix = redis_prefix
    counted = counting_client()
    worker = _Worker(counted, prefix, "w1", "portal")
    worker.scheduler.open(worker.spider)
    worker.crawler.engine = SimpleNamespace(downloader=SimpleNamespace(active=set()))  # type: ignore[assignment]
    frontier = worker.scheduler.frontier
    assert worker.scheduler.queue.take() is None  # learns the script
    counted.sent.clear()
    assert worker.scheduler.enqueue_request(Request("https://jmn.info/a/", priority=1))
    assert worker.scheduler.enqueue_request(Request("https://jmn.info/b/?utm_source=feed"))
    assert not worker.scheduler.enqueue_request(Request("https://jmn.info/b/"))  # same page
    assert counted.sent == []
    assert worker.scheduler.has_pending_requests()  # without asking Redis
    assert counted.sent == []
    taken = worker.scheduler.next_request()
    assert counted.sent == ["EVALSHA"]
    assert taken is not None
    assert taken.url == "https://jmn.info/a/"
    assert client.zcard(frontier.queue) == 1
    assert client.hlen(frontier.taken("w1")) == 1
    other = _Worker(client, prefix, "w2", "portal")
    other.scheduler.open(other.spider)
    dropped: list[str] = []

    def on_dropped(request: Request, spider: Spider) -> None:
        dropped.append(request.url)

    other.crawler.signals.connect(on_dropped, signal=signals.request_dropped)  # weakly held
    assert other.scheduler.enqueue_request(Request("https://jmn.info/b/#comments"))
    assert other.scheduler.enqueue_request(Request("https://jmn.info/c/"))
    other.scheduler.flush()
    assert dropped == ["https://jmn.info/b/#comments"]
    assert other.crawler.stats.get_value("scheduler/enqueued/redis") == 1
    assert client.zcard(frontier.queue) == 2
    assert client.scard(frontier.seen) == 3
    assert worker.crawler.stats.get_value("scheduler/enqueued/redis") == 2
    for one in (worker, other):
        one.scheduler.close("shutdown")
    counted.close()


def test_new_requests_go_alone_when_no_take_comes(redis_prefix: Redis) -> None:
    """New requests of a worker that takes nothing (it downloads all it may) reach the
    other workers ``PUSH_WAIT`` seconds later; a closing worker sends what it still holds."""
    import asyncio

    from newscrawl.frontier import PUSH_WAIT

    client, prefix = redis_prefix
    worker = _Worker(client, prefix, "w1", "portal")
    worker.scheduler.open(worker.spider)
    queue = worker.scheduler.frontier.queue

    async def crawl() -> None:
        assert worker.scheduler.enqueue_request(Request("https://jmn.info/a/"))
        assert client.zcard(queue) == 0
        await asyncio.sleep(PUSH_WAIT * 4)
        assert client.zcard(queue) == 1
        assert worker.scheduler.enqueue_request(Request("https://jmn.info/b/"))

    asyncio.run(crawl())
    assert client.zcard(queue) == 1
    worker.scheduler.close("shutdown")
    assert client.zcard(queue) == 2


def test_a_heartbeat_is_one_round_trip_that_reaps_the_dead_and_sees_the_busy(
    redis_prefix: Redis,
) -> None:
    """Each second a worker reports, puts the requests of dead workers back, learns whether
    another live worker is busy and whether requests wait: one trip, not one a question
    and one more a worker."""
    from newscrawl.frontier import TakingQueue
    from tests.redis_support import counting_client

    client, prefix = redis_prefix
    counted = counting_client()
    worker = _Worker(counted, prefix, "w1", "portal")
    worker.scheduler.open(worker.spider)
    worker.scheduler._engine_busy = lambda: True  # type: ignore[method-assign]  # no engine
    woken: list[bool] = []
    worker.scheduler._wake_engine = lambda: woken.append(True)  # type: ignore[method-assign]
    frontier = worker.scheduler.frontier
    client.hset(frontier.workers, "w2", json.dumps({"seen": time.time(), "busy": False}))
    client.set(frontier.lease("w2"), "x", px=60_000)
    worker.scheduler._beat()  # learns the script
    assert not worker.scheduler._others_busy
    counted.sent.clear()
    client.hset(frontier.workers, "w2", json.dumps({"seen": time.time(), "busy": True}))
    client.hset(frontier.workers, "w3", json.dumps({"seen": time.time(), "busy": True}))
    client.set(frontier.lease("w3"), "x", px=60_000)
    worker.scheduler._beat()
    assert counted.sent == ["EVALSHA"]
    assert worker.scheduler._others_busy
    assert json.loads(client.hget(frontier.workers, "w1"))["busy"] is True
    # w3 dies holding a request: the next beat puts it back, once.
    dead = TakingQueue(client, _Spider(), frontier.queue, frontier.taken("w3"), "w3")
    dead.push(Request("https://jmn.info/held/"))
    assert dead.take() is not None
    client.delete(frontier.lease("w3"))
    worker.scheduler._beat()
    assert client.zcard(frontier.queue) == 1
    assert not client.exists(frontier.taken("w3"))
    assert woken  # requests wait: the engine is asked for them now
    assert client.hget(frontier.workers, "w3") is None
    client.hset(frontier.workers, "w2", json.dumps({"seen": time.time(), "busy": False}))
    worker.scheduler._beat()
    assert not worker.scheduler._others_busy
    worker.scheduler.close("shutdown")
    counted.close()


@pytest.mark.parametrize("kind", ["portal", "url"])
def test_entry_points_queued_by_one_worker_and_fetched_by_another_fail_neither(
    redis_prefix: Redis, kind: str
) -> None:
    """Worker a starts the generation and queues the entry points; worker b joins, takes
    them all and fetches them. Neither report may fail for "no entry point could be
    fetched" (a's used to: it still counted them as due)."""
    client, prefix = redis_prefix
    a, b = _Worker(client, prefix, "a", kind), _Worker(client, prefix, "b", kind)
    a.start()
    b.start()
    points = len(a.spider.entry_points_due)
    assert points == (3 if kind == "portal" else 1)
    taken = b.take_all()
    assert taken  # a queued them, b has them: a fetches none
    for request in taken:
        b.answer(request)
    b_report, a_report = b.report(), a.report()
    assert b_report["status"] == "ok", b_report["failures"]
    assert a_report["status"] == "ok", a_report["failures"]
    stats = a.crawler.stats
    assert stats.get_value("newscrawl/entry_points/elsewhere") == points
    assert stats.get_value("newscrawl/entry_points/total") == 0
    # The record ends with the generation, as the filter does.
    assert client.exists(a.scheduler.frontier.entry_points) == 0


def test_an_entry_point_no_worker_fetched_still_fails_the_worker_that_queued_it(
    redis_prefix: Redis,
) -> None:
    client, prefix = redis_prefix
    a, b = _Worker(client, prefix, "a", "url"), _Worker(client, prefix, "b", "url")
    a.start()
    b.start()
    assert b.take_all()  # and every download fails: no callback notes the entry point
    b_report, a_report = b.report(), a.report()
    assert a_report["status"] == "failed"
    assert "no entry point could be fetched (0 of 1)" in a_report["failures"]
    assert a_report["entry_points"] == {"total": 1, "fetched": 0}
    assert b_report["entry_points"] == {"total": 0, "fetched": 0}  # a had it, not b


def test_one_entry_point_fetched_anywhere_is_enough_as_in_a_local_crawl(
    redis_prefix: Redis,
) -> None:
    """Worker a queues the profile's three entry points; b fetches one and the other two
    fail. A local crawl that fetches 1 of 3 does not fail for its entry points, and the
    crawl of the two workers does not either: neither report fails."""
    client, prefix = redis_prefix
    a, b = _Worker(client, prefix, "a", "portal"), _Worker(client, prefix, "b", "portal")
    a.start()
    b.start()
    taken = b.take_all()
    assert len(taken) == 3
    b.answer(taken[0])  # the two others fail to download
    b_report, a_report = b.report(), a.report()
    for report in (a_report, b_report):
        assert not any("entry point" in f for f in report["failures"]), report["failures"]
    assert a_report["entry_points"] == {"total": 2, "fetched": 0, "fetched_by_crawl": 1}


def test_a_worker_left_nothing_by_a_dead_worker_whose_lease_runs_says_so(
    redis_prefix: Redis,
) -> None:
    """Worker a queues the entry points, takes them and is killed after a heartbeat that
    found it idle: its lease runs until the visibility timeout. Worker b finds nothing to
    do (an empty queue; a, alive as far as Redis knows, is not busy) and ends. That is no
    failure of b's (exit 0: a's requests come back when its lease expires, and the next
    run crawls them), but its summary must say so, not that the entry points listed no
    articles."""
    from newscrawl.report import summary

    client, prefix = redis_prefix
    a, b = _Worker(client, prefix, "a", "portal"), _Worker(client, prefix, "b", "portal")
    a.start()
    assert len(a.take_all()) == 3
    a.scheduler._report(busy=False)  # its last heartbeat; then SIGKILL, its lease still runs
    b.start()
    assert not b.scheduler.has_pending_requests()  # so b's engine closes the spider
    report = b.report()
    assert (report["status"], report["exit_code"]) == ("ok", 0)
    assert report["leased_elsewhere"] == {"requests": 3, "workers": ["a"]}
    text = summary(report)
    assert "listed no articles" not in text
    assert (
        "no new records: 3 requests are still leased to another worker (a); if it died, "
        "they go back to the queue when its lease expires, for the next run"
    ) in text, text


def seed_entry_points(worker: _Worker) -> int:
    """``newscrawl frontier jmn --seed``, before the worker starts."""
    from newscrawl.commands.frontier import seed

    return seed(worker.scheduler.frontier, "jmn", None)


def test_seeded_entry_points_count_where_they_are_fetched(redis_prefix: Redis) -> None:
    """The operator seeds the frontier before any worker starts: no worker queued the
    entry points, so each keeps them due. b takes and fetches them all: b counts them
    fetched, a counts them elsewhere (each used to count them elsewhere, fetched or not)."""
    client, prefix = redis_prefix
    a, b = _Worker(client, prefix, "a", "portal"), _Worker(client, prefix, "b", "portal")
    assert seed_entry_points(a) == 3
    a.start()
    b.start()
    assert a.spider.entry_points_due == b.spider.entry_points_due == set(a.spider.entry_points)
    taken = b.take_all()
    assert len(taken) == 3  # the seeded ones, each once: the workers' own were filtered
    for request in taken:
        b.answer(request)
    b_report, a_report = b.report(), a.report()
    assert b_report["status"] == a_report["status"] == "ok"
    assert b_report["entry_points"] == {"total": 3, "fetched": 3}
    assert a_report["entry_points"] == {"total": 0, "fetched": 0, "fetched_by_crawl": 3}
    assert a.crawler.stats.get_value("newscrawl/entry_points/elsewhere") == 3
    assert b.crawler.stats.get_value("newscrawl/entry_points/elsewhere") is None
    assert client.exists(a.scheduler.frontier.seeded) == 0  # ends with the generation


def test_seeded_entry_points_no_worker_fetched_fail_every_worker(redis_prefix: Redis) -> None:
    """No worker could fetch a seeded entry point: each worker's report says so, as a
    local crawl's would (they used to pass, every entry point counted elsewhere)."""
    client, prefix = redis_prefix
    a, b = _Worker(client, prefix, "a", "portal"), _Worker(client, prefix, "b", "portal")
    assert seed_entry_points(a) == 3
    a.start()
    b.start()
    assert len(b.take_all()) == 3  # and every download fails
    for report in (b.report(), a.report()):
        assert "no entry point could be fetched (0 of 3)" in report["failures"]


def test_a_new_generation_forgets_the_entry_points_of_the_last(redis_prefix: Redis) -> None:
    """A worker that finds a record a dead generation left (no live worker, empty queue)
    starts afresh: an entry point fetched then is due again, and fails it if it fails."""
    client, prefix = redis_prefix
    a = _Worker(client, prefix, "a", "url")
    client.sadd(a.scheduler.frontier.entry_points, *a.spider.entry_points)
    a.start()
    assert a.take_all()
    report = a.report()
    assert "no entry point could be fetched (0 of 1)" in report["failures"]


def test_redis_failing_while_a_worker_settles_its_entry_points_is_reported(
    redis_prefix: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    client, prefix = redis_prefix
    a = _Worker(client, prefix, "a", "portal")
    a.start()

    def gone(*args: Any) -> Any:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(a.scheduler.server, "smembers", gone)
    report = a.report()  # no exception out of the close
    assert report["status"] == "failed"
    assert any("output stopped: Redis unavailable" in f for f in report["failures"])


# -- worker processes against the fixture portal -----------------------------------------


@pytest.fixture
def portal() -> Iterator[RunningServer]:
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server:
        yield server


def worker_command(
    server: RunningServer, out: Path, prefix: str, worker: str, *extra: str
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "newscrawl.cli",
        "crawl",
        "jmn",
        "--base-url",
        server.url,
        "-o",
        str(out),
        "--redis",
        REDIS_URL,
        "-s",
        f"NEWSCRAWL_REDIS_PREFIX={prefix}",
        "-s",
        f"NEWSCRAWL_WORKER={worker}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "LOG_LEVEL=WARNING",
        # Several crawl processes share two cores here: no per-page extraction deadline.
        "-s",
        "NEWSCRAWL_EXTRACT_TIMEOUT=0",
        *extra,
    ]


def start_worker(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def written_urls(*outs: Path) -> list[str]:
    return [
        json.loads(line)["url"]
        for out in outs
        for path in sorted(out.glob("jmn/*/*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def fetched(log: str) -> int:
    for line in log.splitlines():
        if line.startswith("pages fetched:"):
            return int(line.split(":")[1].split(",")[0])
    return 0


@pytest.mark.e2e
@pytest.mark.parametrize("workers", [2, 3])
def test_workers_write_every_article_exactly_once(
    portal: RunningServer, redis_prefix: Redis, tmp_path: Path, workers: int
) -> None:
    client, prefix = redis_prefix
    outs = [tmp_path / f"out{i}" for i in range(workers)]
    processes = []
    for i, out in enumerate(outs):
        command = worker_command(portal, out, prefix, f"w{i}", "-s", "DOWNLOAD_DELAY=0.3")
        processes.append(start_worker(command))
    logs = [p.communicate(timeout=180)[0] for p in processes]
    for process, log in zip(processes, logs, strict=True):
        assert process.returncode == 0, log[-3000:]
    urls = written_urls(*outs)
    assert len(urls) == len(set(urls)) == ARTICLES, logs
    assert all(fetched(log) > 0 for log in logs), logs  # every worker took part
    # No page was fetched twice: the queue and the filter are shared (robots.txt: per worker).
    assert {n for path, n in portal.hits.items() if path != "/robots.txt"} == {1}
    # Drained and cleared: only the frontier's meta and the politeness turns (which expire)
    # stay for the next generation.
    left = [k.decode() for k in client.scan_iter(match=f"{prefix}:jmn:frontier:*")]
    assert [k for k in left if not k.endswith(":meta") and ":polite:" not in k] == []
    # A second crawl of the same portal writes nothing: the state is shared.
    again = subprocess.run(
        worker_command(portal, tmp_path / "again", prefix, "w0"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert written_urls(tmp_path / "again") == [], again.stdout
    # The fixture's page served cut is fetched again by every crawl; it failed before (the
    # shared state says so), so failing again does not fail the run.
    assert again.returncode == 0, again.stdout[-3000:]
    assert "failed again: 1 article pages" in again.stdout


@pytest.mark.e2e
def test_killed_worker_loses_nothing(
    portal: RunningServer, redis_prefix: Redis, tmp_path: Path
) -> None:
    _, prefix = redis_prefix
    slow = ("-s", "DOWNLOAD_DELAY=0.3", "-s", "NEWSCRAWL_BATCH_RECORDS=2")
    timeout = ("-s", "NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT=3")
    victim = start_worker(worker_command(portal, tmp_path / "a", prefix, "a", *slow, *timeout))
    time.sleep(0.5)
    survivor = start_worker(worker_command(portal, tmp_path / "b", prefix, "b", *slow, *timeout))
    deadline = time.monotonic() + 60
    while sum(portal.hits.values()) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=30)
    log = survivor.communicate(timeout=180)[0]
    assert survivor.returncode == 0, log[-3000:]
    urls = written_urls(tmp_path / "a", tmp_path / "b")
    assert len(urls) == len(set(urls)) == ARTICLES, log[-3000:]


@pytest.mark.e2e
def test_second_run_of_a_worker_exits_75(
    portal: RunningServer, redis_prefix: Redis, tmp_path: Path
) -> None:
    _, prefix = redis_prefix
    first = start_worker(
        worker_command(portal, tmp_path / "a", prefix, "w", "-s", "DOWNLOAD_DELAY=0.5")
    )
    try:
        deadline = time.monotonic() + 60
        while not sum(portal.hits.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run(
            worker_command(portal, tmp_path / "b", prefix, "w"),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode == 75, second.stdout + second.stderr
        assert "in progress" in second.stderr
    finally:
        first.kill()
        first.communicate(timeout=30)


@pytest.mark.e2e
def test_politeness_holds_across_workers(
    portal: RunningServer, redis_prefix: Redis, tmp_path: Path
) -> None:
    """Two workers with a 0.4 s delay: requests reach the portal 0.4 s apart, not 0.2."""
    _, prefix = redis_prefix
    times: list[float] = []
    lock = threading.Lock()
    httpd: Any = portal._httpd
    record = httpd.record

    def timed(path: str, headers: dict[str, str]) -> int:
        with lock:
            if path != "/robots.txt":
                times.append(time.monotonic())
        return record(path, headers)

    httpd.record = timed
    delay = ("-s", "DOWNLOAD_DELAY=0.4", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False")
    processes = [
        start_worker(worker_command(portal, tmp_path / f"o{i}", prefix, f"w{i}", *delay))
        for i in range(2)
    ]
    logs = [p.communicate(timeout=180)[0] for p in processes]
    for process, log in zip(processes, logs, strict=True):
        assert process.returncode == 0, log[-3000:]
    gaps = sorted(b - a for a, b in itertools.pairwise(times))
    assert len(times) > 10
    # Per-worker politeness would give a median gap near 0.2 s and four requests in some
    # 0.8 s window. A request can still reach the server a little after its turn (its
    # worker was busy), so single gaps may be shorter, never the rate.
    assert gaps[len(gaps) // 2] >= 0.4 * 0.9, gaps
    busiest = max(sum(1 for t in times if start <= t < start + 0.8) for start in times)
    assert busiest <= 3, gaps


def acquire(client: Any, slots: str, member: str, cap: int, lease: float) -> float | None:
    """Run the slot script as a request does (no delay); None when every slot is leased."""
    from newscrawl.frontier import _ACQUIRE

    found = client.eval(_ACQUIRE, 2, slots, f"{slots}:polite", cap, member, lease, 0)
    return None if found is None else float(found)


def test_a_slot_goes_back_with_the_next_lease_in_one_round_trip(redis_prefix: Redis) -> None:
    """A request's slot goes back to Redis with the worker's next lease, in the same trip
    (two trips a page were one), or alone ``RELEASE_WAIT`` seconds later; the cap holds."""
    import asyncio

    from scrapy.utils.test import get_crawler

    from newscrawl.frontier import RELEASE_WAIT, Frontier, GlobalPoliteness
    from tests.redis_support import counting_client

    _client, prefix = redis_prefix
    counted = counting_client()
    frontier = Frontier(counted, prefix, "jmn")
    polite = GlobalPoliteness(get_crawler(Spider), frontier, 0.0, 1, 30.0, 5.0, "w1")
    first, second = Request("https://jmn.info/a/"), Request("https://jmn.info/b/")

    async def crawl() -> None:
        await polite.process_request(first)  # learns the script
        counted.sent.clear()
        polite.process_response(first, None)
        assert counted.sent == []  # not yet: it goes with the next lease
        assert frontier.slots_in_use() == {"jmn.info": 1}
        counted.sent.clear()
        await asyncio.wait_for(polite.process_request(second), 1.0)  # cap 1: first's slot
        assert counted.sent == ["EVALSHA"]
        assert counted.zrange(frontier.slots("jmn.info"), 0, -1) == [b"w1|2"]
        polite.process_exception(second, ValueError("failed"))
        await asyncio.sleep(RELEASE_WAIT * 4)
        assert frontier.slots_in_use() == {}  # alone, a moment later

    asyncio.run(crawl())
    counted.close()


def _polite_worker(
    client: Any, prefix: str, cap: int = 2, delay: float = 0.0
) -> tuple[_Worker, Any]:
    """A worker whose scheduler sees a ``GlobalPoliteness`` in its (stand-in) engine."""
    from types import SimpleNamespace

    from newscrawl.frontier import GlobalPoliteness

    worker = _Worker(client, prefix, "w1", "portal")
    worker.scheduler.open(worker.spider)
    frontier = worker.scheduler.frontier
    polite = GlobalPoliteness(worker.crawler, frontier, delay, cap, 30.0, 5.0, "w1")
    downloader = SimpleNamespace(active=set(), middleware=SimpleNamespace(middlewares=[polite]))
    worker.crawler.engine = SimpleNamespace(downloader=downloader)  # type: ignore[assignment]
    return worker, polite


def test_a_crawl_delay_is_the_hosts_delay_across_workers(redis_prefix: Redis) -> None:
    """A host's robots.txt Crawl-delay (kept by the robots.txt middleware in the worker's
    per-slot settings) spaces that host's turns across all workers when it is longer than
    DOWNLOAD_DELAY; other hosts keep DOWNLOAD_DELAY."""
    from newscrawl.middlewares import CRAWL_DELAY

    client, prefix = redis_prefix
    worker, polite = _polite_worker(client, prefix, delay=0.2)
    downloader = worker.crawler.engine.downloader
    downloader.per_slot_settings = {"jmn.info": {CRAWL_DELAY: 3.0}}
    assert polite._delay_at("jmn.info") == 3.0
    assert polite._delay_at("jmn.info:8080") == 3.0
    assert polite._delay_at("other.example") == 0.2
    polite.last_host = "jmn.info"
    lease = polite.lease_ahead()
    assert lease is not None
    assert lease.delay == 3.0
    worker.scheduler.close("shutdown")


def test_a_take_leases_its_requests_slot_in_the_same_round_trip(redis_prefix: Redis) -> None:
    """After the first request, a take also leases a slot at the last request's host (a
    portal crawl fetches one host): the request then waits for its turn without a trip of
    its own, and its slot goes back with the next take. The cap holds throughout."""
    import asyncio

    from tests.redis_support import counting_client

    _client, prefix = redis_prefix
    counted = counting_client()
    worker, polite = _polite_worker(counted, prefix)
    frontier = worker.scheduler.frontier
    scheduler = worker.scheduler
    for path in ("a", "b", "c"):
        assert scheduler.enqueue_request(Request(f"https://jmn.info/{path}/"))

    async def crawl() -> None:
        first = scheduler.next_request()  # no host yet: no lease ahead
        assert first is not None
        await polite.process_request(first)  # learns the scripts
        polite.process_response(first, None)
        counted.sent.clear()
        second = scheduler.next_request()
        assert counted.sent == ["EVALSHA"]
        assert frontier.slots_in_use() == {"jmn.info": 1}  # first's went back, second's leased
        counted.sent.clear()
        assert second is not None
        await polite.process_request(second)
        assert counted.sent == []
        assert polite.held[second][0] == frontier.slots("jmn.info")
        third = scheduler.next_request()  # second still downloads: two slots of two
        assert third is not None
        assert frontier.slots_in_use() == {"jmn.info": 2}
        fourth_lease = polite.lease_ahead()  # a third slot is refused: the cap holds
        assert fourth_lease is not None
        _, _, wait = scheduler.queue.push_and_take(
            [("x", Request("https://jmn.info/x/"))], True, fourth_lease
        )
        assert wait is None
        assert frontier.slots_in_use() == {"jmn.info": 2}

    asyncio.run(crawl())
    worker.scheduler.close("shutdown")
    counted.close()


def test_a_turn_leased_with_the_take_is_kept_unless_the_request_comes_late(
    redis_prefix: Redis,
) -> None:
    """The turn leased with the take is the request's when it reaches the middleware
    within a tenth of the delay of it (no trip); a request later than that takes a new
    turn (one trip). Requests still start at least 0.9 of the delay apart."""
    import asyncio

    from newscrawl.frontier import _ACQUIRE, _RESERVE
    from tests.redis_support import counting_client

    _client, prefix = redis_prefix
    counted = counting_client()
    # Redis knows a script once a client has loaded it since Redis started. On a fresh
    # server (a clean CI machine) the late request's EVALSHA would be answered NOSCRIPT and
    # cost a SCRIPT LOAD as well, when no test before this one took a new turn.
    for script in (_ACQUIRE, _RESERVE):
        counted.script_load(script)
    delay = 0.2
    worker, polite = _polite_worker(counted, prefix, delay=delay)
    scheduler = worker.scheduler
    for path in ("a", "b", "c"):
        assert scheduler.enqueue_request(Request(f"https://jmn.info/{path}/"))
    starts: list[float] = []
    trips: list[list[str]] = []

    async def crawl() -> None:
        first = scheduler.next_request()
        assert first is not None
        await polite.process_request(first)  # learns the scripts
        starts.append(time.monotonic())
        polite.process_response(first, None)
        for on_its_way in (0.0, delay * 0.3):
            await asyncio.sleep(delay)  # the download: the host's next turn is due
            request = scheduler.next_request()
            assert request in polite.ahead
            counted.sent.clear()
            await asyncio.sleep(on_its_way)
            await polite.process_request(request)
            starts.append(time.monotonic())
            trips.append(list(counted.sent))
            polite.process_response(request, None)

    asyncio.run(crawl())
    assert trips[0] == []
    assert trips[1]  # a new turn (a busy machine may wake it late again: one more)
    assert set(trips[1]) == {"EVALSHA"}
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= delay * 0.9, gaps
    worker.scheduler.close("shutdown")
    counted.close()


def test_a_slot_leased_at_another_host_than_the_requests_goes_back(redis_prefix: Redis) -> None:
    """A take's slot is leased at the last request's host; a request to another host (or
    one with a longer timeout than the lease) does not use it: it goes back with the next
    lease and the request leases its own."""
    import asyncio

    from newscrawl.frontier import RELEASE_WAIT

    client, prefix = redis_prefix
    worker, polite = _polite_worker(client, prefix)
    frontier = worker.scheduler.frontier
    scheduler = worker.scheduler
    polite.last_host = "cdn.jmn.info"
    assert scheduler.enqueue_request(Request("https://jmn.info/a/"))
    long = Request("https://cdn.jmn.info/b/", meta={"download_timeout": 300}, priority=-1)
    assert scheduler.enqueue_request(long)

    async def crawl() -> None:
        first = scheduler.next_request()
        assert first is not None
        assert first.url == "https://jmn.info/a/"
        assert frontier.slots_in_use() == {"cdn.jmn.info": 1}  # the guess, leased
        assert first not in polite.ahead
        await polite.process_request(first)
        assert frontier.slots_in_use() == {"jmn.info": 1}  # the guess went back with it
        polite.last_host = "cdn.jmn.info"
        second = scheduler.next_request()
        assert second is not None
        assert second.url == long.url
        assert second not in polite.ahead  # its lease would end before its timeout
        polite.process_response(first, None)
        await asyncio.sleep(RELEASE_WAIT * 4)
        assert frontier.slots_in_use() == {}

    asyncio.run(crawl())
    worker.scheduler.close("shutdown")


def test_a_slot_leased_with_a_take_goes_back_when_its_request_is_dropped(
    redis_prefix: Redis,
) -> None:
    """A request that an earlier middleware drops (robots.txt, off-site) never reaches the
    politeness middleware: its slot, leased with its take, goes back (its exception, or the
    sweep once the request has left the downloader), as the slot of a closing worker does."""
    import asyncio

    from newscrawl.frontier import RELEASE_WAIT

    client, prefix = redis_prefix
    worker, polite = _polite_worker(client, prefix)
    frontier = worker.scheduler.frontier
    scheduler = worker.scheduler
    polite.last_host = "jmn.info"
    for path in ("a", "b", "c"):
        assert scheduler.enqueue_request(Request(f"https://jmn.info/{path}/"))

    async def crawl() -> None:
        dropped = scheduler.next_request()
        assert dropped is not None
        assert dropped in polite.ahead
        polite.process_exception(dropped, ValueError("robots.txt"))
        await asyncio.sleep(RELEASE_WAIT * 4)
        assert frontier.slots_in_use() == {}
        silent = scheduler.next_request()
        assert silent is not None
        assert silent in polite.ahead
        polite._sweep()  # just taken: it may still be on its way
        assert silent in polite.ahead
        polite.ahead[silent] = (*polite.ahead[silent][:3], time.monotonic() - 2)
        polite._sweep()
        await asyncio.sleep(RELEASE_WAIT * 4)
        assert frontier.slots_in_use() == {}
        assert scheduler.next_request() in polite.ahead

    asyncio.run(crawl())
    polite._closed(worker.spider)
    assert frontier.slots_in_use() == {}
    worker.scheduler.close("shutdown")


def test_slot_leases_cap_a_host_and_come_back(
    redis_prefix: Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    from newscrawl.frontier import Frontier

    client, prefix = redis_prefix
    frontier = Frontier(client, prefix, "jmn")
    slots = frontier.slots("jmn.info")
    assert acquire(client, slots, "a|1", 2, 60) == 0
    assert acquire(client, slots, "b|1", 2, 60) == 0
    assert acquire(client, slots, "b|2", 2, 60) is None  # both leased: wait
    assert frontier.status()["slots"] == {"jmn.info": 2}
    # Release is a ZREM: giving a slot back twice frees one slot, once.
    assert client.zrem(slots, "a|1") == 1
    assert client.zrem(slots, "a|1") == 0
    assert acquire(client, slots, "b|2", 2, 60) == 0
    assert acquire(client, slots, "b|3", 2, 60) is None
    assert frontier.status()["slots"] == {"jmn.info": 2}
    assert frontier_cli(prefix) == 0
    assert "download slots in use: jmn.info 2" in capsys.readouterr().out


def test_expired_slot_leases_are_reclaimed(redis_prefix: Redis) -> None:
    """A worker killed with requests in flight never gives their slots back: once their
    leases expire, the next request to the host drops them and takes a slot."""
    from newscrawl.frontier import Frontier

    client, prefix = redis_prefix
    frontier = Frontier(client, prefix, "jmn")
    slots = frontier.slots("jmn.info")
    assert acquire(client, slots, "dead|1", 2, 0.2) == 0
    assert acquire(client, slots, "live|1", 2, 60) == 0
    assert acquire(client, slots, "live|2", 2, 60) is None
    time.sleep(0.3)
    assert frontier.status()["slots"] == {"jmn.info": 1}  # the expired one is not counted
    assert acquire(client, slots, "live|2", 2, 60) == 0
    assert sorted(client.zrange(slots, 0, -1)) == [b"live|1", b"live|2"]


def test_a_dead_workers_slots_come_back_when_it_is_reaped(redis_prefix: Redis) -> None:
    """Before their leases expire: the other workers find the worker dead (its run lease
    expired) and give back its slots, on every host, and only its own."""
    from newscrawl.frontier import Frontier

    client, prefix = redis_prefix
    frontier = Frontier(client, prefix, "jmn")
    for host in ("jmn.info", "cdn.jmn.info"):
        assert acquire(client, frontier.slots(host), "dead|1", 3, 600) == 0
        assert acquire(client, frontier.slots(host), "deadbeat|1", 3, 600) == 0
    client.hset(frontier.workers, "dead", json.dumps({"seen": 0, "busy": True}))
    client.set(frontier.lease("dead"), "x", px=200)
    frontier.reap(me="w2")
    assert frontier.status()["slots"] == {"cdn.jmn.info": 2, "jmn.info": 2}  # still alive
    time.sleep(0.3)
    frontier.reap(me="w2")
    assert frontier.status()["slots"] == {"cdn.jmn.info": 1, "jmn.info": 1}
    assert client.zrange(frontier.slots("jmn.info"), 0, -1) == [b"deadbeat|1"]


@pytest.mark.e2e
def test_concurrency_per_portal_holds_across_workers(
    portal: RunningServer, redis_prefix: Redis, tmp_path: Path
) -> None:
    """Three workers, each allowed 4 requests at once, no delay, a portal that takes 0.4 s
    per answer: the portal never has more than the global cap (2) in flight, not 12."""
    _, prefix = redis_prefix
    lock = threading.Lock()
    now = {"in_flight": 0, "most": 0}
    httpd: Any = portal._httpd
    record = httpd.record

    def slow(path: str, headers: dict[str, str]) -> int:
        with lock:
            now["in_flight"] += 1
            now["most"] = max(now["most"], now["in_flight"])
        try:
            time.sleep(0.4)
            return record(path, headers)
        finally:
            with lock:
                now["in_flight"] -= 1

    httpd.record = slow
    # Queued before the workers start, as an operator may (newscrawl frontier --seed).
    assert frontier_cli(prefix, "--seed", "--base-url", portal.url) == 0
    settings = (
        *("-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4"),
        *("-s", "NEWSCRAWL_GLOBAL_CONCURRENCY=2"),
    )
    processes = [
        start_worker(worker_command(portal, tmp_path / f"o{i}", prefix, f"w{i}", *settings))
        for i in range(3)
    ]
    logs = [p.communicate(timeout=180)[0] for p in processes]
    for process, log in zip(processes, logs, strict=True):
        assert process.returncode == 0, log[-3000:]
    urls = written_urls(*(tmp_path / f"o{i}" for i in range(3)))
    assert len(urls) == len(set(urls)) == ARTICLES, logs
    assert sum(fetched(log) > 0 for log in logs) >= 2, logs  # they did crawl side by side
    assert now["most"] == 2, now  # reached, never passed
    left = [k.decode() for k in redis_prefix[0].scan_iter(match=f"{prefix}:jmn:frontier:slots:*")]
    assert left == []  # every slot given back


@pytest.mark.e2e
def test_seeded_entry_points_are_counted_by_the_worker_that_fetched_them(
    portal: RunningServer, redis_prefix: Redis, tmp_path: Path
) -> None:
    """Seeded, then crawled by two worker processes: each entry point is fetched once, and
    counted fetched by the worker that fetched it; each worker counts the others' as
    elsewhere, so its due entry points all settle (none was counted elsewhere unfetched)."""
    _, prefix = redis_prefix
    assert frontier_cli(prefix, "--seed", "--base-url", portal.url) == 0
    outs = [tmp_path / "o0", tmp_path / "o1"]
    processes = [
        start_worker(worker_command(portal, out, prefix, f"w{i}", "-s", "DOWNLOAD_DELAY=0.2"))
        for i, out in enumerate(outs)
    ]
    logs = [p.communicate(timeout=180)[0] for p in processes]
    for process, log in zip(processes, logs, strict=True):
        assert process.returncode == 0, log[-3000:]
    reports = [
        json.loads(path.read_text(encoding="utf-8"))
        for out in outs
        for path in out.glob("jmn/*/*.report.json")
    ]
    assert len(reports) == 2
    entry = [report["entry_points"] for report in reports]
    assert sum(e["fetched"] for e in entry) == 3, entry  # the home, feed and sitemap index
    assert all(e["total"] == e["fetched"] for e in entry), entry
    assert len(written_urls(*outs)) == ARTICLES


# -- the frontier command -----------------------------------------------------------------


def frontier_cli(prefix: str, *args: str) -> int:
    from newscrawl.cli import main

    return main(["frontier", "jmn", "--redis", REDIS_URL, "--prefix", prefix, *args])


def test_frontier_shows_seeds_and_clears(
    redis_prefix: Redis, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, prefix = redis_prefix
    assert frontier_cli(prefix) == 0
    out = capsys.readouterr().out
    assert "0 queued, 0 seen, 0 in flight" in out
    assert "download slots in use: none" in out
    assert frontier_cli(prefix, "--seed", "--base-url", "http://127.0.0.1:9") == 0
    out = capsys.readouterr().out
    assert "seeded 3 entry points" in out  # home, feed, sitemap index of the jmn profile
    assert frontier_cli(prefix, "--seed", "--base-url", "http://127.0.0.1:9") == 0
    assert "seeded 0 entry points" in capsys.readouterr().out  # seen already
    client.hset(f"{prefix}:jmn:frontier:workers", "w9", json.dumps({"seen": time.time()}))
    assert frontier_cli(prefix, "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status == {"queue": 3, "seen": 3, "in_flight": 0, "workers": ["w9"], "slots": {}}
    # --clear asks first: no terminal, no --yes, nothing cleared.
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert frontier_cli(prefix, "--clear") == 2
    assert "--yes" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _question: "n")
    assert frontier_cli(prefix, "--clear") == 1
    assert client.zcard(f"{prefix}:jmn:frontier:queue") == 3
    monkeypatch.setattr("builtins.input", lambda _question: "y")
    assert frontier_cli(prefix, "--clear") == 0
    assert not list(client.scan_iter(match=f"{prefix}:jmn:frontier:*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["frontier", "jmn"], "--redis URL is required", id="no-redis"),
        pytest.param(
            ["frontier", "jmn", "--redis", "http://x"],
            "not a Redis URL|expected a Redis URL",
            id="not-redis-url",
        ),
        pytest.param(
            ["frontier", "jmn", "--redis", "redis://127.0.0.1:1/0"], "redis-server", id="no-answer"
        ),
        pytest.param(
            ["crawl", "jmn", "--redis", "127.0.0.1:6379"], "expected a Redis URL", id="crawl-url"
        ),
    ],
)
def test_bad_redis_arguments_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from newscrawl.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    import re

    assert re.search(message, err)


# -- faults: data of another version, another profile, two sites --------------------------


def test_frontier_of_another_layout_is_refused(redis_prefix: Redis) -> None:
    from newscrawl.frontier import Frontier, check_compatible
    from newscrawl.preflight import UsageError

    client, prefix = redis_prefix
    frontier = Frontier(client, prefix, "jmn")
    client.hset(frontier.meta, "layout", "newscrawl-frontier/0")
    with pytest.raises(UsageError, match=r"layout 'newscrawl-frontier/0'.*--clear"):
        check_compatible(frontier, "w1", "v1", "jmn")


def test_worker_with_another_profile_version_is_refused(redis_prefix: Redis) -> None:
    from newscrawl.frontier import Frontier, check_compatible
    from newscrawl.preflight import UsageError

    client, prefix = redis_prefix
    frontier = Frontier(client, prefix, "jmn")
    check_compatible(frontier, "w1", "v1", "jmn")
    client.set(frontier.lease("w1"), "x", px=5000)  # w1 is crawling with v1
    with pytest.raises(UsageError, match=r"\(w1\) use another version of its profile"):
        check_compatible(frontier, "w2", "v2", "jmn")
    check_compatible(frontier, "w2", "v1", "jmn")  # the same version joins
    client.delete(frontier.lease("w1"))
    check_compatible(frontier, "w2", "v2", "jmn")  # nobody left on v1: a new version starts
    assert client.hget(frontier.meta, "profile") == b"v2"


def test_crawl_with_another_profile_version_than_live_workers_is_one_line(
    redis_prefix: Redis, tmp_path: Path
) -> None:
    client, prefix = redis_prefix
    client.hset(f"{prefix}:jmn:frontier:meta", mapping={"layout": FRONTIER_LAYOUT, "profile": "0"})
    client.set(f"{prefix}:jmn:lease:w1", "{}", px=60_000)  # w1 crawls with version "0"
    args = ["crawl", "jmn", "-o", str(tmp_path), "--base-url", "http://127.0.0.1:9"]
    redis = ["--redis", REDIS_URL, "-s", f"NEWSCRAWL_REDIS_PREFIX={prefix}"]
    result = cli(*args, *redis, "-s", "NEWSCRAWL_WORKER=w2")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    err = result.stderr.strip().splitlines()
    assert err[-1].startswith("newscrawl: the workers crawling 'jmn' (w1) use another version")
    assert client.exists(f"{prefix}:jmn:lease:w2") == 0  # given back
    assert client.hget(f"{prefix}:jmn:frontier:meta", "profile") == b"0"  # w1's stays


def test_profile_version_follows_the_profile_data() -> None:
    from types import SimpleNamespace

    from newscrawl.frontier import profile_version

    def spider(data: dict[str, Any]) -> Any:
        return SimpleNamespace(profile=SimpleNamespace(data=data))

    assert profile_version(spider({"a": 1, "b": [2]})) == profile_version(
        spider({"b": [2], "a": 1})
    )
    assert profile_version(spider({"a": 1})) != profile_version(spider({"a": 2}))


def test_two_sites_share_one_redis_without_meeting(redis_prefix: Redis) -> None:
    from newscrawl.frontier import Frontier, TakingQueue

    client, prefix = redis_prefix
    spider = _Spider()
    jmn, other = Frontier(client, prefix, "jmn"), Frontier(client, prefix, "other")
    TakingQueue(client, spider, jmn.queue, jmn.taken("w"), "w").push(Request("https://jmn.info/"))
    assert jmn.status()["queue"] == 1
    assert other.status()["queue"] == 0
    assert TakingQueue(client, spider, other.queue, other.taken("w"), "w").take() is None


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``newscrawl ARGS`` in a process of its own (a crawl installs its reactor)."""
    command = [sys.executable, "-m", "newscrawl.cli", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_crawl_against_state_of_another_version_is_one_line(
    redis_prefix: Redis, tmp_path: Path
) -> None:
    client, prefix = redis_prefix
    client.hset(f"{prefix}:jmn:meta", "layout", "newscrawl-state/0")
    args = ["crawl", "jmn", "-o", str(tmp_path), "--redis", REDIS_URL]
    result = cli(*args, "-s", f"NEWSCRAWL_REDIS_PREFIX={prefix}")
    assert result.returncode == 2, result.stderr[-3000:]
    err = result.stderr.strip().splitlines()
    assert err[-1].startswith("newscrawl: Redis state of 'jmn'")
    assert "newscrawl-state/0" in err[-1]
    assert not list(client.scan_iter(match=f"{prefix}:jmn:lease:*"))  # given back


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A redis-server of this test's own on a free port (this test stops it)."""
    port = free_port()
    process = start_redis(port, tmp_path / "redis", "--save", "")
    try:
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.e2e
def test_redis_restarting_mid_crawl_holds_the_worker_up_and_it_finishes(
    portal: RunningServer, tmp_path: Path
) -> None:
    """Commands wait and try again with backoff while Redis is away: a restart (with its
    data kept on disk) costs the worker a pause, not the run."""
    port = free_port()
    durable = ("--save", "", "--appendonly", "yes", "--appendfsync", "always")
    server = start_redis(port, tmp_path / "redis", *durable)
    command = worker_command(portal, tmp_path / "out", "nc", "w1", "-s", "DOWNLOAD_DELAY=0.3")
    command[command.index(REDIS_URL)] = f"redis://127.0.0.1:{port}/0"
    worker = start_worker(command)
    try:
        deadline = time.monotonic() + 60
        while sum(portal.hits.values()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill()
        server.wait(timeout=10)
        time.sleep(2)
        server = start_redis(port, tmp_path / "redis", *durable)
        log = worker.communicate(timeout=180)[0]
    finally:
        worker.kill()
        server.kill()
        server.wait(timeout=10)
    assert worker.returncode == 0, log[-3000:]
    assert "Redis unavailable" not in log
    urls = written_urls(tmp_path / "out")
    assert len(urls) == len(set(urls)) == ARTICLES, log[-3000:]


@pytest.mark.e2e
def test_redis_going_away_stops_the_worker_with_a_report(
    portal: RunningServer, private_redis: tuple[subprocess.Popen[bytes], str], tmp_path: Path
) -> None:
    server, url = private_redis
    command = worker_command(portal, tmp_path / "out", "nc", "w1", "-s", "DOWNLOAD_DELAY=0.3")
    command[command.index(REDIS_URL)] = url
    worker = start_worker([*command, "-s", "NEWSCRAWL_REDIS_RETRIES=2"])
    deadline = time.monotonic() + 60
    while sum(portal.hits.values()) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    started = time.monotonic()
    log = worker.communicate(timeout=120)[0]
    assert worker.returncode == 1, log[-3000:]
    assert time.monotonic() - started < 60
    assert "Redis unavailable" in log, log[-3000:]
    (report,) = (tmp_path / "out").glob("jmn/*/*.report.json")
    failures = json.loads(report.read_text(encoding="utf-8"))["failures"]
    assert any("Redis unavailable" in f for f in failures), failures


def test_a_full_redis_is_a_clear_error(
    private_redis: tuple[subprocess.Popen[bytes], str], tmp_path: Path
) -> None:
    import redis

    _, url = private_redis
    client = redis.Redis.from_url(url)
    client.set("ballast", "x" * 3_000_000)
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", "1mb")
    result = cli("crawl", "jmn", "-o", str(tmp_path), "--redis", url)
    assert result.returncode == 2, result.stderr[-3000:]
    err = result.stderr.strip().splitlines()
    assert err[-1].startswith("newscrawl: Redis refused the run lease")
    assert "maxmemory" in err[-1]


@pytest.mark.e2e
def test_redis_filling_up_mid_crawl_fails_the_run_naming_maxmemory(
    portal: RunningServer, private_redis: tuple[subprocess.Popen[bytes], str], tmp_path: Path
) -> None:
    import redis

    _, url = private_redis
    client = redis.Redis.from_url(url)
    client.config_set("maxmemory-policy", "noeviction")
    slow = ("-s", "DOWNLOAD_DELAY=0.3", "-s", "NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT=3")
    command = worker_command(portal, tmp_path / "a", "nc", "w1", *slow)
    command[command.index(REDIS_URL)] = url
    worker = start_worker(command)
    deadline = time.monotonic() + 60
    while sum(portal.hits.values()) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    client.config_set("maxmemory", "1")  # under what it holds: every write is refused
    log = worker.communicate(timeout=120)[0]
    assert worker.returncode == 1, log[-3000:]
    (report,) = (tmp_path / "a").glob("jmn/*/*.report.json")
    first = json.loads(report.read_text(encoding="utf-8"))
    assert any("full (maxmemory)" in f for f in first["failures"]), first["failures"]
    # What it wrote and could not register is not published: the others would write it
    # again (its claims pass to them). Its pages come back with the requests it took.
    assert first["records_written"] == len(written_urls(tmp_path / "a")), log[-3000:]
    # Nothing lost: with room again, another worker finishes the crawl.
    client.config_set("maxmemory", "0")
    command = worker_command(portal, tmp_path / "b", "nc", "w2", *slow)
    command[command.index(REDIS_URL)] = url
    second = start_worker(command)
    log = second.communicate(timeout=180)[0]
    assert second.returncode == 0, log[-3000:]
    urls = written_urls(tmp_path / "a", tmp_path / "b")
    assert set(urls) >= set(written_urls(tmp_path / "a")), log[-3000:]
    assert len(set(urls)) == ARTICLES, (sorted(urls), log[-3000:])
    assert len(urls) == len(set(urls)), sorted(urls)


@pytest.mark.e2e
def test_worker_killed_and_restarted_under_its_name_loses_nothing(
    portal: RunningServer, redis_prefix: Redis, tmp_path: Path
) -> None:
    """The usual case on one machine: cron restarts the worker (same host name) after it
    died; what its first life had taken is crawled by the second."""
    client, prefix = redis_prefix
    slow = ("-s", "DOWNLOAD_DELAY=0.3", "-s", "NEWSCRAWL_BATCH_RECORDS=2")
    timeout = ("-s", "NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT=2")
    first = start_worker(worker_command(portal, tmp_path / "a", prefix, "w", *slow, *timeout))
    deadline = time.monotonic() + 60
    while sum(portal.hits.values()) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    taken = client.hlen(f"{prefix}:jmn:frontier:taken:w")
    assert taken, "the killed worker had nothing in flight: the test shows nothing"
    time.sleep(2.5)  # its lease expires: the restart may take it
    second = start_worker(worker_command(portal, tmp_path / "b", prefix, "w", *slow, *timeout))
    log = second.communicate(timeout=180)[0]
    assert second.returncode == 0, log[-3000:]
    urls = written_urls(tmp_path / "a", tmp_path / "b")
    assert len(urls) == len(set(urls)) == ARTICLES, log[-3000:]


def test_a_worker_whose_lease_expired_under_it_stops_and_fails(
    portal: RunningServer, redis_prefix: Redis, tmp_path: Path
) -> None:
    """Redis flushed, restarted empty or away past the visibility timeout: the other
    workers count this one dead and take its requests back, so it must not go on taking
    and writing (it did, for minutes, writing pages twice, and then exited 0)."""
    client, prefix = redis_prefix
    slow = ("-s", "DOWNLOAD_DELAY=0.5", "-s", "NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT=1.5")
    worker = start_worker(worker_command(portal, tmp_path / "o", prefix, "w1", *slow))
    lease = f"{prefix}:jmn:lease:w1"
    deadline = time.monotonic() + 60
    while not client.exists(lease) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)  # the crawl is under way
    client.delete(lease)
    started = time.monotonic()
    log = worker.communicate(timeout=120)[0]
    assert worker.returncode == 1, log[-3000:]
    assert time.monotonic() - started < 10, log[-3000:]  # the whole crawl takes longer
    assert "FAILED: the run lease was lost while the run went on" in log, log[-3000:]
    assert not client.exists(lease)  # not taken back
