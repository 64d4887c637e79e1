"""What earlier runs wrote, per site: the state behind incremental crawls.

One SQLite file per site, ``<state_dir>/<site>.sqlite3``, remembers every article written
(its URL, the page's canonical URL, content fingerprint, last-modified date and revision)
and every output file whose records have been registered. A run asks it whether a URL is
worth fetching (``should_fetch``), what a fetched page is (``classify``) and whether its
text was already published under another URL (``fingerprint_owner``). The output writer's
``on_publish`` callback hands each published file to ``register_batch``; ``reconcile``
registers files published by a run that died before it could do so.

Durability: the database is in WAL mode with ``synchronous=FULL``. Commits are rare (one
per published batch file, one per file in ``reconcile``, one per ``note_seen``), so syncing
the WAL on each commit costs little, and a registration, once committed, survives a power
loss as well as a crash. (With ``NORMAL`` a power loss could roll back the last commits;
``reconcile`` would re-register those files, but ``note_seen`` updates would be lost.)

The store is safe for one writer process at a time (``newscrawl.storage.runlock`` ensures one run
per site and state folder); readers in other processes do not block it. It is not
thread-safe: use it from the thread that opened it.

URLs are compared as given: callers canonicalise them
(``newscrawl.identity.canonicalize_url``, the key of the duplicate filter and the dedup
pipeline too) before asking. An article is known under every URL and canonical URL it was registered
with, so a page reached under two URLs is one article.
"""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn, Self

from newscrawl.identity import canonical_key
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

SCHEMA_VERSION = 1
"""Version of the database layout, kept in ``PRAGMA user_version``. A change that the
versions before can still read and write (a new column with a default, added to older
files as they open: ``ADDED_COLUMNS``) keeps the version."""

APPLICATION_ID = 0x6E637374
"""``PRAGMA application_id`` of a newscrawl state file ("ncst")."""

RECORD_KEYS = ("url", "canonical_url", "fingerprint", "revision", "modified_at", "published_at")
"""The keys ``reconcile`` reads from each line of an output file."""

_SCHEMA = """
CREATE TABLE articles (
    url TEXT PRIMARY KEY,
    canonical_url TEXT,
    fingerprint TEXT NOT NULL,
    lastmod TEXT,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX articles_fingerprint ON articles (fingerprint);
CREATE TABLE aliases (
    alias TEXT PRIMARY KEY,
    url TEXT NOT NULL REFERENCES articles (url)
);
CREATE TABLE files (
    path TEXT PRIMARY KEY,
    records INTEGER NOT NULL,
    registered_at TEXT NOT NULL
);
CREATE TABLE rejected (
    url TEXT PRIMARY KEY,
    lastmod TEXT,
    kind TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE rejects_files (
    path TEXT PRIMARY KEY,
    rejects INTEGER NOT NULL,
    registered_at TEXT NOT NULL
);
"""

ADDED_COLUMNS = (("rejected", "failures", "INTEGER NOT NULL DEFAULT 1"),)
"""Columns added to the layout since files of ``SCHEMA_VERSION`` were first written:
``(table, column, declaration)``; a file that lacks one gets it when it opens."""

ADDED_TABLES = ("rejects_files",)
"""Tables added to the layout since files of ``SCHEMA_VERSION`` were first written (as
``_SCHEMA`` declares them); a file that lacks one gets it when it opens. A file that gets
``rejects_files`` so did not track its rejects files: ``reconcile`` first adopts the
published ones as registered (``REJECTS_TRACKED``)."""

REJECTS_TRACKED = "rejects_files_tracked"
"""Meta key: set when every rejects file registered in this state is in ``rejects_files``
(a new state; an older one after its first ``reconcile``)."""

_ARTICLE_COLUMNS = "url, canonical_url, fingerprint, lastmod, revision, first_seen, last_seen"

_FACTS = """
SELECT articles.url, articles.lastmod, rejected.kind, rejected.lastmod, rejected.failures,
       rejected.rejected_at
FROM (SELECT ? AS page) AS asked
LEFT JOIN aliases ON aliases.alias = asked.page
LEFT JOIN articles ON articles.url = aliases.url
LEFT JOIN rejected ON rejected.url = asked.page
"""
"""What ``verdict`` needs of one page (its article through its alias, its last reject):
always one row."""

_DURATION = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class StateError(Exception):
    """The state file cannot be used or a record cannot be registered; the message says why."""


@dataclass(frozen=True)
class ArticleState:
    """What the state remembers of one article."""

    url: str
    """The URL the article is keyed by: the url of its first registered record."""
    fingerprint: str
    """Fingerprint of the latest registered version."""
    lastmod: str | None
    """ISO 8601 last-modified date as given (sitemap, feed or record), or None."""
    revision: int
    """Revision of the latest registered version, from 1."""
    first_seen: str
    """When the article was first registered, ISO 8601 UTC."""
    last_seen: str
    """When the article was last registered or noted, ISO 8601 UTC."""
    canonical_url: str | None = None
    """The page's declared canonical URL, as last registered, or None."""


