"""``fields.headline_alt``: a profile's selector for the alternate headline outside the body,
read by the generic extractor's rule (``extraction/alternate.py``)."""

from __future__ import annotations

import doctest
import importlib
import json
from datetime import UTC, datetime

import pytest

from newscrawl.extraction import extract_page, parse_page
from newscrawl.extraction.generic.record import generic_page
from newscrawl.items import AltHeadline
from newscrawl.profiles import Profile

NOW = datetime(2024, 3, 11, 12, tzinfo=UTC)
URL = "https://hafenblatt.example/en/new-ferry"
HEADLINE = "New ferry for the island route"
GERMAN = "Neue Fähre für die Inselroute zwischen Hafen und Festland"
TEXT = (
    "<p>The shipping company will put a new ferry into service this summer, one that"
    " carries twice as many bicycles as the old ship and charges from the harbour grid.</p>"
    "<p>According to the managing director the ship costs almost twelve million euros;"
    " the state pays a third because the route counts as public transport.</p>"
)


def page_with(translation: str, *, jsonld: bool = True) -> bytes:
    """Return an English article page that links its German translation, whose headline
    is ``translation`` (also its JSON-LD ``alternativeHeadline`` with ``jsonld``)."""
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": HEADLINE}
    if jsonld:
        data["alternativeHeadline"] = translation
    return (
        '<html lang="en"><head><title>New ferry | Hafenblatt</title>'
        '<link rel="alternate" hreflang="de" href="/de/neue-faehre">'
        f'<script type="application/ld+json">{json.dumps(data)}</script></head><body>'
        f'<article><h1>{HEADLINE}</h1><p class="translation">Auf Deutsch: '
        f'<a href="/de/neue-faehre" lang="de">{translation}</a></p>'
        f'<div class="text">{TEXT}</div></article></body></html>'
    ).encode()


def profile(*alt: str) -> Profile:
    """A portal profile with the ``alt`` selectors for the alternate headline."""
    fields: dict[str, object] = {"article": "article", "headline": "h1"}
    if alt:
        fields["headline_alt"] = list(alt)
    return Profile(
        "hafen",
        "portal",
        {
            "site": {"domains": ["hafenblatt.example"], "languages": ["en", "de"]},
            "fields": fields,
            "body": {"container": "div.text"},
        },
    )


def record_alt(body: bytes, selected: Profile) -> AltHeadline | None:
    """The alternate headline the profile's own selectors give (no generic fill)."""
    page = parse_page(URL, body, profile=selected, now=NOW)
    return extract_page(page, fill=False).headline_alt


@pytest.mark.parametrize("name", ["alternate", "text"])
def test_doctests(name: str) -> None:
    # The core modules of the rule and of the text key it compares by.
    module = importlib.import_module(f"newscrawl.extraction.{name}")
    results = doctest.testmod(module)
    assert results.attempted > 0
    assert results.failed == 0


def test_the_selector_gives_what_the_generic_fill_gives() -> None:
    body = page_with(GERMAN)
    page = parse_page(URL, body, profile=profile(), now=NOW)
    filled = extract_page(page).headline_alt  # no selector: the generic fill reads it
    assert filled == AltHeadline(text=GERMAN, lang="de")
    assert record_alt(body, profile("p.translation a")) == filled


def test_the_selector_is_read_without_json_ld() -> None:
    body = page_with(GERMAN, jsonld=False)
    assert record_alt(body, profile("p.translation a")) == AltHeadline(text=GERMAN, lang="de")


@pytest.mark.parametrize(
    "translation",
    [
        "Auf Deutsch",  # fewer words than a headline: a switcher's label
        HEADLINE,  # the headline itself
        "The new ferry for the island route starts today",  # the page's own language
    ],
)
def test_a_selected_text_the_generic_rule_refuses_is_no_alternate_headline(
    translation: str,
) -> None:
    body = page_with(translation)
    assert record_alt(body, profile("p.translation a")) is None
    page = parse_page(URL, body, profile=profile(), now=NOW)
    assert generic_page(page).headline_alt is None  # the same answer as the generic one


def test_each_selector_gives_one_candidate_in_order() -> None:
    # The first selector's text is refused (the headline itself); the next one's is taken.
    body = page_with(GERMAN)
    assert record_alt(body, profile("h1", "p.translation a")) == AltHeadline(text=GERMAN, lang="de")
    # One selector's first text only: the headline, refused; the German link after it in
    # the same selector's matches is not read.
    assert record_alt(body, profile("h1, p.translation a")) is None
