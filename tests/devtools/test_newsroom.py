"""Tests of the second benchmark portal, ``bench/newsroom.py``.

Its pages, links, sitemaps and feeds must agree with the truth it publishes, since crawl and
profile-suggestion benchmarks are scored against that truth. One small portal is served by
the real command on 127.0.0.1 and read over HTTP; the generation tests use the module alone.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urljoin

import pytest
from cssselect import SelectorSyntaxError
from parsel import Selector

from tests.bench_support import load_bench

REPO = Path(__file__).resolve().parents[2]
NEWSROOM_FILE = REPO / "bench" / "newsroom.py"
ARTICLES = 260
SEED = 5
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting"}


@pytest.fixture(scope="module")
def newsroom() -> ModuleType:
    """The ``bench/newsroom.py`` module (bench/ is not a package: loaded from its file)."""
    module = load_bench("newsroom")
    return module


def test_the_newsroom_and_the_tests_share_one_portal_module(newsroom: ModuleType) -> None:
    # bench/newsroom.py builds on bench/portal.py; loaded twice, the two would have classes
    # of the same names that are not the same (isinstance and dataclass checks fail).
    portal = load_bench("portal")
    assert newsroom.portal is portal
    assert newsroom.Resource is portal.Resource
    assert load_bench("newsroom") is newsroom


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The command serving a small portal; yields its URL, truth and non-article list."""
    out = tmp_path_factory.mktemp("newsroom")
    truth, others = out / "truth.jsonl", out / "non_articles.jsonl"
    command = [
        sys.executable, str(NEWSROOM_FILE), "--articles", str(ARTICLES), "--seed", str(SEED),
        "--port", "0", "--truth", str(truth), "--non-articles", str(others),
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("READY http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[1]
        yield {
            "url": url,
            "truth": [json.loads(x) for x in truth.read_text(encoding="utf-8").splitlines()],
            "others": [json.loads(x) for x in others.read_text(encoding="utf-8").splitlines()],
        }
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0  # SIGTERM stops it cleanly


def fetch(url: str) -> tuple[int, bytes]:
    """GET ``url`` without following redirects; return status and body."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def page(url: str) -> Selector:
    """The HTML page at ``url``, which must answer 200."""
    status, body = fetch(url)
    assert status == 200, url
    return Selector(text=body.decode("utf-8"))


def json_ld(sel: Selector) -> list[dict[str, Any]]:
    """Every JSON-LD object of a page (each script must parse)."""
    found = []
    for text in sel.css('script[type="application/ld+json"]::text').getall():
        data = json.loads(text)
        found += data.get("@graph", [data])
    return found


def sitemap_locs(url: str) -> list[str]:
    """The ``<loc>`` URLs of a sitemap or sitemap index."""
    status, body = fetch(url)
    assert status == 200, url
    return [loc.text or "" for loc in ET.fromstring(body).iter(f"{SITEMAP}loc")]


# --- generation ----------------------------------------------------------------------


def test_the_same_seed_gives_the_same_portal_and_another_seed_another(
    newsroom: ModuleType,
) -> None:
    base = "http://127.0.0.1:8000"
    first = newsroom.generate_newsroom(80, seed=3)
    again = newsroom.generate_newsroom(80, seed=3)
    other = newsroom.generate_newsroom(80, seed=4)
    assert first.truth(base) == again.truth(base)
    assert first.non_articles(base) == again.non_articles(base)
    routes = newsroom.build_routes(first, base)[0]
    routes_again = newsroom.build_routes(again, base)[0]
    assert {k: v.body for k, v in routes.items()} == {k: v.body for k, v in routes_again.items()}
    assert [r["url"] for r in first.truth(base)] != [r["url"] for r in other.truth(base)]


def test_the_portal_mixes_url_shapes_languages_and_translations(newsroom: ModuleType) -> None:
    truth = newsroom.generate_newsroom(400, seed=1).truth("http://h")
    assert len(truth) == 400
    assert len({r["url"] for r in truth}) == 400
    paths = [r["url"].removeprefix("http://h") for r in truth]
    assert any(p.startswith("/news/") and p.endswith(".html") for p in paths)
    assert any(p.startswith(("/sport/", "/opinion/")) for p in paths)
    assert any(p.startswith("/de/") for p in paths)
    assert {r["language"] for r in truth} == {"en", "de"}
    pairs = [r for r in truth if r["headline_alt"]]
    assert pairs
    for record in pairs:  # a translation shows its original's headline, and back
        alt = record["headline_alt"]
        assert alt["lang"] != record["language"]
        others = [r for r in truth if (r["headline"], r["language"]) == (alt["text"], alt["lang"])]
        assert any((r["headline_alt"] or {}).get("text") == record["headline"] for r in others)


def _theme_selectors(value: Any) -> Iterator[str]:
    """The CSS selectors in a profile that name an id or a class (not plain meta/link ones)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _theme_selectors(item)
    elif isinstance(value, list):
        for item in value:
            yield from _theme_selectors(item)
    elif isinstance(value, str) and not value.startswith("xpath:"):
        css = value.split("::")[0]
        if "#" in css or "." in css:
            with contextlib.suppress(SelectorSyntaxError):  # prose such as a description
                Selector(text="<p></p>").css(css)
                yield css


def test_no_sahifa_selector_matches_a_newsroom_page(newsroom: ModuleType) -> None:
    profile = tomllib.loads((REPO / "newscrawl/profiles/sahifa.toml").read_text(encoding="utf-8"))
    selectors = set(_theme_selectors(profile))
    assert len(selectors) > 10
    site = newsroom.generate_newsroom(60, seed=2)
    routes = newsroom.build_routes(site, "http://127.0.0.1:8000")[0]
    paths = [site.articles[3].path, "/", site.sections[0].path, site.media[0].path]
    for path in paths:
        sel = Selector(text=b"".join(routes[path.encode()].body).decode())
        assert not [css for css in selectors if sel.css(css)], path


def test_zero_articles_is_refused(newsroom: ModuleType) -> None:
    with pytest.raises(ValueError, match="articles"):
        newsroom.generate_newsroom(0)


def test_the_command_refuses_zero_articles_without_a_traceback() -> None:
    command = [sys.executable, str(NEWSROOM_FILE), "--articles", "0", "--port", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "--articles must be at least 1" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


# --- served over HTTP -----------------------------------------------------------------


def test_the_truth_file_describes_every_generated_article(
    served: dict[str, Any], newsroom: ModuleType
) -> None:
    site = newsroom.generate_newsroom(ARTICLES, seed=SEED)
    assert served["truth"] == json.loads(json.dumps(site.truth(served["url"])))
    assert all(r["url"].startswith(served["url"] + "/") for r in served["truth"])


def test_every_article_is_reachable_from_section_pagination(served: dict[str, Any]) -> None:
    base = served["url"]
    home = page(base + "/")
    sections = home.css(".site-nav__link::attr(href)").getall()
    sections = [s for s in sections if s not in ("/news/", "/galleries/", "/video/")]
    assert sections
    found: set[str] = set()
    pages = 0
    for first in sections:
        url: str | None = urljoin(base, first)
        while url:
            sel = page(url)
            pages += 1
            found.update(urljoin(url, h) for h in sel.css(".card__link::attr(href)").getall())
            following = sel.css('link[rel="next"]::attr(href)').get()
            assert following == (
                urljoin(url, n) if (n := sel.css("a.pager__next::attr(href)").get()) else None
            )
            url = following
    assert found == {r["url"] for r in served["truth"]}
    assert pages > len(sections)  # some sections have more than one page


def test_robots_names_a_sitemap_index_whose_sitemaps_list_every_article(
    served: dict[str, Any],
) -> None:
    base = served["url"]
    status, robots = fetch(base + "/robots.txt")
    assert status == 200
    lines = robots.decode().splitlines()
    index = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("Sitemap:")]
    assert index == [base + "/sitemaps/index.xml"]
    truth = {r["url"]: r for r in served["truth"]}
    others = {p["url"] for p in served["others"]}
    listed: set[str] = set()
    news: set[str] = set()
    for sitemap in sitemap_locs(index[0]):
        status, body = fetch(sitemap)
        assert status == 200, sitemap
        root = ET.fromstring(body)
        for url in root.iter(f"{SITEMAP}url"):
            loc = url.findtext(f"{SITEMAP}loc") or ""
            assert fetch(loc)[0] == 200, loc
            if url.find(f"{NEWS}news") is not None:
                news.add(loc)
                title = url.findtext(f"{NEWS}news/{NEWS}title")
                assert title == truth[loc]["headline"]
                language = url.findtext(f"{NEWS}news/{NEWS}publication/{NEWS}language")
                assert language == truth[loc]["language"]
            elif loc in truth:
                listed.add(loc)
                assert url.findtext(f"{SITEMAP}lastmod") == truth[loc]["modified_at"]
            else:
                assert loc in others, loc
    assert listed == set(truth)
    assert news
    assert news <= set(truth)


def test_article_pages_show_what_the_truth_says(served: dict[str, Any]) -> None:
    for record in served["truth"]:
        sel = page(record["url"])
        ld = json_ld(sel)
        (article,) = [x for x in ld if x["@type"] in ARTICLE_TYPES]
        (crumbs,) = [x for x in ld if x["@type"] == "BreadcrumbList"]
        assert sel.css('link[rel="canonical"]::attr(href)').get() == record["canonical_url"]
        assert sel.css("html::attr(lang)").get() == record["language"] == article["inLanguage"]
        assert sel.css("h1::text").get() == record["headline"] == article["headline"]
        assert article["datePublished"] == record["published_at"]
        assert article["dateModified"] == record["modified_at"]
        assert [a["name"] for a in article["author"]] == record["authors"]
        assert sel.css(".byline__author::text").getall() == record["authors"]
        assert article["articleSection"] == record["section"]
        assert article["keywords"] == record["tags"] == sel.css('a[rel="tag"]::text').getall()
        assert [
            {"name": c["name"], "url": c.get("item")} for c in crumbs["itemListElement"]
        ] == record["breadcrumb"]
        assert sel.css(".story__body > p::text").getall() == record["body"]
        teasers = [
            {
                "title": t.css(".teaser__title::text").get(),
                "url": urljoin(record["url"], t.css("a::attr(href)").get() or ""),
                "excerpt": t.css(".teaser__excerpt::text").get(),
            }
            for t in sel.css(".related-stories .teaser")
        ]
        assert teasers == record["teasers"]
        if record["images"]:
            (lead,) = record["images"]
            image = article["image"]
            assert (image["url"], image["caption"], image["creditText"]) == (
                lead["url"], lead["caption"], lead["credit"],
            )  # fmt: skip
            assert (
                urljoin(record["url"], sel.css("figure img::attr(src)").get() or "") == lead["url"]
            )
            assert sel.css("figcaption .story__credit::text").get() == record["photo_credit"]
        else:
            assert "image" not in article
            assert not sel.css("figure")
        alternates = sel.css('link[rel="alternate"][hreflang]')
        if record["headline_alt"]:
            alt = record["headline_alt"]
            assert article["alternativeHeadline"] == alt["text"]
            href = alternates.css(f'[hreflang="{alt["lang"]}"]::attr(href)').get() or ""
            assert page(href).css("h1::text").get() == alt["text"]
        else:
            assert not alternates
            assert "alternativeHeadline" not in article


def test_no_non_article_page_carries_article_structured_data(served: dict[str, Any]) -> None:
    kinds = {p["kind"] for p in served["others"]}
    assert kinds >= {"home", "section", "tag", "author", "gallery", "video", "static"}
    for other in served["others"]:
        ld = json_ld(page(other["url"]))
        assert ld, other
        types = {x["@type"] for x in ld}
        assert not types & ARTICLE_TYPES, other
        if other["kind"] in ("gallery", "video"):
            assert types & {"ImageGallery", "VideoObject"}, other


def test_the_home_page_announces_feeds_that_list_articles(served: dict[str, Any]) -> None:
    base = served["url"]
    urls = {r["url"] for r in served["truth"]}
    home = page(base + "/")
    feeds = home.css('link[rel="alternate"][type$="+xml"]::attr(href)').getall()
    assert len(feeds) >= 2
    for feed in feeds:
        status, body = fetch(urljoin(base, feed))
        assert status == 200
        root = ET.fromstring(body)
        items = [e.get("href") for e in root.iterfind(f"{ATOM}entry/{ATOM}link")]
        items += [e.findtext("link") for e in root.iter("item")]
        assert items, feed
        assert set(items) <= urls, feed


def test_stats_count_requests_and_name_paths_that_answered_404(served: dict[str, Any]) -> None:
    base = served["url"]
    assert fetch(base + "/no/such/page-1")[0] == 404
    assert fetch(base + "/news/world/page/1/")[0] == 301
    assert fetch(base + "/sport/?page=999")[0] == 404
    assert fetch(base + "/sport/?utm_source=feed")[0] == 200
    status, body = fetch(base + "/__stats__")
    assert status == 200
    stats = json.loads(body)
    assert stats["articles"] == ARTICLES
    assert stats["not_found"].get("/no/such/page-1") == 1
    assert stats["not_found"].get("/sport/?page=999") == 1
    assert stats["foreign_hosts"] == {}
    assert stats["statuses"]["404"] >= 1
