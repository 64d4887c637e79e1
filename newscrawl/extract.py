"""Extraction: one article page in, one record out. No Scrapy, no I/O, no reactor.

``extract_article(url, body, headers)`` is what the spider, the ``extract``
command and the tests call. Selectors come from the site profile; cleaning from
``processors``/``loaders``; structured metadata (JSON-LD) from extruct; the
generic fallback's body text from trafilatura.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import chain
from typing import Any

from lxml import etree, html
from parsel import Selector
from parsel.selector import create_root_node
from w3lib.encoding import html_to_unicode

from newscrawl.items import AltHeadline, Article, Breadcrumb, Image
from newscrawl.loaders import (
    ArticleLoader,
    BreadcrumbLoader,
    Document,
    Node,
    TeaserLoader,
    compile_query,
    load_record,
    node_text,
)
from newscrawl.processors import (
    DateParser,
    absolute_url,
    content_fingerprint,
    detect_language,
    format_datetime,
    is_credit_line,
    normalize_space,
    split_authors,
    split_credit,
    strip_credit_label,
)
from newscrawl.profiles import Profile, load_profile, profile_for_url

Headers = Mapping[str, Any] | Mapping[bytes, Any]

BLOCK_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "li", "pre"})
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "BlogPosting",
        "OpinionNewsArticle",
        "Report",
        "LiveBlogPosting",
        "WebPageElement",
        "TechArticle",
    }
)
MAX_ALT_HEADLINE = 300
TRAFILATURA_OPTIONS: dict[str, bool] = {
    "include_comments": False,
    "include_tables": False,
    "include_images": False,
    "favor_precision": True,
    "deduplicate": False,
}
"""What the generic fallback asks of ``trafilatura.extract``: the article text, precision first."""
_NOT_BLANK_BYTES = re.compile(rb"\S")
_NOT_BLANK_TEXT = re.compile(r"[^\x00 \t\r\n\f\v\ufeff]")


class ExtractionError(Exception):
    """The page gave no record. ``kind`` names why ("not-article", "empty", "undecodable")."""

    kind = "extraction-error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class NotAnArticle(ExtractionError):
    """The page is not an article page (a listing, a static page, an error page)."""

    kind = "not-article"


class EmptyPage(ExtractionError):
    """The response has no HTML to read."""

    kind = "empty"


def _header(headers: Headers | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() == name.lower():
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            if isinstance(value, bytes):
                return value.decode("latin-1")
            return None if value is None else str(value)
    return None


def decode_html(body: bytes, headers: Headers | None = None) -> str:
    """Return the page as text, honouring BOM, Content-Type charset and ``<meta>`` charset.

    Bytes that are invalid in the declared encoding become U+FFFD rather than an error.
    """
    _, text = html_to_unicode(_header(headers, "Content-Type"), body)
    return text


@cache
def _date_parser(languages: tuple[str, ...], timezone: str) -> DateParser:
    return DateParser(languages, timezone)


@cache
def _patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@dataclass
class Page:
    """A parsed page and what every field reader needs to know about it.

    ``document`` runs the profile's selectors on the parsed tree (``selector.root``).
    """

    url: str
    selector: Selector
    profile: Profile
    now: datetime
    jsonld: dict[str, Any]
    document: Document = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.document = Document(self.selector.root)

    def candidates(self, *path: str) -> Iterator[list[str]]:
        """Yield, lazily, the strings each selector at ``path`` of the profile selects."""
        for query in self.profile.selectors(*path):
            yield self.document.values(query)

    @property
    def dates(self) -> DateParser:
        """The profile's date parser (one per site, shared across pages)."""
        return _date_parser(tuple(self.profile.languages), self.profile.timezone)

    def loader_context(self) -> dict[str, Any]:
        """Context for loaders: the base URL for absolute links."""
        return {"base_url": self.url}


