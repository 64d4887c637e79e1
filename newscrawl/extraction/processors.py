"""Cleaning functions shared by every site profile.

Each function is small and pure: it takes a raw value as extracted from a page
(``None`` when nothing was found) and returns a clean value, or ``None`` when
nothing useful is left. None of them raises on odd input text. Site profiles
choose which of them to apply to which field; the functions know nothing about
sites.

The docstring examples run as tests (``tests/extraction/test_processors.py``).
"""

from __future__ import annotations

import email.utils
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Final
from urllib.parse import urljoin, urlparse, urlsplit
from zoneinfo import ZoneInfo

from dateparser import DateDataParser
from dateparser.utils import get_timezone_from_tz_string

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

__all__ = [
    "CREDIT_LABELS",
    "CREDIT_LINE_LENGTH",
    "EARLIEST_DATE",
    "LATEST_AFTER_CRAWL",
    "DateParser",
    "absolute_url",
    "credit_label",
    "detect_language",
    "format_datetime",
    "is_credit_line",
    "language_differs",
    "normalize_space",
    "plausible_date",
    "record_url",
    "split_authors",
    "split_credit",
    "strip_credit_label",
    "strip_ellipsis",
    "structured_name",
    "unique",
    "url_repairs",
]


# --------------------------------------------------------------------------- text

_ZWSP, _BOM, _SOFT_HYPHEN, _WORD_JOINER = "\u200b", "\ufeff", "\u00ad", "\u2060"
_INVISIBLE: Final = re.compile(f"[{_ZWSP}{_BOM}{_SOFT_HYPHEN}{_WORD_JOINER}]")
"""Zero-width space, BOM, soft hyphen and word joiner: deleted. The zero-width non-joiner
and joiner (U+200C, U+200D) are kept: Persian and Indic spelling depends on them."""


def normalize_space(value: str | None) -> str | None:
    """Collapse whitespace runs to one space, drop zero-width characters, strip.

    Every Unicode whitespace character counts (tabs, newlines, NBSP, narrow NBSP,
    thin space, line and paragraph separators). Zero-width space, the BOM, the word
    joiner and the soft hyphen are removed; the zero-width (non-)joiner is kept. Nothing else
    is touched: right-to-left text, bidi marks and combining marks stay as they
    are, and no Unicode normalisation is applied. Returns ``None`` for ``None`` (and
    anything else that is not a string) and for text with nothing but whitespace.

    >>> normalize_space(" Sergei\\u00a0Lavrov \\n said\\u200b ")
    'Sergei Lavrov said'
    >>> normalize_space("\\u2009\\t") is None
    True
    """
    if not isinstance(value, str):
        return None
    if value.isprintable() and value[:1] != " " and value[-1:] != " " and "  " not in value:
        # Text that is normalised already (a body block read again by the loader, the
        # fingerprint and the language sample): printable text holds no whitespace but the
        # space, and none of the invisible characters (format characters, not printable).
        return value or None
    # Four substring searches cost far less than a regex pass over text that has none of
    # these characters, which is nearly all text; this runs on every value of every page.
    if _ZWSP in value or _BOM in value or _SOFT_HYPHEN in value or _WORD_JOINER in value:
        value = _INVISIBLE.sub("", value)
    return " ".join(value.split()) or None


# ------------------------------------------------------------------------ credits

_CREDIT_SEPARATOR: Final = r"(?:\s*[:\uff1a]|\s*[\u2013\u2014]|\s+-(?=\s))"
"""Colon (also fullwidth), en or em dash, or a hyphen between spaces."""

_LABELS_BEFORE_SEPARATOR: Final = "|".join(
    (
        r"photo\s+credits?",
        r"image\s+credits?",
        r"cr[ée]dits?\s+photos?",
        r"photographer",
        r"photograph",
        r"photos?",
        r"image",
        r"picture",
        r"cr[ée]dits?",
        r"source",
        r"фотография",
        r"фотограф",
        r"фото",
        r"источник",
        r"fotos?",
        r"fotó",
        r"bild",
        r"quelle",
        r"צילום",
        r"קרדיט",
        r"تصوير",
        r"صورة",
        r"المصدر",
    )
)
"""Words that are a label only when a separator follows ("Image: AP", not "Image of")."""

_LABELS_WITHOUT_SEPARATOR: Final = r"(?:photo\s+by|фото|copyright)(?!\w)|©|\(c\)"
"""Labels that need no separator: "Photo by X", "Фото РИА Новости", "© AP", "(c) AP"."""

_LABEL: Final = (
    rf"(?P<label>(?:{_LABELS_BEFORE_SEPARATOR})(?={_CREDIT_SEPARATOR})|{_LABELS_WITHOUT_SEPARATOR})"
    rf"{_CREDIT_SEPARATOR}?\s*"
)

CREDIT_LABELS: Final[re.Pattern[str]] = re.compile(rf"^\s*{_LABEL}", re.IGNORECASE)
"""A credit label at the start of a string, in English, Russian, German, French,
Spanish, Hungarian, Hebrew and Arabic, with the separator and spaces after it.

Group ``label`` holds the label word(s) as written. Words that are ordinary
words too ("Image", "Source", "Bild", "Источник", ...) count only with a colon,
an en/em dash or a spaced hyphen after them; "Photo by", "Фото", "Copyright",
"©" and "(c)" count with or without one.

>>> CREDIT_LABELS.match("Фото: РИА Новости").group("label")
'Фото'
>>> CREDIT_LABELS.match("Image processing is hard") is None
True
"""

