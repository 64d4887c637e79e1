"""``newscrawl crawl URL``: a portal with no profile, crawled end to end on 127.0.0.1.

Each case runs the real command in a subprocess against a site served by the test, and
reads what it wrote and what the site was asked for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from newscrawl.discovery import site_key
from tests.bench_support import load_bench
from tests.cli_support import newscrawl
from tests.conftest import LAUGH, ROOT, attribute_flood, billion_laughs
from tests.spiders.sites import Answer, Site, big_sitemap, html, page
from tests.test_sitemaps_not_read import (
    ARTICLE,
    LIMIT,
    crawl_profile,
    crawl_url,
    jmn_site,
    lines_about,
    url_site,
)

pytestmark = pytest.mark.e2e

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "--log-level", "INFO"]


def crawl(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``newscrawl crawl URL`` with its own output and state folders under ``tmp``."""
    command = ["crawl", url, "-o", str(tmp / "out"), "--state", str(tmp / "state"), *FAST, *args]
    return newscrawl(*command, timeout=300)


def records(tmp: Path) -> list[dict[str, Any]]:
    """Every record the crawls under ``tmp`` published (rejects left out)."""
    return [
        json.loads(line)
        for path in sorted((tmp / "out").glob("*/*/*.jsonl"))
        for line in path.open(encoding="utf-8")
    ]


