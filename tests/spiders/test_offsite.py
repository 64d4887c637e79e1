"""Every failure is recorded, and off-site means off-origin (issue 11, findings 8 and 9).

A tiny portal, ``tiny.test``, is served on 127.0.0.1 from files written by the test, with a
second server on another port of 127.0.0.1 standing for "somewhere else". Its profile comes
from a file (``--profile-file``), which its extraction worker must see too. The portal lists,
in its home page, sitemap and feed:

- ``/listed/``: a good article (the one record);
- ``/mapped/`` (only in the sitemap) and ``/fed/`` (only in the feed): both 404;
- ``/redirects-away/``: a 302 to the other server; ``/refreshes-away/``: a meta refresh there;
- links straight to the other server, from the home page and the sitemap.

Before the fix the sitemap's failure left no reject and no ``articles/failed`` count, the
two redirects vanished, and the other server was fetched and published as ``tiny`` records.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.devtools.devserver import Fault, FixtureSite, RunningServer, serve
from newscrawl.spiders import portal_spider
from newscrawl.spiders.portal import PortalSpider
from tests.conftest import ROOT

HOME = "https://tiny.test"

ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="2026-01-02T10:00:00+00:00">
</head><body><article><h1>{title}</h1>
<p>The council met on Tuesday evening to discuss the new bridge over the river, which has
been closed to traffic since the spring floods damaged two of its supports.</p>
<p>Engineers told the meeting that repairs would take at least six more months and cost
more than the town had set aside, so the council will ask the region for help.</p>
<p>Residents who cross the river every day to work said the detour adds forty minutes to
their journey, and shop owners on the far bank reported falling sales.</p>
</article></body></html>
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def tiny_portal(root: Path, elsewhere: str) -> Path:
    """Write the portal's files under ``root`` and its profile; return the profile file."""
    site = root / "site"
    links = [
        f"{HOME}/listed/",
        f"{HOME}/redirects-away/",
        f"{HOME}/refreshes-away/",
        f"{elsewhere}/stolen/",
    ]
    anchors = "".join(f'<h2><a class="article" href="{u}">{u}</a></h2>' for u in links)
    write(site / "index.html", f"<html><body>{anchors}</body></html>")
    write(site / "listed" / "index.html", ARTICLE.format(title="The bridge stays shut"))
    refresh = f'<html><head><meta http-equiv="refresh" content="0; url={elsewhere}/landing/">'
    write(site / "refreshes-away" / "index.html", refresh + "</head><body></body></html>")
    entries = "".join(
        f"<url><loc>{u}</loc><lastmod>2026-01-02</lastmod></url>"
        for u in (f"{HOME}/mapped/", f"{elsewhere}/stolen-too/")
    )
    write(
        site / "sitemap.xml",
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>',
    )
    write(
        site / "feed" / "index.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>tiny</title>'
        f"<item><title>Fed</title><link>{HOME}/fed/</link>"
        "<pubDate>Fri, 02 Jan 2026 10:00:00 +0000</pubDate></item></channel></rss>",
    )
    profile = root / "tiny.toml"
    write(
        profile,
        f"""name = "tiny"
extends = "generic"
kind = "portal"

[site]
domains = ["tiny.test"]
languages = ["en"]

[discovery]
start_urls = ["{HOME}/"]
feeds = ["{HOME}/feed/"]
sitemaps = ["{HOME}/sitemap.xml"]
article_links = ["a.article"]
listing_links = []

[crawl]
download_delay = 0
autothrottle_start_delay = 0
retry_times = 0
""",
    )
    return profile


def other_site(root: Path) -> Path:
    """Pages of "somewhere else": articles that must never be fetched nor published."""
    for name in ("stolen", "stolen-too", "landing"):
        write(root / "site" / name / "index.html", ARTICLE.format(title=f"Not tiny: {name}"))
    return root


@dataclass
class Crawl:
    result: subprocess.CompletedProcess[str]
    portal: RunningServer
    other: RunningServer
    records: list[dict[str, Any]]
    rejects: list[dict[str, Any]]

    @property
    def log(self) -> str:
        return (self.result.stdout + self.result.stderr)[-4000:]

    def stat(self, key: str) -> int | None:
        match = re.search(rf"'{re.escape(key)}': (\d+)", self.result.stderr)
        return int(match.group(1)) if match else None

    def reject_kinds(self) -> dict[str, str]:
        return {urlsplit(r["url"]).path: r["kind"] for r in self.rejects}