_CREDIT_IN_CAPTION: Final = re.compile(
    r"(?:^|(?<=[.!?…]\s)|(?<=\|\s)|(?<=\s/\s)|(?<=\s[\u2013\u2014]\s)|(?<=[(\[])"
    r"|(?<=\s)(?=©))" + _LABEL,
    re.IGNORECASE,
)
"""A credit label where a caption's credit part can begin: at the start, after a
sentence end, "| ", " / ", " — " or an opening bracket; "©" after any space."""

_CLOSING_BRACKET: Final = {"(": ")", "[": "]"}
_CAPTION_TAIL: Final = " |/-\u2013\u2014"
"""Separators left at the end of a caption once its credit is cut off."""


def credit_label(text: str | None) -> str | None:
    """Return the credit label at the start of ``text``, else ``None``.

    The label is returned as written, without its separator, with its inner
    whitespace normalised ("Crédit photo", "Фото", "©").

    >>> credit_label("Photo: Sergei Guneyev/RIA Novosti")
    'Photo'
    >>> credit_label("Crédit\\u00a0photo : AFP")
    'Crédit photo'
    >>> credit_label("Lavrov said") is None
    True
    """
    cleaned = normalize_space(text)
    if cleaned is None:
        return None
    match = CREDIT_LABELS.match(cleaned)
    return match.group("label") if match else None


def strip_credit_label(text: str | None) -> str | None:
    """Return the credit without its label, whitespace-normalised.

    Repeated labels go too ("Photo: © AP" gives "AP"). Text that does not start
    with a label comes back normalised and otherwise unchanged; a bare label
    gives ``None``.

    >>> strip_credit_label("Photo: Sergei Guneyev/RIA Novosti")
    'Sergei Guneyev/RIA Novosti'
    >>> strip_credit_label("© AP")
    'AP'
    >>> strip_credit_label("Фото: РИА Новости")
    'РИА Новости'
    >>> strip_credit_label("Photo:") is None
    True
    """
    cleaned = normalize_space(text)
    while cleaned is not None and (match := CREDIT_LABELS.match(cleaned)):
        cleaned = cleaned[match.end() :] or None
    return cleaned


def split_credit(text: str | None) -> tuple[str | None, str | None]:
    """Split a caption into ``(caption, credit)``; the credit is a labelled tail.

    The credit's label must stand at the start of the caption or begin a part of
    it (after ". ", "| ", " / ", " — " or an opening bracket; "©" after any
    space). The label is removed, and so are brackets around the credit. Either
    side is ``None`` when empty; a caption without a label is all caption.

    >>> split_credit("Lavrov in Moscow. Photo: A. B/TASS")
    ('Lavrov in Moscow.', 'A. B/TASS')
    >>> split_credit("Фото: РИА Новости")
    (None, 'РИА Новости')
    >>> split_credit("Lavrov in Moscow (Photo: Reuters)")
    ('Lavrov in Moscow', 'Reuters')
    >>> split_credit("Just a caption")
    ('Just a caption', None)
    """
    cleaned = normalize_space(text)
    if cleaned is None:
        return None, None
    match = _CREDIT_IN_CAPTION.search(cleaned)
    if match is None:
        return cleaned, None
    start = match.start()
    before, credit, after = cleaned[:start], cleaned[match.end() :], ""
    opener = before[-1:]
    if opener in _CLOSING_BRACKET:
        before = before[:-1]
        credit, _, after = credit.partition(_CLOSING_BRACKET[opener])
    caption = normalize_space(f"{before.rstrip(_CAPTION_TAIL)} {after}")
    return caption, strip_credit_label(credit)


CREDIT_LINE_LENGTH: Final = 160
"""The longest line :func:`is_credit_line` takes for a credit line (by default)."""


def is_credit_line(text: str | None, max_length: int = CREDIT_LINE_LENGTH) -> bool:
    """Tell whether ``text`` is a short line that starts with a credit label.

    >>> is_credit_line("Photo: Sergei Guneyev/RIA Novosti")
    True
    >>> is_credit_line("Source: " + "word " * 40)
    False
    """
    cleaned = normalize_space(text)
    return (
        cleaned is not None
        and len(cleaned) <= max_length
        and CREDIT_LABELS.match(cleaned) is not None
    )


# ----------------------------------------------------------------------- excerpts

_TRAILING_ELLIPSIS: Final = re.compile(
    r"\s*(?:\[\s*(?:…|\.{2,})\s*\]|\(\s*(?:…|\.{2,})\s*\)|…+|\.{3,})$"
)


def strip_ellipsis(text: str | None) -> str | None:
    """Remove a trailing ellipsis ("…", "...", "[…]", "[...]", "(…)", "(...)").

    Whitespace before it goes too. Returns the normalised text, or ``None`` when
    nothing but the ellipsis was there.

    >>> strip_ellipsis("gave the crime its name. …")
    'gave the crime its name.'
    >>> strip_ellipsis("Лавров заявил [...]")
    'Лавров заявил'
    """
    cleaned = normalize_space(text)
    while cleaned is not None:
        start = _ellipsis_start(cleaned)
        if start is None:
            break
        cleaned = cleaned[:start] or None
    return cleaned


_IN_ELLIPSIS: Final = frozenset(".…[]()")
"""The characters of an ellipsis :data:`_TRAILING_ELLIPSIS` matches, besides whitespace."""