def _walk_jsonld(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_jsonld(item)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk_jsonld(node["@graph"])


_JSONLD_TYPE = "application/ld+json"
"""The script type extruct reads JSON-LD from (it matches the attribute exactly)."""


def _jsonld_article(selector: Selector, text: str) -> dict[str, Any]:
    """Return the JSON-LD Article object of the page whose source is ``text``, or {} when
    it has none (or broken JSON)."""
    if _JSONLD_TYPE not in text:
        return {}  # no script extruct would read: spare the page its XPath (and the import)
    # Imported here: extruct brings rdflib, html5lib and mf2py (about 15 MB), which a crawl
    # process that leaves extraction to workers, or a portal without JSON-LD, never needs.
    from extruct.jsonld import JsonLdExtractor

    try:
        items = JsonLdExtractor().extract_items(selector.root)
    except (ValueError, TypeError):
        return {}
    for node in _walk_jsonld(items):
        types = node.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(t in ARTICLE_TYPES for t in types if isinstance(t, str)):
            return node
    return {}


def _jsonld_names(value: Any) -> list[str]:
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str):
            names.extend(split_authors(item))
    return names


def _remove(nodes: Iterable[Node]) -> bool:
    """Remove the element ``nodes`` from the tree, keeping their tails; True when any was."""
    removed = False
    for element in nodes:
        if not isinstance(element, etree._Element):
            continue
        parent = element.getparent()
        if parent is None:
            continue
        # Keep the text that follows the removed element.
        if element.tail:
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)
        removed = True
    return removed


def _body_blocks(page: Page) -> list[str]:
    """Return the normalised texts of the innermost text blocks of the body container."""
    document = page.document
    containers = document.first_match(page.profile.selectors("body", "container"))
    if not containers:
        return []
    container = containers[0]
    for query in page.profile.selectors("body", "exclude"):
        if _remove(document.select(query, container)):
            document.removed()
    blocks = list(container.iter(*BLOCK_TAGS))
    texts: list[str] = []
    for index, element in enumerate(blocks, 1):
        # In document order a block's own blocks come right after it: it holds one exactly
        # when the next block is inside it.
        if index < len(blocks) and _inside(blocks[index], element, container):
            continue
        text = normalize_space(node_text(element))
        if text:
            texts.append(text)
    return texts


def _inside(element: etree._Element, ancestor: etree._Element, top: etree._Element) -> bool:
    """Return True when ``element`` is inside ``ancestor``; both are inside ``top`` or it."""
    parent = element.getparent()
    while parent is not None and parent is not ancestor and parent is not top:
        parent = parent.getparent()
    return parent is ancestor


def _split_body(
    page: Page, blocks: list[str], headline_lang: str | None
) -> tuple[list[str], str | None, AltHeadline | None]:
    """Separate body paragraphs from the credit line and the alternate headline."""
    drop = _patterns(tuple(page.profile.selectors("body", "drop_patterns")))
    window = int(page.profile.get("body", "alt_headline_window", default=0))
    body: list[str] = []
    credit: str | None = None
    alt: AltHeadline | None = None
    for index, text in enumerate(blocks):
        if is_credit_line(text):
            credit = credit or strip_credit_label(text)
            continue
        if any(p.search(text) for p in drop):
            continue
        # Without a headline language no block can be the alternate headline: skip detection.
        if (
            alt is None
            and headline_lang
            and not body
            and index < window
            and len(text) <= MAX_ALT_HEADLINE
        ):
            lang = detect_language(text, prefer=page.profile.languages)
            if lang and lang != headline_lang:
                alt = AltHeadline(text=text, lang=lang)
                continue
        body.append(text)
    return body, credit, alt


_CRUMB_LINK = "xpath:(descendant-or-self::a/@href)[1]"


def _breadcrumb(page: Page) -> list[Breadcrumb]:
    document = page.document
    containers = document.first_match(page.profile.selectors("breadcrumb", "container"))
    if not containers:
        return []
    query = str(page.profile.get("breadcrumb", "items", default="a"))
    crumbs: list[Breadcrumb] = []
    for node in document.select(query, containers[0]):
        link = next(iter(document.select(_CRUMB_LINK, node)), None)
        values = {"name": node_text(node), "url": link}
        crumb = load_record(BreadcrumbLoader, values, **page.loader_context())
        if crumb.name:
            crumbs.append(crumb)
    if crumbs and crumbs[-1].url in (None, page.url):
        crumbs[-1].url = None
    return crumbs


