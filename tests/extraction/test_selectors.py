"""Selectors as extraction runs them: the first selector that matches wins, and only it."""

from __future__ import annotations

from lxml import etree

from newscrawl.extraction.selectors import Document, node_text

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
