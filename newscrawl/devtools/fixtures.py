"""Fixture cases: a saved page ``fixtures/<site>/<case>.html`` beside its expected ``<case>.json``.

The JSON holds ``meta`` (the page's ``url``, the frozen crawl time ``now``) and either
the expected ``record`` or, for a page that gives none, ``"record": null`` with the
expected ``error`` kind. ``invalid_fields`` lists the fields a record is expected to
fail validation on. Written with sorted keys and a trailing newline, for clean diffs.

:func:`new_case` makes a case from a saved page and the current extraction, for a person
to review; :meth:`FixtureCase.current` gives what extraction makes of a case now.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newscrawl.extraction import ExtractionError, extract_article
from newscrawl.items import to_dict
from newscrawl.profiles import FALLBACK, ProfileError, load_profile, portal_names

CASE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""A case name: lower-case words joined by hyphens, like ``seed-article``."""


class FixtureError(ValueError):
    """A fixture case cannot be made as asked; the message is one line."""


def extraction_result(site: str, meta: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Return what extraction makes of ``body`` now, in the case JSON's shape.

    ``meta`` gives the page's ``url``, the frozen time ``now`` (ISO 8601 with an offset)
    and optionally the served ``content_type``; the profile is the one named ``site``.
    The result holds ``meta`` and either ``record`` or ``"record": None`` with ``error``,
    the kind of :class:`ExtractionError` raised.
    """
    now = datetime.fromisoformat(meta["now"])
    headers = {"Content-Type": meta.get("content_type", "text/html")}
    result: dict[str, Any] = {"meta": meta}
    try:
        article = extract_article(meta["url"], body, headers, profile=site, now=now)
    except ExtractionError as exc:
        result.update(record=None, error=exc.kind)
        return result
    result["record"] = to_dict(article)
    return result


def write_case_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` as case JSON: sorted keys, indent 2, trailing newline."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class FixtureCase:
    """One saved page and what extraction is expected to make of it."""

    site: str
    name: str
    html_path: Path
    json_path: Path

    @property
    def id(self) -> str:
        """``site/case``, the name tests and the rerun command use."""
        return f"{self.site}/{self.name}"

    def spec(self) -> dict[str, Any]:
        """Return the parsed case JSON. Raises FixtureError, naming the file, when it is not
        a case: not JSON, not an object, or no ``meta`` with a ``url`` and an ISO 8601
        ``now`` with a UTC offset (a half-written case must not pass as none)."""
        where = self.json_path
        try:
            spec = json.loads(where.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise FixtureError(f"{where}: not a readable case JSON: {exc}") from None
        meta = spec.get("meta") if isinstance(spec, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("url"), str):
            raise FixtureError(f"{where}: no meta.url (see fixtures/jmn/README.md)")
        try:
            now = datetime.fromisoformat(meta.get("now"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise FixtureError(f"{where}: meta.now is not an ISO 8601 time") from None
        if now.tzinfo is None:
            raise FixtureError(f"{where}: meta.now {meta['now']!r} needs a UTC offset")
        return spec

    @property
    def url(self) -> str:
        """The page's URL."""
        return str(self.spec()["meta"]["url"])

    def body(self) -> bytes:
        """Return the saved page's bytes."""
        return self.html_path.read_bytes()

    def current(self) -> dict[str, Any]:
        """Return what extraction makes of the page now, in the case JSON's shape."""
        spec = self.spec()
        result = extraction_result(self.site, spec["meta"], self.body())
        if result["record"] is not None and "invalid_fields" in spec:
            result["invalid_fields"] = spec["invalid_fields"]
        return result

    def write_expected(self, data: dict[str, Any]) -> None:
        """Overwrite the case JSON with ``data`` (sorted keys, indent 2, trailing newline)."""
        write_case_json(self.json_path, data)


def find_cases(root: Path, names: Sequence[str] = ()) -> list[FixtureCase]:
    """Return the cases under ``root`` (``<site>/<case>.json`` with its .html), sorted.

    ``names`` (``site/case`` or ``case``) narrows the list; empty means all. Raises
    FixtureError, naming the file, for half a case: a ``<site>/<case>.html`` without its
    ``.json`` (a page added by hand) or a ``.json`` without its ``.html`` (a page
    removed), which no test would read and no rerun would write.
    """
    pages = set(root.glob("*/*.html"))
    records = set(root.glob("*/*.json"))
    for path in sorted(pages ^ {p.with_suffix(".html") for p in records}):
        if path in pages:
            raise FixtureError(
                f"{path}: a fixture page without its case {path.with_suffix('.json').name}; "
                "make the case with newscrawl fixtures new, or remove the page"
            )
        raise FixtureError(
            f"{path.with_suffix('.json')}: a case without its page {path.name}; "
            "remove the case, or put the page back"
        )
    cases = []
    for json_path in sorted(records):
        html_path = json_path.with_suffix(".html")
        case = FixtureCase(json_path.parent.name, json_path.stem, html_path, json_path)
        if not names or case.id in names or case.name in names:
            cases.append(case)
    return cases


def fixture_sites() -> list[str]:
    """Return the sites a fixture folder may be named after: the portals and the fallback."""
    return [*portal_names(), FALLBACK]


def check_case_url(site: str, url: str) -> None:
    """Raise FixtureError unless ``url`` is an http(s) URL on one of ``site``'s domains.

    The fallback profile (pages of sites with no profile) accepts any host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FixtureError(f"--url {url!r} is not an http(s) URL")
    domains = load_profile(site).domains
    host = parts.hostname.lower().removeprefix("www.")
    if site != FALLBACK and not any(host == d or host.endswith("." + d) for d in domains):
        raise FixtureError(f"--url {url!r} is not on {site}'s domains ({', '.join(domains)})")


def new_case(
    root: Path,
    site: str,
    name: str,
    *,
    url: str,
    page: bytes,
    now: datetime,
    force: bool = False,
) -> tuple[FixtureCase, dict[str, Any]]:
    """Save ``page`` as ``root/<site>/<name>.html`` and its current extraction as ``<name>.json``.

    The JSON holds ``meta`` (``url``, ``now``) and what extraction makes of the page now:
    the ``record`` (with ``invalid_fields`` listing the fields that fail the schema, if
    any), or ``"record": null`` and the ``error`` kind for a page that is not an article.
    It is a draft for a person to check against the page, not a verified expectation.

    Raises FixtureError, before writing anything, when ``site`` is not a portal or the
    fallback, ``name`` is not a case name, ``url`` is not on the site, ``page`` is empty,
    ``now`` has no UTC offset, or the case exists and ``force`` is false.
    """
    from newscrawl.schema import record_errors

    sites = ", ".join(fixture_sites())
    try:
        kind = load_profile(site).kind
    except ProfileError:
        raise FixtureError(f"unknown site {site!r} (fixture sites: {sites})") from None
    if site not in fixture_sites():
        raise FixtureError(f"{site!r} is a {kind} profile, not a portal (fixture sites: {sites})")
    if not CASE_NAME.fullmatch(name):
        raise FixtureError(f"case name {name!r}: use lower-case words joined by hyphens")
    check_case_url(site, url)
    if not page.strip():
        raise FixtureError("the page is empty")
    if now.tzinfo is None:
        raise FixtureError(f"now {now.isoformat()!r} needs a UTC offset")
    folder = root / site
    case = FixtureCase(site, name, folder / f"{name}.html", folder / f"{name}.json")
    existing = [p for p in (case.html_path, case.json_path) if p.exists()]
    if existing and not force:
        raise FixtureError(f"{existing[0]} already exists (--force replaces the case)")
    meta = {"url": url, "now": now.isoformat()}
    result = extraction_result(site, meta, page)
    if result["record"] is not None:
        invalid = sorted({e.field.split("/")[0] for e in record_errors(result["record"])})
        if invalid:
            result["invalid_fields"] = invalid
    folder.mkdir(parents=True, exist_ok=True)
    case.html_path.write_bytes(page)
    write_case_json(case.json_path, result)
    return case, result
