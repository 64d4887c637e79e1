"""The page's attribute values read once (``attribute_names``), and the queries they spare:
each must find exactly what a query over every element of the page finds."""

from __future__ import annotations

import pytest
from lxml import etree, html

from newscrawl.extraction.generic import body, breadcrumb_element, pagetype, teasers
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


def test_a_box_is_named_by_one_attribute_value_not_by_two() -> None:
    assert body._names_a_box("top\narticle has-FactBox\nmain")
    assert body._names_a_box("x\nabout-the-Author")
    assert not body._names_a_box("fact\nbox-shadow\nauthor")  # the words of two values
    assert not body._names_a_box("lightbox\nauthor-name")


_ALL_TEXT_BLOCKS = etree.XPath("//p | //div | //td | //section | //article")


def _running_text_of_every_block(root: html.HtmlElement) -> tuple[int, int]:
    """What ``running_text`` counted when it read every block of the page."""
    chars = count = 0
    for element in _ALL_TEXT_BLOCKS(root)[: pagetype.MAX_TEXT_BLOCKS]:
        if length := pagetype.paragraph_length(element):
            chars += length
            count += 1
    return chars, count


_LONG = "The council met on a rainy evening and argued for hours about the new bridge."
_HAN = "渡"  # weighs 3
_HANGUL = "배"  # weighs 2
_MOJIBAKE = _HAN.encode().decode("cp1252")  # three characters that cleaning makes one Han


@pytest.mark.parametrize(
    "inner",
    [
        f"<p>{_LONG} And the buses.</p><p>{_LONG}</p>",  # 93 and 78 characters
        f"<p>{_LONG}&nbsp;&nbsp;&nbsp;</p><p>  {_LONG}  \n  x </p>",  # spaces cleaned away
        f"<div>{_LONG} And the buses.<br>{_LONG}</div><div>\n  <p>short</p>  </div>",
        f"<td>\u00a0\u00a0</td><section>{_LONG}<b>bold</b> and the buses, late.</section>",
        f"<p><a href='/a'>{_LONG}</a> and a few more words after the link.</p>",
        f"<article>{_LONG} {_LONG}<div>inner</div></article>",
        f"<p>{_HAN * 27}</p><p>{_HAN * 26}</p><p>{_HAN * 26}。</p>",  # 81, 78 and 79
        f"<p>{_HANGUL * 40}</p><p>{_HANGUL * 39}!</p><div>{_HANGUL * 20}<br>{_HAN * 20}</div>",
        f"<p>{_MOJIBAKE * 27}</p><p><a href='/a'>{_HAN * 14}</a>{_HAN * 13}</p>",
    ],
)
def test_running_text_counts_what_reading_every_block_counts(inner: str) -> None:
    root = html.document_fromstring(f"<html><body>{inner}</body></html>")
    assert pagetype.running_text(root) == _running_text_of_every_block(root)


def test_key_unifies_every_quote_and_dash_it_names() -> None:
    from newscrawl.extraction.generic.text import key

    quotes = "\u2018\u2019\u201a\u201b\u2032`´"
    doubles = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033"
    dashes = "".join(chr(c) for c in range(0x2010, 0x2016)) + "\u2212"
    assert key(f"A{quotes}B {doubles} {dashes}") == "a" + "'" * 7 + 'b """"""" -------'