def _utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class StateStore:
    """The state of one site: articles written and output files registered.

    Every method raises ``StateError`` (naming the file) when SQLite fails, and after
    ``close()``. Usable as a context manager, which closes it.
    """

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utc_now) -> None:
        """Open (or create, with its parent folders) the state file at ``path``.

        Promises on return: the file is a newscrawl state database of this schema version,
        in WAL mode, that passed SQLite's ``quick_check`` and accepted a write. Otherwise
        raises ``StateError`` with a message naming the file and what to do. ``clock``
        gives the aware time recorded as first/last seen.
        """
        self.path = Path(path)
        self._clock = clock
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and not self.path.is_file():
                raise StateError(f"state file {self.path} is not a file")
            conn = sqlite3.connect(self.path, isolation_level=None)
        except OSError as exc:
            raise StateError(f"cannot open state file {self.path}: {exc}") from exc
        except sqlite3.Error as exc:
            self._unusable(exc)
        self._conn = conn
        try:
            self._prepare(conn)
        except BaseException as exc:
            self._conn = None
            conn.close()
            if isinstance(exc, sqlite3.Error):
                self._unusable(exc)
            raise

    @classmethod
    def for_site(cls, state_dir: Path, site: str) -> StateStore:
        """Open the state of ``site`` in ``state_dir``: ``<state_dir>/<site>.sqlite3``.

        Raises ``ValueError`` when ``site`` is not a plain file-name part.
        """
        if not NAME_PART.fullmatch(site):
            raise ValueError(f"site {site!r} is not a plain file-name part")
        return cls(Path(state_dir) / f"{site}.sqlite3")

    def close(self) -> None:
        """Close the database (WAL checkpointed by SQLite). Idempotent."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Self:
        """Return the store itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    # -- questions -------------------------------------------------------------------

    def get(self, url: str) -> ArticleState | None:
        """Return the article known under ``url`` (as url or canonical URL), or None."""
        with self._errors("read"):
            return self._find(url)

    def should_fetch(self, url: str, lastmod: str | None) -> bool:
        """Tell whether the page at ``url`` may have changed since it was written.

        True for an unknown URL, and for a page never written whose last reject was not a
        content reject (``CONTENT_REJECTS``). For a known one, True only when ``lastmod``
        is given and is later than the stored lastmod (or none is stored; the later of the
        article's and its content reject's when its page later gave one), or when its
        last reject is a failure dated later than the article (a later version that failed
        to download). Both are compared as aware datetimes; when either is not an aware
        ISO 8601 date-time, True when the two strings differ (spaces around them ignored).
        That is, ``verdict`` without the backoff is not ``KNOWN`` (``judge``).
        """
        return self.verdict(url, lastmod) is not Verdict.KNOWN

    def prefetch(self, urls: Iterable[str]) -> None:
        """Do nothing: each ``verdict`` reads SQLite in this process, which costs no round
        trip (``StateBackend.prefetch``)."""

    def verdict(
        self,
        url: str,
        lastmod: str | None,
        backoff: tuple[float, float] = (0.0, 0.0),
        now: datetime | None = None,
    ) -> Verdict:
        """Return whether a run should fetch the page at ``url`` offered with ``lastmod``:
        ``newscrawl.storage.backend.judge`` of what the state remembers of it (its article
        and its last reject, read in one query), with the failed-page ``backoff``
        ((base, cap) seconds; ``(0, 0)`` turns it off) at ``now``."""
        with self._errors("read"):
            row = self._db.execute(_FACTS, (url,)).fetchone()
        article_key, article_lastmod, kind, reject_lastmod, failures, rejected_at = row
        facts = PageFacts(
            known=article_key is not None,
            article_lastmod=article_lastmod,
            reject_kind=kind,
            reject_lastmod=reject_lastmod,
            failures=int(failures) if failures is not None else 1,
            rejected_at=rejected_at or "",
        )
        return judge(facts, lastmod, backoff, now)

    def classify(self, url: str, fingerprint: str) -> tuple[str, int]:
        """Return what a page with ``fingerprint`` at ``url`` is, and its revision.

        ``("new", 1)`` for an unknown URL, ``("unchanged", r)`` when the stored fingerprint
        is equal (``r`` the stored revision), ``("revision", r + 1)`` when it differs.
        """
        article = self.get(url)
        stored = (article.fingerprint, article.revision) if article is not None else None
        return classified(stored, fingerprint)

    def fingerprint_owner(self, fingerprint: str, exclude_url: str | None = None) -> str | None:
        """Return the key URL of the first-registered article with ``fingerprint``, or None.

        The article known under ``exclude_url`` (the page being checked) is left out, so a
        page is never reported as a copy of itself.
        """
        with self._errors("read"):
            return self._owner(fingerprint, exclude_url)

    def _owner(self, fingerprint: str, exclude_url: str | None) -> str | None:
        """``fingerprint_owner`` without the error handling."""
        excluded = self._key(exclude_url) if exclude_url is not None else None
        row = self._db.execute(
            "SELECT url FROM articles WHERE fingerprint = ? AND url IS NOT ? "
            "ORDER BY first_seen, rowid LIMIT 1",
            (fingerprint, excluded if excluded is not None else exclude_url),
        ).fetchone()
        return row[0] if row else None

    def dedup(
        self,
        keys: Sequence[str],
        fingerprint: str,
        *,
        note: bool = False,
        lastmod: str | None = None,
    ) -> RecordVerdict:
        """Answer the dedup step on a record whose page is known by ``keys`` (its key URL
        first), in one read transaction: ``classify`` under the first key an article is
        known by; unless unchanged, the owner of its text other than the page
        (``fingerprint_owner``). Always claimed: one run at a time writes the state. With
        ``note``, an unchanged page is then noted: ``note_seen(keys[0], lastmod)``."""
        db = self._db
        with self._errors("read"):
            db.execute("BEGIN")
            try:
                article = None
                for key in keys:
                    article = self._find(key)
                    if article is not None:
                        break
                stored = (article.fingerprint, article.revision) if article else None
                status, revision = classified(stored, fingerprint)
                owner = None
                if status != "unchanged" and keys:
                    owner = self._owner(fingerprint, keys[0])
            finally:
                if db.in_transaction:  # a read: nothing to keep or roll back
                    db.commit()
        if note and status == "unchanged":
            self.note_seen(keys[0], lastmod)
        return RecordVerdict(status, revision, owner=owner)

    def is_registered(self, path: Path) -> bool:
        """Tell whether the output file at ``path`` (records or rejects) has been registered."""
        key = _file_key(path)
        with self._errors("read"):
            row = self._db.execute(
                "SELECT 1 FROM files WHERE path = ? UNION ALL "
                "SELECT 1 FROM rejects_files WHERE path = ?",
                (key, key),
            ).fetchone()
        return row is not None

    def stats(self) -> dict[str, int]:
        """Return the number of ``articles`` and registered ``files``."""
        with self._errors("read"):
            articles = self._db.execute("SELECT count(*) FROM articles").fetchone()[0]
            files = self._db.execute("SELECT count(*) FROM files").fetchone()[0]
        return {"articles": articles, "files": files}

    # -- changes ---------------------------------------------------------------------

    def claim(self, keys: Iterable[str]) -> bool:
        """Return True: one run at a time writes a site's SQLite state (the run lock), so
        no other writer can be writing the page."""
        return True

    def register_batch(self, path: Path, records: Sequence[Mapping[str, Any]]) -> None:
        """Remember the published file at ``path`` and every article in ``records``.

        All or nothing, in one transaction; a path registered before is left as it is.
        Each record needs ``url`` and ``fingerprint`` (non-empty strings); it may give
        ``canonical_url``, ``revision`` (int >= 1; when missing it is worked out as in
        ``classify``) and ``lastmod``, ``modified_at`` or ``published_at`` (the first one
        set is the lastmod). An article is upserted by url, else by canonical URL; a record
        with a lower revision than the stored one does not replace the stored version.
        Raises ``StateError`` naming the file and record for a record that breaks this.
        """
        key = _file_key(path)
        with self._errors(f"register {path}"), self._transaction():
            if self._db.execute("SELECT 1 FROM files WHERE path = ?", (key,)).fetchone():
                return
            now = self._now()
            for number, record in enumerate(records, start=1):
                self._upsert(_checked(record, number, path), now)
            self._db.execute(
                "INSERT INTO files (path, records, registered_at) VALUES (?, ?, ?)",
                (key, len(records), now),
            )

    def register_rejects(
        self, records: Sequence[Mapping[str, Any]], path: Path | None = None
    ) -> None:
        """Remember pages that gave no record (``url``, ``kind``, ``lastmod``).

        ``should_fetch`` treats a page of a content reject (``CONTENT_REJECTS``: invalid
        record, not an article, no body) like a known article: fetched again only when a
        feed or sitemap says it changed. A page of any other kind (a download error, a cut
        page) is fetched again by the next run; ``failed_before`` tells that it failed.
        Writing a record of the page forgets its reject. A record may give ``rejected_at``
        (ISO 8601 UTC: the start of the run that rejected it); else it is now. A page
        rejected before has one failure more (``failure_streak``).

        With ``path``, the pages are those of the published rejects file at ``path``: the
        file and its pages register all or nothing, once (a file registered before is
        left as it is, so ``reconcile`` can register what a dead run left out).
        """
        with self._errors("register rejects"), self._transaction():
            now = self._now()
            if path is not None:
                key = _file_key(path)
                if self._db.execute(
                    "SELECT 1 FROM rejects_files WHERE path = ?", (key,)
                ).fetchone():
                    return
                self._db.execute(
                    "INSERT INTO rejects_files (path, rejects, registered_at) VALUES (?, ?, ?)",
                    (key, len(records), now),
                )
            for record in records:
                when = record.get("rejected_at") or now
                self._db.execute(
                    "INSERT INTO rejected (url, lastmod, kind, rejected_at, failures) "
                    "VALUES (?, ?, ?, ?, 1) "
                    "ON CONFLICT (url) DO UPDATE SET lastmod = coalesce(excluded.lastmod, "
                    "lastmod), kind = excluded.kind, rejected_at = excluded.rejected_at, "
                    "failures = rejected.failures + 1",
                    (record["url"], record.get("lastmod"), record["kind"], when),
                )

    def failed_pages(self) -> list[str]:
        """Return, sorted, the URLs of the pages whose last reject is not a content reject
        (``CONTENT_REJECTS``): those a run tries again, linked or not."""
        with self._errors("read"):
            rows = self._db.execute(
                f"SELECT url FROM rejected WHERE kind NOT IN "
                f"({', '.join('?' * len(CONTENT_REJECTS))}) ORDER BY url",
                sorted(CONTENT_REJECTS),
            ).fetchall()
        return [row[0] for row in rows]

    def failed_before(self, url: str) -> str | None:
        """Return the kind of the last reject of the page at ``url`` when it is not a
        content reject and no record of the page was written since, else None."""
        rejected = self._rejected(url)
        if rejected is None or rejected[1] in CONTENT_REJECTS:
            return None
        return rejected[1]

    def failure_streak(self, url: str) -> FailureStreak | None:
        """Return the page's failures in a row and its last try when ``failed_before``
        tells it failed, else None."""
        with self._errors("read"):
            row = self._db.execute(
                "SELECT kind, failures, rejected_at FROM rejected WHERE url = ?", (url,)
            ).fetchone()
        if row is None or row[0] in CONTENT_REJECTS:
            return None
        return FailureStreak(int(row[1]), row[2])

    def _rejected(self, url: str) -> tuple[str | None, str] | None:
        with self._errors("read"):
            row = self._db.execute(
                "SELECT lastmod, kind FROM rejected WHERE url = ?", (url,)
            ).fetchone()
        return (row[0], row[1]) if row else None

    def note_seen(self, url: str, lastmod: str | None) -> bool:
        """Record that a known article was fetched again and found unchanged.

        Sets its last_seen to now and its lastmod to ``lastmod`` when that is given and
        ``should_fetch`` would call it changed, so the next run does not fetch the page
        again for the same lastmod. The page answered with the article known, so a reject
        of ``url`` that is not a content reject (``CONTENT_REJECTS``: a download error, an
        empty or cut answer) is forgotten: it failed no longer, and a later version it was
        fetched for is not waited for any more. Returns False (and changes nothing) for an
        unknown URL.
        """
        with self._errors(f"note {url}"), self._transaction():
            article = self._find(url)
            if article is None:
                return False
            stored = article.lastmod
            if lastmod is not None and lastmod_changed(stored, lastmod):
                stored = lastmod
            self._db.execute(
                "UPDATE articles SET lastmod = ?, last_seen = ? WHERE url = ?",
                (stored, self._now(), article.url),
            )
            self._db.execute(
                f"DELETE FROM rejected WHERE url = ? AND kind NOT IN "
                f"({', '.join('?' * len(CONTENT_REJECTS))})",
                (url, *sorted(CONTENT_REJECTS)),
            )
        return True

    def reconcile(self, output_root: Path, site: str) -> list[Path]:
        """Register the published files of ``site`` that are not registered yet.

        Looks at the record files ``published_files`` lists
        (``<output_root>/<site>/<day>/*.jsonl`` and ``*.jsonl.gz``, no temp files) and the
        rejects files ``published_rejects`` lists, in the order the runs published them
        (``published_history``), and registers each unregistered one from its lines (each
        in its own transaction), as ``register_unregistered`` says. Returns the files it
        registered. Run it before a crawl starts, so that a file published by a run that
        died before registering it is known: its articles are not written again, and its
        rejects count (a content reject is not fetched again; a failure adds to the
        page's streak). Raises ``StateError`` for a file that cannot be read or holds an
        invalid line.
        """
        return register_unregistered(self, output_root, site)

    def tracks_rejects_files(self) -> bool:
        """Tell whether every rejects file registered here is known as registered (a state
        that an older version wrote registered their pages only)."""
        with self._errors("read"):
            row = self._db.execute(
                "SELECT 1 FROM meta WHERE key = ?", (REJECTS_TRACKED,)
            ).fetchone()
        return row is not None

    def adopt_rejects_files(self, paths: Iterable[Path]) -> None:
        """Take the rejects files at ``paths`` as registered, without their pages (an older
        version registered those), and remember that rejects files are tracked from now."""
        with self._errors("adopt rejects files"), self._transaction():
            now = self._now()
            for path in paths:
                self._db.execute(
                    "INSERT OR IGNORE INTO rejects_files (path, rejects, registered_at) "
                    "VALUES (?, 0, ?)",
                    (_file_key(path), now),
                )
            self._set_meta(REJECTS_TRACKED, now)

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- internals -------------------------------------------------------------------

    @property
    def _db(self) -> sqlite3.Connection:
        """The open connection; raises ``StateError`` after ``close()``."""
        if self._conn is None:
            raise StateError(f"state file {self.path} is closed")
        return self._conn

    def _now(self) -> str:
        """Return the clock's time as ISO 8601 UTC, to the second."""
        return self._clock().astimezone(UTC).isoformat(timespec="seconds")

    def _unusable(self, exc: sqlite3.Error) -> NoReturn:
        """Raise ``StateError`` for a state file SQLite cannot use, saying what to do."""
        name = getattr(exc, "sqlite_errorname", None)
        if name is None or name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            raise StateError(
                f"state file {self.path} is not a usable SQLite database ({exc}); move it "
                "aside and the next run starts a new one, re-registering the published "
                "output files"
            ) from exc
        raise StateError(
            f"cannot use state file {self.path} ({exc}); check that the file and its folder "
            "are writable by this user and that no other process holds it"
        ) from exc

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Set the pragmas, check the file and create the schema if the file is new."""
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StateError(
                f"state file {self.path} cannot use WAL mode (journal mode is {mode!r}): the "
                "file or its folder may be read-only, or on a file system without shared "
                "memory such as NFS; put the state folder on a local, writable file system"
            )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        check = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {check}")
        with self._transaction():
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            empty = not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id == 0 and version == 0 and empty:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._set_meta(REJECTS_TRACKED, self._now())
            elif app_id != APPLICATION_ID:
                raise StateError(
                    f"{self.path} is an SQLite database but not a newscrawl state file"
                )
            elif version != SCHEMA_VERSION:
                raise StateError(
                    f"state file {self.path} has schema version {version}; this newscrawl "
                    f"reads version {SCHEMA_VERSION}"
                )
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            for statement in _SCHEMA.split(";"):
                name = statement.split("(")[0].split()[-1] if statement.strip() else ""
                if name in ADDED_TABLES and name not in tables:
                    conn.execute(statement)
            for table, column, declaration in ADDED_COLUMNS:
                names = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if column not in names:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            # A real write, so that a read-only file fails here and not mid-crawl.
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('opened_at', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (self._now(),),
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Run the block in one write transaction: commit on success, else roll back."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if db.in_transaction:  # SQLite may have rolled back already (disk full, I/O)
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn an SQLite error in the block into ``StateError`` naming the file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StateError(f"state file {self.path}: cannot {action}: {exc}") from exc

    def _key(self, url: str) -> str | None:
        """Return the key URL of the article known under ``url``, or None."""
        row = self._db.execute("SELECT url FROM aliases WHERE alias = ?", (url,)).fetchone()
        return row[0] if row else None

    def _find(self, url: str) -> ArticleState | None:
        """Return the article known under ``url``, or None."""
        key = self._key(url)
        if key is None:
            return None
        row = self._db.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE url = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        url_, canonical, fingerprint, lastmod, revision, first_seen, last_seen = row
        return ArticleState(
            url=url_,
            fingerprint=fingerprint,
            lastmod=lastmod,
            revision=revision,
            first_seen=first_seen,
            last_seen=last_seen,
            canonical_url=canonical,
        )

    def _upsert(self, record: _Record, now: str) -> None:
        """Insert or update the article of ``record`` and add its URLs as aliases."""
        existing = self._find(record.url)
        if existing is None and record.canonical_url is not None:
            existing = self._find(record.canonical_url)
        if existing is None:
            key = record.url
            self._db.execute(
                f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    record.canonical_url,
                    record.fingerprint,
                    record.lastmod,
                    record.revision or 1,
                    now,
                    now,
                ),
            )
        else:
            key = existing.url
            revision = record.revision
            if revision is None:
                same = existing.fingerprint == record.fingerprint
                revision = existing.revision if same else existing.revision + 1
            if revision >= existing.revision:
                self._db.execute(
                    "UPDATE articles SET canonical_url = coalesce(?, canonical_url), "
                    "fingerprint = ?, lastmod = coalesce(?, lastmod), revision = ?, "
                    "last_seen = ? WHERE url = ?",
                    (record.canonical_url, record.fingerprint, record.lastmod, revision, now, key),
                )
            else:
                self._db.execute("UPDATE articles SET last_seen = ? WHERE url = ?", (now, key))
        for alias in (record.url, record.canonical_url):
            if alias is not None:
                self._db.execute(
                    "INSERT OR IGNORE INTO aliases (alias, url) VALUES (?, ?)", (alias, key)
                )
                self._db.execute("DELETE FROM rejected WHERE url = ?", (alias,))


@dataclass(frozen=True)
class _Record:
    """The parts of a record the state keeps, checked."""

    url: str
    canonical_url: str | None
    fingerprint: str
    revision: int | None
    lastmod: str | None


def _checked(record: Mapping[str, Any], number: int, path: Path) -> _Record:
    """Return the state's view of ``record``, or raise ``StateError`` naming what is wrong."""

    def fail(problem: str) -> NoReturn:
        raise StateError(f"cannot register {path}: record {number} {problem}")

    if not isinstance(record, Mapping):
        fail(f"is a {type(record).__name__}, not a mapping")
    url = record.get("url")
    if not isinstance(url, str) or not url:
        fail(f"has no url (got {url!r})")
    fingerprint = record.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        fail(f"({url}) has no fingerprint (got {fingerprint!r})")
    canonical = record.get("canonical_url") or None
    if canonical is not None and not isinstance(canonical, str):
        fail(f"({url}) has a canonical_url that is not a string: {canonical!r}")
    if canonical_key(canonical) is None:
        canonical = None  # a site's root: no page's identity (identity.canonical_key)
    revision = record.get("revision")
    if revision is not None and (
        not isinstance(revision, int) or isinstance(revision, bool) or revision < 1
    ):
        fail(f"({url}) has an invalid revision {revision!r}")
    lastmod = record.get("lastmod") or record.get("modified_at") or record.get("published_at")
    if lastmod is not None and not isinstance(lastmod, str):
        fail(f"({url}) has a lastmod that is not a string: {lastmod!r}")
    return _Record(url, canonical, fingerprint, revision, lastmod or None)


