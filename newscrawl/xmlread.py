"""Reading sitemaps and feeds whose XML is damaged or hostile, without losing what can be read.

Scrapy's sitemap reader (:class:`scrapy.utils.sitemap.Sitemap`) and the spider's feed and
news-sitemap readings parse with libxml2, through lxml, in recover mode. libxml2 then reads
past what it can mend (a stray ``&``, bytes that are not in the declared encoding), stops
where it cannot go on (a document cut short; entity declarations whose expansion would pass
its limits, the "billion laughs", which it refuses at their first use), and in no case
raises: the entries after a stop are lost without a word. Its error log keeps what
happened. This module reads that log, and reads on where it is safe to:

- :func:`first_fault` names the first well-formedness error of a parse (None: the document
  is whole);
- :func:`parse_xml` reads a feed or a news sitemap with :func:`xml_parser` (no entity ever
  expanded, libxml2's size limits kept), and reads a document whose entities stopped
  libxml2 again without them (:func:`without_internal_subset`), so that the entries after
  their first use are not lost;
- :func:`cut_in` tells whether a document cut short ends inside a value;
- :func:`root_name` names a document's root element, which says whether it is a feed at
  all (:data:`FEED_ROOTS`);
- :func:`xml_start` drops the blank lines some servers send before ``<?xml``, and
  :func:`feed_encoding` says which encoding a feed is read in, from its bytes and its
  Content-Type (XML's rules, not a web page's).

What the crawl does with a fault (one log line, a count in the run's report) is the
spiders' (``PortalSpider.report_damaged``).
"""

from __future__ import annotations

import codecs
import pyexpat
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from newscrawl.extraction.mediatype import media_type

_FATAL = etree.ErrorLevels.FATAL
_ENTITY_LOOP = etree.ErrorTypes.ERR_ENTITY_LOOP
_RESOURCE_LIMIT = etree.ErrorTypes.ERR_RESOURCE_LIMIT


@dataclass(frozen=True)
class Fault:
    """The first well-formedness error libxml2 met in a document."""

    message: str
    """libxml2's words, e.g. ``Premature end of data in tag loc line 4``."""
    line: int
    column: int
    entities: bool
    """libxml2 stopped at a use of the document's own entities: expanding them would pass
    its limits (the amplification factor, a reference loop). The position is then one in
    an entity's text, not in the document."""

    def __str__(self) -> str:
        if self.entities:
            return (
                "hostile XML: its DOCTYPE declares entities that would expand past libxml2's "
                f"limits, a 'billion laughs' ({self.message}); none was expanded"
            )
        return f"not well-formed XML at line {self.line}, column {self.column} ({self.message})"


def first_fault(error_log: Iterable[etree._LogEntry]) -> Fault | None:
    """Return the first fatal error of a parse's ``error_log``, or None when it has none.

    libxml2's fatal errors are the well-formedness errors: what follows one in the document
    was read by recovery, or not at all. Lesser errors and warnings (a namespace prefix not
    declared, an entity of an external DTD that is not read) leave every entry read, and are
    no fault.
    """
    for entry in error_log:
        if entry.level == _FATAL:
            message = entry.message.strip()
            # libxml2 2.11 and later say "Maximum entity amplification factor exceeded" as a
            # resource limit; earlier ones said "Detected an entity reference loop".
            entities = entry.type == _ENTITY_LOOP or (
                entry.type == _RESOURCE_LIMIT and "entit" in message.lower()
            )
            return Fault(message, entry.line, entry.column, entities)
    return None


