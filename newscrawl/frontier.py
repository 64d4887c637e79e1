"""Distributed mode: one request queue and one duplicate filter in Redis for many workers.

A thin adapter over scrapy-redis 0.9.1 (pinned), not a fork. We use its Redis priority
queue (``scrapy_redis.queue.PriorityQueue``: request serialisation with
``Request.to_dict``, ``ZADD`` by priority), its duplicate-filter set
(``scrapy_redis.dupefilter.RFPDupeFilter``: ``SADD`` of a fingerprint) and its scheduler
(``scrapy_redis.scheduler.Scheduler``: enqueue through the filter, stats). We do not use
its ``RedisSpider``, which relies on ``start_requests()`` (removed in Scrapy 2.16): our
spider's ``async def start()`` feeds this scheduler like any other. What we change, and
why (docs/operations.md, "Distributed mode"):

* the filter keys on :func:`newscrawl.identity.request_key` (our canonical URL), not
  w3lib's, and is not deleted when one worker closes (others still use it); a new request
  is marked in the filter and queued in one step (no page marked seen but never queued by
  a worker that died in between), in the same script as the worker's next take, which
  also leases the taken request's download slot (``GlobalPoliteness.lease_ahead``): a new
  page costs about two round trips, its take and its dedup;
* a request is serialised as scrapy-redis does, but its callback and errback are named
  without ``inspect.getmembers`` over the whole spider (``_Callbacks``);
* a pop moves the request, atomically, to the worker's ``taken:<worker>`` hash. A worker
  that dies stops renewing its lease (``lease:<worker>``); once the lease has expired
  (the visibility timeout, ``NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT``), any live worker or a
  restart puts everything that worker took back in the queue. What the dead worker had
  published is registered in the shared state, so those pages are dropped as unchanged
  when fetched again; what it had not published is written by the one that fetches it;
* a worker is idle only when the queue is empty, no other live worker is busy and no dead
  worker's requests wait to come back; its heartbeat (report, reaping, the others' state)
  is one script a second;
* a generation: the first worker to open an empty frontier with no other worker alive
  starts a new one (the filter is emptied, so the entry points are fetched again), and the
  last worker to finish empties the filter too;
* the entry points any worker fetched in the generation are recorded
  (``frontier:entry_points``): a worker whose entry points another worker fetched does not
  fail its report for fetching none of them. Entry points seeded by ``newscrawl frontier
  --seed`` (``frontier:seeded``) stay due to every worker until one fetches them.

``tests/test_redis_frontier.py`` checks the parts of scrapy-redis this relies on, so an
upgrade that changes them fails a test.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import call_later
from scrapy.utils.asyncio import sleep as reactor_sleep
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from newscrawl.extensions import worker_name
from newscrawl.identity import canonicalize_url, request_key
from newscrawl.middlewares import crawl_delay_floor
from newscrawl.report import LEASED_ELSEWHERE, LEASED_TO
from newscrawl.spiders.portal import entry_point_fetched
from newscrawl.storage.redis_state import FastScript, connect, site_prefix

logger = logging.getLogger(__name__)

FRONTIER_LAYOUT: Final = "newscrawl-frontier/1"
"""The layout of the frontier's keys; a worker that reads another refuses to join."""

LATE_FRACTION: Final = 0.1
"""A request that wakes this fraction of the delay after its turn takes a new turn."""

HEARTBEAT_SECONDS: Final = 1.0
"""How often a worker reports whether it is busy, and looks for dead workers."""

SLOT_SEPARATOR: Final = "|"
"""Between the worker's name and a sequence number in a download slot's lease."""

RELEASE_WAIT: Final = 0.05
"""Seconds a download slot given back waits to go to Redis with this worker's next lease
(one round trip for both); then it goes alone."""

PUSH_WAIT: Final = 0.05
"""Seconds new requests wait to go to Redis with this worker's next take (one round trip
for a page's new links and the next request); then they go alone."""

SLOT_WAIT_FIRST: Final = 0.02
SLOT_WAIT_MAX: Final = 0.25
"""A request that finds its host's slots all leased asks again after SLOT_WAIT_FIRST
seconds, then twice as long each time up to SLOT_WAIT_MAX (with jitter)."""

# Lease one of a host's download slots, unless ``cap`` are leased already, and reserve the
# request's start time, all at once; return the seconds to its turn, or false when every
# slot is leased. Expired leases (a worker killed, its requests lost) are dropped first. A
# lease runs until its request's turn plus its timeout and a margin; the worker gives it
# back sooner, when the request leaves the downloader.
_LEASE_SLOT = """
local function lease_slot(slots, polite, cap, member, lease, delay)
  local t = redis.call('time')
  local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  redis.call('zremrangebyscore', slots, '-inf', now)
  if redis.call('zcard', slots) >= tonumber(cap) then return false end
  lease = tonumber(lease)
  delay = tonumber(delay)
  local wait = 0
  if delay > 0 then
    local next_free = tonumber(redis.call('get', polite) or '0')
    local at = math.max(now, next_free)
    local ttl = 60000 + math.ceil(delay * 1000)
    redis.call('set', polite, string.format('%.6f', at + delay), 'PX', ttl)
    wait = at - now
  end
  redis.call('zadd', slots, now + wait + lease, member)
  local ttl = redis.call('pttl', slots)
  local needed = math.ceil((wait + lease) * 1000)
  if ttl < needed then redis.call('pexpire', slots, needed) end
  return string.format('%.6f', wait)
end
"""

