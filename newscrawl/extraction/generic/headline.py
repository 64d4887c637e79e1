"""The headline: the text most of the page's sources agree on.

Sources: the visible ``<h1>``, JSON-LD ``headline``, ``og:title``, ``twitter:title`` and
``<title>`` (the last three without a trailing site name such as " | The Daily"). Each
source votes for its text; equal texts (case, quotes and dashes aside) pool their votes.
The visible ``<h1>`` breaks ties, because it is what readers see. A ``twitter:title`` that
repeats ``og:title`` is a copy and does not vote again; a text cut with an ellipsis votes for
the candidate it begins.

A trailing part of a title is cut at the separator where the rest is what another source
says ("Headline – its second part – Section" when ``og:title`` says "Headline – its second
part"). Otherwise a trailing part after " - ", " | ", " – " ... is a site name when the
evidence says so: it names the site (``og:site_name``, ``application-name``, the JSON-LD
publisher), it is the site's domain ("Golem.de", "WELT" on welt.de), or the text without it
is what another source says. Only ``<title>``, which nearly always ends with the site's name,
also loses a short tail on its shape alone: the headline of ``og:title`` may itself end in
" – so it ends".

No rule prefers a shorter text that another candidate decorates with a kicker ("Olympia:
…") or more words: which of the two is the headline is the publisher's convention, and on
the pages measured it went either way (``docs/generic.md``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from urllib.parse import urlsplit

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


def _letters(text: str) -> str:
    """Return the letters and digits of ``text``, casefolded, without accents.

    >>> _letters("Seznam Zprávy")
    'seznamzpravy'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


_GENERIC_LABELS = frozenset({"www", "com", "net", "org", "co", "news", "amp", "m"})
MIN_DOMAIN_LABEL = 4


def names_the_site(tail: str, site_names: Collection[str], host: str) -> bool:
    """Tell whether ``tail`` (the end of a title) is the site's name: one of ``site_names``
    (compared by letters), or the domain ``host`` or one of its labels of 4 letters or more.

    >>> names_the_site("Golem.de", set(), "www.golem.de")
    True
    >>> names_the_site("Times of India", set(), "timesofindia.indiatimes.com")
    True
    >>> names_the_site("so it ends", {"The Daily"}, "daily.example")
    False
    """
    letters = _letters(tail)
    if not letters:
        return False
    if letters in {_letters(name) for name in site_names}:
        return True
    labels = [_letters(label) for label in host.split(".") if label not in _GENERIC_LABELS]
    return len(letters) >= 3 and (
        letters in _letters(host)
        or any(label in letters for label in labels if len(label) >= MIN_DOMAIN_LABEL)
    )


def _without_site_name(
    title: str | None,
    site_names: Collection[str],
    host: str = "",
    others: Collection[str] = (),
    by_shape: bool = True,
) -> str | None:
    """Return ``title`` without a trailing site name (at most two parts: "Headline | Section |
    Site"). A tail goes when it names the site (:func:`names_the_site`), when the text
    without it is one of ``others`` (other sources' keys), or, with ``by_shape``, when it is
    short (at most 5 words) and shorter than the rest.

    >>> _without_site_name("Storm hits coast | The Daily", set())
    'Storm hits coast'
    >>> _without_site_name("Storm hits coast – so it ends", set(), by_shape=False)
    'Storm hits coast – so it ends'
    """
    if not title:
        return None
    if others and (head := _head_another_source_says(title, others)):
        return head
    text = title
    for _ in range(2):  # "Headline | Section | Site"
        match = _SITE_SUFFIX.match(text)
        if not match:
            break
        head, tail = match.group("head"), match.group("tail")
        if (
            names_the_site(tail, site_names, host)
            or key(head) in others
            or (by_shape and len(tail.split()) <= 5 and len(head) > len(tail))
        ):
            text = head
        else:
            break
    return text


_SEPARATOR = re.compile(r"\s[|\-\u2013\u2014·•:]{1,2}\s|[|｜：]|::")
"""Where a title may be cut in two: " | ", " - ", " – ", " :: ", "｜" ..."""


def _head_another_source_says(title: str, others: Collection[str]) -> str | None:
    """Return the longest part of ``title`` before a separator that is one of ``others``
    (other sources' keys), so that "Headline – part of it – Site" loses both tails when
    another source says "Headline – part of it"; None when no such part.

    >>> _head_another_source_says("A – b – Site", {"a - b"})
    'A – b'
    """
    for match in reversed(list(_SEPARATOR.finditer(title))):
        head = title[: match.start()].rstrip()
        if head and key(head) in others:
            return head
    return None


