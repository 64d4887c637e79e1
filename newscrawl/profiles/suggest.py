"""Write a profile from a sample of one portal's pages, for a person to review.

:func:`suggest_profile` reads 10 to 30 saved pages of one portal (:func:`read_pages`) and
returns a :class:`Suggestion`, whose :meth:`Suggestion.toml` is the profile text. The
reference for every field is what the generic extractor reads on each page; a selector is
kept when it gives that value on most pages of the sample, and the TOML comment beside
it says on how many. When the pages match a bundled or user theme (a profile of kind
``theme`` whose own ``fields.article`` markers match the pages; no domain is looked at),
the profile ``extends`` it and holds only the site facts and the fields where the
induced selector agrees with the sample clearly better than the theme's.

Everything here is pure: pages in, text out; no network, no Scrapy. Fetching pages of a
live portal is the command's job (``newscrawl profile suggest URL``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, available_timezones

from cssselect import SelectorError
from lxml import etree

from newscrawl.extraction import (
    ExtractionError,
    Page,
    declared_url,
    extract_page,
    parse_html,
    parse_page,
)
from newscrawl.extraction.alternate import first_alternate
from newscrawl.extraction.fields import (
    _body_blocks,
    _breadcrumb,
    _lead_image,
    alternate_candidates,
)
from newscrawl.extraction.generic import GenericPage
from newscrawl.extraction.generic.record import FILL_FIELDS, fill_record, generic_page
from newscrawl.extraction.processors import (
    DateParser,
    detect_language,
    normalize_space,
    split_authors,
)
from newscrawl.extraction.selectors import compile_query, node_text, outermost
from newscrawl.names import BadName, check_name
from newscrawl.profiles import FALLBACK, Profile, _merge, load_profile, profile_names
from newscrawl.profiles.check import profile_problems

MIN_PAGES = 3
"""Fewest article pages a suggestion is made from (10 to 30 are advised)."""
MAX_PAGES = 30
"""Most article pages a suggestion reads: more add time, not selectors."""
MAX_LISTINGS = 5
"""Most listing pages a suggestion reads (for the link selectors)."""
MAX_FILES = 500
"""Most files of a folder :func:`read_pages` reads."""
KEEP_RATE = 0.6
"""Lowest agreement over the sample at which an induced selector is written."""
THEME_RATE = 0.8
"""Share of the sample's article pages a theme's article markers must match."""
OVERRIDE_MARGIN = 0.2
"""How much better than a matched theme's an induced selector must agree to be written."""
MANIFEST = "manifest.json"
"""Optional file in a page folder: an object of file name -> URL."""
SKIP_EMPTY = 2
"""A field goes into ``fill.skip`` only when the profile left it empty on at least this
many sample pages (and found it on :data:`MIN_PAGES` others), and the generic extractor
found it on none of them; or when the profile left it empty on fewer, and the generic
extractor found it on no sample page at all (see :func:`induce_fill_skip`)."""

_UNSTABLE = re.compile(r"\d{2,}|^\d|^(tag|category|author|term|postid|format)-")
"""Ids and classes that name one page (``post-181``, ``tag-syria``), not a kind of element."""
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_SEPARATOR = re.compile(r"^[\W_]{1,3}$")
_RESIZED = re.compile(r"-\d+x\d+(?=\.\w+$)")
_DATE_FORMATS = (
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
)
_TIME_FORMATS = ("", " %H:%M", ", %H:%M", " - %H:%M", " %I:%M %p")


class SuggestError(ValueError):
    """The sample cannot give a profile (too few pages, pages of two sites, no URL)."""


@dataclass(frozen=True)
class SamplePage:
    """One saved page: where it came from, its bytes, and a fixture's expected record."""

    name: str
    url: str
    body: bytes
    expected: dict[str, Any] | None = None
    now: datetime | None = None
    fixture: bool = False
    """Whether the page is a fixture case: then ``expected`` is its record (None: none)."""


# ----------------------------------------------------------------------- reading pages


def read_pages(folder: Path) -> list[SamplePage]:
    """Return the ``.html`` pages of ``folder`` (at most :data:`MAX_FILES`, by name).

    Each page's URL comes from ``manifest.json`` (file name -> URL) when it names the
    file, else from a fixture case's ``<name>.json`` (``meta.url``, whose ``record`` is
    kept as the expected record), else from the page's canonical link or ``og:url``.
    Raises SuggestError for a page with no URL, one refused before its URL could be read
    (see :func:`~newscrawl.extraction.parse_html`) or a ``.html`` entry that cannot be read
    (naming it), and OSError when the folder itself is unreadable.
    """
    manifest: dict[str, str] = {}
    if (folder / MANIFEST).is_file():
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise SuggestError(f"{folder / MANIFEST}: not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise SuggestError(f"{folder / MANIFEST}: expected an object of file name -> URL")
        manifest = {str(k): str(v) for k, v in data.items()}
    pages: list[SamplePage] = []
    for path in sorted(folder.glob("*.html"))[:MAX_FILES]:
        try:
            body = path.read_bytes()
        except OSError as exc:  # a folder named .html, a symlink loop: name the file
            raise SuggestError(f"{path}: cannot read: {exc.strerror or exc}") from None
        expected: dict[str, Any] | None = None
        now: datetime | None = None
        fixture = False
        url = manifest.get(path.name)
        case = path.with_suffix(".json")
        if case.is_file():
            try:
                data = json.loads(case.read_text(encoding="utf-8"))
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("meta"), dict):
                url = url or data["meta"].get("url")
                fixture = True
                expected = data.get("record") if isinstance(data.get("record"), dict) else None
                if data["meta"].get("now"):
                    now = datetime.fromisoformat(data["meta"]["now"])
        if not url:
            try:
                url = declared_url(parse_html(body))
            except ExtractionError as exc:
                raise SuggestError(f"{path}: {exc} ({exc.kind})") from None
        if not url:
            raise SuggestError(
                f"{path}: no URL for this page (add it to {MANIFEST}: file name -> URL)"
            )
        pages.append(SamplePage(path.name, url, body, expected, now, fixture))
    return pages


def site_of(url: str) -> str:
    """Return the host a URL belongs to, without ``www.`` (the profile's domain)."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def check_one_site(pages: Sequence[SamplePage]) -> str:
    """Return the one host the pages come from; raise SuggestError naming the hosts when
    there are several (a profile describes one portal)."""
    hosts = Counter(site_of(p.url) for p in pages)
    if len(hosts) > 1:
        seen = ", ".join(f"{h} ({n} pages)" for h, n in hosts.most_common())
        raise SuggestError(
            f"the pages come from {len(hosts)} different sites: {seen}; "
            "a profile describes one portal, so give pages of one site"
        )
    if not hosts:
        raise SuggestError("no pages to read (give a folder of saved .html pages)")
    return next(iter(hosts))


def article_links(
    url: str, body: bytes, count: int, headers: dict[str, str] | None = None
) -> list[str]:
    """Return up to ``count`` links of the page at ``url`` that look like articles of its
    site: same host, not the home page, a title of four words or more or inside a
    heading, and a URL that is not shaped like a listing or a file
    (:func:`newscrawl.discovery.url_shape`); article-shaped URLs first, then links in
    headings, each URL once, fragments dropped.

    Raises ExtractionError when the page is refused (:func:`~newscrawl.extraction.parse_html`).
    """
    from newscrawl.discovery import url_shape

    root = parse_html(body, headers, url)
    host = site_of(url)
    headed: list[str] = []
    titled: list[str] = []
    for link in root.iter("a"):
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        target = urljoin(url, href).split("#")[0]
        if site_of(target) != host or urlsplit(target).path.strip("/") == "":
            continue
        in_heading = any(a.tag in _HEADINGS for a in link.iterancestors())
        words = len((normalize_space(node_text(link)) or "").split())
        if in_heading and words >= 2:
            headed.append(target)
        elif words >= 4:
            titled.append(target)
    unique = [u for u in dict.fromkeys([*headed, *titled]) if u.rstrip("/") != url.rstrip("/")]
    shapes = {u: url_shape(u) for u in unique}
    kept = [u for u in unique if shapes[u] in ("article", "unknown")]
    kept.sort(key=lambda u: shapes[u] != "article")  # stable: page order within each
    return kept[:count]


# ----------------------------------------------------------------------- analysed pages


@dataclass
class Analysed:
    """One sample page parsed, with the generic extractor's reading of it."""

    sample: SamplePage
    page: Page
    generic: GenericPage
    is_article: bool

    @property
    def root(self) -> etree._Element:
        return self.page.selector.root


