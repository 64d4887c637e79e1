"""Small text helpers shared by the generic extractor's modules."""

from __future__ import annotations

from typing import Any

from lxml import etree

from newscrawl.extraction.text import clean, key, repair_mojibake

__all__ = ["attribute_names", "clean", "element_text", "first_text", "key", "repair_mojibake"]


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