def _ellipsis_start(text: str) -> int | None:
    """Return where :data:`_TRAILING_ELLIPSIS` matches ``text`` first, or None.

    The match is made of dots, ellipses, brackets and whitespace only, so it lies in the
    run of them that ends the text: the pattern is tried from there, not from every
    position of the text (an excerpt took 8 µs).
    """
    start = len(text)
    while start and (text[start - 1] in _IN_ELLIPSIS or text[start - 1].isspace()):
        start -= 1
    if start == len(text):
        return None
    match = _TRAILING_ELLIPSIS.search(text, start)
    return None if match is None else match.start()


# ---------------------------------------------------------------------------- URLs

_URL_CONTROL: Final = re.compile(r"[\t\n\r]")
_URL_SCHEME: Final = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_URL_REPAIRS: Counter[str] = Counter()
"""URL values repaired or dropped in this process (see url_repairs)."""
_NOT_PAGE_SCHEMES: Final = frozenset({"javascript", "mailto", "data", "tel", "sms", "about"})
"""Link values that never lead to a page or file worth keeping."""


def absolute_url(url: str | None, base: str) -> str | None:
    """Return ``url`` joined to ``base``, or ``None`` when it leads nowhere.

    Surrounding whitespace and tabs/newlines inside are removed (as browsers do).
    ``javascript:``, ``mailto:``, ``data:``, ``tel:``, ``sms:`` and ``about:``
    values, fragment-only values ("#", "#top") and empty values give ``None``, and so
    does a value Python cannot parse (a ``[`` or ``]`` in its host), which is counted
    as dropped (:func:`url_repairs`). The query and fragment are kept; nothing is
    re-encoded.

    >>> absolute_url(" /lavrov-said/?p=2 ", "https://jmn.info/policy/")
    'https://jmn.info/lavrov-said/?p=2'
    >>> absolute_url("javascript:void(0)", "https://jmn.info/") is None
    True
    """
    if url is None:
        return None
    cleaned = _URL_CONTROL.sub("", url.strip())
    if not cleaned or cleaned.startswith("#"):
        return None
    if _joins_to_itself(cleaned) and _parses(base):
        return cleaned
    scheme = _URL_SCHEME.match(cleaned)
    if scheme and scheme.group(1).lower() in _NOT_PAGE_SCHEMES:
        return None
    try:
        return urljoin(base, cleaned)
    except ValueError:  # "Invalid IPv6 URL": a "[" or "]" in the host part
        _URL_REPAIRS["dropped"] += 1
        return None


_PLAIN_ABSOLUTE: Final = re.compile(r"https?://[!$&'()*+,\-.0-9=@A-Z_a-z~%:]+(?:[/?#]\S*)?")
"""An absolute http(s) URL written in lower-case scheme, with an ASCII host part that needs
no bracket handling (no IPv6 literal) and no whitespace."""


def _joins_to_itself(url: str) -> bool:
    """Tell whether ``urljoin(base, url)`` is ``url`` for every ``base``: a plain absolute
    http(s) URL (:data:`_PLAIN_ABSOLUTE`) that ``urlunparse(urlparse(url))`` gives back
    unchanged. That round trip, which urljoin makes when both URLs share a scheme, drops
    an empty query ("?" with nothing after it), an empty fragment ("#" last) and an empty
    ``;`` parameter, so URLs with a ``;``, or a ``?`` or ``#`` with nothing after it, are
    left to urljoin. (Nearly every link of a page is such a URL: the join, two parses and
    an unparse, was most of the cost of cleaning it.)
    """
    if ";" in url or _PLAIN_ABSOLUTE.fullmatch(url) is None:
        return False
    head, hash_sign, fragment = url.partition("#")
    if hash_sign and not fragment:
        return False
    _path, question, query = head.partition("?")
    return not (question and not query)


@lru_cache(maxsize=256)
def _parses(base: str) -> bool:
    """Tell whether urljoin can parse ``base`` (a page's URL: the same for all its links)."""
    try:
        urlparse(base)
    except ValueError:
        return False
    return True


_RECORD_URL: Final = re.compile(r"https?://[^\s/?#]++\S*+")
"""The schema's ``http_url`` pattern. Possessive: backtracking between the host and the rest
made a failed match quadratic (a 50 KB URL with a space near its end: 0.7 s)."""
_ORIGIN: Final = re.compile(r"https?://[^\s/?#]+(?=[/?#]|$)")
"""Scheme and host of a URL, when they are fine: only what follows them is repaired."""
_UNSAFE_IN_URL: Final = re.compile(r"[\s\x00-\x1f\x7f]")
"""What a URL of a record may not hold and percent-encoding repairs: whitespace (every
Unicode space) and control characters."""
_AUTHORITY: Final = re.compile(r"https?://([^/?#]*)")
"""The authority of an http(s) URL: user information, host and port."""
_HOST_AND_PORT: Final = re.compile(r"[^:@\[\]]+(?::([0-9]{1,5}))?")
"""An authority that is a host name, maybe with a port of ASCII digits (most URLs; a
crawl with ``--base-url`` puts a port in every one): it is parsed only otherwise."""


_MAX_PORT: Final = 65535


def _has_host_and_port(url: str) -> bool:
    """Tell whether the http(s) ``url`` has a host and, when it names a port, a valid one
    (ASCII digits, 0 to 65535), as the WHATWG URL parser requires: a link such as
    ``//javascript:alert(1)`` joins to ``https://javascript:alert(1)``, whose "port" is
    ``alert(1)``, and a browser makes no URL of it, nor of port 99999."""
    authority = _AUTHORITY.match(url)
    if authority is None:
        return False
    if simple := _HOST_AND_PORT.fullmatch(authority.group(1)):
        port = simple.group(1)
        return port is None or int(port) <= _MAX_PORT  # a host name, maybe with a port
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not one
    except ValueError:
        return False
    return bool(parts.hostname)