def analyse(
    pages: Sequence[SamplePage], articles: int = MAX_PAGES, listings: int = MAX_LISTINGS
) -> list[Analysed]:
    """Parse each page with the fallback profile and let the generic extractor read it,
    up to ``articles`` article pages and ``listings`` other pages, in the order given.

    A page that gives no page at all (empty, too large) is left out.
    """
    fallback = load_profile("generic")
    analysed: list[Analysed] = []
    counts = {True: 0, False: 0}
    for sample in pages:
        if counts[True] >= articles and counts[False] >= listings:
            break
        try:
            page = parse_page(sample.url, sample.body, profile=fallback, now=sample.now)
        except ExtractionError:
            continue
        generic = generic_page(page)
        is_article = generic.page_type.gives_record
        if counts[is_article] < (articles if is_article else listings):
            counts[is_article] += 1
            analysed.append(Analysed(sample, page, generic, is_article))
    return analysed


def with_profile(page: Page, profile: Profile) -> Page:
    """Return ``page`` read with ``profile`` instead (the same parsed tree)."""
    return Page(page.url, page.selector, profile, page.now, page.jsonld, page.scripts)


# ----------------------------------------------------------------------- selectors


def _stable(name: str) -> bool:
    return (
        bool(name) and _UNSTABLE.search(name) is None and re.fullmatch(r"[\w-]+", name) is not None
    )


def _classes(element: etree._Element) -> list[str]:
    return [c for c in (element.get("class") or "").split() if _stable(c)]


def _own(element: etree._Element) -> list[tuple[float, str]]:
    """Return ``(rank, selector)`` for ``element`` alone: id, tag with each class, tag."""
    tag = element.tag if isinstance(element.tag, str) else "*"
    found: list[tuple[float, str]] = []
    ident = element.get("id")
    if ident and _stable(ident):
        found.append((0, f"#{ident}"))
    for cls in _classes(element):
        found.append((1.5, f"{tag}.{cls}"))  # anchored under an id (below) ranks steadier
    for attr in ("itemprop", "rel", "property"):
        value = element.get(attr)
        if value and _stable(value.split()[0]):
            found.append((2, f"{tag}[{attr}~={value.split()[0]}]"))
    found.append((3, tag))
    return found


def _anchors(element: etree._Element, depth: int = 6) -> list[tuple[float, str]]:
    """Return ``(rank, selector)`` for the nearest ancestors with an id or a stable class
    (a nearer ancestor ranks a little steadier)."""
    found: list[tuple[float, str]] = []
    for distance, ancestor in enumerate(list(element.iterancestors())[:depth]):
        if not isinstance(ancestor.tag, str) or ancestor.tag in ("html", "body"):
            break
        ident = ancestor.get("id")
        if ident and _stable(ident):
            found.append((0.1 * distance, f"#{ident}"))
            break
        for cls in _classes(ancestor)[:2]:
            found.append((1 + 0.1 * distance, f".{cls}"))
    return found


def element_selectors(element: etree._Element) -> list[tuple[float, str]]:
    """Return candidate CSS selectors for ``element``, each with a stability rank (lower
    is steadier: ids, then semantic classes, then attributes, then bare tags). Ids and
    classes that name one page (digits, ``post-…``, ``tag-…``) are never used."""
    own = _own(element)
    found = list(own)
    for anchor_rank, anchor in _anchors(element):
        for own_rank, selector in own:
            if not selector.startswith("#"):
                # Under an id, a selector is steadier (a sidebar may reuse the class) and
                # cheaper (the id is looked up once) than alone.
                found.append((own_rank - 0.3 + 0.5 * anchor_rank, f"{anchor} {selector}"))
    return found


def _first_value(page: Page, query: str) -> str | None:
    values = page.document.values(query)
    return normalize_space(values[0]) if values else None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return bool(a == b)


@dataclass
class Choice:
    """An induced selector (or value) and how it agreed with the sample."""

    value: Any
    agree: int
    total: int
    note: str = ""
    label: str = "agrees on"
    unit: str = "pages"

    @property
    def rate(self) -> float:
        return self.agree / self.total if self.total else 0.0

    def comment(self) -> str:
        """The TOML comment: the agreement over the sample, and any note."""
        text = f"{self.label} {self.agree}/{self.total} {self.unit} ({self.rate:.0%})"
        return f"{text}; {self.note}" if self.note else text


def best_selector(
    pages: Sequence[Analysed],
    targets: Sequence[Any],
    candidates: Iterable[tuple[float, str]],
    read: Callable[[Page, str], Any],
) -> Choice | None:
    """Return the candidate whose reading ``read(page, query)`` equals ``targets`` on the
    most pages; ties go to the steadier (lower rank), then the shorter selector."""
    ranks: dict[str, float] = {}
    for rank, query in candidates:
        ranks[query] = min(rank, ranks.get(query, rank))
    best: tuple[int, float, int, str] | None = None
    for query, rank in ranks.items():
        try:
            compile_query(query)
        except (ValueError, SelectorError):  # a candidate that does not compile is none
            continue
        readings = [read(a.page, query) for a in pages]
        if not any(
            r not in (None, []) and _same(r, t) for r, t in zip(readings, targets, strict=True)
        ):
            continue  # finds nothing anywhere: agreeing on empty fields only says nothing
        agree = sum(_same(r, t) for r, t in zip(readings, targets, strict=True))
        key = (-agree, rank, len(query), query)
        if best is None or key < best:
            best = key
    if best is None or best[0] == 0:
        return None
    return Choice(best[3], -best[0], len(pages))


# ----------------------------------------------------------------------- cheap selectors

_BARE_CLASS = re.compile(r"^(?P<classes>(?:\.[\w-]+)+)(?P<pseudo>::.*)?$")
"""A compound selector of classes alone (``.card``, ``.title::attr(href)``)."""
_TAG_NAME = re.compile(r"^[a-z][a-z0-9]*$")


def _selected(query: str, contexts: Sequence[tuple[etree._Element, Page]]) -> list[list[Any]]:
    """Return what ``query`` selects from each context (an element and its page)."""
    compiled = compile_query(query)
    return [compiled.run(node, page.document) for node, page in contexts]


def _same_selection(a: list[list[Any]], b: list[list[Any]]) -> bool:
    """Tell whether two readings select the same nodes (the same elements, in order)."""
    return all(
        len(x) == len(y)
        and all(
            p is q or (not isinstance(p, etree._Element) and p == q)
            for p, q in zip(x, y, strict=True)
        )
        for x, y in zip(a, b, strict=True)
    )


def with_tags(query: str, contexts: Sequence[tuple[etree._Element, Page]]) -> str:
    """Return ``query`` with each step that names classes alone (``#more .card``) led by
    the tag every element it reaches has on the sample (``#more div.card``), when the
    whole query then selects the same nodes from every context (an element of a page:
    its root, or a teaser card for a card's own selectors); else ``query`` unchanged.

    Both select the same, but the tag is the cheaper test: libxml2 tests an element's
    name before its attributes, and a step of classes alone is looked up among every
    class attribute of the page (``selectors.Document``), which on a portal page costs
    more than the rest of a profile's selectors together."""
    if not contexts or query.startswith("xpath:") or any(c in query for c in ",'\""):
        return query
    try:
        before = _selected(query, contexts)
    except (ValueError, SelectorError):
        return query
    if not any(before):
        return query
    parts = query.split()
    for index, part in enumerate(parts):
        match = _BARE_CLASS.match(part)
        if match is None:
            continue
        prefix = " ".join([*parts[:index], match["classes"]])
        try:
            tags = {
                node.tag
                for found in _selected(prefix, contexts)
                for node in found
                if isinstance(node, etree._Element)
            }
            if len(tags) != 1 or not _TAG_NAME.match(tag := next(iter(tags))):
                continue
            trial = [*parts[:index], tag + part, *parts[index + 1 :]]
            if _same_selection(before, _selected(" ".join(trial), contexts)):
                parts = trial
        except (ValueError, SelectorError):
            continue  # a part that is no step of its own (inside a pseudo-class): left as is
    return " ".join(parts)


def _roots(pages: Sequence[Analysed]) -> list[tuple[etree._Element, Page]]:
    return [(a.root, a.page) for a in pages]


def with_tags_in_group(
    group: dict[str, str], roots: Sequence[tuple[etree._Element, Page]]
) -> dict[str, str]:
    """Return a teaser ``group`` with :func:`with_tags` applied to its ``nodes`` (from the
    pages' ``roots``) and to its card's own selectors (from each card of the sample)."""
    nodes = with_tags(group["nodes"], roots)
    cards = [
        (card, page)
        for found, (_, page) in zip(_selected(nodes, roots), roots, strict=True)
        for card in outermost(found)
        if isinstance(card, etree._Element)
    ]
    return {
        key: value if key == "nodes" else with_tags(value, cards)
        for key, value in {**group, "nodes": nodes}.items()
    }


