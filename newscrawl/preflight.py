"""Checks a crawl passes before anything is fetched: every problem is one line, exit code 2.

``newscrawl crawl``, ``newscrawl demo`` and ``scrapy crawl`` (so scrapyd jobs too) run
:func:`check_crawl` first. It refuses what would otherwise fail later, with a traceback or
after the crawl had fetched pages it could not keep:

- a profile that is unknown, or a theme (``sahifa``, ``generic``) rather than a portal,
  or a portal with no domains;
- a ``base_url`` that is not an ``http(s)://host`` origin;
- a setting value of the wrong type (``NEWSCRAWL_BATCH_RECORDS=abc``) or out of range
  (``NEWSCRAWL_EXTRACT_TIMEOUT=-1``, ``DOWNLOAD_DELAY=-1``), an unknown log
  level, an unknown ``NEWSCRAWL_*`` name (a typo would otherwise be ignored);
- an output or state folder that cannot be created or written to;
- a state file that exists but cannot be used (corrupt, not a database): the message
  names it and says how to rebuild it from the published output.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.settings import default_settings as scrapy_defaults

from newscrawl import settings as project_defaults


class UsageError(ValueError):
    """A crawl cannot start as asked; the message is one line that says what to change."""


def check_portal(site: str, profile: str | None = None) -> None:
    """Raise UsageError unless ``site`` names a portal profile that can be crawled (it has
    domains: :func:`newscrawl.profiles.portal_problem`) and ``profile`` (if given) a known
    profile."""
    from newscrawl.profiles import ProfileError, load_profile, portal_names, portal_problem

    try:
        found = load_profile(site)
        if profile:
            load_profile(profile)
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    if found.kind != "portal":
        raise UsageError(
            f"{site!r} is a {found.kind} profile, not a portal; portals to crawl: "
            f"{', '.join(portal_names())} (a theme is used with --profile)"
        )
    if problem := portal_problem(found):
        raise UsageError(problem)


def check_base_url(base_url: str | None) -> None:
    """Raise UsageError unless ``base_url`` is None or an ``http(s)://host[:port]`` URL."""
    if base_url is None:
        return
    parts = urlsplit(base_url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise UsageError(
            f"base URL {base_url!r} is not an http(s) origin such as http://127.0.0.1:8000"
        )


def check_writable_folder(path: Path | str, what: str) -> None:
    """Create the folder ``path`` if needed and make sure this user can write in it.

    Raises UsageError naming ``what`` (e.g. ``output folder``) and the folder.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{what} {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".newscrawl-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"{what} {folder} is not writable: {reason}") from None


def _level(value: Any) -> None:
    if isinstance(value, int) or str(value).isdigit():
        return
    if not isinstance(logging.getLevelName(str(value)), int):  # upper case, as Scrapy needs
        raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")


def _extract_processes(value: Any) -> None:
    from newscrawl.workers import worker_count

    try:
        worker_count(value)
    except ValueError:
        raise ValueError("expected a number of processes (0 or more) or auto") from None


def _extract_timeout(value: Any) -> None:
    from newscrawl.workers import extract_timeout

    try:
        extract_timeout(value)
    except ValueError:
        raise ValueError("expected 0 or more seconds (0: no time budget)") from None


def _at_least(
    minimum: float, kind: Callable[[Any], float], unit: str = ""
) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if not kind(value) >= minimum:  # NaN too
            raise ValueError(f"expected {minimum:g} or more{unit}")

    return check


def _positive_seconds(value: Any) -> None:
    seconds = float(value)
    if not (0 < seconds < float("inf")):  # NaN too
        raise ValueError("expected more than 0 seconds")


def _share(value: Any) -> None:
    if not 0 <= float(value) <= 1:
        raise ValueError("expected a share between 0 and 1, such as 0.2")


def _worker(value: Any) -> None:
    from newscrawl.storage.output import NAME_PART

    if not NAME_PART.fullmatch(str(value)):
        raise ValueError("expected a plain file-name part (letters, digits, '.', '_', '-')")


SPECIAL_CHECKS: dict[str, Callable[[Any], None]] = {
    "LOG_LEVEL": _level,
    "NEWSCRAWL_EXTRACT_PROCESSES": _extract_processes,
    "NEWSCRAWL_EXTRACT_TIMEOUT": _extract_timeout,
    "NEWSCRAWL_WORKER": _worker,
    "NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT": _positive_seconds,
    "DOWNLOAD_DELAY": _at_least(0, float, " seconds"),
    "NEWSCRAWL_BATCH_RECORDS": _at_least(1, int),
    "NEWSCRAWL_BATCH_SECONDS": _at_least(0, float),
    "NEWSCRAWL_MAX_ERROR_RATE": _share,
    "NEWSCRAWL_FAILED_PAGE_BACKOFF": _at_least(0, float),
    "NEWSCRAWL_FAILED_PAGE_BACKOFF_MAX": _at_least(0, float),
}
"""Settings whose values need more than the type of their default."""


def _default(name: str) -> Any:
    return getattr(project_defaults, name, getattr(scrapy_defaults, name, None))


def setting_problem(settings: BaseSettings, name: str) -> str | None:
    """Return why the value of setting ``name`` in ``settings`` is unusable, or None.

    ``NEWSCRAWL_*`` names must be ones this project defines. A value must read as the type
    of the setting's default (number, true/false, JSON object), and some settings have
    their own rule (``SPECIAL_CHECKS``).
    """
    if name.startswith("NEWSCRAWL_") and not hasattr(project_defaults, name):
        known = sorted(n for n in dir(project_defaults) if n.startswith("NEWSCRAWL_"))
        return f"unknown setting {name} (newscrawl's settings: {', '.join(known)})"
    value = settings.get(name)
    default = _default(name)
    try:
        if name in SPECIAL_CHECKS:
            SPECIAL_CHECKS[name](value)
        elif isinstance(default, bool):
            settings.getbool(name)
        elif isinstance(default, int | float):
            settings.getfloat(name)  # Scrapy reads many whole-number settings as floats
        elif isinstance(default, dict) and not isinstance(value, dict):
            settings.getdict(name)
    except (ValueError, TypeError) as exc:
        return f"setting {name}={value!r} is not valid: {exc}"
    return None


def check_settings(settings: BaseSettings) -> None:
    """Raise UsageError for the first setting given on the command line (``-s``) whose
    value is unusable (see :func:`setting_problem`)."""
    cmdline = SETTINGS_PRIORITIES["cmdline"]
    for name in sorted(settings.copy_to_dict()):
        if settings.getpriority(name) == cmdline and (problem := setting_problem(settings, name)):
            raise UsageError(problem)


def check_state(state_dir: Path | str, site: str, hint: str) -> None:
    """Raise UsageError when ``<state_dir>/<site>.sqlite3`` exists but cannot be used (not
    a database, corrupt, another schema, read-only); the message names the file, says
    what to do and ends with ``hint``. A missing file is fine: the crawl creates it."""
    from newscrawl.storage.state import StateError, StateStore

    path = Path(state_dir) / f"{site}.sqlite3"
    if not path.exists():
        return
    try:
        StateStore(path).close()
    except StateError as exc:
        raise UsageError(f"{exc}; or run: {hint}") from None


def state_hint(site: str, settings: BaseSettings) -> str:
    """Return the command that rebuilds ``site``'s state from the published output."""
    out = settings.get("NEWSCRAWL_OUTPUT_DIR") or "out"
    state = settings.get("NEWSCRAWL_STATE_DIR") or ".state"
    return f"newscrawl state rebuild {site} -o {out} --state {state}"


def check_crawl(
    site: str,
    settings: BaseSettings,
    *,
    profile: str | None = None,
    base_url: str | None = None,
    profiled: bool = True,
) -> None:
    """Raise UsageError unless a crawl of ``site`` with these settings and arguments can
    start: the checks listed in this module's docstring, output and state folders last
    (they are created if missing). With ``profiled`` False (a crawl by URL, whose ``site``
    is made from the host) no profile is looked for."""
    if profiled:
        check_portal(site, profile)
    check_base_url(base_url)
    check_settings(settings)
    check_writable_folder(settings.get("NEWSCRAWL_OUTPUT_DIR") or "out", "output folder")
    state = settings.get("NEWSCRAWL_STATE_DIR")
    # In distributed mode the state lives in Redis: no state folder to create or check.
    if state and "://" not in str(state) and not settings.get("NEWSCRAWL_REDIS_URL"):
        check_writable_folder(state, "state folder")
        check_state(state, site, state_hint(site, settings))


__all__ = [
    "UsageError",
    "check_base_url",
    "check_crawl",
    "check_portal",
    "check_settings",
    "check_writable_folder",
    "setting_problem",
]
