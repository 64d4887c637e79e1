"""What a crawl needs from its state and its run lock, so that another backend can serve it.

:class:`StateBackend` is the state of one site (``newscrawl.storage.state.StateStore`` on
SQLite is the default); :class:`RunGuard` keeps a site to one run at a time
(``newscrawl.storage.runlock.RunLock``, an ``flock``). :func:`open_site_state` picks and
opens both from the crawl's settings; ``newscrawl.extensions.SiteState`` calls it once per
crawl and closes both when the crawl ends. URLs passed in are canonical
(``newscrawl.identity.canonicalize_url``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

CONTENT_REJECTS: Final = frozenset({"invalid", "not-article", "no-body"})
"""Reject kinds caused by the page itself: not fetched again until the page changes.

Not ``empty``: an empty 200 is often momentary (a cache or a deploy), so the next run
tries the page again. Nor ``truncated`` or the download errors: docs/operations.md
promises those pages are fetched again by the next run. A state remembers the rejects of
those other kinds too, only to tell that a page failed before (``failed_before``), and
how many runs in a row it failed (``failure_streak``), for the failed-page backoff.
"""

FAILED_PAGE_BACKOFF: Final = 3600.0
"""Seconds: the base of the failed-page backoff (``NEWSCRAWL_FAILED_PAGE_BACKOFF``), see
``retry_due``."""

FAILED_PAGE_BACKOFF_MAX: Final = 7 * 86400.0
"""Seconds: the longest wait of the failed-page backoff
(``NEWSCRAWL_FAILED_PAGE_BACKOFF_MAX``)."""


@dataclass(frozen=True)
class FailureStreak:
    """How a page that the next run retries has been failing."""

    failures: int
    """Runs in a row whose reject of the page was registered (1 after the first)."""
    last_try: str
    """When the page last failed: the start of that run, ISO 8601 UTC."""


def retry_due(
    streak: FailureStreak, base: float, cap: float, now: datetime | None = None
) -> datetime | None:
    """Return when a page failing as ``streak`` says may be fetched again, or None when
    at once.

    The first retry is the next run (one failure: None). After ``n`` failures in a row
    the page waits ``min(base * 2 ** (n - 1), cap)`` seconds from its last try: with a
    base of an hour, 2 h after the second failure, 4 h after the third... A ``base`` or
    ``cap`` of 0 turns the backoff off; so does a last try that is not an aware ISO 8601
    date-time, and a last try later than ``now`` (by default the current time: the clock
    went back since, or ran ahead then), as waiting from it would hold the page past
    ``cap`` from now.

    >>> streak = FailureStreak(3, "2016-03-25T09:00:00+00:00")
    >>> retry_due(streak, 3600, 7 * 86400).isoformat()
    '2016-03-25T13:00:00+00:00'
    >>> retry_due(FailureStreak(1, "2016-03-25T09:00:00+00:00"), 3600, 7 * 86400) is None
    True
    """
    if streak.failures < 2 or base <= 0 or cap <= 0:
        return None
    try:
        last = datetime.fromisoformat(streak.last_try)
    except (TypeError, ValueError):
        return None
    if last.utcoffset() is None or last > (now or datetime.now(UTC)):
        return None
    wait = min(base * 2.0 ** min(streak.failures - 1, 64), cap)
    return last + timedelta(seconds=wait)


class Verdict(StrEnum):
    """What the state says of a page a run could fetch (``StateBackend.verdict``)."""

    FETCH = "fetch"
    """Unknown, changed since it was written or rejected, or failed and due again."""
    KNOWN = "known"
    """Written (or rejected for its content) and not changed since, as far as the given
    lastmod tells."""
    DEFERRED = "deferred"
    """Failed in runs in a row and waits out its failed-page backoff (``retry_due``)."""


@dataclass(frozen=True)
class PageFacts:
    """What a state remembers of one page, read in one lookup: the input of
    :func:`judge`."""

    known: bool
    """An article is known under the page's URL (it was written)."""
    article_lastmod: str | None = None
    """The known article's lastmod, when ``known``."""
    reject_kind: str | None = None
    """The kind of the page's last reject, or None when it has none."""
    reject_lastmod: str | None = None
    """The lastmod stored with that reject."""
    failures: int = 1
    """Runs in a row the page failed (the reject's streak)."""
    rejected_at: str = ""
    """When it last failed: ISO 8601 UTC."""


