"""Finding a portal's pages from its address alone: pure helpers, no crawl and no I/O.

``newscrawl crawl URL`` (:class:`newscrawl.spiders.url.UrlSpider`) uses them, and so may
anything else that explores a portal without a profile (``profile suggest``):

- :func:`start_url` checks what a user typed; :func:`site_key` names the portal's state
  and output folder after its host;
- :class:`Scope` says which URLs belong to the portal (its host, or its registrable domain
  with subdomains, from the Public Suffix List bundled with ``tld``: no download);
- :func:`url_shape` guesses from a URL alone whether it is an article, a listing or not a
  page at all;
- :func:`feed_links`, :func:`page_links`, :func:`robots_sitemaps` and
  :data:`SITEMAP_GUESSES` list the entry points a home page and robots.txt name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from newscrawl.identity import has_userinfo, origin_key
from newscrawl.listing_paths import LISTING_SEGMENT, PAGE_NUMBER

Shape = Literal["article", "listing", "unknown", "not-a-page"]

SITEMAP_GUESSES = ("/sitemap.xml", "/sitemap_index.xml")
"""Where a sitemap is looked for when robots.txt names none (paths from the site's root)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


class BadStartUrl(ValueError):
    """The address given is not an http(s) URL of a site; the message says why, in one line."""


_URL_LIKE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://"  # any scheme://
    r"|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:[/?#]|$)"  # host.tld[:port][/...]
    r"|[A-Za-z0-9-]+:\d+(?:[/?#]|$)"  # host:port[/...]
)


def looks_like_url(value: str) -> bool:
    """Tell whether a command-line argument is meant as a URL (``scheme://...``,
    ``host.tld/...``, ``host:port``) rather than a site name (``../x`` is a bad name, not a
    URL).

    >>> looks_like_url("jmn"), looks_like_url("https://jmn.info/"), looks_like_url("jmn.info")
    (False, True, True)
    """
    return _URL_LIKE.match(value.strip()) is not None