# ----------------------------------------------------------------------- field inducers


def _elements_with_text(root: etree._Element, text: str, limit: int = 400) -> list[etree._Element]:
    """Return the innermost elements of the page body whose visible text is ``text``."""
    wanted = text.casefold()
    found: list[etree._Element] = []
    body = root.find("body")
    for element in (body if body is not None else root).iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "title"):
            continue
        value = normalize_space(node_text(element))
        if value and value.casefold() == wanted:
            found = [f for f in found if f not in set(element.iterancestors())]
            found.append(element)
            if len(found) >= limit:
                break
    return found


def _meta_candidates(root: etree._Element, value: str) -> list[tuple[float, str]]:
    """Return ``meta`` selectors whose content is ``value``."""
    found: list[tuple[float, str]] = []
    for meta in root.iter("meta"):
        content = normalize_space(meta.get("content"))
        if content and content.casefold() == value.casefold():
            for attr in ("property", "name", "itemprop"):
                if meta.get(attr):
                    found.append((0, f"meta[{attr}='{meta.get(attr)}']::attr(content)"))
    return found


def _in_heading(element: etree._Element) -> bool:
    return any(e.tag in _HEADINGS for e in (element, *element.iterancestors()))


def induce_text(
    pages: Sequence[Analysed],
    targets: Sequence[str | None],
    meta: bool = False,
    heading: bool = False,
) -> Choice | None:
    """Return the selector whose first value is the target text on most pages; with
    ``heading``, elements in a heading rank steadier than others of the same text."""
    candidates: list[tuple[float, str]] = []
    for analysed, target in zip(pages, targets, strict=True):
        if not target:
            continue
        for element in _elements_with_text(analysed.root, target)[:5]:
            penalty = 3 if heading and not _in_heading(element) else 0
            candidates += [(r + penalty, q) for r, q in element_selectors(element)]
        if meta:
            candidates += _meta_candidates(analysed.root, target)
    return best_selector(pages, targets, candidates, _first_value)


def _author_values(page: Page, query: str) -> list[str]:
    return [n for v in page.document.values(query) for n in split_authors(v)]


def induce_authors(pages: Sequence[Analysed]) -> Choice | None:
    """Return the selector that gives the generic extractor's author names."""
    targets = [a.generic.authors for a in pages]
    candidates: list[tuple[float, str]] = []
    for analysed, names in zip(pages, targets, strict=True):
        for name in names[:2]:
            for element in _elements_with_text(analysed.root, name)[:4]:
                candidates += element_selectors(element)
                parent = element.getparent()
                if parent is not None:
                    candidates += [(r + 1, s) for r, s in element_selectors(parent)]
        if names:
            candidates += _meta_candidates(analysed.root, names[0])
    return best_selector(pages, targets, candidates, _author_values)


def _date_part(value: str | None) -> str | None:
    return value[:10] if value else None


def _date_reader(parser: DateParser) -> Callable[[Page, str], str | None]:
    def read(page: Page, query: str) -> str | None:
        for value in page.document.values(query)[:1]:
            parsed = parser.parse(normalize_space(value), page.now)
            if parsed:
                return parsed.date().isoformat()
        return None

    return read


_DIGITS = re.compile(r"\d")


def _date_elements(root: etree._Element, day: int, year: int) -> list[etree._Element]:
    """Return short elements whose text holds the day and the year of a date."""
    found = []
    body = root.find("body")
    for element in (body if body is not None else root).iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style"):
            continue
        text = normalize_space(node_text(element)) or ""
        if 6 <= len(text) <= 40 and str(year) in text and re.search(rf"\b0?{day}\b", text):
            found = [f for f in found if f not in set(element.iterancestors())]
            found.append(element)
    return found[:8]


def date_format(texts: Iterable[str]) -> str | None:
    """Return the strftime format that reads every one of ``texts``, or None.

    >>> date_format(["January 11, 2016", "March 2, 2016"])
    '%B %d, %Y'
    """
    texts = [t for t in texts if t]
    for day_format in _DATE_FORMATS:
        for time_format in _TIME_FORMATS:
            pattern = day_format + time_format
            try:
                for text in texts:
                    datetime.strptime(text, pattern)
            except ValueError:
                continue
            return pattern if texts else None
    return None


def induce_visible_date(pages: Sequence[Analysed], parser: DateParser) -> Choice | None:
    """Return the selector of the date the page shows, read by ``parser`` (the site's
    languages and timezone) as the generic date's day."""
    targets = [_date_part(a.generic.published_at) for a in pages]
    candidates: list[tuple[float, str]] = []
    for analysed, target in zip(pages, targets, strict=True):
        if not target:
            continue
        day = datetime.fromisoformat(target)
        for element in _date_elements(analysed.root, day.day, day.year):
            candidates += element_selectors(element)
    choice = best_selector(pages, targets, candidates, _date_reader(parser))
    if choice:
        shown = [_first_value(a.page, choice.value) or "" for a in pages]
        fmt = date_format(shown)
        choice.note = f"shown as {shown[0]!r}" + (f", format {fmt}" if fmt else "")
    return choice


_MACHINE_DATES = (
    "meta[property='article:{0}_time']::attr(content)",
    "meta[itemprop=date{1}]::attr(content)",
    "meta[name=date]::attr(content)",
    "time[itemprop=date{1}]::attr(datetime)",
    "time[datetime]::attr(datetime)",
)


def _machine_reader(page: Page, query: str) -> str | None:
    for value in page.document.values(query)[:1]:
        parsed = page.dates.parse(value, page.now)
        if parsed:
            return parsed.isoformat()[:16]
    return None


def induce_machine_date(pages: Sequence[Analysed], kind: str) -> Choice | None:
    """Return the machine-readable date selector (``published``/``modified``)."""
    key = "published_at" if kind == "published" else "modified_at"
    targets = [getattr(a.generic, key) for a in pages]
    targets = [t[:16] if t else None for t in targets]
    word = "Published" if kind == "published" else "Modified"
    candidates = [(2, q.format(kind, word)) for q in _MACHINE_DATES]
    if kind == "modified":
        candidates.append((2, "meta[property='og:updated_time']::attr(content)"))
    return best_selector(pages, targets, candidates, _machine_reader)


def _meta_field(pages: Sequence[Analysed], targets: Sequence[Any], many: bool) -> Choice | None:
    """Return the ``meta`` or ``rel`` selector that gives a scalar or list field."""
    candidates: list[tuple[float, str]] = []
    for analysed, target in zip(pages, targets, strict=True):
        first = (target[0] if target else None) if many else target
        if first:
            candidates += _meta_candidates(analysed.root, first)
            for element in _elements_with_text(analysed.root, first)[:4]:
                candidates += element_selectors(element)

    def read(page: Page, query: str) -> Any:
        values = [v for v in (normalize_space(x) for x in page.document.values(query)) if v]
        return values if many else (values[0] if values else None)

    return best_selector(pages, targets, candidates, read)


def induce_canonical(pages: Sequence[Analysed]) -> Choice | None:
    """Return the canonical URL selector."""
    targets = [a.generic.canonical_url for a in pages]
    candidates = [
        (0, "link[rel=canonical]::attr(href)"),
        (2, "meta[property='og:url']::attr(content)"),
    ]

    def read(page: Page, query: str) -> str | None:
        values = page.document.values(query)
        return urljoin(page.url, values[0].strip()) if values else None

    return best_selector(pages, targets, candidates, read)


def induce_article_marker(pages: Sequence[Analysed], headline: str | None) -> Choice | None:
    """Return a selector that matches the article pages of the sample and no listing:
    the steadiest ancestor of the headline that every article page has."""
    articles = [a for a in pages if a.is_article]
    listings = [a for a in pages if not a.is_article]
    candidates: list[tuple[float, str]] = []
    if headline:
        for analysed in articles:
            for element in analysed.root.xpath(compile_query(headline).expression)[:1]:
                if isinstance(element, etree._Element):
                    chain = [element, *element.iterancestors()]
                    for ancestor in chain[:6]:
                        if ancestor.tag in ("body", "html"):
                            break
                        candidates += _own(ancestor)
    best: tuple[float, float, int, str] | None = None
    for rank, query in set(candidates):
        compiled = compile_query(query)
        hits = sum(bool(compiled.run(a.root)) for a in articles)
        false = sum(bool(compiled.run(a.root)) for a in listings)
        score = hits - 2 * false
        key = (-score, rank, len(query), query)
        if best is None or key < best:
            best = key
    if best is None or best[0] >= 0:
        return None
    query = best[3]
    compiled = compile_query(query)
    agree = sum(bool(compiled.run(a.root)) for a in articles) + sum(
        not compiled.run(a.root) for a in listings
    )
    return Choice(query, agree, len(pages), f"{len(listings)} listing pages in the sample")


