"""Write records to JSON Lines files that appear only when they are complete.

Layout: ``<root>/<site>/<day>/<run_id>-<seq:04d>.jsonl`` for records and
``<root>/<site>/<day>/rejects/<run_id>-<seq:04d>.jsonl`` for rejects (``.jsonl.gz`` when
compressed). A batch is written to a hidden temp file (``.<run_id>-<seq>.part``) in the same
folder and published by ``os.replace`` after ``fsync``, so a reader (or a crash) never sees a
partial file under a final name. See ``docs/output.md``.

Why our own writer instead of Scrapy's feed exports: ``FileFeedStorage`` opens the final file
name directly (in append mode by default), so a reader or a crash can see a partial file;
batches rotate only by item count (``FEED_EXPORT_BATCH_ITEM_COUNT``), not by age; and a failed
store is logged while the crawl goes on. We need publish-on-close by atomic rename, rotation
by count OR age, and a hard stop on disk full.

The writer is not thread-safe; Scrapy calls pipelines from one thread.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

KINDS = ("records", "rejects")
"""The kinds of file a writer can produce."""

NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""What a site name or run id may look like: one file-name part, no leading dot, no colon."""

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
"""A day folder name, ``YYYY-MM-DD``."""

TEMP_SUFFIX = ".part"
"""Suffix of a batch's temp file; its name is ``.`` + final name + this suffix."""

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
"""The encoder of every line (non-ASCII kept, compact, NaN refused), built once: ``json.dumps``
with the same arguments builds a new one for every call, and writes the same text."""

_HINTS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file size limit reached, see `ulimit -f`",
}


class OutputError(Exception):
    """Records could not be written; the message is one line naming the file and the cause."""


@dataclass
class PublishedBatch:
    """A batch file that has been published under its final name."""

    path: Path
    """The final path of the file."""
    count: int
    """Number of records (lines) in the file."""
    records_meta: list[dict] = field(default_factory=list)
    """The ``meta`` passed to ``write()`` for each record, in line order (``{}`` when none)."""


@dataclass
class _OpenBatch:
    """A batch being written to its temp file."""

    final: Path
    temp: Path
    raw: BinaryIO
    stream: BinaryIO | gzip.GzipFile
    started: float
    count: int = 0
    records_meta: list[dict] = field(default_factory=list)


