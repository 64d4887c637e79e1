"""A sitemap the crawl cannot read is an entry point lost, and never quietly: end to end.

Each case serves a small site on 127.0.0.1 and crawls it with the real ``newscrawl crawl``
command, once with a profile (``jmn``, through ``--base-url``) and once by URL. A sitemap
past ``DOWNLOAD_MAXSIZE`` (plain: its download stops; a gzip file, or a body sent with
``Content-Encoding: gzip``: its decompression does) or one that is no sitemap at all (a web
page where the profile says a sitemap is) gives one error line naming it, a count in the
report's ``errors``, and a failed request in its error rate.
A crawl by URL's guess at ``/sitemap.xml`` that finds a web page is no fault.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import jmn_crawl_args, newscrawl
from tests.spiders.sites import Answer, Site, html, page

pytestmark = pytest.mark.e2e

LIMIT = 50_000
"""The runs' ``DOWNLOAD_MAXSIZE``: every page of the sites is far under it."""

SETTINGS = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", f"DOWNLOAD_MAXSIZE={LIMIT}"]

ARTICLE = "/2026/12/05/the-council-met-on-tuesday-evening/"


def sitemap(urls: int, base: str = "https://jmn.info") -> bytes:
    """A sitemap of ``urls`` article URLs under ``base``: 2,000 are past :data:`LIMIT`."""
    entries = "".join(f"<url><loc>{base}/2026/12/05/story-{n}/</loc></url>\n" for n in range(urls))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n'
    ).encode()


PACKINGS = ["plain", "gzip", "content-encoding"]
"""How a sitemap past :data:`LIMIT` is sent (:func:`too_large`)."""


def too_large(packing: str, base: str = "https://jmn.info") -> Answer:
    """A sitemap past :data:`LIMIT`: sent as it is (``plain``), or well under it but
    decompressing past it, as a gzip file (``gzip``) or as XML sent with ``Content-Encoding:
    gzip`` (``content-encoding``: Scrapy's HttpCompressionMiddleware decompresses it)."""
    body = sitemap(2000, base)
    assert len(body) > LIMIT
    if packing == "plain":
        return Answer(content_type="application/xml", body=body)
    packed = gzip.compress(body)
    assert len(packed) < LIMIT
    if packing == "content-encoding":
        return Answer(
            content_type="application/xml", body=packed, headers={"Content-Encoding": "gzip"}
        )
    return Answer(content_type="application/x-gzip", body=packed)


def feed(url: str) -> bytes:
    """An RSS 2.0 feed of the article at ``url``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<item><title>A</title><link>{url}</link></item></channel></rss>"
    ).encode()


def report(out: Path) -> dict[str, Any]:
    """The run's report (one run per output folder)."""
    [path] = out.glob("*/*/*.report.json")
    return json.loads(path.read_text(encoding="utf-8"))


def lines_about(url: str, stderr: str, level: str) -> list[str]:
    """The log lines of ``level`` (``ERROR``, ``WARNING``) that name ``url``."""
    return [line for line in stderr.splitlines() if f" {level}: " in line and url in line]


def crawl_profile(site: Site, out: Path) -> str:
    """Crawl ``site`` with the jmn profile (start URL ``/``, feed ``/feed/``, sitemap
    ``/sitemap_index.xml``); return its log."""
    settings = [*SETTINGS, "NEWSCRAWL_MAX_ERROR_RATE=1"]
    result = newscrawl(*jmn_crawl_args(site.url, out, out / "state", settings))
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.stderr


def crawl_url(site: Site, out: Path) -> str:
    """Crawl ``site`` by its URL; return its log."""
    settings = [arg for setting in SETTINGS for arg in ("-s", setting)]
    command = ["crawl", site.url + "/", "-o", str(out), "--state", str(out / "state")]
    result = newscrawl(*command, *settings, "--log-level", "INFO")
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.stderr


def jmn_site() -> dict[str, Answer]:
    """The jmn profile's entry points but its sitemap: a home page and a feed of one
    article, which the crawl goes on from."""
    return {
        "/": html(page("Home")),
        "/feed/": Answer(
            content_type="application/rss+xml", body=feed(f"https://jmn.info{ARTICLE}")
        ),
        ARTICLE: html(page("The council met", article=True)),
    }


def url_site() -> dict[str, Answer]:
    """A portal to crawl by URL but its robots.txt and sitemaps: a home page that links
    one article, which the crawl goes on from."""
    return {
        "/": html(page("Home", [ARTICLE])),
        ARTICLE: html(page("The council met", article=True)),
    }