# ----------------------------------------------------------------------- body


def _paragraph_elements(root: etree._Element, paragraphs: Sequence[str]) -> list[etree._Element]:
    wanted = {p.casefold() for p in paragraphs}
    found = []
    for element in root.iter("p", "h2", "h3", "h4", "li", "blockquote"):
        text = normalize_space(node_text(element))
        if text and text.casefold() in wanted:
            found.append(element)
    return found


def _common_ancestor(elements: Sequence[etree._Element]) -> etree._Element | None:
    if not elements:
        return None
    chain = [elements[0], *elements[0].iterancestors()]
    for ancestor in chain[1:]:
        inside = set(ancestor.iter())
        if all(e in inside for e in elements):
            return ancestor
    return None


def _body_reader(profile_data: dict[str, Any]) -> Callable[[Page, str], Any]:
    def read(page: Page, query: str) -> Any:
        data = {**profile_data, "body": {**profile_data.get("body", {}), "container": [query]}}
        blocks = _body_blocks(with_profile(page, Profile("suggested", "portal", data)))
        return [b.casefold() for b in blocks]

    return read


def induce_body(pages: Sequence[Analysed]) -> tuple[Choice | None, Choice | None]:
    """Return the body container and the subtrees to exclude from it.

    The container is the steadiest element holding 80% of the generic extractor's
    paragraphs on the most pages. A subtree inside it (named by its id or a class, or a
    ``script``/``style``/``figure``/``aside``/``iframe``) is excluded when it holds no
    body text on any page where it appears, or when its text is the same on every page
    (a promo box, a notice: boilerplate, whatever the generic extractor kept).
    """
    candidates: list[tuple[float, str]] = []
    for analysed in pages:
        body = analysed.generic.body
        container = _common_ancestor(_paragraph_elements(analysed.root, body))
        if container is not None:
            candidates += _own(container) + element_selectors(container)
    targets = [{p.casefold() for p in a.generic.body} for a in pages]

    # The container must hold most of the body; ties go to the steadier, shorter selector.
    best: tuple[float, float, int, str] | None = None
    for rank, query in set(candidates):
        try:
            compiled = compile_query(query)
        except (ValueError, SelectorError):
            continue
        agree = 0
        for analysed, target in zip(pages, targets, strict=True):
            nodes = compiled.run(analysed.root, analysed.page.document)
            if not nodes or not isinstance(nodes[0], etree._Element):
                continue
            texts = {
                (normalize_space(node_text(e)) or "").casefold()
                for e in nodes[0].iter("p", "h2", "h3", "h4", "li", "blockquote")
            }
            if target and len(target & texts) >= 0.8 * len(target):
                agree += 1
        key = (-agree, rank, len(query), query)
        if best is None or key < best:
            best = key
    if best is None or best[0] == 0:
        return None, None
    container_choice = Choice(best[3], -best[0], len(pages), "holds the generic body's paragraphs")
    # Subtrees inside the container that hold no body text on any page.
    compiled = compile_query(container_choice.value)
    excluded: Counter[str] = Counter()
    seen_in: Counter[str] = Counter()
    texts: dict[str, set[str]] = {}
    for analysed, target in zip(pages, targets, strict=True):
        nodes = compiled.run(analysed.root, analysed.page.document)
        if not nodes or not isinstance(nodes[0], etree._Element):
            continue
        page_excluded: set[str] = set()
        page_seen: set[str] = set()
        for child in nodes[0].iter():
            if child is nodes[0] or not isinstance(child.tag, str):
                continue
            selectors = [s for r, s in _own(child) if r < 2] or (
                [child.tag] if child.tag in ("script", "style", "figure", "aside", "iframe") else []
            )
            if not selectors:
                continue
            text = (normalize_space(node_text(child)) or "").casefold()
            inner = {
                (normalize_space(node_text(e)) or "").casefold()
                for e in child.iter("p", "h2", "h3", "h4", "li", "blockquote")
            } | {text}
            holds_body = any(t and t in target for t in inner) or any(
                t and text and t in text for t in target
            )
            for selector in selectors[:1]:
                page_seen.add(selector)
                texts.setdefault(selector, set()).add(text)
                if not holds_body:
                    page_excluded.add(selector)
        seen_in.update(page_seen)
        excluded.update(page_excluded)
    # Never body text on any page; or the same text on every page (a promo, a notice).
    exclude = outermost_excludes(
        sorted(
            s
            for s, n in seen_in.items()
            if excluded[s] == n or (n >= 2 and len(texts[s]) == 1 and texts[s] != {""})
        ),
        [
            (nodes[0], analysed.page)
            for analysed in pages
            if (nodes := compiled.run(analysed.root, analysed.page.document))
            and isinstance(nodes[0], etree._Element)
        ],
    )
    exclude_choice = None
    if exclude:
        total = sum(seen_in[s] for s in exclude)
        exclude_choice = Choice(
            exclude,
            total,
            total,
            "subtrees that never hold body text, or the same text everywhere",
            "seen",
            "times",
        )
    return container_choice, exclude_choice


def outermost_excludes(
    selectors: Sequence[str], containers: Sequence[tuple[etree._Element, Page]]
) -> list[str]:
    """Return ``selectors`` (in their order) without those whose every match, in each
    body ``container`` of the sample, lies inside what the others kept select: an
    excluded subtree leaves out all that is inside it, so a selector for a label inside
    an excluded promo box only costs its query on every page."""
    matches = {
        s: [
            {m for m in page.document.select(s, c) if isinstance(m, etree._Element)}
            for c, page in containers
        ]
        for s in selectors
    }
    subtrees = {
        s: [{e for m in found for e in m.iter()} for found in matches[s]] for s in selectors
    }
    # The selectors that reach the most elements first: an outer box before its labels.
    order = sorted(selectors, key=lambda s: (-sum(map(len, subtrees[s])), s))
    kept: list[str] = []
    for query in order:
        covered = all(
            found <= set().union(*(subtrees[k][index] for k in kept))
            for index, found in enumerate(matches[query])
        )
        if not covered:
            kept.append(query)
    return [s for s in selectors if s in kept]


def induce_alt_headline_window(
    pages: Sequence[Analysed], container: str | None, data: dict[str, Any]
) -> Choice | None:
    """Return 2 when some pages open the body with a block in another language than the
    headline and the rest of the text (an alternate-language headline), else None."""
    if not container:
        return None
    reader = _body_reader(data)
    hits = 0
    for analysed in pages:
        blocks = reader(analysed.page, container)
        headline = analysed.generic.headline
        if len(blocks) < 2 or not headline:
            continue
        first = detect_language(blocks[0])
        rest = detect_language(" ".join(blocks[1:])[:2000])
        main = detect_language(headline)
        if first and first != main and first != rest and len(blocks[0]) <= 300:
            hits += 1
    if not hits:
        return None
    return Choice(2, hits, len(pages), "the first body block is in another language", "seen on")


def induce_headline_alt(pages: Sequence[Analysed], container: str | None) -> Choice | None:
    """Return the selector of the alternate headline outside the body (``fields.headline_alt``):
    the one whose reading (its first text, taken by the generic extractor's rule against
    the page's headline and language) gives the generic extractor's alternate headline on
    the most pages, a page without one agreeing when the reading gives none either. None
    unless it gives the alternate headline on two pages or more."""
    targets = [(alt.text, alt.lang) if (alt := a.generic.headline_alt) else None for a in pages]
    by_page = {id(a.page): a for a in pages}

    def read(page: Page, query: str) -> tuple[str, str] | None:
        analysed = by_page[id(page)]
        return first_alternate(
            alternate_candidates(page.document, [query]),
            lambda: analysed.generic.headline,
            lambda: analysed.generic.language,
        )

    candidates: list[tuple[float, str]] = []
    for analysed, target in zip(pages, targets, strict=True):
        if target is None:
            continue
        inside: set[etree._Element] = set()
        for node in analysed.page.document.select(container)[:1] if container else []:
            if isinstance(node, etree._Element):
                inside = set(node.iter())  # a block in the body is alt_headline_window's
        for element in _elements_with_text(analysed.root, target[0])[:5]:
            if element not in inside:
                candidates += element_selectors(element)
    choice = best_selector(pages, targets, candidates, read)
    if choice is None:
        return None
    shown = sum(
        t is not None and read(a.page, choice.value) == t
        for a, t in zip(pages, targets, strict=True)
    )
    if shown < 2:
        return None
    choice.note = f"{shown} pages show one, the others none"
    return choice