def _file_key(path: Path) -> str:
    """Return the key of an output file: its absolute path with symlinks resolved."""
    return str(Path(path).resolve())


def register_unregistered(store: Any, output_root: Path, site: str) -> list[Path]:
    """Register in ``store`` (any state backend) the published files of ``site`` under
    ``output_root`` that it has not registered yet, record files (``register_batch``) and
    rejects files (``register_rejects`` with the file's path), in the order the runs
    published them (``published_history``); return them.

    A store that did not track its rejects files (``tracks_rejects_files`` False: an older
    version registered their pages, not the files) first takes the rejects files
    published so far as registered (``adopt_rejects_files``), so that their pages do not
    count twice. Raises ``ValueError`` for a site that is not a plain file-name part.
    """
    if not NAME_PART.fullmatch(site):
        raise ValueError(f"site {site!r} is not a plain file-name part")
    root = Path(output_root)
    if not store.tracks_rejects_files():
        store.adopt_rejects_files(published_rejects(root, site))
    registered: list[Path] = []
    for kind, path in published_history(root, site):
        if store.is_registered(path):
            continue
        if kind == "rejects":
            store.register_rejects(read_rejects(path), path=path)
        else:
            store.register_batch(path, read_records(path))
        registered.append(path)
    return registered


def published_files(output_root: Path, site: str) -> list[Path]:
    """Return the published record files of ``site`` under ``output_root``, sorted.

    That is ``<output_root>/<site>/<day>/*.jsonl`` and ``*.jsonl.gz``. Rejects files are
    left out, both in their ``<day>/rejects/`` folder (not matched) and under the older name
    ``*.rejects-*``; so are hidden files and folders (such as ``.<name>.part`` temp files)
    and a day folder named ``rejects``.
    """
    folder = Path(output_root) / site
    found = [
        path
        for pattern in ("*/*.jsonl", "*/*.jsonl.gz")
        for path in folder.glob(pattern)
        if not path.name.startswith(".")
        and not path.parent.name.startswith(".")
        and path.parent.name != "rejects"
        and ".rejects-" not in path.name
        and path.is_file()
    ]
    return sorted(found)