def judge(
    facts: PageFacts,
    lastmod: str | None,
    backoff: tuple[float, float] = (0.0, 0.0),
    now: datetime | None = None,
) -> Verdict:
    """Return the verdict on a page that the state remembers as ``facts``, offered with
    ``lastmod`` (a feed's or sitemap's date, or None).

    ``KNOWN`` when an article is known, or the page's last reject is a content reject
    (``CONTENT_REJECTS``), and ``lastmod`` does not show a change since the stored date
    (no ``lastmod`` never does; see ``lastmod_changed``). The stored date is the article's,
    or the reject's when there is no article; when both are there (a written article whose
    page later, once dated later, gave a content reject: a record forgets the page's
    reject, so the reject came after it), the later of the two, so such a page waits for
    its next change like any content reject. A written article whose last reject is a
    failure dated later than the article (its later version failed to download) counts
    as changed, offered a date or not: the next runs try it again, although no entry point
    dates it any more. Otherwise ``DEFERRED`` when the
    page's last reject is of another kind and its failure streak waits out the backoff
    (``retry_due`` with ``backoff`` = (base, cap) seconds, at ``now``, by default the
    current time; ``(0, 0)`` turns it off); else ``FETCH``.

    >>> judge(PageFacts(known=False), None)
    <Verdict.FETCH: 'fetch'>
    >>> judge(PageFacts(known=True, article_lastmod="2016-03-24"), "2016-03-24")
    <Verdict.KNOWN: 'known'>
    """
    kind = facts.reject_kind
    failed = kind is not None and kind not in CONTENT_REJECTS
    if facts.known or (kind is not None and not failed):
        stored = facts.article_lastmod if facts.known else facts.reject_lastmod
        if facts.known and kind is not None:
            if failed:  # a later version whose fetch failed is still to come
                lastmod = _later(lastmod, facts.reject_lastmod)
            else:
                stored = _later(stored, facts.reject_lastmod)
        if lastmod is None or not lastmod_changed(stored, lastmod):
            return Verdict.KNOWN
    if failed and backoff[0] > 0 and backoff[1] > 0:
        due = retry_due(FailureStreak(facts.failures, facts.rejected_at), *backoff, now)
        if due is not None and (now or datetime.now(UTC)) < due:
            return Verdict.DEFERRED
    return Verdict.FETCH


def _later(first: str | None, second: str | None) -> str | None:
    """Return the later of two stored dates: ``second`` when ``first`` is None or
    ``lastmod_changed(first, second)``, else ``first`` (None only when both are)."""
    if second is None:
        return first
    if first is None or lastmod_changed(first, second):
        return second
    return first


@dataclass(frozen=True)
class RecordVerdict:
    """The state's answer on one record to write (``StateBackend.dedup``)."""

    status: str
    """``new`` (no article under any of its keys), ``unchanged`` (the stored text has the
    record's fingerprint) or ``revision`` (it has another)."""
    revision: int
    """The record's revision: 1 when new, the stored one when unchanged, one more when a
    revision."""
    claimed: bool = True
    """The page is reserved for this writer; False when another live writer of the crawl
    claimed one of its keys. Not asked (True) when unchanged."""
    owner: str | None = None
    """The key URL of the first-registered article with the record's text, other than the
    page itself, or None. Not asked (None) when unchanged or not claimed."""


def classified(stored: tuple[str, int] | None, fingerprint: str) -> tuple[str, int]:
    """Return what a record with ``fingerprint`` is, given its page's stored (fingerprint,
    revision), or None when the page is unknown: ``("new", 1)``, ``("unchanged", r)`` or
    ``("revision", r + 1)``.

    >>> classified(("f1", 2), "f2")
    ('revision', 3)
    """
    if stored is None:
        return ("new", 1)
    if stored[0] == fingerprint:
        return ("unchanged", stored[1])
    return ("revision", stored[1] + 1)


