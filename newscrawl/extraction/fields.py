"""The fields of a record, each read from a parsed :class:`~newscrawl.extraction.page.Page`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import chain
from typing import Any

from lxml import etree
from parsel import Selector

# The module, not its function: newscrawl.identity imports extraction.processors, so
# importing identity first reaches this module while identity is half-initialised.
from newscrawl import identity
from newscrawl.extraction.alternate import Known, first_alternate, primary_language
from newscrawl.extraction.generic.record import fill_record, generic_record
from newscrawl.extraction.loaders import ArticleLoader, BreadcrumbLoader, TeaserLoader, load_record
from newscrawl.extraction.metadata import jsonld_names
from newscrawl.extraction.page import (
    Headers,
    NotAnArticle,
    Page,
    _patterns,
    body_from_trafilatura,
    parse_page,
)
from newscrawl.extraction.processors import (
    CREDIT_LINE_LENGTH,
    absolute_url,
    detect_language,
    format_datetime,
    is_credit_line,
    language_differs,
    normalize_space,
    plausible_date,
    split_authors,
    split_credit,
    strip_credit_label,
)
from newscrawl.extraction.selectors import (
    Document,
    Node,
    compile_query,
    node_text,
    outermost,
)
from newscrawl.extraction.text import clean
from newscrawl.items import AltHeadline, Article, Breadcrumb, Image
from newscrawl.profiles import Profile

BLOCK_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "li", "pre"})
MAX_ALT_HEADLINE = 300
TRAFILATURA_OPTIONS: dict[str, bool] = {
    "include_comments": False,
    "include_tables": False,
    "include_images": False,
    "favor_precision": True,
    "deduplicate": False,
}
"""What the generic fallback asks of ``trafilatura.extract``: the article text, precision first."""


class Plan:
    """What extraction reads from a profile, looked up once per profile: its selector
    lists (as tuples), drop patterns, alternate-headline window, languages and teaser
    groups. A page asks for them some fifty times; each ``Profile.get`` walks the
    profile's tables, and ``Profile.selectors`` copies the list it finds."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._selectors: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.languages: list[str] = profile.languages
        self.drop = _patterns(tuple(profile.selectors("body", "drop_patterns")))
        self.window = int(profile.get("body", "alt_headline_window", default=0))
        self.crumb_items = str(profile.get("breadcrumb", "items", default="a"))
        self.teaser_groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = tuple(
            (
                group["nodes"],
                tuple((n, group[n]) for n in ("title", "url", "excerpt") if n in group),
            )
            for group in profile.get("teasers", default=[])
        )
        self.body_from_trafilatura = body_from_trafilatura(profile)

    def selectors(self, *path: str) -> tuple[str, ...]:
        """Return ``Profile.selectors(*path)`` as a tuple (read once)."""
        found = self._selectors.get(path)
        if found is None:
            found = self._selectors[path] = tuple(self.profile.selectors(*path))
        return found


_PLANS: dict[int, tuple[Profile, Plan]] = {}
_MAX_PLANS = 64


def plan_of(profile: Profile) -> Plan:
    """Return the :class:`Plan` of ``profile``, made on its first use. Profiles do not
    change and are few (``load_profile`` caches them); a plan is kept by the profile's
    identity, since a profile holds a dict and cannot be hashed."""
    entry = _PLANS.get(id(profile))
    if entry is not None and entry[0] is profile:
        return entry[1]
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    plan = Plan(profile)
    _PLANS[id(profile)] = (profile, plan)
    return plan


def _candidates(page: Page, queries: tuple[str, ...]) -> Iterator[list[str]]:
    """Yield, lazily, the strings each of ``queries`` selects (as ``Page.candidates``)."""
    for query in queries:
        yield page.document.values(query)


