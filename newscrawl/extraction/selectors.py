"""Profile selectors compiled once and run on lxml trees, as parsel would run them.

:func:`select` takes a parsel ``Selector`` and gives parsel objects (the spider uses it on
responses). Extraction uses :class:`Document` instead: each selector is compiled once into
an lxml XPath (:func:`compile_query`) and runs on lxml elements directly, with the same
results, in the same order, as parsel's ``.css()``/``.xpath()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from cssselect import parse as parse_css
from lxml import etree
from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator

from newscrawl.extraction.limits import check_time

XPATH_PREFIX = "xpath:"
_CHECK_EVERY = 256
"""Nodes read between two checks of the time budget."""

Node = Any
"""What a query yields: an lxml element, or a string for ``::text``/``::attr()``/``text()``/``@x``.
(An XPath expression that computes a number or a boolean yields that value.)"""


def select(selector: Selector, query: str) -> SelectorList[Selector]:
    """Return the nodes or strings ``query`` selects: CSS, or XPath after an ``xpath:`` prefix."""
    if query.startswith(XPATH_PREFIX):
        return selector.xpath(query.removeprefix(XPATH_PREFIX))
    return selector.css(query)


_VISIBLE_TEXT = etree.XPath(".//text()[not(parent::script or parent::style)]")
"""Every text node under an element but those of scripts and styles. An HTML parser puts
no element inside a script or a style, so a text node is in one exactly when its parent
is: testing the parent, not every ancestor, keeps the cost linear in the subtree (deeply
nested markup made the ancestor test quadratic)."""


def node_text(node: Selector | Node) -> str:
    """Return the text a reader sees in ``node``: all its text, scripts and styles left out.

    A string (a selected text or attribute value) is its own text. Takes time linear in
    the size of ``node``'s subtree.
    """
    root = node.root if isinstance(node, Selector) else node
    if isinstance(root, str):
        return root
    return "".join(_VISIBLE_TEXT(root))


_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters lxml refuses in a value set through its API (the parser lets some through)."""


def xml_safe(text: str) -> str:
    """Return ``text`` without the characters lxml refuses to store in a tree.

    >>> xml_safe("tail\x01 text\x0b")
    'tail text'
    """
    return _NOT_IN_XML.sub("", text)


def outermost(nodes: list[Node]) -> list[Node]:
    """Return ``nodes`` (in document order) without the elements inside an earlier one.

    An element inside another match adds no text of its own: the outer match's text
    holds it. Reading each nested match again made text selection quadratic (2,000
    nested ``<span itemprop=name>`` in a headline took a minute). Strings pass through.
    Takes time linear in the subtrees of the elements kept.
    """
    elements = [n for n in nodes if isinstance(n, etree._Element)]
    if len(elements) < 2:
        return nodes
    pending = set(elements)
    kept: list[Node] = []
    inside: set[etree._Element] = set()
    for node in nodes:
        if not isinstance(node, etree._Element):
            kept.append(node)
            continue
        if node in inside:
            continue
        kept.append(node)
        pending.discard(node)
        if pending:
            for descendant in node.iterdescendants():
                if descendant in pending:
                    inside.add(descendant)
                    pending.discard(descendant)
                    if not pending:
                        break
    return kept


# ----------------------------------------------------------------- compiled queries

_CSS = HTMLTranslator()
"""parsel's CSS translator for HTML: the ``::text`` and ``::attr(name)`` pseudo-elements."""

_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}
_SETS_NAMESPACE = "http://exslt.org/sets"
"""The prefixes parsel declares for every query (``set:`` only where a query uses it)."""

_ID_STEP = re.compile(r"descendant-or-self::\*\[@id = '(?P<value>[^']*)'\](?=/|$)")
_CLASS_STEP = re.compile(
    r"descendant-or-self::\*\[@class and contains\(@class, '(?P<value>[^']*)'\)"
    r" and contains\(concat\(' ', normalize-space\(@class\), ' '\), ' (?P=value) '\)\](?=/|$)"
)
"""The first step of a translated ``#id …`` or ``.class …`` selector: every element of the
document with that id, or with that class among its classes."""


