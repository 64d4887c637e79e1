"""Site profiles: selectors and site facts kept as data, one TOML file per theme or portal.

A portal file names the theme it ``extends`` and overrides only what differs;
tables merge key by key, lists and scalars replace; ``kind`` is each file's own
(default ``portal``). ``docs/profiles.md``
describes every key, and the trust model: a profile is data, nothing more. Each file is
checked against ``profile.schema.json`` when it loads (:mod:`newscrawl.profiles.check`), so
a typo fails loudly instead of silently changing an extraction.

Where a name is looked for, first match wins: files registered with
:func:`register_profile_file` (``--profile-file``), then the folder named by the
``NEWSCRAWL_PROFILES_DIR`` environment variable, then the bundled profiles. A name is
never a path: it must match ``[a-z0-9][a-z0-9_-]*``. The ``[crawl]`` table may set only
the politeness and limit settings of :data:`CRAWL_SETTINGS`; any other key is refused as
the file loads.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newscrawl.names import BadName, check_name
from newscrawl.profiles.check import profile_problems

logger = logging.getLogger(__name__)

FALLBACK = "generic"

PROFILES_DIR_ENV = "NEWSCRAWL_PROFILES_DIR"
"""Environment variable naming a folder of the user's own profiles (``<name>.toml``)."""

PROFILE_FILES_ENV = "NEWSCRAWL_PROFILE_FILES"
"""Environment variable through which files registered by :func:`register_profile_file`
reach child processes (extraction workers): a JSON object of name -> absolute path. Set by
newscrawl itself; not meant to be set by hand."""


class ProfileError(ValueError):
    """A profile is unknown or malformed."""


