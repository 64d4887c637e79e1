"""newscrawl.discovery: start URLs, site names, scope, URL shapes, feeds and sitemaps."""

from __future__ import annotations

import pytest
from parsel import Selector

from newscrawl.discovery import (
    BadStartUrl,
    Scope,
    feed_links,
    looks_like_url,
    page_links,
    registrable_domain,
    robots_sitemaps,
    site_key,
    start_url,
    url_shape,
)
from newscrawl.names import check_name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://Portal.example", "https://portal.example/"),
        ("http://portal.example:80/news/", "http://portal.example/news/"),
        ("http://127.0.0.1:8000/?x=1", "http://127.0.0.1:8000/?x=1"),
        ("https://portal.example/a#top", "https://portal.example/a"),
    ],
)
def test_start_url_is_normalised(value: str, expected: str) -> None:
    assert start_url(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("portal.example", "write it with its scheme, e.g. https://portal.example"),
        ("ftp://portal.example/", "only http:// and https:// URLs"),
        ("file:///etc/passwd", "only http:// and https:// URLs"),
        ("https://", "has no host name"),
        ("https://user:secret@portal.example/", "user name or password"),
        ("http://portal.example:99999/", "is not a valid URL"),
        ("http://portal.example:0/", "port 0"),
    ],
)
def test_bad_start_urls_say_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(BadStartUrl, match=message.replace("?", r"\?")):
        start_url(value)


@pytest.mark.parametrize(
    ("value", "is_url"),
    [
        ("jmn", False),
        ("my-portal_2", False),
        ("../../x", False),
        ("/tmp/x", False),
        (".hidden", False),
        ("jmn.info", True),
        ("jmn.info/news/", True),
        ("localhost:8000", True),
        ("https://x/", True),
        ("ftp://x/", True),
    ],
)
def test_profile_names_never_look_like_urls(value: str, is_url: bool) -> None:
    assert looks_like_url(value) is is_url


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://www.portal.example/", "www_portal_example"),
        ("http://www.portal.example/", "www_portal_example"),
        ("http://127.0.0.1:8000/", "127_0_0_1_8000"),
        ("https://xn--80ak6aa92e.com/", "xn--80ak6aa92e_com"),
        ("https://пример.рф/", "xn--e1afmkfd_xn--p1ai"),
    ],
)
def test_site_key_is_a_valid_site_name_made_from_the_host(url: str, name: str) -> None:
    assert site_key(url) == name
    assert check_name("site", site_key(url)) == name