def _excluded(page: Page, container: etree._Element) -> set[etree._Element]:
    """Return the elements of the profile's ``body.exclude`` subtrees inside ``container``,
    and of its ``<template>`` subtrees (inert markup that no reader sees).

    Every element of each excluded subtree is in the set, the subtree's root included. The
    container and its ancestors never are (an ``xpath://…`` exclude may select them).
    """
    keep = {container, *container.iterancestors()}
    inside: set[etree._Element] = set()
    queries = plan_of(page.profile).selectors("body", "exclude")
    # Simple selectors (tags, classes, ids: all of Sahifa's) are answered by one walk.
    found = page.document.matching(queries, container)
    selected = (page.document.select(q, container) for q in queries) if found is None else [found]
    for nodes in selected:
        for node in nodes:
            if isinstance(node, etree._Element) and node not in keep and node not in inside:
                inside.update(node.iter())
    for template in container.iter("template"):
        inside.update(template.iter())
    return inside


def _holders(excluded: set[etree._Element], container: etree._Element) -> set[etree._Element]:
    """Return the blocks (up to ``container``) that hold an excluded element: their text
    is read around it. Each element above an excluded one is visited once (linear time,
    however deep the markup)."""
    holders: set[etree._Element] = set()
    seen: set[etree._Element] = set()
    for element in excluded:
        node = element.getparent()
        while node is not None and node not in excluded and node not in seen:
            seen.add(node)
            if node.tag in BLOCK_TAGS:
                holders.add(node)
            if node is container:
                break
            node = node.getparent()
    return holders


def _body_blocks(page: Page) -> list[str]:
    """Return the normalised texts of the innermost text blocks of the body container.

    The profile's ``body.exclude`` subtrees are skipped while reading; the tree is not
    changed, so every other field reads the page as it was parsed.
    """
    containers = page.document.first_match(plan_of(page.profile).selectors("body", "container"))
    if not containers or not isinstance(containers[0], etree._Element):
        return []
    container = containers[0]
    excluded = _excluded(page, container)
    holders = _holders(excluded, container)
    blocks = [b for b in container.iter(*BLOCK_TAGS) if b not in excluded]
    texts: list[str] = []
    for index, element in enumerate(blocks, 1):
        # In document order a block's own blocks come right after it: it holds one exactly
        # when the next block is inside it.
        if index < len(blocks) and _inside(blocks[index], element, container):
            continue
        raw = node_text(element, excluded) if element in holders else node_text(element)
        text = normalize_space(raw)
        if text:
            texts.append(text)
    return texts


def _inside(element: etree._Element, ancestor: etree._Element, top: etree._Element) -> bool:
    """Return True when ``element`` is inside ``ancestor``; both are inside ``top`` or it."""
    parent = element.getparent()
    while parent is not None and parent is not ancestor and parent is not top:
        parent = parent.getparent()
    return parent is ancestor


class HeadlineLanguage:
    """The language of a headline, detected once, and only if it is asked for."""

    def __init__(self, headline: str | None, prefer: list[str]) -> None:
        self.headline = headline
        self.prefer = prefer
        self._language: str | None = None
        self._detected = False

    def __call__(self) -> str | None:
        """Return :func:`detect_language` of the headline (run once)."""
        if not self._detected:
            self._language = detect_language(self.headline, prefer=self.prefer)
            self._detected = True
        return self._language

    def differs(self, language: str) -> bool:
        """Tell whether the headline has a language and it is not ``language``.

        When the headline's script rules ``language`` out (an English headline against a
        Russian block: see :func:`language_differs`), the model does not run."""
        if not self._detected and language_differs(self.headline, language):
            return True
        own = self()
        return bool(own) and language != own


def _other_language(headline_lang: str | Callable[[], str | None] | None, language: str) -> bool:
    """Tell whether the headline (``headline_lang``: its language, a function that gives
    it, or a :class:`HeadlineLanguage`) has a language and it is not ``language``."""
    if isinstance(headline_lang, HeadlineLanguage):
        return headline_lang.differs(language)
    own = headline_lang() if callable(headline_lang) else headline_lang
    return bool(own) and language != own


