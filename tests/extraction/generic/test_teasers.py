"""Teasers: the related-article block, not a promo set in the text."""

from __future__ import annotations

from lxml import html

from newscrawl.extraction.generic import teasers

_P = "<p>Paragraph {} of the story about the harbour, the ferry and the council's long vote.</p>"


def _page() -> str:
    return (
        "<html><body><article><h1>Council votes on the ferry</h1><div class='story__body'>"
        + _P.format(1)
        + _P.format(2)
        + '<aside class="inline-promo"><h3>Read more</h3><a href="/news/2024/05/01/bridge.html">'
        "The bridge vote was delayed for the second time</a></aside>"
        + _P.format(3)
        + _P.format(4)
        + "</div></article>"
        '<section class="related-stories"><h2>Related</h2>'
        '<div class="card"><a href="/news/2024/05/02/buses.html">Night buses return to the'
        " old town</a><p>The council funds two more lines.</p></div>"
        '<div class="card"><a href="/news/2024/05/02/port.html">Port traders protest the rent'
        " rise</a></div></section></body></html>"
    )


def test_related_block_gives_teasers_and_the_in_text_promo_does_not() -> None:
    found = teasers.teasers(html.document_fromstring(_page()), "https://x.example/news/a.html")
    assert [t.title for t in found] == [
        "Night buses return to the old town",
        "Port traders protest the rent rise",
    ]


def test_excerpt_comes_from_the_card_not_from_the_article_text() -> None:
    found = teasers.teasers(html.document_fromstring(_page()), "https://x.example/news/a.html")
    assert [t.excerpt for t in found] == ["The council funds two more lines.", None]