def url_repairs() -> Counter[str]:
    """Return this process's counts of URL values :func:`record_url` repaired
    (``"repaired"``) or dropped (``"dropped"``), with those :func:`absolute_url` could
    not parse. The counts only grow."""
    return _URL_REPAIRS


def record_url(url: str | None) -> str | None:
    """Return ``url`` as a record may hold it (an absolute http(s) URL with a host, a valid
    port if any, and no whitespace), percent-encoding whitespace and control characters;
    None when it cannot be one. Each repair and each drop is counted (:func:`url_repairs`).

    Non-ASCII characters are kept as they are (IRIs), like :func:`absolute_url` keeps them.

    >>> record_url("https://jmn.info/a b.jpg")
    'https://jmn.info/a%20b.jpg'
    >>> record_url("https://jmn.info/лавров/")
    'https://jmn.info/лавров/'
    >>> record_url("ftp://jmn.info/a") is None
    True
    >>> record_url("https://jmn.info:99999/a") is None
    True
    """
    if url is None:
        return None
    if _RECORD_URL.fullmatch(url):
        if _has_host_and_port(url):
            return url
        _URL_REPAIRS["dropped"] += 1
        return None
    origin = _ORIGIN.match(url)
    rest = url[origin.end() :] if origin else ""
    repaired = origin.group() + _UNSAFE_IN_URL.sub(_percent_encode, rest) if origin else url
    if repaired != url and _RECORD_URL.fullmatch(repaired) and _has_host_and_port(repaired):
        _URL_REPAIRS["repaired"] += 1
        return repaired
    _URL_REPAIRS["dropped"] += 1
    return None


def _percent_encode(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


# --------------------------------------------------------------------- lists, names


def unique(values: Iterable[str | None]) -> list[str]:
    """Return the normalised values without empties and case-insensitive repeats.

    The first spelling and the first position of each value win.

    >>> unique(["Syria", " syria ", None, "", "Сирия", "СИРИЯ"])
    ['Syria', 'Сирия']
    """
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        cleaned = normalize_space(value)
        if cleaned is None:
            continue
        key = cleaned.casefold()
        if key not in seen:
            seen.add(key)
            result.append(cleaned)
    return result


_AUTHOR_PREFIX: Final = re.compile(
    r"^(?:(?:(?:written|posted|reported|story)\s+)?by|авторы?|текст|von|par|por)(?:\s*:\s*|\s+|$)",
    re.IGNORECASE,
)
_AUTHOR_SEPARATOR: Final = re.compile(
    r"\s*(?:[,;]\s*(?:(?:and|und|et|и)\s+|&\s*)?|\s(?:and|und|et|и|&)\s)\s*",
    re.IGNORECASE,
)
_AUTHOR_EDGE_PUNCTUATION: Final = " ,;:|"


def split_authors(text: str | None) -> list[str]:
    """Split a byline into author names, in order, without "By" and duplicates.

    Leading "By", "Written by", "Автор:", "Авторы:", "Текст:", "Von", "Par" and
    "Por" are removed; names are split at commas, semicolons and " and ",
    " & ", " и ", " und ", " et ". Role suffixes ("| Reporter") are not
    recognised.

    >>> split_authors("By John Smith and Jane Doe")
    ['John Smith', 'Jane Doe']
    >>> split_authors("Автор: Иван Петров и Анна Сидорова")
    ['Иван Петров', 'Анна Сидорова']
    """
    cleaned = normalize_space(text)
    if cleaned is None:
        return []
    names = []
    for part in _AUTHOR_SEPARATOR.split(cleaned):
        name = _AUTHOR_PREFIX.sub("", part.strip(_AUTHOR_EDGE_PUNCTUATION))
        names.append(name.strip(_AUTHOR_EDGE_PUNCTUATION))
    return unique(names)


_SCHEMA_BOOLEANS: Final = {"true": True, "false": False}
"""schema.org's Boolean values by their name, as pages write them: ``true``, ``"False"``,
``"https://schema.org/True"``."""


def schema_boolean(value: object) -> bool | None:
    """Return the schema.org Boolean ``value`` as True or False, None when it is neither.

    JSON's ``true``/``false``, the names ``True``/``False`` in any case, and their schema.org
    URLs (``http://schema.org/False``) are Booleans; so is a list whose first item is one.
    A number, ``"yes"``, ``"0"`` or anything else says nothing.
    """
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    name = value.strip().casefold()
    for prefix in ("https://schema.org/", "http://schema.org/"):
        name = name.removeprefix(prefix)
    return _SCHEMA_BOOLEANS.get(name)


_MARKUP_TAG: Final = re.compile(r"<(?:[A-Za-z/][^<>]*|!--.*?--)>", re.DOTALL)
"""An HTML start or end tag, or a comment: "<" then a letter or "/" ("<3" and "a < b" are
text)."""
_NAME_AS_URL: Final = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//|www\.", re.IGNORECASE)
"""The start of a value that is a URL, not a name: a scheme and "//", "//" or "www."."""


def structured_name(value: str | None) -> str | None:
    """Return a name as structured data (a JSON-LD ``name``) gives it as byline text, for
    :func:`split_authors` and the like; None for a value that is a URL or leaves nothing.

    Some sites put markup in the value: its tags are removed and, since the value is then
    HTML, its character references decoded. A value that is a URL (a profile page given as
    the name) names nobody: splitting it at "/" and ":" would make "https", the domain and
    the path's words into names. Whitespace is normalised.

    >>> structured_name("<a href='/author/dvolkov/'>Dmitry Volkov</a>")
    'Dmitry Volkov'
    >>> structured_name("https://news.example/author/anna-smith/") is None
    True
    """
    cleaned = normalize_space(value)
    if cleaned is not None and "<" in cleaned:
        stripped = _MARKUP_TAG.sub(" ", cleaned)
        if stripped != cleaned:
            cleaned = normalize_space(html.unescape(stripped))
    if cleaned is None or _NAME_AS_URL.match(cleaned):
        return None
    return cleaned


# --------------------------------------------------------------------------- dates

_ISO_DATETIME: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?"
)
"""ISO 8601 / RFC 3339 calendar dates and date-times, the forms of
``article:published_time``, JSON-LD and ``<time datetime>``."""