def _split_body(
    page: Page, blocks: list[str], headline_lang: str | Callable[[], str | None] | None
) -> tuple[list[str], str | None, AltHeadline | None]:
    """Separate body paragraphs (``blocks``: normalised texts) from the credit line and the
    alternate headline.

    ``headline_lang`` is the headline's language, or a function that gives it (a
    :class:`HeadlineLanguage`): then it is asked only when a block in another language
    could be the alternate headline."""
    plan = plan_of(page.profile)
    drop, window = plan.drop, plan.window
    body: list[str] = []
    credit: str | None = None
    alt: AltHeadline | None = None
    for index, text in enumerate(blocks):
        # A block is normalised text: one longer than a credit line is none (and need
        # not be normalised again to tell).
        if len(text) <= CREDIT_LINE_LENGTH and is_credit_line(text):
            credit = credit or strip_credit_label(text)
            continue
        if any(p.search(text) for p in drop):
            continue
        if alt is None and not body and index < window and len(text) <= MAX_ALT_HEADLINE:
            # Without a headline language no block can be the alternate headline.
            lang = detect_language(text, prefer=plan.languages)
            if lang and _other_language(headline_lang, lang):
                alt = AltHeadline(text=text, lang=lang)
                continue
        body.append(text)
    return body, credit, alt


def alternate_candidates(
    document: Document, queries: Iterable[str]
) -> Iterator[tuple[str, str | None]]:
    """Yield (text, declared language or None) for the first text each of ``queries``
    selects, in order: an element's visible text with its own ``lang`` attribute, or a
    selected string (which declares no language). One candidate a selector, so that a
    page is read for at most as many as the profile gives selectors."""
    for query in queries:
        for node in document.select(query):
            if text := clean(node_text(node)):
                yield text, primary_language(_attribute(node, "lang"))
                break


def _alternates(page: Page) -> Iterator[tuple[str, str | None]]:
    """Yield the :func:`alternate_candidates` of the profile's ``fields.headline_alt``."""
    queries = plan_of(page.profile).selectors("fields", "headline_alt")
    return alternate_candidates(page.document, queries)


def _selected_alternate(page: Page, headline: Known, language: Known) -> AltHeadline | None:
    """Return the first of :func:`_alternates` that is the headline in another language
    than ``language`` (the record's), by the generic extractor's rule
    (:func:`~newscrawl.extraction.alternate.first_alternate`), or None."""
    found = first_alternate(_alternates(page), headline, language)
    return AltHeadline(text=found[0], lang=found[1]) if found else None


def first_href(node: Node) -> str | None:
    """Return what ``(descendant-or-self::a/@href)[1]`` selects from ``node``: the href of
    the first link (``node`` or inside it) that has one, else None. One walk that stops
    at that link, instead of a query per crumb."""
    if not isinstance(node, etree._Element):
        return None
    for link in node.iter("a"):
        href = link.get("href")
        if href is not None:
            return href
    return None


def _breadcrumb(page: Page) -> list[Breadcrumb]:
    document = page.document
    plan = plan_of(page.profile)
    containers = document.first_match(plan.selectors("breadcrumb", "container"))
    if not containers:
        return []
    query = plan.crumb_items
    crumbs: list[Breadcrumb] = []
    for node in document.select(query, containers[0]):
        values = {"name": node_text(node), "url": first_href(node)}
        crumb = load_record(BreadcrumbLoader, values, **page.loader_context())
        if crumb.name:
            crumbs.append(crumb)
    if crumbs and crumbs[-1].url in (None, page.url):
        crumbs[-1].url = None
    return crumbs


def _teasers(page: Page) -> list[Any]:
    """Return the teasers of each group of the profile, in page order.

    A teaser node inside another of its group is part of that teaser, not one of its own
    (as for ``_teaser_elements``): reading each nested node's subtree again made 2,000
    nested ``.check-also-post`` (190 KB) take nearly a minute.
    """
    document = page.document
    teasers = []
    for nodes, fields in plan_of(page.profile).teaser_groups:
        for node in outermost(document.select(nodes)):
            values = {name: document.values(query, node) for name, query in fields}
            teaser = load_record(TeaserLoader, values, **page.loader_context())
            if teaser.title and teaser.url:
                teasers.append(teaser)
    return teasers


