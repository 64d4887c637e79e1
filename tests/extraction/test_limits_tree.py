"""``check_tree`` skips its element count on texts too short to reach the limit: libxml2's
HTML parser never makes more elements than the parsed text has characters, plus html,
head and body (``limits.IMPLIED_ELEMENTS``).

That is a claim about libxml2, so it is held to it here: on generated texts made of the
pieces where the parser invents elements (tags it opens or closes on its own, stray end
tags, text where text may not stand, unclosed tags, entities, scripts, tables, forms,
frames), repeated so that one piece's elements add up; on every fixture page and every
page of ../shared/realpages (every 16th in the fast suite, all with ``-m slow``).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from lxml import etree

from newscrawl.extraction import TooLarge, decode_html, limits, page
from tests.extraction.test_differential import (
    SAMPLE_EVERY,
    fixture_pages,
    page_ids,
    read_page,
    real_pages,
)

PIECES = (
    *("<a>", "<p>", "<li>", "<td>", "<tr>", "<th>", "<table>", "<tbody>", "<caption>", "<col>"),
    *("<colgroup>", "<option>", "<optgroup>", "<select>", "<dl>", "<dt>", "<dd>", "<ul>", "<ol>"),
    *("<html>", "<head>", "<body>", "<title>", "<frameset>", "<frame>", "<form>", "<h1>", "<b>"),
    *("<nobr>", "<br>", "<hr>", "<img>", "<image>", "<isindex>", "<meta>", "<link>", "<base>"),
    *("<script>", "<style>", "<textarea>", "<xmp>", "<plaintext>", "<noscript>", "<iframe>"),
    *("<svg>", "<math>", "<object>", "<param>", "<ruby>", "<rt>", "<a/>", "<p/>", "<x y>", "<a"),
    *("</p>", "</br>", "</b>", "</td>", "</table>", "</form>", "</head>", "</body>", "</html>"),
    *("</li>", "</script>", "</style>", "</title>", "</a>", "</", "<", ">", "<!---->", "<!x>"),
    *("x", " ", "\n", "&", "&amp;", "&#1;", "é", "\u00a0", "<?x?>", "<!DOCTYPE html>"),
)
CASES = 3000


def elements(text: str) -> int:
    """Return how many elements lxml makes of ``text`` as parse_page parses it."""
    utf8 = text.encode("utf-8")
    root = page._root_node(text, utf8, etree.HTMLParser, "https://example.com/")
    return int(limits._COUNT_ELEMENTS(root))


def generated(seed: int) -> str:
    rng = random.Random(seed)
    pieces = [rng.choice(PIECES) for _ in range(rng.randint(1, 12))]
    return "".join(pieces) * rng.choice((1, 1, 2, 50))


def test_generated_texts_have_no_more_elements_than_characters_and_three() -> None:
    most = 0
    for seed in range(CASES):
        text = generated(seed)
        found = elements(text)
        assert found <= len(text) + limits.IMPLIED_ELEMENTS, (text, found)
        most = max(most, found - len(text) // 3)
    assert most > 0  # some texts come near one element per three characters (<a><a><a>...)


@pytest.mark.parametrize(
    "text",
    ["&", "x", "<a>" * 1000, "<p>" * 1000, "<b><p>" * 1000, "x<p>" * 1000, "</p>" * 1000],
)
def test_texts_that_make_the_most_elements(text: str) -> None:
    assert elements(text) <= len(text) + limits.IMPLIED_ELEMENTS


def check_page(path: Path) -> None:
    _url, body = read_page(path)
    text = decode_html(body, None)
    assert elements(text) <= len(text) + limits.IMPLIED_ELEMENTS


@pytest.mark.parametrize("path", fixture_pages(), ids=page_ids(fixture_pages()))
def test_fixture_page(path: Path) -> None:
    check_page(path)


REAL = real_pages()
SAMPLE = REAL[::SAMPLE_EVERY]


@pytest.mark.skipif(not SAMPLE, reason="../shared/realpages is absent")
@pytest.mark.parametrize("path", SAMPLE, ids=page_ids(SAMPLE))
def test_real_page(path: Path) -> None:
    check_page(path)


@pytest.mark.slow
@pytest.mark.skipif(not REAL, reason="../shared/realpages is absent")
def test_every_real_page() -> None:
    for path in REAL:
        check_page(path)


def test_a_text_long_enough_to_reach_the_limit_is_still_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "MAX_ELEMENTS", 10)
    text = "<p>" * 9
    root = etree.fromstring(text.encode(), etree.HTMLParser())
    with pytest.raises(TooLarge):
        limits.check_tree(root, chars=len(text))  # html, body and 9 p: 11, over 10


def test_only_the_length_lets_the_count_go(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a length the tree is counted; with one that cannot reach the limit it is not
    (here a wrong one, shorter than the text, so that the skipped count shows)."""
    monkeypatch.setattr(limits, "MAX_ELEMENTS", 10)
    root = etree.fromstring(b"<p>" * 9, etree.HTMLParser())
    with pytest.raises(TooLarge):
        limits.check_tree(root)
    limits.check_tree(root, chars=7)