# ----------------------------------------------------------------------- breadcrumb


def _trail(root: etree._Element, home: str, headline: str | None) -> etree._Element | None:
    """Return the smallest element whose first link goes to the home page and that has at
    least one other link, with short text: the breadcrumb trail."""
    best = None
    for link in root.iter("a"):
        href = link.get("href") or ""
        if urljoin(home, href).rstrip("/") != home.rstrip("/"):
            continue
        for ancestor in list(link.iterancestors())[:4]:
            links = [a for a in ancestor.iter("a") if a.get("href")]
            text = normalize_space(node_text(ancestor)) or ""
            if len(links) < 2 or len(links) > 8 or len(text) > 400:
                continue
            if links[0] is not link:
                break
            if ancestor.tag in ("nav", "ul", "header") and len(links) > 6:
                break
            tail = normalize_space(node_text(list(ancestor)[-1])) if len(ancestor) else None
            if headline and tail and tail.casefold() == headline.casefold():
                return ancestor
            if best is None:
                best = ancestor
            break
    return best


def _items_query(container: etree._Element) -> str:
    if container.tag in ("ol", "ul") or container.find("li") is not None:
        return "li"
    separators = Counter(
        c
        for child in container
        if isinstance(child.tag, str) and _SEPARATOR.match(normalize_space(node_text(child)) or "")
        for c in (child.get("class") or "").split()
    )
    if separators:
        cls = separators.most_common(1)[0][0]
        return (
            "xpath:./*[not(contains(concat(' ', normalize-space(@class), ' '), ' " + cls + " '))]"
        )
    return "xpath:./*"


def induce_breadcrumb(pages: Sequence[Analysed]) -> tuple[Choice | None, str | None]:
    """Return the breadcrumb container and its items query.

    The reference is the generic extractor's trail where it found one; where it found
    none, the trail is an element whose first link goes home and whose last crumb is the
    headline. The comment says on how many pages the profile's trail equals the reference.
    """
    candidates: list[tuple[float, str]] = []
    items: Counter[str] = Counter()
    for analysed in pages:
        home = urljoin(analysed.sample.url, "/")
        trail = _trail(analysed.root, home, analysed.generic.headline)
        if trail is not None:
            candidates += [c for c in element_selectors(trail) if c[0] <= 2]
            items[_items_query(trail)] += 1
    if not items:
        return None, None
    query = items.most_common(1)[0][0]
    reference = []
    for analysed in pages:
        crumbs = [c.name for c in analysed.generic.breadcrumb]
        reference.append(crumbs)

    def read(page: Page, selector: str) -> list[str | None]:
        data = {"breadcrumb": {"container": [selector], "items": query}}
        return [c.name for c in _breadcrumb(with_profile(page, Profile("s", "portal", data)))]

    def ends_with_headline(page: Page, selector: str, analysed: Analysed) -> bool:
        crumbs = read(page, selector)
        head = analysed.generic.headline
        return len(crumbs) >= 2 and bool(head) and (crumbs[-1] or "").casefold() == head.casefold()

    best: tuple[int, float, int, str] | None = None
    for rank, selector in set(candidates):
        agree = 0
        for analysed, ref in zip(pages, reference, strict=True):
            if ref:
                agree += read(analysed.page, selector) == ref
            else:
                agree += ends_with_headline(analysed.page, selector, analysed)
        key = (-agree, rank, len(selector), selector)
        if best is None or key < best:
            best = key
    if best is None or best[0] == 0:
        return None, None
    note = "a trail whose first crumb goes home (the generic trail where it found one)"
    return Choice(best[3], -best[0], len(pages), note), query


# ----------------------------------------------------------------------- images


def _stem(url: str | None) -> str | None:
    if not url:
        return None
    path = urlsplit(url).path
    return _RESIZED.sub("", path)


def _img_url(img: etree._Element, base: str) -> str | None:
    for attr in ("data-src", "data-lazy-src", "src"):
        value = img.get(attr)
        if value and not value.startswith("data:"):
            return urljoin(base, value)
    return None


def induce_lead_image(
    pages: Sequence[Analysed], body: str | None
) -> tuple[Choice | None, Choice | None, Choice | None]:
    """Return the lead image selector, its caption selector and its credit selector.

    The lead image is the ``<img>`` (outside the body text) that shows the generic
    extractor's cover image, at any size (``-660x330`` variants are the same image).
    """
    targets = [_stem(a.generic.cover.url if a.generic.cover else None) for a in pages]
    body_query = compile_query(body) if body else None
    candidates: list[tuple[float, str]] = []
    for analysed, target in zip(pages, targets, strict=True):
        if not target:
            continue
        inside: set[etree._Element] = set()
        if body_query is not None:
            for node in body_query.run(analysed.root, analysed.page.document)[:1]:
                if isinstance(node, etree._Element):
                    inside = set(node.iter())
        for img in analysed.root.iter("img"):
            if img in inside or _stem(_img_url(img, analysed.sample.url)) != target:
                continue
            candidates += [c for c in element_selectors(img) if c[1] != "img"]
            break

    def read(page: Page, query: str) -> str | None:
        data = {"images": {"lead": [query]}}
        image = _lead_image(with_profile(page, Profile("s", "portal", data)))
        return _stem(image.url) if image else None

    lead = best_selector(pages, targets, candidates, read)
    caption = credit = None
    covers = [a.generic.cover for a in pages]
    credits = [c.credit if c else None for c in covers]
    captions = [_without_credit(c.caption, c.credit) if c else None for c in covers]
    if lead and any(captions):
        caption = induce_text(pages, captions)
    if lead and any(credits):
        credit = induce_text(pages, credits)
    return lead, caption, credit


def _without_credit(caption: str | None, credit: str | None) -> str | None:
    """Return ``caption`` without ``credit`` at its end (a caption element often holds
    both, the credit in an element of its own)."""
    caption = normalize_space(caption)
    if caption and credit and caption.endswith(credit) and caption != credit:
        return normalize_space(caption[: -len(credit)])
    return caption


# ----------------------------------------------------------------------- teasers


def _article_links_outside(analysed: Analysed, skip: set[etree._Element]) -> list[etree._Element]:
    host = urlsplit(analysed.sample.url).hostname
    own = analysed.sample.url.rstrip("/")
    links = []
    for link in analysed.root.iter("a"):
        href = link.get("href")
        rel = (link.get("rel") or "").lower().split()
        if not href or link in skip or "prev" in rel or "next" in rel:
            continue  # rel=prev/next: the pager of a series, not a teaser
        target = urljoin(analysed.sample.url, href)
        title = normalize_space(node_text(link)) or ""
        if urlsplit(target).hostname != host or target.rstrip("/") == own:
            continue
        if len(title.split()) < 3 or urlsplit(target).path.strip("/") == "":
            continue
        if any(a.tag in ("aside", "nav", "header", "footer") for a in link.iterancestors()):
            continue
        links.append(link)
    return links


def _excerpt_query(node: etree._Element, link: etree._Element) -> str | None:
    """Return the selector, relative to a teaser card, of its excerpt: the first
    paragraph of the card outside its link, with more than 40 characters."""
    inside_link = set(link.iter())
    for paragraph in node.iter("p"):
        if paragraph in inside_link or len(normalize_space(node_text(paragraph)) or "") <= 40:
            continue
        classes = _classes(paragraph)
        if classes:
            return f"p.{classes[0]}"
        return "xpath:./p[not(@class)]" if paragraph.getparent() is node else None
    return None