def _compile_xpath(expression: str) -> etree.XPath:
    namespaces = dict(_NAMESPACES)
    if "set:" in expression:
        namespaces["set"] = _SETS_NAMESPACE
    try:
        # The re: functions are registered only where used: each call costs less.
        regexp = "re:" in expression
        return etree.XPath(expression, namespaces=namespaces, smart_strings=False, regexp=regexp)
    except etree.XPathError as exc:
        raise ValueError(f"XPath error: {exc} in {expression}") from exc


def _anchor(css: str, expression: str) -> tuple[tuple[str, str], str] | None:
    """Return ``((kind, value), rest)`` when every selector of ``css`` starts with the same
    ``#id`` or ``.class`` step, else None.

    ``rest`` is the XPath of what follows that step, relative to the element it finds; for
    a group (``.entry img, .entry figure``) it is the union of the members' rests.
    """
    members = [
        _CSS.selector_to_xpath(selector, "descendant-or-self::", translate_pseudo_elements=True)
        for selector in parse_css(css)
    ]
    if " | ".join(members) != expression:
        return None
    anchors: set[tuple[str, str]] = set()
    rests: list[str] = []
    for member in members:
        for kind, step in (("id", _ID_STEP), ("class", _CLASS_STEP)):
            if match := step.match(member):
                anchors.add((kind, match["value"]))
                rests.append(member[match.end() :].removeprefix("/") or "self::node()")
                break
        else:
            return None
    if len(anchors) != 1:
        return None
    return anchors.pop(), " | ".join(rests)


@dataclass(frozen=True)
class Query:
    """A profile selector compiled once: its XPath, and how to scope it from the page root.

    ``anchor`` is the id or class that the selector's first step looks for, when it has
    one; ``rest`` is the rest of the selector, run from the single element that step
    finds. A page with no such element gives nothing; a page with several runs the
    whole XPath.
    """

    source: str
    expression: str
    xpath: etree.XPath
    anchor: tuple[str, str] | None = None
    rest: etree.XPath | None = None

    def run(self, node: Node, document: Document | None = None) -> list[Node]:
        """Return what the selector selects from ``node``, as parsel would, in document order.

        A string or number ``node`` selects only itself, and only with the XPath ".".
        Pass the ``document`` when ``node`` may be its root, so anchored selectors scope.
        """
        if not isinstance(node, etree._Element):
            return [node] if self.expression.strip() == "." else []
        if self.anchor is not None and document is not None and node is document.root:
            anchors = document.anchored(*self.anchor)
            if not anchors:
                return []
            if len(anchors) == 1 and self.rest is not None:
                return self._evaluate(self.rest, anchors[0])
        return self._evaluate(self.xpath, node)

    def _evaluate(self, xpath: etree.XPath, node: etree._Element) -> list[Node]:
        try:
            result = xpath(node)
        except etree.XPathError as exc:
            raise ValueError(f"XPath error: {exc} in {self.expression}") from exc
        return result if isinstance(result, list) else [result]


@cache
def compile_query(query: str) -> Query:
    """Return ``query`` (CSS, or XPath after ``xpath:``) compiled, once per query string.

    CSS is translated by parsel's translator, as ``Selector.css`` does; invalid CSS raises
    cssselect's errors and invalid XPath a ValueError, as with parsel.
    """
    if query.startswith(XPATH_PREFIX):
        expression = query.removeprefix(XPATH_PREFIX)
        return Query(query, expression, _compile_xpath(expression))
    expression = _CSS.css_to_xpath(query)
    xpath = _compile_xpath(expression)
    anchored = _anchor(query, expression)
    if anchored is None:
        return Query(query, expression, xpath)
    anchor, rest = anchored
    return Query(query, expression, xpath, anchor, _compile_xpath(rest))


_ATTRIBUTE_VALUES = {
    "id": etree.XPath("descendant-or-self::*/@id", smart_strings=False),
    "class": etree.XPath("descendant-or-self::*/@class", smart_strings=False),
}
_NTH_CLASS_OWNER = etree.XPath("(descendant-or-self::*/@class)[$n]/..")
_ID_OWNERS = etree.XPath("descendant-or-self::*/@id[. = $value]/..")
_BY_ID = etree.XPath("id($value)")
_XML_SPACE = re.compile("[ \t\r\n]+")
"""What XPath's ``normalize-space()`` collapses (XML whitespace, not Unicode's)."""


