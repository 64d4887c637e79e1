"""Structured data of a page: JSON-LD and microdata (read with extruct) and ``<meta>`` tags.

:func:`read_structured` gathers, once per page, every JSON-LD object (``@graph`` and
nested ``mainEntity`` included; the scripts decoded by ``metadata.read_jsonld``, once per
page, for the profile's JSON-LD article too), the microdata items when the page has no JSON-LD
article, and the values of the page's ``<meta>`` tags (Open Graph, ``article:*``,
Dublin Core, ``name=author`` ...). The other modules of the generic extractor read their
candidates from the :class:`Structured` it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

from lxml import etree

from newscrawl.extraction.extruct_parts import extruct_module
from newscrawl.extraction.metadata import Scripts, read_jsonld

ARTICLE_TYPES: frozenset[str] = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "ScholarlyArticle",
        "TechArticle",
        "Report",
        "BlogPosting",
        "SocialMediaPosting",
        "LiveBlogPosting",
        "Review",
    }
)
"""schema.org types whose object is the article itself."""

LISTING_TYPES: frozenset[str] = frozenset(
    {"CollectionPage", "SearchResultsPage", "ProfilePage", "ItemList"}
)
GALLERY_TYPES: frozenset[str] = frozenset({"ImageGallery", "MediaGallery"})
VIDEO_TYPES: frozenset[str] = frozenset({"VideoObject", "VideoGallery"})

_MAX_NODES = 2000
"""Walking stops after this many JSON-LD objects: enough for any real page."""

_META = etree.XPath("/descendant::meta[@content]")
"""``//meta[…]`` down the descendant axis in one step (the same nodes: no predicate looks
at positions): libxml2 runs the ``//`` form's ``child::meta[…]`` step once from every node
of the page."""


def types_of(node: dict[str, Any]) -> set[str]:
    """Return the schema.org type names of a JSON-LD or microdata object, without prefixes.

    >>> sorted(types_of({"@type": ["NewsArticle", "http://schema.org/Article"]}))
    ['Article', 'NewsArticle']
    """
    value = node.get("@type", node.get("type"))
    values = value if isinstance(value, list) else [value]
    return {v.rstrip("/").rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Yield every object in a JSON-LD value: itself, its ``@graph``, its ``mainEntity``
    and the objects nested in those, depth first (16 levels at most)."""
    if depth > 16:
        return
    if isinstance(value, list):
        for item in value:
            yield from walk(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "hasPart", "itemListElement"):
            if isinstance(value.get(key), list | dict):
                yield from walk(value[key], depth + 1)


class Structured:
    """What a page declares about itself, read from the page parsed as ``root`` (at
    ``url``). Each part is read when first asked for: a profile's record that only needs
    the JSON-LD article never reads the ``<meta>`` tags."""

    def __init__(self, root: etree._Element, url: str, scripts: Scripts | None = None) -> None:
        """``scripts``, when given, is :func:`read_jsonld` of ``root``, read already (by
        whoever read the page's JSON-LD article first: ``Page.scripts``): the page's scripts
        are then not decoded again."""
        self.root = root
        self.url = url
        self.scripts = scripts

    @cached_property
    def nodes(self) -> list[dict[str, Any]]:
        """Every JSON-LD (then microdata) object of the page, in page order. Broken JSON-LD
        scripts are skipped one by one; microdata is read only when the page has no
        JSON-LD article and some element has ``itemscope``."""
        nodes = _jsonld_nodes(self.root, self.scripts)
        if not any(types_of(n) & ARTICLE_TYPES for n in nodes) and _ITEMSCOPE(self.root):
            nodes += _microdata_nodes(self.root, self.url)
        return nodes

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """``<meta>`` values by lower-cased ``property``, ``name`` or ``itemprop``, in page
        order."""
        return _meta_values(self.root)

    def of_type(self, names: frozenset[str]) -> list[dict[str, Any]]:
        """Return the objects of any of the types ``names``, in page order."""
        return [node for node in self.nodes if types_of(node) & names]

    def first_meta(self, *keys: str) -> str | None:
        """Return the first non-blank value of the first of ``keys`` that the page has."""
        for key in keys:
            for value in self.meta.get(key, []):
                if value.strip():
                    return value.strip()
        return None

    @cached_property
    def listed(self) -> set[int]:
        """The ``id`` of every article object that is an item of a listing object (the
        ``hasPart``, ``itemListElement`` or ``mainEntity`` of a ``CollectionPage``,
        ``ItemList`` ...): another page's article that the page lists, not its own."""
        listed: set[int] = set()
        for node in self.of_type(LISTING_TYPES):
            for key in ("hasPart", "itemListElement", "mainEntity"):
                if isinstance(node.get(key), list | dict):
                    listed.update(
                        id(item) for item in walk(node[key]) if types_of(item) & ARTICLE_TYPES
                    )
        return listed

    def article(self, url: str | None = None) -> dict[str, Any]:
        """Return the page's article object ({} when none): the one whose URL is the page's,
        else the one with the most text, else the first; never an item a listing object
        of the page lists (see :attr:`listed`)."""
        listed = self.listed
        articles = [a for a in self.of_type(ARTICLE_TYPES) if id(a) not in listed]
        if not articles:
            return {}

        def rank(node: dict[str, Any]) -> tuple[int, int, int]:
            own = url is not None and url.rstrip("/") in _urls_of(node)
            body = node.get("articleBody")
            return (
                int(own),
                int(bool(node.get("headline"))),
                len(body) if isinstance(body, str) else 0,
            )

        return max(articles, key=rank)


