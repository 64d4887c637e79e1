"""The generic fill of a profile's record: what it reads again, and what it takes from the
record (``generic/record.py``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from newscrawl.extraction import parse_page
from newscrawl.extraction.generic import GenericPage
from newscrawl.extraction.generic import headline as headline_module
from newscrawl.extraction.generic.record import fill_record
from newscrawl.items import Article, Breadcrumb
from newscrawl.profiles import Profile

NOW = datetime(2024, 3, 11, 12, tzinfo=UTC)
URL = "https://hafenblatt.example/en/new-ferry"
TEXT = (
    "<p>The shipping company will put a new ferry into service this summer, one that"
    " carries twice as many bicycles as the old ship and charges from the harbour grid.</p>"
    "<p>According to the managing director the ship costs almost twelve million euros;"
    " the state pays a third because the route counts as public transport.</p>"
)


def page_with(alternative: str) -> str:
    """Return an English article page whose JSON-LD names ``alternative`` as its
    alternate headline, with a breadcrumb trail and a byline."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "New ferry for the island route",
        "alternativeHeadline": alternative,
    }
    return (
        '<html lang="en"><head><title>New ferry for the island route | Hafenblatt</title>'
        f'<script type="application/ld+json">{json.dumps(data)}</script></head><body>'
        '<nav class="breadcrumb"><a href="/">Start</a> <a href="/en/">City</a></nav>'
        "<article><h1>New ferry for the island route</h1>"
        '<p class="byline">By Jo Doe</p>'
        f"{TEXT}</article></body></html>"
    )


def plain_profile() -> Profile:
    """A portal profile with no body container (its pages parse as lxml.html trees)."""
    return Profile("plain", "portal", {"site": {"domains": ["hafenblatt.example"]}})


def test_the_fill_does_not_read_again_what_the_record_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The alternate headline and the body need the headline, the byline and the page's
    # language; the section needs the breadcrumb. Reading those again cost a newsroom page
    # more than the alternate headline itself.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fill read a field the profile's record has")

    monkeypatch.setattr(headline_module, "headline", refuse)
    monkeypatch.setattr(GenericPage, "_structured_breadcrumb", refuse)
    monkeypatch.setattr("newscrawl.extraction.generic._authors.authors", refuse)
    page = parse_page(
        URL, page_with("Neue Fähre für die Inselroute").encode(), profile=plain_profile(), now=NOW
    )
    article = Article(
        headline="New ferry for the island route",
        authors=["Jo Doe"],
        breadcrumb=[Breadcrumb(name="Start", url="https://hafenblatt.example/")],
        language="en",
    )
    filled = fill_record(article, page)
    assert "headline_alt" in filled
    assert "body" in filled
    assert article.headline_alt is not None
    assert article.headline_alt.text == "Neue Fähre für die Inselroute"
    assert article.headline_alt.lang == "de"
    assert len(article.body) == 2  # without the headline and the byline


def test_the_alternate_headline_is_never_the_records_headline() -> None:
    # The profile took the German title as the headline; the generic extractor's own
    # headline is the English one. The German title is then no alternate of the record.
    page = parse_page(
        URL, page_with("Neue Fähre für die Inselroute").encode(), profile=plain_profile(), now=NOW
    )
    article = Article(headline="Neue Fähre für die Inselroute", language="en")
    fill_record(article, page)
    assert article.headline_alt is None


def test_the_fill_reads_the_fields_the_record_lacks() -> None:
    page = parse_page(
        URL, page_with("Neue Fähre für die Inselroute").encode(), profile=plain_profile(), now=NOW
    )
    article = Article()
    filled = fill_record(article, page)
    assert article.headline == "New ferry for the island route"
    assert [c.name for c in article.breadcrumb] == ["Start", "City"]
    assert article.language == "en"
    assert article.headline_alt is not None
    assert article.headline_alt.text == "Neue Fähre für die Inselroute"
    assert {"headline", "breadcrumb", "language", "headline_alt", "body"} <= set(filled)