def _attribute(node: Node, name: str) -> str | None:
    """Return the attribute ``name`` of an element ``node``; None for anything else."""
    if isinstance(node, etree._Element) and isinstance(node.tag, str):
        return node.get(name)
    return None


def _image_url(node: Node, base: str) -> str | None:
    for attr in ("data-src", "data-lazy-src", "src", "content"):
        value = _attribute(node, attr)
        if value and not value.startswith("data:"):
            return absolute_url(value, base)
    if isinstance(node, str):
        return absolute_url(node, base)
    return None


def _lead_image(page: Page) -> Image | None:
    """Return the featured image with its caption and the credit in that caption, or None."""
    document = page.document
    plan = plan_of(page.profile)
    nodes = document.first_match(plan.selectors("images", "lead"))
    nodes = nodes or document.first_match(plan.selectors("images", "lead_fallback"))
    url = _image_url(nodes[0], page.url) if nodes else None
    if not url:
        return None
    captions = document.first_match(plan.selectors("images", "lead_caption"))
    caption, credit = split_credit(node_text(captions[0]) if captions else None)
    credits = document.first_match(plan.selectors("images", "lead_credit"))
    if credits:  # a credit the page marks apart, with or without a label
        credit = strip_credit_label(node_text(credits[0])) or credit
    return Image(url=url, caption=caption, credit=credit)


def _teaser_elements(page: Page) -> set[etree._Element]:
    """Return every element inside the page's teaser nodes (the nodes included)."""
    inside: set[etree._Element] = set()
    for nodes, _fields in plan_of(page.profile).teaser_groups:
        for node in page.document.select(nodes):
            if isinstance(node, etree._Element) and node not in inside:
                inside.update(node.iter())
    return inside


def _text_images(page: Page) -> list[Image]:
    """Return the images in the article text (figures and bare ``<img>``) in page order.

    An image inside a teaser (a Check Also or related post, even one placed inside the
    text) is that teaser's thumbnail, not an image of the article.
    """
    document = page.document
    images: list[Image] = []
    plan = plan_of(page.profile)
    caption_queries = plan.selectors("images", "figure_caption")
    teasers = _teaser_elements(page)
    for query in plan.selectors("images", "figures"):
        for node in document.select(query):
            if node in teasers:
                continue
            img = node if node.tag == "img" else next(iter(document.select("img", node)), None)
            url = _image_url(img, page.url) if img is not None else None
            if url:
                # Only the first caption is wanted: read no more (nested figures, each
                # with a thousand captions inside, made reading them all quadratic).
                texts = (document.first_value(q, node) for q in caption_queries)
                caption, credit = split_credit(next((t for t in texts if t is not None), None))
                images.append(Image(url=url, caption=caption, credit=credit))
    return images


def _unique_images(*groups: list[Image]) -> list[Image]:
    """Return the images of ``groups`` in order, each URL once (its first occurrence)."""
    seen: set[str | None] = set()
    unique: list[Image] = []
    for image in (i for group in groups for i in group):
        if image.url not in seen:
            seen.add(image.url)
            unique.append(image)
    return unique