def _urls_of(node: dict[str, Any]) -> set[str]:
    urls: set[str] = set()
    for key in ("url", "@id", "mainEntityOfPage"):
        value = node.get(key)
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, str):
            urls.add(value.rstrip("/"))
    return urls


def _jsonld_nodes(root: etree._Element, read: Scripts | None = None) -> list[dict[str, Any]]:
    """Return the JSON-LD objects of the page (see :func:`walk`), at most
    :data:`_MAX_NODES`, a broken script skipped; from ``read`` (:func:`read_jsonld` of
    ``root``) when given, else from the page's scripts decoded now."""
    scripts = read if read is not None else read_jsonld(root)
    nodes: list[dict[str, Any]] = []
    for items in scripts:
        if items is None:
            continue  # one broken script does not hide the others
        for node in walk(items):
            nodes.append(node)
            if len(nodes) >= _MAX_NODES:
                return nodes
    return nodes


def _microdata_nodes(root: etree._Element, url: str) -> list[dict[str, Any]]:
    extractor = extruct_module("w3cmicrodata").MicrodataExtractor()
    try:
        items = extractor.extract_items(root, base_url=url)
    except (ValueError, TypeError, RecursionError, etree.LxmlError):
        return []
    nodes: list[dict[str, Any]] = []
    for item in items:
        for node in _microdata_walk(item, 0):
            nodes.append(node)
    return nodes[:_MAX_NODES]


def _microdata_walk(item: Any, depth: int) -> Iterator[dict[str, Any]]:
    """Yield microdata items as JSON-LD-like objects ({"@type", property: value})."""
    if depth > 16 or not isinstance(item, dict):
        return
    node: dict[str, Any] = {"@type": item.get("type")}
    for key, value in (item.get("properties") or {}).items():
        node[key] = _microdata_value(value, depth)
    yield node
    for value in (item.get("properties") or {}).values():
        for child in value if isinstance(value, list) else [value]:
            yield from _microdata_walk(child, depth + 1)


def _microdata_value(value: Any, depth: int) -> Any:
    if isinstance(value, list):
        return [_microdata_value(v, depth) for v in value]
    if isinstance(value, dict) and "properties" in value:
        return next(_microdata_walk(value, depth + 1), {})
    return value


def _meta_values(root: etree._Element) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for element in _META(root):
        content = element.get("content")
        for attr in ("property", "name", "itemprop"):
            key = element.get(attr)
            if key and content is not None:
                meta.setdefault(key.strip().lower(), []).append(content)
    return meta


_ITEMSCOPE = etree.XPath("boolean(//@itemscope)")
"""Whether some element has ``itemscope`` (read from the attributes: libxml2 tests the
predicate of ``//*[@itemscope]`` element by element, several times slower)."""


def read_structured(root: etree._Element, url: str, scripts: Scripts | None = None) -> Structured:
    """Return the structured data of the page parsed as ``root`` (read as it is used; its
    JSON-LD from ``scripts`` when they are read already, see :class:`Structured`)."""
    return Structured(root, url, scripts)
