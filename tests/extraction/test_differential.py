"""Our fast paths give what the libraries give: selectors against parsel, loaders against
itemloaders' ItemLoader, on every fixture page and every page of ../shared/realpages.

``selectors.compile_query``/``Document`` re-implement parsel's query path (compiled once,
scoped from an id or class), and ``loaders.load_record``/``_field_cleaner`` re-implement
itemloaders' field processing. Both claim the libraries' results; this checks the claim.
Both sides run on the same parsed tree, so any difference is the query or cleaning path.
The fast suite takes a sample of the real pages; ``-m slow`` reads them all.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from itemloaders import ItemLoader
from lxml import etree
from parsel import Selector

from newscrawl.extraction import Page, loaders, parse_page
from newscrawl.extraction.loaders import (
    ArticleLoader,
    BreadcrumbLoader,
    ProfileLoader,
    TeaserLoader,
    load_record,
)
from newscrawl.extraction.processors import normalize_space
from newscrawl.extraction.selectors import XPATH_PREFIX, Document, compile_query, node_text
from newscrawl.profiles import load_profile, profile_names
from tests.conftest import FIXTURES, ROOT

REALPAGES = ROOT.parent / "shared" / "realpages"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SAMPLE_EVERY = 16
"""The fast suite reads every 16th real page (in path order); the slow one all of them."""
CONTEXTS_FAST, CONTEXTS_SLOW = 1, 3
"""Relative selectors run from the first nodes each container-like selector finds: this
many in the fast suite and in the slow one."""
LINKS_PER_PAGE = 40
"""Links of a page turned into teaser values for the loader comparison."""


def real_pages() -> list[Path]:
    if not REALPAGES.is_dir():
        return []
    aeb = sorted((REALPAGES / "aeb" / "pages").glob("*.html.gz"))
    fundus = sorted((REALPAGES / "fundus" / "pages").glob("**/*.html.gz"))
    return aeb + fundus


@cache
def real_urls() -> dict[str, str]:
    """Map a real page's path (relative to realpages/) to its URL."""
    urls: dict[str, str] = {}
    for corpus in ("aeb", "fundus"):
        truth = REALPAGES / corpus / "truth.jsonl"
        for line in truth.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            urls[f"{corpus}/{row['path']}"] = row["url"]
    return urls


def fixture_pages() -> list[Path]:
    return sorted(FIXTURES.glob("*/*.html"))


def page_ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(p.parents[2] if "realpages" in p.parts else FIXTURES)) for p in paths]


def read_page(path: Path) -> tuple[str, bytes]:
    """Return the URL and the bytes of a fixture or real page."""
    if path.suffix == ".gz":
        relative = path.relative_to(REALPAGES)
        corpus, rest = relative.parts[0], Path(*relative.parts[1:])
        url = real_urls().get(f"{corpus}/{rest}", real_urls().get(f"{corpus}/{relative}", ""))
        return url or "https://example.com/", gzip.decompress(path.read_bytes())
    spec = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return spec["meta"]["url"], path.read_bytes()


def profile_selectors() -> list[tuple[str, str]]:
    """Return every selector of every profile as ``(key, selector)``, each once."""
    found: dict[str, str] = {}

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                walk(value, f"{key}.{name}" if key else name)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif (
            isinstance(node, str)
            and key.split(".")[0] in SELECTOR_TABLES
            and not key.endswith(("drop_patterns", "sitemap_follow", "alt_headline_window"))
        ):
            found.setdefault(node, key)

    for name in profile_names():
        walk(load_profile(name).data, "")
    return [(key, query) for query, key in found.items()]


SELECTOR_TABLES = {"discovery", "fields", "breadcrumb", "body", "images", "teasers"}
CONTAINERS = ("container", "nodes", "figures", "article_links", "listing_links")
"""Keys whose nodes other selectors are read relative to."""


def parsel_select(root: Any, query: str) -> list[Any]:
    """What plain parsel selects: the lxml element or the string of each result."""
    selector = Selector(root=root, type="html")
    if query.startswith(XPATH_PREFIX):
        found = selector.xpath(query.removeprefix(XPATH_PREFIX))
    else:
        found = selector.css(query)
    return [s.root for s in found]


