"""Teasers: links to other articles in the page's related-article blocks.

A block is an element whose class, id or ``aria-label`` names related, recommended or
further reading ("related", "recommend", "more-stories", "weitere", "lesen sie auch" ...)
or whose heading says so. Each link in it to another page of the same site, with a
title of a few words, is a teaser; a paragraph in the same card is its excerpt.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newscrawl.extraction.generic.text import attribute_names, clean, key
from newscrawl.extraction.processors import record_url, strip_ellipsis
from newscrawl.items import Teaser

_WORDS = (
    "related",
    "recommend",
    "more-stories",
    "more-news",
    "morestories",
    "read-more",
    "readmore",
    "also-read",
    "further",
    "weitere",
    "empfehl",
    "mehr-zum",
    "verwandt",
    "relacionad",
    "correlat",
    "lire-aussi",
    "a-lire",
    "similar",
    "suggest",
)
_CANDIDATES = etree.XPath(
    "(//aside | //section | //div | //ul | //nav)[@class or @id or @aria-label]"
)
"""Blocks with a name, in page order (a union of one walk per tag costs libxml2 about half
of one walk that tests every element's tag)."""
_NAMES_RELATED = re.compile("|".join(re.escape(w) for w in _WORDS))
MAX_CANDIDATES = 5000
_HEADING_SAYS = re.compile(
    r"^(?:related|more (?:on|from|stories|news)|read (?:more|also|next)|you may also like|"
    r"recommended|weitere|mehr zum thema|lesen sie auch|auch interessant|das könnte|"
    r"te puede interesar|lire aussi|à lire aussi|leggi anche|также|читайте также)",
    re.IGNORECASE,
)
_HEADINGS = etree.XPath("(//h2 | //h3 | //h4)[string-length(normalize-space(.)) < 60]")
MIN_TITLE_WORDS = 3
MAX_TITLE = 300
MAX_TEASERS = 20
MAX_BLOCKS = 10


def related_spellings(names: str) -> tuple[str, ...] | None:
    """Return the spellings, in the page's attribute values ``names`` (one per line, see
    :func:`attribute_names`), of the words that name a related block, as :func:`_blocks`
    reads them (lowercased, ``_`` for ``-``): every attribute value that names one holds
    one of them. None when lowercasing changes the length of ``names`` (a dotted capital
    I), which leaves no spelling to point at.

    >>> related_spellings("teaser\\nRelated_Stories\\nmain")
    ('Related',)
    """
    lowered = names.lower().replace("_", "-")
    if len(lowered) != len(names):
        return None
    found: set[str] = set()
    for word in _WORDS:  # a search for each word costs less than one for all (one regex)
        at = lowered.find(word)
        while at >= 0:
            found.add(names[at : at + len(word)])
            at = lowered.find(word, at + 1)
    return tuple(sorted(found))


@lru_cache(maxsize=256)
def _named_candidates(spellings: tuple[str, ...]) -> etree.XPath:
    """Return the query for the candidates (see ``_CANDIDATES``, the first
    :data:`MAX_CANDIDATES`) whose ``class``, ``id`` or ``aria-label`` holds one of
    ``spellings`` (letters, ``-`` and ``_``)."""
    tests = " or ".join(
        f"contains(@{name}, '{spelling}')"
        for spelling in spellings
        for name in ("class", "id", "aria-label")
    )
    return etree.XPath(f"({_CANDIDATES.path})[position() <= {MAX_CANDIDATES}][{tests}]")


def _blocks(root: etree._Element, names: str) -> list[etree._Element]:
    blocks: list[etree._Element] = []
    # Only the candidates whose names hold a spelling of a related word can name a related
    # block: the query hands Python those, not the page's hundreds of candidates.
    spellings = related_spellings(names)
    if spellings is None:
        candidates = _CANDIDATES(root)[:MAX_CANDIDATES]
    else:
        candidates = _named_candidates(spellings)(root) if spellings else []
    for element in candidates:
        own = " ".join(element.get(a, "") for a in ("class", "id", "aria-label"))
        own = own.lower().replace("_", "-")
        if _NAMES_RELATED.search(own) and element.find(".//a[@href]") is not None:
            blocks.append(element)
            if len(blocks) >= MAX_BLOCKS:
                break
    for heading in _HEADINGS(root)[:200]:
        text = clean(_text(heading)) or ""
        parent = heading.getparent()
        if _HEADING_SAYS.match(text) and parent is not None and parent not in blocks:
            blocks.append(parent)
    # Outermost blocks only: a block inside another adds nothing.
    chosen = set(blocks)
    return [
        b
        for b in blocks
        if not any(a in chosen for a in b.iterancestors()) and not _in_text_promo(b)
    ]


MIN_TEXT_SIBLINGS = 3
"""Paragraphs around a block that make it part of the running text."""


def _in_text_promo(block: etree._Element) -> bool:
    """Tell whether ``block`` is a one-link promo set among the article's paragraphs
    ("Read more: ..." between two paragraphs), not a block of related articles."""
    if len(block.xpath(".//a[@href]")) > 1:
        return False
    parent = block.getparent()
    return parent is not None and len(parent.findall("p")) >= MIN_TEXT_SIBLINGS


def teasers(root: etree._Element, url: str, names: str | None = None) -> list[Teaser]:
    """Return the teasers of the page at ``url``, in page order, each URL once. ``names``
    is the page's :func:`attribute_names` when it was read already."""
    host = urlsplit(url).hostname
    own = url.split("#")[0].rstrip("/")
    found: list[Teaser] = []
    seen: set[str] = set()
    for block in _blocks(root, attribute_names(root) if names is None else names):
        for link in block.iter("a"):
            href = record_url(_join(url, link.get("href")))
            title = clean(_text(link))
            if not href or not title or len(title) > MAX_TITLE:
                continue
            if len(title.split()) < MIN_TITLE_WORDS or urlsplit(href).hostname != host:
                continue
            target = href.split("#")[0].rstrip("/")
            if target == own or target in seen or urlsplit(href).path.strip("/") == "":
                continue
            seen.add(target)
            found.append(Teaser(title=title, url=href, excerpt=_excerpt(link, title)))
            if len(found) >= MAX_TEASERS:
                return found
    return found


def _text(element: etree._Element) -> str:
    return etree.tostring(element, method="text", encoding="unicode", with_tail=False)


def _join(base: str, href: str | None) -> str | None:
    if not href or href.strip().startswith(("#", "javascript:", "mailto:")):
        return None
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return None


def _other_titles(card: etree._Element, href: str | None) -> bool:
    """Tell whether ``card`` links to another page with a title of a few words (another
    teaser; a short link such as the section's name does not count)."""
    for anchor in card.iterfind(".//a[@href]"):
        if anchor.get("href") != href:
            text = clean(_text(anchor)) or ""
            if len(text.split()) >= MIN_TITLE_WORDS:
                return True
    return False


MAX_CARD_PARAGRAPHS = 3
"""A card has a paragraph or two; an element with more is the article's text."""


def _excerpt(link: etree._Element, title: str) -> str | None:
    """Return the text of a ``<p>`` in the link's card (its parent or grandparent, when
    that holds at most :data:`MAX_CARD_PARAGRAPHS` paragraphs and no other teaser's title)."""
    card = link.getparent()
    for _ in range(2):
        if card is None or len(card.findall(".//p")) > MAX_CARD_PARAGRAPHS:
            return None
        if _other_titles(card, link.get("href")):
            return None  # the block of several cards, not this link's card
        for p in card.iter("p"):
            text = clean(_text(p))
            if text and key(text) != key(title) and key(title) not in key(text):
                return strip_ellipsis(text)
        card = card.getparent()
    return None