def start_url(value: str) -> str:
    """Return the http(s) URL a crawl starts from; raise BadStartUrl saying what is wrong.

    The scheme must be http or https and there must be a host; user names, passwords and
    fragments are refused or dropped (a fragment is not part of a page's address).

    >>> start_url("https://portal.example")
    'https://portal.example/'
    """
    text = value.strip()
    if "://" not in text:
        raise BadStartUrl(f"{value!r} is not a URL: write it with its scheme, e.g. https://{text}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadStartUrl(f"{value!r} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise BadStartUrl(f"{value!r}: only http:// and https:// URLs can be crawled")
    if not parts.hostname:
        raise BadStartUrl(f"{value!r} has no host name")
    if parts.username is not None or parts.password is not None:
        raise BadStartUrl(f"{value!r}: a user name or password in the URL is not supported")
    if port == 0:
        raise BadStartUrl(f"{value!r}: port 0 is not a port a site can be served on")
    netloc = parts.hostname.lower() if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def host_key(url: str) -> tuple[str, int | None] | None:
    """Return ``(host, port)`` of an http(s) ``url``, the port None when it is the scheme's
    default, so that ``http://h/`` and ``https://h/`` are the same host; None for other URLs.

    >>> host_key("https://Portal.example:443/a") == host_key("http://portal.example/b")
    True
    """
    key = origin_key(url)
    if key is None:
        return None
    scheme, host, port = key
    return host, None if port == _DEFAULT_PORTS[scheme] else port


def site_key(url: str) -> str:
    """Return the site name a crawl of ``url`` is kept under (state, output folder, lock):
    its host with ``.`` and ``:`` as ``_``, then ``_<port>`` when the port is not the
    default. Host names hold no ``_``, so two hosts never share a name.

    >>> site_key("https://www.portal.example/news/"), site_key("http://127.0.0.1:8000/")
    ('www_portal_example', '127_0_0_1_8000')
    """
    key = host_key(url)
    if key is None:
        raise BadStartUrl(f"{url!r} is not an http(s) URL")
    host, port = key
    name = re.sub(r"[^a-z0-9-]", "_", host.encode("idna").decode("ascii"))
    return name.strip("_-") + (f"_{port}" if port else "")


def registrable_domain(host: str) -> str:
    """Return the domain under which ``host`` is registered (``news.bbc.co.uk`` ->
    ``bbc.co.uk``), from the Public Suffix List snapshot bundled with ``tld`` (never
    downloaded). A suffix the list does not know counts as one label, as the list's own
    default rule ``*`` says (``www.portal.example`` -> ``portal.example``); an IP address or
    a one-label host (``localhost``) is its own domain.

    >>> registrable_domain("www.portal.example.co.uk"), registrable_domain("127.0.0.1")
    ('example.co.uk', '127.0.0.1')
    """
    from tld import get_fld

    name = host.lower().rstrip(".")
    if _is_ip(name) or "." not in name:
        return name
    found = get_fld(name, fix_protocol=True, fail_silently=True)
    return str(found) if found else ".".join(name.rsplit(".", 2)[-2:])


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Scope:
    """The URLs that belong to a portal started at ``start``.

    Without ``subdomains``: the start URL's host and port (http and https alike). With
    ``subdomains``: any host under its registrable domain (``www.``, ``news.``, ...), on
    the start URL's port. A URL with user information (``http://a@host/``, see
    :func:`~newscrawl.identity.has_userinfo`) is never in scope, whatever its host: a
    start URL may not have one, and a link that does is not followed.
    """

    start: str
    subdomains: bool = False

    @property
    def domain(self) -> str:
        """The host, or the registrable domain with ``subdomains``."""
        host = urlsplit(self.start).hostname or ""
        return registrable_domain(host) if self.subdomains else host.lower()

    def contains(self, url: str) -> bool:
        """Tell whether the crawl may fetch ``url``."""
        if has_userinfo(url):
            return False
        key, home = host_key(url), host_key(self.start)
        if key is None or home is None or key[1] != home[1]:
            return False
        if not self.subdomains:
            return key[0] == home[0]
        domain = self.domain
        return key[0] == domain or key[0].endswith("." + domain)


_NOT_PAGE_EXTENSIONS = re.compile(
    r"\.(?:jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|css|js|json|xml|rss|atom|txt|pdf|docx?|"
    r"xlsx?|pptx?|zip|gz|rar|7z|mp[34]|m4a|wav|ogg|webm|avi|mov|woff2?|ttf|eot)$",
    re.IGNORECASE,
)
_NOT_PAGE_PATHS = re.compile(
    r"(?:^|/)(?:wp-admin|wp-login\.php|wp-json|wp-content|wp-includes|xmlrpc\.php|feed|rss|"
    r"atom|cdn-cgi|login|logout|signin|signup|register|cart|checkout|account|print|amp|"
    r"embed|share|comments?|trackback)(?:/|$)",
    re.IGNORECASE,
)
_PAGE_QUERY = re.compile(r"(?:^|&)(?:page|pg|start)=\d+")
_DATE_PATH = re.compile(r"(?:^|/)(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-]|$)")
_DATE_SLUG = re.compile(r"(?:19|20)\d\d-?(?:0[1-9]|1[0-2])-?(?:0[1-9]|[12]\d|3[01])")
_ID = re.compile(r"(?:^|[-_/.])(?:[a-z]{0,3})\d{4,}(?:[-_.]|$)", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]+")


def url_shape(url: str) -> Shape:
    """Guess what kind of page ``url`` is from its shape alone.

    - ``not-a-page``: files (images, scripts, feeds, PDFs ...), admin, log-in, feed,
      comment and print paths;
    - ``listing``: the site's root, page numbers (``/page/2/``, ``?page=3``), date
      archives (``/2026/``, ``/2026/12/``), and paths of sections, tags, authors, archives
      and search (``/category/x/``, ``/tag/x/``, in the words of
      :mod:`newscrawl.listing_paths`) that carry no article id or date, unless the last
      segment is a slug of four or more words two or more segments below the listing word
      (``/autoren/x/<slug>``);
    - ``article``: a date in the path followed by a slug (``/2026/12/05/lavrov-said``), a
      date or an id of four or more digits in the last segment (``...-123456``,
      ``/a123456.html``), or a last segment that is a slug of four or more words;
    - ``unknown``: anything else, such as ``/news/`` or ``/about/`` (the page type decides
      once it is fetched).

    >>> url_shape("https://p.example/2026/12/lavrov-said-1234/")
    'article'
    >>> url_shape("https://p.example/category/policy/page/2/")
    'listing'
    >>> url_shape("https://p.example/wp-content/uploads/a.jpg")
    'not-a-page'
    """
    parts = urlsplit(url)
    path = parts.path or "/"
    if _NOT_PAGE_EXTENSIONS.search(path) or _NOT_PAGE_PATHS.search(path):
        return "not-a-page"
    segments = [s for s in path.split("/") if s]
    if PAGE_NUMBER.search(path) or _PAGE_QUERY.search(parts.query):
        return "listing"
    if not segments:
        return "unknown" if parts.query else "listing"  # /?p=123 is a WordPress shortlink
    last = segments[-1].rsplit(".", 1)[0] if "." in segments[-1] else segments[-1]
    if all(_DATE_PART.fullmatch(s) for s in segments[-3:] if not s.isalpha()) and all(
        s.isdigit() for s in segments[-2:]
    ):
        return "listing"  # /2026/ or /2026/12/ or /news/2026/12/05/: a date archive
    words = len(_WORDS.findall(last))
    year = _DATE_PART.fullmatch(last) is not None
    if (
        (_DATE_PATH.search(path) and words)
        or _DATE_SLUG.search(last)
        or (_ID.search(last) and not year)
    ):
        return "article"
    if LISTING_SEGMENT.search(path) and (
        words < 4 or LISTING_SEGMENT.search("/" + "/".join(segments[-2:]))
    ):
        return "listing"  # /tag/x/, /category/x/y/; under /autoren/x/ an article's slug wins
    return "article" if words >= 4 else "unknown"


_DATE_PART = re.compile(r"(?:19|20)\d\d|0?[1-9]|[12]\d|3[01]")


_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/xml"}
)


