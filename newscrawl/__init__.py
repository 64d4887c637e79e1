"""newscrawl: crawl news portals into clean, validated JSON Lines records."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newscrawl")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

_ANALYSIS = ("read_records", "duckdb_view")
"""Names served from ``newscrawl.analysis`` on first use, so ``import newscrawl`` stays cheap
(no pandas or DuckDB import until one of them is asked for)."""


def __getattr__(name: str) -> object:
    if name in _ANALYSIS:
        from newscrawl import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'newscrawl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_ANALYSIS])