@pytest.mark.parametrize("packing", PACKINGS)
def test_a_profiles_sitemap_past_the_size_limit_is_reported_as_lost(
    tmp_path: Path, packing: str
) -> None:
    """Was, for ``content-encoding``: a ``download-error`` ("Failed ...: Ignored response"),
    as Scrapy's HttpCompressionMiddleware drops a body it would decompress past the limit."""
    routes = jmn_site()
    routes["/sitemap_index.xml"] = too_large(packing)
    with Site(routes) as site:
        stderr = crawl_profile(site, tmp_path)
    url = f"{site.url}/sitemap_index.xml"
    past = "is larger than" if packing == "plain" else "decompresses to more than"
    [error] = lines_about(url, stderr, "ERROR")
    assert error.endswith(
        f"Not read: {url} {past} the download size limit (DOWNLOAD_MAXSIZE {LIMIT} bytes)"
    )
    assert "Ignoring invalid sitemap" not in stderr
    run = report(tmp_path)
    assert run["errors"]["sitemap-too-large"] == 1
    assert "download-error" not in run["errors"]  # one count, of what happened
    assert run["requests"]["failed"] == 1  # the sitemap: home, feed and article answered
    assert site.hits[ARTICLE] == 1  # the crawl went on from the feed


@pytest.mark.parametrize("packing", PACKINGS)
def test_a_url_crawls_sitemap_past_the_size_limit_is_reported_as_lost(
    tmp_path: Path, packing: str
) -> None:
    routes = url_site()
    name = "/sitemap.xml.gz" if packing == "gzip" else "/sitemap.xml"
    with Site(routes) as site:
        routes["/robots.txt"] = Answer(
            content_type="text/plain", body=f"Sitemap: {site.url}{name}\n".encode()
        )
        routes[name] = too_large(packing, site.url)
        stderr = crawl_url(site, tmp_path)
    url = site.url + name
    past = "is larger than" if packing == "plain" else "decompresses to more than"
    [error] = lines_about(url, stderr, "ERROR")
    assert error.endswith(
        f"Not read: {url} {past} the download size limit (DOWNLOAD_MAXSIZE {LIMIT} bytes)"
    )
    run = report(tmp_path)
    assert run["errors"]["sitemap-too-large"] == 1
    assert "download-error" not in run["errors"]  # one count, of what happened
    assert run["requests"]["failed"] == 1
    assert site.hits[ARTICLE] == 1


@pytest.mark.parametrize("moved", ["redirect-to-home", "page-in-its-place"])
def test_a_web_page_where_a_profile_says_a_sitemap_is_is_reported_as_lost(
    tmp_path: Path, moved: str
) -> None:
    """A portal that moved its sitemap: the old URL redirects to the home page, or answers
    200 with a page. The run says so once, and counts it."""
    routes = jmn_site()
    if moved == "redirect-to-home":
        routes["/sitemap_index.xml"] = Answer(302, headers={"Location": "/"})
    else:
        routes["/sitemap_index.xml"] = html(page("Sitemap"))
    with Site(routes) as site:
        stderr = crawl_profile(site, tmp_path)
    url = f"{site.url}/sitemap_index.xml"
    [error] = lines_about(url, stderr, "ERROR")
    redirect = f"redirected to {site.url}/, " if moved == "redirect-to-home" else ""
    # asked for as the start URL, then as where the sitemap leads: read as the sitemap
    assert site.hits["/"] == (2 if redirect else 1)
    assert error.endswith(
        f"Not read: {url} is not a sitemap ({redirect}text/html, root element <html>)"
    )
    assert "Ignoring invalid sitemap" not in stderr
    run = report(tmp_path)
    assert run["errors"]["not-a-sitemap"] == 1
    assert run["requests"]["failed"] == 1
    assert site.hits[ARTICLE] == 1


def test_a_web_page_where_robots_txt_says_a_sitemap_is_is_reported_as_lost(
    tmp_path: Path,
) -> None:
    routes = url_site()
    with Site(routes) as site:
        routes["/robots.txt"] = Answer(
            content_type="text/plain", body=f"Sitemap: {site.url}/news-sitemap.xml\n".encode()
        )
        routes["/news-sitemap.xml"] = html(page("Sitemap"))
        stderr = crawl_url(site, tmp_path)
    url = f"{site.url}/news-sitemap.xml"
    [error] = lines_about(url, stderr, "ERROR")
    assert error.endswith(f"Not read: {url} is not a sitemap (text/html, root element <html>)")
    run = report(tmp_path)
    assert run["errors"]["not-a-sitemap"] == 1
    assert run["requests"]["failed"] == 1


def test_a_guessed_sitemap_that_is_a_web_page_is_no_fault(tmp_path: Path) -> None:
    """No robots.txt: the crawl by URL guesses ``/sitemap.xml`` and ``/sitemap_index.xml``.
    This site answers the first with its home page, and redirects the second to it."""
    routes = url_site()
    with Site(routes) as site:
        routes["/sitemap.xml"] = routes["/"]
        routes["/sitemap_index.xml"] = Answer(301, headers={"Location": "/"})
        stderr = crawl_url(site, tmp_path)
    assert site.hits["/"] == 2  # the home page, then where the guess was redirected
    for guess in ("/sitemap.xml", "/sitemap_index.xml"):
        assert site.hits[guess] == 1
        assert not lines_about(site.url + guess, stderr, "ERROR")
        assert not lines_about(site.url + guess, stderr, "WARNING")
        [info] = lines_about(f"Not read: {site.url}{guess} ", stderr, "INFO")
        assert info.endswith("root element <html>); a guess, no error")
    run = report(tmp_path)
    assert "not-a-sitemap" not in run["errors"]
    assert run["error_rate"] == 0