def xml_parser(encoding: str | None = None) -> etree.XMLParser:
    """Return a parser for sitemaps and feeds: recover mode (what can be read is read), no
    entity expanded (``resolve_entities=False``), nothing fetched (no DTD, no network), and
    libxml2's size and depth limits kept: no ``huge_tree``, which parsel's selectors turn
    on. ``encoding`` overrides the document's own declaration (None: libxml2 reads it)."""
    return etree.XMLParser(
        encoding=encoding,
        recover=True,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


@dataclass(frozen=True)
class Reading:
    """A document as :func:`parse_xml` read it."""

    root: etree._Element | None
    """Its root element; None when not one element could be read."""
    fault: Fault | None
    """The first well-formedness error of its first reading; None when it is whole."""


def parse_xml(body: bytes, encoding: str | None = None) -> Reading:
    """Read the sitemap or feed ``body`` with :func:`xml_parser`.

    A document whose entities stopped libxml2 (:attr:`Fault.entities`) is read again
    without the declarations of its DOCTYPE (:func:`without_internal_subset`): its entities
    are then undeclared, and libxml2 leaves their uses out and reads on to the end. The
    root returned is of that second reading, which holds all the first one held; the fault
    is still the first reading's.
    """
    parser = xml_parser(encoding)
    root = _root(body, parser)
    fault = first_fault(parser.error_log)
    if fault is not None and fault.entities and (safe := without_internal_subset(body, encoding)):
        root = _root(safe, xml_parser(encoding))
    return Reading(root, fault)


def _root(body: bytes, parser: etree.XMLParser) -> etree._Element | None:
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError:  # not one element (an empty body): the log says why
        return None


FEED_ROOTS = frozenset({"rss", "feed", "RDF"})
"""The local names of a feed's root element: ``<rss>`` (RSS 0.91 to 2.0), ``<feed>``
(Atom), ``<rdf:RDF>`` (RSS 0.90 and 1.0). Any other root (``<html>``, well-formed XHTML
included; a sitemap's ``<urlset>``) is no feed, whatever it holds."""


def root_name(root: etree._Element | None) -> str | None:
    """Return the local name of the element ``root``, without its namespace or prefix, or
    None when there is no element (a body with no XML element in it).

    A prefix stays in lxml's tag when its namespace is not declared, which libxml2 does
    not call a fault: ``<rdf:RDF>`` is ``RDF`` with or without its ``xmlns:rdf``.

    >>> from lxml import etree
    >>> root_name(etree.fromstring(b'<feed xmlns="http://www.w3.org/2005/Atom"/>'))
    'feed'
    """
    if root is None:
        return None
    return str(root.tag).rpartition("}")[2].rpartition(":")[2]


class _DoctypeRead(Exception):
    """Raised from expat's handler at the end of the document type declaration."""


def without_internal_subset(body: bytes, encoding: str | None = None) -> bytes | None:
    """Return ``body`` with the internal subset of its document type declaration (the
    declarations between the ``[`` and ``]`` of its ``<!DOCTYPE``) cut out, or None when it
    has none, or when expat cannot read its prolog (an encoding expat does not know, a
    prolog that is not well-formed).

    Expat reads the prolog only, and is stopped at the end of the ``<!DOCTYPE``: there,
    entities are declared and not used, and a parameter-entity reference inside a
    declaration is an error to it. What stays is a ``<!DOCTYPE`` without declarations; the
    XML declaration, and the encoding it names, stays too. ``encoding`` overrides the
    declared one, as in :func:`xml_parser`.
    """
    parser = pyexpat.ParserCreate(encoding)
    marks: list[int] = []

    # Expat reports the start of a DOCTYPE at the "[" of its internal subset (at its ">"
    # when it has none), and its end at its closing ">".
    def doctype_start(*_args: object) -> None:
        marks.append(parser.CurrentByteIndex)

    def doctype_end() -> None:
        marks.append(parser.CurrentByteIndex)
        raise _DoctypeRead

    parser.StartDoctypeDeclHandler = doctype_start
    parser.EndDoctypeDeclHandler = doctype_end
    try:
        parser.Parse(body, True)
    except _DoctypeRead:
        pass
    except (pyexpat.ExpatError, ValueError, LookupError):  # ValueError: multi-byte encodings
        return None
    if len(marks) != 2 or marks[0] >= marks[1]:
        return None
    subset, end = marks
    return body[:subset] + body[end:]


def cut_in(body: bytes, value: str | None) -> bool:
    """Tell whether the document ``body``, cut short, ends inside ``value``: the value's text
    (in UTF-8) is the end of the document, with no end tag after it, so the rest of it may
    be missing (a URL cut to ``https://portal.example/2016/03/lav``).

    A whole document ends with its root's end tag, never inside a value: only the last value
    of a document cut short can be cut. A value that does not read the same in the
    document's bytes (another encoding, an entity) is not found to be cut.
    """
    text = (value or "").strip()
    return bool(text) and body.rstrip().endswith(text.encode("utf-8"))


_BOMS = (
    codecs.BOM_UTF8,
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)
_ENCODING_DECLARATION = re.compile(rb"<\?xml\s[^>]*?\bencoding\s*=\s*[\"']?([^\"'\s?>]*)")
"""An XML declaration that names an encoding, and the name (``[^>]`` keeps it inside the
declaration)."""
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)