def test_a_record_without_language_gets_the_pages_not_its_headlines() -> None:
    # With no body to read (a profile with a body container parses pages as trees that
    # trafilatura cannot read), the generic extractor takes the language of the headline:
    # the page's own, not the record's (a profile may have picked another language's title).
    profile = Profile(
        "boxed",
        "portal",
        {"site": {"domains": ["hafenblatt.example"]}, "body": {"container": ["div.text"]}},
    )
    text = "<html><body><h1>Neue Fähre für die Inselroute ab dem ersten Juni</h1></body></html>"
    page = parse_page(URL, text.encode(), profile=profile, now=NOW)
    article = Article(headline="New ferry for the island route from the first of June")
    fill_record(article, page)
    assert article.language == "de"


def test_fields_the_profile_answers_are_not_filled() -> None:
    # fill.skip: where the profile's selectors find no alternate headline and no image, the
    # record has none; the other empty fields are still filled.
    profile = Profile(
        "answers",
        "portal",
        {
            "site": {"domains": ["hafenblatt.example"]},
            "fill": {"skip": ["headline_alt", "images", "photo_credit"]},
        },
    )
    page = parse_page(
        URL, page_with("Neue Fähre für die Inselroute").encode(), profile=profile, now=NOW
    )
    article = Article(headline="New ferry for the island route", language="en")
    filled = fill_record(article, page)
    assert article.headline_alt is None
    assert "headline_alt" not in filled
    assert [c.name for c in article.breadcrumb] == ["Start", "City"]
    assert "body" in filled


def test_fill_skip_names_only_fields_the_fill_gives() -> None:
    from newscrawl.extraction.generic.record import FILL_FIELDS
    from newscrawl.profiles.check import profile_problems, profile_schema

    names = profile_schema()["properties"]["fill"]["properties"]["skip"]["items"]["enum"]
    assert tuple(names) == FILL_FIELDS
    assert profile_problems({"fill": {"skip": ["headline_alt", "images"]}}) == []
    problems = profile_problems({"fill": {"skip": ["teasers"]}})
    assert len(problems) == 1
    assert "[fill] skip" in problems[0]


def test_a_record_with_nothing_to_fill_reads_nothing_and_makes_no_loader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every field is found or answered (fill.skip): the fill has nothing to read, and the
    # loader it would clean values with (30 us a page, most of a Sahifa page's fill) is
    # never made.
    import newscrawl.extraction.generic.record as record

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fill read or cleaned something")

    monkeypatch.setattr(record, "ArticleLoader", refuse)
    monkeypatch.setattr(record, "generic_page", refuse)
    profile = Profile(
        "answered",
        "portal",
        {
            "site": {"domains": ["hafenblatt.example"]},
            "body": {"container": ["article"]},
            "fill": {"skip": [n for n in record.FILL_FIELDS if n not in ("headline", "body")]},
        },
    )
    page = parse_page(URL, page_with("Neue Fähre").encode(), profile=profile, now=NOW)
    article = Article(headline="New ferry for the island route", body=["Text."])
    assert fill_record(article, page) == []


def test_a_field_the_generic_extractor_finds_nothing_for_makes_no_loader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only the alternate headline is left to fill, and the page has none.
    import newscrawl.extraction.generic.record as record

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fill made a loader with nothing to clean")

    monkeypatch.setattr(record, "ArticleLoader", refuse)
    skip = [n for n in record.FILL_FIELDS if n not in ("headline", "body", "headline_alt")]
    profile = Profile(
        "answered",
        "portal",
        {
            "site": {"domains": ["hafenblatt.example"]},
            "body": {"container": ["article"]},
            "fill": {"skip": skip},
        },
    )
    page = parse_page(URL, page_with("").encode(), profile=profile, now=NOW)
    article = Article(headline="New ferry for the island route", body=["Text."], language="en")
    assert fill_record(article, page) == []
