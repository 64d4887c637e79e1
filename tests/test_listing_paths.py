"""One vocabulary of listing paths for the crawl's URL shapes and the page type."""

from __future__ import annotations

import doctest

import pytest
from lxml import html

from newscrawl import listing_paths
from newscrawl.discovery import url_shape
from newscrawl.extraction.generic.pagetype import page_type
from newscrawl.extraction.generic.structured import read_structured
from newscrawl.listing_paths import LISTING_WORDS, PAGE_WORDS

SHORT_PAGE = (
    "<html><head><title>Results</title></head><body><h1>Results</h1>"
    "<p>Three stories about the harbour.</p></body></html>"
)
"""A page with little text, which the page type calls a listing when its URL says so."""


def test_doctests() -> None:
    failures, tried = doctest.testmod(listing_paths)
    assert tried
    assert failures == 0


def _page_kind(url: str) -> str:
    root = html.document_fromstring(SHORT_PAGE)
    return page_type(read_structured(root, url), root, url).kind


@pytest.mark.parametrize("word", [*LISTING_WORDS, *(w.upper() for w in LISTING_WORDS[:3])])
def test_a_listing_word_makes_a_listing_for_the_crawl_and_the_page_type(word: str) -> None:
    url = f"https://p.example/{word}/harbour/"
    assert url_shape(url) == "listing"
    assert _page_kind(url) == "listing"


@pytest.mark.parametrize("word", PAGE_WORDS)
def test_a_page_number_makes_a_listing_for_the_crawl_and_the_page_type(word: str) -> None:
    url = f"https://p.example/news/{word}/3/"
    assert url_shape(url) == "listing"
    assert _page_kind(url) == "listing"


@pytest.mark.parametrize(
    "path",
    [
        "/page/about/",  # a static page: "page" says nothing of a listing without a number
        "/seite/impressum/",
        "/news/index",  # the default document of a folder
        "/tagged/harbour/",  # a listing word only as a whole segment
        "/news/searching-the-harbour/",
    ],
)
def test_other_words_make_no_listing(path: str) -> None:
    url = f"https://p.example{path}"
    assert url_shape(url) != "listing"
    assert _page_kind(url) != "listing"


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/p/123456", "article"),  # p: a page, but as often a post and its id
        ("/news/p/2/", "unknown"),
        ("/recherche/", "listing"),
        ("/kategorie/politik/", "listing"),
        ("/autori/mario-rossi/", "listing"),
    ],
)
def test_url_shapes_the_vocabulary_changed(path: str, shape: str) -> None:
    assert url_shape(f"https://p.example{path}") == shape
