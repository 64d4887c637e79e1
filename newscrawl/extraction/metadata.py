"""Structured metadata of a page: its JSON-LD article object (read with extruct)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml import etree
from parsel import Selector

from newscrawl.extraction.extruct_parts import extruct_module
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


MAX_JSONLD_NODES = 10_000
"""JSON-LD objects looked at per page, at most (a page has a handful)."""


def _walk_jsonld(node: Any) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSON-LD value: top-level ones and those of ``@graph``
    lists, in order, at any depth, without recursion (a page can nest them 100,000 deep)."""
    stack = [node]
    seen = 0
    while stack and seen < MAX_JSONLD_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            yield node
            if "@graph" in node:
                stack.append(node["@graph"])


_JSONLD_TYPE = "application/ld+json"
"""The script type extruct reads JSON-LD from (it matches the attribute exactly)."""


def jsonld_article(selector: Selector, text: str) -> dict[str, Any]:
    """Return the JSON-LD Article object of the page whose source is ``text``, or {} when
    it has none (or broken JSON)."""
    if _JSONLD_TYPE not in text:
        return {}  # no script extruct would read: spare the page its XPath (and the import)
    # Imported here, and without extruct's other readers (extruct_parts): a crawl process
    # that leaves extraction to workers, or a portal without JSON-LD, never needs it.
    try:
        items = jsonld_items(selector.root)
    except (ValueError, TypeError, RecursionError):  # RecursionError: JSON nested too deep
        return {}
    for node in _walk_jsonld(items):
        types = node.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(t in ARTICLE_TYPES for t in types if isinstance(t, str)):
            return _with_text_values(node)
    return {}


def jsonld_items(root: etree._Element) -> list[Any]:
    """Return what extruct's ``JsonLdExtractor().extract_items(root)`` returns, read as it
    reads it (its JSON parsing, its fallback for commented JSON), without its XPath: the
    page's scripts are found by lxml's tag-filtered walk, and a script's text is its text
    (it has no child node: extruct's ``string()`` query, compiled per script, gives the
    same)."""
    module = extruct_module("jsonld")
    items: list[Any] = []
    for script in root.iter("script"):
        if script.get("type") != _JSONLD_TYPE:
            continue
        text = script.xpath("string()") if len(script) else script.text or ""
        try:
            data = json.loads(text, strict=False)
        except ValueError:  # leading HTML or JavaScript comments: extruct's own fallback
            cleaned = module.HTML_OR_JS_COMMENTLINE.sub("", text)
            data = module.jstyleson.loads(cleaned, strict=False)
        if isinstance(data, dict):
            data = [data]
        if isinstance(data, list):
            items += [item for item in data if item]
    return items


TEXT_KEYS = ("headline", "articleSection", "datePublished", "dateModified")
"""Keys whose value the record takes as one string."""


def _with_text_values(node: dict[str, Any]) -> dict[str, Any]:
    """Return ``node`` with each of TEXT_KEYS a string: a list gives its first string, and
    anything else (an object, a number, an empty list) is left out."""
    cleaned = dict(node)
    for key in TEXT_KEYS:
        value = cleaned.get(key)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        if isinstance(value, str):
            cleaned[key] = value
        else:
            cleaned.pop(key, None)
    return cleaned


def jsonld_names(value: Any) -> list[str]:
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str):
            names.extend(split_authors(item))
    return names
