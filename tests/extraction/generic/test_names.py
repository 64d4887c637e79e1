"""The page's attribute values read once (``attribute_names``), and the queries they spare:
each must find exactly what a query over every element of the page finds."""

from __future__ import annotations

import pytest
from lxml import etree, html

from newscrawl.extraction.generic import body, breadcrumb_element, teasers
from newscrawl.extraction.generic.text import attribute_names

_CASE_FOLDING_BREADCRUMB = etree.XPath(
    "(//*[contains(translate(@class, 'BREADCUMS', 'breadcums'), 'breadcrumb')"
    " or contains(translate(@aria-label, 'BREADCUMS', 'breadcums'), 'breadcrumb')"
    " or contains(translate(@id, 'BREADCUMS', 'breadcums'), 'breadcrumb')][.//a[@href]])[1]"
)
"""What the breadcrumb query was: every attribute of the page case-folded."""


def _page(inner: str) -> html.HtmlElement:
    return html.document_fromstring(
        "<html><body><header class='top'><a href='/'>Home</a></header>"
        f"{inner}<main><p class='Lead'>Text.</p></main></body></html>"
    )


@pytest.mark.parametrize(
    "inner",
    [
        '<nav class="breadcrumb"><a href="/a/">A</a></nav>',
        '<nav class="site-BreadCrumbs x"><a href="/a/">A</a></nav>',
        '<ol aria-label="BREADCRUMB"><li><a href="/a/">A</a></li></ol>',
        '<div id="bReAdCrUmB"><a href="/a/">A</a></div>',
        '<div class="breadcrumb">no link</div><ul class="Breadcrumb"><a href="/b/">B</a></ul>',
        '<div class="bread-crumb"><a href="/a/">A</a></div>',  # not the word: none
        '<div class="x"><a href="/a/">breadcrumb</a></div>',  # a text, not a name: none
        '<p id="BREADCRUMBS"></p><nav class="breadcrumb-nav"><a href="/">H</a></nav>',
    ],
)
def test_breadcrumb_element_finds_what_the_case_folding_query_finds(inner: str) -> None:
    root = _page(inner)
    assert breadcrumb_element(root, attribute_names(root)) == _CASE_FOLDING_BREADCRUMB(root)


def test_breadcrumb_element_of_a_page_without_one_is_empty() -> None:
    root = _page("<div class='content'><a href='/a/'>A</a></div>")
    assert breadcrumb_element(root, attribute_names(root)) == []


_CARDS = (
    '<div class="card"><a href="/news/2024/05/02/buses.html">Night buses return to the old'
    ' town</a></div><div class="card"><a href="/news/2024/05/02/port.html">Port traders'
    " protest the rent rise</a></div>"
)


@pytest.mark.parametrize(
    ("block", "found"),
    [
        (f'<section class="Related_Stories">{_CARDS}</section>', 2),
        (f'<div id="MORE-NEWS">{_CARDS}</div>', 2),
        (f'<aside aria-label="Weitere Artikel">{_CARDS}</aside>', 2),
        (f'<div class="x İnfo"></div><ul class="readMore">{_CARDS}</ul>', 2),  # İ: no spellings
        (f'<div class="latest">{_CARDS}</div>', 0),
        (f'<span class="related">{_CARDS}</span>', 0),  # not a block element
    ],
)
def test_related_blocks_named_in_any_case_or_with_underscores(block: str, found: int) -> None:
    root = html.document_fromstring(
        f"<html><body><article><p>Text.</p></article>{block}</body></html>"
    )
    assert len(teasers.teasers(root, "https://x.example/news/a.html")) == found


def test_related_spellings_are_the_pages_own() -> None:
    assert teasers.related_spellings("top\nRelated_Posts\nsee-also related") == (
        "Related",
        "related",
    )
    assert teasers.related_spellings("top\nmain") == ()
    assert teasers.related_spellings("İnfo\nrelated") is None  # lowercasing changes its length


def test_fact_boxes_and_captions_are_found_by_any_name_that_says_so() -> None:
    root = html.document_fromstring(
        "<html><body><article><p>The council met.</p>"
        '<div class="FactBox"><p>Founded in 1901.</p></div>'
        '<p class="ImageCaption">The harbour at dawn, seen from the pier.</p>'
        "</article></body></html>"
    )
    assert body.fact_box_texts(root, ["The council met."]) == {"Founded in 1901."}
    assert "the harbour at dawn, seen from the pier." in body.caption_texts(root)


def test_a_page_without_box_or_caption_names_keeps_its_figcaptions() -> None:
    root = html.document_fromstring(
        "<html><body><article><p>The council met.</p><figure><img src='/a.jpg'>"
        "<figcaption>The harbour at dawn, seen from the pier.</figcaption></figure>"
        "</article></body></html>"
    )
    assert body.fact_box_texts(root, ["The council met."]) == set()
    assert body.caption_texts(root) == {"the harbour at dawn, seen from the pier."}