def as_aware(value: str) -> datetime | None:
    """Return ``value`` as an aware datetime, or None when it is not an aware ISO date-time."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def lastmod_changed(stored: str | None, given: str) -> bool:
    """Tell whether the lastmod ``given`` shows a change since the ``stored`` one.

    True when nothing is stored. Both are compared as aware datetimes; when either is not
    an aware ISO 8601 date-time, True when the two strings differ (spaces around them
    ignored).

    >>> lastmod_changed("2016-03-24T10:00:00+03:00", "2016-03-24T07:00:00+00:00")
    False
    """
    if stored is None:
        return True
    before, after = as_aware(stored), as_aware(given)
    if before is not None and after is not None:
        return after > before
    return stored.strip() != given.strip()


@runtime_checkable
class StateBackend(Protocol):
    """The state of one site: which pages earlier runs wrote, and which files hold them.

    Every method raises ``newscrawl.storage.state.StateError`` when the backend fails.
    """

    def should_fetch(self, url: str, lastmod: str | None) -> bool:
        """Tell whether the page may have changed since it was written or rejected (for a
        content reject; a page whose last reject is of another kind is fetched again):
        ``verdict`` without the backoff is not ``KNOWN``."""
        ...

    def verdict(
        self,
        url: str,
        lastmod: str | None,
        backoff: tuple[float, float] = (0.0, 0.0),
        now: datetime | None = None,
    ) -> Verdict:
        """Return whether a run should fetch the page, with one lookup of the state: as
        :func:`judge` says of what the state remembers of ``url``."""
        ...

    def prefetch(self, urls: Iterable[str]) -> None:
        """Read at once what the next ``verdict`` of each of ``urls`` will ask, so that
        judging a sitemap's chunk, a listing or a feed page by page costs one read, not
        one a page. What an earlier call read and no ``verdict`` asked for is forgotten.
        A backend whose reads cost no round trip may do nothing."""
        ...

    def failed_pages(self) -> list[str]:
        """Return, sorted, the URLs of the pages whose last reject is not a content reject
        (``CONTENT_REJECTS``: a download error, an empty or cut answer...): the pages a
        run tries again (when ``verdict`` says they are due) whether or not an entry
        point still links them."""
        ...

    def classify(self, url: str, fingerprint: str) -> tuple[str, int]:
        """Return ``("new", 1)``, ``("unchanged", r)`` or ``("revision", r + 1)``."""
        ...

    def fingerprint_owner(self, fingerprint: str, exclude_url: str | None = None) -> str | None:
        """Return the key URL of the first article written with ``fingerprint``, or None."""
        ...

    def dedup(
        self,
        keys: Sequence[str],
        fingerprint: str,
        *,
        note: bool = False,
        lastmod: str | None = None,
    ) -> RecordVerdict:
        """Answer, with one question to the state (one script in Redis, one transaction in
        SQLite), all the dedup step asks of a record whose page is known by ``keys`` (the
        page's key URL first): ``classify`` under the first key an article is known by (in
        that order); unless unchanged, ``claim`` of all the keys; when claimed, the
        ``fingerprint_owner`` of its text other than the article known under ``keys[0]``.
        With ``note``, an unchanged page is also noted as ``note_seen(keys[0], lastmod)``
        notes it (in Redis, in the same script)."""
        ...

    def note_seen(self, url: str, lastmod: str | None) -> bool:
        """Record that a known article was fetched again unchanged; False when unknown."""
        ...

    def claim(self, keys: Iterable[str]) -> bool:
        """Reserve the page known by ``keys`` for this run's writer; False when another live
        writer of the same crawl has claimed one of them (it writes the page)."""
        ...

    def register_batch(self, path: Path, records: Sequence[Mapping[str, Any]]) -> None:
        """Remember a published output file and the articles in it, all or nothing."""
        ...

    def register_rejects(
        self, records: Sequence[Mapping[str, Any]], path: Path | None = None
    ) -> None:
        """Remember pages that gave no record, with their reject's ``kind`` (and ``lastmod``
        and ``rejected_at``, the start of the run, when given): a page of a
        ``CONTENT_REJECTS`` kind is then known (``should_fetch``); any other is fetched
        again, and ``failed_before`` tells it failed. Each page's failure streak grows by
        one (``failure_streak``), also when other workers register the page at the same
        time. With ``path`` (the published rejects file that holds them) the file and its
        pages register all or nothing, once: ``reconcile`` registers the files a dead run
        left unregistered."""
        ...

    def failed_before(self, url: str) -> str | None:
        """Return the kind of the page's last reject when it is one the next run retries
        (not of ``CONTENT_REJECTS``) and no record of the page was written since; else None."""
        ...

    def failure_streak(self, url: str) -> FailureStreak | None:
        """Return how many runs in a row the page failed and when it was last tried, when
        ``failed_before`` tells it failed; else None. Each registration of a reject of the
        page counts one failure (one a run); a record of the page written ends the streak."""
        ...

    def reconcile(self, output_root: Path, site: str) -> list[Path]:
        """Register published output files (records and rejects) a dead run left
        unregistered; return them."""
        ...

    def close(self) -> None:
        """Release the backend's resources. Idempotent."""
        ...


