"""``credits.figure_like`` selects what its XPath (``_FIGURE_LIKE``) selects: a differential
test on every fixture page and every page of ../shared/realpages (every 16th in the fast
suite), parsed by both parsers extraction uses, and on hand-made markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree, html

from newscrawl.extraction.generic.credits import _FIGURE_LIKE, figure_like
from tests.extraction.test_differential import (
    SAMPLE_EVERY,
    fixture_pages,
    page_ids,
    read_page,
    real_pages,
)

PARSERS = (etree.HTMLParser, html.HTMLParser)


def assert_same(body: bytes) -> None:
    for parser in PARSERS:
        root = etree.fromstring(body, parser())
        if root is None:
            continue
        assert figure_like(root) == _FIGURE_LIKE(root)


@pytest.mark.parametrize("path", fixture_pages(), ids=page_ids(fixture_pages()))
def test_fixture_pages(path: Path) -> None:
    assert_same(read_page(path)[1])


@pytest.mark.parametrize(
    "path", real_pages()[::SAMPLE_EVERY], ids=page_ids(real_pages()[::SAMPLE_EVERY])
)
def test_real_pages(path: Path) -> None:
    assert_same(read_page(path)[1])


@pytest.mark.slow
@pytest.mark.parametrize("path", real_pages(), ids=page_ids(real_pages()))
def test_every_real_page(path: Path) -> None:
    assert_same(read_page(path)[1])


MARKUP = [
    "<div class='media'><div class='photo'><img src=a></div></div><p class=image><img src=b>",
    "<div class='figure'><img src=a><div class='image'></div></div><span class=photo>x</span>",
    "<img class='wp-post-image' src=a><div class='imagery'><p><b><img src=b></b></p></div>",
    "<div class='multimedia'><div class='x'><img src=a></div><img src=b></div>"
    "<div class='media'><img src=c></div>",
    "<section class='Photo'><img src=a></section><div class=''><img src=b></div>",
    "<div class='photo'>" * 50 + "<img src=a>" + "</div>" * 50 + "<div class=photo><img></div>",
]


@pytest.mark.parametrize("markup", MARKUP)
def test_markup(markup: str) -> None:
    assert_same(f"<html><body>{markup}</body></html>".encode())


def test_nested_figures_come_outermost_first() -> None:
    root = etree.fromstring(MARKUP[0], etree.HTMLParser())
    assert [e.get("class") for e in figure_like(root)] == ["media", "photo", "image"]