def report(tmp: Path) -> dict[str, Any]:
    """The newest run report under ``tmp``."""
    paths = sorted((tmp / "out").glob("*/*/*.report.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(paths[-1].read_text(encoding="utf-8"))


# --- a generated portal (bench/portal.py) -------------------------------------------------

PORTAL_FILE = ROOT / "bench" / "portal.py"


@pytest.fixture(scope="module")
def bench_portal() -> ModuleType:
    """The ``bench/portal.py`` module, loaded by file."""
    module = load_bench("portal")
    return module


@pytest.fixture(scope="module")
def portal() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``bench/portal.py --articles 120`` running on 127.0.0.1; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, str(PORTAL_FILE), "--articles", "120", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("READY "), line
        yield line.split()[1], process
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def portal_crawls(
    portal: tuple[str, subprocess.Popen[str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Two runs of ``newscrawl crawl URL`` over the generated portal, with the same state."""
    url, _process = portal
    tmp = tmp_path_factory.mktemp("portal")
    first = crawl(url + "/", tmp)
    first_report = report(tmp)
    first_records = records(tmp)
    time.sleep(1.1)  # the run id is the start second
    second = crawl(url + "/", tmp)
    return {
        "url": url,
        "tmp": tmp,
        "first": first,
        "first_report": first_report,
        "first_records": first_records,
        "second": second,
        "second_report": report(tmp),
    }


def test_every_article_of_a_portal_without_profile_becomes_one_record(
    portal_crawls: dict[str, Any], bench_portal: ModuleType
) -> None:
    result = portal_crawls["first"]
    assert result.returncode == 0, result.stdout + result.stderr
    truth = bench_portal.generate_portal(120)
    expected = {portal_crawls["url"] + post.path for post in truth.posts}
    got = [r["url"] for r in portal_crawls["first_records"]]
    assert len(got) == len(set(got))
    assert set(got) == expected  # no listing, tag, author or home page among them


def test_listings_are_reported_as_listings_not_as_rejects(portal_crawls: dict[str, Any]) -> None:
    run = portal_crawls["first_report"]
    assert run["status"] == "ok"
    assert run["pages_by_type"]["listing"] >= 6  # the categories at least
    assert run["rejects"] == 0
    assert "pages by type: " in portal_crawls["first"].stdout


def test_the_run_is_kept_under_the_host_with_its_state(portal_crawls: dict[str, Any]) -> None:
    site = site_key(portal_crawls["url"])
    tmp = portal_crawls["tmp"]
    assert portal_crawls["first_report"]["site"] == site
    assert (tmp / "state" / f"{site}.sqlite3").is_file()
    assert list((tmp / "out" / site).glob("*/*.jsonl"))


def test_a_second_run_fetches_no_known_article_again(portal_crawls: dict[str, Any]) -> None:
    result = portal_crawls["second"]
    assert result.returncode == 0, result.stdout + result.stderr
    second = portal_crawls["second_report"]
    assert second["records_written"] == 0
    assert second["skipped"]["known"] == 120
    assert second["articles_fetched"] == 0


def test_max_pages_bounds_the_requests_of_a_run(
    portal: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    url, _process = portal
    result = crawl(url + "/", tmp_path, "--max-pages", "15")
    run = report(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # robots.txt for politeness is the middleware's, and is not the spider's to count
    assert run["pages_fetched"] <= 15 + 1
    assert run["skipped"]["max_pages"] > 0
    assert 0 < run["records_written"] < 15


NEWSROOM_FILE = ROOT / "bench" / "newsroom.py"


@pytest.fixture(scope="module")
def newsroom_crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``bench/newsroom.py --articles 80`` crawled by its URL; its truth from the module."""
    module = load_bench("newsroom")
    process = subprocess.Popen(
        [sys.executable, str(NEWSROOM_FILE), "--articles", "80", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    tmp = tmp_path_factory.mktemp("newsroom")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("READY "), line
        url = line.split()[1].rstrip("/")
        result = crawl(url + "/", tmp)
    finally:
        process.terminate()
        process.wait(timeout=30)
    site = module.generate_newsroom(80)
    return {
        "result": result,
        "records": {r["url"] for r in records(tmp)},
        "articles": {row["url"] for row in site.truth(url)},
        "others": {row["url"]: row["kind"] for row in site.non_articles(url)},
        "report": report(tmp),
    }


def test_every_article_of_the_newsroom_becomes_a_record(newsroom_crawl: dict[str, Any]) -> None:
    result = newsroom_crawl["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert newsroom_crawl["articles"] <= newsroom_crawl["records"]
    assert newsroom_crawl["report"]["pages_by_type"]["listing"] > 0


def test_no_listing_gallery_or_video_of_the_newsroom_becomes_a_record(
    newsroom_crawl: dict[str, Any],
) -> None:
    others = newsroom_crawl["others"]
    written = {others[u] for u in newsroom_crawl["records"] if u in others}
    assert not written
    assert newsroom_crawl["records"] <= newsroom_crawl["articles"] | set(others)


def test_no_static_page_of_the_newsroom_becomes_a_record(newsroom_crawl: dict[str, Any]) -> None:
    others = newsroom_crawl["others"]
    assert not [u for u in newsroom_crawl["records"] if others.get(u) == "static"]


# --- sites that are not portals ------------------------------------------------------------


def listing_site() -> dict[str, Answer]:
    """A site of sections and tags linking one another, paginated, with no article."""
    sections = ["/category/a/", "/category/b/", "/tag/x/", "/tag/y/", "/category/a/page/2/"]
    return {"/": html(page("Home", sections)), **{p: html(page(p, sections)) for p in sections}}


def assert_refused(result: subprocess.CompletedProcess[str], tmp: Path, reason: str) -> None:
    """The run failed with one line naming ``reason``, and wrote no record."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAILED: {reason}" in result.stdout
    assert "Traceback" not in result.stderr
    assert records(tmp) == []


def assert_one_failure(result: subprocess.CompletedProcess[str]) -> None:
    """The run's summary has one FAILED line: a start URL that failed says why, and that no
    entry point and no request answered, which follows, is not said again."""
    assert result.stdout.count("FAILED: ") == 1, result.stdout


def test_a_plain_page_is_not_a_portal(tmp_path: Path) -> None:
    with Site({"/": html(page("A page", ["/about/", "/contact/"]))}) as site:
        result = crawl(site.url + "/", tmp_path)
    assert_refused(result, tmp_path, "not a news portal: no article page found")


@pytest.mark.parametrize(
    "answer",
    [
        Answer(content_type="application/pdf", body=b"%PDF-1.4\n" + b"0" * 5000),
        Answer(content_type="text/plain", body=page("Home", ["/2026/12/05/a-story/"])),
    ],
    ids=["pdf", "html-labelled-text-plain"],
)
def test_a_start_url_that_is_not_html_is_not_a_portal(tmp_path: Path, answer: Answer) -> None:
    with Site({"/report": answer}) as site:
        result = crawl(site.url + "/report", tmp_path)
    assert_refused(result, tmp_path, f"the start URL is not an HTML page ({answer.content_type})")
    assert_one_failure(result)


def test_pages_are_the_responses_extract_url_takes(tmp_path: Path) -> None:
    """An article labelled ``application/octet-stream`` that starts as HTML does is a page;
    one labelled ``text/plain`` is not, whatever it holds (``newscrawl.extraction.mediatype``,
    the rule of ``newscrawl extract URL`` too)."""
    labels = {
        "/2026/12/05/served-as-html/": "text/html; charset=utf-8",
        "/2026/12/05/served-as-bytes/": "application/octet-stream",
        "/2026/12/05/served-as-text/": "text/plain; charset=utf-8",
    }
    routes = {p: Answer(content_type=t, body=page(p, article=True)) for p, t in labels.items()}
    routes["/"] = Answer(content_type="application/octet-stream", body=page("Home", list(labels)))
    with Site(routes) as site:
        result = crawl(site.url + "/", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    got = {r["url"].removeprefix(site.url) for r in records(tmp_path)}
    assert got == {"/2026/12/05/served-as-html/", "/2026/12/05/served-as-bytes/"}
    assert report(tmp_path)["pages_by_type"].get("other") == 1


def test_a_start_url_that_is_missing_fails_with_its_status(tmp_path: Path) -> None:
    with Site({}) as site:
        result = crawl(site.url + "/gone/", tmp_path)
    assert_refused(result, tmp_path, f"the start URL {site.url}/gone/ answered HTTP 404")
    assert_one_failure(result)


def test_a_site_of_listings_only_writes_nothing(tmp_path: Path) -> None:
    with Site(listing_site()) as site:
        result = crawl(site.url + "/", tmp_path)
    assert_refused(result, tmp_path, "not a news portal: every page fetched (6) is a listing")
    assert report(tmp_path)["rejects"] == 0


def test_a_home_page_past_the_markup_limits_fails_the_run_unread(tmp_path: Path) -> None:
    """One element of 100,000 attributes: parsed unguarded, libxml2 takes seconds over it
    (minutes near DOWNLOAD_MAXSIZE) with the crawl waiting. Its links are not followed."""
    flood = attribute_flood(100_000)
    home = page(
        "Home", ["/2026/12/05/the-council-passes-the-budget/"], extra=f"<div {flood}></div>"
    )
    article = page("The council passes the budget", article=True)
    routes = {"/": html(home), "/2026/12/05/the-council-passes-the-budget/": html(article)}
    with Site(routes) as site:
        result = crawl(site.url + "/", tmp_path)
        assert site.hits["/2026/12/05/the-council-passes-the-budget/"] == 0
    assert_refused(result, tmp_path, "every request failed (1)")
    assert report(tmp_path)["errors"]["listing-too-large"] == 1
    assert "Not following the links of" in result.stderr


@pytest.mark.parametrize("how", ["by-url", "profiled"])
def test_an_article_page_past_the_size_limit_is_one_error_line_as_in_a_profiled_crawl(
    tmp_path: Path, how: str
) -> None:
    """Was, by URL: a ``Not read: ... is larger than the download size limit`` line, then the
    ``Failed ...`` line a profiled crawl logs for the same page, with Scrapy's reason."""
    big = html(page("The council met", article=True, extra="<!-- " + "x" * LIMIT + " -->"))
    routes = jmn_site() if how == "profiled" else url_site()
    routes[ARTICLE] = big
    with Site(routes) as site:
        stderr = crawl_profile(site, tmp_path) if how == "profiled" else crawl_url(site, tmp_path)
        assert site.hits[ARTICLE] == 1
    page_url = ("https://jmn.info" if how == "profiled" else site.url) + ARTICLE
    [error] = lines_about(ARTICLE, stderr, "ERROR")
    assert f" ERROR: Failed {page_url}: " in error
    assert f"larger than download max size ({LIMIT})" in error


def test_a_start_url_redirected_to_another_host_is_refused(tmp_path: Path) -> None:
    other_routes = {"/": html(page("Elsewhere", ["/2026/12/05/a-story-about-it/"]))}
    with Site(other_routes) as other:
        moved = Answer(301, headers={"Location": other.url + "/"})
        with Site({"/": moved}) as site:
            result = crawl(site.url + "/", tmp_path)
    assert_refused(result, tmp_path, "the start URL redirects to another site")
    assert_one_failure(result)
    assert sum(other.hits.values()) == 0  # nothing fetched from the other host


def test_links_to_another_host_are_never_fetched(tmp_path: Path) -> None:
    story = "/2026/12/05/a-story-about-the-council/"
    with Site({story: html(page("Elsewhere", article=True))}) as other:
        elsewhere = [other.url + story, other.url + "/category/news/"]
        feed_there = f'<link rel="alternate" type="application/rss+xml" href="{other.url}/rss">'
        routes = {
            "/": html(
                page("Home", ["/2026/12/05/our-own-story-here/", *elsewhere], extra=feed_there)
            ),
            "/2026/12/05/our-own-story-here/": html(page("Ours", elsewhere, article=True)),
        }
        with Site(routes) as site:
            result = crawl(site.url + "/", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sum(other.hits.values()) == 0
    assert {r["url"] for r in records(tmp_path)} == {site.url + "/2026/12/05/our-own-story-here/"}


def test_a_link_with_user_information_is_not_followed_and_fails_nothing(tmp_path: Path) -> None:
    """``http://a@host/...`` on the home page: before, its robots.txt was asked of the host
    ``a@host``, which cannot be fetched, so the whole run failed with a traceback."""
    ours, hostile = "/2026/12/05/our-own-story-here/", "/2026/12/05/a-link-with-a-user-name/"
    with Site({}) as site:
        userinfo = site.url.replace("http://", "http://a:b@") + hostile
        site.routes.update(
            {
                "/": html(page("Home", [ours, userinfo])),
                ours: html(page("Ours", article=True)),
                hostile: html(page("Hostile", article=True)),
            }
        )
        result = crawl(site.url + "/", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert site.hits[hostile] == 0
    assert {r["url"] for r in records(tmp_path)} == {site.url + ours}
    assert report(tmp_path)["rejects"] == 0


def test_robots_txt_that_forbids_everything_is_obeyed(tmp_path: Path) -> None:
    robots = Answer(content_type="text/plain", body=b"User-agent: *\nDisallow: /\n")
    routes = {"/robots.txt": robots, "/": html(page("Home", ["/2026/12/05/a-story-about/"]))}
    with Site(routes) as site:
        result = crawl(site.url + "/", tmp_path)
    assert_refused(result, tmp_path, f"robots.txt forbids fetching the start URL {site.url}/")
    assert_one_failure(result)
    assert set(site.hits) == {"/robots.txt"}


def test_a_robots_txt_answering_5xx_fetches_nothing_and_fails_the_run(tmp_path: Path) -> None:
    """RFC 9309: a server error means the rules are unknown, so nothing may be fetched."""
    routes = {
        "/robots.txt": Answer(status=503, body=b"<h1>busy</h1>"),
        "/": html(page("Home", ["/2026/12/05/a-story-about/"])),
    }
    with Site(routes) as site:
        result = crawl(site.url + "/", tmp_path, "-s", "RETRY_TIMES=0")
    assert_refused(
        result,
        tmp_path,
        f"{site.url}/robots.txt answered HTTP 503: nothing is fetched from its host (RFC 9309)",
    )
    assert set(site.hits) == {"/robots.txt"}


def test_a_robots_txt_answering_404_allows_everything_whatever_its_page_says(
    tmp_path: Path,
) -> None:
    """RFC 9309: a 4xx means there are no rules; the error page's text is not read as any."""
    story = "/2026/12/05/the-council-passes-the-budget/"
    routes = {
        "/robots.txt": Answer(status=404, body=b"User-agent: *\nDisallow: /\n"),
        "/": html(page("Home", [story])),
        story: html(page("The council passes the budget", article=True)),
    }
    with Site(routes) as site:
        result = crawl(site.url + "/", tmp_path)
        assert site.hits[story] == 1
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(records(tmp_path)) == 1


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_a_sitemap_of_a_million_urls_stays_within_the_limits(tmp_path: Path, gzipped: bool) -> None:
    articles = [f"/2026/12/05/story-number-{n}/" for n in range(3)]
    routes: dict[str, Answer] = {
        "/": html(page("Home", ["/news/", *articles])),
        "/news/": html(page("News", articles)),
        **{p: html(page(f"Story {p}", article=True)) for p in articles},
    }
    with Site(routes) as site:
        name = "/sitemap.xml.gz" if gzipped else "/sitemap.xml"
        routes["/robots.txt"] = Answer(
            content_type="text/plain", body=f"Sitemap: {site.url}{name}\n".encode()
        )
        routes[name] = Answer(
            content_type="application/x-gzip" if gzipped else "application/xml",
            body=big_sitemap(lambda: site.url, 1_000_000, gzipped=gzipped),
        )
        command = ["crawl", site.url + "/", "-o", str(tmp_path / "out")]
        command += ["--state", str(tmp_path / "state"), "--max-pages", "40", *FAST]
        # Output to files, not pipes: nothing reads a pipe while wait4 waits.
        with (tmp_path / "stdout").open("w") as out, (tmp_path / "stderr").open("w") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "newscrawl.cli", *command], stdout=out, stderr=err, cwd=ROOT
            )
            _pid, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
        process.returncode = os.waitstatus_to_exitcode(status)
    stdout = (tmp_path / "stdout").read_text()
    stderr = (tmp_path / "stderr").read_text()
    run = report(tmp_path)
    assert run["pages_fetched"] <= 40 + 1, stdout
    assert usage.ru_maxrss < 600 * 1024  # KiB: well under what a million URLs would take
    # the sitemap was cut off at the download size limit, not read to its end (~80 MB)
    assert site.sent[name] < 40 * 1024 * 1024
    limit = "decompresses to more than" if gzipped else "is larger than"
    assert f"Not read: {site.url}{name} {limit} the download size limit" in stderr
    # every record is a page of the site: nothing invented from the unread rest
    assert {r["url"] for r in records(tmp_path)} <= {site.url + p for p in articles}


# --- entry points ----------------------------------------------------------------------------


def feed(urls: list[str]) -> bytes:
    """An RSS 2.0 feed of ``urls``."""
    items = "".join(f"<item><title>{u}</title><link>{u}</link></item>" for u in urls)
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def news_sitemap(urls: list[str]) -> bytes:
    """A Google News sitemap of ``urls``."""
    entries = "".join(
        f"<url><loc>{u}</loc><news:news><news:publication_date>2026-12-05T10:00:00+00:00"
        "</news:publication_date></news:news></url>"
        for u in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{entries}</urlset>"
    ).encode()


def test_articles_are_found_through_feeds_sitemaps_and_sections(tmp_path: Path) -> None:
    import gzip

    in_feed, in_sitemap = "/2026/12/05/only-in-the-feed/", "/2026/12/05/only-in-the-sitemap/"
    in_section = "/2026/12/05/only-in-a-section/"
    routes: dict[str, Answer] = {
        p: html(page(p, article=True)) for p in (in_feed, in_sitemap, in_section)
    }
    routes["/news/"] = html(page("News", [in_section]))
    with Site(routes) as site:
        alternate = f'<link rel="alternate" type="application/rss+xml" href="{site.url}/rss/">'
        routes["/"] = html(page("Home", ["/news/"], extra=alternate))
        routes["/rss/"] = Answer(
            content_type="application/rss+xml", body=feed([site.url + in_feed])
        )
        index = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{site.url}/news-sitemap.xml.gz</loc></sitemap></sitemapindex>"
        ).encode()
        # no robots.txt: the sitemap is found where sitemaps usually are
        routes["/sitemap_index.xml"] = Answer(content_type="application/xml", body=index)
        routes["/news-sitemap.xml.gz"] = Answer(
            content_type="application/x-gzip",
            body=gzip.compress(news_sitemap([site.url + in_sitemap])),
        )
        result = crawl(site.url + "/", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    got = {r["url"] for r in records(tmp_path)}
    assert got == {site.url + p for p in (in_feed, in_sitemap, in_section)}, result.stderr
    run = report(tmp_path)
    assert run["error_rate"] == 0  # /robots.txt and /sitemap.xml missing is no error
    assert site.hits["/sitemap.xml"] == 1
    assert "Damaged" not in result.stderr  # whole sitemaps and feeds are read quietly


def test_a_hostile_sitemap_and_feed_give_every_entry_and_are_reported(tmp_path: Path) -> None:
    """A "billion laughs" sitemap and feed: libxml2 refuses the first use of the entity and
    stops; the crawl reads them again without their entity declarations, says so, and counts
    them in the report's errors and error rate."""
    in_sitemap = [f"/2026/12/05/in-the-sitemap-{n}/" for n in range(3)]
    in_feed = [f"/2026/12/05/in-the-feed-{n}/" for n in range(3)]
    routes: dict[str, Answer] = {p: html(page(p, article=True)) for p in in_sitemap + in_feed}
    with Site(routes) as site:
        alternate = f'<link rel="alternate" type="application/rss+xml" href="{site.url}/rss/">'
        routes["/"] = html(page("Home", [], extra=alternate))
        routes["/robots.txt"] = Answer(
            content_type="text/plain", body=f"Sitemap: {site.url}/sitemap.xml\n".encode()
        )
        title = f"<news:title>{LAUGH}</news:title>".encode()
        sitemap = news_sitemap([site.url + p for p in in_sitemap]).replace(
            b"<news:publication_date>", title + b"<news:publication_date>", 1
        )
        routes["/sitemap.xml"] = Answer(
            content_type="application/xml",
            body=sitemap.replace(b"<urlset", billion_laughs("urlset").encode() + b"<urlset", 1),
        )
        rss = feed([site.url + p for p in in_feed]).replace(
            b"<title>", f"<title>{LAUGH}".encode(), 2
        )
        routes["/rss/"] = Answer(
            content_type="application/rss+xml",
            body=rss.replace(b"<rss", billion_laughs("rss").encode() + b"<rss", 1),
        )
        result = crawl(site.url + "/", tmp_path)
    got = {r["url"] for r in records(tmp_path)}
    assert got == {site.url + p for p in in_sitemap + in_feed}, result.stderr[-3000:]
    run = report(tmp_path)
    assert run["errors"]["sitemap-damaged"] == 1
    assert run["errors"]["feed-damaged"] == 1
    assert run["requests"]["failed"] == 2  # the sitemap and the feed, as unusable answers
    assert f"Damaged sitemap {site.url}/sitemap.xml: hostile XML: " in result.stderr
    assert f"Damaged feed {site.url}/rss/: hostile XML: " in result.stderr
    assert "errors: feed-damaged 1, sitemap-damaged 1" in result.stdout  # the run's summary


# --- usage errors ------------------------------------------------------------------------------

USAGE = {
    "no-scheme": (
        ["crawl", "portal.example"],
        "write it with its scheme, e.g. https://portal.example",
    ),
    "ftp": (["crawl", "ftp://portal.example/"], "only http:// and https:// URLs can be crawled"),
    "no-host": (["crawl", "https://"], "has no host name"),
    "bad-port": (["crawl", "http://portal.example:99999/"], "is not a valid URL"),
    "max-pages-zero": (["crawl", "http://127.0.0.1:9/", "--max-pages", "0"], "must be 1 or more"),
    "max-pages-text": (["crawl", "http://127.0.0.1:9/", "--max-pages", "many"], "invalid int"),
    "base-url": (
        ["crawl", "http://127.0.0.1:9/", "--base-url", "http://127.0.0.1:8/"],
        "--base-url applies to a profile, not to a crawl by URL",
    ),
    "profile": (
        ["crawl", "http://127.0.0.1:9/", "--profile", "sahifa"],
        "--profile applies to a profile, not to a crawl by URL",
    ),
    "redis": (
        ["crawl", "http://127.0.0.1:9/", "--redis", "redis://127.0.0.1:6379/15"],
        "--redis applies to a profile, not to a crawl by URL",
    ),
    "subdomains-with-profile": (
        ["crawl", "jmn", "--subdomains"],
        "--subdomains applies to a crawl by URL, not to a profile (jmn)",
    ),
}


@pytest.mark.parametrize("case", USAGE)
def test_usage_errors_are_one_line(case: str, tmp_path: Path) -> None:
    args, message = USAGE[case]
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl.cli", *args, "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "out").exists()  # nothing started, nothing written


# --- the documented example ------------------------------------------------------------------


def documented_commands() -> list[str]:
    """The commands of the first ``sh`` block of docs/operations.md's section on crawling a
    portal that has no profile."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("## Crawling a portal that has no profile", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_the_documented_example_runs_as_written(tmp_path: Path) -> None:
    articles = [f"/2026/12/05/story-number-{n}/" for n in range(3)]
    routes = {
        "/": html(page("Home", ["/news/"])),
        "/news/": html(page("News", articles)),
        **{p: html(page(f"Story {p}", article=True)) for p in articles},
    }
    commands = documented_commands()
    assert commands
    newscrawl = str(Path(sys.executable).parent / "newscrawl")
    with Site(routes) as site:
        for command in commands:
            assert command.startswith("newscrawl crawl https://portal.example/ ")
            args = command.replace("https://portal.example/", site.url + "/").split()[1:]
            result = subprocess.run(
                [newscrawl, *args],
                capture_output=True,
                text=True,
                cwd=tmp_path,
                timeout=300,
                check=False,
            )
            assert result.returncode == 0, result.stdout + result.stderr
    assert len(records(tmp_path)) == 3


def test_a_second_run_on_the_same_host_waits_for_the_lock(tmp_path: Path) -> None:
    from newscrawl.storage.runlock import RunLock

    articles = [f"/2026/12/05/story-number-{n}/" for n in range(2)]
    routes = {
        "/": html(page("Home", articles)),
        **{p: html(page(p, article=True)) for p in articles},
    }
    with Site(routes) as site:
        (tmp_path / "state").mkdir()
        with RunLock.for_site(tmp_path / "state", site_key(site.url)):
            result = crawl(site.url + "/news/", tmp_path)  # another address, the same host
    assert result.returncode == 75, result.stdout + result.stderr
    assert records(tmp_path) == []
    assert sum(site.hits.values()) == 0
