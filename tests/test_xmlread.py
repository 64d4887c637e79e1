"""Reading sitemaps and feeds whose XML is damaged or hostile (``newscrawl.xmlread``).

Pure functions over bytes, no crawl: what libxml2 reads of a document, what the fault is,
and the second reading of a document whose entities stopped libxml2. What the spiders do
with it is in tests/spiders/test_portal.py and tests/spiders/test_url.py.
"""

from __future__ import annotations

import codecs

import pytest
from lxml import etree

from newscrawl.xmlread import (
    FEED_ROOTS,
    cut_in,
    feed_encoding,
    first_fault,
    parse_xml,
    root_name,
    without_internal_subset,
    xml_parser,
    xml_start,
)
from tests.conftest import LAUGH, billion_laughs


def rss(items: str, doctype: str = "") -> bytes:
    """An RSS 2.0 feed of ``items``, after ``doctype``."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}'
        f'<rss version="2.0"><channel>{items}</channel></rss>'
    ).encode()


def item(n: int, extra: str = "") -> str:
    return f"<item><link>https://portal.example/{n}/</link>{extra}</item>"


def links(root: etree._Element | None) -> list[str | None]:
    assert root is not None
    return [link.text for link in root.iter("link")]


def test_a_whole_feed_has_no_fault() -> None:
    reading = parse_xml(rss(item(1) + item(2)))
    assert reading.fault is None
    assert links(reading.root) == ["https://portal.example/1/", "https://portal.example/2/"]


def test_a_billion_laughs_is_read_to_its_end_and_no_entity_expanded() -> None:
    body = rss(item(1) + item(2, f"<title>{LAUGH}</title>") + item(3), billion_laughs("rss"))
    alone = xml_parser()
    first = etree.fromstring(body, alone)
    assert links(first) == ["https://portal.example/1/", "https://portal.example/2/"]  # lost
    reading = parse_xml(body)
    assert reading.fault is not None
    assert reading.fault.entities
    assert "billion laughs" in str(reading.fault)
    assert links(reading.root) == [f"https://portal.example/{n}/" for n in (1, 2, 3)]
    # serialised as text, a reference to an entity left in the tree would be expanded
    assert b"lol" not in etree.tostring(reading.root, method="text")


def test_an_entity_loop_is_hostile_too() -> None:
    loop = '<!DOCTYPE rss [<!ENTITY a "&b;"><!ENTITY b "&a;">]>\n'
    reading = parse_xml(rss(item(1, "<title>&a;</title>") + item(2), loop))
    assert reading.fault is not None
    assert reading.fault.entities
    assert links(reading.root) == ["https://portal.example/1/", "https://portal.example/2/"]


def test_entities_a_feed_declares_are_never_expanded() -> None:
    """libxml2 through lxml expands internal entities unless told not to: a feed must not
    make the crawl build text it does not hold."""
    doctype = '<!DOCTYPE rss [<!ENTITY section "news/">]>\n'
    body = rss("<item><link>https://portal.example/&section;</link></item>", doctype)
    reading = parse_xml(body)
    assert reading.fault is None
    assert links(reading.root) == ["https://portal.example/"]


def test_libxml2s_depth_limit_stays_on() -> None:
    """No ``huge_tree`` (parsel's default): a feed nested past 256 levels is a fault."""
    deep = "<div>" * 300 + "</div>" * 300
    reading = parse_xml(rss(deep + item(1)))
    assert reading.fault is not None
    assert not reading.fault.entities
    assert "depth" in reading.fault.message.lower()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (rss(item(1)).replace(b"</rss>", b""), "Premature end of data"),
        (rss(item(1, "<title>Q&A</title>") + item(2)), "EntityRef"),
        (rss(item(1)).replace(b"<rss", b"\n\n<rss").replace(b"<?xml", b"\n<?xml"), "XML decl"),
    ],
    ids=["cut-short", "stray-ampersand", "blank-line-before-xml"],
)
def test_a_document_that_is_not_well_formed_has_a_fault(body: bytes, where: str) -> None:
    reading = parse_xml(body)
    assert reading.fault is not None
    assert not reading.fault.entities
    assert str(reading.fault).startswith("not well-formed XML at line ")
    assert where in reading.fault.message