@runtime_checkable
class RunGuard(Protocol):
    """One run at a time per site: ``acquire`` raises
    ``newscrawl.storage.runlock.AlreadyRunning`` while another run holds it."""

    @property
    def held(self) -> bool:
        """Whether this object holds the guard now."""
        ...

    def acquire(self) -> None:
        """Take the guard without waiting, or raise ``AlreadyRunning``."""
        ...

    def release(self) -> None:
        """Give the guard up. Idempotent."""
        ...


def open_site_state(
    state_dir: str | Path | None,
    site: str,
    *,
    redis_url: str | None = None,
    redis_prefix: str = "newscrawl",
    worker: str = "",
    lease_seconds: float = 30.0,
    redis_retries: int = 6,
    before_open: Callable[[], object] | None = None,
) -> tuple[RunGuard, StateBackend] | None:
    """Take the run lock of ``site`` and open its state; None when there is neither a
    ``redis_url`` nor a ``state_dir``.

    With ``redis_url`` (distributed mode) the lock is the lease of ``worker`` in Redis and
    the state is Redis's (``newscrawl.storage.redis_state``); otherwise the lock is an
    ``flock`` and the state an SQLite file in ``state_dir``. The lock guards the state, so
    it is taken first and released again when the state cannot be opened. ``before_open``
    is called once the lock is held and before the state is opened or created (a crawl
    takes its output folder's lock there); what it raises releases the lock too, and the
    state is not touched. Raises ``AlreadyRunning`` (another run holds the lock),
    ``StateError`` (unusable state, no Redis) or ``ValueError`` (a site or worker that is
    not a file-name part, a bad URL), and whatever ``before_open`` raises.
    """
    if redis_url:
        from newscrawl.storage.redis_state import RedisLease, RedisStateStore, connect

        client = connect(redis_url, redis_retries)
        lease = RedisLease(client, redis_prefix, site, worker, ttl=lease_seconds)
        lease.acquire()
        try:
            if before_open is not None:
                before_open()
            store = RedisStateStore(client, redis_prefix, site, label=redis_url, worker=worker)
            return lease, store
        except BaseException:
            lease.release()
            raise
    if not state_dir:
        return None
    from newscrawl.storage.runlock import RunLock
    from newscrawl.storage.state import StateStore

    lock = RunLock.for_site(Path(state_dir), site)
    lock.acquire()
    try:
        if before_open is not None:
            before_open()
        store = StateStore.for_site(Path(state_dir), site)
    except BaseException:
        lock.release()
        raise
    return lock, store
