"""Figures: a caption and its credit, read apart."""

from __future__ import annotations

from lxml import html

from newscrawl.extraction.generic import credits


def test_credit_element_inside_the_caption_is_not_part_of_the_caption() -> None:
    figure = html.fragment_fromstring(
        '<figure class="story__lead-media"><img src="/m/lead.jpg" alt="">'
        '<figcaption class="story__caption"><span class="story__caption-text">Riders wait at'
        ' the harbour before dawn.</span> <span class="story__credit">Jin Park / dpa</span>'
        "</figcaption></figure>"
    )
    assert credits.figure_credit(figure) == (
        "Riders wait at the harbour before dawn.",
        "Jin Park / dpa",
    )


def test_credit_element_before_the_caption_text() -> None:
    figure = html.fragment_fromstring(
        '<figure><img src="/m/lead.jpg"><figcaption><span class="credit">Photo: Ann Lee</span>'
        " – Riders wait at the harbour before dawn.</figcaption></figure>"
    )
    assert credits.figure_credit(figure) == ("Riders wait at the harbour before dawn.", "Ann Lee")
