"""Author names: JSON-LD/microdata first, then the visible byline, then ``<meta>`` tags.

A byline string becomes names by :func:`split_names`, which knows the word for "and" in
many languages ("A og B", "A und B", "A y B" ...), labels such as "By" or "Von", and
handles in brackets ("Elena Doe (edo)").
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from newscrawl.extraction.generic.headline import names_the_site
from newscrawl.extraction.generic.structured import Structured, types_of
from newscrawl.extraction.generic.text import clean, element_text, key, names_readers_comments
from newscrawl.extraction.processors import structured_name
from newscrawl.listing_paths import (
    ARCHIVE_WORDS,
    AUTHOR_WORDS,
    SEARCH_WORDS,
    SECTION_WORDS,
    TOPIC_WORDS,
)

_AND = r"and|und|og|och|en|et|y|e|i|és|a|ja|и|та|і|ve|و|und von|with"
_LIST_SEPARATOR = re.compile(r"\s*[,;/|·•]\s*")
_AND_SEPARATOR = re.compile(rf"\s+(?:{_AND}|&|\+)\s+", re.IGNORECASE)
_LABEL = re.compile(
    r"^(?:(?:(?:an?|eine?)\s+)?"
    r"(?:written|posted|reported|text|story|words|analysis|commentary|opinion|essay|review"
    r"|interview|column|kommentar|analyse|gastbeitrag|meinung)\s+)?"
    r"(?:by|von|par|por|di|da|de|door|av|af|przez|od|автор(?:ы)?|текст|редакция)\s*:?\s+"
    r"|^(?:autor(?:in|en)?|author|authors|text|texto|testo|tekst|skrevet av|redakteur)\s*:\s*",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"\s*\(\s*(?:[a-z]{2,5}\.?|@\w+)\s*\)\s*$")
_URL = re.compile(r"^(?:https?:)?//|^www\.", re.I)
_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)+/?$")
_NOT_IN_NAMES = re.compile(r"[\d()\[\]:@<>{}=]")
"""A visible byline part with digits, brackets or a colon is a date or a label, not a name."""
_NOT_IN_ANY_NAME = re.compile(r"[()\[\]:<>{}=]")
"""Not even structured data puts brackets or a colon in a name ("( Image: Getty")."""
_ROLE = re.compile(
    r"\b(?:\w*writers?|editors?(?:-at-large)?|correspondents?|reporters?|columnists?"
    r"|contributors?|producers?|analysts?|journalist(?:in)?|\w*redakteur(?:in)?"
    r"|korrespondent(?:in)?|r[ée]dact(?:eur|rice)|correspondant(?:e)?|corresponsal"
    r"|redactor(?:a)?|periodista|giornalista|inviat[oa]|корреспондент|обозреватель)\b",
    re.IGNORECASE,
)
"""A part of a byline that says what the person is ("AP National Political Writer", "CNN
Editor-at-large", "Korrespondentin"), not who."""
_CREDENTIAL = re.compile(
    r"^(?:Ph\.?\s?D|M\.?D|MSc?|MA|MBA|MPH|RDN?|RN|DO|DDS|JD|CFA|CPA|LCSW|Esq)\.?$"
)
"""Letters after a name that give a degree or licence ("Jane Doe, MS, RDN")."""
MAX_NAME = 80
MAX_WORDS = 7

_BYLINE = etree.XPath(
    "//*[@rel='author' or contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')"
    " or contains(@class, 'author') or contains(@class, 'byline') or contains(@class, 'Author')"
    " or contains(@class, 'Byline')][not(self::meta or self::link or self::script)]"
)
MAX_BYLINE_NODES = 40
MAX_COMMENT_DEPTH = 12
"""Ancestors of a byline element looked at for a readers' comment around it."""


_SUBJECT_WORDS = "|".join(SECTION_WORDS + TOPIC_WORDS + ARCHIVE_WORDS + SEARCH_WORDS)
_SUBJECT_PAGE = re.compile(rf"(?:^|/)(?:{_SUBJECT_WORDS})(?:/|$)", re.IGNORECASE)
"""A path of a section, tag, archive or search page: a link there names a subject."""
_AUTHOR_PAGE = re.compile(rf"(?:^|/)(?:{'|'.join(AUTHOR_WORDS)})(?:/|$)", re.IGNORECASE)
"""A path of an author's page (``/author/jane-doe/``, also under ``/archive/``)."""


def _names_a_listing(element: etree._Element, text: str) -> bool:
    """Tell whether all of ``element``'s ``text`` is the text of its links to section, tag,
    archive or search pages ("<div class=author-box><a href=/category/world/>World</a>"):
    a subject, not a name."""
    links = [a for a in element.iter("a") if a.get("href")]
    paths = [urlsplit(a.get("href", "")).path for a in links]
    if not links or not all(_SUBJECT_PAGE.search(p) and not _AUTHOR_PAGE.search(p) for p in paths):
        return False
    linked = "".join(
        etree.tostring(a, method="text", encoding="unicode", with_tail=False) for a in links
    )
    return key(linked) == key(text)


def _in_comments(element: etree._Element) -> bool:
    """Tell whether ``element`` or one of its nearest ancestors is named as a readers'
    comment: its "author" is a reader, not the article's writer."""
    for depth, node in enumerate((element, *element.iterancestors())):
        if depth > MAX_COMMENT_DEPTH:
            return False
        if names_readers_comments(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
    return False


def split_names(text: str | None) -> list[str]:
    """Split a byline into names, without labels ("By", "Analysis by", "Ein Kommentar von"),
    handles, duplicates, and the parts after a name that say what the person is (a role,
    a degree: "Jo Doe, CNN Editor-at-large", "Jo Doe, MS, RDN").

    >>> split_names("Trine Jørgensen og Tôrtia Reimer-Johansen ")
    ['Trine Jørgensen', 'Tôrtia Reimer-Johansen']
    >>> split_names("Von Anna Fink und Jan Marchart")
    ['Anna Fink', 'Jan Marchart']
    >>> split_names("Elena Oberholzer (obe)")
    ['Elena Oberholzer']
    >>> split_names("By Jo Doe, AP National Political Writer")
    ['Jo Doe']
    """
    cleaned = clean(text)
    if not cleaned:
        return []
    cleaned = _LABEL.sub("", cleaned)
    names: list[str] = []
    for chunk in _LIST_SEPARATOR.split(cleaned):
        if names and (_ROLE.search(chunk) or _CREDENTIAL.match(chunk)):
            continue  # what the person before it is, not another person
        for part in _AND_SEPARATOR.split(chunk):
            name = _HANDLE.sub("", _LABEL.sub("", part.strip(" ,;:|-\u2013\u2014")))
            name = name.strip(" ,;:|")
            if name and len(name) <= MAX_NAME and key(name) not in {key(n) for n in names}:
                names.append(name)
    return names


def _is_name(text: str, site_names: set[str], strict: bool = True) -> bool:
    """Tell whether ``text`` can be a name; ``strict`` (for bylines and meta tags, not for
    structured data) also refuses bare domains and parts with digits or brackets."""
    if strict and (_DOMAIN.match(text) or _NOT_IN_NAMES.search(text)):
        return False
    if _NOT_IN_ANY_NAME.search(text):
        return False
    return (
        bool(text)
        and not text.isdigit()
        and _URL.search(text) is None
        and key(text) not in site_names
        and len(text.split()) <= MAX_WORDS
    )


def _person_name(node: Any) -> str | None:
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return None
    name = node.get("name")
    if isinstance(name, list):
        name = next((n for n in name if isinstance(n, str)), None)
    if isinstance(name, str) and name.strip():
        return name
    given, family = node.get("givenName"), node.get("familyName")
    if isinstance(given, str) or isinstance(family, str):
        return " ".join(p for p in (given, family) if isinstance(p, str))
    return None


def _flatten(value: Any, depth: int = 0) -> list[Any]:
    if depth > 4:
        return []
    if isinstance(value, list):
        return [item for v in value for item in _flatten(v, depth + 1)]
    return [value]


def structured_authors(article: dict[str, Any], site_names: set[str]) -> list[str]:
    """Return the names of the article object's ``author`` (people and organisations) and,
    without one, its ``creator``. Each name is cleaned by
    :func:`~newscrawl.extraction.processors.structured_name` before it is split: markup is
    removed, and a name that is a URL gives none."""
    names: list[str] = []
    for field in ("author", "creator"):
        for node in _flatten(article.get(field)):
            if isinstance(node, dict) and types_of(node) & {"WebSite", "WebPage"}:
                continue
            for name in split_names(structured_name(_person_name(node))):
                if _is_name(name, set(), strict=False) and key(name) not in {key(n) for n in names}:
                    names.append(name)
        if names:
            break
    return names


def byline_authors(root: etree._Element, site_names: set[str]) -> list[str]:
    """Return the names in the first visible byline element of the page (``rel=author``,
    ``itemprop=author``, classes naming an author or byline), or []. Elements of readers'
    comments do not count."""
    for element in _BYLINE(root)[:MAX_BYLINE_NODES]:
        if _in_comments(element):
            continue
        if element.get("content"):
            text = element.get("content")
        else:
            text = etree.tostring(element, method="text", encoding="unicode", with_tail=False)
        text = clean(text) or ""
        if not text or len(text) > 2 * MAX_NAME or _names_a_listing(element, text):
            continue
        names = [n for n in split_names(text) if _is_name(n, site_names)]
        if names:
            return names
    return []


def _is_site_word(name: str, site_names: set[str], host: str) -> bool:
    """Tell whether a one-word ``name`` is the site's short name: a word of one of its
    names (``site_names``, as keys: "LBCI" of "LBCI Lebanon") or its domain ("LTO" on
    lto.de); see :func:`~newscrawl.extraction.generic.headline.names_the_site`.

    >>> _is_site_word("LTO", {"legal tribune online"}, "www.lto.de")
    True
    >>> _is_site_word("Ann Lee", {"the daily"}, "annlee.example")
    False
    """
    if len(name.split()) != 1:
        return False
    word = key(name)
    return any(word in site.split() for site in site_names) or names_the_site(name, (), host)


_AUTHOR_LINKS = etree.XPath("//a[@href][contains(@href, '/aut') or contains(@href, '/Aut')]")
"""Links whose address may hold an author word (``/author/``, ``/autoren/``, ``/auteur/``
...); :data:`_AUTHOR_PATH` decides."""
_AUTHOR_PATH = re.compile(rf"(?:^|/)(?:{'|'.join(AUTHOR_WORDS)})/+[^/?#]", re.IGNORECASE)
"""A path of one author's page: an author word, then a segment naming the author."""
MAX_AUTHOR_LINKS = 40
_NAVIGATION = re.compile(r"menu|\bnav|footer|sidebar|related", re.IGNORECASE)
"""A class or id of the site's navigation, footer or sidebar, or of related articles."""


def _in_navigation(element: etree._Element) -> bool:
    """Tell whether ``element`` is in the site's navigation, a footer, a sidebar or a block
    of related articles (by tag, class or id, among its nearest ancestors): a menu of
    columnists links their pages, a related story its own author's."""
    for depth, node in enumerate(element.iterancestors()):
        if depth > MAX_COMMENT_DEPTH:
            return False
        if node.tag in ("nav", "footer", "aside") or _NAVIGATION.search(
            f"{node.get('class') or ''} {node.get('id') or ''}"
        ):
            return True
    return False


def author_link_authors(root: etree._Element, site_names: set[str]) -> list[str]:
    """Return the names of the first link to an author's page (``/autoren/name/max-doe``)
    and of the other such links beside it (in the same parent), or []. A byline with no
    class to name it ("von <a href=/autor/x>Max Doe</a>") still links its author. Links in
    readers' comments, the site's menus, footer and sidebars and related articles do not
    count."""
    for link in _AUTHOR_LINKS(root)[:MAX_AUTHOR_LINKS]:
        if (
            not _AUTHOR_PATH.search(urlsplit(link.get("href", "")).path)
            or _in_comments(link)
            or _in_navigation(link)
        ):
            continue
        parent = link.getparent()
        siblings = [link] if parent is None else parent.iter("a")
        names = [
            name
            for a in siblings
            if a is link or _AUTHOR_PATH.search(urlsplit(a.get("href", "")).path)
            for name in split_names(element_text(a))
            if _is_name(name, site_names)
        ]
        if names:
            return list(dict.fromkeys(names))
    return []


_AUTHOR_MARKS = etree.XPath(
    "//*[@rel='author' or contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')]"
    "[not(self::meta or self::link or self::script)]"
)
"""Elements that mark one author each: ``rel=author`` links, ``itemprop=author``."""
MAX_AUTHOR_MARKS = 40
MAX_BYLINE_DEPTH = 4
"""Ancestors of an author's mark climbed to find the byline that holds the others'."""


def _mark_names(mark: etree._Element, site_names: set[str]) -> list[str]:
    """Return the names an author mark gives (its ``content``, else its text)."""
    text = mark.get("content") or element_text(mark)
    return [n for n in split_names(text) if _is_name(n, site_names)]


def byline_with_coauthors(
    root: etree._Element, names: list[str], site_names: set[str]
) -> list[str]:
    """Return the names of the visible byline that marks the structured ``names`` (one
    element with ``rel=author`` or ``itemprop=author`` per author, all under one element
    that holds little else) when it marks more people than they are, in its order; else
    ``names``. Structured data of some CMSs lists the first author only."""
    wanted = {key(n) for n in names}
    marks = [m for m in _AUTHOR_MARKS(root)[:MAX_AUTHOR_MARKS] if not _in_comments(m)]
    for mark in marks:
        if not {key(n) for n in _mark_names(mark, site_names)} & wanted:
            continue
        for depth, byline in enumerate(mark.iterancestors()):
            if depth >= MAX_BYLINE_DEPTH or byline.tag in ("body", "html"):
                break
            inside = [m for m in marks if m is not mark and _is_inside(m, byline)]
            if inside and _only_names(byline, [mark, *inside]):
                found = [
                    n for m in marks if m is mark or m in inside for n in _mark_names(m, site_names)
                ]
                found = list(dict.fromkeys(found))
                if wanted <= {key(n) for n in found} and len(found) > len(names):
                    return found
                break
    return names


MAX_BYLINE_EXTRA = 60
"""Characters a byline may hold besides its marks' text: labels, "and", roles."""


def _only_names(byline: etree._Element, marks: list[etree._Element]) -> bool:
    """Tell whether ``byline`` holds little besides the text of its author ``marks`` (a
    byline, not a teaser whose headline and excerpt hold other authors' marks)."""
    names = sum(len(clean(element_text(m)) or "") for m in marks)
    return len(clean(element_text(byline)) or "") <= names + MAX_BYLINE_EXTRA


def _is_inside(element: etree._Element, ancestor: etree._Element) -> bool:
    """Tell whether ``ancestor`` holds ``element``."""
    return any(a is ancestor for a in element.iterancestors())


def meta_authors(structured: Structured, site_names: set[str], host: str = "") -> list[str]:
    """Return the names in ``<meta name=author>`` (or ``article:author`` when it is not a
    URL), leaving out site names, numbers and URLs, and one word that is the site's short
    name (:func:`_is_site_word`: a CMS's default author is the site)."""
    for name in (
        "author",
        "article:author",
        "dc.creator",
        "byl",
        "parsely-author",
        "sailthru.author",
    ):
        names = [
            n
            for value in structured.meta.get(name, [])
            for n in split_names(value)
            if _is_name(n, site_names) and not _is_site_word(n, site_names, host)
        ]
        if names:
            return names
    return []


def site_names_of(structured: Structured) -> set[str]:
    """Return the comparison keys of the site's own names (``og:site_name`` ...)."""
    names = structured.meta.get("og:site_name", []) + structured.meta.get("application-name", [])
    return {key(n) for n in names if n.strip()}


def authors(structured: Structured, root: etree._Element, url: str) -> list[str]:
    """Return the article's author names, in page order."""
    sites = site_names_of(structured)
    article = structured.article(url)
    publisher = article.get("publisher")
    if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
        sites.add(key(publisher["name"]))
    names = structured_authors(article, sites)
    if names and all(key(n) in sites for n in names):
        # Only the publisher is named as author: a visible byline naming a person (first
        # and last name at least) is better, with what else it names ("Jo Doe, dpa").
        people = byline_authors(root, sites)
        return people if any(len(n.split()) >= 2 for n in people) else names
    if names:
        return byline_with_coauthors(root, names, sites)
    host = urlsplit(url).hostname or ""
    return (
        byline_authors(root, sites)
        or meta_authors(structured, sites, host)
        or author_link_authors(root, sites)
    )