def h1_texts(root: etree._Element) -> list[str]:
    """Return the texts of the page's ``<h1>`` elements, in page order, blank ones left out."""
    texts = []
    for element in _H1(root):
        if text := clean(
            etree.tostring(element, method="text", encoding="unicode", with_tail=False)
        ):
            texts.append(text)
    return texts


def candidates(
    structured: Structured, root: etree._Element, url: str, h1s: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """Return (source, text) headline candidates of the page; ``h1s`` are its
    :func:`h1_texts` when they were read already."""
    article = structured.article(url)
    publisher = article.get("publisher")
    sites = set(
        structured.meta.get("og:site_name", []) + structured.meta.get("application-name", [])
    )
    if isinstance(publisher, dict | list | str) and (name := first_text(publisher)):
        sites.add(name)
    host = urlsplit(url).hostname or ""
    title_element = root.find(".//title")
    raw: list[tuple[str, str | None]] = [
        ("jsonld", first_text(article.get("headline")) or first_text(article.get("name"))),
        ("og", clean(structured.first_meta("og:title"))),
        ("twitter", clean(structured.first_meta("twitter:title"))),
        ("title", clean(title_element.text) if title_element is not None else None),
    ]
    h1s = [t for t in (h1_texts(root) if h1s is None else h1s) if len(t) <= MAX_HEADLINE]
    said = {key(t) for t in h1s}
    said.update(key(t) for _, t in raw if t)
    found: list[tuple[str, str]] = []
    for source, text in raw:
        if source != "jsonld":  # JSON-LD's headline field holds only the headline
            others = said - {key(text)}
            text = _without_site_name(text, sites, host, others, by_shape=source == "title")
        if text and len(text) <= MAX_HEADLINE:
            found.append((source, text))
    known = {key(t) for _, t in found}
    # Of several h1 (logo, section name, headline) the one the metadata names wins.
    h1 = next((t for t in h1s if key(t) in known), None) or next(iter(h1s), None)
    if h1:
        found.insert(0, ("h1", h1))
    return found


_ELLIPSIS = ("…", "...")


def truncated(text: str) -> str | None:
    """Return ``text`` without the ellipsis it ends in (a text cut to fit a social card),
    or None when it does not end in one.

    >>> truncated("Storm hits the coast, and the…")
    'Storm hits the coast, and the'
    >>> truncated("Storm hits") is None
    True
    """
    for ellipsis in _ELLIPSIS:
        if text.endswith(ellipsis):
            return text[: -len(ellipsis)].rstrip()
    return None


def choose(found: Iterable[tuple[str, str]]) -> str | None:
    """Return the candidate text with the most votes (ties: the earlier source).

    Each source votes for its text (:data:`WEIGHTS`); equal texts (by :func:`key`) pool their
    votes. A ``twitter:title`` that repeats ``og:title`` does not vote: it is the same
    statement twice, not a second witness. A text cut with an ellipsis (:func:`truncated`)
    votes for the candidate whose beginning it is, as well: a social card's title cut to
    fit says the same headline.
    """
    votes: dict[str, float] = {}
    first: dict[str, str] = {}
    found = list(found)
    og = next((key(text) for source, text in found if source == "og"), None)
    for source, text in found:
        k = key(text)
        if source == "twitter" and k == og:
            continue  # a copy of og:title (sites fill one from the other): no second vote
        votes[k] = votes.get(k, 0.0) + WEIGHTS.get(source, 0.5)
        first.setdefault(k, text)
    if not votes:
        return None
    support = dict(votes)
    for short, cut in ((k, c) for k in votes if (c := truncated(k))):
        for long in votes:
            if len(cut) < len(long) and long != short and long.startswith(cut):
                support[long] += votes[short]
    best = max(support, key=lambda k: support[k])
    return first[best]


def headline(
    structured: Structured, root: etree._Element, url: str, h1s: Sequence[str] | None = None
) -> str | None:
    """Return the page's headline, or None when no source gives one; ``h1s`` are the
    page's :func:`h1_texts` when they were read already."""
    return choose(candidates(structured, root, url, h1s))