# Queue the new requests whose page the filter set lacks and mark each page seen, then,
# when asked, pop the best request (lowest score) into the worker's taken hash and lease it
# a download slot at the host the worker guesses: a page's new links, the worker's next
# request and its slot in one trip. Each write that a full Redis (maxmemory) refuses comes
# before the one that depends on it, so a refusal never relies on Redis letting a script
# that has written go on: a refused push leaves its page unmarked (found again), a refused
# mark leaves a request queued (fetched, at worst, twice), never a page marked seen and not
# queued; a refused take leaves the request in the queue, a refused lease the request
# taken (it comes back if the worker dies).
#
# KEYS queue, taken, seen, then, for a lease, the host's slots and timetable and the slots
# given back (as ``_ACQUIRE``). ARGV the take's tag (empty: no take), the number of pushes,
# a fingerprint, score and request for each, then, for a lease, its cap, member, seconds
# and delay and the members given back.
_PUSH_AND_TAKE = (
    _LEASE_SLOT
    + """
local pushes = tonumber(ARGV[2])
local pushed = {}
for i = 3, 2 + 3 * pushes, 3 do
  if redis.call('sismember', KEYS[3], ARGV[i]) == 1 then
    pushed[#pushed + 1] = 0
  else
    redis.call('zadd', KEYS[1], ARGV[i + 1], ARGV[i + 2])
    redis.call('sadd', KEYS[3], ARGV[i])
    pushed[#pushed + 1] = 1
  end
end
local lease = 3 + 3 * pushes
for i = 6, #KEYS do redis.call('zrem', KEYS[i], ARGV[lease + i - 2]) end
if ARGV[1] == '' then return {pushed} end
local found = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return {pushed} end
redis.call('hset', KEYS[2], ARGV[1], cjson.encode({found[2], found[1]}))
redis.call('zrem', KEYS[1], found[1])
if #KEYS < 5 then return {pushed, found[1]} end
local a = lease
local wait = lease_slot(KEYS[4], KEYS[5], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
return {pushed, found[1], wait}
"""
)

# Put a dead worker's taken requests back in the queue, unless its lease came back.
_REAP = """
if redis.call('exists', KEYS[1]) == 1 then return -1 end
local taken = redis.call('hgetall', KEYS[2])
local moved = 0
for i = 2, #taken, 2 do
  local entry = cjson.decode(taken[i])
  redis.call('zadd', KEYS[3], entry[1], entry[2])
  moved = moved + 1
end
redis.call('del', KEYS[2])
redis.call('hdel', KEYS[4], ARGV[1])
return moved
"""

# Put back what a worker's earlier life took (it died, and runs again under its name).
_GIVE_BACK = """
local taken = redis.call('hgetall', KEYS[1])
for i = 2, #taken, 2 do
  local entry = cjson.decode(taken[i])
  redis.call('zadd', KEYS[2], entry[1], entry[2])
end
redis.call('del', KEYS[1])
return #taken / 2
"""

# A worker's heartbeat, in one trip: its report; the requests of workers whose lease
# expired back in the queue (as _REAP); whether a live other worker is busy; the queue's
# length. KEYS workers, queue; ARGV me, report, lease key prefix, taken key prefix.
_BEAT = """
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
local reports = redis.call('hgetall', KEYS[1])
local reaped, busy = {}, 0
for i = 1, #reports, 2 do
  local worker = reports[i]
  if worker ~= ARGV[1] then
    if redis.call('exists', ARGV[3] .. worker) == 1 then
      if cjson.decode(reports[i + 1])['busy'] == true then busy = 1 end
    else
      local taken = redis.call('hgetall', ARGV[4] .. worker)
      for j = 2, #taken, 2 do
        local entry = cjson.decode(taken[j])
        redis.call('zadd', KEYS[2], entry[1], entry[2])
      end
      redis.call('del', ARGV[4] .. worker)
      redis.call('hdel', KEYS[1], worker)
      table.insert(reaped, worker)
      table.insert(reaped, #taken / 2)
    end
  end
end
return {busy, redis.call('zcard', KEYS[2]), reaped}
"""

# A finished worker leaves; the last one to leave an empty queue ends the generation.
_LEAVE = """
redis.call('hdel', KEYS[1], ARGV[1])
if redis.call('hlen', KEYS[1]) == 0 and redis.call('zcard', KEYS[2]) == 0 then
  redis.call('del', KEYS[3], KEYS[4], KEYS[5], KEYS[6])
  return 1
end
return 0
"""