def document_base(selector: Selector, url: str) -> str:
    """Return the URL the relative links of the page at ``url`` resolve against, as a
    browser resolves them: the ``href`` of its first ``<base href>``, itself resolved
    against ``url``, when that gives an http(s) URL; else ``url``.

    A page of ``https://p.example/2026/12/05/story/`` with ``<base href="/">`` links
    ``news/x/`` to ``https://p.example/news/x/``, not to ``.../story/news/x/`` (on a site that
    answers any path, each such link would be a page one level deeper, without end).

    >>> document_base(Selector(text='<base href="/news/">'), "https://p.example/a/b/")
    'https://p.example/news/'
    >>> document_base(Selector(text="<p>no base</p>"), "https://p.example/a/b/")
    'https://p.example/a/b/'
    """
    href = selector.xpath("(//base[@href])[1]/@href").get()
    if href is None or not href.strip():
        return url
    try:
        base = urljoin(url, href.strip())
    except ValueError:
        return url
    return base if base.startswith(("http://", "https://")) else url


def feed_links(html: str, base_url: str) -> list[str]:
    """Return the absolute URLs of the RSS and Atom feeds a page names in ``<link
    rel="alternate" type="application/rss+xml|atom+xml">``, in page order, without repeats
    (comment feeds left out); relative ones are resolved against the page's
    :func:`document_base` (``base_url`` is the page's URL)."""
    selector = Selector(text=html)
    base_url = document_base(selector, base_url)
    found: list[str] = []
    for link in selector.css("link[rel~=alternate][href]"):
        kind = (link.attrib.get("type") or "").split(";")[0].strip().lower()
        href = link.attrib.get("href", "").strip()
        if kind not in _FEED_TYPES or kind == "application/feed+json" or not href:
            continue
        if "comment" in href.lower() or "comment" in (link.attrib.get("title") or "").lower():
            continue
        url = urljoin(base_url, href)
        if url.startswith(("http://", "https://")) and url not in found:
            found.append(url)
    return found


def page_links(selector: Selector, base_url: str) -> Iterator[str]:
    """Yield the absolute http(s) URLs of a page's ``<a href>`` links, fragments removed,
    in page order (repeats included: the crawl's duplicate filter drops them); relative
    ones are resolved against the page's :func:`document_base` (``base_url`` is the page's
    URL)."""
    base_url = document_base(selector, base_url)
    for href in selector.css("a::attr(href)").getall():
        text = href.strip()
        if not text or text.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        try:
            url = urljoin(base_url, text).split("#", 1)[0]
        except ValueError:
            continue
        if url.startswith(("http://", "https://")):
            yield url


def robots_sitemaps(robots_txt: bytes, base_url: str) -> list[str]:
    """Return the sitemap URLs ``Sitemap:`` lines of a robots.txt name, without repeats."""
    from scrapy.utils.sitemap import sitemap_urls_from_robots

    found: list[str] = []
    for url in sitemap_urls_from_robots(robots_txt, base_url=base_url):
        if url.startswith(("http://", "https://")) and url not in found:
            found.append(url)
    return found


__all__ = [
    "SITEMAP_GUESSES",
    "BadStartUrl",
    "Scope",
    "document_base",
    "feed_links",
    "host_key",
    "looks_like_url",
    "page_links",
    "registrable_domain",
    "robots_sitemaps",
    "site_key",
    "start_url",
    "url_shape",
]