def read_jsonl(paths: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for p in sorted(paths) for line in p.read_text().splitlines()]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("offsite")
    with serve(FixtureSite(other_site(tmp / "other"), origins=())) as other:
        profile = tiny_portal(tmp / "tiny", other.url)
        site = FixtureSite(tmp / "tiny", origins=[HOME, "http://tiny.test"])
        away = Fault("redirect", location=f"{other.url}/landing/")
        with serve(site, faults={"/redirects-away/": away}) as portal:
            out = tmp / "out"
            command = [
                sys.executable,
                "-m",
                "newscrawl.cli",
                "crawl",
                "--profile-file",
                str(profile),
                "--base-url",
                portal.url,
                "-o",
                str(out),
                "--state",
                str(tmp / "state"),
                # An extraction worker: the profile file must reach it too.
                "-s",
                "NEWSCRAWL_EXTRACT_PROCESSES=1",
            ]
            result = subprocess.run(
                command, capture_output=True, text=True, cwd=ROOT, timeout=180, check=False
            )
            yield Crawl(
                result=result,
                portal=portal,
                other=other,
                records=read_jsonl(list(out.glob("tiny/*/*.jsonl"))),
                rejects=read_jsonl(list(out.glob("tiny/*/rejects/*.jsonl"))),
            )


@pytest.mark.e2e
def test_the_crawl_ran(crawl: Crawl) -> None:
    assert crawl.result.returncode in (0, 1), crawl.log
    assert "Traceback" not in crawl.result.stderr, crawl.log
    assert crawl.portal.hits["/listed/"] == 1
    assert "Started extraction worker" in crawl.result.stderr


@pytest.mark.e2e
def test_sitemap_and_feed_articles_that_fail_are_rejects(crawl: Crawl) -> None:
    kinds = crawl.reject_kinds()
    assert kinds.get("/mapped/") == "http-error", (crawl.rejects, crawl.log)
    assert kinds.get("/fed/") == "http-error", (crawl.rejects, crawl.log)


@pytest.mark.e2e
def test_redirect_and_meta_refresh_off_the_site_are_offsite_redirect_rejects(
    crawl: Crawl,
) -> None:
    kinds = crawl.reject_kinds()
    assert kinds.get("/redirects-away/") == "offsite-redirect", (crawl.rejects, crawl.log)
    assert kinds.get("/refreshes-away/") == "offsite-redirect", (crawl.rejects, crawl.log)
    message = next(r for r in crawl.rejects if r["url"].endswith("/refreshes-away/"))["errors"]
    assert f"{crawl.other.url}/landing/" in message[0]["message"]
    assert crawl.stat("newscrawl/redirect/offsite") == 2


@pytest.mark.e2e
def test_every_failed_article_is_counted(crawl: Crawl) -> None:
    assert crawl.stat("newscrawl/articles/failed") == 4, crawl.log


@pytest.mark.e2e
def test_another_port_of_the_same_host_is_never_fetched_nor_published(crawl: Crawl) -> None:
    assert sum(crawl.other.hits.values()) == 0, dict(crawl.other.hits)
    assert [r["url"] for r in crawl.records] == [f"{HOME}/listed/"]
    assert all(r["url"].startswith(f"{HOME}/") for r in crawl.rejects)
    assert (crawl.stat("newscrawl/skipped/offsite") or 0) >= 2


# -- the rule itself, without a crawl ---------------------------------------------------------


def spider(**kwargs: Any) -> PortalSpider:
    crawler = get_crawler(portal_spider("jmn"), {"NEWSCRAWL_STATE_DIR": ""})
    crawler.spider = crawler._create_spider(**kwargs)
    return crawler.spider


@pytest.mark.parametrize(
    ("url", "onsite"),
    [
        ("http://127.0.0.1:8000/a/", True),
        ("HTTP://127.0.0.1:8000/a/?q=1", True),
        ("http://127.0.0.1:8001/a/", False),
        ("http://127.0.0.1/a/", False),
        ("https://127.0.0.1:8000/a/", False),
        ("http://localhost:8000/a/", False),
        ("https://jmn.info/a/", False),  # fetched only through the base URL
        ("ftp://127.0.0.1:8000/a/", False),
        ("http://127.0.0.1:99999/a/", False),  # no such port
        ("http://[::1/a/", False),  # not a URL
        ("http://a@127.0.0.1:8000/a/", False),  # user information
        ("http://a:b@127.0.0.1:8000/a/", False),
        ("http://@127.0.0.1:8000/a/", False),
    ],
)
def test_with_a_base_url_only_its_exact_origin_is_on_site(url: str, onsite: bool) -> None:
    assert spider(base_url="http://127.0.0.1:8000/").is_onsite(url) is onsite