_RFC_2822_DATETIME: Final = re.compile(
    r"(?:[a-z]{3},\s*)?\d{1,2}\s+[a-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[+-]\d{4}|ut|utc|gmt|z|[ecmp][sd]t))?",
    re.IGNORECASE,
)
"""RFC 2822 dates of RSS feeds, with English names and a zone that the standard
library knows; other zone names are left to dateparser."""

_MAX_DATE_LENGTH: Final = 200
"""Longer text is not a date string: it is not parsed at all."""

_REQUIRED_DATE_PARTS: Final = frozenset({"month", "day"})
"""A result must name its day: "March 2016" or "2016" alone is not a date."""

_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July")
_MONTHS_LATE: Final = ("August", "September", "October", "November", "December")
_MONTH_NUMBERS: Final = {
    **{name: number for number, name in enumerate((*_MONTHS, *_MONTHS_LATE), 1)},
    **{name[:3]: number for number, name in enumerate((*_MONTHS, *_MONTHS_LATE), 1)},
}
_MONTH_DAY_YEAR: Final = re.compile(
    rf"(?P<month>{'|'.join(_MONTH_NUMBERS)}) (?P<day>[1-9]|[12][0-9]|3[01]),"
    r" (?P<year>(?:19|20)[0-9]{2})"
)
"""An English calendar date as sites show it ("March 21, 2016", "Mar 21, 2016"): month name
or its three-letter abbreviation, day, comma, year (1900-2099)."""
_AGO: Final = re.compile(
    r"(?P<amount>[1-9][0-9]{0,3}|0|an?) (?P<unit>second|minute|hour|day|week)s? ago",
    re.IGNORECASE | re.ASCII,
)
"""An English relative date as sites show it ("2 hours ago", "a day ago", "11 Days Ago"):
a whole number (or "a", "an") of seconds, minutes, hours, days or weeks before now."""