def induce_teasers(
    pages: Sequence[Analysed], body: str | None
) -> list[tuple[dict[str, str], Choice]]:
    """Return teaser groups: repeated cards outside the body text, in a block with an id or
    a stable class, each with a titled link to another article of the site.

    A group is kept when its block is on most pages and links to different articles from
    page to page (a sidebar list that is the same everywhere is navigation, not teasers).
    """
    body_query = compile_query(body) if body else None
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    order: dict[tuple[str, str], int] = {}
    for analysed in pages:
        skip: set[etree._Element] = set()
        if body_query is not None:
            for node in body_query.run(analysed.root, analysed.page.document)[:1]:
                if isinstance(node, etree._Element):
                    skip = set(node.iter())
        for position, link in enumerate(_article_links_outside(analysed, skip)):
            node = next(
                (
                    a
                    for a in link.iterancestors()
                    if a.tag not in _HEADINGS and a.get("class") and _classes(a)
                ),
                None,
            )
            if node is None or len({x.get("href") for x in node.iter("a")} - {None}) > 1:
                continue
            block = next(
                (a for a in node.iterancestors() if a.get("id") and _stable(a.get("id") or "")),
                None,
            )
            if block is None:
                continue
            heading = link.getparent()
            title = "a"
            if heading is not None and heading is not node and heading.tag in _HEADINGS:
                hcls = _classes(heading)
                title = f".{hcls[0]} a" if hcls else f"{heading.tag} a"
            nodes = f"#{block.get('id')} .{_classes(node)[0]}"
            key = (nodes, title)
            entry = groups.setdefault(
                key, {"pages": set(), "urls": Counter(), "excerpts": Counter()}
            )
            entry["pages"].add(analysed.sample.url)
            entry["urls"][urljoin(analysed.sample.url, link.get("href") or "")] += 1
            order.setdefault(key, position)
            excerpt = _excerpt_query(node, link)
            if excerpt:
                entry["excerpts"][excerpt] += 1
    articles = max(1, sum(a.is_article for a in pages))
    found: list[tuple[dict[str, str], Choice]] = []
    for key in sorted(groups, key=lambda k: order[k]):
        nodes, title = key
        entry = groups[key]
        on = len(entry["pages"])
        repeats = max(entry["urls"].values()) if entry["urls"] else 0
        if on < 0.5 * articles or repeats > 0.5 * on:
            continue
        group = {"nodes": nodes, "title": title, "url": f"{title}::attr(href)"}
        excerpts = entry["excerpts"].most_common(1)
        if excerpts and excerpts[0][1] >= 0.5 * sum(entry["urls"].values()):
            group["excerpt"] = excerpts[0][0]
        note = "cards linking to other articles, different on each page"
        found.append((group, Choice(nodes, on, articles, note)))
    return found


# ----------------------------------------------------------------------- site facts


def induce_timezone(pages: Sequence[Analysed]) -> Choice:
    """Return the IANA zone whose UTC offsets match the offsets of the pages' dates.

    One offset all year long gives ``Etc/GMT±N`` (exact, whatever the region); offsets
    that change with the season give the first region zone that fits every date.
    """
    seen: list[tuple[datetime, timedelta]] = []
    for analysed in pages:
        for value in (analysed.generic.published_at, analysed.generic.modified_at):
            if value:
                moment = datetime.fromisoformat(value)
                if moment.utcoffset() is not None:
                    seen.append((moment, moment.utcoffset() or timedelta(0)))
    if not seen:
        return Choice("UTC", 0, len(pages), "no page shows a date with an offset")
    if any(o for _, o in seen):
        # Times written in UTC (+00:00, Z) say nothing about the zone the site shows.
        seen = [(m, o) for m, o in seen if o]
    offsets = Counter(o for _, o in seen)
    note = "offsets seen: " + ", ".join(
        f"{_offset(o)} ({n} dates)" for o, n in offsets.most_common()
    )
    if len(offsets) == 1:
        offset = next(iter(offsets))
        hours = offset.total_seconds() / 3600
        if hours == 0:
            return Choice("UTC", len(seen), len(seen), note)
        if hours == int(hours):
            zone = f"Etc/GMT{-int(hours):+d}"  # POSIX: the sign is inverted
            return Choice(zone, len(seen), len(seen), note + f" (= UTC{_offset(offset)})")
    for zone in sorted(available_timezones()):
        if "/" not in zone or zone.startswith(("Etc/", "SystemV/", "US/")):
            continue
        info = ZoneInfo(zone)
        if all(m.astimezone(info).utcoffset() == o for m, o in seen):
            return Choice(zone, len(seen), len(seen), note)
    return Choice("UTC", 0, len(seen), note + "; no zone fits them all")


def _offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def induce_languages(pages: Sequence[Analysed]) -> Choice:
    """Return the languages seen (text, ``<html lang>``), most pages first."""
    seen: Counter[str] = Counter()
    for analysed in pages:
        langs = {analysed.generic.language}
        for block in analysed.generic.body[:2]:
            if len(block) <= 300:
                langs.add(detect_language(block))
        seen.update(lang for lang in langs if lang and re.fullmatch("[a-z]{2}", lang))
    # A language on one page in ten is a detection slip more often than a language.
    languages = [lang for lang, n in seen.most_common() if n >= max(2, 0.1 * len(pages))]
    note = ", ".join(f"{lang} on {n}" for lang, n in seen.most_common())
    return Choice(languages, len(pages), len(pages), f"pages per language: {note}")


def induce_feeds(pages: Sequence[Analysed]) -> list[str]:
    """Return the feeds the pages declare (``link rel=alternate``), on the portal's host."""
    feeds: Counter[str] = Counter()
    for analysed in pages:
        for link in analysed.root.iter("link"):
            kind = (link.get("type") or "").lower()
            if "alternate" in (link.get("rel") or "").lower() and ("rss" in kind or "atom" in kind):
                url = urljoin(analysed.sample.url, link.get("href") or "")
                if site_of(url) == site_of(analysed.sample.url):
                    feeds[url] += 1
    return [url for url, n in feeds.most_common() if n >= 0.5 * len(pages)][:3]


def _url_shape(url: str) -> str:
    """Return a regex of a URL path's shape: digits and slugs generalised."""
    parts = []
    for part in urlsplit(url).path.split("/"):
        if part.isdigit():
            parts.append(r"\d+")
        elif "-" in part or len(part) > 20:
            parts.append(r"[^/]+")
        else:
            parts.append(re.escape(part))
    return "^" + "/".join(parts) + "$"


def induce_links(pages: Sequence[Analysed]) -> tuple[Choice | None, Choice | None]:
    """Return the article link and listing link selectors, read on the sample's listings.

    An article link's URL has the shape of the sample's article URLs; a listing link is
    any other link of the host in a block (with an id or class) that holds three or more
    such links, or a ``rel=next`` link.
    """
    listings = [a for a in pages if not a.is_article]
    shapes = {_url_shape(a.sample.url) for a in pages if a.is_article}
    if not listings or not shapes:
        return None, None
    shape = re.compile("|".join(shapes))
    article_votes: Counter[str] = Counter()
    listing_votes: Counter[str] = Counter()
    for analysed in listings:
        for link in analysed.root.iter("a"):
            href = link.get("href")
            if not href:
                continue
            target = urljoin(analysed.sample.url, href)
            if site_of(target) != site_of(analysed.sample.url):
                continue
            path = urlsplit(target).path
            parent = link.getparent()
            in_heading = parent is not None and parent.tag in _HEADINGS
            holds_heading = any(e.tag in _HEADINGS for e in link.iterdescendants())
            words = len((normalize_space(node_text(link)) or "").split())
            if shape.match(path) or ((in_heading or holds_heading) and words >= 3):
                if in_heading and parent is not None:
                    for rank, selector in _own(parent):
                        if rank < 2:
                            article_votes[f"{selector} a"] += 1
                elif holds_heading:
                    for rank, selector in _own(link):
                        if rank < 2:
                            article_votes[selector] += 1
            else:
                if "next" in (link.get("rel") or ""):
                    listing_votes["a[rel=next]"] += 1
                for _rank, selector in _anchors(link, depth=4):
                    if selector.startswith("#") or path.count("/") >= 2:
                        listing_votes[f"{selector} a"] += 1
                        break
    articles = [s for s, n in article_votes.most_common(3) if n >= 3]
    listing = [s for s, n in listing_votes.most_common(3) if n >= 3]
    article_choice = _link_choice(
        articles, article_votes, "of the article links on the sample's listing pages"
    )
    listing_choice = _link_choice(
        listing, listing_votes, "of the other links of the host on the sample's listing pages"
    )
    return article_choice, listing_choice


POLITE_CRAWL = {
    "download_delay": 1.0,
    "randomize_download_delay": True,
    "concurrent_requests_per_domain": 2,
    "autothrottle_enabled": True,
    "autothrottle_target_concurrency": 1.0,
    "robotstxt_obey": True,
}
"""Crawl settings for a portal nobody has measured yet: one request a second or so."""


# ----------------------------------------------------------------------- the suggestion


@dataclass
class Suggestion:
    """A suggested profile: its data, a comment per induced value, and what it rests on."""

    name: str
    data: dict[str, Any]
    comments: dict[tuple[str, ...], str] = field(default_factory=dict)
    theme: str | None = None
    pages: int = 0
    articles: int = 0

    def toml(self) -> str:
        """Return the profile as TOML, each induced value under its comment."""
        return render_toml(self)


