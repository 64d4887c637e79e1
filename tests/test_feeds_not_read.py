"""A feed the crawl cannot use is an entry point lost, and never quietly: end to end.

As for sitemaps (``tests/test_sitemaps_not_read.py``, whose sites and runs these reuse):
each case serves a small site on 127.0.0.1 and crawls it with the real ``newscrawl crawl``
command, once with a profile (``jmn``, whose ``discovery.feeds`` names ``/feed/``) and once
by URL (the home page names its feed in ``<link rel="alternate">``: a declaration, not a
guess). A feed URL that answers with a web page, or redirects to the home page the run has
fetched already, gives one error line naming it and saying what it is, a count under the
report's ``errors`` (``not-a-feed``), and a failed request in its error rate. A feed with
no items (a new portal) is no fault.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spiders.sites import Answer, Site, html, page
from tests.test_sitemaps_not_read import (
    ARTICLE,
    crawl_profile,
    crawl_url,
    jmn_site,
    lines_about,
    report,
    url_site,
)

pytestmark = pytest.mark.e2e

XHTML = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Feed</title></head>'
    b"<body><p>Our feeds have moved.</p></body></html>"
)
"""A web page that is well-formed XML: libxml2 reads it without a fault."""

NOT_FEEDS = {
    "redirect-to-home": Answer(302, headers={"Location": "/"}),
    "web-page-in-its-place": html(page("Feed")),
    "xhtml-in-its-place": Answer(content_type="application/xhtml+xml", body=XHTML),
}
"""What a portal that moved or dropped its feed answers at the feed's old URL."""

WHAT_IT_IS = {
    "redirect-to-home": "redirected to {home}, text/html, root element <html>",
    "web-page-in-its-place": "text/html, root element <html>",
    "xhtml-in-its-place": "application/xhtml+xml, root element <html>",
}
"""How the error line says what came instead (``{home}``: the site's home page)."""

EMPTY_RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>JMN</title>'
    b"</channel></rss>"
)


def sitemap_of(url: str) -> Answer:
    """A sitemap of the one article at ``url``: the profiled crawl's way to it, so that the
    feed is its only failed request."""
    return Answer(
        content_type="application/xml",
        body=(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{url}</loc></url></urlset>\n"
        ).encode(),
    )


def home_naming(feed: str) -> Answer:
    """The home page of :func:`~tests.test_sitemaps_not_read.url_site`, naming ``feed`` in
    ``<link rel="alternate">``."""
    alternate = f'<link rel="alternate" type="application/rss+xml" href="{feed}">'
    return html(page("Home", [ARTICLE], extra=alternate))


@pytest.mark.parametrize("moved", NOT_FEEDS)
def test_a_profiles_feed_that_is_no_feed_is_reported_as_lost(tmp_path: Path, moved: str) -> None:
    """Was: a redirect to the home page dropped by the duplicate filter without a word; a web
    page reported as a damaged feed ("not well-formed XML"); XHTML read as a feed of no items."""
    routes = jmn_site()
    routes["/feed/"] = NOT_FEEDS[moved]
    routes["/sitemap_index.xml"] = sitemap_of(f"https://jmn.info{ARTICLE}")
    with Site(routes) as site:
        stderr = crawl_profile(site, tmp_path)
    url = f"{site.url}/feed/"
    redirected = moved == "redirect-to-home"
    # asked for as the start URL, then as where the feed leads: read as the feed
    assert site.hits["/"] == (2 if redirected else 1)
    [error] = lines_about(url, stderr, "ERROR")
    what = WHAT_IT_IS[moved].format(home=f"{site.url}/")
    assert error.endswith(f"Not read: {url} is not a feed ({what})")
    assert "Damaged feed" not in stderr
    run = report(tmp_path)
    assert run["errors"]["not-a-feed"] == 1
    assert "feed-damaged" not in run["errors"]  # one count, of what happened
    assert run["requests"]["failed"] == 1  # the feed: home, sitemap and article answered
    assert site.hits[ARTICLE] == 1  # the crawl went on from the sitemap


@pytest.mark.parametrize("moved", NOT_FEEDS)
def test_a_feed_a_home_page_declares_that_is_no_feed_is_reported_as_lost(
    tmp_path: Path, moved: str
) -> None:
    """A crawl by URL guesses no feed: one the home page names in ``<link rel="alternate">``
    is the site's word, and a page there is a fault of the site's, said as a profile's is."""
    routes = url_site()
    routes["/"] = home_naming("/feed/")
    routes["/feed/"] = NOT_FEEDS[moved]
    with Site(routes) as site:
        stderr = crawl_url(site, tmp_path)
    url = f"{site.url}/feed/"
    assert site.hits["/"] == (2 if moved == "redirect-to-home" else 1)
    [error] = lines_about(url, stderr, "ERROR")
    what = WHAT_IT_IS[moved].format(home=f"{site.url}/")
    assert error.endswith(f"Not read: {url} is not a feed ({what})")
    run = report(tmp_path)
    assert run["errors"]["not-a-feed"] == 1
    assert run["requests"]["failed"] == 1
    assert site.hits[ARTICLE] == 1


def test_a_feed_of_no_items_is_no_fault(tmp_path: Path) -> None:
    """A new portal's feed gives nothing to fetch yet: no error, nothing counted."""
    routes = jmn_site()
    routes["/feed/"] = Answer(content_type="application/rss+xml", body=EMPTY_RSS)
    routes["/sitemap_index.xml"] = sitemap_of(f"https://jmn.info{ARTICLE}")
    with Site(routes) as site:
        stderr = crawl_profile(site, tmp_path)
    url = f"{site.url}/feed/"
    assert site.hits["/feed/"] == 1
    assert not lines_about(url, stderr, "ERROR")
    assert not lines_about(url, stderr, "WARNING")
    run = report(tmp_path)
    assert "not-a-feed" not in run["errors"]
    assert "feed-damaged" not in run["errors"]
    assert run["requests"]["failed"] == 0
    assert site.hits[ARTICLE] == 1
