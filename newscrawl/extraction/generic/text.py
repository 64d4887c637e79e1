"""Small text helpers shared by the generic extractor's modules."""

from __future__ import annotations

import html
import re
from typing import Any

from newscrawl.extraction.processors import normalize_space

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
"""Soft hyphens and zero-width characters: present in markup, never part of the words."""


def clean(value: Any) -> str | None:
    """Return ``value`` as one line of text: HTML entities decoded (structured data often
    holds ``&quot;``), invisible characters removed, whitespace normalised; None when
    ``value`` is not a non-blank string.

    >>> clean(" Ein &quot;Zitat&quot;\\u00ad ")
    'Ein "Zitat"'
    >>> clean(["not", "text"]) is None
    True
    """
    if not isinstance(value, str):
        return None
    if "&" in value:
        value = html.unescape(value)
    return normalize_space(_INVISIBLE.sub("", value))


def key(value: str | None) -> str:
    """Return a comparison key for ``value``: casefolded, quotes and dashes unified,
    whitespace normalised.

    >>> key("It’s  “Done” – now") == key("it's \\"done\\" - now")
    True
    """
    text = (clean(value) or "").casefold()
    text = re.sub("[\u2018\u2019\u201a\u201b\u2032`´]", "'", text)
    text = re.sub("[\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033]", '"', text)
    text = re.sub("[\u2010-\u2015\u2212]", "-", text)
    return " ".join(text.split())


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
