"""The alternate headline: the article's headline in another language."""

from __future__ import annotations

import doctest

from lxml import html

from newscrawl.extraction.generic import alternate
from newscrawl.extraction.generic.structured import read_structured

URL = "https://news.example/de/2024/05/03/neue-faehre"
HEADLINE = "Neue Fähre für die Inselroute"
_TEXT = (
    "<p>Die neue Fähre verbindet ab dem Sommer die Insel mit dem Festland, jeden Tag und "
    "bei jedem Wetter, wie die Reederei am Freitag mitteilte.</p>"
)


def _alt(head: str, body: str = "") -> tuple[str, str] | None:
    page = (
        f'<html lang="de"><head><title>{HEADLINE}</title>{head}</head>'
        f"<body><article><h1>{HEADLINE}</h1>{body}{_TEXT}</article></body></html>"
    )
    root = html.document_fromstring(page)
    return alternate.alternate_headline(read_structured(root, URL), root, URL, HEADLINE, "de")


def test_doctests() -> None:
    assert doctest.testmod(alternate).failed == 0


def test_alternative_headline_in_json_ld() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
        f'"{HEADLINE}", "alternativeHeadline": "New ferry for the island route"}}</script>'
    )
    assert _alt(head) == ("New ferry for the island route", "en")


def test_hreflang_alternate_with_a_title() -> None:
    head = (
        '<link rel="alternate" hreflang="de" href="https://news.example/de/2024/05/03/neue-faehre">'
        '<link rel="alternate" hreflang="en-GB" href="/en/2024/05/03/new-ferry"'
        ' title="A new ferry links the island to the mainland">'
    )
    assert _alt(head) == ("A new ferry links the island to the mainland", "en")


def test_language_switcher_link_to_the_declared_translation() -> None:
    head = '<link rel="alternate" hreflang="en" href="https://news.example/en/new-ferry">'
    body = (
        '<p class="translation"><a href="/en/new-ferry" hreflang="en">Read in English: '
        "A new ferry links the island to the mainland</a></p>"
    )
    assert _alt(head, body) == ("A new ferry links the island to the mainland", "en")


def test_a_switcher_that_only_names_the_language_gives_nothing() -> None:
    head = '<link rel="alternate" hreflang="en" href="https://news.example/en/new-ferry">'
    body = '<nav><a href="/en/new-ferry" hreflang="en">English version</a></nav>'
    assert _alt(head, body) is None


def test_hreflang_links_to_other_articles_are_not_translations() -> None:
    # Teasers in another language carry hreflang, but the page declares no alternate there.
    body = (
        '<aside><a href="/en/markets" hreflang="en">Markets rally as the central bank holds '
        'rates</a><a href="/en/storm" hreflang="en">Storm closes the harbour for two days</a>'
        "</aside>"
    )
    assert _alt("", body) is None


def test_heading_marked_with_another_language() -> None:
    body = '<h2 lang="en" class="original-title">New ferry for the island route</h2>'
    assert _alt("", body) == ("New ferry for the island route", "en")


def test_same_language_alternate_is_not_an_alternate_headline() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
        f'"{HEADLINE}", "alternativeHeadline": "Fähre verbindet Insel und Festland täglich"}}'
        "</script>"
    )
    assert _alt(head) is None


def test_a_record_of_a_page_without_profile_carries_the_translated_headline() -> None:
    from datetime import UTC, datetime

    from newscrawl.extraction import extract_article

    page = (
        '<html lang="de"><head><meta charset="utf-8"><title>Neue Fähre</title>'
        '<meta property="og:type" content="article">'
        '<link rel="alternate" hreflang="en" href="https://news.example/en/new-ferry"'
        ' title="A new ferry links the island to the mainland"></head><body><article>'
        f"<h1>{HEADLINE}</h1>{_TEXT * 4}</article></body></html>"
    )
    record = extract_article(URL, page.encode(), now=datetime(2024, 5, 3, tzinfo=UTC))
    assert record.headline_alt is not None
    assert (record.headline_alt.text, record.headline_alt.lang) == (
        "A new ferry links the island to the mainland",
        "en",
    )


def test_undeclared_alternative_headline_close_to_the_page_language_is_not_one() -> None:
    # py3langid ranks this Russian headline as Bulgarian; Russian is close behind.
    url = "https://news.example/ru/a"
    alt = "Иван Петров о встрече министра с послом Малайзии"
    page = (
        '<html lang="ru"><head><script type="application/ld+json">{"@type": "NewsArticle",'
        f' "headline": "Тихий вечер", "alternativeHeadline": "{alt}"}}</script></head>'
        "<body><h1>Тихий вечер</h1></body></html>"
    )
    root = html.document_fromstring(page)
    found = alternate.alternate_headline(read_structured(root, url), root, url, "Тихий вечер", "ru")
    assert found is None