def _date(page: Page, field: str, jsonld_key: str) -> str | None:
    """Return the first of the field's selected values, then JSON-LD's, then (for
    ``published_at``) the visible dates', that parses as a date the page can carry
    (:func:`~newscrawl.extraction.processors.plausible_date`: not later than a mislabelled
    offset can put a true date after the crawl, nor before 1600); an implausible one is
    passed over for the next.

    Values are selected lazily: once one is taken, later selectors do not run.
    """
    jsonld = page.jsonld.get(jsonld_key)
    jsonld_values = [jsonld if isinstance(jsonld, str) else None]
    plan = plan_of(page.profile)
    now = page.now
    for values in chain(_candidates(page, plan.selectors("fields", field)), [jsonld_values]):
        for value in values:
            if parsed := plausible_date(page.dates.parse(value, now), now):
                return format_datetime(parsed)
    if field == "published_at":
        for values in _candidates(page, plan.selectors("fields", "published_at_visible")):
            for value in values:
                if parsed := plausible_date(page.dates.parse(normalize_space(value), now), now):
                    return format_datetime(parsed)
    return None


def _generic_body(page: Page) -> list[str]:
    """Return the body paragraphs trafilatura finds, for pages without a body selector."""
    import trafilatura  # imported lazily: only the fallback needs it

    # trafilatura 2.3.1 copies a tree it is given before cleaning it (bare_extraction), so
    # the page stays as parsed; tests/extraction/test_fields_pure.py checks that it does.
    text = trafilatura.extract(page.selector.root, url=page.url, **TRAFILATURA_OPTIONS)
    return [p for line in (text or "").splitlines() if (p := normalize_space(line))]


def _without_headline(body: list[str], headline: str | None) -> list[str]:
    """Return ``body`` without leading paragraphs that only repeat the headline."""
    title = (normalize_space(headline) or "").casefold()
    start = 0
    while title and start < len(body) and body[start].casefold() == title:
        start += 1
    return body[start:]


def is_article(
    selector: Selector,
    profile: Profile,
    jsonld: dict[str, Any] | None = None,
    document: Document | None = None,
) -> bool:
    """Return True when the page matches the profile's article markers (or has JSON-LD Article).

    ``document``, the page's :class:`~newscrawl.extraction.selectors.Document` when there is
    one, lets a marker such as ``article#the-post.post`` look up the element with that id
    instead of testing every element."""
    if jsonld:
        return True
    markers = plan_of(profile).selectors("fields", "article")
    if document is not None and document.root is selector.root:
        return any(document.select(q) for q in markers)
    return any(compile_query(q).run(selector.root) for q in markers)


def extract_page(page: Page, *, fill: bool = True) -> Article:
    """Return the record of a parsed page; raise NotAnArticle for a page that is not one.

    With ``fill`` (the default, what a crawl writes), the fields the profile leaves empty
    are read by the generic extractor; without it the record holds only what the
    profile's own selectors found (``newscrawl profile check`` compares that).
    """
    profile = page.profile
    if profile.kind == "fallback":  # no profile for this portal: the generic extractor's record
        return generic_record(page)
    if not is_article(page.selector, profile, page.jsonld, page.document):
        raise NotAnArticle("the page is not an article (no article markup)", url=page.url)
    loader = ArticleLoader(selector=page.selector, **page.loader_context())
    loader.add_value("url", page.url)
    loader.add_value("site", profile.name)
    loader.add_value("crawled_at", format_datetime(page.now))
    plan = plan_of(profile)
    loader.add_first_found(
        "canonical_url", _candidates(page, plan.selectors("fields", "canonical_url"))
    )
    if not loader.add_first_found(
        "headline", _candidates(page, plan.selectors("fields", "headline"))
    ):
        loader.add_value("headline", page.jsonld.get("headline"))
    headline = loader.get_output_value("headline")

    breadcrumb = _breadcrumb(page)
    loader.add_value("breadcrumb", breadcrumb)
    if not loader.add_first_found(
        "section", _candidates(page, plan.selectors("fields", "section"))
    ):
        if len(breadcrumb) >= 3:
            loader.add_value("section", breadcrumb[-2].name)
        loader.add_value("section", page.jsonld.get("articleSection"))

    jsonld_authors = jsonld_names(page.jsonld.get("author"))
    if jsonld_authors:
        loader.add_value("authors", jsonld_authors)
    else:
        for values in _candidates(page, plan.selectors("fields", "authors")):
            names = [n for v in values for n in split_authors(v)]
            if names:
                loader.add_value("authors", names)
                break
    loader.add_first_found("tags", _candidates(page, plan.selectors("fields", "tags")))
    loader.add_value("free_access", page.jsonld.get("isAccessibleForFree"))
    loader.add_value("published_at", _date(page, "published_at", "datePublished"))
    loader.add_value("modified_at", _date(page, "modified_at", "dateModified"))

    # The headline's language is detected only when it is needed: to tell an alternate
    # headline among the first blocks, or as the record's language when the body has none.
    headline_lang = HeadlineLanguage(headline, plan.languages)

    lead = _lead_image(page)
    images = _unique_images([lead] if lead else [], _text_images(page))
    blocks = _body_blocks(page)
    body, credit, alt = _split_body(page, blocks, headline_lang)
    if not blocks and plan.body_from_trafilatura:
        body = _without_headline(_generic_body(page), headline)
    language = detect_language(" ".join(body)[:2000], prefer=plan.languages) or headline_lang()
    if alt and alt.lang == language:
        body.insert(0, alt.text or "")
        alt = None
    if alt is None and plan.selectors("fields", "headline_alt"):
        alt = _selected_alternate(page, headline, language)

    photo_credit = credit or next((i.credit for i in images if i.credit), None)
    if lead:
        lead.credit = lead.credit or photo_credit
    loader.add_value("body", body)
    loader.add_value("headline_alt", alt)
    loader.add_value("language", language)
    loader.add_value("photo_credit", photo_credit)
    loader.add_value("images", images)
    loader.add_value("teasers", _teasers(page))
    article: Article = loader.load_item()
    article.fingerprint = identity.content_fingerprint(article.headline, article.body)
    if fill:
        fill_record(article, page)  # what the profile left empty, the generic extractor reads
    return article