@dataclass(frozen=True)
class Profile:
    """A resolved profile: the merged data of a portal and every theme it extends."""

    name: str
    kind: str
    data: dict[str, Any] = field(repr=False)

    def get(self, *path: str, default: Any = None) -> Any:
        """Return the value at ``path`` (``get("body", "container")``) or ``default``."""
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    @property
    def domains(self) -> list[str]:
        """Registered domains the portal is served from (subdomains included)."""
        return list(self.get("site", "domains", default=[]))

    @property
    def languages(self) -> list[str]:
        """ISO 639-1 codes the portal publishes in, for date parsing."""
        return list(self.get("site", "languages", default=[]))

    @property
    def timezone(self) -> str:
        """IANA timezone in which the portal shows its dates."""
        return str(self.get("site", "timezone", default="UTC"))

    def selectors(self, *path: str) -> list[str]:
        """Return the ordered selector list at ``path`` (a single string becomes a list)."""
        value = self.get(*path, default=[])
        return [value] if isinstance(value, str) else list(value)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _extend(base: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return the profile file ``data`` merged over ``base``, the merged profile it
    ``extends``: tables merge key by key, lists and scalars replace, except ``kind``, which
    is the file's own (``portal`` when it sets none): a portal that leaves ``kind`` out is
    a portal, not the theme it builds on."""
    return {**_merge(base, data), "kind": data.get("kind", "portal")}


def _seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _positive(value: Any) -> bool:
    return _seconds(value) and value > 0


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _positive_count(value: Any) -> bool:
    return _count(value) and value > 0


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _statuses(value: Any) -> bool:
    return isinstance(value, list) and all(_count(v) and 100 <= v <= 599 for v in value)


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "seconds": (_seconds, "a number of seconds, 0 or more"),
    "positive": (_positive, "a number above 0"),
    "count": (_count, "a whole number, 0 or more"),
    "positive_count": (_positive_count, "a whole number above 0"),
    "flag": (_flag, "true or false"),
    "statuses": (_statuses, "a list of HTTP status codes"),
}

CRAWL_SETTINGS: dict[str, str] = {
    "download_delay": "seconds",
    "randomize_download_delay": "flag",
    "concurrent_requests": "positive_count",
    "concurrent_requests_per_domain": "positive_count",
    "autothrottle_enabled": "flag",
    "autothrottle_start_delay": "seconds",
    "autothrottle_max_delay": "seconds",
    "autothrottle_target_concurrency": "positive",
    "download_timeout": "positive",
    "dns_timeout": "positive",
    "download_maxsize": "positive_count",
    "download_warnsize": "positive_count",
    "retry_enabled": "flag",
    "retry_times": "count",
    "retry_http_codes": "statuses",
    "robotstxt_obey": "flag",
    "newscrawl_retry_backoff_base": "seconds",
    "newscrawl_retry_backoff_max": "seconds",
    "newscrawl_retry_after_max": "seconds",
}
"""The only keys a profile's ``[crawl]`` table may set, each with the kind of value it takes:
politeness (delays, concurrency, AutoThrottle, robots.txt) and limits (timeouts, sizes,
retries). Sizes must stay above 0: a profile may move a limit, not remove it. Everything
else a Scrapy setting can do (extensions, telnet console, log files, feeds, middlewares,
pipelines) is out of a profile's reach."""


def check_crawl_table(table: Any, source: str) -> None:
    """Raise ProfileError, in one line naming ``source`` and the key, unless every key of the
    ``[crawl]`` table ``table`` is in :data:`CRAWL_SETTINGS` with a value of its kind."""
    if not isinstance(table, dict):
        raise ProfileError(f"{source}: [crawl] must be a table of settings")
    for key, value in table.items():
        kind = CRAWL_SETTINGS.get(key)
        if kind is None:
            raise ProfileError(
                f"{source}: [crawl] key {key!r} is not allowed: a profile may set only "
                f"politeness and limit settings ({', '.join(CRAWL_SETTINGS)})"
            )
        check, expected = _CHECKS[kind]
        if not check(value):
            raise ProfileError(f"{source}: [crawl] {key} = {value!r}: expected {expected}")


def _checked_name(name: Any) -> str:
    try:
        return check_name("profile", name)
    except BadName as exc:
        raise ProfileError(str(exc)) from None


def profiles_dir() -> Path | None:
    """Return the user's profiles folder (``NEWSCRAWL_PROFILES_DIR``), or None when unset."""
    value = os.environ.get(PROFILES_DIR_ENV, "").strip()
    return Path(value) if value else None


def _registered(env: str | None) -> dict[str, str]:
    try:
        files = json.loads(env) if env else {}
    except ValueError:
        files = None
    if not isinstance(files, dict):
        raise ProfileError(f"{PROFILE_FILES_ENV} is not a JSON object of name -> path")
    return {str(k): str(v) for k, v in files.items()}


def _search_key() -> tuple[str | None, str | None]:
    """What decides where a name is found: the registered files and the profiles folder."""
    return os.environ.get(PROFILE_FILES_ENV), os.environ.get(PROFILES_DIR_ENV, "").strip() or None


def _locate(name: str, key: tuple[str | None, str | None]) -> Traversable | Path | None:
    """Return the file that defines profile ``name``, or None when there is none."""
    files_env, folder = key
    registered = _registered(files_env).get(name)
    if registered is not None:
        return Path(registered)
    if folder is not None:
        candidate = Path(folder) / f"{name}.toml"
        if candidate.is_file():
            return candidate
    bundled = resources.files(__package__).joinpath(f"{name}.toml")
    return bundled if bundled.is_file() else None


def _parse(path: Traversable | Path, source: str) -> dict[str, Any]:
    """Return the TOML data of one profile file, its ``[crawl]`` table checked."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source} is not valid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        cause = getattr(exc, "strerror", None) or exc
        raise ProfileError(f"{source}: cannot read: {cause}") from None
    if "crawl" in data:
        check_crawl_table(data["crawl"], source)
    problems = profile_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ProfileError(f"{source}: {problems[0]}{more}")
    return data


def _read(name: str, key: tuple[str | None, str | None]) -> dict[str, Any]:
    name = _checked_name(name)
    path = _locate(name, key)
    if path is None:
        names = _names(key)
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise ProfileError(f"unknown profile {name!r} ({hint}known: {', '.join(names)})")
    return _parse(path, str(path))


def _resolve(
    name: str, key: tuple[str | None, str | None], chain: tuple[str, ...] = ()
) -> dict[str, Any]:
    if name in chain:
        loop = " -> ".join([*chain[chain.index(name) :], name])
        if name == chain[0]:
            raise ProfileError(f"profile {name!r} extends itself: {loop}")
        raise ProfileError(f"profile {chain[0]!r} extends a circle of profiles: {loop}")
    data = _read(name, key)
    parent = data.pop("extends", None)
    return _extend(_resolve(parent, key, (*chain, name)), data) if parent else data


@lru_cache(maxsize=64)
def _load(name: str, key: tuple[str | None, str | None]) -> Profile:
    data = _resolve(name, key)
    return Profile(name=name, kind=str(data.get("kind", "portal")), data=data)


def load_profile(name: str) -> Profile:
    """Return the profile ``name`` merged over the themes it extends; raise ProfileError.

    ``name`` is a name, never a path: a registered file, then ``NEWSCRAWL_PROFILES_DIR``,
    then the bundled profiles are searched. Results are cached per name and search path
    (:func:`forget_profiles` empties the cache).
    """
    return _load(name, _search_key())


def forget_profiles() -> None:
    """Forget every profile loaded or listed so far: the next call reads the files again."""
    _load.cache_clear()
    _names.cache_clear()


def register_profile_file(path: Path | str) -> Profile:
    """Load the profile in the file ``path`` and make its name resolve to that file.

    The name is the file's ``name`` key, else its stem, and must be a valid profile name.
    The registration holds for this process and the processes it starts (extraction
    workers), through :data:`PROFILE_FILES_ENV`. Raises ProfileError, naming the file.
    """
    file = Path(path).resolve()
    if not file.is_file():
        raise ProfileError(f"{path}: no such profile file")
    data = _parse(file, str(path))
    name = _checked_name(data.get("name", file.stem))
    files = _registered(os.environ.get(PROFILE_FILES_ENV))
    files[name] = str(file)
    os.environ[PROFILE_FILES_ENV] = json.dumps(files, sort_keys=True)
    return load_profile(name)


def profile_file(name: str) -> Path | None:
    """Return the file the loader reads for the profile ``name`` (a registered file, else
    ``NEWSCRAWL_PROFILES_DIR/<name>.toml``, else the bundled one), or None when no
    profile has that name or ``name`` is not a profile name."""
    if not _valid_name(name):
        return None
    found = _locate(name, _search_key())
    return Path(str(found)) if found is not None else None


def portal_problem(profile: Profile) -> str | None:
    """Return why the portal ``profile`` cannot be crawled, in one line, or None when it
    can (or is no portal): a crawl needs the hosts it may fetch from, ``site.domains``."""
    if profile.kind != "portal" or profile.domains:
        return None
    return (
        f"profile {profile.name!r} is a portal with no [site] domains: "
        "a crawl needs the hosts it may fetch from"
    )


def file_problems(path: Path) -> list[str]:
    """Return one line per problem of the profile file ``path``, each starting with it;
    empty when the file loads and crawls as ``--profile-file`` would load it.

    These are the loader's checks, every problem reported instead of the first: the file
    is UTF-8 TOML; :func:`newscrawl.profiles.check.profile_problems` finds nothing; its
    ``name`` (else its stem) is a valid profile name; the profile it ``extends`` is found
    where the loader looks (a registered file, ``NEWSCRAWL_PROFILES_DIR``, the bundled
    profiles, never a path), loads, and does not lead back to the file; and, when all that
    holds, the merged profile passes :func:`portal_problem` and :func:`markers_problem`
    (which the loader does not refuse: extraction then reads no page without JSON-LD
    Article as an article). Raises OSError when the file
    cannot be read.
    """
    return [f"{path}: {problem}" for problem in _file_problems(path)]


def _key_with(name: str | None, path: Path) -> tuple[str | None, str | None]:
    """Return the search key of :func:`_search_key` with the file ``path`` registered
    under ``name`` (when it has a valid one), as :func:`register_profile_file` would."""
    files_env, folder = _search_key()
    if name is None:
        return files_env, folder
    files = {**_registered(files_env), name: str(path.resolve())}
    return json.dumps(files, sort_keys=True), folder


def _file_problems(path: Path) -> list[str]:
    """The problems of :func:`file_problems`, without the file's name before them."""
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        return [f"not UTF-8: {exc}"]
    except tomllib.TOMLDecodeError as exc:
        return [f"not valid TOML: {exc}"]
    problems = profile_problems(data)
    name: str | None = None
    declared = data.get("name", path.stem)
    if isinstance(declared, str):
        try:
            name = _checked_name(declared)
        except ProfileError as exc:
            problems.append(f"name: {exc}")
    parent = data.pop("extends", None)
    if not isinstance(parent, str) or not parent:
        parent = None
    base: dict[str, Any] = {}
    if parent is not None:
        try:
            base = _resolve(parent, _key_with(name, path), (name,) if name else ())
        except ProfileError as exc:
            problems.append(f"extends: {exc}")
    if problems or name is None:
        return problems
    merged = _extend(base, data) if parent is not None else data
    profile = Profile(name, str(merged.get("kind", "portal")), merged)
    return [p for p in (portal_problem(profile), markers_problem(profile)) if p]


def markers_problem(profile: Profile) -> str | None:
    """Return, in one line, why the portal ``profile`` would read no page as an article:
    it has no ``fields.article`` markers (none written, none inherited, or an empty list
    over its theme's), so only a page with JSON-LD Article would give a record. None when
    it has markers, or is no portal."""
    if profile.kind != "portal" or profile.selectors("fields", "article"):
        return None
    return (
        f"profile {profile.name!r} is a portal with no [fields] article markers: only pages "
        "with JSON-LD Article would be read as articles"
    )


@lru_cache(maxsize=16)
def _names(key: tuple[str | None, str | None]) -> tuple[str, ...]:
    files_env, folder = key
    bundled = resources.files(__package__).iterdir()
    names = {p.name.removesuffix(".toml") for p in bundled if p.name.endswith(".toml")}
    if folder is not None and Path(folder).is_dir():
        names |= {p.stem for p in Path(folder).glob("*.toml")}
    names |= set(_registered(files_env))
    return tuple(sorted(n for n in names if _valid_name(n)))


def _valid_name(name: str) -> bool:
    try:
        check_name("profile", name)
    except BadName:
        return False
    return True


def profile_names() -> tuple[str, ...]:
    """Return the names of all profiles found (bundled, user folder, registered), sorted.

    Files whose stem is not a valid name are not listed (and cannot be loaded).
    """
    return _names(_search_key())


def portal_names() -> list[str]:
    """Return the profiles that describe a crawlable portal (not themes or the fallback).

    A profile that does not load (a refused ``[crawl]`` key, bad TOML) is left out with a
    logged error, so that one bad file in ``NEWSCRAWL_PROFILES_DIR`` does not stop every
    other portal from being listed or chosen by domain; loading it by name still fails.
    """
    names = []
    for name in profile_names():
        try:
            profile = load_profile(name)
        except ProfileError as exc:
            _log_once(str(exc))
            continue
        if profile.kind == "portal":
            names.append(name)
    return names


@lru_cache(maxsize=256)
def _log_once(message: str) -> None:
    logger.error("Profile left out: %s", message)


def profile_for_url(url: str) -> Profile:
    """Return the portal profile whose domains cover ``url``'s host, else the fallback.

    A domain covers itself and its subdomains, as the crawl's offsite rule has it (a
    portal of ``www.example.com`` covers that host, not ``example.com``). When several
    portals cover the host, the one with the longest (most specific) covering domain wins
    (``news.example.com`` over ``example.com``); among equals, the first name in order.
    """
    host = (urlsplit(url).hostname or "").lower()
    best: tuple[int, Profile] | None = None
    for name in portal_names():
        profile = load_profile(name)
        covering = [len(d) for d in profile.domains if host == d or host.endswith("." + d)]
        if covering and (best is None or max(covering) > best[0]):
            best = (max(covering), profile)
    return best[1] if best is not None else load_profile(FALLBACK)
