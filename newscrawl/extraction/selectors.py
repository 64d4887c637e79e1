"""Profile selectors compiled once and run on lxml trees, as parsel would run them.

:func:`select` takes a parsel ``Selector`` and gives parsel objects (the spider uses it on
responses). Extraction uses :class:`Document` instead: each selector is compiled once into
an lxml XPath (:func:`compile_query`) and runs on lxml elements directly, with the same
results, in the same order, as parsel's ``.css()``/``.xpath()``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable
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


HIDDEN = frozenset({"script", "style", "template"})
"""Elements whose text a reader never sees: code, and the inert markup of a ``<template>``."""
LINE_BREAK = "\n"
"""What a ``<br>`` reads as: the words on either side of it are two words."""
_WALK_EVENTS = ("start", "end", "comment", "pi")


def node_text(node: Selector | Node, skip: Collection[etree._Element] = ()) -> str:
    """Return the text a reader sees in ``node``: all its text, with a line break for each
    ``<br>``, and the text of scripts, styles and templates (:data:`HIDDEN`) left out, and
    the text inside the elements of ``skip`` (the text that follows one is kept).

    A string (a selected text or attribute value) is its own text; a comment has none.
    Read in one walk of the subtree: time linear in its size, at any depth (the XPath
    ``descendant::text()`` takes time in the size times the depth in libxml2, which made
    2,000 nested elements take seconds).
    """
    root = node.root if isinstance(node, Selector) else node
    if isinstance(root, str):
        return root
    if not isinstance(root.tag, str):
        return ""
    if not len(root):  # no child element, comment or PI: its own text is all (a link, most <p>)
        return "" if root.tag in HIDDEN else root.text or ""
    parts: list[str] = []
    append = parts.append
    walk = etree.iterwalk(root, events=_WALK_EVENTS)
    for event, element in walk:
        if event == "start":
            tag = element.tag
            if tag in HIDDEN or (skip and element in skip and element is not root):
                if element is root:
                    return ""
                walk.skip_subtree()
            elif tag == "br":
                append(LINE_BREAK)
            elif element.text:
                append(element.text)
        elif element.tail and element is not root:  # "end", "comment", "pi"
            append(element.tail)
    return "".join(parts)


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
    descends: bool = False
    """Whether every branch of ``rest`` starts down the descendant axis."""
    steps: tuple[etree.XPath, ...] | None = None
    """The expression as steps down the descendant axis, when it is a chain of two or
    more such steps (``h1.entry-title [itemprop=name]``), else None."""
    rest_steps: tuple[etree.XPath, ...] | None = None
    """``rest`` as such steps (``#the-post .post-meta a``), else None."""
    local: bool = False
    """Whether the selector is one step down the descendant-or-self axis whose test looks
    at the element alone (``img``, ``.wp-caption-text``): then what it selects from a
    node is what it selects from the root, within the node's subtree."""
    head_tag: str | None = None
    """The tag of the first step (``meta``) when the expression is one path that starts
    down the descendant-or-self axis to elements of a tag of the page's head
    (:data:`HEAD_TAGS`): from the root it selects what it selects from the ``<head>``, when
    every element of that tag is in the head (:meth:`Document.head_scope`)."""
    attribute_read: tuple[str, str, str, str] | None = None
    """``(tag, attribute, value, read)`` when the selector reads attribute ``read`` of the
    ``tag`` elements whose ``attribute`` is ``value`` (``meta[property='og:title']::attr(
    content)``) and ``tag`` is one of :data:`INDEXED_TAGS`: :meth:`Document.select`
    answers it from the page's index of those elements."""

    def run(self, node: Node, document: Document | None = None) -> list[Node]:
        """Return what the selector selects from ``node``, as parsel would, in document order.

        A string or number ``node`` selects only itself, and only with the XPath ".".
        Pass the ``document`` when ``node`` may be its root, so anchored selectors scope.
        """
        if not isinstance(node, etree._Element):
            return [node] if self.expression.strip() == "." else []
        if self.head_tag is not None and document is not None and node is document.root:
            # The first step finds the same elements from the head: the rest follows alike.
            node = document.head_scope(self.head_tag)
        if self.anchor is not None and document is not None and node is document.root:
            anchors = document.anchored(*self.anchor)
            if not anchors:
                return []
            if self.rest_steps is not None:
                return self._chain(outermost(anchors), self.rest_steps, document)
            if len(anchors) == 1 and self.rest is not None:
                return self._evaluate(self.rest, anchors[0])
            if self.descends and self.rest is not None:
                # What the rest finds from an anchor inside another, it finds from the
                # outer one too: running it from every anchor made nested anchors (250
                # nested #the-post) quadratic. Outermost anchors' subtrees are disjoint, so
                # their results, in anchor order, are in document order and distinct.
                found: list[Node] = []
                for anchor in outermost(anchors):
                    found += self._evaluate(self.rest, anchor)
                return found
        if self.steps is not None:
            return self._chain([node], self.steps, document)
        return self._evaluate(self.xpath, node)

    def _chain(
        self,
        contexts: list[Node],
        steps: tuple[etree.XPath, ...],
        document: Document | None = None,
    ) -> list[Node]:
        """Return what ``steps``, each down the descendant axis, select from ``contexts``
        (disjoint, in document order), one step at a time.

        libxml2 runs each step from every node the step before found, over and over
        when those nest (a hundred nested ``.post-meta``), and then orders the results by
        climbing their ancestors. A step from a node inside another finds nothing the
        outer one does not, so only the outermost run: their subtrees are disjoint, and
        what they find, in their order, is in document order and distinct.
        """
        for index, step in enumerate(steps):
            scoped = outermost(contexts) if index else contexts
            indexed = document.indexed(step, scoped) if document is not None else None
            if indexed is not None:
                contexts = indexed
                continue
            found: list[Node] = []
            for context in scoped:
                found += self._evaluate(step, context)
            contexts = found
            check_time()
        return contexts

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
    steps = _descendant_steps(expression, "descendant-or-self::")
    head_tag = _head_tag(expression)
    if anchored is None:
        local = expression.startswith("descendant-or-self::") and not set("/|") & set(expression)
        if (tagged := _tag_with_id(expression)) is not None:
            value, rest = tagged
            anchor = ("id", value)
            return Query(query, expression, xpath, anchor, _compile_xpath(rest), local=local)
        read = _ATTRIBUTE_READ.fullmatch(expression)
        attribute_read = read.group("tag", "attribute", "value", "read") if read else None
        if attribute_read is not None and attribute_read[0] not in INDEXED_TAGS:
            attribute_read = None
        return Query(
            query,
            expression,
            xpath,
            steps=steps,
            local=local,
            head_tag=head_tag,
            attribute_read=attribute_read,
        )
    anchor, rest = anchored
    descends = all(b.startswith(_DESCENDANT_AXES) for b in rest.split(" | "))
    local = rest == "self::node()"  # ".class" or "#id" alone
    rest_steps = _descendant_steps(rest, "descendant::", shortest=1)
    return Query(
        query, expression, xpath, anchor, _compile_xpath(rest), descends, steps, rest_steps, local
    )


_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
_VARIABLE = re.compile(r"\$[\w.-]*")
_CALL = re.compile(r"(?<![\w.:@$-])((?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*)\s*\(")
_NOT_FUNCTIONS = frozenset(
    {"node", "text", "comment", "processing-instruction", "and", "or", "div", "mod"}
)
"""Names an XPath may write before ``(`` that are node tests or operators, not calls."""
_MISSING_FUNCTION = ("Unregistered function", "Undefined namespace prefix")
_PROBE_PAGE = (
    "<html><head><title>t</title><meta name='m' content='c'/></head>"
    "<body><p id='i' class='c'>x</p></body></html>"
)
_RESULT_KINDS = {float: "a number", bool: "a boolean", str: "a string"}


def xpath_problem(query: str) -> str | None:
    """Return why the ``xpath:`` selector ``query``, which compiles, cannot serve as a
    selector on any page, or None (always None for CSS).

    libxml2 compiles what it cannot run: a ``$variable`` (no selector is given one), a
    function this process does not have or whose prefix is not declared (``re:`` and
    ``set:`` are), each of which fails on the first page that reaches it; and an
    expression that computes a number, a boolean or a string instead of selecting nodes,
    which extraction cannot read as text (a number) or which always "finds something"
    (``boolean(…)`` would make every page an article). Those are the problems.
    """
    if not query.startswith(XPATH_PREFIX):
        return None
    expression = query.removeprefix(XPATH_PREFIX)
    code = _LITERAL.sub("''", expression)
    if variable := _VARIABLE.search(code):
        return f"the XPath variable {variable.group()} is never given a value"
    for name in dict.fromkeys(_CALL.findall(code)):
        if name in _NOT_FUNCTIONS:
            continue
        try:
            _compile_xpath(f"{name}()")(etree.fromstring("<html/>"))
        except etree.XPathEvalError as exc:
            if str(exc) in _MISSING_FUNCTION:
                return f"{name}() cannot run: {exc}"
        except (ValueError, TypeError, etree.XPathError):
            pass  # it exists: it wants arguments
    try:
        result = compile_query(query).xpath(etree.fromstring(_PROBE_PAGE))
    except etree.XPathError as exc:
        return f"it cannot run: {exc}"
    if not isinstance(result, list):
        kind = _RESULT_KINDS.get(type(result), type(result).__name__)
        return f"it computes {kind} instead of selecting nodes (elements, text() or @attributes)"
    return None


_NEVER = re.compile(r"\[0\]|\[\(0\) and |and \(0\)(?=\]| and )|= -\d+(?=\])")
"""What cssselect writes for a condition that never holds: ``0`` (``:hover``, ``:focus``,
``:visited``, ``:active``, ``:target``, ``:not(*)``, ``:nth-child(-n)``) or a count that
would have to be negative (``:nth-child(0)``), as a whole predicate or one of its terms."""


def css_never_matches(query: str) -> list[str]:
    """Return the members of the CSS selector ``query`` (``a:hover, h1`` has two) that
    match no element of any page: a state no saved page is in, or a position before the
    first (:data:`_NEVER`). Empty for XPath, and for a selector whose every member can
    match. Raises what :func:`compile_query` raises for a selector that does not compile."""
    if query.startswith(XPATH_PREFIX):
        return []
    compile_query(query)
    members = parse_css(query)
    dead = []
    for member in members:
        expression = _CSS.selector_to_xpath(
            member, "descendant-or-self::", translate_pseudo_elements=True
        )
        if _NEVER.search(_LITERAL.sub("''", expression)):
            dead.append(member.canonical())
    return dead


INDEXED_TAGS = frozenset({"meta", "link"})
"""Tags of the page's head whose attribute reads (:attr:`Query.attribute_read`) come from
one index per page and attribute: a Sahifa page reads six ``meta`` and one ``link``."""
_ATTRIBUTE_READ = re.compile(
    r"descendant-or-self::(?P<tag>[a-z]+)\[@(?P<attribute>[a-z][a-z0-9_-]*) = '(?P<value>[^']*)'\]"
    r"/@(?P<read>[a-z][a-z0-9_-]*)"
)
"""The translation of ``tag[attribute='value']::attr(read)``."""

HEAD_TAGS = frozenset({"meta"})
"""Tags of the page's head that profiles query often (five ``meta`` queries a Sahifa page):
those queries run from the ``<head>`` (:attr:`Query.head_tag`)."""
_FIRST_TAG = re.compile(r"descendant-or-self::(?P<tag>[A-Za-z][\w.-]*)(?=\[|/|$)")


def _head_tag(expression: str) -> str | None:
    """Return the tag of the first step of ``expression`` when it is a tag of
    :data:`HEAD_TAGS` down the descendant-or-self axis and the expression is one path (no
    union at its top level), else None."""
    match = _FIRST_TAG.match(expression)
    if match is None or match["tag"] not in HEAD_TAGS:
        return None
    if "|" in expression and len(_split_top(expression, "|")) > 1:
        return None
    return match["tag"]


def _count_tag(tag: str) -> etree.XPath:
    return etree.XPath(f"count(descendant-or-self::{tag})")


_COUNT_TAG = {tag: _count_tag(tag) for tag in HEAD_TAGS}
"""How many elements of a tag of :data:`HEAD_TAGS` are in a subtree."""


_TAG_WITH_ID = re.compile(
    r"descendant-or-self::(?P<tag>[A-Za-z][\w.-]*)\[\(@id = '(?P<value>[^']*)'\) and "
)


def _tag_with_id(expression: str) -> tuple[str, str] | None:
    """Return ``(id, rest)`` when ``expression`` is a single step ``tag#id…`` (the CSS
    translator's ``descendant-or-self::tag[(@id = 'id') and (…)]``, without position
    tests): ``rest`` tests an element with that id as the step does (``self::tag[…]``).
    Else None."""
    match = _TAG_WITH_ID.match(expression)
    if match is None or "position()" in expression or "last()" in expression:
        return None
    steps = _split_steps(expression)
    if len(steps) != 1 or len(_split_top(expression, "|")) != 1:
        return None
    return match["value"], "self::" + expression.removeprefix("descendant-or-self::")


_ATTRIBUTE_PSEUDO = re.compile(r"(?P<elements>[^:,]+)::attr\((?P<attribute>[A-Za-z][\w-]*)\)")


@cache
def attribute_of(query: str) -> tuple[str, str] | None:
    """Return ``(elements, attribute)`` when the CSS ``query`` reads ``attribute`` of what
    the CSS query ``elements`` selects (``.post-title a::attr(href)`` of ``.post-title a``):
    its XPath is that of ``elements``, one path, followed by ``/@attribute``. Then what it
    selects from a node is the ``attribute`` of each element ``elements`` selects from the
    node that has one, in their order; a teaser's title and link read the same elements.
    Else None."""
    match = _ATTRIBUTE_PSEUDO.fullmatch(query)
    if match is None:
        return None
    elements, attribute = match["elements"].strip(), match["attribute"]
    try:
        path = compile_query(elements).expression
    except Exception:  # not a selector of its own: the query runs as it is
        return None
    if len(_split_top(path, "|")) != 1 or f"{path}/@{attribute}" != compile_query(query).expression:
        return None
    return elements, attribute


# ------------------------------------------------------------- element tests in Python

_ELEMENT_TESTS = (
    ("tag", re.compile(r"descendant-or-self::(?P<value>[a-z][a-z0-9]*)")),
    (
        "class",
        re.compile(
            r"descendant-or-self::\*\[@class and contains\(@class, '(?P<value>[^']+)'\)"
            r" and contains\(concat\(' ', normalize-space\(@class\), ' '\), ' (?P=value) '\)\]"
        ),
    ),
    ("id", re.compile(r"descendant-or-self::\*\[@id = '(?P<value>[^']*)'\]")),
    (
        "class_part",
        re.compile(r"descendant-or-self::\*\[@class and contains\(@class, '(?P<value>[^']+)'\)\]"),
    ),
)
"""The translations of the CSS selectors ``tag``, ``.class``, ``#id`` and ``[class*=part]``:
one step down the descendant-or-self axis whose test reads the element alone."""


@cache
def element_test(query: str) -> tuple[str, str] | None:
    """Return ``(kind, value)`` when ``query`` is a CSS selector of one of the shapes of
    :data:`_ELEMENT_TESTS` (``script``, ``.share-post``, ``#check-also-box``,
    ``[class*='e3lan']``), else None."""
    if query.startswith(XPATH_PREFIX):
        return None
    expression = compile_query(query).expression
    for kind, pattern in _ELEMENT_TESTS:
        if match := pattern.fullmatch(expression):
            return kind, match["value"]
    return None


class ElementTests:
    """Several element tests (:func:`element_test`) run as one: an element passes when it
    passes any of them."""

    def __init__(self, tests: Iterable[tuple[str, str]]) -> None:
        tests = list(tests)
        self.tags = frozenset(v for k, v in tests if k == "tag")
        self.ids = frozenset(v for k, v in tests if k == "id")
        self.classes = tuple(v for k, v in tests if k == "class")
        self.parts = tuple(v for k, v in tests if k == "class_part")

    def __call__(self, element: etree._Element) -> bool:
        """Tell whether ``element`` passes one of the tests, as its XPath would tell."""
        if element.tag in self.tags:
            return True
        if self.classes or self.parts:
            value = element.get("class")
            if value is not None:
                if any(part in value for part in self.parts):
                    return True
                if any(_has_class(value, name) for name in self.classes):
                    return True
        return bool(self.ids) and element.get("id") in self.ids


@cache
def element_tests(queries: tuple[str, ...]) -> ElementTests | None:
    """Return the :class:`ElementTests` of ``queries`` when each is an element test, else None."""
    tests = [element_test(q) for q in queries]
    if any(t is None for t in tests):
        return None
    return ElementTests(t for t in tests if t is not None)


def _split_steps(expression: str) -> list[str]:
    """Return the location steps of ``expression``: split at each ``/`` outside brackets,
    parentheses and quotes."""
    return _split_top(expression, "/")


def _split_top(expression: str, separator: str) -> list[str]:
    """Return ``expression`` split at each ``separator`` (one character) outside brackets,
    parentheses and quotes."""
    steps: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for index, char in enumerate(expression):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == separator and depth == 0:
            steps.append(expression[start:index])
            start = index + 1
    steps.append(expression[start:])
    return steps


def _descendant_steps(
    expression: str, first_axis: str, shortest: int = 2
) -> tuple[etree.XPath, ...] | None:
    """Return ``expression`` compiled step by step when it is at least ``shortest`` steps,
    the first down ``first_axis`` and every other down ``descendant::``, else None."""
    steps = _split_steps(expression)
    if len(steps) < shortest or not steps[0].startswith(first_axis):
        return None
    if not all(step.startswith("descendant::") and "|" not in step for step in steps[1:]):
        return None
    if "|" in steps[0] or any(not step for step in steps):
        return None
    compiled = tuple(_compile_xpath(step) for step in steps)
    for step, xpath in zip(steps, compiled, strict=True):
        if (key := _step_key(step)) is not None:
            _STEP_KEYS[xpath] = key
    return compiled


_STEP_ID = re.compile(r"(?P<axis>descendant(?:-or-self)?)::\*\[@id = '(?P<value>[^']*)'\]")
_STEP_CLASS = re.compile(
    r"(?P<axis>descendant(?:-or-self)?)::\*\[@class and contains\(@class, '(?P<value>[^']*)'\)"
    r" and contains\(concat\(' ', normalize-space\(@class\), ' '\), ' (?P=value) '\)\]"
)
StepKey = tuple[str, str, bool]
"""What a step tests, when it tests only an id or a class: (kind, value, whether the
context node itself may match)."""
_STEP_KEYS: dict[etree.XPath, StepKey] = {}
"""The compiled steps (of :func:`_descendant_steps`) that :meth:`Document.indexed` can answer."""


def _step_key(step: str) -> StepKey | None:
    """Return what ``step`` tests when it is ``descendant::*`` or ``descendant-or-self::*``
    with only an id test (``#x``) or a class test (``.x``), as the CSS translator writes
    them; else None."""
    for kind, pattern in (("id", _STEP_ID), ("class", _STEP_CLASS)):
        if match := pattern.fullmatch(step):
            return kind, match["value"], match["axis"] == "descendant-or-self"
    return None


_DESCENDANT_AXES = ("descendant::", "descendant-or-self::")


_ATTRIBUTE_VALUES = {
    "id": etree.XPath("descendant-or-self::*/@id"),
    "class": etree.XPath("descendant-or-self::*/@class"),
}
"""Every id (class) attribute value under the root, in document order, as lxml's "smart"
strings: each knows the element it belongs to (``getparent()``), so the owners of the
values that match are had without another scan of the page (each such XPath scan costs
about as much as reading all the values)."""
_BY_ID = etree.XPath("id($value)")
"""The elements libxml2's ID table holds for ``value`` (filled while parsing: about 2.5 µs
against 80-130 µs for reading every id value of a portal page). In HTML it registers each
``id`` attribute and each ``<a name>``, and ``id()`` returns only the first element
registered under a value: exact only on a page whose parse proved no value was
registered twice (:func:`ids_unique`)."""
_ID_TABLE_KEY = re.compile(r"[^\x00-\x20]+")
"""An id value ``id()`` looks up as it is: not empty, and nothing XPath's ``id()`` splits
its argument at (XML whitespace) or lxml refuses in a variable (control characters)."""
PARSER_ERROR_CAP = 100
"""libxml2 reports at most this many errors of a parse (XML_MAX_ERRORS) and drops the rest,
a redefined ID among them."""
_ID_REDEFINED = etree.ErrorTypes.DTD_ID_REDEFINED


def _logs_redefined_ids() -> bool:
    """Tell whether this libxml2 does what :func:`ids_unique` counts on: its HTML parser
    registers ``id`` attributes and ``<a name>`` in the ID table, and logs a second
    registration of a value as DTD_ID_REDEFINED, until :data:`PARSER_ERROR_CAP` errors."""
    noise = "</span>" * (PARSER_ERROR_CAP - 3)  # one error each
    markup = f'<html><body>{noise}<p id="v"></p><a name="v"></a><i id="v"></i></body></html>'
    parser = etree.HTMLParser(recover=True)
    root = etree.fromstring(markup, parser)
    redefined = [entry for entry in parser.error_log if entry.type == _ID_REDEFINED]
    first = [element.tag for element in _BY_ID(root, value="v")]
    return len(redefined) == 2 and len(parser.error_log) < PARSER_ERROR_CAP and first == ["p"]


_ID_TABLE_PROOF = _logs_redefined_ids()
"""Whether a parse's error log can prove its ids unique (checked once, on import)."""


def ids_unique(error_log: etree._ListErrorLog) -> bool:
    """Tell whether the HTML parse that wrote ``error_log`` (its parser's ``error_log``)
    proves that libxml2 registered no ID value twice in the tree it made: it logs
    DTD_ID_REDEFINED for every second registration (an ``id`` and an ``<a name>`` alike),
    until the parse has logged :data:`PARSER_ERROR_CAP` errors."""
    if not _ID_TABLE_PROOF or len(error_log) >= PARSER_ERROR_CAP:
        return False
    return all(entry.type != _ID_REDEFINED for entry in error_log)


_XML_SPACE = re.compile("[ \t\r\n]+")
"""What XPath's ``normalize-space()`` collapses (XML whitespace, not Unicode's)."""
_NOT_IN_CLASS_NAME = re.compile("[ \t\r\n\x00]")
"""What a class name looked up by search of the joined class values may not hold: the NUL
that joins them, and whitespace (a name with it spans class names: left to a plain scan)."""


def _has_class(value: str, name: str) -> bool:
    """Return what the first step of ``.name`` tests of a class attribute ``value``."""
    return name in value and f" {name} " in f" {_XML_SPACE.sub(' ', value).strip(' ')} "


class Document:
    """A parsed page's root element, and the id/class lookups its selectors share.

    Selectors from the root that start with ``#id`` or ``.class`` find that element once
    per page and run the rest of their path from it. After editing the tree call
    :meth:`removed` (elements were only removed) or :meth:`changed` (anything else), so
    no lookup outlives the tree it was made on.

    The lookups read all id (or class) values of the page once, each with the element
    it belongs to, and keep those that match: no XPath predicate test on every element.
    An id is looked up in libxml2's ID table instead when the parse proved the page's
    ids unique (``unique_ids``) and the tree was not edited since.
    """

    def __init__(self, root: etree._Element, *, unique_ids: bool = False) -> None:
        """``unique_ids``: the parse that made the tree of ``root`` (the whole tree) proved
        no id value was registered twice (:func:`ids_unique`); ``#id`` lookups then ask
        libxml2's ID table instead of reading every id value, until the tree is edited."""
        self.root = root
        self._id_table = unique_ids and root.getparent() is None
        self._values: dict[str, list[Any]] = {}
        self._anchors: dict[tuple[str, str], list[etree._Element]] = {}
        self._from_nodes: dict[str, int] = {}
        """How often each query ran from an element other than the root."""
        self._spans: dict[etree._Element, tuple[int, int]] | None = None
        self._everywhere: dict[str, tuple[list[Node], list[int]]] = {}
        self._texts: dict[etree._Element, str] = {}
        self._head_scopes: dict[str, etree._Element] = {}
        self._from_root: dict[str, list[Node]] = {}
        """What each query selected from the root (fields share some: the teaser nodes)."""
        self._joined: str | None = None
        self._by_attribute: dict[tuple[str, str], dict[str, list[etree._Element]]] = {}
        self._last_from_node: tuple[str, etree._Element, list[etree._Element]] | None = None
        """The last query run from an element other than the root whose results are all
        elements, the element, and those results (see :func:`attribute_of`)."""

    def anchored(self, kind: str, value: str) -> list[etree._Element]:
        """Return, in document order, the elements whose id is ``value`` (kind "id") or
        whose classes include ``value`` (kind "class")."""
        key = (kind, value)
        found = self._anchors.get(key)
        if found is None:
            found = self._anchors[key] = self._find(kind, value)
        return found

    def _attribute_values(self, kind: str) -> list[Any]:
        """Return every ``kind`` attribute value of the current tree, in document order
        (smart strings: ``getparent()`` is the owner)."""
        values = self._values.get(kind)
        if values is None:
            values = self._values[kind] = _ATTRIBUTE_VALUES[kind](self.root)
        return values

    def _find(self, kind: str, value: str) -> list[etree._Element]:
        if kind == "id" and self._id_table and _ID_TABLE_KEY.fullmatch(value):
            # The one element registered under ``value``, if any: an ``<a name>`` that
            # is no id is dropped (a page with ``value`` as an id too was no proof).
            try:
                owners = _BY_ID(self.root, value=value)
            except ValueError:  # a character lxml refuses in a variable
                pass
            else:
                return [e for e in owners if e.get("id") == value]
        values = self._attribute_values(kind)
        if kind == "id":
            return [v.getparent() for v in values if v == value]
        if not value or _NOT_IN_CLASS_NAME.search(value):
            return [v.getparent() for v in values if value in v and _has_class(v, value)]
        # The class values that hold ``value`` at all, found by one search of their joined
        # text each (a Sahifa page has 270 of them and a dozen classes are looked up).
        # Which value a hit lies in is told by the NULs before it, counted from the last hit.
        joined = self._joined_classes()
        found: list[etree._Element] = []
        index = counted = 0
        position = joined.find(value)
        while position >= 0:
            index += joined.count("\x00", counted, position)
            counted = position
            if _has_class(values[index], value):
                found.append(values[index].getparent())
            end = joined.find("\x00", position)
            if end < 0:
                break
            position = joined.find(value, end + 1)
        return found

    def _joined_classes(self) -> str:
        """Return the page's class values joined by NUL."""
        if self._joined is None:
            self._joined = "\x00".join(self._attribute_values("class"))
        return self._joined

    def indexed(self, step: etree.XPath, contexts: list[Node]) -> list[Node] | None:
        """Return what ``step`` selects from ``contexts`` (disjoint subtrees, in document
        order) when it tests only an id or a class and few elements of the page have it:
        those elements that lie in a context's subtree, in document order. None when the
        step must run as XPath.

        libxml2 tests such a step's predicate on every element of each context's subtree;
        the page's ids and classes are read once (:meth:`anchored`), so this costs a walk
        up from each of the few elements that have the value.
        """
        key = _STEP_KEYS.get(step)
        if key is None or not all(isinstance(c, etree._Element) for c in contexts):
            return None
        kind, value, or_self = key
        owners = self.anchored(kind, value)
        if len(owners) > _INDEXED_OWNERS:
            return None
        scope = set(contexts)
        found = []
        budget = _INDEXED_WALK
        for owner in owners:
            node = owner if or_self else owner.getparent()
            while node is not None and node not in scope:
                node = node.getparent()
                budget -= 1
                if budget < 0:
                    return None  # deep markup: libxml2's scan is linear, this would not be
            if node is not None:
                found.append(owner)
        return found

    def head_scope(self, tag: str) -> etree._Element:
        """Return the page's ``<head>`` when every ``tag`` element of the page is in it, else
        the root: what a path that starts down the descendant-or-self axis to ``tag``
        elements selects from the root, it selects from there.

        Counting them costs one scan of the page; each query then reads only the head
        (a Sahifa page: 8 µs a ``meta`` query instead of 25)."""
        scope = self._head_scopes.get(tag)
        if scope is None:
            scope = self.root
            head = self.root.find("head")
            if head is not None:
                count = _COUNT_TAG[tag] if tag in _COUNT_TAG else _count_tag(tag)
                if count(self.root) == count(head):
                    scope = head
            self._head_scopes[tag] = scope
        return scope

    def removed(self) -> None:
        """Forget the elements found: some were removed from the tree (nothing else changed)."""
        self.changed()

    def changed(self) -> None:
        """Forget all lookups: the tree was edited."""
        self._id_table = False  # lxml's edits need not keep libxml2's ID table in step
        self._values.clear()
        self._anchors.clear()
        self._spans = None
        self._everywhere.clear()
        self._texts.clear()
        self._head_scopes.clear()
        self._from_root.clear()
        self._joined = None
        self._by_attribute.clear()
        self._last_from_node = None

    def select(self, query: str, node: Node = None) -> list[Node]:
        """Return what ``query`` selects from ``node`` (the root by default), as parsel would.

        Raises TooSlow when the page's time budget is spent (see ``limits``).
        """
        check_time()
        if node is None or node is self.root:
            found = self._from_root.get(query)
            if found is None:
                compiled = compile_query(query)
                if compiled.attribute_read is not None:
                    found = self._attribute_read(*compiled.attribute_read)
                else:
                    found = compiled.run(self.root, self)
                self._from_root[query] = found
            return list(found)  # a copy: the caller may change its list
        compiled = compile_query(query)
        if compiled.local and isinstance(node, etree._Element):
            runs = self._from_nodes[query] = self._from_nodes.get(query, 0) + 1
            if runs > _RUNS_BEFORE_INDEX and (found := self._within(compiled, node)) is not None:
                return found
        last = self._last_from_node
        if (read := attribute_of(query)) is not None and last is not None:
            elements_query, attribute = read
            if last[0] == elements_query and last[1] is node:
                # What the query before it selected from this node, read for the attribute.
                return [v for e in last[2] if (v := e.get(attribute)) is not None]
        found = compiled.run(node, self)
        if isinstance(node, etree._Element) and all(isinstance(f, etree._Element) for f in found):
            self._last_from_node = (query, node, list(found))  # the caller may change its own
        return found

    def matching(
        self, queries: tuple[str, ...], node: etree._Element
    ) -> list[etree._Element] | None:
        """Return, in document order and each once, the elements any of ``queries`` selects
        from ``node``: what the union of their :meth:`select` holds. None when a query is
        not an element test (:func:`element_tests`): then each must run as a query.

        One walk of ``node``'s subtree answers them all; a body's fifteen ``exclude``
        selectors ran fifteen scans of it, each a query of its own.
        """
        tests = element_tests(queries)
        if tests is None or not isinstance(node, etree._Element):
            return None
        check_time()
        found: list[etree._Element] = []
        for index, element in enumerate(node.iter(), 1):
            if isinstance(element.tag, str) and tests(element):
                found.append(element)
            if index % _CHECK_EVERY == 0:
                check_time()
        return found

    def _attribute_read(self, tag: str, attribute: str, value: str, read: str) -> list[str]:
        """Return what ``tag[attribute='value']::attr(read)`` selects from the root: the
        ``read`` attribute of each ``tag`` element whose ``attribute`` is ``value``, in
        document order.

        The ``tag`` elements are indexed by their ``attribute`` once per page (lxml finds
        them in C); each query is then a lookup, not a scan of the page.
        """
        index = self._by_attribute.get((tag, attribute))
        if index is None:
            index = self._by_attribute[(tag, attribute)] = {}
            for element in self.root.iter(tag):
                key = element.get(attribute)
                if key is not None:
                    index.setdefault(key, []).append(element)
        return [found for e in index.get(value, ()) if (found := e.get(read)) is not None]

    def _within(self, query: Query, node: etree._Element) -> list[Node] | None:
        """Return what the local ``query`` selects from ``node``: its matches from the root
        that lie in ``node``'s subtree (None when ``node`` is not in the tree).

        A field that runs one query from each of many nested elements (a thousand nested
        figures, each asked for its image) made each run scan its subtree again: time in
        the square of the page. Here the query runs once, and each node takes the slice of
        its matches that falls within its subtree's span of the document order.
        """
        if self._spans is None:
            self._spans = _spans(self.root)
        span = self._spans.get(node)
        if span is None:
            return None
        everywhere = self._everywhere.get(query.source)
        if everywhere is None:
            matches = query.run(self.root)
            starts = [self._spans[m][0] for m in matches]
            everywhere = self._everywhere[query.source] = (matches, starts)
        matches, starts = everywhere
        return matches[bisect_left(starts, span[0]) : bisect_right(starts, span[1])]

    def values(self, query: str, node: Node = None) -> list[str]:
        """Return the strings ``query`` selects; element matches give their visible text.

        An element inside another match gives no value of its own (see :func:`outermost`),
        and an element's text is read once per page, so the values take time linear in
        the page.
        """
        found = outermost(self.select(query, node))
        texts: list[str] = []
        cache = self._texts
        for index, match in enumerate(found, 1):
            if isinstance(match, etree._Element):
                text = cache.get(match)
                if text is None:
                    text = cache[match] = node_text(match)
            else:
                text = node_text(match)
            texts.append(text)
            if index % _CHECK_EVERY == 0:
                check_time()
        return texts

    def first_value(self, query: str, node: Node = None) -> str | None:
        """Return the first of :meth:`values`, or None when ``query`` selects nothing;
        only that one is read."""
        found = self.select(query, node)
        if not found:
            return None
        first = found[0]
        if not isinstance(first, etree._Element):
            return node_text(first)
        text = self._texts.get(first)
        if text is None:
            text = self._texts[first] = node_text(first)
        return text

    def first_match(self, queries: Iterable[str], node: Node = None) -> list[Node]:
        """Return the nodes of the first query that matches anything, else an empty list."""
        for query in queries:
            if found := self.select(query, node):
                return found
        return []


_INDEXED_OWNERS = 32
"""Up to this many elements with an id or class, a step testing it is answered from the
page's lookups (each costs a walk up to the root); past it, by libxml2."""
_INDEXED_WALK = 2048
"""The most steps up the tree :meth:`Document.indexed` takes for one step of a query."""
_RUNS_BEFORE_INDEX = 16
"""Runs of one local query from elements of a page before it is answered from the index
(a normal page runs each a few times, where the index would cost more than it saves)."""


def _spans(root: etree._Element) -> dict[etree._Element, tuple[int, int]]:
    """Return, for each element under ``root``, the positions in document order of itself
    and of the last element of its subtree."""
    spans: dict[etree._Element, tuple[int, int]] = {}
    starts: dict[etree._Element, int] = {}
    position = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            starts[element] = position
            position += 1
        else:
            spans[element] = (starts[element], position - 1)
    return spans
