"""``newscrawl crawl URL`` against spider traps and odd site structures, end to end.

Each case serves a small site on 127.0.0.1 built the way some portals are (a ``<base
href>``, session ids in every link, ...) and checks what an unattended hourly run must
keep to: it ends within its budget, stays on the site, writes each article once and says
in its report what it met.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.commands.test_crawl_url import crawl, records, report
from tests.spiders.sites import Answer, Site, html, page

pytestmark = pytest.mark.e2e

STORIES = [f"/2026/12/0{n}/the-council-story-number-{n}/" for n in range(1, 4)]
"""Three article paths."""


def test_relative_links_resolve_against_the_base_href(tmp_path: Path) -> None:
    """Every page says ``<base href="/">`` and links relatively (``2026/12/01/...``), and
    the site answers any path with a page of the same links, as many do for a path they do
    not know. Resolved against each page's own URL, as before, every link was a page one
    level deeper than the last: the whole budget went on made-up paths, ever longer."""
    relative = [p.lstrip("/") for p in ["/section/world/", *STORIES]]
    base = '<base href="/">'
    routes = {
        "/": html(page("Home", relative, extra=base)),
        "/section/world/": html(page("World", relative, extra=base)),
        **{p: html(page(f"Story {p}", relative, article=True, extra=base)) for p in STORIES},
    }
    soft_404 = html(page("Not here", relative, extra=base))
    with Site(routes, default=soft_404) as site:
        result = crawl(site.url + "/", tmp_path, "--max-pages", "100")
    assert result.returncode == 0, result.stdout + result.stderr
    made_up = set(site.hits) - {*routes, "/robots.txt", "/sitemap.xml", "/sitemap_index.xml"}
    assert not made_up, sorted(made_up, key=len)[-3:]
    assert sorted(r["url"] for r in records(tmp_path)) == [site.url + p for p in STORIES]
    assert report(tmp_path)["skipped"].get("max_pages", 0) == 0


def session_site(decorate: str) -> Site:
    """A site whose every link carries a new session id: ``decorate`` is a format of the
    path and a counter (``{path};jsessionid=S{n}``); each page, once served, links to the
    three stories and a section under ids not given before."""
    counter = itertools.count()

    def links() -> list[str]:
        return [decorate.format(path=p, n=next(counter)) for p in ["/news/", *STORIES]]

    def answer(path: str) -> Answer:
        bare = re.split(r"[;?]", path, maxsplit=1)[0]
        if bare in ("/", "/news/"):
            return html(page("News", links()))
        if bare in STORIES:
            return html(page(f"Story {bare}", links(), article=True))
        return Answer(404, body=b"not found")

    return Site({}, default=answer)


@pytest.mark.parametrize(
    "decorate",
    ["{path};jsessionid=S{n:08d}", "{path}?PHPSESSID={n:08x}", "{path}?ASPSESSIONIDQQ=X{n}"],
    ids=["jsessionid-in-path", "phpsessid", "aspsessionid"],
)
def test_session_ids_in_every_link_give_each_article_once(tmp_path: Path, decorate: str) -> None:
    """Each visit a "new" URL: before, every page fetched linked the three stories under
    ids not seen yet, and the crawl wrote each story once per page it had left in its
    budget (147 records of 3 stories in 200 requests), flagged as copies of one another."""
    with session_site(decorate) as site:
        result = crawl(site.url + "/", tmp_path, "--max-pages", "100")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(r["url"] for r in records(tmp_path)) == [site.url + p for p in STORIES]
    run = report(tmp_path)
    assert run["pages_fetched"] < 15, run
    assert run["skipped"].get("max_pages", 0) == 0


def test_links_too_long_to_fetch_spend_no_budget_and_are_reported(tmp_path: Path) -> None:
    """Ten links longer than ``URLLENGTH_LIMIT`` ahead of the stories: Scrapy drops their
    requests, but each took one of the budget first; with ``--max-pages 8`` no story was
    fetched, the run failed as "not a news portal" and blamed the budget."""
    too_long = [f"/2026/12/05/{n}-" + "-".join(["word"] * 500) + "/" for n in range(10)]
    routes = {
        "/": html(page("Home", [*too_long, *STORIES])),
        **{p: html(page(f"Story {p}", article=True)) for p in [*too_long, *STORIES]},
    }
    with Site(routes) as site:
        result = crawl(site.url + "/", tmp_path, "--max-pages", "8")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(r["url"] for r in records(tmp_path)) == [site.url + p for p in STORIES]
    assert report(tmp_path)["skipped"] == {"url_too_long": 10}
    assert "not fetched: 10 links longer than URLLENGTH_LIMIT" in result.stdout


def test_links_robots_txt_forbids_spend_no_budget_and_are_reported(tmp_path: Path) -> None:
    """A search box's links (``/search/?q=...``), which robots.txt forbids, ahead of the
    stories on the home page: each took one of the budget before the robots.txt middleware
    dropped its request, so with ``--max-pages 8`` no story was fetched and the run
    failed as "not a news portal"."""
    searches = [f"/search/?q=topic-{n}" for n in range(10)]
    robots = Answer(content_type="text/plain", body=b"User-agent: *\nDisallow: /search\n")
    routes = {
        "/robots.txt": robots,
        "/": html(page("Home", [*searches, *STORIES])),
        "/search/": html(page("Search", STORIES)),
        **{p: html(page(f"Story {p}", article=True)) for p in STORIES},
    }
    with Site(routes) as site:
        result = crawl(site.url + "/", tmp_path, "--max-pages", "8")
        assert site.hits["/search/"] == 0
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(r["url"] for r in records(tmp_path)) == [site.url + p for p in STORIES]
    run = report(tmp_path)
    assert run["skipped"] == {"robots_forbidden": 10}
    assert run["rejects"] == 0
    assert "not fetched: 10 links robots.txt forbids" in result.stdout


def calendar(path: str) -> Answer:
    """An archive of every day, each day linking the day before and after, without end;
    the home page links the three stories and one day."""
    if path == "/":
        return html(page("Home", ["/2026/12/01/", *STORIES]))
    if match := re.fullmatch(r"/(\d{4})/(\d\d)/(\d\d)/", path):
        day = date(*map(int, match.groups()))
        links = [(day + timedelta(days=step)).strftime("/%Y/%m/%d/") for step in (-1, 1)]
        return html(page(f"Archive of {day}", links))
    if path in STORIES:
        return html(page(f"Story {path}", article=True))
    return Answer(404, body=b"not found")


def endless_pages(path: str) -> Answer:
    """``/news/?page=N`` for every N, each linking page N + 1 and the same three stories."""
    if path == "/":
        return html(page("Home", ["/news/?page=1", *STORIES]))
    if match := re.fullmatch(r"/news/\?page=(\d+)", path):
        return html(page("News", [f"/news/?page={int(match.group(1)) + 1}", *STORIES]))
    if path in STORIES:
        return html(page(f"Story {path}", article=True))
    return Answer(404, body=b"not found")


@pytest.mark.parametrize("answer", [calendar, endless_pages], ids=["calendar", "pagination"])
def test_listings_without_end_are_left_once_they_link_nothing_new(
    tmp_path: Path, answer: Callable[[str], Answer]
) -> None:
    """Before, every page of such a chain was followed until ``--max-pages`` was spent (300
    of 300 requests here; 5,000 an hour with the default), for no page they did not all
    link already; the report blamed the budget."""
    with Site({}, default=answer) as site:
        result = crawl(site.url + "/", tmp_path, "--max-pages", "300")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(r["url"] for r in records(tmp_path)) == [site.url + p for p in STORIES]
    run = report(tmp_path)
    assert run["pages_fetched"] < 20, run["pages_by_type"]
    assert "max_pages" not in run["skipped"]
    assert run["skipped"]["barren_listings"] > 0
    assert "listing links of pages that linked nothing new" in result.stdout