def xml_start(body: bytes) -> bytes:
    """Return ``body`` without the blank lines some servers send before ``<?xml`` (after a
    UTF-8 BOM, which is kept): libxml2 calls them a fatal error, and they damage nothing.
    A body whose first byte after them is not ``<`` is returned as it is.

    >>> xml_start(b"\\n\\n<?xml version='1.0'?><rss/>")
    b"<?xml version='1.0'?><rss/>"
    """
    bom = codecs.BOM_UTF8 if body.startswith(codecs.BOM_UTF8) else b""
    rest = body[len(bom) :].lstrip()
    return bom + rest if rest.startswith(b"<") else body


def feed_encoding(body: bytes, content_type: str | None) -> str | None:
    """Return the encoding to read the feed ``body``, served with ``content_type``, in; None
    when libxml2 is to find it in the document itself.

    XML's rules, in order:

    1. a byte order mark, which libxml2 reads: RFC 7303 puts it above the Content-Type;
    2. the charset parameter of an XML Content-Type (``application/xml``, ``text/xml``,
       ``application/rss+xml``, every ``+xml`` type): RFC 7303 makes it authoritative,
       over the document's own XML declaration, even when the two disagree; but not a
       UTF-8 the bytes are not in, when the declaration names another encoding (a
       server's default: :func:`_server_default_utf8`);
    3. the encoding the XML declaration names (``<?xml version="1.0" encoding="..."?>``),
       which libxml2 reads;
    4. the charset parameter of any other Content-Type (a feed served as ``text/html`` or
       ``text/plain``): RFC 7303 says nothing of those, and it is the only word on the
       encoding left (the "external encoding information" of XML 1.0, appendix F);
    5. none of these: UTF-8, XML's default, which libxml2 reads.

    A charset libxml2 does not know (``utf8mb4``) is no word on the encoding.

    >>> feed_encoding(b"<rss/>", "application/rss+xml; charset=windows-1251")
    'windows-1251'
    >>> feed_encoding(b'<?xml version="1.0" encoding="koi8-r"?><rss/>', "text/html; charset=utf-8")
    """
    if body.startswith(_BOMS):
        return None
    match = _CHARSET.search(content_type or "")
    charset = match.group(1) if match else None
    if charset is None or not _libxml2_knows(charset):
        return None
    essence = media_type(content_type) or ""
    if essence in ("application/xml", "text/xml") or essence.endswith("+xml"):
        return None if _server_default_utf8(charset, body) else charset
    return None if _ENCODING_DECLARATION.match(body) else charset


def _server_default_utf8(charset: str, body: bytes) -> bool:
    """Tell whether an XML Content-Type's ``charset`` of UTF-8 is a server's default that the
    feed ``body`` contradicts: its XML declaration names another encoding and it is not
    UTF-8. (nginx adds ``charset=utf-8`` to ``application/rss+xml`` when told to add one to
    any type; a windows-1251 feed behind it would be read as damaged on every run.) The one
    departure from RFC 7303's rule: the declaration is then taken, as the bytes agree."""
    if codecs.lookup(charset).name != "utf-8":
        return False
    declared = _ENCODING_DECLARATION.match(body)
    if declared is None or not declared.group(1):
        return False
    try:
        if codecs.lookup(declared.group(1).decode("ascii")).name == "utf-8":
            return False
    except (LookupError, UnicodeDecodeError):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@lru_cache(maxsize=64)  # the charsets servers send: a handful a crawl
def _libxml2_knows(encoding: str) -> bool:
    try:
        etree.XMLParser(encoding=encoding)
    except LookupError:
        return False
    return True
