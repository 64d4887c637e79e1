"""Text comparison shared by the profile path and the generic extractor: one line of
clean text (:func:`clean`) and the key two texts are compared by (:func:`key`)."""

from __future__ import annotations

import functools
import html
import re
from typing import Any

from newscrawl.extraction.processors import normalize_space

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
"""Soft hyphens and zero-width characters: present in markup, never part of the words."""
_INVISIBLE_CHARACTERS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)
"""UTF-8 read as Windows-1252 or Latin-1: "Ã³" for "ó", "â€™" for "’"."""


def repair_mojibake(text: str) -> str:
    """Return ``text`` with UTF-8 that was read as Windows-1252 (or Latin-1) read again as
    UTF-8, when the whole text round-trips; else ``text`` unchanged.

    >>> repair_mojibake("tras su sanciÃ³n")
    'tras su sanción'
    >>> repair_mojibake("Ã la carte")
    'Ã la carte'
    """
    if _MOJIBAKE.search(text) is None:
        return text
    for encoding in ("cp1252", "latin-1"):
        try:
            repaired = text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return repaired
    return text


def clean(value: Any) -> str | None:
    """Return ``value`` as one line of text: HTML entities decoded (structured data often
    holds ``&quot;``), invisible characters removed, whitespace normalised; None when
    ``value`` is not a non-blank string.

    >>> clean(" Ein &quot;Zitat&quot;\\u00ad ")
    'Ein "Zitat"'
    >>> clean(["not", "text"]) is None
    True

    Mojibake is repaired (:func:`repair_mojibake`).
    """
    if not isinstance(value, str):
        return None
    if "&" in value:
        value = html.unescape(value)
    value = repair_mojibake(value)
    if any(character in value for character in _INVISIBLE_CHARACTERS):  # rare: spare the pass
        value = _INVISIBLE.sub("", value)
    return normalize_space(value)


def key(value: str | None) -> str:
    """Return a comparison key for ``value``: casefolded, quotes and dashes unified,
    whitespace normalised.

    >>> key("It’s  “Done” – now") == key("it's \\"done\\" - now")
    True
    """
    if not isinstance(value, str):
        return ""
    return _key(value)


@functools.lru_cache(maxsize=4096)
def _key(value: str) -> str:
    """:func:`key` of a string, remembered: the fields of a page compare the same lines
    (body paragraphs, captions, headline candidates) again and again."""
    # clean() normalised the whitespace, and casefolding makes none.
    text = (clean(value) or "").casefold()
    return _QUOTE_OR_DASH.sub(_unified, text)


_UNIFIED = (
    dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`´", "'")
    | dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"')
    | dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
)
"""What :func:`key` unifies: quotes to ``'`` and ``"``, dashes and the minus to ``-``."""
_QUOTE_OR_DASH = re.compile(f"[{''.join(_UNIFIED)}]")


def _unified(match: re.Match[str]) -> str:
    return _UNIFIED[match.group()]
