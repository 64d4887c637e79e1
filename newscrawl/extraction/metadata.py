"""Structured metadata of a page: its JSON-LD article object (read with extruct)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from parsel import Selector

from newscrawl.extraction.processors import split_authors

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


def jsonld_article(selector: Selector, text: str) -> dict[str, Any]:
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


def jsonld_names(value: Any) -> list[str]:
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str):
            names.extend(split_authors(item))
    return names