def outcome(function: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", function(*args)
    except Exception as exc:  # both sides must fail alike
        return "error", type(exc).__name__


def comparable(values: list[Any]) -> list[Any]:
    """Elements compare by their place in the (same) tree, strings and numbers by value."""
    return [
        ("element", v.getroottree().getpath(v)) if isinstance(v, etree._Element) else v
        for v in values
    ]


def selector_differences(page: Page, per_container: int) -> Iterator[str]:
    root = page.selector.root
    document = Document(root)
    selectors = profile_selectors()
    contexts: list[Any] = [root]
    for key, query in selectors:
        if key.endswith(CONTAINERS):
            nodes = [n for n in document.select(query) if isinstance(n, etree._Element)]
            contexts += nodes[:per_container]
    for context in contexts:
        for key, query in selectors:
            theirs = outcome(lambda c=context, q=query: comparable(parsel_select(c, q)))
            ours = outcome(lambda c=context, q=query: comparable(document.select(q, c)))
            plain = outcome(lambda c=context, q=query: comparable(compile_query(q).run(c)))
            where = "root" if context is root else f"<{context.tag}>"
            if ours != theirs:
                yield f"{key} {query!r} from {where}: Document {ours} != parsel {theirs}"
            if plain != theirs:
                yield f"{key} {query!r} from {where}: compile_query {plain} != parsel {theirs}"


# ----------------------------------------------------------------------------- loaders


def reference_loader(loader_class: type[ProfileLoader]) -> type[ItemLoader]:
    """Return a plain ItemLoader subclass with ``loader_class``'s processors and item class:
    itemloaders' own processor lookup and field processing, none of ours."""
    attributes: dict[str, Any] = {}
    for klass in reversed(loader_class.__mro__):
        if issubclass(klass, ProfileLoader):
            for name, value in vars(klass).items():
                if name.endswith(("_in", "_out")) or name.startswith("default_"):
                    attributes[name] = value
    return type(f"Reference{loader_class.__name__}", (ItemLoader,), attributes)


def itemloader_record(
    loader_class: type[ProfileLoader], values: dict[str, Any], base_url: str
) -> Any:
    loader = reference_loader(loader_class)(base_url=base_url)
    for name, value in values.items():
        loader.add_value(name, value)
    return loader.load_item()


def profile_loader_record(
    loader_class: type[ProfileLoader], values: dict[str, Any], base_url: str
) -> Any:
    """The record ``loader_class`` itself loads (its own input processing), one
    ``add_value`` per field, as extraction fills an article."""
    loader = loader_class(base_url=base_url)
    for name, value in values.items():
        loader.add_value(name, value)
    return loader.load_item()


def loader_inputs(page: Page) -> Iterator[tuple[type[ProfileLoader], dict[str, Any]]]:
    """Yield the values the page gives each loader, as extraction would collect them, plus
    teaser-like values from the page's links (many real, messy titles, hrefs and excerpts)."""
    document = page.document
    profile = page.profile
    containers = document.first_match(profile.selectors("breadcrumb", "container"))
    if containers:
        query = str(profile.get("breadcrumb", "items", default="a"))
        for node in document.select(query, containers[0]):
            links = document.select("xpath:(descendant-or-self::a/@href)[1]", node)
            yield BreadcrumbLoader, {"name": node_text(node), "url": next(iter(links), None)}
    for group in profile.get("teasers", default=[]):
        for node in document.select(group["nodes"]):
            fields = [n for n in ("title", "url", "excerpt") if n in group]
            yield TeaserLoader, {n: document.values(group[n], node) for n in fields}
    for link in document.select("a[href]")[:LINKS_PER_PAGE]:
        parent = link.getparent()
        yield (
            TeaserLoader,
            {
                "title": [node_text(link)],
                "url": [link.get("href")],
                "excerpt": [node_text(parent)] if parent is not None else [],
            },
        )
    article: dict[str, Any] = {"url": page.url, "site": profile.name}
    for field in ("canonical_url", "headline", "section", "authors", "tags"):
        article[field] = [v for values in page.candidates("fields", field) for v in values]
    yield ArticleLoader, article


def loader_differences(page: Page) -> Iterator[str]:
    for loader_class, values in loader_inputs(page):
        ours = outcome(
            lambda c=loader_class, v=values: asdict(load_record(c, v, base_url=page.url))
        )
        theirs = outcome(lambda c=loader_class, v=values: asdict(itemloader_record(c, v, page.url)))
        if ours != theirs:
            yield f"{loader_class.__name__} {values!r}: load_record {ours} != ItemLoader {theirs}"
        loaded = outcome(
            lambda c=loader_class, v=values: asdict(profile_loader_record(c, v, page.url))
        )
        if loaded != theirs:
            yield f"{loader_class.__name__} {values!r}: add_value {loaded} != ItemLoader {theirs}"


# ------------------------------------------------------------------------------- tests

FIXTURE_PAGES = fixture_pages()


def differences(path: Path, per_container: int = CONTEXTS_FAST) -> list[str]:
    url, body = read_page(path)
    found: list[str] = []
    for profile in ("jmn", "generic"):  # one tree per parser (etree's, lxml.html's)
        try:
            page = parse_page(url, body, {"Content-Type": "text/html"}, profile, NOW)
        except Exception as exc:  # a page that does not parse has nothing to compare
            found.append(f"{profile}: does not parse: {exc}")
            continue
        found += [f"{profile}: {d}" for d in selector_differences(page, per_container)]
        found += [f"{profile}: {d}" for d in loader_differences(page)]
    return found


def test_the_selectors_reach_every_kind_of_query() -> None:
    """The comparison covers CSS and XPath, anchored and not, elements and strings."""
    queries = [q for _, q in profile_selectors()]
    assert any(q.startswith(XPATH_PREFIX) for q in queries)
    assert any(compile_query(q).anchor for q in queries)
    assert any("::attr(" in q for q in queries)
    assert len(queries) > 40


def test_the_reference_loader_is_plain_itemloaders() -> None:
    reference = reference_loader(TeaserLoader)
    assert "get_input_processor" not in vars(reference)
    assert reference.get_input_processor is ItemLoader.get_input_processor
    assert reference.url_in is TeaserLoader.url_in


def test_a_difference_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison is not blind: a cleaner or a query path that differs is reported."""
    (path,) = [p for p in FIXTURE_PAGES if p.name == "several-check-also-teasers.html"]
    real_load, real_select = load_record, Document.select

    def no_ellipsis_stripping(loader_class: Any, values: Any, **context: Any) -> Any:
        record = real_load(loader_class, values, **context)
        if loader_class is TeaserLoader and values.get("excerpt"):
            record.excerpt = normalize_space(" ".join(values["excerpt"]))
        return record

    monkeypatch.setattr(sys.modules[__name__], "load_record", no_ellipsis_stripping)
    assert any("load_record" in d for d in differences(path))
    monkeypatch.setattr(sys.modules[__name__], "load_record", real_load)

    real_steps = loaders._run_steps

    def no_context(steps: Any, value: Any, context: Any) -> list[Any]:
        return real_steps(steps, value, {**context, "base_url": "https://elsewhere.example/"})

    monkeypatch.setattr(loaders, "_run_steps", no_context)
    assert any("add_value" in d for d in differences(path))
    monkeypatch.setattr(loaders, "_run_steps", real_steps)

    def first_match_only(self: Document, query: str, node: Any = None) -> list[Any]:
        return real_select(self, query, node)[:1]

    monkeypatch.setattr(Document, "select", first_match_only)
    assert any("Document" in d for d in differences(path))


@pytest.mark.parametrize("path", FIXTURE_PAGES, ids=page_ids(FIXTURE_PAGES))
def test_fixture_page(path: Path) -> None:
    assert differences(path, CONTEXTS_SLOW) == []


REAL_PAGES = real_pages()
SAMPLE = REAL_PAGES[::SAMPLE_EVERY]
SKIP_REAL = pytest.mark.skipif(not REAL_PAGES, reason=f"{REALPAGES} is absent")
PARTS = 4
"""The slow every-page checks run as this many tests of a share of the pages each, so that a
parallel run (``pytest -n 2``) can spread them."""
EVERY_PAGE_PART = pytest.mark.parametrize(
    "part", range(PARTS), ids=lambda k: f"part{k + 1}of{PARTS}"
)


def pages_of_part(part: int) -> list[Path]:
    """Return the real pages of share ``part`` (every ``PARTS``-th page, from the ``part``-th)."""
    return REAL_PAGES[part::PARTS]


PageTest = Callable[..., None]


def over_every_page(
    differences_of: Callable[[Path], list[Any]],
    every_page_differences_of: Callable[[Path], list[Any]] | None = None,
) -> tuple[PageTest, ...]:
    """Return three tests that ``differences_of(page)`` is empty: on each fixture page, on
    each page of the real-page sample, and on every real page at once (marked slow; with
    ``every_page_differences_of`` in its place when given, a cheaper check for the whole
    set). The real-page tests are skipped when ``../shared/realpages`` is absent. A test
    module takes them under names of its own (``test_fixture_page, ... = over_every_page(...)``)."""
    every_of = every_page_differences_of or differences_of

    @pytest.mark.parametrize("path", FIXTURE_PAGES, ids=page_ids(FIXTURE_PAGES))
    def fixture_page(path: Path) -> None:
        assert differences_of(path) == []

    @SKIP_REAL
    @pytest.mark.parametrize("path", SAMPLE, ids=page_ids(SAMPLE))
    def real_page_sample(path: Path) -> None:
        assert differences_of(path) == []

    @SKIP_REAL
    @pytest.mark.slow
    @EVERY_PAGE_PART
    def every_real_page(part: int) -> None:
        found = {str(p): d for p in pages_of_part(part) if (d := every_of(p))}
        assert found == {}

    return fixture_page, real_page_sample, every_real_page


@SKIP_REAL
@pytest.mark.parametrize("path", SAMPLE, ids=page_ids(SAMPLE))
def test_real_page_sample(path: Path) -> None:
    assert differences(path) == []


@SKIP_REAL
@pytest.mark.slow
@EVERY_PAGE_PART
def test_every_real_page(part: int) -> None:
    found = {str(p): d for p in pages_of_part(part) if (d := differences(p, CONTEXTS_SLOW))}
    assert found == {}
