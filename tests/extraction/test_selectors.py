"""Selectors as extraction runs them: the first selector that matches wins, and only it."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree, html

from newscrawl.extraction.selectors import Document, Query, compile_query, node_text
from tests.conftest import FIXTURES
from tests.extraction.parsel_reference import parsel_nodes

PAGE = """<html><body>
<div id="one" class="entry lead"><p>First</p><p>Second</p></div>
<div class="entry-meta"><p>Meta</p></div>
<div class="entry"><p>Third</p><script>var x = 1;</script><style>p {}</style></div>
<a id="dup" name="dup">named</a><span id="dup2">span</span>
</body></html>"""


def document() -> Document:
    return Document(etree.fromstring(PAGE, etree.HTMLParser()))


def texts(nodes: list) -> list[str]:
    return [node_text(n) for n in nodes]


def test_first_match_takes_the_first_selector_that_finds_anything_and_only_it() -> None:
    doc = document()
    assert texts(doc.first_match([".missing", "#one p", ".entry p"])) == ["First", "Second"]
    assert texts(doc.first_match([".entry p", "#one p"])) == ["First", "Second", "Third"]
    assert doc.first_match([".missing", "h1"]) == []
    assert doc.first_match([]) == []


def test_class_selector_matches_whole_class_names_only() -> None:
    doc = document()
    assert texts(doc.select(".entry > p")) == ["First", "Second", "Third"]
    assert texts(doc.select(".lead p")) == ["First", "Second"]
    assert doc.select(".entr") == []


def test_a_class_that_only_contains_the_name_is_not_that_class() -> None:
    doc = Document(
        etree.fromstring('<div class="entry-meta"><p>Meta</p></div>', etree.HTMLParser())
    )
    assert doc.select(".entry p") == []
    assert texts(doc.select(".entry-meta p")) == ["Meta"]


def test_anchored_selector_with_several_anchors_reads_them_all() -> None:
    doc = document()
    assert texts(doc.select(".entry p::text")) == ["First", "Second", "Third"]


def test_id_selector_finds_the_element_with_that_id() -> None:
    doc = document()
    assert texts(doc.select("#dup2")) == ["span"]
    assert texts(doc.select("#one > p:first-child")) == ["First"]
    assert doc.select("#nope p") == []


def test_an_anchor_name_does_not_stand_in_for_an_id() -> None:
    """libxml2's id table may hold ``<a name="x">``; ``#x`` is still the element with id x."""
    html = '<a name="x">top</a><div id="x"><p>Target</p></div>'
    doc = Document(etree.fromstring(html, etree.HTMLParser()))
    assert texts(doc.select("#x p")) == ["Target"]


def test_node_text_leaves_out_scripts_and_styles() -> None:
    (entry,) = document().select("div.entry:not(.lead)")
    assert node_text(entry) == "Third"


META_QUERIES = [
    "meta[property='og:title']::attr(content)",
    "meta[name=author]::attr(content)",
    "meta[property='article:tag']::attr(content)",
    "meta",
    "meta:first-child",
    "meta ~ link",
]
HEAD = """<html><head><title>t</title><meta property="og:title" content="Head title">
<meta name="author" content="A. Head"><link rel="canonical" href="/c">
<meta property="article:tag" content="one"><meta property="article:tag" content="two">
</head><body><p>x</p>{body}</body></html>"""


def test_meta_queries_read_the_head_when_every_meta_is_there() -> None:
    root = etree.fromstring(HEAD.format(body=""), etree.HTMLParser())
    doc = Document(root)
    assert compile_query(META_QUERIES[0]).head_tag == "meta"
    for query in META_QUERIES:
        assert doc.select(query) == parsel_nodes(root, query), query
    assert doc.head_scope("meta") is root.find("head")


def test_a_meta_in_the_body_makes_meta_queries_read_the_whole_page() -> None:
    body = '<div><meta name="author" content="B. Body"><meta property="article:tag" content="3">'
    root = etree.fromstring(HEAD.format(body=body + "</div>"), etree.HTMLParser())
    doc = Document(root)
    for query in META_QUERIES:
        assert doc.select(query) == parsel_nodes(root, query), query
    assert doc.select("meta[name=author]::attr(content)") == ["A. Head", "B. Body"]
    assert doc.head_scope("meta") is root


def test_only_single_paths_to_head_tags_read_the_head() -> None:
    assert compile_query("meta[name=a], p").head_tag is None
    assert compile_query("p meta").head_tag is None
    assert compile_query("metadata").head_tag is None
    assert compile_query("xpath://meta").head_tag is None


TAGGED_IDS = [
    "article#the-post.type-post",
    "article#the-post.post",
    "div#the-post",
    "article#the-post",
    "article#other.post",
]


def test_a_tag_with_an_id_is_looked_up_by_the_id() -> None:
    """``article#the-post.post`` finds the elements with that id and tests the rest on them
    alone, as libxml2's scan of every element does: with one such element, with several
    (ids repeat on real pages), with none, and on another tag."""
    assert compile_query("article#the-post.post").anchor == ("id", "the-post")
    pages = [
        '<article id="the-post" class="post type-post"><p>one</p></article>',
        '<div id="the-post" class="post">a div</div>',
        '<article id="the-post" class="post">1</article>'
        '<article id="the-post" class="x">2</article><div id="the-post" class="post">3</div>',
        '<article class="post type-post">no id</article>',
        '<article id="the-post other" class="post">two ids in one</article>',
    ]
    for markup in pages:
        root = etree.fromstring(f"<html><body>{markup}</body></html>", etree.HTMLParser())
        doc = Document(root)
        for query in TAGGED_IDS:
            assert doc.select(query) == parsel_nodes(root, query), (markup, query)
            assert doc.select(query, root.find("body")) == parsel_nodes(root.find("body"), query)