class BatchWriter:
    """Write one run's records of one kind for one site into published batch files.

    ``write()`` appends to the open batch; the batch is published when it holds
    ``max_records`` records, once its first record is ``max_seconds`` old or older (by
    ``clock``), and on ``close()``. Age is checked by ``write()`` and by ``publish_due()``;
    the writer has no timer of its own, so a caller whose writes may pause (a crawl waiting
    on a slow site) calls ``publish_due()`` on one. Each published batch is appended to
    ``published`` and passed to ``on_publish``; exceptions raised by ``on_publish``
    propagate unchanged.

    Errors raise ``OutputError`` and stop the writer (every later ``write()`` raises):

    * a record that cannot be serialised (a ``datetime``, ``set``, NaN, bytes, a lone
      surrogate...) is not written; the open batch's earlier records stay in its temp file
      and ``close()`` still publishes them. Records hold only JSON types by contract
      (``items.py``), so such a record is a bug upstream: stopping keeps it from being
      dropped in silence;
    * an OS error (disk full, quota, file size limit, permission, read-only file system, a
      file where a folder should be) discards the open batch: its temp file is removed and
      its records are neither published nor reported, so the caller can crawl them again.

    Files published earlier are never touched.
    """

    def __init__(
        self,
        root: Path,
        site: str,
        run_id: str,
        *,
        kind: str = "records",
        max_records: int = 5000,
        max_seconds: float = 600.0,
        compress: bool = False,
        on_publish: Callable[[PublishedBatch], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        day: str | None = None,
    ) -> None:
        """Prepare a writer; touches no file. Raises ``ValueError`` for invalid arguments.

        ``site`` and ``run_id`` must match ``NAME_PART``; ``day`` must be ``YYYY-MM-DD`` and
        defaults to today's UTC date, fixed here so that one run stays in one folder.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        for label, value in (("site", site), ("run_id", run_id)):
            if not NAME_PART.fullmatch(value):
                raise ValueError(f"{label} {value!r} is not a plain file-name part")
        if day is None:
            day = datetime.now(UTC).date().isoformat()
        if not DAY.fullmatch(day):
            raise ValueError(f"day {day!r} is not YYYY-MM-DD")
        if max_records < 1:
            raise ValueError(f"max_records must be at least 1, not {max_records}")
        if not max_seconds > 0:
            raise ValueError(f"max_seconds must be positive, not {max_seconds}")
        self.site = site
        self.run_id = run_id
        self.kind = kind
        self.day = day
        day_folder = Path(root) / site / day
        self.folder = day_folder / "rejects" if kind == "rejects" else day_folder
        """The folder all of this writer's files go to."""
        self.max_records = max_records
        self.max_seconds = max_seconds
        self.compress = compress
        self.published: list[PublishedBatch] = []
        """Batches published so far, in order."""
        self._on_publish = on_publish
        self._clock = clock
        self._count = 0
        self._lost = 0
        self._seq = 0
        self._batch: _OpenBatch | None = None
        self._closed = False
        self._stop_reason: str | None = None

    @property
    def count(self) -> int:
        """Records accepted by ``write()`` so far, including any in a batch later discarded."""
        return self._count

    @property
    def lost(self) -> int:
        """Records of batches discarded because writing or publishing them failed (a full
        disk): accepted by ``write()``, never published."""
        return self._lost

    def write(self, record: Mapping[str, Any], meta: dict | None = None) -> None:
        """Append ``record`` as one JSON line to the open batch, publishing as due.

        The record is serialised before anything touches the file, with its keys in its own
        order and non-ASCII text kept literally. ``meta`` is kept (not copied) for
        ``PublishedBatch.records_meta``. Raises ``OutputError`` as described on the class.
        """
        self._check_writable()
        line = self._serialise(record)
        self.publish_due()
        if self._batch is None:
            self._batch = self._open_batch(self._clock())
        batch = self._batch
        try:
            batch.stream.write(line)
        except OSError as exc:
            self._fail(exc, "write", batch.temp)
        batch.count += 1
        batch.records_meta.append(meta if meta is not None else {})
        self._count += 1
        if batch.count >= self.max_records:
            try:
                self._publish()
            except OutputError:
                # This record's write() fails: it was never accepted, nor lost.
                self._count -= 1
                self._lost -= 1
                raise

    def publish_due(self) -> bool:
        """Publish the open batch if its first record is ``max_seconds`` old or older.

        Returns True when it published one. Does nothing once the writer is closed. Raises
        ``OutputError`` if publishing fails, as ``write()`` does.
        """
        batch = self._batch
        if self._closed or batch is None or self._clock() - batch.started < self.max_seconds:
            return False
        self._publish()
        return True

    def close(self) -> list[PublishedBatch]:
        """Publish the open batch if it has records, stop the writer, return ``published``.

        Idempotent: later calls publish nothing and return the same list. Raises
        ``OutputError`` if publishing fails; the batch is then discarded and the writer closed.
        """
        if not self._closed:
            self._closed = True
            if self._batch is not None:
                self._publish()
        return list(self.published)

    def abort(self) -> int:
        """Stop the writer without publishing; remove the open batch's temp file (best effort);
        return how many lines it held.

        Files published earlier stay. Idempotent; ``close()`` afterwards publishes nothing.
        """
        self._closed = True
        lines = self._batch.count if self._batch is not None else 0
        if self._batch is not None:
            self._discard()
        return lines

    def _check_writable(self) -> None:
        """Raise ``OutputError`` if the writer is closed or stopped by an earlier error."""
        if self._stop_reason is not None:
            raise OutputError(
                f"cannot write to {self.folder}: writer stopped after an earlier error "
                f"({self._stop_reason})"
            )
        if self._closed:
            raise OutputError(f"cannot write to {self.folder}: writer is closed")

    def _serialise(self, record: Mapping[str, Any]) -> bytes:
        """Return ``record`` as one UTF-8 JSON line, or stop the writer with ``OutputError``."""
        number = self._count + 1
        if not isinstance(record, Mapping):
            self._stop(
                f"record {number} is a {type(record).__name__}, not a mapping "
                f"(writing to {self.folder})"
            )
        obj = record if isinstance(record, dict) else dict(record)
        try:
            text = _ENCODER.encode(obj)
            return (text + "\n").encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            url = record.get("url") or "<no url>"
            cause = " ".join(str(exc).split()) or type(exc).__name__
            self._stop(
                f"record {number} for {url} cannot be serialised (writing to {self.folder}): "
                f"{cause}"
            )

    def _stop(self, reason: str) -> NoReturn:
        """Refuse further writes, keeping the open batch for ``close()``; raise ``OutputError``."""
        self._stop_reason = reason
        raise OutputError(reason)

    def _file_name(self, seq: int) -> str:
        """Return the final file name of batch ``seq``."""
        suffix = ".jsonl.gz" if self.compress else ".jsonl"
        return f"{self.run_id}-{seq:04d}{suffix}"

    def _open_batch(self, now: float) -> _OpenBatch:
        """Create the temp file of the next free sequence number and return the batch.

        A number is free when neither its final file nor its temp file exists; the temp
        file is created exclusively, so it reserves the number against other writers. The
        writer holds an exclusive ``flock`` on its temp file until it publishes or discards
        it, so ``recover()`` in another process leaves it alone.
        """
        try:
            _make_folders(self.folder)
        except OSError as exc:
            self._fail(exc, "create folder", self.folder)
        while True:
            self._seq += 1
            final = self.folder / self._file_name(self._seq)
            temp = self.folder / temp_name(final.name)
            if os.path.lexists(final):
                continue
            try:
                raw = open(temp, "xb")  # noqa: SIM115 - closed by _publish or _discard
            except FileExistsError:
                continue
            except OSError as exc:
                self._fail(exc, "create", temp)
            if not _try_lock(raw.fileno()):
                raw.close()  # a recover() elsewhere got to it first: it removes it
                continue
            stream: BinaryIO | gzip.GzipFile = raw
            if self.compress:
                # No file name and a zero mtime in the header: equal records, equal bytes.
                stream = gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0
                )
            return _OpenBatch(final=final, temp=temp, raw=raw, stream=stream, started=now)

    def _publish(self) -> None:
        """Sync, close and rename the open batch to its final name, then report it."""
        batch = self._batch
        assert batch is not None
        try:
            if batch.stream is not batch.raw:
                batch.stream.close()
            batch.raw.flush()
            os.fsync(batch.raw.fileno())
            batch.raw.close()
        except OSError as exc:
            self._fail(exc, "write", batch.temp)
        try:
            os.replace(batch.temp, batch.final)
        except OSError as exc:
            self._fail(exc, "publish", batch.final)
        try:
            _fsync_folder(self.folder)
        except OSError as exc:
            # The name may not survive a crash: withdraw it, as its records are not reported.
            # The batch is still open here, so _fail counts its records as lost.
            with suppress(OSError):
                os.unlink(batch.final)
            self._fail(exc, "publish", batch.final)
        self._batch = None
        published = PublishedBatch(batch.final, batch.count, batch.records_meta)
        self.published.append(published)
        if self._on_publish is not None:
            self._on_publish(published)

    def _discard(self) -> None:
        """Close and remove the open batch's temp file, ignoring errors; forget the batch."""
        batch = self._batch
        self._batch = None
        if batch is None:
            return
        for stream in (batch.stream, batch.raw):
            with suppress(OSError, ValueError):
                stream.close()
        with suppress(OSError):
            os.unlink(batch.temp)

    def _fail(self, exc: OSError, action: str, path: Path) -> NoReturn:
        """Discard the open batch, close the writer and raise ``OutputError`` from ``exc``."""
        self._lost += self._batch.count if self._batch is not None else 0
        self._discard()
        self._closed = True
        message = f"cannot {action} {path}: {_describe(exc, path)}"
        self._stop_reason = message
        raise OutputError(message) from exc