class DateParser:
    """Parse the date strings of one site into timezone-aware datetimes.

    ISO 8601 / RFC 3339 strings and RFC 2822 feed dates are parsed by the
    standard library. Naive values are taken in the site's ``timezone``; values
    with an offset keep it. Anything else goes to ``dateparser`` with the site's
    ``languages`` (tried in the order given, so the first decides "03/04/2016"),
    the site timezone and a preference for past dates. Relative dates ("2 hours
    ago", "вчера") and dates without a year count from ``now`` in site time.
    Results without a day ("March 2016", "a month ago") are rejected.

    ``dateparser.DateDataParser`` fixes its settings, ``RELATIVE_BASE`` included,
    when it is built, and its ``get_date_data`` takes no settings (dateparser
    1.5.0). So an instance holds one ``DateDataParser`` for the latest ``now``
    (to the second) and builds a new one when ``now`` changes, which costs about
    60 µs against about 1 ms for a dateparser parse.

    >>> from datetime import UTC, datetime
    >>> moscow = DateParser(["en", "ru"], "Europe/Moscow")
    >>> now = datetime(2016, 3, 25, 9, 0, tzinfo=UTC)
    >>> moscow.parse("March 24, 2016", now).isoformat()
    '2016-03-24T00:00:00+03:00'
    >>> moscow.parse("2 hours ago", now).isoformat()
    '2016-03-25T10:00:00+03:00'
    """

    def __init__(self, languages: Sequence[str], timezone: str) -> None:
        self.languages: tuple[str, ...] = tuple(languages)
        self.timezone: str = timezone
        self._zone = ZoneInfo(timezone)
        self._relative_base: datetime | None = None
        self._parser: DateDataParser | None = None
        self._dateparser_zone: tzinfo | None = None

    def __repr__(self) -> str:
        return f"DateParser({list(self.languages)!r}, {self.timezone!r})"

    def parse(self, text: str | None, now: datetime) -> datetime | None:
        """Return the aware datetime that ``text`` names, or ``None``; never raises.

        ``now`` is the moment the page was fetched; a naive ``now`` is taken as UTC.
        """
        cleaned = normalize_space(text)
        if cleaned is None or len(cleaned) > _MAX_DATE_LENGTH:
            return None
        try:
            if _ISO_DATETIME.fullmatch(cleaned):
                return self._parse_iso(cleaned)
            if _RFC_2822_DATETIME.fullmatch(cleaned):
                parsed = self._parse_rfc_2822(cleaned)
                if parsed is not None:
                    return parsed
            if self.languages[:1] == ("en",):
                if match := _MONTH_DAY_YEAR.fullmatch(cleaned):
                    parsed = self._parse_month_day_year(match)
                    if parsed is not None:
                        return parsed
                elif match := _AGO.fullmatch(cleaned):
                    parsed = self._parse_ago(match, now)
                    if parsed is not None:
                        return parsed
            return self._parse_natural(cleaned, now)
        except Exception:  # dateparser raises assorted errors on odd input
            return None

    def _localize(self, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=self._zone)

    def _parse_iso(self, text: str) -> datetime | None:
        try:
            return self._localize(datetime.fromisoformat(text.upper().replace(",", ".")))
        except ValueError:  # "2016-02-30", "0000-00-00 00:00:00"
            return None

    def _parse_rfc_2822(self, text: str) -> datetime | None:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):  # not English month or day names
            return None
        if parsed.tzinfo is None and text.endswith("-0000"):
            return parsed.replace(tzinfo=UTC)  # "-0000" is UTC (RFC 2822 3.3)
        return self._localize(parsed)

    def _parse_month_day_year(self, match: re.Match[str]) -> datetime | None:
        """Return what dateparser gives for an English "Month D, YYYY" date (English first
        among the site's languages): that day at midnight, localised in the site's timezone
        by dateparser's own timezone object, with its offset as a fixed one (as
        :meth:`_parse_natural` hands it back). None for a day the month does not have
        (dateparser then decides). A dateparser parse costs about a millisecond."""
        month = _MONTH_NUMBERS[match["month"]]
        try:
            midnight = datetime(int(match["year"]), month, int(match["day"]))
        except ValueError:
            return None
        offset = self._dateparser_localize(midnight).utcoffset()
        if offset is None:
            return None
        return midnight.replace(tzinfo=timezone(offset))

    def _dateparser_timezone(self) -> tzinfo:
        """Return the site's timezone as dateparser makes it (a pytz zone, as a rule)."""
        zone = self._dateparser_zone
        if zone is None:
            zone = self._dateparser_zone = get_timezone_from_tz_string(self.timezone)
        return zone

    def _dateparser_localize(self, naive: datetime) -> datetime:
        """Return ``naive`` localised in the site's timezone as dateparser's
        ``localize_timezone`` does it (pytz's ``localize``, whose offset then stays fixed)."""
        zone = self._dateparser_timezone()
        if hasattr(zone, "localize"):
            return zone.localize(naive)  # type: ignore[no-any-return]
        return naive.replace(tzinfo=zone)

    def _parse_ago(self, match: re.Match[str], now: datetime) -> datetime | None:
        """Return what dateparser gives for an English "N units ago" date (English first
        among the site's languages): the relative base (``now`` in site time, to the second)
        localised by dateparser's own timezone object, less N units, with the base's offset
        as a fixed one (dateparser's freshness parser adds the units to the localised base
        and keeps its offset; :meth:`_parse_natural` hands the offset back fixed). None when
        the site's timezone is not a named zone that dateparser reads as such."""
        if "local" in self.timezone.lower():
            return None  # dateparser reads such a zone setting as the machine's zone
        amount = match["amount"].lower()
        count = 1 if amount in ("a", "an") else int(amount)
        unit = match["unit"].lower()
        base = self._base_of(now)
        localized = self._dateparser_localize(base)
        offset = localized.utcoffset()
        if offset is None:
            return None
        return (base - timedelta(**{f"{unit}s": count})).replace(tzinfo=timezone(offset))

    def _base_of(self, now: datetime) -> datetime:
        """Return the RELATIVE_BASE dateparser is given for ``now``: site time, naive, to
        the second."""
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        # A naive RELATIVE_BASE is read in TIMEZONE; an aware one makes dateparser
        # 1.5.0 return relative dates ("2 hours ago") in UTC and miss bare times.
        return now.astimezone(self._zone).replace(tzinfo=None, microsecond=0)

    def _date_data_parser(self, now: datetime) -> DateDataParser:
        base = self._base_of(now)
        parser = self._parser
        if parser is None or base != self._relative_base:
            parser = DateDataParser(
                languages=list(self.languages),
                use_given_order=True,
                settings={
                    "TIMEZONE": self.timezone,
                    "RETURN_AS_TIMEZONE_AWARE": True,
                    "RELATIVE_BASE": base,
                    "PREFER_DATES_FROM": "past",
                },
            )
            self._parser, self._relative_base = parser, base
        return parser

    def _parse_natural(self, text: str, now: datetime) -> datetime | None:
        data = self._date_data_parser(now).get_date_data(text)
        parsed = data.date_obj
        if parsed is None or not _REQUIRED_DATE_PARTS.issubset(data.parts):
            return None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=self._zone)
        offset = parsed.utcoffset()
        return parsed.replace(tzinfo=timezone(offset)) if offset is not None else parsed


EARLIEST_DATE: Final = datetime(1600, 1, 1, tzinfo=UTC)
"""The earliest publication or modification date a page can carry. The first printed
newspapers appeared in the early 17th century (1605), and archives put their digitised
issues online under those dates; nothing older is news, while year 1 ("0001-01-01", a
database's empty date) and dates before the common era are placeholders or misreadings."""

LATEST_AFTER_CRAWL: Final = timedelta(hours=14)
"""How far after the crawl time a page's date may be. A page cannot be published, nor
modified, after it was fetched, but its date can read later than it was: many sites write
their local time with a wrong offset (Moscow time labelled ``+00:00`` reads three hours
late), and an hourly crawl fetches a new page within minutes. No local time is more than
14 hours ahead of UTC, so no mislabelled offset moves a true date further; "in 3 days", or
a year that is wrong, does."""


