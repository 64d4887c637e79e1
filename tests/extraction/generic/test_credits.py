"""Figures: a caption and its credit, read apart."""

from __future__ import annotations

import pytest
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


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        # a figure's <footer> after its caption
        (
            '<figure><img src="/a.jpg"><figcaption>Protesters march in Hamburg.</figcaption>'
            "<footer>Imago/Jane Doe</footer></figure>",
            ("Protesters march in Hamburg.", "Imago/Jane Doe"),
        ),
        # a caption that is only a <cite>: a credit, no caption
        (
            '<figure><img src="/a.jpg"><figcaption><cite>janedoe - stock.example.com</cite>'
            "</figcaption></figure>",
            (None, "janedoe - stock.example.com"),
        ),
        # <small> at the end of the caption
        (
            '<figure><img src="/a.jpg"><figcaption>Smog over the city. <small>Jo Doe/Getty'
            " Images</small></figcaption></figure>",
            ("Smog over the city.", "Jo Doe/Getty Images"),
        ),
        # a labelled credit says more than a tag
        (
            '<figure><img src="/a.jpg"><figcaption>Smog over the city. (Photo: Getty Images)'
            "</figcaption><small>Getty</small></figure>",
            ("Smog over the city.", "Getty Images"),
        ),
        # small print that is a sentence is no credit
        (
            '<figure><img src="/a.jpg"><figcaption><small>The harbour at dawn, seen from the'
            " ferry.</small></figcaption></figure>",
            ("The harbour at dawn, seen from the ferry.", None),
        ),
    ],
)
def test_credit_marked_by_its_tag(markup: str, expected: tuple[str | None, str | None]) -> None:
    assert credits.figure_credit(html.fragment_fromstring(markup)) == expected


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        (
            "Zwei Minister beim Treffen | Bildquelle: Stadt Musterhausen",
            ("Zwei Minister beim Treffen", "Stadt Musterhausen"),
        ),
        (
            "Die Feuerwehr bei einer Übung. Bildnachweis: Jo Doe/dpa",
            ("Die Feuerwehr bei einer Übung.", "Jo Doe/dpa"),
        ),
        ("De haven bij nacht. Beeld: ANP", ("De haven bij nacht.", "ANP")),
        ("El puerto al amanecer. Imagen: EFE", ("El puerto al amanecer.", "EFE")),
        ("O porto ao amanhecer. Imagem: Lusa", ("O porto ao amanhecer.", "Lusa")),
        ("Ankara'da bir toplantı. Fotoğraf : Jo Doe/AA", ("Ankara'da bir toplantı.", "Jo Doe/AA")),
        (
            "Umhlangano edolobheni. Isithombe:\nThandi Dlamini",
            ("Umhlangano edolobheni.", "Thandi Dlamini"),
        ),
        # the words without a colon are words of the caption
        ("Imagen de archivo del puerto", ("Imagen de archivo del puerto", None)),
    ],
)
def test_credit_labels_of_more_languages(
    caption: str, expected: tuple[str | None, str | None]
) -> None:
    assert credits.caption_credit(caption) == expected


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        (
            "The mayor speaks at the town hall. | Jo Doe/PA Images via Getty Images",
            ("The mayor speaks at the town hall.", "Jo Doe/PA Images via Getty Images"),
        ),
        (
            "A crowd gathers at the harbour. (Ann Lee/Associated Press)",
            ("A crowd gathers at the harbour.", "Ann Lee/Associated Press"),
        ),
        # a card's title and its series, no sentence before the bar: no credit
        ("Will the council raise the fees? | Budget | The Weekly Show", None),
        # a note in brackets, not a photographer/agency
        ("Members at a rally. (Archive)", None),
        ("Sales rose again. (2019/2020)", None),
    ],
)
def test_unlabelled_credit_after_the_caption(
    caption: str, expected: tuple[str, str] | None
) -> None:
    figure = html.fragment_fromstring(
        f'<figure><img src="/a.jpg"><figcaption>{caption}</figcaption></figure>'
    )
    assert credits.figure_credit(figure) == (expected or (caption, None))


@pytest.mark.parametrize(
    ("credit_markup", "expected"),
    [
        # the photographer's element, then " /" and the agency's
        (
            '<span class="credit">Photo by Jo Doe</span> /<span class="agency">AFP via Getty'
            " Images</span>",
            "Jo Doe / AFP via Getty Images",
        ),
        ('<span class="credit">Jo Doe</span> / City News Service', "Jo Doe / City News Service"),
        # what follows without a slash is not the credit's
        ('<span class="credit">Jo Doe</span> <span>Share this photo</span>', "Jo Doe"),
        # nor is a sentence after a slash
        (
            '<span class="credit">Jo Doe</span> / <span>The harbour is closed today.</span>',
            "Jo Doe",
        ),
    ],
)
def test_credit_goes_on_after_a_slash(credit_markup: str, expected: str) -> None:
    figure = html.fragment_fromstring(
        '<figure><img src="/a.jpg"><figcaption><span class="caption">Smog over the'
        f" city.</span> {credit_markup}</figcaption></figure>"
    )
    caption, credit = credits.figure_credit(figure)
    assert credit == expected
    assert caption is not None
    assert caption.startswith("Smog over the city.")
