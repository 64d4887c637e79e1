"""Decoding and parsing: the page every field reads, and the errors of pages that give none."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from lxml import etree, html
from parsel import Selector
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    to_unicode,
)

from newscrawl.extraction.errors import (  # ExtractionError, NotAnArticle: re-exported
    EmptyPage,
    ExtractionError,  # noqa: F401
    NoBody,
    NotAnArticle,
    TooLarge,
    Truncated,
    Undecodable,
)
from newscrawl.extraction.limits import MAX_PAGE_BYTES, check_source, check_time, check_tree
from newscrawl.extraction.mediatype import not_html
from newscrawl.extraction.metadata import Scripts, jsonld_article, page_scripts
from newscrawl.extraction.processors import DateParser
from newscrawl.extraction.selectors import Document, ids_unique, node_text
from newscrawl.items import Article
from newscrawl.profiles import Profile, load_profile, profile_for_url

Headers = Mapping[str, Any] | Mapping[bytes, Any]

_NOT_BLANK_BYTES = re.compile(rb"\S")
_NOT_BLANK_TEXT = re.compile(r"[^\x00 \t\r\n\f\v\ufeff]")


def _header(headers: Headers | None, name: str) -> str | None:
    """Return the value of the header ``name`` (any case), or None; of a header sent more
    than once, the last value, which Scrapy's ``Headers.get`` (and so its response class
    and encoding) and the Fetch standard's MIME type extraction take too."""
    if not headers:
        return None
    for key, value in headers.items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() == name.lower():
            if isinstance(value, list | tuple):
                value = value[-1] if value else None
            if isinstance(value, bytes):
                return value.decode("latin-1")
            return None if value is None else str(value)
    return None


_NOT_ASCII_COMPATIBLE = frozenset(
    {"utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-32-be", "utf-32-le"}
)
"""Encodings a ``<meta>`` cannot declare: a parser that could read the meta was reading
ASCII-compatible bytes. The WHATWG rule: such a meta means UTF-8."""
_NO_BYTE_ORDER = {"utf-16": "utf-16-le", "utf-32": "utf-32-be"}
"""How a header that names a UTF-16 or UTF-32 encoding but no byte order is read when the
body has no BOM (a BOM is read first, and wins). The WHATWG Encoding Standard makes the
label "utf-16" UTF-16LE, as browsers read it (w3lib, and so Scrapy, read it big-endian).
UTF-32 is no WHATWG encoding at all: its label is read as Unicode defines the UTF-32
scheme without a BOM, big-endian, since ignoring it would read the bytes as UTF-8."""
_FALLBACK_ENCODING = "utf-8"
"""What undeclared bytes are read as when detection finds nothing (invalid bytes: U+FFFD)."""


