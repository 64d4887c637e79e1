"""The words of a URL path that say a page lists other pages, in the languages we read.

One vocabulary for the crawl, which guesses a link's kind before fetching it
(:func:`newscrawl.discovery.url_shape`), and for the page type, which decides once the page
is there (:mod:`newscrawl.extraction.generic.pagetype`). Each applies it its own way: the
crawl after a date or an id in the URL has said "article", the page type only to a page
with little running text. This module is plain data and regexes and imports nothing of
ours, so that extraction may use it without the crawl (see the import contracts in
pyproject.toml).

A word belongs when, as a whole segment of a news site's path, it names a page that lists
other pages: the site's search, a section or category, a tag or topic, an author, an
archive. A word that also names a section (``recherche``, ``ricerca``, ``pesquisa``: search,
and research) still names a listing. Left out on purpose, as words that name a page without
saying it lists anything: ``page`` and ``seite`` alone (a static page may live at
``/page/about/``; a number after them makes the listing, see :data:`PAGE_NUMBER`),
``index`` (the default document of any folder, an article's too:
``/2026/12/05/story/index``) and ``p`` (a page, but as often a post: ``/p/123456``).

>>> bool(LISTING_PATH.search("/category/policy/")), bool(LISTING_PATH.search("/news/page/2/"))
(True, True)
>>> bool(LISTING_PATH.search("/page/about/")), bool(LISTING_PATH.search("/tagged-stories/"))
(False, False)
"""

from __future__ import annotations

import re

SEARCH_WORDS = (
    "search",  # en
    "suche",  # de
    "recherche",  # fr
    "buscar",  # es, pt
    "busca",  # pt, es
    "busqueda",  # es: búsqueda without its accent
    "cerca",  # it, ca
    "ricerca",  # it
    "pesquisa",  # pt
    "zoeken",  # nl
    "szukaj",  # pl
    "poisk",  # ru: поиск, transliterated
)
"""Paths of the site's search."""

SECTION_WORDS = (
    "category",
    "categories",
    "kategorie",  # de, cs
    "kategoria",  # pl
    "categoria",  # it, es, pt
    "categorie",  # fr (catégorie), nl, it (plural)
    "section",
    "sections",
    "rubric",  # ru: рубрика, transliterated
    "rubrics",
    "rubrik",  # de, sv, da
    "rubrique",  # fr
    "rubriek",  # nl
    "ressort",  # de: a newspaper's department
)
"""Paths of a section or category of the site."""

TOPIC_WORDS = (
    "tag",
    "tags",
    "topic",
    "topics",
    "thema",  # de, nl
    "themen",  # de
    "schlagwort",  # de: a tag
    "stichwort",  # de: a keyword
    "etiqueta",  # es, pt: a tag
    "tema",  # es, it, pt
    "temas",  # es, pt
)
"""Paths of a tag or topic."""

AUTHOR_WORDS = (
    "author",
    "authors",
    "autor",  # de, es, pt, pl, cs
    "autoren",  # de
    "autores",  # es, pt
    "auteur",  # fr, nl
    "auteurs",  # fr
    "autore",  # it
    "autori",  # it
)
"""Paths of an author's page, which lists what they wrote."""

ARCHIVE_WORDS = (
    "archive",
    "archives",  # en, fr
    "archiv",  # de, cs
    "archivio",  # it
    "archivo",  # es
    "arquivo",  # pt
    "archief",  # nl
    "archiwum",  # pl
)
"""Paths of an archive of past articles."""

LISTING_WORDS = SEARCH_WORDS + SECTION_WORDS + TOPIC_WORDS + AUTHOR_WORDS + ARCHIVE_WORDS
"""Every word that, as a whole path segment, makes the path a listing's."""

PAGE_WORDS = ("page", "seite", "pagina", "strona")
"""Words for a page of a paginated listing, before its number (en, fr; de; it, es, pt, nl;
pl)."""


def _segment(words: tuple[str, ...]) -> str:
    return "(?:" + "|".join(re.escape(word) for word in words) + ")"


LISTING_SEGMENT = re.compile(rf"(?:^|/){_segment(LISTING_WORDS)}(?:/|$)", re.IGNORECASE)
"""A path holding a listing word as a whole segment (``/tag/g20/``, ``/autor/x/``)."""

PAGE_NUMBER = re.compile(rf"(?:^|/){_segment(PAGE_WORDS)}/?\d+(?:/|$)", re.IGNORECASE)
"""A path holding a page number (``/page/2/``, ``/seite/3``, ``/pagina2/``)."""

LISTING_PATH = re.compile(f"{LISTING_SEGMENT.pattern}|{PAGE_NUMBER.pattern}", re.IGNORECASE)
"""A path that is a listing's by its words: :data:`LISTING_SEGMENT` or :data:`PAGE_NUMBER`."""
