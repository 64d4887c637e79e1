"""``newscrawl.profiles.suggest``: which empty fields the suggested profile answers itself
(``fill.skip``), so that extraction with it does not run the generic fill for them."""

from __future__ import annotations

import tomllib

from newscrawl.extraction import extract_page, parse_page
from newscrawl.profiles import Profile
from newscrawl.profiles.suggest import SamplePage, suggest_profile
from tests.profiles.test_suggest import TITLES

# A portal that writes the photo credit as the last line of the text ("Photo: …"), where
# the profile's body reads it and the generic extractor does not look.
PAGE = """<!doctype html><html lang="en"><head><title>{title} - The Courier</title>
<link rel="canonical" href="https://courier.example/story/{n}/">
<meta property="og:type" content="article">
<meta property="article:published_time" content="2024-05-1{n}T08:30:00+02:00">
</head><body><div id="page"><article class="entry">
<h1 class="entry-title">{title}</h1>
<div class="byline">By <a class="writer" href="/staff/{author}/">{Author}</a></div>
<div id="text">
<p>{title} was the talk of the town on Monday, as people gathered in the square to hear what
the mayor had to say about it, and many of them stayed until the evening to talk it over with
their neighbours, some of whom had come from the villages around the city.</p>
<p>Officials said that the matter would be looked at again next week, in district {n}.</p>
<p>Residents said they had waited for this for a long time already, and that they hoped the
work would be finished before the winter, when the roads are hard to use.</p>
{credit}</div>{figure}
</article></div></body></html>"""

# A credited picture outside the text, on one page only: the generic extractor reads its
# credit, the profile (no lead image on most pages) does not.
FIGURE = """<figure class="photo"><img src="/img/{n}.jpg" alt="">
<figcaption>Crowds by the river <span class="credit">Kim Lee / Reuters</span></figcaption>
</figure>"""


def courier_pages(uncredited: int, figure_on: int | None = None) -> list[SamplePage]:
    """Six pages, each with a credit line but the first ``uncredited``; page ``figure_on``
    (if any) also has a credited figure outside the text."""
    pages = []
    for n, title in enumerate(TITLES):
        author = ["ann", "bob", "cy"][n % 3]
        html = PAGE.format(
            title=title,
            n=n,
            author=author,
            Author=f"{author.title()} Smith",
            credit="" if n < uncredited else f"<p>Photo: Jo Doe/AP {n}</p>",
            figure=FIGURE.format(n=n) if n == figure_on else "",
        )
        url = f"https://courier.example/story/{n}/"
        pages.append(SamplePage(f"c{n}.html", url, html.encode()))
    return pages


def test_a_credit_the_generic_extractor_never_reads_is_not_filled_in() -> None:
    # One page of six has no credit line. By that page alone the empty credit is no
    # answer (one page is too few), but the generic extractor finds a credit on none of
    # the six, not even where the text has one: its fill would find none, so the profile
    # answers the field, and a page without a credit line gives none without the fill.
    pages = courier_pages(uncredited=1)
    text = suggest_profile(pages, themes=[]).toml()
    data = tomllib.loads(text)
    assert "photo_credit" in data["fill"]["skip"]
    lines = text.splitlines()
    comment = lines[lines.index("[fill]") + 1]
    assert "photo_credit on 1" in comment
    assert "none of the 6 pages" in comment
    profile = Profile("courier", "portal", data)
    credited = extract_page(parse_page(pages[3].url, pages[3].body, profile=profile))
    assert credited.photo_credit == "Jo Doe/AP 3"
    bare = extract_page(parse_page(pages[0].url, pages[0].body, profile=profile))
    assert bare.photo_credit is None


def test_a_credit_the_generic_extractor_reads_somewhere_is_still_filled_in() -> None:
    # The same sample, but one page also shows a credited picture: the generic extractor
    # reads credits on this portal, so one page without a credit line is no answer.
    pages = courier_pages(uncredited=1, figure_on=4)
    data = tomllib.loads(suggest_profile(pages, themes=[]).toml())
    assert "photo_credit" not in data.get("fill", {}).get("skip", [])
    # A page with the picture and no credit line gets the picture's credit from the fill.
    page = courier_pages(uncredited=6, figure_on=4)[4]
    profile = Profile("courier", "portal", data)
    record = extract_page(parse_page(page.url, page.body, profile=profile))
    assert record.photo_credit == "Kim Lee / Reuters"


def test_a_credit_every_page_has_is_no_evidence() -> None:
    # No page without a credit line: nothing says what an empty credit means.
    data = tomllib.loads(suggest_profile(courier_pages(uncredited=0), themes=[]).toml())
    assert "photo_credit" not in data.get("fill", {}).get("skip", [])