@pytest.mark.parametrize(
    ("url", "onsite"),
    [
        ("https://jmn.info/a/", True),
        ("http://news.jmn.info/a/", True),
        ("https://jmn.info.evil/a/", False),
        ("https://notjmn.info/a/", False),
        ("http://127.0.0.1:8000/a/", False),
        ("https://a@jmn.info/a/", False),  # user information
        ("https://a%40b:c@news.jmn.info/a/", False),
    ],
)
def test_without_a_base_url_the_profiles_domains_are_on_site(url: str, onsite: bool) -> None:
    assert spider().is_onsite(url) is onsite


def test_listed_article_on_another_port_is_not_requested() -> None:
    from scrapy.http import HtmlResponse

    crawler_spider = spider(base_url="http://127.0.0.1:8000")
    body = (
        b'<html><body><h2 class="post-box-title"><a href="http://127.0.0.1:8001/x/">x</a></h2>'
        b'<h2 class="post-box-title"><a href="http://127.0.0.1:8000/y/">y</a></h2></body></html>'
    )
    response = HtmlResponse("http://127.0.0.1:8000/", body=body, encoding="utf-8")
    urls = [r.url for r in crawler_spider.parse_listing(response)]
    assert urls == ["http://127.0.0.1:8000/y/"]
    assert crawler_spider.crawler.stats.get_value("newscrawl/skipped/offsite") == 1


@pytest.mark.parametrize("base_url", [None, "http://127.0.0.1:8000"])
def test_a_listed_link_with_user_information_is_not_requested(base_url: str | None) -> None:
    from scrapy.http import HtmlResponse

    portal = spider(base_url=base_url)
    home = base_url or "https://jmn.info"
    body = (
        b'<html><body><h2 class="post-box-title"><a href="https://a@jmn.info/x/">x</a></h2>'
        b'<h2 class="post-box-title"><a href="https://jmn.info/y/">y</a></h2></body></html>'
    )
    response = HtmlResponse(f"{home}/", body=body, encoding="utf-8")
    urls = [r.url for r in portal.parse_listing(response)]
    assert urls == [f"{home}/y/"]
    assert portal.crawler.stats.get_value("newscrawl/skipped/offsite") == 1


def test_offsite_middleware_asks_the_spider() -> None:
    from scrapy import Request

    from newscrawl.middlewares import OriginOffsiteMiddleware

    portal = spider(base_url="http://127.0.0.1:8000")
    middleware = OriginOffsiteMiddleware.from_crawler(portal.crawler)
    assert middleware.should_follow(Request("http://127.0.0.1:8000/a/"), portal)
    assert not middleware.should_follow(Request("http://127.0.0.1:8001/a/"), portal)


@pytest.mark.parametrize(
    ("location", "offsite"),
    [("http://127.0.0.1:8001/x/", True), ("/x/", False), ("http://127.0.0.1:8000/x/", False)],
)
def test_redirect_and_refresh_off_the_site_raise_offsite_redirect(
    location: str, offsite: bool
) -> None:
    from scrapy import Request
    from scrapy.http import HtmlResponse, Response

    from newscrawl.middlewares import (
        OffsiteRedirect,
        OffsiteRedirectMiddleware,
        SkimMetaRefreshMiddleware,
    )

    portal = spider(base_url="http://127.0.0.1:8000")
    request = Request(
        "http://127.0.0.1:8000/a/", meta={"redirect_urls": ["http://127.0.0.1:8000/"]}
    )
    redirect = Response(request.url, status=302, headers={"Location": location}, request=request)
    refresh = HtmlResponse(
        request.url,
        body=f'<meta http-equiv="refresh" content="0; url={location}">'.encode(),
        encoding="utf-8",
        request=request,
    )
    redirects = OffsiteRedirectMiddleware.from_crawler(portal.crawler)
    refreshes = SkimMetaRefreshMiddleware.from_crawler(portal.crawler)
    if offsite:
        with pytest.raises(OffsiteRedirect, match=r"redirect 302 off the site: http.* -> "):
            redirects.process_response(request, redirect)
        with pytest.raises(OffsiteRedirect, match="meta refresh off the site"):
            refreshes.process_response(request, refresh)
    else:
        assert redirects.process_response(request, redirect) is redirect
        assert isinstance(refreshes.process_response(request, refresh), Request)
