"""``Document.anchored("id", v)`` asks libxml2's ID table only where that gives what reading
every id value of the page gives.

``id()`` returns the first element registered under a value, and the HTML parser registers
``<a name>`` too; the table is trusted only on a page whose parse logged no redefined ID (and
fewer errors than libxml2 reports), for a value ``id()`` looks up as it is, and only until
the tree is edited. Every case below is checked against the plain scan of the id values.
"""

from __future__ import annotations

import pytest
from lxml import etree, html

from newscrawl.extraction import page as page_module
from newscrawl.extraction import parse_page, selectors
from newscrawl.extraction.selectors import PARSER_ERROR_CAP, Document
from tests.extraction.test_differential import NOW, fixture_pages, read_page, real_pages

URL = "https://example.com/a/"
ABSENT = ("no-such-id", "", " ", "a b", "x\ty", "\x0c", "ID", "-")
"""Values looked up on every page besides its own ids and ``<a name>`` values."""


def scan(root: etree._Element, value: str) -> list[etree._Element]:
    """The elements whose id is ``value``, in document order, by reading every id value."""
    return [v.getparent() for v in root.xpath("descendant-or-self::*/@id") if v == value]


def parsed(markup: str, parser: type[etree.HTMLParser] = etree.HTMLParser) -> Document:
    """The ``Document`` a page of ``markup`` gets (the parse and evidence of parse_page)."""
    root, unique_ids = page_module._parse(markup, None, parser, URL)
    return Document(root, unique_ids=unique_ids)


def tags(elements: list[etree._Element]) -> list[str]:
    return [f"{e.tag}#{e.get('id')}" for e in elements]


def differences(document: Document, values: set[str]) -> list[str]:
    found = []
    for value in sorted(values):
        ours, theirs = document.anchored("id", value), scan(document.root, value)
        if ours != theirs:
            found.append(f"{value!r}: {tags(ours)} != {tags(theirs)}")
    return found


def looked_up(root: etree._Element) -> set[str]:
    """Every id and ``<a name>`` value of the page, and some absent values."""
    values = {str(v) for v in root.xpath("//@id | //a/@name | //A/@name")}
    return values | set(ABSENT) | {v.strip() + " " for v in list(values)[:5]}


PAGES = fixture_pages() + real_pages()


def test_there_are_pages_to_compare() -> None:
    assert len(fixture_pages()) > 20


@pytest.mark.parametrize("parser", ["jmn", "generic"])  # etree's tree, lxml.html's tree
def test_every_page_gives_what_the_scan_gives(parser: str) -> None:
    found, proven = [], 0
    for path in PAGES:
        url, body = read_page(path)
        try:
            page = parse_page(url, body, {"Content-Type": "text/html"}, parser, NOW)
        except Exception:  # a page that does not parse has no ids to compare
            continue
        proven += page.unique_ids
        found += [
            f"{path.name}: {d}" for d in differences(page.document, looked_up(page.document.root))
        ]
    assert not found, "\n".join(found[:20])
    assert proven > len(PAGES) // 3  # the ID table is asked on many pages, not on none


def test_a_proven_page_does_not_read_every_id(monkeypatch: pytest.MonkeyPatch) -> None:
    document = parsed('<html><body><div id="a">1</div><p id="b">2</p></body></html>')

    def read_all(kind: str) -> list[str]:
        raise AssertionError(f"read every {kind} value")

    monkeypatch.setattr(document, "_attribute_values", read_all)
    assert tags(document.anchored("id", "b")) == ["p#b"]
    assert document.anchored("id", "c") == []


def test_parse_page_hands_the_evidence_to_the_document() -> None:
    unique = parse_page(URL, b'<html><body><div id="a"></div></body></html>', None, "jmn", NOW)
    twice = parse_page(
        URL, b'<html><body><i id="a"></i><b id="a"></b></body></html>', None, "jmn", NOW
    )
    assert unique.unique_ids
    assert not twice.unique_ids
    assert tags(twice.document.anchored("id", "a")) == ["i#a", "b#a"]