def test_latin_1_bytes_in_a_utf_8_feed_are_a_fault() -> None:
    body = rss(item(1, "<title>\u00e9t\u00e9</title>") + item(2)).replace(
        "\u00e9".encode(), "\u00e9".encode("latin-1")
    )
    reading = parse_xml(body)
    assert reading.fault is not None
    assert "encoding" in reading.fault.message
    assert links(reading.root) == ["https://portal.example/1/", "https://portal.example/2/"]


def test_errors_that_lose_nothing_are_no_fault() -> None:
    """An undeclared namespace prefix (an error, not a fatal one) leaves every entry read."""
    parser = xml_parser()
    etree.fromstring(rss(item(1, "<media:thumbnail url='x'/>") + item(2)), parser)
    assert len(parser.error_log) == 1
    assert first_fault(parser.error_log) is None


def test_an_empty_body_has_a_fault_and_no_root() -> None:
    for body in (b"", b"   ", b"hello"):
        reading = parse_xml(body)
        assert reading.root is None
        assert reading.fault is not None


def test_the_internal_subset_is_cut_out_and_the_rest_kept() -> None:
    body = rss(item(1), billion_laughs("rss"))
    cut = without_internal_subset(body)
    assert cut == rss(item(1), "<!DOCTYPE rss >\n")


@pytest.mark.parametrize(
    "body",
    [
        rss(item(1)),
        rss(item(1), '<!DOCTYPE rss SYSTEM "http://portal.example/rss.dtd">\n'),
        b'<?xml version="1.0" encoding="Shift_JIS"?><!DOCTYPE a [<!ENTITY x "y">]><a/>',
        b"<!DOCTYPE a [<!ENTITY x 'y'",
    ],
    ids=["no-doctype", "no-internal-subset", "multi-byte-encoding", "not-well-formed"],
)
def test_without_an_internal_subset_expat_can_read_nothing_is_cut(body: bytes) -> None:
    assert without_internal_subset(body) is None


@pytest.mark.parametrize(
    ("body", "value", "cut"),
    [
        (
            b"<url><loc>https://portal.example/2016/03/lav",
            "https://portal.example/2016/03/lav",
            True,
        ),
        (b"<url><loc>https://portal.example/a/ \n", " https://portal.example/a/", True),
        (b"<url><loc>https://portal.example/a/</loc>", "https://portal.example/a/", False),
        (
            b"<url><loc>https://portal.example/a/</loc></url></urlset>",
            "https://portal.example/a/",
            False,
        ),
        (b"<lastmod>2016-03-2", "2016-03-2", True),
        (b"<title>\xd0\x9c\xd0\xb8\xd1\x80", "Мир", True),
        (b"<loc>https://portal.example/a/", None, False),
        (b"<loc>https://portal.example/a/", "  ", False),
    ],
    ids=["cut-url", "whitespace", "end-tag", "whole", "cut-date", "utf-8", "none", "blank"],
)
def test_a_value_the_document_ends_inside_is_cut(body: bytes, value: str | None, cut: bool) -> None:
    assert cut_in(body, value) is cut


DECLARED = b'<?xml version="1.0" encoding="koi8-r"?><rss/>'
UNDECLARED = b'<?xml version="1.0"?><rss/>'
UTF8 = "application/rss+xml; charset=utf-8"
LEGACY_BYTES = '<?xml version="1.0" encoding="windows-1251"?><rss><title>Лавров</title></rss>'