class Frontier:
    """The Redis keys of one site's frontier, and what the ``frontier`` command shows."""

    def __init__(self, client: Any, prefix: str, site: str) -> None:
        self.client = client
        self.base = f"{site_prefix(prefix, site)}:frontier"
        self.meta = f"{self.base}:meta"
        self.queue = f"{self.base}:queue"
        self.seen = f"{self.base}:seen"
        self.claims = f"{self.base}:claims"
        """Pages claimed by a worker in this generation (``RedisStateStore.claim``)."""
        self.entry_points = f"{self.base}:entry_points"
        """Entry points (canonical URLs) any worker fetched in this generation."""
        self.seeded = f"{self.base}:seeded"
        """Entry points (canonical URLs) ``newscrawl frontier --seed`` queued for this
        generation: no worker queued them, so each worker keeps them due until one of the
        generation fetches them."""
        self.workers = f"{self.base}:workers"
        self.lease_base = f"{site_prefix(prefix, site)}:lease"
        self._beat_script = client.register_script(_BEAT)

    def taken(self, worker: str) -> str:
        """The key of the requests ``worker`` has taken."""
        return f"{self.base}:taken:{worker}"

    def lease(self, worker: str) -> str:
        """The key of ``worker``'s run lease (``RedisLease``)."""
        return f"{self.lease_base}:{worker}"

    def known_workers(self) -> dict[str, dict[str, Any]]:
        """Return every worker that reported, with its last report."""
        reports = self.client.hgetall(self.workers)
        return {k.decode(): json.loads(v) for k, v in reports.items()}

    def is_alive(self, worker: str) -> bool:
        """Tell whether ``worker`` holds its lease."""
        return bool(self.client.exists(self.lease(worker)))

    def live_workers(self) -> set[str]:
        """Return the workers that hold a lease now (taken before their scheduler opens)."""
        prefix = f"{self.lease_base}:"
        return {
            key.decode().removeprefix(prefix)
            for key in self.client.scan_iter(match=f"{prefix}*", count=500)
        }

    def reap(self, me: str | None = None) -> int:
        """Put the requests of workers whose lease expired back in the queue; return how many."""
        moved = 0
        for worker in self.known_workers():
            if worker == me:
                continue
            keys = [self.lease(worker), self.taken(worker), self.queue, self.workers]
            result = int(self.client.eval(_REAP, len(keys), *keys, worker))
            if result >= 0:
                self.release_slots_of(worker)
            if result > 0:
                logger.warning("Worker %s died: %d requests back in the queue", worker, result)
                moved += result
        return moved

    def beat(self, me: str, report: str) -> tuple[bool, int]:
        """Record ``report`` as ``me``'s, put the requests of workers whose lease expired
        back in the queue (as ``reap``), in one round trip; return whether another live
        worker reports it is busy, and the queue's length."""
        busy, queued, reaped = self._beat_script(
            keys=[self.workers, self.queue],
            args=[me, report, f"{self.lease_base}:", f"{self.base}:taken:"],
        )
        for worker, moved in zip(reaped[::2], reaped[1::2], strict=True):
            name = worker.decode()
            self.release_slots_of(name)
            if moved:
                logger.warning("Worker %s died: %d requests back in the queue", name, moved)
        return bool(busy), int(queued)

    def leased_to_others(self, me: str) -> dict[str, int]:
        """Return, per worker other than ``me`` that holds its lease, how many requests it
        has taken (those it finished too, until it finishes the crawl); workers with none
        are left out."""
        leased = {}
        for worker in self.known_workers():
            if worker == me or not self.is_alive(worker):
                continue
            if count := int(self.client.hlen(self.taken(worker))):
                leased[worker] = count
        return leased

    def give_back(self, worker: str) -> int:
        """Put the requests ``worker`` took in an earlier life back in the queue; return
        how many. Only for a worker that holds its lease and has taken nothing yet."""
        moved = int(self.client.eval(_GIVE_BACK, 2, self.taken(worker), self.queue))
        self.release_slots_of(worker)
        if moved:
            logger.warning(
                "Worker %s ran before and died: %d requests back in the queue", worker, moved
            )
        return moved

    def slots(self, host: str) -> str:
        """The key of the download slots leased at ``host`` (``GlobalPoliteness``)."""
        return f"{self.base}:slots:{host}"

    def polite(self, host: str) -> str:
        """The key of the next free start time at ``host`` (``GlobalPoliteness``)."""
        return f"{self.base}:polite:{host}"

    def slot_hosts(self) -> list[str]:
        """Return the hosts with download slots leased now (expired leases included)."""
        prefix = f"{self.base}:slots:"
        keys = self.client.scan_iter(match=f"{prefix}*", count=500)
        return sorted(key.decode().removeprefix(prefix) for key in keys)

    def release_slots_of(self, worker: str) -> int:
        """Give back every download slot ``worker`` holds (it died, or runs again under
        its name); return how many."""
        released = 0
        mark = f"{worker}{SLOT_SEPARATOR}"
        for host in self.slot_hosts():
            members = self.client.zrange(self.slots(host), 0, -1)
            mine = [m for m in members if m.decode().startswith(mark)]
            if mine:
                released += int(self.client.zrem(self.slots(host), *mine))
        return released

    def slots_in_use(self) -> dict[str, int]:
        """Return, per host, the download slots leased now and not expired."""
        seconds, micros = self.client.time()  # leases run on Redis's clock
        now = seconds + micros / 1_000_000
        counts = {
            host: int(self.client.zcount(self.slots(host), f"({now}", "+inf"))
            for host in self.slot_hosts()
        }
        return {host: n for host, n in counts.items() if n}

    def status(self, recent_seconds: float = 60.0) -> dict[str, Any]:
        """Return the queue length, seen count, in-flight count, workers seen recently and
        the download slots in use per host."""
        now = time.time()
        workers = self.known_workers()
        in_flight = sum(int(self.client.hlen(self.taken(w))) for w in workers)
        recent = sorted(w for w, r in workers.items() if now - r.get("seen", 0) <= recent_seconds)
        return {
            "queue": int(self.client.zcard(self.queue)),
            "seen": int(self.client.scard(self.seen)),
            "in_flight": in_flight,
            "workers": recent,
            "slots": self.slots_in_use(),
        }

    def clear(self) -> int:
        """Delete the queue, the filter and every worker's taken requests; return the keys."""
        keys = list(self.client.scan_iter(match=f"{self.base}:*", count=500))
        if keys:
            self.client.delete(*keys)
        return len(keys)


def profile_version(spider: Spider) -> str:
    """Return a digest of the spider's profile data: workers of one crawl must agree on it."""
    profile = getattr(spider, "profile", None)
    data = getattr(profile, "data", None)
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def check_compatible(frontier: Frontier, worker: str, version: str, site: str) -> None:
    """Refuse to join a frontier of another layout, or a crawl whose live workers use
    another version of the profile; else record this layout and version.

    Raises ``newscrawl.preflight.UsageError`` with a one-line message saying what to do.
    """
    from newscrawl.preflight import UsageError

    client = frontier.client
    layout = client.hget(frontier.meta, "layout")
    if layout is not None and layout.decode() != FRONTIER_LAYOUT:
        raise UsageError(
            f"the Redis frontier of {site!r} has layout {layout.decode()!r}, this newscrawl "
            f"reads {FRONTIER_LAYOUT!r}: let the other workers finish, or empty it with "
            f"newscrawl frontier {site} --clear"
        )
    stored = client.hget(frontier.meta, "profile")
    others = frontier.live_workers() - {worker}
    if stored is not None and stored.decode() != version and others:
        raise UsageError(
            f"the workers crawling {site!r} ({', '.join(sorted(others))}) use another version "
            f"of its profile ({stored.decode()}, this worker has {version}): deploy the same "
            "profile everywhere, or wait until they finish"
        )
    client.hset(frontier.meta, mapping={"layout": FRONTIER_LAYOUT, "profile": version})


class CanonicalRedisDupeFilter(RFPDupeFilter):
    """scrapy-redis's shared filter set, keyed on newscrawl's request key, kept on close.

    It also remembers, in this process, the keys it knows the shared set holds or will
    hold (``known``): a page linked again (menus, related posts) costs no round trip to
    Redis. The set only grows while any worker of the generation lives (a new generation
    starts, and empties it, only when none does), so what this worker saw there stays true
    until it ends. New requests are marked and queued by the scheduler, in one script with
    its next take (``TakingQueue.push_and_take``).
    """

    def __init__(self, server: Any, key: str, debug: bool = False) -> None:
        super().__init__(server, key, debug)
        self.known: set[str] = set()

    def request_seen(self, request: Request) -> bool:
        """Add the request's key to the shared set; True when it was there already."""
        fingerprint = self.request_fingerprint(request)
        if fingerprint in self.known:
            return True
        added = self.server.sadd(self.key, fingerprint)
        self.known.add(fingerprint)
        return added == 0

    def clear(self) -> None:
        """Empty the shared set (a new generation) and what this process knew of it."""
        super().clear()
        self.known.clear()

    def request_fingerprint(self, request: Request) -> str:
        """Return the SHA-1 hex of :func:`newscrawl.identity.request_key` of ``request``."""
        key = request_key(request.method, request.url, request.body)
        return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()

    def close(self, reason: str = "") -> None:
        """Keep the set: other workers of the crawl still use it (see ``RedisScheduler``)."""