def _is_utf8(body: bytes) -> bool:
    """Tell whether ``body`` is UTF-8, allowing a character cut off at the very end."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
    except UnicodeDecodeError:
        return False
    return True


_BRACKETS_TO_SPACES = bytes.maketrans(b"<>", b"  ")
_DETECTION_SAMPLE = 64 * 1024
"""Bytes of non-ASCII words handed to charset-normalizer, at most."""
WEB_ENCODINGS = (
    *(f"cp{n}" for n in (1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258, 874, 866)),
    *(f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
    *("koi8_r", "koi8_u", "gb18030", "big5", "euc_jp", "iso2022_jp", "shift_jis", "euc_kr"),
)
"""The legacy encodings of the WHATWG Encoding Standard (in Python's names): the only
ones detection may answer. Left free, charset-normalizer also proposed UTF-16 and
shift_jis_2004 for KOI8-R pages."""


def _utf8_check(body: bytes) -> tuple[bool, str | None]:
    """Return ``(_is_utf8(body), text)``: ``text`` is ``body`` decoded when it is wholly valid
    UTF-8 (None when only a character cut off at the very end spoils it, or when it is not
    UTF-8), so that a caller that needs the text does not decode the bytes twice."""
    try:
        return True, body.decode("utf-8")
    except UnicodeDecodeError:
        return _is_utf8(body), None


def detect_encoding(body: bytes) -> str:
    """Return the encoding of ``body``, which declares none: UTF-8 when the bytes are
    UTF-8, else what charset-normalizer finds (UTF-8 when it finds nothing).

    charset-normalizer reads only the words that hold non-ASCII bytes: the ASCII markup
    around them says nothing about the encoding, and on a mostly-English page it made
    every single-byte encoding look alike (a windows-1251 fixture came out as cp1250).
    """
    return _detect(body)[0]


def _detect(body: bytes) -> tuple[str, str | None]:
    """Return :func:`detect_encoding` and, when it is UTF-8 found by decoding the whole
    body, the text (see :func:`_utf8_check`)."""
    utf8, text = _utf8_check(body)
    if utf8:
        return "utf-8", text
    from charset_normalizer import from_bytes  # only pages that need it pay for the import

    # The words (between spaces and tag brackets) that hold a non-ASCII byte.
    words = body[:MAX_PAGE_BYTES].translate(_BRACKETS_TO_SPACES).split()
    sample = b" ".join(w for w in words if not w.isascii())[:_DETECTION_SAMPLE]
    best = from_bytes(sample, cp_isolation=list(WEB_ENCODINGS)).best()
    return (best.encoding if best is not None else _FALLBACK_ENCODING), None


def page_encoding(body: bytes, headers: Headers | None = None) -> tuple[str, bool]:
    """Return ``(encoding, declared)``: how a browser would read ``body``, and whether
    something (a BOM, the Content-Type header, a ``<meta>``) said so.

    In order: the BOM; the Content-Type charset, where "utf-16" with no BOM is UTF-16LE
    (WHATWG) and "utf-32" big-endian; a ``<meta>`` charset, where one that claims UTF-16 or
    UTF-32 means UTF-8 (WHATWG); then detection (:func:`detect_encoding`).
    One departure from a browser: a declared legacy encoding (windows-1252, GB18030...)
    gives way to UTF-8 when the bytes hold non-ASCII text that is valid UTF-8. Such pages
    are mis-declared (a server default, a page re-saved as UTF-8 with its old ``<meta>``);
    text in a legacy encoding that happens to be valid UTF-8 does not occur in practice.
    """
    encoding, declared, _text = _sniff(body, headers)
    return encoding, declared


def _sniff(body: bytes, headers: Headers | None) -> tuple[str, bool, str | None]:
    """Return :func:`page_encoding`'s answer and, when finding it decoded the whole body as
    UTF-8 (detection, or a legacy declaration overruled), that text; else None."""
    bom_encoding, _bom = read_bom(body)
    if bom_encoding is not None:
        return bom_encoding, True, None
    encoding = http_content_type_encoding(_header(headers, "Content-Type"))
    if encoding is None:
        encoding = html_body_declared_encoding(body)
        if encoding in _NOT_ASCII_COMPATIBLE:
            encoding = "utf-8"
    if encoding is None:
        detected, text = _detect(body)
        return detected, False, text
    text = None
    if encoding in _NO_BYTE_ORDER:
        encoding = _NO_BYTE_ORDER[encoding]
    elif _is_legacy(encoding) and not body.isascii():
        utf8, text = _utf8_check(body)
        if utf8:
            encoding = "utf-8"
    return encoding, True, text


def _is_legacy(encoding: str) -> bool:
    """Tell whether ``encoding`` is an ASCII-compatible encoding other than UTF-8."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    return name != "utf-8" and not name.startswith(("utf-16", "utf-32"))


def decode_html(body: bytes, headers: Headers | None = None) -> str:
    """Return the page as text, read as :func:`page_encoding` says.

    Bytes that are invalid in that encoding become U+FFFD rather than an error.
    """
    return _decode(body, headers)[0]


def _decode(body: bytes, headers: Headers | None = None) -> tuple[str, bytes | None]:
    """Return :func:`decode_html`'s text, and the bytes that are its exact UTF-8 encoding
    when the page is valid UTF-8 (else None): the parser then reads those instead of the
    text encoded once more."""
    encoding, _declared, text = _sniff(body, headers)
    if text is not None:  # the whole body, decoded as UTF-8 (a BOM would have named it)
        return text, body
    bom_encoding, bom = read_bom(body)
    if bom is not None and bom_encoding == encoding:
        body = body[len(bom) :]
    if codecs.lookup(encoding).name == "utf-8":
        try:
            return body.decode("utf-8"), body  # valid: what to_unicode gives, encoded as is
        except UnicodeDecodeError:
            pass
    return to_unicode(body, encoding), None


def _parser_input(text: str, utf8: bytes | None) -> bytes:
    """Return what parsel's ``create_root_node`` hands lxml for ``text``: the text without
    surrounding whitespace and NUL characters, as UTF-8 (``<html/>`` when nothing is left).

    ``utf8``, when given, is ``text`` encoded as UTF-8: the result is then cut from it
    (only the few stripped characters are encoded) instead of encoding the whole page.
    """
    if utf8 is None or b"\x00" in utf8:  # a NUL byte of UTF-8 is a NUL character
        return text.strip().replace("\x00", "").encode("utf-8") or b"<html/>"
    start = _LEADING_SPACE.match(text).end()  # type: ignore[union-attr]
    if start == len(text):
        return b"<html/>"
    end = _stripped_end(text)
    head = len(text[:start].encode("utf-8"))
    tail = len(text[end:].encode("utf-8"))
    return utf8[head : len(utf8) - tail]


_LEADING_SPACE = re.compile(r"\s*+")
"""What ``str.lstrip()`` removes (``\\s`` of a text pattern is ``str.isspace``)."""
_TAIL_WINDOW = 64


def _stripped_end(text: str) -> int:
    """Return ``len(text.rstrip())`` without copying the whole text (only its end, unless
    the text ends in a long run of spaces)."""
    window = text[-_TAIL_WINDOW:]
    kept = len(window.rstrip())
    if kept or len(window) == len(text):
        return len(text) - len(window) + kept
    return len(text.rstrip())


def _root_node(
    text: str, utf8: bytes | None, parser_class: type[etree.HTMLParser], url: str | None
) -> etree._Element:
    """Return the root parsel's ``create_root_node(text, parser_class, base_url=url)``
    returns (the same parser, options and bytes: :func:`_parser_input`)."""
    return _parse(text, utf8, parser_class, url)[0]


def _parse(
    text: str, utf8: bytes | None, parser_class: type[etree.HTMLParser], url: str | None
) -> tuple[etree._Element, bool]:
    """Return :func:`_root_node`'s root, and whether its parse proved that no id value
    was registered twice (:func:`~newscrawl.extraction.selectors.ids_unique`)."""
    parser = parser_class(recover=True, encoding="utf-8", huge_tree=True)
    root = etree.fromstring(_parser_input(text, utf8), parser=parser, base_url=url)
    if root is None:
        root = etree.fromstring(b"<html/>", parser=parser, base_url=url)
    return root, ids_unique(parser.error_log)


UNDECODABLE_SHARE = 2 / 3
"""A page whose visible text is more than this share U+FFFD (of its non-space
characters) is undecodable. A page of Cyrillic (or Greek, Arabic...) text read in the
wrong encoding loses 85-95% of them (digits, punctuation and Latin names survive); a
mixed page that keeps over a third of its text readable is kept, with U+FFFD where its
bytes did not fit (as a browser shows it)."""
_MIN_UNDECODABLE = 8
"""Fewer U+FFFD than this never make a page undecodable (a stray byte or two)."""


def _check_decoded(root: etree._Element, text: str, url: str | None) -> None:
    """Raise Undecodable when the visible text of the page is mostly U+FFFD."""
    # The membership test first: it is instant for a text of Latin-1 characters only (its
    # storage cannot hold U+FFFD) and a fast search otherwise, while counting reads it all.
    if "\ufffd" not in text or text.count("\ufffd") < _MIN_UNDECODABLE:
        return
    body = root.find("body")
    visible = "".join(node_text(body if body is not None else root).split())
    bad = visible.count("\ufffd")
    if bad >= _MIN_UNDECODABLE and bad > UNDECODABLE_SHARE * len(visible):
        raise Undecodable(
            f"{bad} of the {len(visible)} characters of the page's text are undecodable",
            url=url,
        )


@cache
def _date_parser(languages: tuple[str, ...], timezone: str) -> DateParser:
    return DateParser(languages, timezone)


@cache
def _patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@dataclass
class Page:
    """A parsed page and what every field reader needs to know about it.

    ``document`` runs the profile's selectors on the parsed tree (``selector.root``).
    ``jsonld`` is the page's JSON-LD article object and ``scripts`` its JSON-LD scripts,
    decoded (:func:`~newscrawl.extraction.metadata.read_jsonld`; None when parsing found
    the source spells out no JSON-LD script type and did not read them): the generic
    extractor reads its structured data from them instead of decoding them again.
    """

    url: str
    selector: Selector
    profile: Profile
    now: datetime
    jsonld: dict[str, Any]
    scripts: Scripts | None = None
    unique_ids: bool = field(default=False, repr=False)
    """The parse proved the tree's id values unique (see ``Document``)."""
    document: Document = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.document = Document(self.selector.root, unique_ids=self.unique_ids)

    def candidates(self, *path: str) -> Iterator[list[str]]:
        """Yield, lazily, the strings each selector at ``path`` of the profile selects."""
        for query in self.profile.selectors(*path):
            yield self.document.values(query)

    @property
    def dates(self) -> DateParser:
        """The profile's date parser (one per site, shared across pages)."""
        return _date_parser(tuple(self.profile.languages), self.profile.timezone)

    def loader_context(self) -> dict[str, Any]:
        """Context for loaders: the base URL for absolute links."""
        return {"base_url": self.url}


def body_from_trafilatura(profile: Profile) -> bool:
    """Tell whether pages of ``profile`` get their body from trafilatura (it names no body)."""
    return not profile.selectors("body", "container")


def _parser_class(profile: Profile) -> type[etree.HTMLParser]:
    """Return the HTML parser for pages of ``profile``: lxml.html's only when trafilatura,
    which takes only lxml.html trees, reads the page.

    lxml.html's element classes make each element handed to Python several times dearer
    (about 4x for an XPath that returns every element of a portal page).
    """
    return html.HTMLParser if body_from_trafilatura(profile) else etree.HTMLParser


def not_html_page(body: bytes, headers: Headers | None) -> str | None:
    """Return why the response with ``headers`` and ``body`` is no HTML page
    (:func:`~newscrawl.extraction.mediatype.not_html` of its Content-Type), or None when it
    is one, or when ``headers`` is None: bytes that came in no response (a saved page)."""
    if headers is None:
        return None
    return not_html(_header(headers, "Content-Type"), body)


def parse_page(
    url: str,
    body: bytes,
    headers: Headers | None = None,
    profile: Profile | str | None = None,
    now: datetime | None = None,
) -> Page:
    """Decode and parse ``body``; raise EmptyPage when there is no HTML in it.

    ``headers`` are those of the response that brought ``body``: NotAnArticle when they
    make it no HTML page (:func:`~newscrawl.extraction.mediatype.not_html`: its
    Content-Type, or its first bytes when the Content-Type says nothing). None means there
    was no response (a saved page, stdin): the bytes are taken as HTML.

    Raises TooLarge for a page over a size limit (see ``limits``), Undecodable for a page
    whose text comes out mostly U+FFFD, and TooSlow past the time budget.
    """
    _check_size(body, url)
    if (why := not_html_page(body, headers)) is not None:
        raise NotAnArticle(why, url=url)
    if isinstance(profile, str):
        profile = load_profile(profile)
    profile = profile or profile_for_url(url)
    text, utf8 = _checked_text(body, headers, url)
    root, unique_ids = _checked_root(text, utf8, _parser_class(profile), url)
    selector = Selector(root=root, type="html", base_url=url)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    scripts = page_scripts(root, text)
    page = Page(
        url=url,
        selector=selector,
        profile=profile,
        now=now,
        jsonld=jsonld_article(scripts),
        scripts=scripts,
        unique_ids=unique_ids,
    )
    check_time(url)
    return page


def parse_html(
    body: bytes, headers: Headers | None = None, url: str | None = None
) -> etree._Element:
    """Return the root element of ``body`` read as HTML, as :func:`parse_page` reads a page
    (decoded the same way, within the same limits), for code that reads markup outside
    extraction: a listing's links, a page's declared URL.

    Raises what :func:`parse_page` raises for a page it refuses: TooLarge, EmptyPage,
    Undecodable, TooSlow. Parsing a page's bytes with any other parser skips the limits,
    and one element with many attributes then takes minutes to parse.
    """
    _check_size(body, url)
    text, utf8 = _checked_text(body, headers, url)
    return _checked_root(text, utf8, etree.HTMLParser, url)[0]


_CANONICAL_LINK = etree.XPath(
    "//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONICAL', 'canonical')),"
    " ' '), ' canonical ')]/@href"
)
_OG_URL = etree.XPath("//meta[@property='og:url']/@content")


def declared_url(root: etree._Element) -> str | None:
    """Return the absolute http(s) URL the parsed page under ``root`` gives for itself: its
    ``<link rel="canonical">``, else its ``og:url``; None when it gives neither."""
    for query in (_CANONICAL_LINK, _OG_URL):
        for value in query(root):
            text = str(value).strip()
            if text.startswith(("http://", "https://")):
                return text
    return None


def _check_size(body: bytes, url: str | None) -> None:
    """Raise TooLarge for a body over MAX_PAGE_BYTES, EmptyPage for one of blanks only."""
    if len(body) > MAX_PAGE_BYTES:
        raise TooLarge(f"the page has {len(body)} bytes (the limit is {MAX_PAGE_BYTES})", url=url)
    if _NOT_BLANK_BYTES.search(body) is None:
        raise EmptyPage("the response body is empty", url=url)


def _checked_text(
    body: bytes, headers: Headers | None, url: str | None
) -> tuple[str, bytes | None]:
    """Return :func:`_decode`'s text and UTF-8 bytes of ``body``, once its markup is known
    to be safe to parse (:func:`~newscrawl.extraction.limits.check_source`)."""
    text, utf8 = _decode(body, headers)
    if _NOT_BLANK_TEXT.search(text) is None:
        raise EmptyPage("the response body has no text", url=url)
    check_source(text, url)
    check_time(url)
    return text, utf8


def _checked_root(
    text: str, utf8: bytes | None, parser_class: type[etree.HTMLParser], url: str | None
) -> tuple[etree._Element, bool]:
    """Return :func:`_parse`'s root of ``text`` and whether its ids are unique; raise
    EmptyPage when it is no HTML, TooLarge over the element limit, Undecodable when its
    visible text is mostly U+FFFD."""
    try:
        root, unique_ids = _parse(text, utf8, parser_class, url)
    except (ValueError, etree.LxmlError) as exc:
        raise EmptyPage(f"the response is not HTML: {exc}", url=url) from exc
    if root is None or not isinstance(root, etree._Element):
        raise EmptyPage("the response has no HTML element", url=url)
    check_tree(root, url, len(text))
    _check_decoded(root, text, url)
    check_time(url)
    return root, unique_ids


_CLOSING_TAG = re.compile(rb"</(?:body|html)\s*>", re.IGNORECASE)


def truncation(body: bytes, headers: Headers | None = None) -> str | None:
    """Return why ``body`` looks cut short, or None when it looks whole.

    What can be told from the bytes alone: a UTF-8 page whose last character is
    incomplete, and a page with neither ``</body>`` nor ``</html>`` (browsers accept a
    page without them, but a page cut mid-way never has them; pages that leave both out
    are rare).
    """
    encoding, _declared = page_encoding(body, headers)
    if encoding == "utf-8" and _cut_character(body):
        return "the page ends in the middle of a UTF-8 character"
    if _CLOSING_TAG.search(body) is None:
        return "the page has no closing </body> or </html> tag"
    return None


def _cut_character(body: bytes) -> bool:
    """Tell whether the last UTF-8 character of ``body`` lacks some of its bytes."""
    for back in range(1, min(4, len(body)) + 1):
        byte = body[-back]
        if byte & 0xC0 == 0x80:
            continue  # a continuation byte: the lead byte is further back
        length = (
            2
            if byte & 0xE0 == 0xC0
            else 3
            if byte & 0xF0 == 0xE0
            else 4
            if byte & 0xF8 == 0xF0
            else 1
        )
        return length > back
    return False


def check_complete(body: bytes, headers: Headers | None = None, url: str | None = None) -> None:
    """Raise Truncated when ``body`` looks cut short (see :func:`truncation`)."""
    if (why := truncation(body, headers)) is not None:
        raise Truncated(why, url=url)


def check_outcome(
    article: Article, body: bytes, headers: Headers | None = None, url: str | None = None
) -> None:
    """Raise the reject a crawl writes instead of ``article``, the record of ``body``;
    return when the record is the page's outcome.

    - Truncated when ``body`` looks cut short (:func:`truncation`), whatever the record
      holds: what is missing may be anywhere, and the next run fetches the page again.
    - NoBody when the page is whole and its body came out empty: an article page that
      gives no article text (the state remembers it, as it does a page that is not an
      article).

    A record with a body but no headline is returned: it fails the schema, and the crawl
    writes it as an ``invalid`` reject that names the field.
    """
    if (why := truncation(body, headers)) is not None:
        raise Truncated(why, url=url)
    if not article.body:
        raise NoBody("the article page has no body text", url=url)