def _teasers(page: Page) -> list[Any]:
    document = page.document
    teasers = []
    for group in page.profile.get("teasers", default=[]):
        fields = [name for name in ("title", "url", "excerpt") if name in group]
        for node in document.select(group["nodes"]):
            values = {name: document.values(group[name], node) for name in fields}
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
    nodes = document.first_match(page.profile.selectors("images", "lead"))
    nodes = nodes or document.first_match(page.profile.selectors("images", "lead_fallback"))
    url = _image_url(nodes[0], page.url) if nodes else None
    if not url:
        return None
    captions = document.first_match(page.profile.selectors("images", "lead_caption"))
    caption, credit = split_credit(node_text(captions[0]) if captions else None)
    return Image(url=url, caption=caption, credit=credit)


def _text_images(page: Page) -> list[Image]:
    """Return the images in the article text (figures and bare ``<img>``) in page order."""
    document = page.document
    images: list[Image] = []
    caption_queries = page.profile.selectors("images", "figure_caption")
    for query in page.profile.selectors("images", "figures"):
        for node in document.select(query):
            img = node if node.tag == "img" else next(iter(document.select("img", node)), None)
            url = _image_url(img, page.url) if img is not None else None
            if url:
                texts = (t for q in caption_queries for t in document.values(q, node))
                caption, credit = split_credit(next(texts, None))
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
    """Return the first of the field's selected values, then JSON-LD's, that parses as a date.

    Values are selected lazily: once one parses, later selectors do not run.
    """
    jsonld = page.jsonld.get(jsonld_key)
    jsonld_values = [jsonld if isinstance(jsonld, str) else None]
    for values in chain(page.candidates("fields", field), [jsonld_values]):
        for value in values:
            if parsed := page.dates.parse(value, page.now):
                return format_datetime(parsed)
    if field == "published_at":
        for values in page.candidates("fields", "published_at_visible"):
            for value in values:
                if parsed := page.dates.parse(normalize_space(value), page.now):
                    return format_datetime(parsed)
    return None


def _generic_body(page: Page) -> list[str]:
    """Return the body paragraphs trafilatura finds, for pages without a body selector."""
    import trafilatura  # imported lazily: only the fallback needs it

    text = trafilatura.extract(page.selector.root, url=page.url, **TRAFILATURA_OPTIONS)
    page.document.changed()  # in case trafilatura edited the tree
    return [p for line in (text or "").splitlines() if (p := normalize_space(line))]


def _without_headline(body: list[str], headline: str | None) -> list[str]:
    """Return ``body`` without leading paragraphs that only repeat the headline."""
    title = (normalize_space(headline) or "").casefold()
    start = 0
    while title and start < len(body) and body[start].casefold() == title:
        start += 1
    return body[start:]


def is_article(selector: Selector, profile: Profile, jsonld: dict[str, Any] | None = None) -> bool:
    """Return True when the page matches the profile's article markers (or has JSON-LD Article)."""
    if jsonld:
        return True
    return any(compile_query(q).run(selector.root) for q in profile.selectors("fields", "article"))


def _body_from_trafilatura(profile: Profile) -> bool:
    """Tell whether pages of ``profile`` get their body from trafilatura (it names no body)."""
    return not profile.selectors("body", "container")


def _parser_class(profile: Profile) -> type[etree.HTMLParser]:
    """Return the HTML parser for pages of ``profile``: lxml.html's only when trafilatura,
    which takes only lxml.html trees, reads the page.

    lxml.html's element classes make each element handed to Python several times dearer
    (about 4x for an XPath that returns every element of a portal page).
    """
    return html.HTMLParser if _body_from_trafilatura(profile) else etree.HTMLParser


