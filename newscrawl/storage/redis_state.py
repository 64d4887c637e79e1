"""The state of one site, and its run lease, in Redis: the backend of distributed crawls.

:class:`RedisStateStore` implements ``newscrawl.storage.backend.StateBackend`` with the
same promises as the SQLite ``StateStore`` (an article is known under every URL and
canonical URL it was registered with; a file registers all or nothing, once), so that any
number of workers on any machines share one state. :class:`RedisLease` implements
``RunGuard``: a key with a time to live that its holder renews, so a second run of the same
site and worker name exits 75 while the first lives, and a dead holder frees it after
``ttl`` seconds.

Keys, all under ``<prefix>:<site>:`` (the prefix is ``NEWSCRAWL_REDIS_PREFIX``):

* ``meta`` (hash): ``layout`` = :data:`LAYOUT`; data of another layout is refused;
  ``rejects_files_tracked`` (:data:`REJECTS_TRACKED`);
* ``articles`` (hash): key URL -> JSON of the article (fingerprint, lastmod, revision...);
* ``aliases`` (hash): every URL and canonical URL -> key URL;
* ``owners:<fingerprint>`` (sorted set): key URLs whose latest text it is, by first
  registration;
* ``files`` (hash): registered output file -> its number of records;
* ``rejects_files`` (hash): registered rejects file -> its number of pages (0 for the files
  a state of an older version had registered, adopted by its first ``reconcile``);
* ``rejected`` (hash): page URL -> JSON of its reject (kind, lastmod, rejected_at and
  failures, the runs in a row it failed: 1 when absent, as written by older versions);
* ``writer`` (string): a short lock that serialises registrations (reads take none);
* ``lease:<worker>`` (string): the run lease of one worker name.

A batch registration reads under the ``writer`` lock and writes in one ``MULTI``/``EXEC``
transaction, so it is all or nothing even when the worker dies half-way; rejects register
in one script (read and write of each page's streak in one step, and the file once).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from newscrawl.storage.backend import (
    CONTENT_REJECTS,
    FailureStreak,
    PageFacts,
    RecordVerdict,
    Verdict,
    as_aware,
    classified,
    judge,
    lastmod_changed,
)
from newscrawl.storage.output import NAME_PART
from newscrawl.storage.runlock import AlreadyRunning
from newscrawl.storage.state import (
    ArticleState,
    StateError,
    _checked,
    _file_key,
    register_unregistered,
)

LAYOUT: Final = "newscrawl-state/1"
"""The layout of the keys; a newscrawl that reads another refuses the data."""

REDIS_RETRIES: Final = 6
"""Tries again of a Redis command after a lost connection (about 23 s of waiting in all)."""

WRITER_LOCK_SECONDS: Final = 30.0
"""How long the registration lock lives if its holder dies holding it."""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_CLAIM = """
for i = 3, #ARGV do
  local owner = redis.call('hget', KEYS[1], ARGV[i])
  if owner and owner ~= ARGV[1] and redis.call('exists', ARGV[2] .. owner) == 1 then
    return 0
  end
end
for i = 3, #ARGV do redis.call('hset', KEYS[1], ARGV[i], ARGV[1]) end
return 1
"""
# Each page of ARGV: its article (through its alias) and its last reject, in order; one trip.
_LOOKUP_MANY = """
local found = {}
for i = 1, #ARGV do
  local key = redis.call('hget', KEYS[1], ARGV[i])
  local article = false
  if key then article = redis.call('hget', KEYS[2], key) end
  found[2 * i - 1] = article
  found[2 * i] = redis.call('hget', KEYS[3], ARGV[i])
end
return found
"""
# The first-registered article with a text, leaving out the one known under ARGV[1].
_OWNER = """
local excluded = false
if #ARGV > 0 then excluded = redis.call('hget', KEYS[1], ARGV[1]) or ARGV[1] end
for _, member in ipairs(redis.call('zrange', KEYS[2], 0, 1)) do
  if member ~= excluded then return member end
end
return false
"""
# Rejects, each read and written in one step (a failure streak grows by one however many
# workers register at once), with their file once: KEYS rejected, rejects_files; ARGV the
# file key ('' for none), then url, kind, lastmod ('' for none), rejected_at per page.
_REJECTS = """
if ARGV[1] ~= '' and redis.call('hexists', KEYS[2], ARGV[1]) == 1 then return 0 end
for i = 2, #ARGV, 4 do
  local lastmod, failures = ARGV[i + 2], 1
  local old = redis.call('hget', KEYS[1], ARGV[i])
  if old then
    local prior = cjson.decode(old)
    failures = (tonumber(prior['failures']) or 1) + 1
    if lastmod == '' and type(prior['lastmod']) == 'string' then lastmod = prior['lastmod'] end
  end
  if lastmod == '' then lastmod = cjson.null end
  redis.call('hset', KEYS[1], ARGV[i], cjson.encode({
    kind = ARGV[i + 1], lastmod = lastmod, rejected_at = ARGV[i + 3], failures = failures}))
