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


def test_title_loses_a_section_after_a_headline_with_a_dash_when_og_says_the_rest() -> None:
    # "<headline> – <its second part> – <section>": the part before the last dash is what
    # og:title says, so the title agrees with og:title against a differing h1.
    page = """<html><head>
      <title>Tears for the favourite – then the surprise – Athletics</title>
      <meta property="og:title" content="Tears for the favourite – then the surprise">
      </head><body><h1>Favourite in tears after the final</h1></body></html>"""
    root = html.document_fromstring(page)
    url = "https://daily.example/a"
    found = dict(headline.candidates(read_structured(root, url), root, url))
    assert found["title"] == "Tears for the favourite – then the surprise"
    assert _headline(page) == "Tears for the favourite – then the surprise"


def test_a_title_cut_with_an_ellipsis_votes_for_the_whole_headline() -> None:
    # og:title and twitter:title were cut to fit a social card; they say the h1's headline.
    page = """<html><head><title>Harbour bridge approved</title>
      <meta property="og:title" content="Council approves the harbour bridge after a…">
      <meta name="twitter:title" content="Council approves the harbour bridge after a…">
      </head><body>
      <h1>Council approves the harbour bridge after a decade of debate</h1></body></html>"""
    assert _headline(page) == "Council approves the harbour bridge after a decade of debate"


def test_an_ellipsis_inside_a_headline_is_not_a_cut() -> None:
    assert headline.truncated("Waiting… and then the storm came") is None
    assert headline.truncated("Waiting for the storm...") == "Waiting for the storm"


def test_a_twitter_title_that_copies_og_title_is_not_a_second_vote() -> None:
    # JSON-LD and <title> agree on one text; og:title and its copy in twitter:title on
    # another: two witnesses against one, not against two.
    page = """<html><head><title>Storm hits the coast overnight | Daily</title>
      <meta property="og:site_name" content="Daily">
      <meta property="og:title" content="Storm hits the coast">
      <meta name="twitter:title" content="Storm hits the coast">
      <script type="application/ld+json">{"@type": "NewsArticle",
        "headline": "Storm hits the coast overnight"}</script></head>
      <body><h1>Live: the storm</h1></body></html>"""
    assert _headline(page) == "Storm hits the coast overnight"


def test_a_twitter_title_of_its_own_votes() -> None:
    # twitter:title differs from og:title: it is a witness of its own, with JSON-LD.
    found = [
        ("h1", "Storm"),
        ("jsonld", "Storm hits the coast"),
        ("og", "Storm hits"),
        ("twitter", "Storm hits the coast"),
    ]
    assert headline.choose(found) == "Storm hits the coast"
