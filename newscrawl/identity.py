"""When two pages are the same: one canonical URL and one content fingerprint.

Everything that compares pages uses these: the spider's duplicate filter
(``newscrawl.dupefilters``), the redirect-loop check (``newscrawl.middlewares``), the dedup
pipeline and the state store. Nothing here depends on Scrapy.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Sequence
from functools import lru_cache
from typing import Final
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import safe_url_string

TRACKING_PARAMS: Final[frozenset[str]] = frozenset(
    {
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "utm_id",
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "ysclid",
        "_openstat",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "igshid",
        "_hsenc",
        "_hsmi",
    }
)
"""Query parameters (lowercase) that only track a visit; any other ``utm_*`` too.

``ref``, ``amp``, ``page``, ``id`` and the like are kept: they can change the page.
"""

SESSION_PARAMS: Final[frozenset[str]] = frozenset(
    {
        "jsessionid",
        "phpsessid",
        "sessionid",
        "session_id",
        "cfid",
        "cftoken",
        "oscsid",
        "zenid",
    }
)
"""Query parameters (lowercase) that carry a visitor's session id; ``ASPSESSIONID*`` too.

A site that puts one in every link gives each visit new URLs for the same pages: kept, every
page fetched would link to pages not fetched yet, and the crawl would write one article
under as many URLs as it has pages left in its budget. ``sid`` is not one of them: some
portals name their stories with it (``article.pl?sid=...``).
"""

_PATH_SESSION: Final = re.compile(r";jsessionid=[^/;?]*", re.IGNORECASE)
"""A Java servlet's session id in the path (``/a/;jsessionid=0A1B``), dropped as
``SESSION_PARAMS`` are from the query."""

_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}
_PERCENT_ESCAPE: Final = re.compile(r"%[0-9a-f]{2}", re.IGNORECASE)
_UNRESERVED: Final = frozenset(string.ascii_letters + string.digits + "-._~")
"""Characters RFC 3986 (section 2.3) calls unreserved: escaped or not, they mean the same."""


def is_tracking_param(name: str) -> bool:
    """Tell whether a query parameter name only tracks the visit or the visitor's session
    (:data:`TRACKING_PARAMS`, :data:`SESSION_PARAMS`).

    >>> is_tracking_param("UTM_Source"), is_tracking_param("utm_whatever"), is_tracking_param("ref")
    (True, True, False)
    >>> is_tracking_param("PHPSESSID"), is_tracking_param("ASPSESSIONIDQQGGGQDA")
    (True, True)
    """
    lowered = name.lower()
    return (
        lowered in TRACKING_PARAMS
        or lowered in SESSION_PARAMS
        or lowered.startswith(("utm_", "aspsessionid"))
    )


def _normalize_netloc(netloc: str, scheme: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):  # IPv6 literal: the port follows the bracket
        host, _, rest = hostport.partition("]")
        host += "]"
        port = rest.removeprefix(":")
    else:
        host, _, port = hostport.partition(":")
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    return f"{userinfo}{at}{host.lower()}{':' if port else ''}{port}"


def _normalize_escapes(text: str) -> str:
    """Return ``text`` with its escapes of unreserved characters decoded and the others
    upper-cased (RFC 3986, sections 6.2.2.1 and 6.2.2.2).

    >>> _normalize_escapes("%64edup%2Dtarget%7e%2f%c3%a9")
    'dedup-target~%2F%C3%A9'
    """

    def normalize(match: re.Match[str]) -> str:
        char = chr(int(match.group(0)[1:], 16))
        return char if char in _UNRESERVED else match.group(0).upper()

    return _PERCENT_ESCAPE.sub(normalize, text)


def _remove_dot_segments(path: str) -> str:
    """Return an absolute ``path`` with its ``.`` and ``..`` segments resolved, as RFC 3986
    (section 5.2.4) resolves them; ``..`` never climbs above the root. Any other path
    comes back as it is.

    >>> _remove_dot_segments("/2024/05/./a/../b/.."), _remove_dot_segments("/../a/.")
    ('/2024/05/', '/a/')
    """
    if not path.startswith("/"):
        return path
    segments = path.split("/")[1:]
    kept: list[str] = []
    for index, segment in enumerate(segments):
        if segment in (".", ".."):
            if segment == ".." and kept:
                kept.pop()
            if index == len(segments) - 1:  # "/a/." and "/a/b/.." name the folder "/a/"
                kept.append("")
        else:
            kept.append(segment)
    return "/" + "/".join(kept)


def _drop_tracking_params(query: str) -> str:
    kept = [
        pair
        for pair in query.split("&")
        if pair and not is_tracking_param(unquote_plus(pair.partition("=")[0]))
    ]
    return "&".join(kept)


@lru_cache(maxsize=65536)  # a crawl asks about the same URLs from every entry point
def canonicalize_url(url: str) -> str:
    """Return one stable form of ``url`` for deciding whether two URLs are the same page.

    Percent-encoding is made safe by ``w3lib.url.safe_url_string`` (non-ASCII
    quoted, IDN hosts in punycode); in the path and the query, escapes of unreserved
    characters (letters, digits, ``-``, ``.``, ``_``, ``~``) are decoded and the other
    escapes are upper-cased, so ``%2F`` stays an escape (RFC 3986, 6.2.2.1-2); the path's
    ``.`` and ``..`` segments are resolved (RFC 3986, 5.2.4); scheme and host are
    lower-cased; the default port and the fragment are dropped; tracking and session
    parameters (see ``TRACKING_PARAMS``, ``SESSION_PARAMS``) are dropped, and so is a
    ``;jsessionid=`` in the path, and the other parameters keep their order; an empty path
    becomes "/". The path's case and trailing slash are kept. A value that cannot be split
    as a URL (a bad port) comes back stripped.

    >>> canonicalize_url("https://JMN.info:443/a/?utm_source=x&id=2#top")
    'https://jmn.info/a/?id=2'
    >>> canonicalize_url("https://jmn.info/a/;jsessionid=0A1B?PHPSESSID=f00&id=2")
    'https://jmn.info/a/?id=2'
    >>> canonicalize_url("https://jmn.info/2024/./%64edup%2Dstory/../b%7e/")
    'https://jmn.info/2024/b~/'
    """
    text = url.strip()
    try:
        text = safe_url_string(text)
        parts = urlsplit(text)
    except ValueError:  # an invalid port or IPv6 literal: not a URL to normalise
        return text
    scheme = parts.scheme.lower()
    netloc = _normalize_netloc(parts.netloc, scheme)
    path = _remove_dot_segments(_normalize_escapes(_PATH_SESSION.sub("", parts.path)))
    if not path and netloc and scheme in _DEFAULT_PORTS:
        path = "/"
    query = _normalize_escapes(_drop_tracking_params(parts.query))
    return urlunsplit((scheme, netloc, path, query, ""))


def request_key(method: str, url: str, body: bytes = b"") -> str:
    """Return the key under which a request counts as already asked for.

    A GET without a body is keyed by its canonical URL alone, so two requests for one page
    (tracking parameters, fragment, host case, default port...) share a key. Any other
    request adds its upper-cased method and the SHA-1 of its body: a HEAD is not the GET of
    the same URL, and two POSTs to one URL with different bodies are different requests.

    >>> request_key("GET", "https://JMN.info/a/?utm_source=x#c")
    'https://jmn.info/a/'
    >>> request_key("post", "https://jmn.info/s", b"q=1")[:29]
    'POST https://jmn.info/s sha1:'
    """
    verb = method.upper()
    canonical = canonicalize_url(url)
    if verb == "GET" and not body:
        return canonical
    digest = hashlib.sha1(body, usedforsecurity=False).hexdigest()
    return f"{verb} {canonical} sha1:{digest}"


# ------------------------------------------------------------------------ identity


def content_fingerprint(headline: str | None, body: Sequence[str]) -> str:
    """Return the SHA-1 hex digest of the headline and paragraphs, case- and space-blind.

    The headline and each non-empty paragraph are whitespace-normalised and
    case-folded, then joined with newlines. Equal text gives an equal digest;
    any change of wording, or of where paragraphs break, gives another.

    >>> content_fingerprint("Lavrov said", ["One.", "Two."]) == content_fingerprint(
    ...     " LAVROV  said", ["One.", "", "Two. "]
    ... )
    True
    """
    # Imported here: newscrawl.extraction imports this module, so importing identity first
    # (the duplicate filter does) would otherwise find extraction half-initialised.
    from newscrawl.extraction.processors import normalize_space

    lines = [normalize_space(headline) or ""]
    lines.extend(line for paragraph in body if (line := normalize_space(paragraph)))
    text = "\n".join(lines).casefold()
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def has_userinfo(url: str) -> bool:
    """Tell whether ``url`` carries user information (a user name, a password, or an empty
    one) before its host. The crawl never fetches such a URL: no spider counts it as on its
    site (``newscrawl.discovery.Scope``, ``PortalSpider.is_onsite``).

    >>> has_userinfo("http://a:b@jmn.info/x"), has_userinfo("http://@jmn.info/")
    (True, True)
    >>> has_userinfo("https://jmn.info/?mail=a@b.example"), has_userinfo("/a@b/")
    (False, False)
    """
    if "@" not in url:
        return False  # nearly every URL: asked of every link of every page
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:  # an invalid IPv6 literal: no host to judge, and none fetched
        return False


def origin_key(url: str) -> tuple[str, str, int] | None:
    """Return ``(scheme, host, port)`` of an http(s) ``url``, the port made explicit; else None.

    >>> origin_key("http://127.0.0.1/a") == origin_key("http://127.0.0.1:80/b")
    True
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or int(_DEFAULT_PORTS[scheme])


def canonical_key(canonical_url: str | None) -> str | None:
    """Return the key (:func:`canonicalize_url`) of the page a record's canonical link
    names, when it can name the record's page: None for no link, and for a site's root
    (a template that gives every page the home page as its canonical link: no article is
    the home page). The dedup pipeline and the state store key pages by it.

    >>> canonical_key("https://JMN.info/a/?utm_source=x")
    'https://jmn.info/a/'
    >>> canonical_key("https://jmn.info") is None
    True
    """
    if not canonical_url:
        return None
    key = canonicalize_url(canonical_url)
    parts = urlsplit(key)
    return None if parts.path in ("", "/") and not parts.query else key