def parse_page(
    url: str,
    body: bytes,
    headers: Headers | None = None,
    profile: Profile | str | None = None,
    now: datetime | None = None,
) -> Page:
    """Decode and parse ``body``; raise EmptyPage when there is no HTML in it."""
    if _NOT_BLANK_BYTES.search(body) is None:
        raise EmptyPage("the response body is empty", url=url)
    if isinstance(profile, str):
        profile = load_profile(profile)
    profile = profile or profile_for_url(url)
    text = decode_html(body, headers)
    if _NOT_BLANK_TEXT.search(text) is None:
        raise EmptyPage("the response body has no text", url=url)
    try:
        root = create_root_node(text, _parser_class(profile), base_url=url)
        selector = Selector(root=root, type="html", base_url=url)
    except (ValueError, etree.LxmlError) as exc:
        raise EmptyPage(f"the response is not HTML: {exc}", url=url) from exc
    if selector.root is None or not isinstance(selector.root, etree._Element):
        raise EmptyPage("the response has no HTML element", url=url)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return Page(
        url=url,
        selector=selector,
        profile=profile,
        now=now,
        jsonld=_jsonld_article(selector, text),
    )


def extract_page(page: Page) -> Article:
    """Return the record of a parsed page; raise NotAnArticle for a page that is not one."""
    profile = page.profile
    if not is_article(page.selector, profile, page.jsonld):
        raise NotAnArticle("the page is not an article (no article markup)", url=page.url)
    loader = ArticleLoader(selector=page.selector, **page.loader_context())
    loader.add_value("url", page.url)
    loader.add_value("site", profile.name)
    loader.add_value("crawled_at", format_datetime(page.now))
    loader.add_first_found("canonical_url", page.candidates("fields", "canonical_url"))
    if not loader.add_first_found("headline", page.candidates("fields", "headline")):
        loader.add_value("headline", page.jsonld.get("headline"))
    headline = loader.get_output_value("headline")

    breadcrumb = _breadcrumb(page)
    loader.add_value("breadcrumb", breadcrumb)
    if not loader.add_first_found("section", page.candidates("fields", "section")):
        if len(breadcrumb) >= 3:
            loader.add_value("section", breadcrumb[-2].name)
        loader.add_value("section", page.jsonld.get("articleSection"))

    jsonld_authors = _jsonld_names(page.jsonld.get("author"))
    if jsonld_authors:
        loader.add_value("authors", jsonld_authors)
    else:
        for values in page.candidates("fields", "authors"):
            names = [n for v in values for n in split_authors(v)]
            if names:
                loader.add_value("authors", names)
                break
    loader.add_first_found("tags", page.candidates("fields", "tags"))
    loader.add_value("published_at", _date(page, "published_at", "datePublished"))
    loader.add_value("modified_at", _date(page, "modified_at", "dateModified"))

    headline_lang = detect_language(headline, prefer=profile.languages)
    # Images before the body: reading the body removes the captions from the tree.
    lead = _lead_image(page)
    images = _unique_images([lead] if lead else [], _text_images(page))
    blocks = _body_blocks(page)
    body, credit, alt = _split_body(page, blocks, headline_lang)
    if not blocks and _body_from_trafilatura(profile):
        body = _without_headline(_generic_body(page), headline)
    language = detect_language(" ".join(body)[:2000], prefer=profile.languages) or headline_lang
    if alt and alt.lang == language:
        body.insert(0, alt.text or "")
        alt = None

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
    article.fingerprint = content_fingerprint(article.headline, article.body)
    return article


def extract_article(
    url: str,
    body: bytes,
    headers: Headers | None = None,
    profile: Profile | str | None = None,
    now: datetime | None = None,
) -> Article:
    """Return the record of the article page at ``url`` whose bytes are ``body``.

    ``headers`` are the response headers (only Content-Type is read, for its charset).
    ``profile`` (a Profile or its name) overrides the choice by the URL's domain; ``now``
    is the crawl time, used for ``crawled_at`` and for relative dates ("2 hours ago").
    Raises ExtractionError (NotAnArticle, EmptyPage) when the page gives no record.
    """
    return extract_page(parse_page(url, body, headers, profile, now))