def plausible_date(value: datetime | None, now: datetime) -> datetime | None:
    """Return ``value`` when a page fetched at ``now`` can carry it as its publication or
    modification date (from :data:`EARLIEST_DATE` to :data:`LATEST_AFTER_CRAWL` after
    ``now``, both included), else None. A naive ``value`` or ``now`` is taken as UTC.

    >>> from datetime import UTC, datetime
    >>> now = datetime(2016, 3, 25, 9, 0, tzinfo=UTC)
    >>> plausible_date(datetime(2016, 3, 24, 15, 7, tzinfo=UTC), now) is not None
    True
    >>> plausible_date(datetime(2030, 3, 24, 15, 7, tzinfo=UTC), now) is None
    True
    >>> plausible_date(datetime(1, 1, 1, tzinfo=UTC), now) is None
    True
    """
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    crawled = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    try:
        if aware < EARLIEST_DATE or aware - crawled > LATEST_AFTER_CRAWL:
            return None
    except OverflowError:  # the offset moves the value past year 1 or year 9999
        return None
    return value


def format_datetime(value: datetime | None) -> str | None:
    """Format ``value`` as ``YYYY-MM-DDTHH:MM:SS+HH:MM``, or ``None`` for ``None``.

    Seconds precision; the offset is always written (UTC as "+00:00"). A naive
    value is taken as UTC; an offset that is not a whole minute is converted to UTC.

    >>> from datetime import datetime, timedelta, timezone
    >>> format_datetime(datetime(2016, 3, 24, 15, 7, 31, 999, timezone(timedelta(hours=3))))
    '2016-03-24T15:07:31+03:00'
    """
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        value = value.replace(tzinfo=UTC)
    elif offset.seconds % 60 or offset.microseconds:  # not a whole minute
        value = value.astimezone(UTC)
    # A whole-minute offset: isoformat writes it as +HH:MM, and the year with four digits.
    return value.isoformat(timespec="seconds")


# ------------------------------------------------------------------------ language

_LANGUAGE_SAMPLE_CHARS: Final = 300
"""The identifier reads at most this much text. Its cost grows with the sample; on the
232 bodies of the real-page benchmark (``bench/quality.py``) a 200-character sample already
gave the same languages as 500 characters."""

_SCRIPT_SAMPLE_LETTERS: Final = 200

_LABEL_TO_ISO_639_1: Final = {
    "ary": "ar",
    "arz": "ar",
    "hbo": "he",
    "grc": "el",
    "uzs": "uz",
    "wuu": "zh",
    "yue": "zh",
}
"""py3langid labels without an ISO 639-1 code that fold into a language that has one."""