end
if ARGV[1] ~= '' then redis.call('hset', KEYS[2], ARGV[1], (#ARGV - 1) / 4) end
return 1
"""
# All the dedup step asks of one record (RedisStateStore.dedup): KEYS aliases, articles,
# frontier:claims, owners:<fingerprint>, writer, rejected; ARGV the fingerprint, the
# worker, the lease prefix, what to note of an unchanged page (_NOTE_ARGS: mode, now, the
# lastmod given), then the page's keys (its key URL first). Returns {article JSON or
# false, claimed 1/0, owner or false, noted}; an unchanged page is neither claimed nor
# asked its owner, and is noted as note_seen notes it (noted 1) unless the script cannot
# tell it as Python would (noted -1: the caller notes it with note_seen).
_DEDUP = """
local first = 4 + NOTE_ARGS
local article, at = false, 0
for i = first, #ARGV do
  local key = redis.call('hget', KEYS[1], ARGV[i])
  if key then article = redis.call('hget', KEYS[2], key) end
  if article then at = i; break end
end
if article and cjson.decode(article)['fingerprint'] == ARGV[1] then
  local noted = note(article, at == first, KEYS[1], KEYS[2], KEYS[5], ARGV[first], KEYS[6])
  return {article, 1, false, noted}
end
for i = first, #ARGV do
  local owner = redis.call('hget', KEYS[3], ARGV[i])
  if owner and owner ~= ARGV[2] and redis.call('exists', ARGV[3] .. owner) == 1 then
    return {article, 0, false, 0}
  end
end
for i = first, #ARGV do redis.call('hset', KEYS[3], ARGV[i], ARGV[2]) end
local excluded = redis.call('hget', KEYS[1], ARGV[first]) or ARGV[first]
for _, member in ipairs(redis.call('zrange', KEYS[4], 0, 1)) do
  if member ~= excluded then return {article, 1, member, 0} end
end
return {article, 1, false, 0}
"""
CONTENT_REJECTS_LUA: Final = (
    "local CONTENT_REJECTS = {"
    + ", ".join(f"[{json.dumps(kind)}] = true" for kind in sorted(CONTENT_REJECTS))
    + "}"
)
"""``CONTENT_REJECTS`` as a Lua table (kind -> true), for the scripts that tell them."""
_NOTE_ARGS: Final = 6
"""ARGV[4..9] of _DEDUP: the note's mode ('' none, 'n' without a lastmod, 'l' with one),
last_seen, and the lastmod given: as given, stripped (Python's ``str.strip``), and, when
it is an aware ISO 8601 date-time, its instant in whole seconds since 1970 UTC and
microseconds; '' when not."""
# note(article JSON, found under the first key, aliases, articles, writer, first key,
# rejected): as note_seen(first key, lastmod) with lastmod_changed, in Lua, which also
# forgets the first key's reject unless it is a content reject (CONTENT_REJECTS_LUA). -1
# when it cannot tell as Python would: a registration holds the writer lock, or an aware
# lastmod is given and the stored one is not in the plain form parsed here
# (YYYY-MM-DDTHH:MM:SS[.ffffff], then Z or +HH:MM / -HH:MM), or the stored one ends in
# what Python strips and Lua does not.
_NOTE = """
local function days(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m > 2) and (m - 3) or (m + 9)
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end
local function instant(text)
  local y, mo, d, h, mi, s, rest = string.match(text,
    '^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)(.*)$')
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  h, mi, s = tonumber(h), tonumber(mi), tonumber(s)
  local frac, zone = string.match(rest, '^%.(%d%d?%d?%d?%d?%d?)([Z+-].*)$')
  if not frac then frac, zone = '', rest end
  local offset
  if zone == 'Z' then offset = 0 else
    local sign, oh, om = string.match(zone, '^([+-])(%d%d):(%d%d)$')
    if not sign then return nil end
    oh, om = tonumber(oh), tonumber(om)
    if oh > 23 or om > 59 then return nil end
    offset = oh * 3600 + om * 60
    if sign == '-' then offset = -offset end
  end
  local month_days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
  if y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) then month_days[2] = 29 end
  if y < 1 or mo < 1 or mo > 12 or d < 1 or d > month_days[mo] then return nil end
  if h > 23 or mi > 59 or s > 59 then return nil end
  local micros = 0
  if frac ~= '' then micros = tonumber(frac .. string.rep('0', 6 - #frac)) end
  return days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset, micros
end
local function note(raw, under_first, aliases, articles, writer, first_key, rejected)
  local mode = ARGV[4]
  if mode == '' then return 0 end
  if not under_first then return 0 end
  if redis.call('exists', writer) == 1 then return -1 end
  local article = cjson.decode(raw)
  local stored = article['lastmod']
  if mode == 'l' and ARGV[6] ~= stored then
    local changed
    if type(stored) ~= 'string' then
      changed = true
    else
      local trimmed = string.match(stored, '^[ \\t\\n\\v\\f\\r]*(.-)[ \\t\\n\\v\\f\\r]*$')
      local edges = string.sub(trimmed, 1, 1) .. string.sub(trimmed, -1)
      if string.find(edges, '[\\28-\\31\\128-\\255]') then return -1 end
      if ARGV[8] == '' then
        changed = trimmed ~= ARGV[7]
      else
        local seconds, micros = instant(trimmed)
        if not seconds then return -1 end
        local given_s, given_us = tonumber(ARGV[8]), tonumber(ARGV[9])
        changed = given_s > seconds or (given_s == seconds and given_us > micros)
      end
    end
    if changed then article['lastmod'] = ARGV[6] end
  end
  article['last_seen'] = ARGV[5]
  redis.call('hset', articles, redis.call('hget', aliases, first_key), cjson.encode(article))
  local reject = redis.call('hget', rejected, first_key)
  if reject and not CONTENT_REJECTS[cjson.decode(reject)['kind']] then
    redis.call('hdel', rejected, first_key)
  end
  return 1
end
"""
REJECTS_TRACKED: Final = "rejects_files_tracked"
"""Field of ``meta``: set when every rejects file registered is in ``rejects_files`` (a
new state; an older one after its first ``reconcile``)."""
HMGET_CHUNK: Final = 1000
"""Fields read per HMGET when a batch registers."""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


def connect(url: str, retries: int = REDIS_RETRIES) -> Any:
    """Return a Redis client for ``url`` (``redis://host:port/db``) that has answered PING.

    Each command that meets a lost connection or a timeout is tried again ``retries``
    times, waiting 0.5, 1, 2, 4... seconds (at most 8) in between: a Redis restart or a
    network blip holds the worker up instead of failing it. Raises ``StateError`` saying
    how to start Redis when none answers, and ``ValueError`` for a URL that is not a
    Redis URL.
    """
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"{url!r} is not a Redis URL (redis://host:6379/0)")
    try:  # once, without the retries: no Redis at all is a usage error, said at once
        with redis.Redis.from_url(url, socket_connect_timeout=5) as probe:
            probe.ping()
    except redis.RedisError as exc:
        raise StateError(
            f"no Redis answers at {url} ({exc}); start one (redis-server --port 6379) "
            "or crawl without --redis"
        ) from exc
    return redis.Redis.from_url(
        url,
        socket_timeout=30,
        socket_connect_timeout=5,
        retry=Retry(ExponentialBackoff(cap=8.0, base=0.5), retries),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


class FastScript:
    """A Lua script (redis-py's ``register_script``) called on a connection of its own,
    taken from the client's pool once and kept: a call is one send and one read, without
    the pool, the retry wrapper and the per-command work of the client around each call
    (a worker makes two such calls a page, and that code, run cold between pages, cost
    more than the round trip's wait). The reply is the client's.

    A lost connection or a timeout closes that connection and calls the script through the
    client, with its retries (``connect``); so does a Redis that no longer knows the
    script (NOSCRIPT), which the client loads again. Script errors (a full Redis, a Lua
    error) are raised as the client raises them. ``tests/storage/test_fast_script.py``
    compares the two paths.
    """

    def __init__(self, client: Any, text: str) -> None:
        self.client = client
        self.script = client.register_script(text)
        self._connection: Any = None

    def __call__(
        self, keys: Sequence[Any] = (), args: Sequence[Any] = (), client: Any = None
    ) -> Any:
        """Run the script with ``keys`` and ``args``; return its reply. Another ``client``
        than this script's runs it through that client, as ``Script`` does."""
        import redis

        if client is not None and client is not self.client:
            return self.script(keys=keys, args=args, client=client)
        connection = self._connection
        if connection is None:
            connection = self._connection = self.client.connection_pool.get_connection()
        try:
            connection.send_command("EVALSHA", self.script.sha, len(keys), *keys, *args)
            return connection.read_response()
        except redis.exceptions.NoScriptError:
            pass
        except (redis.ConnectionError, redis.TimeoutError):
            self._drop()
        return self.script(keys=keys, args=args)

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.disconnect()
        self.close()

    def close(self) -> None:
        """Give the connection back to the client's pool. Idempotent."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self.client.connection_pool.release(connection)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _note_args(note: bool, lastmod: str | None) -> list[str]:
    """Return ARGV[4..9] of ``_DEDUP`` (``_NOTE_ARGS``): what to note of an unchanged page."""
    if not note:
        return ["", "", "", "", "", ""]
    if lastmod is None:
        return ["n", _now(), "", "", "", ""]
    when = as_aware(lastmod)
    if when is None:
        return ["l", _now(), lastmod, lastmod.strip(), "", ""]
    since = when - _EPOCH
    seconds = since.days * 86400 + since.seconds
    return ["l", _now(), lastmod, lastmod.strip(), str(seconds), str(since.microseconds)]


def site_prefix(prefix: str, site: str) -> str:
    """Return the key prefix of ``site``: ``<prefix>:<site>``; ValueError for a bad site."""
    if not NAME_PART.fullmatch(site):
        raise ValueError(f"site {site!r} is not a plain file-name part")
    return f"{prefix}:{site}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RedisStateStore:
    """The state of one site in Redis; see the module docstring for the keys.

    Every method raises ``StateError`` when Redis fails (the message names the Redis URL
    and the site), and after ``close()``.
    """

    def __init__(
        self, client: Any, prefix: str, site: str, *, label: str = "redis", worker: str = ""
    ) -> None:
        """Use the state of ``site`` under ``prefix`` in ``client``, creating its meta;
        ``worker`` names the writer (its lease is ``<prefix>:<site>:lease:<worker>``).

        Raises ``StateError`` when the keys hold data of another layout.
        """
        self._client: Any | None = client
        self.worker = worker
        self.site = site
        self.key = site_prefix(prefix, site)
        self.label = label
        with self._errors("open"):
            meta = f"{self.key}:meta"
            layout = client.hget(meta, "layout")
            if layout is None:
                client.hsetnx(meta, "layout", LAYOUT)
                client.hsetnx(meta, REJECTS_TRACKED, _now())
                layout = client.hget(meta, "layout")
            if layout.decode() != LAYOUT:
                raise StateError(
                    f"Redis state of {site!r} at {label} has layout {layout.decode()!r}; this "
                    f"newscrawl reads {LAYOUT!r}: clear it (newscrawl frontier {site} --clear "
                    "--state) or use another NEWSCRAWL_REDIS_PREFIX"
                )
            client.hset(meta, "opened_at", _now())
        self._lookup_many = client.register_script(_LOOKUP_MANY)
        self._lookup_keys = [f"{self.key}:aliases", f"{self.key}:articles", f"{self.key}:rejected"]
        """The keys ``_LOOKUP_MANY`` reads."""
        self._prefetched: dict[str, tuple[bytes | None, bytes | None]] = {}
        """What ``prefetch`` read for the next ``verdict`` of each page."""
        self._owner = client.register_script(_OWNER)
        self._rejects = client.register_script(_REJECTS)
        self._claim = client.register_script(_CLAIM)
        self._dedup = FastScript(
            client, f"local NOTE_ARGS = {_NOTE_ARGS}\n{CONTENT_REJECTS_LUA}\n{_NOTE}{_DEDUP}"
        )

    @classmethod
    def from_url(cls, url: str, prefix: str, site: str) -> RedisStateStore:
        """Connect to ``url`` and open the state of ``site``."""
        return cls(connect(url), prefix, site, label=url)

    @property
    def _db(self) -> Any:
        if self._client is None:
            raise StateError(f"Redis state of {self.site!r} at {self.label} is closed")
        return self._client

    def close(self) -> None:
        """Forget the client (the connection pool closes with it). Idempotent."""
        client, self._client = self._client, None
        if client is not None:
            self._dedup.close()
            client.close()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        import redis

        try:
            yield
        except redis.exceptions.OutOfMemoryError as exc:
            raise StateError(
                f"Redis state of {self.site!r} at {self.label} is full (maxmemory): cannot "
                f"{action}: {exc} Raise maxmemory or free memory, then run again"
            ) from exc
        except redis.RedisError as exc:
            raise StateError(
                f"Redis state of {self.site!r} at {self.label}: cannot {action}: {exc}"
            ) from exc

    # -- questions -------------------------------------------------------------------

    def _key(self, url: str) -> str | None:
        key = self._db.hget(f"{self.key}:aliases", url)
        return key.decode() if key is not None else None

    def _find(self, url: str) -> ArticleState | None:
        key = self._key(url)
        if key is None:
            return None
        raw = self._db.hget(f"{self.key}:articles", key)
        return ArticleState(**json.loads(raw)) if raw is not None else None

    def _look_up(
        self, url: str, prefetched: bool = False
    ) -> tuple[ArticleState | None, bytes | None]:
        """Return the article known under ``url`` and the JSON of the page's last reject
        (or None), in one round trip; with ``prefetched``, none when ``prefetch`` read
        them (each once)."""
        found = self._prefetched.pop(url, None) if prefetched else None
        if found is not None:
            raw, rejected = found
        else:
            with self._errors("read"):
                raw, rejected = self._lookup_many(
                    keys=self._lookup_keys, args=[url], client=self._db
                )
        article = ArticleState(**json.loads(raw)) if raw is not None else None
        return article, rejected

    def prefetch(self, urls: Iterable[str]) -> None:
        """Read what ``verdict`` asks of each page of ``urls``, in one round trip (one per
        ``HMGET_CHUNK`` pages): the next ``verdict`` of each of them asks Redis nothing.
        Forgets what an earlier call read and no ``verdict`` asked for. A spider calls it
        with the pages of a sitemap it is about to judge (it knows them together; Redis
        would otherwise be asked one page at a time)."""
        ordered = list(dict.fromkeys(urls))
        self._prefetched = {}
        keys = self._lookup_keys
        for start in range(0, len(ordered), HMGET_CHUNK):
            chunk = ordered[start : start + HMGET_CHUNK]
            with self._errors("read"):
                found = self._lookup_many(keys=keys, args=chunk, client=self._db)
            for n, url in enumerate(chunk):
                self._prefetched[url] = (found[2 * n], found[2 * n + 1])

    def get(self, url: str) -> ArticleState | None:
        """Return the article known under ``url`` (as url or canonical URL), or None."""
        return self._look_up(url)[0]

    def should_fetch(self, url: str, lastmod: str | None) -> bool:
        """As ``StateStore.should_fetch``: True for an unknown page, else only when
        ``lastmod`` shows a change since the stored one (``verdict`` without the backoff is
        not ``KNOWN``)."""
        return self.verdict(url, lastmod) is not Verdict.KNOWN

    def verdict(
        self,
        url: str,
        lastmod: str | None,
        backoff: tuple[float, float] = (0.0, 0.0),
        now: datetime | None = None,
    ) -> Verdict:
        """As ``StateStore.verdict``: ``judge`` of the page's article and last reject, read
        in one round trip (one script), or none after ``prefetch`` of the page."""
        article, rejected = self._look_up(url, prefetched=True)
        reject = json.loads(rejected) if rejected is not None else {}
        facts = PageFacts(
            known=article is not None,
            article_lastmod=article.lastmod if article is not None else None,
            reject_kind=reject.get("kind"),
            reject_lastmod=reject.get("lastmod"),
            failures=int(reject.get("failures", 1)),
            rejected_at=reject.get("rejected_at") or "",
        )
        return judge(facts, lastmod, backoff, now)

    def failed_pages(self) -> list[str]:
        """As ``StateStore.failed_pages``: the pages whose last reject is not a content
        reject, sorted (read with HSCAN, a few hundred at a time)."""
        with self._errors("read"):
            found = [
                url.decode()
                for url, raw in self._db.hscan_iter(f"{self.key}:rejected", count=500)
                if json.loads(raw).get("kind") not in CONTENT_REJECTS
            ]
        return sorted(found)

    def failed_before(self, url: str) -> str | None:
        """As ``StateStore.failed_before``: the kind of the page's last reject when the next
        run retries it and no record of the page was written since, else None."""
        with self._errors("read"):
            raw = self._db.hget(f"{self.key}:rejected", url)
        kind = json.loads(raw).get("kind") if raw is not None else None
        return kind if kind is not None and kind not in CONTENT_REJECTS else None

    def failure_streak(self, url: str) -> FailureStreak | None:
        """As ``StateStore.failure_streak``: the page's failures in a row and its last try
        when ``failed_before`` tells it failed, else None."""
        with self._errors("read"):
            raw = self._db.hget(f"{self.key}:rejected", url)
        reject = json.loads(raw) if raw is not None else {}
        if reject.get("kind") is None or reject["kind"] in CONTENT_REJECTS:
            return None
        return FailureStreak(int(reject.get("failures", 1)), reject.get("rejected_at", ""))

    def classify(self, url: str, fingerprint: str) -> tuple[str, int]:
        """As ``StateStore.classify``: ``new``, ``unchanged`` or ``revision``, and its number."""
        article = self.get(url)
        stored = (article.fingerprint, article.revision) if article is not None else None
        return classified(stored, fingerprint)

    def fingerprint_owner(self, fingerprint: str, exclude_url: str | None = None) -> str | None:
        """As ``StateStore.fingerprint_owner``: the first-registered article with that text."""
        keys = [f"{self.key}:aliases", f"{self.key}:owners:{fingerprint}"]
        args = [] if exclude_url is None else [exclude_url]
        with self._errors("read"):
            owner = self._owner(keys=keys, args=args, client=self._db)
        return owner.decode() if owner is not None else None

    def claim(self, keys: Iterable[str]) -> bool:
        """Reserve the page known by ``keys`` for this worker in the current generation of
        the crawl (``frontier:claims``, emptied with the frontier's filter).

        False when another worker whose lease is alive claimed one of the keys: it writes
        the page. A dead worker's claims pass to this one (its page comes back to the
        queue and may be written here).
        """
        ordered = sorted(set(keys))
        if not ordered:
            return True
        with self._errors("claim"):
            result = self._claim(
                keys=[f"{self.key}:frontier:claims"],
                args=[self.worker, f"{self.key}:lease:", *ordered],
                client=self._db,
            )
        return bool(result)

    def dedup(
        self,
        keys: Sequence[str],
        fingerprint: str,
        *,
        note: bool = False,
        lastmod: str | None = None,
    ) -> RecordVerdict:
        """As ``StateStore.dedup``, in one round trip (one script): ``classify`` under the
        first of ``keys`` (the page's key URL first) an article is known by; unless
        unchanged, ``claim`` of all of them, and when claimed the owner of the text other
        than the page (``fingerprint_owner``); with ``note``, an unchanged page is noted as
        ``note_seen(keys[0], lastmod)`` notes it, in the same script (a second trip only
        while a registration holds the writer lock, or for a stored lastmod the script does
        not read as Python does)."""
        if not keys:
            return RecordVerdict("new", 1)
        names = [
            "aliases",
            "articles",
            "frontier:claims",
            f"owners:{fingerprint}",
            "writer",
            "rejected",
        ]
        with self._errors("claim"):
            raw, claimed, owner, noted = self._dedup(
                keys=[f"{self.key}:{name}" for name in names],
                args=[
                    fingerprint,
                    self.worker,
                    f"{self.key}:lease:",
                    *_note_args(note, lastmod),
                    *keys,
                ],
                client=self._db,
            )
        if int(noted) < 0:
            self.note_seen(keys[0], lastmod)
        article = ArticleState(**json.loads(raw)) if raw is not None else None
        stored = (article.fingerprint, article.revision) if article is not None else None
        status, revision = classified(stored, fingerprint)
        return RecordVerdict(
            status, revision, claimed=bool(claimed), owner=owner.decode() if owner else None
        )

    def is_registered(self, path: Path) -> bool:
        """Tell whether the output file at ``path`` (records or rejects) has been registered."""
        key = _file_key(path)
        with self._errors("read"):
            pipe = self._db.pipeline(transaction=False)
            pipe.hexists(f"{self.key}:files", key)
            pipe.hexists(f"{self.key}:rejects_files", key)
            return any(pipe.execute())

    def stats(self) -> dict[str, int]:
        """Return the number of ``articles`` and registered ``files``."""
        with self._errors("read"):
            return {
                "articles": int(self._db.hlen(f"{self.key}:articles")),
                "files": int(self._db.hlen(f"{self.key}:files")),
            }

    # -- changes ---------------------------------------------------------------------

    @contextmanager
    def _writer(self) -> Iterator[None]:
        """Hold the site's registration lock for the block (waits up to a minute)."""
        token = uuid.uuid4().hex
        key = f"{self.key}:writer"
        deadline = time.monotonic() + 60
        while not self._db.set(key, token, nx=True, px=int(WRITER_LOCK_SECONDS * 1000)):
            if time.monotonic() > deadline:
                raise StateError(f"Redis state of {self.site!r}: registration lock never freed")
            time.sleep(0.01)
        try:
            yield
        finally:
            self._db.eval(_RELEASE, 1, key, token)

    def register_batch(self, path: Path, records: Sequence[Mapping[str, Any]]) -> None:
        """As ``StateStore.register_batch``: the file and its articles, all or nothing, once."""
        file_key = _file_key(path)
        checked = [_checked(record, n, path) for n, record in enumerate(records, start=1)]
        with self._errors(f"register {path}"), self._writer():
            if self._db.hexists(f"{self.key}:files", file_key):
                return
            now = _now()
            articles: dict[str, ArticleState] = {}
            aliases: dict[str, str] = {}
            owners: list[tuple[str, str]] = []
            disowned: list[tuple[str, str]] = []
            # What the batch's URLs are known as, read in a few round trips, not 4 a record.
            urls = [u for r in checked for u in (r.url, r.canonical_url) if u is not None]
            stored_keys = self._hmget("aliases", urls)
            key_keys = self._hmget("aliases", {k for k in stored_keys.values() if k})
            stored_raw = self._hmget("articles", {k for k in key_keys.values() if k})

            def key_of(url: str) -> str | None:
                return stored_keys[url] if url in stored_keys else self._key(url)

            def stored(key: str) -> ArticleState | None:
                if key not in key_keys:
                    return self._find(key)
                raw = stored_raw.get(key_keys[key] or "")
                return ArticleState(**json.loads(raw)) if raw is not None else None

            def find(url: str) -> ArticleState | None:
                key = aliases.get(url) or key_of(url)
                if key is None:
                    return None
                return articles.get(key) or stored(key)

            for record in checked:
                existing = find(record.url)
                if existing is None and record.canonical_url is not None:
                    existing = find(record.canonical_url)
                if existing is None:
                    article = ArticleState(
                        url=record.url,
                        fingerprint=record.fingerprint,
                        lastmod=record.lastmod,
                        revision=record.revision or 1,
                        first_seen=now,
                        last_seen=now,
                        canonical_url=record.canonical_url,
                    )
                    owners.append((record.fingerprint, record.url))
                else:
                    revision = record.revision
                    if revision is None:
                        same = existing.fingerprint == record.fingerprint
                        revision = existing.revision if same else existing.revision + 1
                    if revision >= existing.revision:
                        article = ArticleState(
                            url=existing.url,
                            fingerprint=record.fingerprint,
                            lastmod=record.lastmod or existing.lastmod,
                            revision=revision,
                            first_seen=existing.first_seen,
                            last_seen=now,
                            canonical_url=record.canonical_url or existing.canonical_url,
                        )
                        if record.fingerprint != existing.fingerprint:
                            owners.append((record.fingerprint, existing.url))
                            disowned.append((existing.fingerprint, existing.url))
                    else:
                        article = ArticleState(**{**existing.__dict__, "last_seen": now})
                articles[article.url] = article
                for alias in (record.url, record.canonical_url):
                    if alias is not None:
                        aliases.setdefault(alias, key_of(alias) or article.url)
            pipe = self._db.pipeline(transaction=True)
            for key, article in articles.items():
                pipe.hset(f"{self.key}:articles", key, json.dumps(article.__dict__))
            for alias, key in aliases.items():
                pipe.hsetnx(f"{self.key}:aliases", alias, key)
                pipe.hdel(f"{self.key}:rejected", alias)
            for fingerprint, key in disowned:
                pipe.zrem(f"{self.key}:owners:{fingerprint}", key)
            for fingerprint, key in owners:
                # First registration wins the rank: NX keeps an earlier score.
                pipe.zadd(f"{self.key}:owners:{fingerprint}", {key: time.time()}, nx=True)
            pipe.hset(f"{self.key}:files", file_key, len(checked))
            pipe.execute()

    def _hmget(self, name: str, fields: Iterable[str]) -> dict[str, str | None]:
        """Return ``field -> value`` (decoded, None when absent) of the hash ``name``."""
        ordered = list(dict.fromkeys(fields))
        found: dict[str, str | None] = {}
        for start in range(0, len(ordered), HMGET_CHUNK):
            chunk = ordered[start : start + HMGET_CHUNK]
            values = self._db.hmget(f"{self.key}:{name}", chunk)
            for field, value in zip(chunk, values, strict=True):
                found[field] = value.decode() if value is not None else None
        return found

    def register_rejects(
        self, records: Sequence[Mapping[str, Any]], path: Path | None = None
    ) -> None:
        """As ``StateStore.register_rejects``: pages that gave no record, with their kind;
        a page rejected before has one failure more; with ``path``, the rejects file and
        its pages all or nothing, once.

        One script reads and writes every page (and the file), so the streak of a page
        that two workers register at once grows by two, not one."""
        now = _now()
        args = [_file_key(path) if path is not None else ""]
        for record in records:
            when = record.get("rejected_at") or now
            args += [record["url"], record["kind"], record.get("lastmod") or "", when]
        with self._errors("register rejects"):
            self._rejects(
                keys=[f"{self.key}:rejected", f"{self.key}:rejects_files"],
                args=args,
                client=self._db,
            )

    def tracks_rejects_files(self) -> bool:
        """As ``StateStore.tracks_rejects_files``."""
        with self._errors("read"):
            return bool(self._db.hexists(f"{self.key}:meta", REJECTS_TRACKED))

    def adopt_rejects_files(self, paths: Iterable[Path]) -> None:
        """As ``StateStore.adopt_rejects_files``: the files count as registered, their
        pages are not registered again."""
        keys = {_file_key(path): 0 for path in paths}
        with self._errors("adopt rejects files"):
            pipe = self._db.pipeline(transaction=True)
            for key in keys:
                pipe.hsetnx(f"{self.key}:rejects_files", key, 0)
            pipe.hset(f"{self.key}:meta", REJECTS_TRACKED, _now())
            pipe.execute()

    def note_seen(self, url: str, lastmod: str | None) -> bool:
        """As ``StateStore.note_seen``: a known article fetched again and unchanged; its
        reject is forgotten unless it is a content reject."""
        with self._errors(f"note {url}"), self._writer():
            article = self._find(url)
            if article is None:
                return False
            stored = article.lastmod
            if lastmod is not None and lastmod_changed(stored, lastmod):
                stored = lastmod
            updated = {**article.__dict__, "lastmod": stored, "last_seen": _now()}
            self._db.hset(f"{self.key}:articles", article.url, json.dumps(updated))
            if self.failed_before(url) is not None:
                self._db.hdel(f"{self.key}:rejected", url)
        return True

    def reconcile(self, output_root: Path, site: str) -> list[Path]:
        """As ``StateStore.reconcile``: register the published files not registered yet."""
        return register_unregistered(self, output_root, site)

    def clear(self) -> int:
        """Delete every state key of the site; return how many keys went."""
        with self._errors("clear"):
            return _delete_matching(self._db, f"{self.key}:*", keep_prefixes=("lease:",))


def _delete_matching(client: Any, pattern: str, keep_prefixes: tuple[str, ...] = ()) -> int:
    """Delete the keys matching ``pattern`` (SCAN, not KEYS) except the kept ones."""
    base = pattern.rstrip("*")
    doomed = [
        key
        for key in client.scan_iter(match=pattern, count=500)
        if not key.decode().removeprefix(base).startswith(keep_prefixes)
    ]
    for start in range(0, len(doomed), 500):
        client.delete(*doomed[start : start + 500])
    return len(doomed)


class RedisLease:
    """A run lease in Redis: ``<prefix>:<site>:lease:<worker>``, renewed while held.

    ``acquire`` sets the key only if absent (with a time to live of ``ttl`` seconds) and
    writes the holder's pid, host and start; a daemon thread renews it every ``ttl / 3``.
    ``AlreadyRunning`` (exit 75) names the holder when the key exists. A holder that dies
    stops renewing, and the key expires ``ttl`` seconds later.
    """

    def __init__(
        self, client: Any, prefix: str, site: str, worker: str, *, ttl: float = 30.0
    ) -> None:
        if not NAME_PART.fullmatch(worker):
            raise ValueError(f"worker name {worker!r} is not a plain file-name part")
        self.client = client
        self.site = site
        self.worker = worker
        self.key = f"{site_prefix(prefix, site)}:lease:{worker}"
        self.ttl = ttl
        self._token: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_lost: Callable[[], None] | None = None
        """Called once (from the renewal thread) if the lease was lost while held: the
        holder must stop, since the other workers take its requests back."""

    @property
    def held(self) -> bool:
        """Whether this object holds the lease now."""
        return self._token is not None

    def acquire(self) -> None:
        """Take the lease or raise ``AlreadyRunning``; ``RuntimeError`` when held already."""
        if self._token is not None:
            raise RuntimeError(f"lease {self.key} is already held by this object")
        token = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": _now(),
                "id": uuid.uuid4().hex,
            }
        )
        import redis

        try:
            taken = self.client.set(self.key, token, nx=True, px=int(self.ttl * 1000))
        except redis.RedisError as exc:  # a full Redis (maxmemory) answers OOM here first
            raise StateError(
                f"Redis refused the run lease {self.key}: {exc} (a full Redis: raise "
                "maxmemory, or free memory, with maxmemory-policy noeviction)"
            ) from exc
        if not taken:
            raw = self.client.get(self.key)
            holder = json.loads(raw) if raw else {}
            raise AlreadyRunning(
                f"{self.site}/{self.worker}",
                Path(self.key),
                pid=holder.get("pid"),
                host=holder.get("host"),
                since=holder.get("since"),
            )
        self._token = token
        self._stop.clear()
        self._thread = threading.Thread(target=self._renew, name="newscrawl-lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            token = self._token
            if token is None:
                return
            try:
                renewed = self.client.eval(_RENEW, 1, self.key, token, int(self.ttl * 1000))
            except Exception:  # Redis away for a moment: try again on the next beat
                continue
            if not renewed:  # expired (Redis away too long, restarted empty, flushed)
                if self.on_lost is not None:
                    self.on_lost()
                return  # a lost lease is not taken back: another run may hold it now

    def release(self) -> None:
        """Stop renewing and delete the lease if it is still ours. Idempotent."""
        token, self._token = self._token, None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if token is not None:
            with suppress(Exception):  # if Redis is away, the lease expires by itself
                self.client.eval(_RELEASE, 1, self.key, token)