class _Callbacks:
    """Stands for the spider in ``Request.to_dict``, holding only the spider's methods
    named as the given functions are: naming a request's callback and errback then looks
    at those (``dir`` lists nothing else), where ``to_dict`` with the spider runs
    ``inspect.getmembers`` over every attribute of the spider, twice a request."""

    def __init__(self, spider: Spider, *functions: Any) -> None:
        for function in functions:
            name = getattr(function, "__name__", None)
            method = getattr(spider, name, None) if isinstance(name, str) else None
            if getattr(method, "__func__", None) is getattr(function, "__func__", self):
                setattr(self, name, method)  # type: ignore[arg-type]

    def __dir__(self) -> list[str]:
        """Only the methods held: ``inspect.getmembers`` looks at nothing else."""
        return list(self.__dict__)


class TakingQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop keeps what it took in ``taken:<worker>``,
    and which queues new requests against the shared filter set ``seen`` in the same trip."""

    def __init__(
        self,
        server: Any,
        spider: Spider,
        key: str,
        taken: str,
        worker: str,
        seen: str | None = None,
    ) -> None:
        super().__init__(server, spider, key)
        self.taken_key = taken
        self.worker = worker
        self.seen_key = seen
        self._seq = 0
        self._script: Any = None

    def close(self) -> None:
        """Give the take script's connection back to the client's pool. Idempotent."""
        if self._script is not None:
            self._script.close()

    def _encode_request(self, request: Request) -> bytes:
        """Serialise ``request`` as scrapy-redis does (``Request.to_dict`` with the spider's
        method names, pickled), naming its callback and errback through :class:`_Callbacks`;
        a callback found there under another name than its own is named as ``to_dict``
        names it with the whole spider."""
        try:
            obj = request.to_dict(
                spider=_Callbacks(self.spider, request.callback, request.errback)  # type: ignore[arg-type]
            )
        except ValueError:
            obj = request.to_dict(spider=self.spider)
        data: bytes = self.serializer.dumps(obj)
        return data

    def take(self) -> Request | None:
        """Pop the best request into the taken hash, or return None when the queue is empty."""
        return self.push_and_take((), take=True)[1]

    def push_and_take(
        self,
        pushes: Sequence[tuple[str, Request]],
        take: bool,
        lease: SlotLease | None = None,
    ) -> tuple[list[bool], Request | None, float | None]:
        """Queue each ``(fingerprint, request)`` of ``pushes`` whose fingerprint the filter
        set lacks and add the fingerprint to it; then, if ``take``, pop the best request into
        the taken hash and, given a ``lease`` to ask for, lease that slot for it (and give
        back the slots the lease carries). One round trip.

        Return, for each push, whether it was queued; the request taken (None when not
        asked or the queue is empty); and the seconds to the leased slot's turn (None when
        no slot was leased: none asked, no request, or every slot leased)."""
        if pushes and self.seen_key is None:
            raise ValueError("this queue has no filter set to push against")
        tag = ""
        if take:
            self._seq += 1
            tag = f"{self.worker}:{self._seq}"
        if self._script is None:
            self._script = FastScript(self.server, _PUSH_AND_TAKE)
        keys = [self.key, self.taken_key, self.seen_key or self.key]
        args: list[Any] = [tag, len(pushes)]
        for fingerprint, request in pushes:
            args += (fingerprint, -request.priority, self._encode_request(request))
        if lease is not None and take:
            keys += lease.keys()
            args += lease.args()
        found = self._script(keys=keys, args=args)
        pushed = [bool(flag) for flag in found[0]]
        request = self._decode_request(found[1]) if len(found) > 1 else None
        wait = float(found[2]) if len(found) > 2 and found[2] is not None else None
        return pushed, request, wait


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler on newscrawl's frontier keys, with taken requests that come
    back when their worker dies, and an idle test that waits for the other workers."""

    def __init__(
        self, crawler: Crawler, server: Any, frontier: Frontier, worker: str, max_taken: int = 4
    ) -> None:
        super().__init__(server, persist=True, idle_before_close=0)
        self.crawler = crawler
        self.max_taken = max_taken
        """At most this many requests downloading here at once: the others stay in the
        shared queue for the other workers, instead of waiting here."""
        self.frontier = frontier
        self.worker = worker
        self.stats = crawler.stats
        self._heartbeat: LoopingCall | None = None
        self._others_busy = False
        self._failed = False
        self._polite: GlobalPoliteness | bool | None = False
        """The crawl's ``GlobalPoliteness`` (None without one), found on the first take."""
        self._pending: list[tuple[str, Request]] = []
        """New requests (fingerprint, request) not yet in Redis: they go with the next
        take, or alone after ``PUSH_WAIT`` seconds."""
        self._push_call: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the scheduler from ``NEWSCRAWL_REDIS_URL``, ``NEWSCRAWL_REDIS_PREFIX`` and
        the site of the crawl's spider.

        Raises ``UsageError`` when the frontier holds keys of another layout, or when live
        workers crawl the site with another version of its profile.
        """
        settings = crawler.settings
        server = connect(
            settings["NEWSCRAWL_REDIS_URL"], settings.getint("NEWSCRAWL_REDIS_RETRIES")
        )
        spider = crawler.spider
        site = getattr(spider, "site", None) or spider.name
        frontier = Frontier(server, settings.get("NEWSCRAWL_REDIS_PREFIX", "newscrawl"), site)
        max_taken = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 4) or 4
        worker = worker_name(settings)
        check_compatible(frontier, worker, profile_version(spider), site)
        return cls(crawler, server, frontier, worker, max_taken)

    def open(self, spider: Spider) -> None:
        """Open the queue and the filter; reap dead workers; start a generation if none runs."""
        self.spider = spider
        frontier = self.frontier
        self.queue = TakingQueue(
            self.server,
            spider,
            frontier.queue,
            frontier.taken(self.worker),
            self.worker,
            seen=frontier.seen,
        )
        self.df = CanonicalRedisDupeFilter(self.server, key=frontier.seen)
        frontier.give_back(self.worker)  # it holds its lease (SiteState took it) by now
        frontier.reap(me=self.worker)
        others = frontier.live_workers() - {self.worker}
        if not others and not len(self.queue):
            self.df.clear()  # a new generation: the entry points are fetched again
            self.server.delete(frontier.claims, frontier.entry_points, frontier.seeded)
            logger.info("Frontier of %s: a new crawl generation", frontier.base)
        else:
            logger.info("Frontier: joining %d workers, %d queued", len(others), len(self.queue))
        self._report(busy=True)
        self.crawler.signals.connect(self._entry_point_fetched, signal=entry_point_fetched)
        self._heartbeat = LoopingCall(self._beat)
        self._heartbeat.start(HEARTBEAT_SECONDS, now=False)

    def _engine_busy(self) -> bool:
        """Whether this worker is downloading, scraping or still reading its entry points."""
        engine = self.crawler.engine
        if engine is None or engine.scraper.slot is None:
            return True
        starting = getattr(engine, "_start", None) is not None
        return bool(engine.downloader.active) or not engine.scraper.slot.is_idle() or starting

    def _report_of(self, busy: bool) -> str:
        return json.dumps({"seen": time.time(), "busy": busy, "pid": os.getpid()})

    def _report(self, busy: bool) -> None:
        self.server.hset(self.frontier.workers, self.worker, self._report_of(busy))

    def _beat(self) -> None:
        """Report, reap dead workers, learn whether others are busy and whether requests
        wait: one round trip a second (``Frontier.beat``)."""
        if self._failed:
            return
        with self._redis_errors():
            report = self._report_of(self._engine_busy())
            self._others_busy, queued = self.frontier.beat(self.worker, report)
            if queued:
                self._wake_engine()

    def _wake_engine(self) -> None:
        """Ask the engine for requests now: other workers may have queued some. Without
        it the engine looks only on its own events or its 5-second heartbeat (private API,
        guarded: nothing breaks if it moves, the worker is only slower to react)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _others_pending(self) -> bool:
        """Whether another worker may still add or give back requests."""
        frontier = self.frontier
        for worker, report in frontier.known_workers().items():
            if worker == self.worker:
                continue
            if not frontier.is_alive(worker):
                if self.server.hlen(frontier.taken(worker)):
                    return True  # dead, its requests come back after the visibility timeout
                continue
            if report.get("busy"):
                return True
        return False

    def enqueue_request(self, request: Request) -> bool:
        """Queue ``request`` unless its page is known to the shared filter (``dont_filter``
        aside).

        A page this worker already knows is refused at once. Any other goes to Redis with
        the worker's next take, or alone ``PUSH_WAIT`` seconds later, in one trip for all
        that wait (``TakingQueue.push_and_take``). One the shared filter turns out to hold
        (another worker queued it) is then dropped as the engine drops a refused request:
        logged as filtered, and signalled ``request_dropped``.
        """
        with self._redis_errors():
            if request.dont_filter:
                self.queue.push(request)
                self.stats.inc_value("scheduler/enqueued/redis")
                return True
            fingerprint = self.df.request_fingerprint(request)
            if fingerprint in self.df.known:
                self.df.log(request, self.spider)
                self._fetched_elsewhere(request)
                return False
            self.df.known.add(fingerprint)
            self._pending.append((fingerprint, request))
            if self._push_call is None:
                self._push_call = call_later(PUSH_WAIT, self._push_later)
            return True
        return False  # Redis is gone: the crawl stops, the request's page is found again

    def next_request(self) -> Request | None:
        """Take the best request of the shared queue, or None (also while ``max_taken``
        requests download here). The new requests waiting here go in the same trip, and
        the request's download slot is leased in it (``GlobalPoliteness.lease_ahead``)."""
        engine = self.crawler.engine
        if self._failed or len(engine.downloader.active) >= self.max_taken:
            return None
        with self._redis_errors():
            request = self._push_and_take(take=True)
            if request is not None:
                self.stats.inc_value("scheduler/dequeued/redis")
            return request
        return None

    def _politeness(self) -> GlobalPoliteness | None:
        if self._polite is False:
            downloader = getattr(self.crawler.engine, "downloader", None)
            manager = getattr(downloader, "middleware", None)
            found = [
                m for m in getattr(manager, "middlewares", ()) if isinstance(m, GlobalPoliteness)
            ]
            self._polite = found[0] if found else None
        return self._polite or None

    def _push_later(self) -> None:
        self._push_call = None
        self.flush()

    def flush(self) -> None:
        """Send the new requests waiting here to Redis now, without taking one."""
        if not self._failed:
            with self._redis_errors():
                self._push_and_take(take=False)

    def _push_and_take(self, take: bool) -> Request | None:
        """Send the waiting new requests (and take one, with its slot, if ``take``); count
        those queued and drop those the shared filter had."""
        pending, self._pending = self._pending, []
        if self._push_call is not None:
            self._push_call.cancel()
            self._push_call = None
        if not pending and not take:
            return None
        polite = self._politeness() if take else None
        lease = polite.lease_ahead() if polite is not None else None
        try:
            pushed, request, wait = self.queue.push_and_take(pending, take, lease)
        except BaseException:
            if polite is not None and lease is not None:
                polite.lease_lost(lease)
            raise
        if polite is not None and lease is not None:
            polite.leased_ahead(request, lease, wait)
        for (_, new), queued in zip(pending, pushed, strict=True):
            if queued:
                self.stats.inc_value("scheduler/enqueued/redis")
                continue
            self.df.log(new, self.spider)
            self._fetched_elsewhere(new)
            self.crawler.signals.send_catch_log(
                signals.request_dropped, request=new, spider=self.spider
            )
        return request

    def has_pending_requests(self) -> bool:
        """True while the queue has requests or another worker may still add some."""
        if self._failed:
            return False
        if self._pending:
            return True
        with self._redis_errors():
            return len(self.queue) > 0 or self._others_busy or self._others_pending()
        return False

    def _fetched_elsewhere(self, request: Request) -> None:
        """An entry point another worker of this generation queued (the shared filter has
        it) is not due here: the report must not fail this worker for fetching none
        (``newscrawl/entry_points``). One the operator seeded (``frontier:seeded``) was
        queued by no worker: it stays due to every worker, and counts as fetched where it
        is fetched and as elsewhere, as it closes (``settle_entry_points``), in the others."""
        due = getattr(self.spider, "entry_points_due", None)
        if not isinstance(due, set) or not due:
            return  # most requests, once the entry points are fetched: no URL to canonicalise
        key = canonicalize_url(request.url)
        if key not in due:
            return
        if self.server.sismember(self.frontier.seeded, key):
            return
        self._not_due(key)

    def _not_due(self, key: str) -> None:
        """Take the entry point ``key`` out of this worker's due set and its total, counted
        in ``newscrawl/entry_points/elsewhere``; nothing if it is not due here."""
        due = getattr(self.spider, "entry_points_due", None)
        if isinstance(due, set) and key in due:
            due.discard(key)
            self.stats.inc_value("newscrawl/entry_points/total", -1)
            self.stats.inc_value("newscrawl/entry_points/elsewhere")

    def _entry_point_fetched(self, url: str) -> None:
        """Record, for the whole generation, that an entry point answered here."""
        if self._failed:
            return
        with self._redis_errors():
            self.server.sadd(self.frontier.entry_points, url)

    def settle_entry_points(self) -> None:
        """Take out of this worker's due entry points those another worker of the generation
        fetched (``frontier:entry_points``), before the report is built: an entry point this
        worker queued and another one fetched is no failure here. One that no worker fetched
        stays due; the report fails only when no worker fetched any of the profile's entry
        points (``newscrawl/entry_points/fetched_by_crawl`` counts those fetched anywhere), as
        a local crawl fails only when it fetched none."""
        due = getattr(self.spider, "entry_points_due", None)
        if not isinstance(due, set) or not due:
            return
        fetched = {m.decode() for m in self.server.smembers(self.frontier.entry_points)}
        for key in sorted(due & fetched):
            self._not_due(key)
        ours = getattr(self.spider, "entry_points", frozenset())
        if crawl_fetched := len(fetched & ours):
            self.stats.set_value("newscrawl/entry_points/fetched_by_crawl", crawl_fetched)

    def note_leased_elsewhere(self) -> None:
        """Count in the stats (``LEASED_ELSEWHERE``, ``LEASED_TO``) the requests that other
        workers hold under a running lease as this worker finishes.

        This worker ends when the queue is empty and no other live worker reports itself
        busy. A worker killed after a heartbeat that found it idle still holds what it took
        (and the pages whose records it had not published) until its lease expires; the
        report must then say that the work is held elsewhere, not that there was none."""
        leased = self.frontier.leased_to_others(self.worker)
        if leased:
            self.stats.set_value(LEASED_ELSEWHERE, sum(leased.values()))
            self.stats.set_value(LEASED_TO, sorted(leased))

    @contextmanager
    def _redis_errors(self) -> Iterator[None]:
        """Stop the crawl (exit 1, ``output stopped`` in the report) when Redis fails after
        its retries; what this worker took stays in Redis for the others or the next run."""
        import redis

        try:
            yield
        except redis.RedisError as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        if self._failed:
            return
        self._failed = True
        message = redis_failure(self.frontier.base, exc)
        logger.critical("%s; stopping", message)
        self.stats.set_value("newscrawl/output_error", message)
        if self.crawler.crawling and self.crawler.engine.running:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="redis_error"))

    def close(self, reason: str) -> None:
        """Stop reporting; take out of the due entry points those other workers fetched
        (``settle_entry_points``); forget what this worker took if it finished its work (its
        batches are published by now), so only a worker that failed leaves requests to come
        back. A Redis that fails here stops nothing more: the report says so."""
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        try:
            self._leave(reason)
        finally:
            self.queue.close()

    def _leave(self, reason: str) -> None:
        """Hand on what this worker still holds (see :meth:`close`)."""
        frontier = self.frontier
        if self._failed:
            return  # Redis is gone; what this worker took comes back after its lease
        with self._redis_errors():
            self._push_and_take(take=False)  # new requests still here go to the others
            self.settle_entry_points()  # the engine builds the report after this close
            if reason == "finished":
                self.note_leased_elsewhere()
                self.server.delete(frontier.taken(self.worker))
                keys = [
                    frontier.workers,
                    frontier.queue,
                    frontier.seen,
                    frontier.claims,
                    frontier.entry_points,
                    frontier.seeded,
                ]
                if self.server.eval(_LEAVE, len(keys), *keys, self.worker):
                    logger.info("Frontier of %s: the generation is finished", frontier.base)
            else:
                self._report(busy=False)
                logger.warning(
                    "Frontier: %s ended (%s); its requests go back after its lease",
                    self.worker,
                    reason,
                )