def _link_choice(selectors: list[str], votes: Counter[str], what: str) -> Choice | None:
    """Return the choice of link ``selectors`` with their share of ``votes``, or None."""
    if not selectors:
        return None
    total = sum(votes.values())
    return Choice(selectors, sum(votes[s] for s in selectors), total, what, "covers", "links")


def matching_theme(
    pages: Sequence[Analysed], themes: Sequence[Profile]
) -> tuple[Profile, float] | None:
    """Return the theme whose own article markers match the most article pages (at least
    :data:`THEME_RATE` of them), with that share; None when no theme matches."""
    articles = [a for a in pages if a.is_article] or list(pages)
    best: tuple[Profile, float] | None = None
    for theme in themes:
        markers = theme.selectors("fields", "article")
        if not markers:
            continue
        compiled = [compile_query(q) for q in markers]
        hits = sum(any(c.run(a.root) for c in compiled) for a in articles)
        share = hits / len(articles)
        if share >= THEME_RATE and (best is None or share > best[1]):
            best = (theme, share)
    return best


def known_themes() -> list[Profile]:
    """Return every profile of kind ``theme`` (bundled, user folder, registered)."""
    themes = []
    for name in profile_names():
        try:
            profile = load_profile(name)
        except ValueError:
            continue
        if profile.kind == "theme":
            themes.append(profile)
    return themes


def _profile_name(host: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "portal"
    return name if name[0].isalnum() else f"p{name}"


def suggest_profile(
    pages: Sequence[SamplePage],
    *,
    name: str | None = None,
    themes: Sequence[Profile] | None = None,
    sitemaps: Sequence[str] = (),
) -> Suggestion:
    """Return a profile for the portal the ``pages`` come from.

    ``themes`` are the themes a match is looked for among (default: every known theme;
    pass ``[]`` to induce everything). ``sitemaps`` are those the portal's robots.txt
    names, when it was read (else ``/sitemap.xml`` is written, marked as a guess).
    Raises SuggestError for a ``name`` that is not a profile name, pages of two sites,
    and fewer than :data:`MIN_PAGES` article pages.
    """
    if name is not None:
        try:
            check_name("profile", name)
        except BadName as exc:
            raise SuggestError(str(exc)) from None
    host = check_one_site(pages)
    analysed = analyse(pages)
    articles = [a for a in analysed if a.is_article]
    if len(articles) < MIN_PAGES:
        raise SuggestError(
            f"only {len(articles)} of {len(pages)} pages are articles; "
            f"give at least {MIN_PAGES} article pages (10 to 30 advised)"
        )
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(articles[0].sample.url))
    suggestion = Suggestion(
        name or _profile_name(host), {}, pages=len(analysed), articles=len(articles)
    )
    data = suggestion.data
    notes = suggestion.comments
    data["name"] = suggestion.name
    theme_match = matching_theme(analysed, known_themes() if themes is None else themes)
    if theme_match:
        theme, share = theme_match
        suggestion.theme = theme.name
        data["extends"] = theme.name
        hits = round(share * len(articles))
        notes[("extends",)] = (
            f"its article markers match {hits}/{len(articles)} article pages ({share:.0%})"
        )
    data["kind"] = "portal"
    data["description"] = f"{host}: profile suggested from {len(analysed)} pages; review it."

    languages = induce_languages(articles)
    timezone = induce_timezone(articles)
    data["site"] = {"domains": [host], "languages": languages.value, "timezone": timezone.value}
    notes[("site", "languages")] = languages.note
    notes[("site", "timezone")] = timezone.note

    discovery: dict[str, Any] = {"start_urls": [origin]}
    feeds = induce_feeds(analysed)
    if feeds:
        discovery["feeds"] = feeds
        notes[("discovery", "feeds")] = "declared by the pages (link rel=alternate)"
    if sitemaps:
        discovery["sitemaps"] = list(sitemaps)
        notes[("discovery", "sitemaps")] = "named by robots.txt"
    else:
        discovery["sitemaps"] = [urljoin(origin, "/sitemap.xml")]
        notes[("discovery", "sitemaps")] = "a guess (the usual place); robots.txt may name others"
    article_links, listing_links = induce_links(analysed)
    for key, choice in (("article_links", article_links), ("listing_links", listing_links)):
        if choice and not (theme_match and theme_match[0].selectors("discovery", key)):
            discovery[key] = choice.value
            notes[("discovery", key)] = choice.comment()
    data["discovery"] = discovery

    dates = DateParser(languages.value or ["en"], timezone.value)
    induced = induce_fields(articles, analysed, notes, dates)
    if theme_match:
        induced = _only_better(induced, theme_match[0], articles, notes)
    for table, values in induced.items():
        if isinstance(values, dict):
            data.setdefault(table, {}).update(values)
        else:
            data[table] = values
    if not theme_match and not data.get("fields", {}).get("article"):
        # Without markers no page (but those with JSON-LD Article) would be an article.
        fields = data.setdefault("fields", {})
        fields["article"] = load_profile(FALLBACK).selectors("fields", "article")
        notes[("fields", "article")] = (
            "no marker found that the article pages have and the listings lack: the "
            "generic profile's; replace them with the element that holds an article"
        )
    if not theme_match:
        data["crawl"] = dict(POLITE_CRAWL)
        notes[("crawl",)] = "polite defaults for a portal not measured yet"
    answered = induce_fill_skip(articles, data, theme_match[0] if theme_match else None)
    if answered:
        data["fill"] = {"skip": answered[0]}
        notes[("fill", "skip")] = answered[1]
    problems = profile_problems(data)
    if problems:  # a bug here, not bad input: the induced selectors must compile
        raise SuggestError(f"the suggested profile does not pass its checks: {problems[0]}")
    return suggestion


def induce_fields(
    articles: Sequence[Analysed],
    everything: Sequence[Analysed],
    notes: dict[tuple[str, ...], str],
    dates: DateParser,
) -> dict[str, Any]:
    """Return the induced selector tables (``fields``, ``body``, ``breadcrumb``, ``images``,
    ``teasers``), writing each value's comment into ``notes``."""
    fields: dict[str, Any] = {}
    tables: dict[str, Any] = {"fields": fields}
    roots = _roots(everything)  # a selector with tags must select the same on every page

    def put(
        table: str,
        key: str,
        choice: Choice | None,
        as_list: bool = True,
        minimum: float = KEEP_RATE,
    ) -> None:
        if choice is None or choice.rate < minimum:
            return
        value = choice.value
        if isinstance(value, str):
            value = with_tags(value, roots)
        target = tables.setdefault(table, {})
        target[key] = [value] if as_list and isinstance(value, str) else value
        notes[(table, key)] = choice.comment()

    headline = induce_text(articles, [a.generic.headline for a in articles], heading=True)
    put("fields", "headline", headline)
    marker = induce_article_marker(everything, headline.value if headline else None)
    put("fields", "article", marker)
    put("fields", "canonical_url", induce_canonical(articles))
    put("fields", "section", _meta_field(articles, [a.generic.section for a in articles], False))
    if any(a.generic.authors for a in articles):
        put("fields", "authors", induce_authors(articles))
    put("fields", "tags", _meta_field(articles, [a.generic.tags for a in articles], True))
    put("fields", "published_at", induce_machine_date(articles, "published"))
    put("fields", "modified_at", induce_machine_date(articles, "modified"))
    put("fields", "published_at_visible", induce_visible_date(articles, dates))

    crumbs, items = induce_breadcrumb(articles)
    if crumbs and items and crumbs.rate >= KEEP_RATE:
        put("breadcrumb", "container", crumbs)
        tables["breadcrumb"]["items"] = items
    container, exclude = induce_body(articles)
    put("body", "container", container)
    put("fields", "headline_alt", induce_headline_alt(articles, _value(container)))
    if "body" in tables:
        put("body", "exclude", exclude)
        window = induce_alt_headline_window(articles, container.value if container else None, {})
        # Not every article has an alternate headline: two pages, and one in ten, show it.
        if window and window.agree >= 2:
            put("body", "alt_headline_window", window, as_list=False, minimum=0.1)
        # Text images: figures inside the body container.
        query = tables["body"]["container"][0]
        tables["images"] = {"figures": [f"{query} figure, {query} img"]}
        notes[("images", "figures")] = "images inside the body container"
        tables["images"]["figure_caption"] = ["figcaption", ".wp-caption-text"]
    lead, caption, credit = induce_lead_image(articles, container.value if container else None)
    put("images", "lead", lead)
    put("images", "lead_caption", caption)
    put("images", "lead_credit", credit)
    if "images" in tables and "lead" in tables["images"]:
        tables["images"]["lead_fallback"] = []
    teasers = induce_teasers(articles, container.value if container else None)
    if teasers:
        tables["teasers"] = [with_tags_in_group(group, roots) for group, _ in teasers]
        for number, (_, choice) in enumerate(teasers):
            notes[("teasers", str(number))] = choice.comment()
    return tables