@pytest.mark.parametrize(
    ("body", "content_type", "encoding"),
    [
        (UNDECLARED, "application/rss+xml; charset=windows-1251", "windows-1251"),
        (DECLARED, "application/xml; charset=windows-1251", "windows-1251"),
        (DECLARED, 'text/xml; Charset="Windows-1251"', "Windows-1251"),
        (DECLARED, "application/atom+xml; charset=windows-1251", "windows-1251"),
        (DECLARED, "text/html; charset=windows-1251", None),
        (UNDECLARED, "text/html; charset=windows-1251", "windows-1251"),
        (b"<rss/>", "text/plain; charset=windows-1251", "windows-1251"),
        (codecs.BOM_UTF8 + UNDECLARED, "application/xml; charset=windows-1251", None),
        (UNDECLARED.decode().encode("utf-16"), "application/xml; charset=utf-8", None),
        (UNDECLARED, "application/xml", None),
        (UNDECLARED, None, None),
        (UNDECLARED, "application/xml; charset=utf8mb4", None),
        (LEGACY_BYTES.encode("cp1251"), "application/rss+xml; charset=utf-8", None),
        (LEGACY_BYTES.encode("utf-8"), "application/rss+xml; charset=utf-8", "utf-8"),
        (DECLARED, "application/rss+xml; charset=utf-8", "utf-8"),
        (LEGACY_BYTES.encode("cp1251"), "application/rss+xml; charset=koi8-r", "koi8-r"),
        (LEGACY_BYTES.encode("cp1251").replace(b' encoding="windows-1251"', b""), UTF8, "utf-8"),
        (LEGACY_BYTES.encode("cp1251").replace(b"windows-1251", b""), UTF8, "utf-8"),
        (LEGACY_BYTES.encode("cp1251").replace(b"windows-1251", b"UTF-8"), UTF8, "utf-8"),
        (LEGACY_BYTES.encode("cp1251").replace(b"windows-1251", b"x-nonesuch"), UTF8, "utf-8"),
    ],
    ids=[
        "xml-type-charset",
        "xml-type-charset-over-the-declaration",
        "quoted-and-in-capitals",
        "plus-xml-type",
        "declaration-over-another-types-charset",
        "another-types-charset-when-nothing-is-declared",
        "no-xml-declaration-at-all",
        "utf-8-bom-over-the-charset",
        "utf-16-bom-over-the-charset",
        "no-charset",
        "no-content-type",
        "charset-libxml2-does-not-know",
        "server-default-utf-8-the-bytes-and-declaration-contradict",
        "utf-8-the-bytes-are-in-over-the-declaration",
        "utf-8-over-the-declaration-of-ascii-bytes",
        "another-charset-than-utf-8-over-the-declaration-even-of-other-bytes",
        "utf-8-the-bytes-are-not-in-without-a-declaration",
        "utf-8-the-bytes-are-not-in-under-an-empty-declaration",
        "utf-8-the-bytes-are-not-in-declared-twice",
        "utf-8-the-bytes-are-not-in-under-an-unknown-declaration",
    ],
)
def test_a_feeds_encoding_follows_xmls_rules(
    body: bytes, content_type: str | None, encoding: str | None
) -> None:
    assert feed_encoding(body, content_type) == encoding


def test_blank_lines_before_the_xml_declaration_are_dropped_and_a_bom_kept() -> None:
    assert xml_start(b"\r\n\n  <?xml version='1.0'?><rss/>") == b"<?xml version='1.0'?><rss/>"
    bom = codecs.BOM_UTF8
    assert xml_start(bom + b"\n<?xml version='1.0'?><rss/>") == bom + b"<?xml version='1.0'?><rss/>"
    assert xml_start(b"  hello") == b"  hello"  # no document: as it came
    reading = parse_xml(xml_start(b"\n\n" + rss(item(1))))
    assert reading.fault is None


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

ROOTS = {
    "rss-2.0": (rss(item(1)), "rss"),
    "atom": (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title></feed>', "feed"),
    "rss-1.0": (f'<rdf:RDF xmlns:rdf="{RDF}" xmlns="http://purl.org/rss/1.0/"/>'.encode(), "RDF"),
    "rss-1.0-prefix-undeclared": (b"<rdf:RDF><item/></rdf:RDF>", "RDF"),
    "html": (b"<!DOCTYPE html><html><head><meta charset=utf-8></head></html>", "html"),
    "xhtml": (b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "html"),
    "sitemap": (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>', "urlset"),
    "text": (b"hello", None),
    "empty": (b"", None),
    "xml-declaration-only": (b'<?xml version="1.0"?>', None),
}


@pytest.mark.parametrize("case", ROOTS)
def test_a_documents_root_is_named_without_its_namespace_or_prefix(case: str) -> None:
    body, name = ROOTS[case]
    assert root_name(parse_xml(body).root) == name


def test_feeds_are_told_by_their_root_element() -> None:
    """RSS, Atom and RSS 1.0 are feeds; a web page, well-formed or not, and a sitemap are not."""
    feeds = {
        case
        for case, (body, _name) in ROOTS.items()
        if root_name(parse_xml(body).root) in FEED_ROOTS
    }
    assert feeds == {"rss-2.0", "atom", "rss-1.0", "rss-1.0-prefix-undeclared"}