def redis_failure(where: str, exc: Exception) -> str:
    """Return the report's line on a Redis command that failed after its retries: a full
    Redis (maxmemory) is named as such, with what to do."""
    from redis.exceptions import OutOfMemoryError

    if isinstance(exc, OutOfMemoryError):
        return (
            f"Redis is full (maxmemory) at {where}: {exc} Raise maxmemory or free memory, "
            "then run again: the requests this worker took go back to the queue"
        )
    return f"Redis unavailable at {where}: {exc}"


def frontier_for(settings: Any, site: str) -> Frontier:
    """Return the frontier of ``site`` at ``NEWSCRAWL_REDIS_URL`` (connects first)."""
    client = connect(settings["NEWSCRAWL_REDIS_URL"], settings.getint("NEWSCRAWL_REDIS_RETRIES"))
    return Frontier(client, settings.get("NEWSCRAWL_REDIS_PREFIX", "newscrawl"), site)


# Reserve the next start time of a request to one host, in Redis's own clock (TIME), so
# every worker on every machine shares one timetable per host.
_RESERVE = """
local t = redis.call('time')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local delay = tonumber(ARGV[1])
local next_free = tonumber(redis.call('get', KEYS[1]) or '0')
local at = math.max(now, next_free)
redis.call('set', KEYS[1], string.format('%.6f', at + delay), 'PX', 60000 + math.ceil(delay * 1000))
return string.format('%.6f', at - now)
"""