def read_records(path: Path) -> list[dict[str, Any]]:
    """Return the ``RECORD_KEYS`` of each JSON line of the output file at ``path``, and
    the ``lastmod`` the state registers for the page (``record_lastmod``).

    ``.gz`` files are decompressed. Lines are split on ``\\n`` only; blank lines are
    skipped. Raises ``StateError`` naming the file (and line) when it cannot be read or a
    line is not a JSON object.
    """
    started = _run_start(path)
    records = []
    for obj in _json_lines(path):
        record = {key: obj.get(key) for key in RECORD_KEYS}
        record["lastmod"] = record_lastmod(obj, started)
        records.append(record)
    return records


def record_lastmod(record: Mapping[str, Any], run_start: datetime | None) -> str | None:
    """Return the date the state registers for the page of a record read back from a
    published file: the page was as written when it was fetched, just before its
    ``crawled_at``, and after its run's start (``run_start``).

    The crawl registered the feed's or sitemap's date of the page, which the file does not
    hold; the record's own date (``modified_at``, else ``published_at``) is often earlier
    (a sitemap dates a page by its last comment or regeneration, a page may show a date
    without a time), and would make the next run fetch the unchanged page once more. So:
    the time it was fetched (its ``crawled_at``, else its run's start) when the record's own
    date is not an aware date-time later than that; else the record's own date. With
    neither a ``crawled_at`` nor a ``run_start`` (a run id that is not a time), the record's
    own date.

    >>> start = datetime(2016, 3, 25, 9, 0, tzinfo=UTC)
    >>> record_lastmod({"modified_at": "2016-03-24"}, start)
    '2016-03-25T09:00:00+00:00'
    >>> record_lastmod({"modified_at": "2016-03-24", "crawled_at": "2016-03-25T09:20:00Z"}, start)
    '2016-03-25T09:20:00+00:00'
    """
    own = record.get("modified_at") or record.get("published_at")
    crawled = record.get("crawled_at")
    fetched = as_aware(crawled) if isinstance(crawled, str) else None
    if fetched is None or (run_start is not None and run_start > fetched):
        fetched = run_start
    if fetched is None:
        return own if isinstance(own, str) and own else None
    moment = as_aware(own) if isinstance(own, str) else None
    if moment is not None and moment > fetched:
        return own  # type: ignore[no-any-return]
    return fetched.isoformat(timespec="seconds")