def temp_name(final_name: str) -> str:
    """Return the temp file name of a batch: hidden, and without ``.jsonl`` in it.

    ``run1-0001.jsonl.gz`` is written as ``.run1-0001.gz.part``: no glob for ``*.jsonl*``
    matches it, not even DuckDB's, whose ``*`` also matches names starting with a dot.
    """
    return "." + final_name.replace(".jsonl", "", 1) + TEMP_SUFFIX


_TEMP_NAME = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9._-]*-\d{4,}(\.gz)?\.part")


def recover(root: Path, site: str, kind: str | None = None) -> list[Path]:
    """Remove the temp files that a crashed run left under ``<root>/<site>/``; return them.

    Only names like ``.<run>-0001.part`` (also ``.gz``) are touched: with ``kind``
    ``"records"`` only those of records batches (not in a ``rejects`` folder), with
    ``"rejects"`` only those in a ``rejects`` folder, with None both. Of those, only files no
    live writer holds are removed: a writer keeps an exclusive ``flock`` on its temp file,
    and a file whose lock cannot be taken at once is left alone. (Runs take the output
    folder's lock, ``RunLock.for_output``, before they call this; the file locks are a
    second line.) Raises ``OutputError`` if a file cannot be removed, ``ValueError`` for a
    bad site or kind.
    """
    if not NAME_PART.fullmatch(site):
        raise ValueError(f"site {site!r} is not a plain file-name part")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, not {kind!r}")
    removed: list[Path] = []
    for path in sorted((Path(root) / site).rglob(f".*{TEMP_SUFFIX}")):
        if not (_TEMP_NAME.fullmatch(path.name) and path.is_file()):
            continue
        if kind is not None and (path.parent.name == "rejects") != (kind == "rejects"):
            continue
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot remove {path}: {_describe(exc, path)}") from exc
        try:
            if not _try_lock(fd):
                continue  # a live writer's batch
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot remove {path}: {_describe(exc, path)}") from exc
        finally:
            os.close(fd)
        removed.append(path)
    return removed