_SCRIPT_LANGUAGES: Final[dict[str, tuple[str, ...]]] = {
    "LATIN": ("sr", "uz", "ku", "kk", "az"),  # besides every language not listed below
    "CYRILLIC": ("ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "mn", "tg", "tt", "ba", "uz"),
    "ARABIC": ("ar", "fa", "ur", "ps", "ug", "ku"),
    "HEBREW": ("he",),
    "GREEK": ("el",),
    "ARMENIAN": ("hy",),
    "GEORGIAN": ("ka",),
    "DEVANAGARI": ("hi", "mr", "ne", "sa"),
    "BENGALI": ("bn", "as"),
    "GURMUKHI": ("pa",),
    "GUJARATI": ("gu",),
    "ORIYA": ("or",),
    "TAMIL": ("ta",),
    "TELUGU": ("te",),
    "KANNADA": ("kn",),
    "MALAYALAM": ("ml",),
    "SINHALA": ("si",),
    "THAI": ("th",),
    "LAO": ("lo",),
    "KHMER": ("km",),
    "MYANMAR": ("my",),
    "ETHIOPIC": ("am",),
    "TIBETAN": ("dz",),
    "CJK": ("zh", "ja"),
    "HIRAGANA": ("ja",),
    "KATAKANA": ("ja",),
    "KATAKANA-HIRAGANA": ("ja",),
    "HANGUL": ("ko",),
}
"""Scripts (the first word of a letter's Unicode name) and the languages written in them."""


def _invert(script_languages: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    scripts: dict[str, set[str]] = {}
    for script, languages in script_languages.items():
        for language in languages:
            scripts.setdefault(language, set()).add(script)
    return {language: frozenset(names) for language, names in scripts.items()}


_LANGUAGE_SCRIPTS: Final = _invert(_SCRIPT_LANGUAGES)
_LATIN_ONLY: Final = frozenset({"LATIN"})


@cache
def _language_identifier() -> LanguageIdentifier:
    """The py3langid model with probabilities, loaded once on first use (a few ms from the
    uncompressed copy of ``langid_model``, ~0.6 s the first time); its features are counted
    by ``langid_walk`` (same counts, several times faster)."""
    import numpy as np

    from newscrawl.extraction.langid_model import load_model
    from newscrawl.extraction.langid_walk import FastLanguageIdentifier

    ptc, pc, classes, nextmove, row, output = load_model()
    return FastLanguageIdentifier(
        np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=True, tk_row=row
    )


@lru_cache(maxsize=4096)
def _script_of(char: str) -> str:
    if char < "\x80":
        return "LATIN"
    return unicodedata.name(char, "").partition(" ")[0]


_NOT_ASCII_LETTERS: Final = bytes(b for b in range(128) if not chr(b).isalpha())
"""The ASCII characters that are not letters (``str.isalpha``)."""
_CYRILLIC_BLOCK: Final = re.compile("[\u0400-\u04ff]+")
"""The Cyrillic block: every letter in it is named CYRILLIC (``_script_of``)."""


def _dominant_script(sample: str, min_letters: int) -> tuple[int, str | None]:
    """Count the letters of ``sample`` (as many as needed) and name their main script.

    The script is ``None`` when no known script has more than half the letters.
    """
    wanted = max(min_letters, _SCRIPT_SAMPLE_LETTERS)
    if sample.isascii():  # where the letters are A-Z and a-z: counted in C
        count = min(len(sample.encode("ascii").translate(None, _NOT_ASCII_LETTERS)), wanted)
        return count, "LATIN" if count else None
    letters = "".join(islice(filter(str.isalpha, sample), wanted))
    if not letters:
        return 0, None
    if letters.isascii():
        return len(letters), "LATIN"
    # More than half the letters in one script: that script, whatever the others are.
    # ASCII letters are Latin, and the letters of the Cyrillic block are Cyrillic.
    if len(letters.encode("ascii", "ignore")) * 2 > len(letters):
        return len(letters), "LATIN"
    if (len(letters) - len(_CYRILLIC_BLOCK.sub("", letters))) * 2 > len(letters):
        return len(letters), "CYRILLIC"
    script, count = Counter(map(_script_of, letters)).most_common(1)[0]
    known = script in _SCRIPT_LANGUAGES
    return len(letters), script if known and count * 2 > len(letters) else None


_PREFER_WITHIN: Final = 5
"""How far down the model's ranking a site's own language may be and still win."""


def _iso_code(label: str) -> str | None:
    code = _LABEL_TO_ISO_639_1.get(label, label)
    return code if len(code) == 2 else None


def _written_in(language: str, script: str | None) -> bool:
    return script is None or script in _LANGUAGE_SCRIPTS.get(language, _LATIN_ONLY)


@cache
def _answered_scripts() -> frozenset[str]:
    """The scripts in which :func:`detect_language` always names a language (given enough
    letters): those that some language of the model with an ISO 639-1 code is written in."""
    codes = {_iso_code(label) for label in _language_identifier().nb_classes}
    return frozenset(
        script
        for script in (*_SCRIPT_LANGUAGES, "LATIN")
        if any(code is not None and _written_in(code, script) for code in codes)
    )


_FIRST_READ: Final = _LANGUAGE_SAMPLE_CHARS + 20
"""Characters normalised first for a language sample: enough, unless spaces run long."""


def _language_sample(text: str | None) -> str | None:
    """Return the first 300 characters of the text normalised (:func:`normalize_space`) from
    ``text``'s first 1,200, which the language is told from; None when nothing is left.

    Normalising a prefix of a text gives a prefix of the text normalised (runs of spaces
    are collapsed and invisible characters dropped one by one; a word cut at the end is a
    prefix of the word). So when the text's first characters give a sample that long,
    the rest need not be read (normalising 1,200 characters took more time than the
    script count).
    """
    if not text:
        return normalize_space(text)
    if len(text) > _FIRST_READ:
        first = normalize_space(text[:_FIRST_READ])
        if first is not None and len(first) >= _LANGUAGE_SAMPLE_CHARS:
            return first[:_LANGUAGE_SAMPLE_CHARS]
    cleaned = normalize_space(text[: _LANGUAGE_SAMPLE_CHARS * 4])
    return cleaned[:_LANGUAGE_SAMPLE_CHARS] if cleaned is not None else None


def language_differs(text: str | None, language: str, min_chars: int = 12) -> bool:
    """Tell, from the script of its letters alone, that :func:`detect_language` (with the
    same ``min_chars`` and any ``prefer``) is sure to name a language for ``text``, and one
    other than ``language``; False when only the model could tell.

    :func:`detect_language` names a language written in the main script of the letters it
    reads (when one script has most of them), and always names one when the model knows a
    language written in that script. So text that reads as Cyrillic is in a language other
    than English, whatever the model says, and the model need not run.

    >>> language_differs("Лавров рассказал, о чем договорились Путин с Керри", "en")
    True
    >>> language_differs("Lavrov said what Putin agreed with Kerry", "ru")
    True
    >>> language_differs("Lavrov said what Putin agreed with Kerry", "de")
    False
    """
    sample = _language_sample(text)
    if sample is None:
        return False
    letters, script = _dominant_script(sample, min_chars)
    if letters < min_chars or script is None or _written_in(language, script):
        return False
    return script in _answered_scripts()


def detect_language(
    text: str | None, min_chars: int = 12, prefer: Sequence[str] = ()
) -> str | None:
    """Return the ISO 639-1 code of the language of ``text``, or ``None``.

    Text with fewer than ``min_chars`` letters gives ``None``. The py3langid model
    reads the first 300 characters. When most letters are of one script and the
    model's best guess is a language not written in it (or has no ISO 639-1
    code), the best-ranked language written in that script wins instead. ``prefer``
    names the languages a site publishes in: when the best guess is not one of them
    but one of them, in the same script, is among the model's top five, it wins (short
    Russian titles are often guessed as Bulgarian or Macedonian).

    >>> detect_language("Лавров рассказал, о чем договорились Путин с Керри")
    'ru'
    >>> detect_language("Lavrov said what Putin agreed with Kerry")
    'en'
    >>> detect_language("Kerry") is None
    True
    """
    sample = _language_sample(text)
    if sample is None:
        return None
    letters, script = _dominant_script(sample, min_chars)
    if letters < min_chars:
        return None
    identifier = _language_identifier()
    ranking: list[tuple[str, float]] | None = None
    best = _iso_code(identifier.classify(sample)[0])
    if prefer and best not in prefer:
        ranking = identifier.rank(sample)
        for label, _probability in ranking[:_PREFER_WITHIN]:
            code = _iso_code(label)
            if code in prefer and _written_in(code, script):
                return code
    if best is not None and _written_in(best, script):
        return best
    for label, _probability in ranking or identifier.rank(sample):
        code = _iso_code(label)
        if code is not None and _written_in(code, script):
            return code
    return None