def _run_start(path: Path) -> datetime | None:
    """Return when the run that published ``path`` started, from its default run id
    (``20261205T115300Z``), or None for a run id that is not a time."""
    run, _ = _run_and_batch(path)
    try:
        return datetime.strptime(run, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def published_rejects(output_root: Path, site: str) -> list[Path]:
    """Return the published rejects files of ``site`` under ``output_root``, sorted.

    That is ``<output_root>/<site>/<day>/rejects/*.jsonl`` and ``*.jsonl.gz``, and the
    older ``<day>/*.rejects-*`` names; hidden files (temp files) are left out.
    """
    folder = Path(output_root) / site
    patterns = ("*/rejects/*.jsonl", "*/rejects/*.jsonl.gz", "*/*.rejects-*.jsonl*")
    found = {
        path
        for pattern in patterns
        for path in folder.glob(pattern)
        if not path.name.startswith(".")
        and not path.parent.name.startswith(".")
        and path.name.endswith((".jsonl", ".jsonl.gz"))
        and path.is_file()
    }
    return sorted(found)


def published_history(output_root: Path, site: str) -> list[tuple[str, Path]]:
    """Return every published file of ``site`` as ``("records" | "rejects", path)``, in
    the order the runs published them.

    Runs are ordered by day folder, then by run id (the default run id is the run's UTC
    start, so it sorts as time does); within a run, its rejects come before its records,
    so that a page with both ends known (as a record written forgets a reject), then by
    batch number.
    """
    files = [("records", p) for p in published_files(output_root, site)]
    files += [("rejects", p) for p in published_rejects(output_root, site)]
    return sorted(files, key=lambda entry: _publish_order(*entry))


def _publish_order(kind: str, path: Path) -> tuple[str, str, int, str, str]:
    """Return the sort key of a published file: day, run id, kind, batch, path."""
    run, seq = _run_and_batch(path)
    day = path.parent.parent.name if path.parent.name == "rejects" else path.parent.name
    return (day, run, 0 if kind == "rejects" else 1, seq.zfill(8), str(path))


def _run_and_batch(path: Path) -> tuple[str, str]:
    """Return the run id and batch number in the name of a published file."""
    stem = path.name.removesuffix(".gz").removesuffix(".jsonl")
    if ".rejects-" in stem:
        run, _, seq = stem.rpartition(".rejects-")
    else:
        run, _, seq = stem.rpartition("-")
    return (run, seq) if run else (stem, "")


def run_time(path: Path) -> str:
    """Return when the run that published ``path`` ran, as ISO 8601 UTC: the time its
    default run id names (``20261205T115300Z``), else the file's modification time."""
    run, _ = _run_and_batch(path)
    try:
        moment = datetime.strptime(run, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        try:
            moment = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError as exc:
            raise StateError(f"cannot read output file {path}: {exc}") from exc
    return moment.isoformat(timespec="seconds")


def read_rejects(path: Path) -> list[dict[str, Any]]:
    """Return the pages of the rejects file at ``path`` as ``register_rejects`` takes them:
    ``url``, ``kind``, ``lastmod`` and ``rejected_at``.

    ``lastmod`` is the line's ``lastmod`` (the feed or sitemap date the crawl knew when it
    wrote the line; older files lack it), else the date of the rejected record
    (``modified_at``, else ``published_at``), else the time of the run (``run_time``): the
    page was as rejected then, so a feed or sitemap date after it is a change. (The crawl
    registers the date it knows when the file is published; a sitemap read after the line
    was written gives a date the line lacks.) ``rejected_at`` is the time of the run. Lines
    without a URL are skipped. Raises ``StateError`` naming the file and line for a file
    that cannot be read or a line without a kind.
    """
    when = run_time(path)
    pages: list[dict[str, Any]] = []
    for number, obj in enumerate(_json_lines(path), start=1):
        url = obj.get("url")
        if not isinstance(url, str) or not url:
            continue
        kind = obj.get("kind")
        if not isinstance(kind, str) or not kind:
            raise StateError(f"rejects file {path} line {number} ({url}) has no kind")
        record = obj.get("record") if isinstance(obj.get("record"), dict) else {}
        dates = (obj.get("lastmod"), record.get("modified_at"), record.get("published_at"))
        lastmod = next((d for d in dates if isinstance(d, str) and d), when)
        pages.append({"url": url, "kind": kind, "lastmod": lastmod, "rejected_at": when})
    return pages


def register_history(store: Any, output_root: Path, site: str) -> tuple[list[Path], int]:
    """Register in ``store`` (any state backend) every published file of ``site``, records
    and rejects, in the order the runs published them (``published_history``), as the
    crawls did; return the records files registered and the number of rejects.

    Files registered before (records or rejects) are skipped. A page with a reject and a
    later record ends known; one with a record and a later reject keeps both, as after the
    crawls.
    """
    if not NAME_PART.fullmatch(site):
        raise ValueError(f"site {site!r} is not a plain file-name part")
    registered: list[Path] = []
    rejects = 0
    for kind, path in published_history(Path(output_root), site):
        if kind == "rejects":
            if store.is_registered(path):
                continue
            pages = read_rejects(path)
            store.register_rejects(pages, path=path)
            rejects += len(pages)
        elif not store.is_registered(path):
            store.register_batch(path, read_records(path))
            registered.append(path)
    return registered, rejects


def _json_lines(path: Path) -> list[dict[str, Any]]:
    """Return the JSON objects of the lines of the output file at ``path`` (see
    ``read_records``)."""
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                data = stream.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise StateError(f"cannot read output file {path}: {exc}") from exc
    objects: list[dict[str, Any]] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise StateError(f"output file {path} line {number} is not JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise StateError(f"output file {path} line {number} is not a JSON object")
        objects.append(obj)
    return objects


def parse_since(value: str, now: datetime) -> datetime:
    """Return the aware UTC moment that ``value`` names.

    ``value`` is a duration before ``now`` (``30m``, ``12h``, ``2d``, ``1w``: a whole number
    and one lower-case unit) or an ISO 8601 date or date-time. A date means midnight UTC;
    a date-time without an offset is taken as UTC. ``now`` must be aware. Raises
    ``ValueError`` with a message showing the accepted forms otherwise, and one saying so
    for a moment outside the years 1 to 9999 (``1000000d``, ``0001-01-01T00:00+01:00``).

    >>> now = datetime(2016, 3, 25, 9, 0, tzinfo=UTC)
    >>> parse_since("2d", now).isoformat()
    '2016-03-23T09:00:00+00:00'
    >>> parse_since("2016-03-01", now).isoformat()
    '2016-03-01T00:00:00+00:00'
    """
    if now.utcoffset() is None:
        raise ValueError("parse_since needs an aware 'now'")
    text = value.strip() if isinstance(value, str) else ""
    try:
        return _parse_since(text, now)
    except OverflowError:
        raise ValueError(
            f"since {value!r} is out of range: a moment between the years 1 and 9999 UTC"
        ) from None
    except ValueError:
        pass
    raise ValueError(
        f"since {value!r} is neither a duration (30m, 12h, 2d, 1w) nor an ISO 8601 date "
        "or date-time (2016-03-01, 2016-03-01T10:00:00+03:00)"
    )


def _parse_since(text: str, now: datetime) -> datetime:
    """Return the moment ``text`` names; ValueError when it names none, OverflowError when
    it names one that a ``datetime`` cannot hold."""
    duration = _DURATION.fullmatch(text)
    if duration:
        amount, unit = duration.groups()
        return (now - timedelta(**{_UNITS[unit]: int(amount)})).astimezone(UTC)
    if not (text and text[0].isdigit()):
        raise ValueError(text)
    if len(text) <= 10 and "T" not in text.upper():
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