def held_by_a_live_writer(path: Path) -> bool:
    """Tell whether a batch temp file at ``path`` belongs to a writer that is still running.

    A writer holds an exclusive ``flock`` on its temp file until it publishes or discards
    it; the kernel drops the lock when the writer's process dies, however it dies. So a temp
    file whose lock can be taken was left by a killed run (its records were never published,
    and the site's next crawl removes it). A file that has gone is not held.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
        return False
    finally:
        os.close(fd)  # releases the shared lock taken here, if any


def _try_lock(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` without waiting; False when another holds it.

    Where the file system does not support ``flock`` the answer is True: nothing to respect.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    return True


def _make_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents, syncing the parent of each one created.

    Raises ``NotADirectoryError`` naming the first part that exists but is not a folder.
    """
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        if os.path.lexists(current):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(current))
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            if not path.is_dir():
                raise
            continue
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the folder's entries durable; a no-op where folders cannot be synced."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some file systems refuse fsync on a folder; there is nothing more we can do there.
        if exc.errno != errno.EINVAL:
            raise
    finally:
        os.close(fd)


def _describe(exc: OSError, path: Path) -> str:
    """Return a one-line cause: the OS message, the file it names if not ``path``, a hint."""
    cause = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is not None and os.fsdecode(exc.filename) != str(path):
        cause = f"{cause} ({os.fsdecode(exc.filename)})"
    hint = _HINTS.get(exc.errno or 0)
    return f"{cause} ({hint})" if hint else cause