def _value(choice: Choice | None) -> Any:
    return choice.value if choice is not None else None


def induce_fill_skip(
    articles: Sequence[Analysed], data: dict[str, Any], theme: Profile | None
) -> tuple[list[str], str] | None:
    """Return the fields whose emptiness the profile in ``data`` (over ``theme``, when it
    extends one) answers, with the TOML comment that says why: on the sample it found each
    on :data:`MIN_PAGES` pages or more, the generic fill found none where it found none,
    and either it found none on :data:`SKIP_EMPTY` pages or more, or (fewer empty pages:
    a credit line most articles have) the generic extractor found the field on none of the
    sample's pages, those where the profile found it included: it does not read where
    the portal puts it, and finds nothing else in its place. None when no field is such."""
    merged = _merge(theme.data, data) if theme else data
    profile = Profile(str(data["name"]), "portal", merged)
    found: Counter[str] = Counter()
    empty: Counter[str] = Counter()
    filled: Counter[str] = Counter()
    pages = 0
    for analysed in articles:
        sample = analysed.sample
        try:
            page = parse_page(sample.url, sample.body, profile=profile, now=sample.now)
            article = extract_page(page, fill=False)
        except ExtractionError:
            continue
        pages += 1
        for name in FILL_FIELDS:
            if getattr(article, name) in (None, [], ""):
                empty[name] += 1
            else:
                found[name] += 1
        filled.update(fill_record(article, page))
    answered = [
        name
        for name in FILL_FIELDS
        if found[name] >= MIN_PAGES and empty[name] and not filled[name]
    ]
    # Whether the generic extractor finds a field anywhere is asked only of the fields
    # with too few empty pages to tell by them alone (reading a field may cost a page).
    skip = [
        name for name in answered if empty[name] >= SKIP_EMPTY or not _generic_finds(articles, name)
    ]
    if not skip:
        return None
    by_empty = [f"{name} on {empty[name]}" for name in skip if empty[name] >= SKIP_EMPTY]
    nowhere = [f"{name} on {empty[name]}" for name in skip if empty[name] < SKIP_EMPTY]
    reasons = []
    if by_empty:
        reasons.append(
            f"where the profile found none ({', '.join(by_empty)}), the generic extractor "
            "found none either"
        )
    if nowhere:
        reasons.append(
            f"the profile found none ({', '.join(nowhere)}), and the generic extractor "
            f"found it on none of the {len(articles)} pages"
        )
    return skip, (
        f"of {pages} article pages, {'; '.join(reasons)}: the profile's answer, not filled in"
    )


def _generic_finds(articles: Sequence[Analysed], name: str) -> bool:
    """Tell whether the generic extractor finds the field ``name`` on some of ``articles``."""
    return any(getattr(a.generic, name) not in (None, [], "") for a in articles)


def _only_better(
    induced: dict[str, Any],
    theme: Profile,
    articles: Sequence[Analysed],
    notes: dict[tuple[str, ...], str],
) -> dict[str, Any]:
    """Keep, of the induced ``fields`` selectors, those that agree with the sample clearly
    better than the theme's own (by :data:`OVERRIDE_MARGIN`); drop the other tables."""
    kept: dict[str, Any] = {}
    for key, value in induced.get("fields", {}).items():
        if key == "article":
            continue  # the theme's markers matched: that is why it is extended
        ours = notes.get(("fields", key), "")
        match = re.search(r"(\d+)/(\d+)", ours)
        if not match:
            continue
        ours_rate = int(match.group(1)) / int(match.group(2))
        theirs = theme.selectors("fields", key)
        if not theirs:
            kept.setdefault("fields", {})[key] = value
            continue
        theirs_rate = _theme_rate(theme, key, value, articles)
        if ours_rate >= theirs_rate + OVERRIDE_MARGIN:
            kept.setdefault("fields", {})[key] = value
            notes[("fields", key)] += f"; the theme's agrees on {theirs_rate:.0%}"
    return kept


def _theme_rate(theme: Profile, key: str, ours: list[str], articles: Sequence[Analysed]) -> float:
    """Return on how many pages the theme's selectors for ``fields.key`` give what ours give."""
    agree = 0
    for analysed in articles:
        page = analysed.page
        theirs = next(
            (v for v in (page.document.values(q) for q in theme.selectors("fields", key)) if v), []
        )
        mine = next((v for v in (page.document.values(q) for q in ours) if v), [])
        agree += [normalize_space(v) for v in theirs[:1]] == [normalize_space(v) for v in mine[:1]]
    return agree / len(articles) if articles else 0.0


# ----------------------------------------------------------------------- TOML


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        items = [_toml_value(v) for v in value]
        one_line = "[" + ", ".join(items) + "]"
        if len(one_line) <= 80:
            return one_line
        return "[\n" + "".join(f"  {item},\n" for item in items) + "]"
    raise TypeError(f"no TOML for {value!r}")


def render_toml(suggestion: Suggestion) -> str:
    """Return ``suggestion`` as a TOML profile with a comment above each induced value."""
    data, notes = suggestion.data, suggestion.comments
    lines = [
        f"# Suggested by `newscrawl profile suggest` from {suggestion.pages} pages "
        f"({suggestion.articles} articles) of {data['site']['domains'][0]}.",
        "# Each comment says how the value below it agreed with the generic extractor over",
        "# those pages. Review every value before you crawl with it.",
        "",
    ]

    def emit(path: tuple[str, ...], key: str, value: Any) -> None:
        note = notes.get((*path, key))
        if note:
            lines.append(f"# {note}")
        lines.append(f"{key} = {_toml_value(value)}")

    for key in ("name", "extends", "kind", "description"):
        if key in data:
            emit((), key, data[key])
    for table in ("site", "discovery", "fields", "breadcrumb", "body", "images", "fill", "crawl"):
        if table not in data:
            continue
        lines += ["", f"[{table}]"]
        if (table,) in notes:
            lines.append(f"# {notes[(table,)]}")
        for key, value in data[table].items():
            emit((table,), key, value)
    for number, group in enumerate(data.get("teasers", [])):
        lines += ["", "[[teasers]]"]
        if ("teasers", str(number)) in notes:
            lines.append(f"# {notes[('teasers', str(number))]}")
        for key, value in group.items():
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------- comparing records

COMPARED_FIELDS = (
    "canonical_url",
    "language",
    "section",
    "breadcrumb",
    "headline",
    "headline_alt",
    "authors",
    "published_at",
    "modified_at",
    "body",
    "photo_credit",
    "images",
    "teasers",
    "tags",
)
"""Record fields a profile check compares: the content, not the crawl's bookkeeping (url,
site, crawled_at, fingerprint, revision)."""


def comparable(field_name: str, value: Any) -> Any:
    """Return a record field's value as compared: text without case or spacing
    differences, teasers in URL order (the order of teaser groups is the profile's)."""
    if isinstance(value, str):
        return (normalize_space(value) or "").casefold() or None
    if isinstance(value, list):
        items = [comparable(field_name, v) for v in value]
        if field_name == "teasers":
            items = sorted(items, key=lambda t: json.dumps(t, sort_keys=True, default=str))
        return items or None
    if isinstance(value, dict):
        return {k: comparable(k, v) for k, v in value.items()} or None
    return value


@dataclass
class FieldAgreement:
    """How one field of a profile's records agreed with the reference records."""

    name: str
    agree: int = 0
    total: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.agree / self.total if self.total else 1.0


def compare_records(
    records: Sequence[dict[str, Any] | None],
    references: Sequence[dict[str, Any] | None],
    names: Sequence[str] = (),
) -> dict[str, FieldAgreement]:
    """Return, for each of :data:`COMPARED_FIELDS`, on how many pages ``records`` (as
    dicts; None for a page that gave none) equal ``references``. ``names`` label the pages
    in the first few disagreements kept as examples."""
    result = {name: FieldAgreement(name) for name in COMPARED_FIELDS}
    for index, (record, reference) in enumerate(zip(records, references, strict=True)):
        label = names[index] if index < len(names) else str(index)
        for name, agreement in result.items():
            agreement.total += 1
            ours = comparable(name, (record or {}).get(name))
            theirs = comparable(name, (reference or {}).get(name))
            if ours == theirs:
                agreement.agree += 1
            elif len(agreement.examples) < 3:
                agreement.examples.append(f"{label}: {_short(ours)} != {_short(theirs)}")
    return result


def _short(value: Any, limit: int = 70) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