def _has_class(value: str, name: str) -> bool:
    """Return what the first step of ``.name`` tests of a class attribute ``value``."""
    return name in value and f" {name} " in f" {_XML_SPACE.sub(' ', value).strip(' ')} "


class Document:
    """A parsed page's root element, and the id/class lookups its selectors share.

    Selectors from the root that start with ``#id`` or ``.class`` find that element once
    per page and run the rest of their path from it. After editing the tree call
    :meth:`removed` (elements were only removed) or :meth:`changed` (anything else), so
    no lookup outlives the tree it was made on.

    The lookups read all id (or class) values of the page as strings, once, and fetch
    only the elements that match: far fewer XPath predicate tests than a scan of every
    element. An id that is unique on the page is fetched from libxml2's id table.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._values: dict[str, list[str]] = {}
        self._current: set[str] = set()
        self._anchors: dict[tuple[str, str], list[etree._Element]] = {}
        self._edited = False

    def anchored(self, kind: str, value: str) -> list[etree._Element]:
        """Return, in document order, the elements whose id is ``value`` (kind "id") or
        whose classes include ``value`` (kind "class")."""
        key = (kind, value)
        found = self._anchors.get(key)
        if found is None:
            found = self._anchors[key] = self._find(kind, value)
        return found

    def _attribute_values(self, kind: str, current: bool) -> list[str]:
        """Return every ``kind`` attribute value, in document order. Unless ``current``, the
        list may predate removals: a superset then, still right about what no element has."""
        values = self._values.get(kind)
        if values is None or (current and kind not in self._current):
            values = self._values[kind] = _ATTRIBUTE_VALUES[kind](self.root)
            self._current.add(kind)
        return values

    def _find(self, kind: str, value: str) -> list[etree._Element]:
        if kind == "id":
            count = self._attribute_values("id", current=False).count(value)
            if count == 0:
                return []
            if count == 1 and (element := self._unique_id(value)) is not None:
                return [element]
            return _ID_OWNERS(self.root, value=value)
        classes = self._attribute_values("class", current=False)
        if "class" not in self._current:  # read before a removal: only good for "none"
            if not any(_has_class(v, value) for v in [v for v in classes if value in v]):
                return []
            classes = self._attribute_values("class", current=True)
        positions = [n for n, v in enumerate(classes, 1) if value in v and _has_class(v, value)]
        return [_NTH_CLASS_OWNER(self.root, n=n)[0] for n in positions]

    def _unique_id(self, value: str) -> etree._Element | None:
        """Return the element with id ``value`` from libxml2's id table, if it is in the tree
        and has that id (the caller knows at most one element has it), else None."""
        if not value or _XML_SPACE.search(value):
            return None  # id() would read several ids
        found = _BY_ID(self.root, value=value)
        if len(found) != 1 or found[0].get("id") != value:
            return None  # not in the table, or an <a name> took the value first
        element = found[0]
        if self._edited and not self._in_tree(element):
            return None  # a removed element stays in the table
        return element

    def _in_tree(self, element: etree._Element) -> bool:
        top = element
        while (parent := top.getparent()) is not None:
            top = parent
        return top is self.root

    def removed(self) -> None:
        """Forget the elements found: some were removed from the tree (nothing else changed)."""
        self._edited = True
        self._current.clear()
        self._anchors.clear()

    def changed(self) -> None:
        """Forget all lookups: the tree was edited."""
        self._values.clear()
        self.removed()

    def select(self, query: str, node: Node = None) -> list[Node]:
        """Return what ``query`` selects from ``node`` (the root by default), as parsel would.

        Raises TooSlow when the page's time budget is spent (see ``limits``).
        """
        check_time()
        return compile_query(query).run(self.root if node is None else node, self)

    def values(self, query: str, node: Node = None) -> list[str]:
        """Return the strings ``query`` selects; element matches give their visible text.

        An element inside another match gives no value of its own (see :func:`outermost`),
        so the values take time linear in the page.
        """
        found = outermost(self.select(query, node))
        texts: list[str] = []
        for index, match in enumerate(found, 1):
            texts.append(node_text(match))
            if index % _CHECK_EVERY == 0:
                check_time()
        return texts

    def first_match(self, queries: Iterable[str], node: Node = None) -> list[Node]:
        """Return the nodes of the first query that matches anything, else an empty list."""
        for query in queries:
            if found := self.select(query, node):
                return found
        return []
