"""Small text helpers shared by the generic extractor's modules."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from newscrawl.extraction.text import clean, key, repair_mojibake

__all__ = [
    "attribute_names",
    "clean",
    "element_text",
    "first_text",
    "key",
    "names_readers_comments",
    "repair_mojibake",
    "weighted_length",
]

HAN_WEIGHT = 3
"""What one Han character counts in :func:`weighted_length`: a word or most of one, which
takes roughly three to four characters of English (by translators' rule of thumb, a Chinese
text has 3 to 4 times fewer characters than its English); 3 errs towards fewer."""
SYLLABLE_WEIGHT = 2
"""What one kana or Hangul character counts in :func:`weighted_length`: a syllable, which
takes roughly two to three characters of English (by the same rule of thumb, Japanese and
Korean texts have 2 to 2.5 times fewer characters than their English); 2 errs towards fewer."""
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
"""Han characters: CJK unified ideographs (with their extensions) and compatibility ones."""
_SYLLABLES = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d\uac00-\ud7a3"
"""Kana (hiragana, katakana, half-width katakana) and Hangul syllables: characters that
each write a syllable. Hangul letters (jamo, which compose a syllable) and punctuation
are not among them."""
_HAN_RUN = re.compile(f"[{_HAN}]+")
_SYLLABLE_RUN = re.compile(f"[{_SYLLABLES}]+")
_HEAVY = re.compile(f"[{_HAN}{_SYLLABLES}]")
MAX_CHARACTER_WEIGHT = max(HAN_WEIGHT, SYLLABLE_WEIGHT)
"""The most one character counts in :func:`weighted_length`."""


def weighted_length(text: str) -> int:
    """Return the length of ``text`` measured fairly across scripts: how much it says, in
    characters of an alphabet.

    A character of an alphabet (Latin, Cyrillic, Greek, Arabic, Hebrew ...), an abugida
    (Devanagari, Thai ...), a digit, a space or a punctuation mark counts 1; a Han character
    counts :data:`HAN_WEIGHT`, a kana or Hangul character :data:`SYLLABLE_WEIGHT`. So a
    Chinese, Japanese or Korean paragraph that says what an English one says is about as
    long. It is never less than ``len(text)``, nor more than
    ``len(text)`` × :data:`MAX_CHARACTER_WEIGHT`.

    >>> weighted_length("Ferries run again.")
    18
    >>> weighted_length("渡轮恢复运行。")  # six Han characters and a full stop
    19
    >>> weighted_length("여객선 운항 재개")  # seven Hangul syllables and two spaces
    16
    >>> weighted_length("フェリー再開")  # four katakana, two Han
    14
    """
    length = len(text)
    if text.isascii() or _HEAVY.search(text) is None:  # most texts: one check, one scan
        return length
    for run in _HAN_RUN.findall(text):
        length += (HAN_WEIGHT - 1) * len(run)
    for run in _SYLLABLE_RUN.findall(text):
        length += (SYLLABLE_WEIGHT - 1) * len(run)
    return length


def first_text(value: Any) -> str | None:
    """Return the first string in ``value`` (a string, a list of them, or an object with a
    ``name``), cleaned; None when there is none."""
    if isinstance(value, list):
        for item in value:
            if found := first_text(item):
                return found
        return None
    if isinstance(value, dict):
        return first_text(value.get("name"))
    return clean(value)


def element_text(element: etree._Element) -> str:
    """Return the text of ``element`` and its descendants (not its tail), for trees of
    either lxml parser (``text_content`` exists only on lxml.html's elements)."""
    return etree.tostring(element, method="text", encoding="unicode", with_tail=False)


_NAME_VALUES = tuple(
    etree.XPath(f"//@{name}", smart_strings=False) for name in ("class", "id", "aria-label")
)


def attribute_names(root: etree._Element) -> str:
    """Return the ``class``, ``id`` and ``aria-label`` values of every element of ``root``,
    as they are (a line break in one read as a space), one per line.

    A word that no element's attribute holds is not in this text, so one search in it
    tells a field that a query over every element would find nothing (each such query
    walks the whole page; this text is read once and shared).

    >>> from lxml import html
    >>> attribute_names(html.fromstring('<div class="a B" id="c"><p aria-label="d"/></div>'))
    'a B\\nc\\nd'
    """
    values = [value for query in _NAME_VALUES for value in query(root)]
    names = "\n".join(values)
    if names.count("\n") >= len(values):  # a value holds a line break: one line each
        names = "\n".join(value.replace("\n", " ") for value in values)
    return names


READERS_COMMENTS = frozenset(
    {
        "comment",
        "comments",
        "commentlist",
        "commentform",
        "commentbody",
        "recentcomments",
        "commentaire",
        "commentaires",
        "comentario",
        "comentarios",
        "commento",
        "commenti",
        "kommentare",
        "disqus",
    }
)
"""Words of a class or id of readers' comments, each a part of a name between hyphens and
underscores ("comment-author", "widget_recent_comments", "#comments"). Not "commentary" or
the German "Kommentar": those name opinion articles."""
_NAME_PARTS = re.compile(r"[\s_-]+")


def names_readers_comments(names: str) -> bool:
    """Tell whether ``names`` (an element's class and id, space-separated, any case) name
    readers' comments: a part of them between spaces, hyphens and underscores is one of
    :data:`READERS_COMMENTS`."""
    return not READERS_COMMENTS.isdisjoint(_NAME_PARTS.split(names.lower()))
