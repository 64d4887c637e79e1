"""The headline: the text most of the page's sources agree on.

Sources: the visible ``<h1>``, JSON-LD ``headline``, ``og:title``, ``twitter:title`` and
``<title>`` (the last three without a trailing site name such as " | The Daily"). Each
source votes for its text; equal texts (case, quotes and dashes aside) pool their votes.
The visible ``<h1>`` breaks ties, because it is what readers see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from newscrawl.extraction.generic.structured import Structured
from newscrawl.extraction.generic.text import clean, first_text, key

WEIGHTS: dict[str, float] = {"h1": 1.1, "jsonld": 1.0, "og": 1.0, "twitter": 0.6, "title": 0.5}
"""Votes per source; the h1's extra tenth breaks ties in its favour."""

_SITE_SUFFIX = re.compile(
    r"^(?P<head>.+?)\s*(?:\s[|\-\u2013\u2014·•:]{1,2}\s|[|｜：]|::)\s*(?P<tail>[^|]{1,60})$"
)
MAX_HEADLINE = 400
_H1 = etree.XPath("//h1")


def _without_site_name(title: str | None, site_names: set[str]) -> str | None:
    """Return ``title`` without a trailing site name; the name is known (``og:site_name``)
    or short and without sentence words (at most 5 words).

    >>> _without_site_name("Storm hits coast | The Daily", set())
    'Storm hits coast'
    """
    if not title:
        return None
    text = title
    for _ in range(2):  # "Headline | Section | Site"
        match = _SITE_SUFFIX.match(text)
        if not match:
            break
        tail = match.group("tail")
        if key(tail) in site_names or (
            len(tail.split()) <= 5 and len(match.group("head")) > len(tail)
        ):
            text = match.group("head")
        else:
            break
    return text


def h1_texts(root: etree._Element) -> list[str]:
    """Return the texts of the page's ``<h1>`` elements, in page order, blank ones left out."""
    texts = []
    for element in _H1(root):
        if text := clean(
            etree.tostring(element, method="text", encoding="unicode", with_tail=False)
        ):
            texts.append(text)
    return texts


def candidates(structured: Structured, root: etree._Element, url: str) -> list[tuple[str, str]]:
    """Return (source, text) headline candidates of the page."""
    article = structured.article(url)
    sites = {
        key(s)
        for s in structured.meta.get("og:site_name", [])
        + structured.meta.get("application-name", [])
    }
    found: list[tuple[str, str]] = []
    meta_titles: list[tuple[str, str | None]] = [
        ("jsonld", first_text(article.get("headline")) or first_text(article.get("name"))),
        ("og", _without_site_name(clean(structured.first_meta("og:title")), sites)),
        ("twitter", _without_site_name(clean(structured.first_meta("twitter:title")), sites)),
    ]
    title_element = root.find(".//title")
    if title_element is not None:
        title = clean(title_element.text)
        meta_titles.append(("title", _without_site_name(title, sites)))
    found.extend((s, t) for s, t in meta_titles if t and len(t) <= MAX_HEADLINE)
    known = {key(t) for _, t in found}
    h1s = [t for t in h1_texts(root) if len(t) <= MAX_HEADLINE]
    # Of several h1 (logo, section name, headline) the one the metadata names wins.
    h1 = next((t for t in h1s if key(t) in known), None) or next(iter(h1s), None)
    if h1:
        found.insert(0, ("h1", h1))
    return found


def choose(found: Iterable[tuple[str, str]]) -> str | None:
    """Return the candidate text with the most votes (ties: the earlier source)."""
    votes: dict[str, float] = {}
    first: dict[str, str] = {}
    for source, text in found:
        k = key(text)
        votes[k] = votes.get(k, 0.0) + WEIGHTS.get(source, 0.5)
        first.setdefault(k, text)
    if not votes:
        return None
    best = max(votes, key=lambda k: votes[k])
    return first[best]


def headline(structured: Structured, root: etree._Element, url: str) -> str | None:
    """Return the page's headline, or None when no source gives one."""
    return choose(candidates(structured, root, url))
