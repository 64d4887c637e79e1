"""One crawl run at a time per site and state folder, and one writer per output folder.

``RunLock`` holds an exclusive ``flock`` on ``<state_dir>/<site>.lock`` for the length of a
run and writes the holder's pid, host and start time into the file, so that a second run
started by cron meanwhile can say who is in its way and exit with ``EXIT_ALREADY_RUNNING``.
The portal spider takes it as a crawl starts (whatever started the crawl: ``newscrawl crawl``,
``scrapy crawl``, scrapyd) and releases it as the crawl closes.

``RunLock.for_output`` is the same lock on ``<output_root>/<site>/.newscrawl.lock``: a
crawl holds it for its whole length (``SiteState``, or the ``OutputLock`` extension without
a state), so two runs with different state folders still cannot write (and double) the same
output folder, and ``newscrawl state rebuild`` holds it while it reads the folder.

The kernel releases a ``flock`` when its holder's last file descriptor closes, which
includes the process dying in any way (``SIGKILL``, OOM killer), so a stale lock file never
blocks a later run: only a live holder does. The lock file itself is never removed (removing
it would let two runs lock two different files of the same name). ``flock`` is advisory and
local: it does not guard a state folder shared over NFS between hosts.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from newscrawl.storage.output import NAME_PART

EXIT_ALREADY_RUNNING = 75
"""Exit status when another run holds the lock: ``EX_TEMPFAIL``, "try again later"."""

OUTPUT_LOCK_NAME = ".newscrawl.lock"
"""File name of the output folder's lock, in ``<output_root>/<site>/``."""

_READ_ATTEMPTS = 5
_READ_PAUSE = 0.02


class AlreadyRunning(Exception):
    """Another live process holds the run lock; the message names its pid and start time."""

    exit_code = EXIT_ALREADY_RUNNING
    """The exit status a command should end with."""

    def __init__(
        self,
        site: str,
        path: Path,
        pid: int | None = None,
        host: str | None = None,
        since: str | None = None,
        doing: str = "is in progress",
    ) -> None:
        """Keep what is known of the holder; any part may be None when the file was empty.

        ``doing`` completes "another newscrawl run for SITE ..." in the message.
        """
        self.site = site
        self.path = path
        self.pid = pid
        self.host = host
        self.since = since
        holder = f"pid {pid if pid is not None else 'unknown'}"
        if since:
            holder += f" since {since}"
        super().__init__(f"another newscrawl run for {site!r} {doing} ({holder}); exiting")


class RunLock:
    """An exclusive, non-blocking lock on one lock file, usable as a context manager.

    ``with RunLock(path):`` acquires on entry (or raises ``AlreadyRunning`` at once) and
    releases on exit, whether the block ends normally or by an exception.
    """

    def __init__(
        self, path: Path, *, site: str | None = None, doing: str = "is in progress"
    ) -> None:
        """Prepare the lock on ``path``; touches no file. ``site`` defaults to the file's stem;
        ``doing`` says, in ``AlreadyRunning``'s message, what the holder is doing."""
        self.path = Path(path)
        self.site = site if site is not None else self.path.stem
        self.doing = doing
        self._fd: int | None = None

    @classmethod
    def for_site(cls, state_dir: Path, site: str) -> RunLock:
        """Return the lock of ``site`` in ``state_dir``: ``<state_dir>/<site>.lock``.

        Raises ``ValueError`` when ``site`` is not a plain file-name part.
        """
        if not NAME_PART.fullmatch(site):
            raise ValueError(f"site {site!r} is not a plain file-name part")
        return cls(Path(state_dir) / f"{site}.lock", site=site)

    @classmethod
    def for_output(cls, output_root: Path, site: str) -> RunLock:
        """Return the lock of ``site``'s output folder: ``<output_root>/<site>/.newscrawl.lock``.

        Hidden, and not in a day folder, so no reader's ``*/*.jsonl`` glob sees it. Raises
        ``ValueError`` when ``site`` is not a plain file-name part.
        """
        if not NAME_PART.fullmatch(site):
            raise ValueError(f"site {site!r} is not a plain file-name part")
        folder = Path(output_root) / site
        return cls(
            folder / OUTPUT_LOCK_NAME, site=site, doing=f"is in progress, writing to {folder}"
        )

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock without waiting and write this process's pid, host and start time.

        Creates the lock file and its parent folders if missing. Raises ``AlreadyRunning``
        when another open file holds the lock (in this process or another),
        ``RuntimeError`` when this object holds it already, and ``OSError`` when the file
        cannot be opened or locked for another reason.
        """
        if self._fd is not None:
            raise RuntimeError(f"run lock {self.path} is already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # No O_TRUNC: until we hold the lock, the file's contents are the holder's.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                holder = self._read_holder()
                raise AlreadyRunning(
                    self.site,
                    self.path,
                    pid=_int_or_none(holder.get("pid")),
                    host=_str_or_none(holder.get("host")),
                    since=_str_or_none(holder.get("since")),
                    doing=self.doing,
                ) from None
            raise
        try:
            info = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(info) + "\n").encode("utf-8"), 0)
        except BaseException:
            os.close(fd)  # closing releases the lock
            raise
        self._fd = fd

    def release(self) -> None:
        """Empty the lock file and release the lock. Idempotent."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with suppress(OSError):  # close() releases the lock whatever happens here
                os.ftruncate(fd, 0)
        finally:
            os.close(fd)

    def __enter__(self) -> Self:
        """Acquire the lock and return this object."""
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Release the lock."""
        self.release()

    def _read_holder(self) -> dict[str, Any]:
        """Return the holder's info from the lock file, or ``{}`` when it cannot be read.

        The holder writes its info just after locking, so an empty file is read again a few
        times, briefly, before giving up.
        """
        for attempt in range(_READ_ATTEMPTS):
            try:
                text = self.path.read_text(encoding="utf-8")
            except OSError:
                return {}
            if text.strip():
                try:
                    info = json.loads(text)
                except ValueError:
                    return {}
                return info if isinstance(info, dict) else {}
            if attempt < _READ_ATTEMPTS - 1:
                time.sleep(_READ_PAUSE)
        return {}


def _int_or_none(value: Any) -> int | None:
    """Return ``value`` if it is an int (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: Any) -> str | None:
    """Return ``value`` if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None
