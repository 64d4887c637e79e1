"""The headline: which trailing parts of a title are the site's name."""

from __future__ import annotations

from lxml import html

from newscrawl.extraction.generic import headline
from newscrawl.extraction.generic.structured import read_structured


def _headline(page: str, url: str = "https://www.daily.example/news/storm") -> str | None:
    root = html.document_fromstring(page)
    return headline.headline(read_structured(root, url), root, url)


def test_og_title_keeps_a_dashed_ending_that_is_part_of_the_headline() -> None:
    # og:title ends in " – then the surprise": not a site name (no site, domain or other
    # source says so), so the og:title and JSON-LD agree on the whole text against the h1.
    page = """<html><head><title>Tears for the favourite | Daily</title>
      <meta property="og:title" content="Tears for the favourite – then the surprise">
      <script type="application/ld+json">{"@type": "NewsArticle",
        "headline": "Tears for the favourite – then the surprise"}</script></head>
      <body><h1>Favourite in tears after the final</h1></body></html>"""
    assert _headline(page) == "Tears for the favourite – then the surprise"


def test_og_title_loses_the_domain_named_as_site() -> None:
    page = """<html><head>
      <meta property="og:title" content="Storm hits the coast - Daily.example">
      </head><body><h1>A different h1</h1></body></html>"""
    root = html.document_fromstring(page)
    found = dict(
        headline.candidates(
            read_structured(root, "https://daily.example/a"), root, "https://daily.example/a"
        )
    )
    assert found["og"] == "Storm hits the coast"


def test_og_title_loses_the_json_ld_publisher_name() -> None:
    page = """<html><head>
      <meta property="og:title" content="Storm hits the coast | Morning Courier">
      <script type="application/ld+json">{"@type": "NewsArticle",
        "publisher": {"@type": "Organization", "name": "Morning Courier"}}</script>
      </head><body><h1>A different h1</h1></body></html>"""
    root = html.document_fromstring(page)
    url = "https://mc.example/a"
    found = dict(headline.candidates(read_structured(root, url), root, url))
    assert found["og"] == "Storm hits the coast"


def test_og_title_loses_a_tail_when_another_source_says_the_rest() -> None:
    page = """<html><head>
      <meta property="og:title" content="Storm hits the coast – Regional news desk">
      </head><body><h1>Storm hits the coast</h1></body></html>"""
    root = html.document_fromstring(page)
    url = "https://x.example/a"
    found = dict(headline.candidates(read_structured(root, url), root, url))
    assert found["og"] == "Storm hits the coast"
