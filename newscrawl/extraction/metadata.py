"""Structured metadata of a page: its JSON-LD scripts, decoded once as extruct decodes them,
and its JSON-LD article object."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from newscrawl.extraction.extruct_parts import extruct_module
from newscrawl.extraction.processors import split_authors, structured_name

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
_DECODER = json.JSONDecoder(strict=False)
"""What ``json.loads(text, strict=False)`` decodes with, made once: ``json.loads`` with an
argument makes a new decoder on every call, which cost as much as decoding a newsroom
page's two scripts."""

Scripts = list[list[Any] | None]
"""The values of each JSON-LD script of a page, in page order (:func:`read_jsonld`)."""


def page_scripts(root: etree._Element, text: str) -> Scripts | None:
    """Return :func:`read_jsonld` of the page parsed as ``root`` from the source ``text``,
    or None when the source does not spell out the script type extruct reads (nothing
    read: a page without JSON-LD is spared the walk; a type written with character
    references, which the parser decodes, is left to whoever reads the scripts then)."""
    return read_jsonld(root) if _JSONLD_TYPE in text else None


def jsonld_article(scripts: Scripts | None) -> dict[str, Any]:
    """Return the JSON-LD Article object of a page whose JSON-LD scripts hold ``scripts``
    (:func:`read_jsonld`; None: not read), or {} when it has none. As extruct's reading of
    the whole page fails when one script does, a page with a broken script gives {}."""
    if not scripts or any(values is None for values in scripts):
        return {}
    items = [value for values in scripts if values for value in values]
    for node in _walk_jsonld(items):
        types = node.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(t in ARTICLE_TYPES for t in types if isinstance(t, str)):
            return _with_text_values(node)
    return {}


def _jsonld_scripts(root: etree._Element) -> Iterator[etree._Element]:
    """Yield the scripts extruct reads (``descendant-or-self::script[@type=
    "application/ld+json"]``) by lxml's tag-filtered walk, in page order."""
    for script in root.iter("script"):
        if script.get("type") == _JSONLD_TYPE:
            yield script


def _script_values(script: etree._Element) -> list[Any]:
    """Return the JSON-LD values of one ``script`` as extruct reads them: the top-level
    object, or the items of a top-level list, without empty ones; unlike extruct, with no
    lone surrogate in any string (:func:`_without_lone_surrogates`). Raises what extruct
    raises for JSON that neither ``json`` nor its fallback (a leading HTML or JavaScript
    comment taken off, then jstyleson) reads.

    A script's text is its string value (an HTML parser puts no element in a script:
    extruct's ``string()`` query, compiled per script, gives the same)."""
    text = script.xpath("string()") if len(script) else script.text or ""
    try:
        data = _DECODER.decode(text)
    except ValueError:
        # Imported here, and without extruct's other readers (extruct_parts): only pages
        # with commented or broken JSON-LD need it.
        module = extruct_module("jsonld")
        cleaned = module.HTML_OR_JS_COMMENTLINE.sub("", text)
        data = module.jstyleson.loads(cleaned, strict=False)
    if _SURROGATE_ESCAPE.search(text):
        data = _without_lone_surrogates(data)
    values = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    return [value for value in values if value]


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""A JSON escape of a UTF-16 surrogate (``\\ud83d``): JSON decodes a lone one as it is."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(data: Any) -> Any:
    """Return the decoded JSON ``data`` with every lone surrogate in its strings (keys too)
    replaced by U+FFFD, as an HTML parser replaces ``&#xD800;``: a string holding one cannot
    be written as UTF-8, so a record with one could not be written at all. (A pair escaped
    as two ``\\u`` escapes is one character once decoded.)"""

    def fixed(value: Any) -> Any:
        return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value

    top = [fixed(data)]
    stack: list[list[Any] | dict[Any, Any]] = [top]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for index, item in enumerate(node):
                node[index] = fixed(item)
                if isinstance(item, list | dict):
                    stack.append(item)
        else:
            for key in list(node):
                item = node.pop(key)
                node[fixed(key)] = fixed(item)
                if isinstance(item, list | dict):
                    stack.append(item)
    return top[0]


def jsonld_items(root: etree._Element) -> list[Any]:
    """Return what extruct's ``JsonLdExtractor().extract_items(root)`` returns (or raise
    what it raises), read as :func:`_script_values` reads each script."""
    return [value for script in _jsonld_scripts(root) for value in _script_values(script)]


def read_jsonld(root: etree._Element) -> Scripts:
    """Return the values of each JSON-LD script of the page parsed as ``root``, in page
    order, as extruct reads them (:func:`_script_values`); None for a script that does
    not decode. :func:`jsonld_items` is the values of every script when none is None.
    The page's scripts are decoded once: for its JSON-LD article (:func:`jsonld_article`)
    and for the generic extractor's structured data."""
    scripts: Scripts = []
    for script in _jsonld_scripts(root):
        try:
            scripts.append(_script_values(script))
        except (ValueError, TypeError, RecursionError):  # RecursionError: nested too deep
            scripts.append(None)
    return scripts


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
    """Return the author names of a JSON-LD ``author`` value (a name, a person or
    organisation object, or a list of them): each name cleaned by
    :func:`~newscrawl.extraction.processors.structured_name` (markup removed, a URL left
    out), then split into names by ``split_authors``."""
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str):
            names.extend(split_authors(structured_name(item)))
    return names