def _selected(*path: str) -> Callable[[Page], list[list[str]]]:
    """Return a reader of what each selector at ``path`` of the profile selects."""

    def read(page: Page) -> list[list[str]]:
        return list(page.candidates(*path))

    return read


READERS: dict[str, Callable[[Page], Any]] = {
    "article": lambda page: is_article(page.selector, page.profile, page.jsonld, page.document),
    "canonical_url": _selected("fields", "canonical_url"),
    "headline": _selected("fields", "headline"),
    "headline_alt": lambda page: list(_alternates(page)),
    "section": _selected("fields", "section"),
    "authors": _selected("fields", "authors"),
    "tags": _selected("fields", "tags"),
    "breadcrumb": _breadcrumb,
    "published_at": lambda page: _date(page, "published_at", "datePublished"),
    "modified_at": lambda page: _date(page, "modified_at", "dateModified"),
    "lead_image": _lead_image,
    "text_images": _text_images,
    "body_blocks": _body_blocks,
    "teasers": _teasers,
}
"""Every reading of the page tree that :func:`extract_page` makes, by name. Each is a pure
function of the parsed page: none changes the tree, so they give the same values in any
order (``tests/extraction/test_fields_pure.py`` runs them shuffled)."""


def extract_article(
    url: str,
    body: bytes,
    headers: Headers | None = None,
    profile: Profile | str | None = None,
    now: datetime | None = None,
) -> Article:
    """Return the record of the article page at ``url`` whose bytes are ``body``.

    ``headers`` are the response headers (only Content-Type is read: whether the response
    is an HTML page, and its charset); None for bytes that came in no response (a saved
    page), which are taken as HTML. ``profile`` (a Profile or its name) overrides the
    choice by the URL's domain; ``now`` is the crawl time, used for ``crawled_at`` and for
    relative dates ("2 hours ago"). Raises ExtractionError (NotAnArticle, EmptyPage) when
    the page gives no record: NotAnArticle too for a response that is no HTML page
    (:func:`~newscrawl.extraction.mediatype.not_html`).
    """
    return extract_page(parse_page(url, body, headers, profile, now))