def test_different_hosts_get_different_site_names() -> None:
    hosts = ["a-b.example", "a.b.example", "ab.example", "a.b-example"]
    names = {site_key(f"https://{h}/") for h in hosts}
    ports = {site_key("http://127.0.0.1:8000/"), site_key("http://127.0.0.1:8001/")}
    assert len(names) == len(hosts)
    assert len(ports) == 2


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.portal.example.co.uk", "example.co.uk"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("portal.github.io", "portal.github.io"),  # a private suffix of the list
        ("www.portal.example", "portal.example"),  # a suffix the list does not know: one label
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domain_from_the_bundled_public_suffix_list(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_scope_is_the_host_and_port() -> None:
    scope = Scope("https://www.portal.example/news/")
    assert scope.contains("https://www.portal.example/2026/a/")
    assert scope.contains("http://www.portal.example/a/")  # same host, other scheme
    assert not scope.contains("https://news.portal.example/a/")
    assert not scope.contains("https://portal.example/a/")
    assert not scope.contains("https://www.portal.example:8443/a/")
    assert not scope.contains("https://www.portal.example.evil.example/a/")
    assert not scope.contains("ftp://www.portal.example/a")
    assert not Scope("http://127.0.0.1:8000/").contains("http://127.0.0.1:8001/")


@pytest.mark.parametrize(
    "url",
    [
        "http://a@127.0.0.1:8000/2026/12/05/a-story/",
        "http://a:b@127.0.0.1:8000/2026/12/05/a-story/",
        "http://a%2F@127.0.0.1:8000/2026/12/05/a-story/",
        "http://a%40b@127.0.0.1:8000/2026/12/05/a-story/",
        "http://@127.0.0.1:8000/2026/12/05/a-story/",
        "HTTP://A@127.0.0.1:8000/",
    ],
)
@pytest.mark.parametrize("subdomains", [False, True])
def test_a_url_with_user_information_is_never_in_scope(url: str, subdomains: bool) -> None:
    scope = Scope("http://127.0.0.1:8000/", subdomains=subdomains)
    assert scope.contains("http://127.0.0.1:8000/2026/12/05/a-story/")
    assert not scope.contains(url)


def test_scope_with_subdomains_is_the_registrable_domain() -> None:
    scope = Scope("https://www.portal.example.co.uk/", subdomains=True)
    assert scope.domain == "example.co.uk"
    assert scope.contains("https://news.portal.example.co.uk/a/")
    assert scope.contains("https://example.co.uk/a/")
    assert not scope.contains("https://other.co.uk/a/")
    assert not scope.contains("https://notexample.co.uk/a/")
    github = Scope("https://portal.github.io/", subdomains=True)
    assert not github.contains("https://someone-else.github.io/")


@pytest.mark.parametrize(
    ("url", "shape"),
    [
        ("https://p.example/", "listing"),
        ("https://p.example/category/policy/", "listing"),
        ("https://p.example/category/policy/page/3/", "listing"),
        ("https://p.example/tag/g20/", "listing"),
        ("https://p.example/author/ivan-petrov/", "listing"),
        ("https://p.example/news/?page=2", "listing"),
        ("https://p.example/2026/", "listing"),
        ("https://p.example/2026/12/", "listing"),
        ("https://p.example/news/2026/12/05/", "listing"),
        ("https://p.example/2016/01/lavrov-said-1234/", "article"),
        ("https://p.example/news/politics/2026/12/05/budget-passed", "article"),
        ("https://p.example/news/politics/a123456.html", "article"),
        ("https://p.example/news/987654", "article"),
        ("https://p.example/story/20261205-budget", "article"),
        ("https://p.example/the-council-passes-the-budget/", "article"),
        # a listing word two or more segments above an article's slug: the slug decides
        ("https://p.example/autoren/jane-doe/why-the-bridge-closed-again", "article"),
        ("https://p.example/category/politics/the-council-passes-the-budget/", "article"),
        # a listing word right above the last segment, or last: a listing, whatever its slug
        ("https://p.example/tag/why-the-bridge-closed-again/", "listing"),
        ("https://p.example/category/politics/europe/", "listing"),
        ("https://p.example/autoren/jane-doe/", "listing"),
        ("https://p.example/news/archive/", "listing"),
        ("https://p.example/?p=123", "unknown"),
        ("https://p.example/news/", "unknown"),
        ("https://p.example/news/politics/", "unknown"),
        ("https://p.example/about/", "unknown"),
        ("https://p.example/wp-content/uploads/2026/12/photo-1234.jpg", "not-a-page"),
        ("https://p.example/feed/", "not-a-page"),
        ("https://p.example/2026/12/story-1234/feed/", "not-a-page"),
        ("https://p.example/files/report-2026.pdf", "not-a-page"),
        ("https://p.example/wp-login.php?redirect_to=x", "not-a-page"),
    ],
)
def test_url_shape(url: str, shape: str) -> None:
    assert url_shape(url) == shape


HOME = """<html><head>
<link rel="alternate" type="application/rss+xml" title="Feed" href="/feed/">
<link rel="alternate" type="application/atom+xml" href="https://p.example/atom.xml">
<link rel="alternate" type="application/rss+xml" title="Comments Feed" href="/comments/feed/">
<link rel="alternate" hreflang="de" href="https://p.example/de/">
<link rel="alternate" type="application/rss+xml" href="/feed/">
</head><body>
<a href="/news/">News</a> <a href="#top">top</a> <a href="mailto:x@p.example">mail</a>
<a href="https://other.example/x#frag">other</a> <a href="javascript:void(0)">js</a>
</body></html>"""


def test_feed_links_are_the_rss_and_atom_alternates() -> None:
    assert feed_links(HOME, "https://p.example/") == [
        "https://p.example/feed/",
        "https://p.example/atom.xml",
    ]


def test_page_links_are_absolute_http_urls_without_fragments() -> None:
    links = list(page_links(Selector(text=HOME), "https://p.example/"))
    assert links == ["https://p.example/news/", "https://other.example/x"]


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        pytest.param('<base href="/">', "https://p.example/news/x/", id="root"),
        pytest.param('<base href="/world/">', "https://p.example/world/news/x/", id="folder"),
        pytest.param(
            '<base target="_top"><base href="https://other.example/a/">',
            "https://other.example/a/news/x/",
            id="first-with-href-other-host",
        ),
        pytest.param(
            '<base href="javascript:void(0)">',
            "https://p.example/2026/12/05/story/news/x/",
            id="not-http-ignored",
        ),
        pytest.param('<base href="  ">', "https://p.example/2026/12/05/story/news/x/", id="blank"),
    ],
)
def test_relative_links_resolve_against_the_base_href(base: str, expected: str) -> None:
    html = (
        f'<html><head>{base}<link rel="alternate" type="application/rss+xml" href="news/x/">'
        '</head><body><a href="news/x/">x</a><a href="/abs/">abs</a></body></html>'
    )
    url = "https://p.example/2026/12/05/story/"
    assert list(page_links(Selector(text=html), url)) == [expected, _origin(expected) + "/abs/"]
    assert feed_links(html, url) == [expected]


def _origin(url: str) -> str:
    """``scheme://host`` of ``url``."""
    return "/".join(url.split("/")[:3])


def test_robots_sitemaps() -> None:
    robots = b"User-agent: *\nDisallow: /wp-admin/\nSitemap: /sitemap_index.xml\n"
    robots += b"sitemap: https://p.example/news-sitemap.xml\nSitemap: /sitemap_index.xml\n"
    assert robots_sitemaps(robots, "https://p.example/robots.txt") == [
        "https://p.example/sitemap_index.xml",
        "https://p.example/news-sitemap.xml",
    ]
    assert robots_sitemaps(b"User-agent: *\nDisallow:\n", "https://p.example/robots.txt") == []
