"""Site profiles: selectors and site facts kept as data, one TOML file per theme or portal.

A portal file names the theme it ``extends`` and overrides only what differs;
tables merge key by key, lists and scalars replace. ``docs/profiles.md``
describes every key; each file is checked against ``profile.schema.json`` when it
loads (:mod:`newscrawl.profiles.check`), so a typo fails loudly instead of silently
changing an extraction.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from newscrawl.profiles.check import profile_problems

FALLBACK = "generic"


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


def _read(name: str) -> dict[str, Any]:
    path = resources.files(__package__).joinpath(f"{name}.toml")
    if not path.is_file():
        raise ProfileError(f"unknown profile {name!r} (known: {', '.join(profile_names())})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {name!r} is not valid TOML: {exc}") from exc
    problems = profile_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ProfileError(f"{path}: {problems[0]}{more}")
    return data


def _resolve(name: str, chain: tuple[str, ...] = ()) -> dict[str, Any]:
    if name in chain:
        raise ProfileError(f"profile {chain[0]!r} extends itself through {name!r}")
    data = _read(name)
    parent = data.pop("extends", None)
    return _merge(_resolve(parent, (*chain, name)), data) if parent else data


@cache
def load_profile(name: str) -> Profile:
    """Return the profile ``name`` merged over the themes it extends; raise ProfileError."""
    data = _resolve(name)
    return Profile(name=name, kind=str(data.get("kind", "portal")), data=data)


@cache
def profile_names() -> tuple[str, ...]:
    """Return the names of all bundled profiles, sorted."""
    files = resources.files(__package__).iterdir()
    return tuple(sorted(p.name.removesuffix(".toml") for p in files if p.name.endswith(".toml")))


def portal_names() -> list[str]:
    """Return the profiles that describe a crawlable portal (not themes or the fallback)."""
    return [n for n in profile_names() if load_profile(n).kind == "portal"]


def profile_for_url(url: str) -> Profile:
    """Return the portal profile whose domains cover ``url``'s host, else the fallback."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    for name in portal_names():
        profile = load_profile(name)
        if any(host == d or host.endswith("." + d) for d in profile.domains):
            return profile
    return load_profile(FALLBACK)