CLASSES = [
    "entry",
    "entry b",
    "entry-title",
    "post entry",
    "x\tentry\ny",
    "entrys pre-entry",
    "a  entry  b",
    "\u00a0entry",
    "entry\u00a0",
    "post-title",
    "title post-title-x",
    "",
    "last entry",
]


def test_a_class_lookup_finds_what_the_class_test_finds() -> None:
    """The lookup searches the page's joined class values: it finds the elements whose
    classes include the name, as the CSS translator's test does (XML whitespace only
    separates classes; a no-break space is part of a class name), names that are part
    of other names or that begin or end the joined text included."""
    body = "".join(f'<p class="{c}">{n}</p>' for n, c in enumerate(CLASSES))
    root = etree.fromstring(f"<html><body>{body}</body></html>", etree.HTMLParser())
    doc = Document(root)
    for name in ("entry", "post", "post-title", "title", "last", "y", "x", "b", "ntry", "a b"):
        assert doc.anchored("class", name) == parsel_nodes(root, f".{_escape(name)}"), name
    assert [p.text for p in doc.anchored("class", "entry")] == ["0", "1", "3", "4", "6", "12"]


def _escape(name: str) -> str:
    return name.replace(" ", "\\ ")


def test_what_a_query_selects_from_the_root_is_read_once_and_handed_out_as_a_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = document()
    runs: list[str] = []
    run = Query.run

    def counting(self: Query, node: Any, document: Document | None = None) -> list[Any]:
        runs.append(self.source)
        return run(self, node, document)

    monkeypatch.setattr(Query, "run", counting)
    first = doc.select(".entry p")
    first.clear()  # a caller's change stays its own
    assert texts(doc.select(".entry p")) == ["First", "Second", "Third"]
    assert runs == [".entry p"]
    doc.changed()  # the tree was edited: read it again
    assert texts(doc.select(".entry p")) == ["First", "Second", "Third"]
    assert runs == [".entry p", ".entry p"]


_TEXTS_AND_BREAKS = etree.XPath("descendant::text() | descendant::br")


def visible_text(element: Any) -> str:
    """The reference for node_text, by XPath: every text node and ``<br>`` below
    ``element`` in document order, a ``<br>`` as a line break, none that lies in a script,
    style or template below ``element`` (or is ``element``'s own, when it is one)."""
    if not isinstance(element.tag, str) or element.tag in ("script", "style", "template"):
        return ""
    parts = []
    for node in _TEXTS_AND_BREAKS(element):
        owner = node if isinstance(node, etree._Element) else node.getparent()
        if isinstance(node, str) and node.is_tail:
            owner = owner.getparent()  # a tail lies in the parent of the element it follows
        hidden = False
        while owner is not None and owner is not element:
            hidden = hidden or owner.tag in ("script", "style", "template")
            owner = owner.getparent()
        if not hidden:
            parts.append("\n" if isinstance(node, etree._Element) else str(node))
    return "".join(parts)


@pytest.mark.parametrize("parser", [etree.HTMLParser, html.HTMLParser])
def test_node_text_is_the_visible_text_of_every_element_of_the_fixtures(parser: Any) -> None:
    """What node_text promises, on every element (with children or without, scripts and
    styles, comments) of every fixture page, parsed both ways extraction parses."""
    read = 0
    for path in sorted(FIXTURES.glob("*/*.html")):
        root = etree.fromstring(path.read_bytes(), parser())
        if root is None:
            continue
        for element in root.iter():
            assert node_text(element) == visible_text(element), (path.name, element.tag)
            read += 1
    assert read > 5000


def test_a_line_break_separates_words_and_a_template_is_not_read() -> None:
    root = etree.fromstring(
        "<p>Putin<br>agreed <template>inert <b>markup</b></template>with<br/>Kerry</p>",
        etree.HTMLParser(),
    )
    paragraph = root.find(".//p")
    assert node_text(paragraph) == "Putin\nagreed with\nKerry"
    assert node_text(paragraph) == visible_text(paragraph)


TEASERS = """<html><body>
<div class="t"><h2 class="title"><a href="/a">A</a><a>no link</a><a href="">empty</a></h2></div>
<div class="t"><h2 class="title"><a href="/b">B</a></h2><a href="/outside">x</a></div>
</body></html>"""


def test_an_attribute_read_after_its_elements_from_the_same_node_reads_those_elements() -> None:
    """``.title a::attr(href)`` right after ``.title a`` from the same teaser reads the hrefs
    of the elements found (as parsel reads them); from another node, or after another query,
    it runs as a query."""
    root = etree.fromstring(TEASERS, etree.HTMLParser())
    document = Document(root)
    first, second = root.xpath("//div[@class='t']")
    for node, elements in ((first, ".title a"), (second, ".title a"), (second, "a"), (first, "a")):
        found = document.select(elements, node)
        found.clear()  # the caller's list is its own
        assert document.select(f"{elements}::attr(href)", node) == parsel_nodes(
            node, f"{elements}::attr(href)"
        )
    document.select(".title a", first)
    assert document.select(".title a::attr(href)", second) == ["/b"]
    document.select(".title a", first)
    document.select("a", first)
    assert document.select(".title a::attr(href)", first) == ["/a", ""]
    document.select(".title a", second)
    assert document.select("a::attr(href)", second) == ["/b", "/outside"]