TRICKY = {
    "duplicate ids": '<div id="v">1</div><p id="v">2</p>',
    "three of a value": '<div id="v"></div><p id="v"></p><span id="v"></span>',
    "a name before the id": '<a name="v">1</a><div id="v">2</div>',
    "a name after the id": '<div id="v">1</div><a name="v">2</a>',
    "a name only": '<a name="v">1</a><div id="w">2</div>',
    "a name and another id": '<a name="v" id="w">1</a>',
    "a name and the same id": '<a name="v" id="v">1</a>',
    "upper-case A NAME": '<A NAME="v">1</A><div ID="v">2</div>',
    "a name in svg": '<svg><a name="v"/></svg><div id="v">2</div>',
    "spaces around": '<div id=" v ">1</div><div id="v">2</div>',
    "space inside": '<div id="v w">1</div><div id="v">2</div><div id="w">3</div>',
    "newline inside": '<div id="v\nw">1</div>',
    "empty id": '<div id="">1</div><div id>2</div>',
    "odd characters": '<div id="a&amp;b\'c&quot;d%s">1</div><div id="é€😀">2</div>',
    "entity": '<div id="&eacute;">1</div><div id="é">2</div>',
    "template": '<template><div id="v">1</div></template><div id="w"></div>',
    "comment": '<!-- <div id="v">1</div> --><div id="w"></div>',
    "script text": '<script>"<div id=v>"</script><div id="v"></div>',
    "noscript": '<noscript><div id="v"></div></noscript><div id="v"></div>',
    "a second id attribute": '<div id="v" id="w">1</div><p id="w">2</p>',
    "misplaced html and body": '<div id="v"></div><html id="v"><body id="v"></body></html>',
    "a body after the body": '<div id="v"></div></body><body id="v"></body>',
    "xml:id": '<div xml:id="v">1</div><div id="v">2</div>',
    "table": '<table id="v"><div id="v"></div></table>',
}


@pytest.mark.parametrize("parser", [etree.HTMLParser, html.HTMLParser], ids=["etree", "html"])
@pytest.mark.parametrize("case", TRICKY, ids=list(TRICKY))
def test_a_tricky_page_gives_what_the_scan_gives(case: str, parser: type[etree.HTMLParser]) -> None:
    document = parsed(f"<html><body>{TRICKY[case]}</body></html>", parser)
    assert differences(document, looked_up(document.root) | {"v", "w", " v ", "v w"}) == []


def test_a_name_alone_is_not_an_id() -> None:
    document = parsed('<html><body><a name="v">1</a><p id="w"></p></body></html>')
    assert document._id_table  # proven unique: the table is asked, and holds the <a>
    assert document.anchored("id", "v") == []
    assert tags(document.anchored("id", "w")) == ["p#w"]


def test_duplicates_after_the_error_cap_are_seen() -> None:
    """libxml2 reports only its first 100 errors: a redefined ID after them goes unlogged."""
    noise = "</span>" * PARSER_ERROR_CAP
    document = parsed(f'<html><body>{noise}<div id="v">1</div><p id="v">2</p></body></html>')
    assert tags(document.anchored("id", "v")) == ["div#v", "p#v"]
    fewer = "</span>" * (PARSER_ERROR_CAP - 2)
    document = parsed(f'<html><body>{fewer}<div id="v">1</div><p id="w">2</p></body></html>')
    assert document._id_table
    assert tags(document.anchored("id", "v")) == ["div#v"]


@pytest.mark.parametrize("forget", ["removed", "changed"])
def test_an_edited_tree_is_read_again(forget: str) -> None:
    document = parsed('<html><body><div id="v">1</div><p id="w">2</p></body></html>')
    assert tags(document.anchored("id", "v")) == ["div#v"]
    div = document.anchored("id", "v")[0]
    div.getparent().remove(div)  # the ID table may still hold it
    getattr(document, forget)()
    assert document.anchored("id", "v") == []
    paragraph = document.anchored("id", "w")[0]
    paragraph.set("id", "v")
    span = etree.SubElement(paragraph, "span", id="w")
    document.changed()
    assert document.anchored("id", "v") == [paragraph]
    assert document.anchored("id", "w") == [span]
    assert div.getparent() is None
    assert div.get("id") == "v"


def test_a_document_without_evidence_reads_every_id() -> None:
    root = etree.fromstring(
        '<html><body><a name="v"></a><div id="v"></div></body></html>', etree.HTMLParser()
    )
    assert tags(Document(root).anchored("id", "v")) == ["div#v"]


def test_a_subtree_root_is_not_looked_up_in_the_whole_table() -> None:
    root, unique = page_module._parse(
        '<html><body><div id="v"></div><p><b id="w"></b></p></body></html>',
        None,
        etree.HTMLParser,
        URL,
    )
    paragraph = root.find(".//p")
    assert paragraph is not None
    document = Document(paragraph, unique_ids=unique)
    assert document.anchored("id", "v") == []
    assert tags(document.anchored("id", "w")) == ["b#w"]


def test_the_proof_is_checked_against_this_libxml2(monkeypatch: pytest.MonkeyPatch) -> None:
    """On import, a probe parse checks that libxml2 logs what ``ids_unique`` reads."""
    assert selectors._ID_TABLE_PROOF
    assert selectors._logs_redefined_ids()
    # A libxml2 that dropped errors sooner than assumed fails the probe...
    monkeypatch.setattr(selectors, "PARSER_ERROR_CAP", PARSER_ERROR_CAP + 20)
    assert not selectors._logs_redefined_ids()
    # ...and without the probe's word no parse proves anything.
    monkeypatch.setattr(selectors, "_ID_TABLE_PROOF", False)
    document = parsed('<html><body><div id="v"></div></body></html>')
    assert not document._id_table