# A request's slot lease (``_LEASE_SLOT``). KEYS[3..] and ARGV[5..], in pairs: slots this
# worker gives back first (the slots of its requests that left the downloader since its
# last lease), one trip for both.
_ACQUIRE = (
    _LEASE_SLOT
    + """
for i = 3, #KEYS do redis.call('zrem', KEYS[i], ARGV[i + 2]) end
return lease_slot(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
"""
)


def _host(request: Request) -> str:
    """The host (and port) a request goes to, as its download slots are keyed."""
    return urlsplit(request.url).netloc.lower()


@dataclass(frozen=True)
class SlotLease:
    """A download slot asked for with the worker's next take, before its request is known:
    at ``host``, the host of the worker's last request (a portal crawl fetches one host)."""

    host: str
    slots: str
    polite: str
    member: str
    cap: int
    seconds: float
    delay: float
    releasing: tuple[tuple[str, str], ...]
    """Slots (key, member) given back in the same trip."""

    def keys(self) -> list[str]:
        """The script's keys for this lease (``_PUSH_AND_TAKE``)."""
        return [self.slots, self.polite, *(key for key, _ in self.releasing)]

    def args(self) -> list[Any]:
        """The script's arguments for this lease (``_PUSH_AND_TAKE``)."""
        return [
            self.cap,
            self.member,
            f"{self.seconds:.3f}",
            f"{self.delay:.6f}",
            *(member for _, member in self.releasing),
        ]


