"""The records newscrawl writes.

Every field defaults to ``None`` (or an empty list) so that a record always has
every key, in one order. Dates are ISO 8601 strings formatted by our own code,
never ``datetime`` objects, so the output does not depend on an encoder.
The JSON Schema in ``newscrawl/schema/article.schema.json`` describes the same
record; ``tests/test_items.py`` keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

SCHEMA_VERSION = "1.1"
"""Version of the record contract; bumped (and noted in CHANGELOG.md) on any change. The
schema of each earlier version ships too (``newscrawl.schema``), so that older output
still validates and reads."""


def version_key(version: str) -> tuple[int, ...] | None:
    """Return a ``schema_version`` such as ``"1.10"`` as ``(1, 10)``, for comparing versions;
    None when it is not dotted numbers."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


@dataclass
class Breadcrumb:
    """One step of the page's breadcrumb trail."""

    name: str | None = None
    """The crumb's visible text, whitespace-normalised."""
    url: str | None = None
    """Absolute URL of the crumb's link; null for the current page's crumb."""


@dataclass
class AltHeadline:
    """The headline in another language shown on the page (e.g. the original's title)."""

    text: str | None = None
    """The alternate headline, whitespace-normalised."""
    lang: str | None = None
    """ISO 639-1 code detected from ``text`` by the language identifier."""


@dataclass
class Image:
    """An image that belongs to the article."""

    url: str | None = None
    """Absolute URL of the image file."""
    caption: str | None = None
    """The caption shown with the image, without its credit label, or null."""
    credit: str | None = None
    """The photographer or agency, without its label ("Photo:", "Фото:", "©"), or null."""


@dataclass
class Teaser:
    """A link to another article: "Check Also" box or related-posts block."""

    title: str | None = None
    """The linked article's title."""
    url: str | None = None
    """Absolute URL of the linked article."""
    excerpt: str | None = None
    """The excerpt shown under the title, without its trailing ellipsis, or null."""


@dataclass
class Article:
    """One article page, as written to JSON Lines."""

    schema_version: str = SCHEMA_VERSION
    """Version of this contract, e.g. "1.1"."""
    url: str | None = None
    """The page's own URL on the portal, canonical form (no fragment or ``utm_*``)."""
    canonical_url: str | None = None
    """The page's declared canonical URL (``<link rel="canonical">``/``og:url``), or null."""
    site: str | None = None
    """Name of the site profile that extracted the record ("jmn", "generic")."""
    crawled_at: str | None = None
    """When the page was fetched: ISO 8601 in UTC, e.g. "2016-03-25T09:00:00+00:00"."""
    language: str | None = None
    """ISO 639-1 code of the article text, detected from the body."""
    section: str | None = None
    """The article's category ("Policy"), or null."""
    breadcrumb: list[Breadcrumb] = field(default_factory=list)
    """Breadcrumb trail in page order; the current page's crumb last, with a null url."""
    headline: str | None = None
    """The article's headline (its H1)."""
    headline_alt: AltHeadline | None = None
    """The headline in another language shown on the page, or null."""
    authors: list[str] = field(default_factory=list)
    """Author names, in page order, without "By"."""
    published_at: str | None = None
    """Publication time, ISO 8601 with offset, or null."""
    modified_at: str | None = None
    """Last modification time, ISO 8601 with offset, or null."""
    body: list[str] = field(default_factory=list)
    """Body paragraphs in page order, without headline, credit, share, ads, tags or teasers."""
    free_access: bool | None = None
    """False when the publisher marks the article as not free to read (a paywall: ``body``
    holds only what the page shows), True when it marks it free, None when it does not say
    (schema.org's ``isAccessibleForFree`` of the page's article)."""
    photo_credit: str | None = None
    """Credit of the article's photo without its label ("Sergei Guneyev/RIA Novosti"), or null."""
    images: list[Image] = field(default_factory=list)
    """Images of the article: lead image first, then those in the text."""
    teasers: list[Teaser] = field(default_factory=list)
    """Links to other articles from the "Check Also" box and related-posts blocks."""
    tags: list[str] = field(default_factory=list)
    """The article's tags, in page order, without duplicates."""
    fingerprint: str | None = None
    """Hex digest of the normalised headline and body; equal text gives an equal fingerprint."""
    revision: int = 1
    """1 for the first version of an article seen; n for its n-th changed version."""
    duplicate_of: str | None = None
    """URL of an earlier record with the same fingerprint (a syndicated copy), or null."""


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Article))
"""Record keys in the order they are written."""


def to_dict(article: Article) -> dict[str, Any]:
    """Return the record as a plain dict with every key, in ``FIELD_NAMES`` order.

    Equal to ``dataclasses.asdict(article)``: nested records become dicts and lists are
    copied, so the dict shares nothing mutable with ``article``.
    """
    return _plain(article)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    """Return ``value`` with dataclass instances as dicts and lists and dicts copied.

    What ``dataclasses.asdict`` does for the types records hold, at about a quarter of its cost.
    """
    # Strings and None, most of a record, come back as they are: no call for each of them.
    leaves = _LEAVES
    if isinstance(value, list):
        return [v if type(v) in leaves else _plain(v) for v in value]
    names = _FIELDS.get(type(value))
    if names is not None:
        return {
            name: v if type(v := getattr(value, name)) in leaves else _plain(v) for name in names
        }
    if isinstance(value, dict):
        return {k: v if type(v) in leaves else _plain(v) for k, v in value.items()}
    return value


_LEAVES = frozenset({str, int, float, bool, type(None)})
"""Types :func:`_plain` returns unchanged (exactly these types, not subclasses)."""


@dataclass
class Reject:
    """A page that gave no valid record, as written to the rejects file."""

    url: str | None = None
    """The page's URL."""
    errors: list[dict[str, str | None]] = field(default_factory=list)
    """Why: ``{"field", "message"}`` per problem; ``field`` is null for page-level errors."""
    record: dict[str, Any] | None = None
    """The record as extracted, when there was one."""
    kind: str = "invalid"
    """What went wrong: "invalid", "not-article", "no-body", "empty", "too-large", "too-slow",
    "undecodable", "truncated", "extraction-error", "worker-died", "http-error",
    "download-error", "offsite-redirect"."""


_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls))
    for cls in (Article, Breadcrumb, AltHeadline, Image, Teaser, Reject)
}
