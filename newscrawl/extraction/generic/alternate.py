"""The alternate headline: the article's headline in another language than its text.

Sources, in order:

1. JSON-LD ``alternativeHeadline``;
2. the page's translations declared as ``<link rel="alternate" hreflang="xx" href="...">``:
   the link's own ``title`` attribute, else the text of a link in the page to that same
   address (a language switcher that shows the translated headline, "Read in English: ..."),
   else a JSON-LD ``workTranslation`` / ``translationOfWork`` object's headline;
3. a heading (``<h1>``-``<h3>``) or a headline/title element marked with a ``lang``
   attribute of another language than the page's (an original title shown under a
   translated one).

A candidate counts only when it passes the rule a profile's ``fields.headline_alt``
passes too (:func:`newscrawl.extraction.alternate.first_alternate`): its text reads as
another language than the page's text (py3langid) and it is not the headline itself or
the name of a language ("English", "Deutsch"). Links to other articles that merely carry
an ``hreflang`` are not translations of this page: only addresses the page declares as its
alternates count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newscrawl.extraction.alternate import Known, first_alternate, primary_language
from newscrawl.extraction.generic.structured import Structured
from newscrawl.extraction.generic.text import clean, element_text, first_text

MAX_LINKS = 2000
"""Links of the page read to find a language switcher: enough for any real page."""
_ALTERNATES = etree.XPath("/descendant::link[@hreflang][@href]")
"""``//link[@hreflang][@href]`` down the descendant axis in one step: libxml2 runs the
``//`` form's ``child::link[…]`` step once from every node of the page."""
_LANG_OWNERS = etree.XPath("//@lang/..")
"""Every element with a ``lang`` attribute, in document order."""
_HEADING_TAGS = frozenset({"h1", "h2", "h3"})
MAX_LANG_HEADINGS = 20
_LABEL = re.compile(r"^[^:]{1,40}:\s+")
"""A label before the headline in a switcher: "Read in English: ", "Auf Deutsch lesen: "."""


def _normal_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _declared_alternates(root: etree._Element, url: str) -> dict[str, tuple[str, str | None]]:
    """Return the page's declared translations: normalised URL -> (language, link title)."""
    own = _normal_url(url)
    found: dict[str, tuple[str, str | None]] = {}
    for link in _ALTERNATES(root):
        if "alternate" not in (link.get("rel") or "").lower().split():
            continue
        lang = primary_language(link.get("hreflang"))
        href = urljoin(url, link.get("href", "").strip())
        target = _normal_url(href)
        if lang and target != own:
            found.setdefault(target, (lang, clean(link.get("title"))))
    return found


def _switcher_texts(root: etree._Element, url: str, targets: set[str]) -> Iterator[str]:
    """Yield the texts of links in the page to one of ``targets`` (label removed)."""
    # Only hrefs ending in a target's path are joined and compared (joining every link
    # of a page costs more than the rest of this module).
    paths = tuple({t.partition("/")[2].rstrip("/") for t in targets if "/" in t} - {""})
    if not paths:
        return
    for count, anchor in enumerate(root.iter("a")):
        if count >= MAX_LINKS:
            return
        href = (anchor.get("href") or "").strip()
        bare = href.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        if not bare.endswith(paths) or _normal_url(urljoin(url, href)) not in targets:
            continue
        text = clean(element_text(anchor))
        if text:
            yield _LABEL.sub("", text)


def _translations(article: dict[str, Any]) -> Iterator[tuple[str | None, str | None]]:
    for name in ("workTranslation", "translationOfWork"):
        value = article.get(name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                text = first_text(item.get("headline")) or first_text(item.get("name"))
                yield primary_language(first_text(item.get("inLanguage"))), text


def candidates(
    structured: Structured, root: etree._Element, url: str
) -> Iterator[tuple[str, str | None]]:
    """Yield (text, declared language or None) alternate-headline candidates, best first."""
    article = structured.article(url)
    if alt := first_text(article.get("alternativeHeadline")):
        yield alt, None
    alternates = _declared_alternates(root, url)
    for lang, title in alternates.values():
        if title:
            yield title, lang
    if alternates:
        for text in _switcher_texts(root, url, set(alternates)):
            yield text, None
    for lang, text in _translations(article):
        if text:
            yield text, lang
    for element in _lang_headings(root):
        if text := clean(element_text(element)):
            yield text, primary_language(element.get("lang"))


def _lang_headings(root: etree._Element) -> list[etree._Element]:
    """Return the first :data:`MAX_LANG_HEADINGS` elements, in page order, that have a
    ``lang`` attribute and are an ``<h1>``-``<h3>`` or have "eadline" or "itle" in their
    class (what the XPath ``(//*[@lang][self::h1 or self::h2 or self::h3 or
    contains(@class, 'eadline') or contains(@class, 'itle')])[position() <= 20]`` selects,
    read from the few elements that have a ``lang``)."""
    found: list[etree._Element] = []
    for element in _LANG_OWNERS(root):
        classes = element.get("class") or ""
        if element.tag in _HEADING_TAGS or "eadline" in classes or "itle" in classes:
            found.append(element)
            if len(found) == MAX_LANG_HEADINGS:
                break
    return found


def alternate_headline(
    structured: Structured,
    root: etree._Element,
    url: str,
    headline: Known,
    language: Known,
) -> tuple[str, str] | None:
    """Return (text, language) of the headline in another language than ``language`` (the
    page's), or None. The language is the one detected in the text, the declared one
    (``hreflang``, ``lang``) breaking near ties. A candidate that declares no language
    must not read as the page's language even when that language is given the benefit
    of a near tie (``prefer``).

    ``headline`` and ``language`` may be given as functions: each is called once, and
    only when a candidate needs it (most pages have none, and the generic headline costs
    more than the rest of this module)."""
    return first_alternate(candidates(structured, root, url), headline, language)
