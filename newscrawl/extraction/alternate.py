"""When a text is the article's headline in another language: the one rule the profile path
(``fields.headline_alt``) and the generic extractor (``generic/alternate.py``) both apply
to their candidates, so that a profile and the generic fill give the same alternate
headline on the same page."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from newscrawl.extraction.processors import detect_language
from newscrawl.extraction.text import key

MIN_WORDS = 3
"""Fewer words than this is a language switcher's label ("English", "Auf Deutsch"), not a
headline."""
MAX_ALT = 300
"""More characters than this is a paragraph, not a headline."""

Known = str | None | Callable[[], str | None]
"""A value, or a function that computes it when it is first needed."""


def primary_language(tag: str | None) -> str | None:
    """Return the primary subtag of a language tag, lower-cased ("en-GB" -> "en"); None
    for a blank tag or ``x-default``.

    >>> primary_language("pt-BR"), primary_language("x-default")
    ('pt', None)
    """
    code = (tag or "").strip().split("-")[0].split("_")[0].lower()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def _known(value: Known) -> str | None:
    return value() if callable(value) else value


def first_alternate(
    candidates: Iterable[tuple[str, str | None]], headline: Known, language: Known
) -> tuple[str, str] | None:
    """Return (text, language) of the first of ``candidates`` ((text, declared language or
    None), best first) that is the headline in another language than ``language`` (the
    page's), or None.

    A candidate counts when it has :data:`MIN_WORDS` words or more and :data:`MAX_ALT`
    characters or fewer, is not ``headline`` (compared by :func:`key`), and its detected
    language (the declared one breaking near ties) is another than the page's. A candidate
    that declares no language must not read as the page's language even when that
    language is given the benefit of a near tie (Russian read as Bulgarian).

    ``headline`` and ``language`` may be given as functions: each is called once, and only
    when a candidate needs it (most pages have none).

    >>> first_alternate([("Auf Deutsch", "de"), ("Neue Fähre für die Inselroute", "de")],
    ...                 "New ferry for the island route", "en")
    ('Neue Fähre für die Inselroute', 'de')
    """
    own: str | None = None
    own_known = False
    page_language: str | None = None
    language_known = False
    for text, declared in candidates:
        if len(text) > MAX_ALT or len(text.split()) < MIN_WORDS:
            continue
        if not own_known:
            own, own_known = key(_known(headline)), True
        if key(text) == own:
            continue
        lang = detect_language(text, prefer=[declared] if declared else [])
        if lang is None:
            continue
        if not language_known:
            page_language, language_known = _known(language), True
        if lang == page_language:
            continue
        if (
            not declared
            and page_language
            and detect_language(text, prefer=[page_language]) == page_language
        ):
            continue  # undeclared and close to the page's language: Russian read as Bulgarian
        return text, lang
    return None