class GlobalPoliteness:
    """Downloader middleware of distributed mode: per host, requests start at least
    ``DOWNLOAD_DELAY`` seconds apart, and at most ``NEWSCRAWL_GLOBAL_CONCURRENCY`` are in
    flight, across all workers, not per worker (``RedisMode`` moves the delay to
    ``NEWSCRAWL_GLOBAL_DOWNLOAD_DELAY`` and sets each worker's to 0).

    Each request first leases one of its host's download slots in Redis
    (``<prefix>:<site>:frontier:slots:<host>``, a sorted set of leases by expiry time)
    and, in the same script, reserves the next free start time of its host
    (``frontier:polite:<host>``); then it waits for that turn. The scheduler's take
    usually leases it already, in its own trip, at the host of this worker's last request
    (``lease_ahead``); a request that reaches this middleware more than a tenth of the
    delay after that turn takes a new one. With every slot leased it
    asks again a little later (the reactor waits; no thread sleeps). The slot goes back
    when the request leaves the downloader (response or error), when it fails or is
    dropped in a middleware, and when the worker closes: in Redis with the worker's next
    lease (one round trip for both), or alone ``RELEASE_WAIT`` seconds later, so a slot
    may stay leased that much longer than its request (never shorter: the cap holds); a
    worker that dies without giving
    it back loses it when the other workers find it dead (``Frontier.reap``), or at the
    latest when the lease expires (``DOWNLOAD_TIMEOUT`` plus
    ``NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT`` after the request's turn).

    Each worker's own concurrency limits still apply: a request they hold back leaves
    later than its turn, never earlier, and holds its slot meanwhile.
    """

    def __init__(
        self,
        crawler: Crawler,
        frontier: Frontier,
        delay: float,
        cap: int,
        timeout: float,
        margin: float,
        worker: str,
    ) -> None:
        self.crawler = crawler
        self.server = frontier.client
        self.frontier = frontier
        self.delay = delay
        self.cap = max(cap, 1)
        """At most this many requests in flight per host across all workers."""
        self.timeout = timeout
        self.margin = margin
        """A slot's lease runs the request's download timeout plus this after its turn."""
        self.worker = worker
        self.held: dict[Request, tuple[str, str]] = {}
        """The requests of this worker holding a slot: request -> (slots key, lease)."""
        self.releasing: list[tuple[str, str]] = []
        """Slots given back here and not yet in Redis: (slots key, lease), sent with the
        next lease (``_ACQUIRE``), or alone after ``RELEASE_WAIT`` seconds."""
        self.ahead: dict[Request, tuple[str, str, float, float]] = {}
        """Requests taken with a slot leased in the same trip and not yet here: request ->
        (slots key, lease, seconds to its turn, ``time.monotonic()`` of the lease)."""
        self.last_host: str | None = None
        """The host of the last request here: where the next take leases a slot ahead."""
        self._flush_call: Any = None
        self._acquire = self.server.register_script(_ACQUIRE)
        self._reserve = self.server.register_script(_RESERVE)
        self._seq = itertools.count(1)
        self._sweeper = LoopingCall(self._sweep)
        crawler.signals.connect(self._left_downloader, signal=signals.request_left_downloader)
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the middleware on the crawl's frontier, ``DOWNLOAD_DELAY`` (moved to
        ``NEWSCRAWL_GLOBAL_DOWNLOAD_DELAY``) and ``NEWSCRAWL_GLOBAL_CONCURRENCY`` (0, the
        default: ``CONCURRENT_REQUESTS_PER_DOMAIN``).

        Also refuses, before the engine opens (so that ``newscrawl crawl`` says it in one
        line, exit 2), to join a frontier of another layout or live workers with another
        version of the profile (``check_compatible``; the scheduler checks again), giving
        back the run lease ``SiteState`` took.
        """
        from newscrawl.extensions import site_state
        from newscrawl.preflight import UsageError

        settings = crawler.settings
        spider = crawler.spider
        site = getattr(spider, "site", None) or spider.name
        frontier = frontier_for(settings, site)
        worker = worker_name(settings)
        try:
            check_compatible(frontier, worker, profile_version(spider), site)
        except UsageError:
            state = site_state(crawler)
            if state is not None:
                state.close()  # the crawl does not start: its lease goes at once
            raise
        delay = settings.getfloat("NEWSCRAWL_GLOBAL_DOWNLOAD_DELAY", 0.0)
        cap = settings.getint("NEWSCRAWL_GLOBAL_CONCURRENCY", 0)
        if cap <= 0:
            cap = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 4)
        timeout = settings.getfloat("DOWNLOAD_TIMEOUT", 180.0)
        margin = settings.getfloat("NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT", 30.0)
        return cls(crawler, frontier, delay, cap, timeout, margin, worker)

    def _lease_of(self, host: str, timeout: float) -> tuple[str, str, str, float]:
        """Return the slots key, timetable key, a new member and the lease's seconds of a
        request to ``host`` with download timeout ``timeout``."""
        member = f"{self.worker}{SLOT_SEPARATOR}{next(self._seq)}"
        return self.frontier.slots(host), self.frontier.polite(host), member, timeout + self.margin

    def _timeout(self, request: Request) -> float:
        """The request's download timeout (``download_timeout``, else the crawl's)."""
        return float(request.meta.get("download_timeout") or self.timeout)

    def _delay_at(self, host: str) -> float:
        """Return the seconds between two requests' starts at ``host`` (host and port),
        across all workers: ``DOWNLOAD_DELAY``, or the Crawl-delay of its robots.txt when
        that is longer (``middlewares.crawl_delay_floor``)."""
        return max(self.delay, crawl_delay_floor(self.crawler, urlsplit(f"//{host}").hostname))

    def lease_ahead(self) -> SlotLease | None:
        """Return the slot lease for the scheduler's next take to ask for, at the host of
        the last request (None before the first); the slots waiting to go back go with it."""
        if self.last_host is None:
            return None
        slots, polite, member, seconds = self._lease_of(self.last_host, self.timeout)
        releasing, self.releasing = self.releasing, []
        delay = self._delay_at(self.last_host)
        return SlotLease(
            self.last_host, slots, polite, member, self.cap, seconds, delay, tuple(releasing)
        )

    def lease_lost(self, lease: SlotLease) -> None:
        """The take carrying ``lease`` failed: its slots to give back wait for the next."""
        self.releasing += lease.releasing

    def leased_ahead(self, request: Request | None, lease: SlotLease, wait: float | None) -> None:
        """The take carrying ``lease`` came back with ``request`` and, when a slot was
        leased, ``wait`` seconds to its turn. The slot is the request's when the guess was
        right (same host, the lease long enough for its timeout); else it goes back."""
        if wait is None:
            return
        if (
            request is not None
            and _host(request) == lease.host
            and self._timeout(request) <= self.timeout
        ):
            self.ahead[request] = (lease.slots, lease.member, wait, time.monotonic())
            return
        self._give_back((lease.slots, lease.member))

    async def process_request(self, request: Request) -> None:
        """Wait for a download slot at the request's host, then for its turn."""
        if request in self.held:  # it came through again (a middleware re-sent it)
            return
        host = self.last_host = _host(request)
        ahead = self.ahead.pop(request, None)
        if ahead is not None:  # leased with its take
            slots, member, wait, leased = ahead
            self.held[request] = (slots, member)
            polite = self.frontier.polite(host)
            await self._turn(request, host, polite, wait - (time.monotonic() - leased))
            return
        slots, polite, member, seconds = self._lease_of(host, self._timeout(request))
        found = await self._acquire_slot(host, slots, polite, member, seconds)
        self.held[request] = (slots, member)
        await self._turn(request, host, polite, found)

    async def _acquire_slot(
        self, host: str, slots: str, polite: str, member: str, seconds: float
    ) -> float:
        """Lease a slot at ``host``, asking again a little later while all are leased;
        return the seconds to its turn."""
        import redis

        pause = SLOT_WAIT_FIRST
        while True:
            releasing, self.releasing = self.releasing, []
            try:
                found = self._acquire(
                    keys=[slots, polite, *(key for key, _ in releasing)],
                    args=[
                        self.cap,
                        member,
                        f"{seconds:.3f}",
                        f"{self._delay_at(host):.6f}",
                        *(lease for _, lease in releasing),
                    ],
                )
            except redis.RedisError as exc:  # the page is recorded and tried next run
                self.releasing += releasing  # given back later, or their leases expire
                raise IgnoreRequest(f"Redis unavailable, no slot at {host}: {exc}") from exc
            if found is not None:
                return float(found)
            await reactor_sleep(pause * random.uniform(0.75, 1.25))
            pause = min(pause * 2, SLOT_WAIT_MAX)

    async def _turn(self, request: Request, host: str, polite: str, wait: float) -> None:
        """Wait ``wait`` seconds for the request's turn at ``host``; a turn missed by more
        than a tenth of the delay is given up and a new one taken."""
        import redis

        delay = self._delay_at(host)
        while True:
            due = time.monotonic() + wait
            if wait > 0:
                await reactor_sleep(wait)
            # A busy process wakes late, and several sleepers at once: a turn missed by
            # more than a tenth of the delay is given up and a new one taken.
            if delay <= 0 or time.monotonic() - due <= delay * LATE_FRACTION:
                return
            try:
                wait = float(self._reserve(keys=[polite], args=[f"{delay:.6f}"]))
            except redis.RedisError as exc:
                self.release(request)
                raise IgnoreRequest(f"Redis unavailable, no turn at {host}: {exc}") from exc

    def process_response(self, request: Request, response: Any) -> Any:
        """Give the request's slot back (when the downloader has not already)."""
        self.release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Give the request's slot back: it failed or was dropped on its way."""
        self.release(request)

    def release(self, request: Request) -> None:
        """Give back the slot ``request`` holds, if any: with this worker's next lease, in
        the same round trip, or alone after ``RELEASE_WAIT`` seconds (``flush``)."""
        held = self.held.pop(request, None)
        if held is None:
            ahead = self.ahead.pop(request, None)
            if ahead is None:
                return
            held = ahead[:2]
        self._give_back(held)

    def _give_back(self, held: tuple[str, str]) -> None:
        self.releasing.append(held)
        if self._flush_call is None:
            self._flush_call = call_later(RELEASE_WAIT, self._flush_later)

    def _flush_later(self) -> None:
        self._flush_call = None
        self.flush()

    def flush(self) -> None:
        """Give back, now, the slots waiting for a lease to go with; a lost Redis only
        leaves their leases to expire."""
        import redis

        releasing, self.releasing = self.releasing, []
        if not releasing:
            return
        try:
            pipe = self.server.pipeline(transaction=False)
            for key, lease in releasing:
                pipe.zrem(key, lease)
            pipe.execute()
        except redis.RedisError as exc:
            where = ", ".join(sorted({key for key, _ in releasing}))
            logger.warning("Redis unavailable, slots at %s wait for their leases: %s", where, exc)

    def _left_downloader(self, request: Request, spider: Spider) -> None:
        self.release(request)

    def _sweep(self) -> None:
        """Give back the slots of requests that left the downloader without a word (a
        middleware before this one answered or dropped them), or that were leased with
        their take and never came here."""
        engine = self.crawler.engine
        if engine is None:
            return
        active = engine.downloader.active
        for request in [r for r in self.held if r not in active]:
            self.release(request)
        stale = time.monotonic() - HEARTBEAT_SECONDS
        for request, (*_, leased) in list(self.ahead.items()):
            if request not in active and leased < stale:
                self.release(request)

    def _opened(self, spider: Spider) -> None:
        self._sweeper.start(HEARTBEAT_SECONDS, now=False)

    def _closed(self, spider: Spider) -> None:
        if self._sweeper.running:
            self._sweeper.stop()
        for request in [*self.held, *self.ahead]:
            self.release(request)
        if self._flush_call is not None:
            self._flush_call.cancel()
            self._flush_call = None
        self.flush()
