"""``check_source``'s one-pass read (``limits._skim_pattern``) lets through only pages its
tag-by-tag scan (``limits._scan_tags``) lets through.

A differential test: the skim may send a page on to the scan for nothing (that costs only
time), but it must never pass a page the scan refuses. It runs on every fixture page and
every page of ../shared/realpages, and on generated texts with a limit of 3 attributes,
made of the pieces where the two readings could part: scripts and styles in any case,
their end tags, quotes that never close, ``>`` inside quoted values, stray ``<``, the
one character (İ) whose lower case is longer than itself.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from newscrawl.extraction import TooLarge, decode_html, limits
from tests.extraction.test_differential import fixture_pages, page_ids, read_page, real_pages

SMALL_LIMIT = 3
PIECES = (
    "<a",
    "<A",
    "<b ",
    "<script",
    "<SCRIPT",
    "<sCrIpT",
    "<style",
    "<scripts",
    "</script>",
    "</SCRIPT",
    "</style>",
    "</stYle",
    "</",
    "<",
    ">",
    " ",
    "\n",
    "/",
    "=",
    '"',
    "'",
    '=">"',
    "='>'",
    "x",
    "y=z",
    ' k="v"',
    "İ",
    "<1",
)
CASES = 4000


def refused(text: str, limit: int) -> bool:
    """Tell whether the tag-by-tag scan refuses ``text`` under ``limit`` attributes."""
    try:
        limits._scan_tags(text, limit=limit)
    except TooLarge:
        return True
    return False


def skimmed_clean(text: str, limit: int) -> bool:
    """Tell whether the skim lets ``text`` through without the scan."""
    return limits._skims_clean(text, limits._skim_pattern(limit))


def generated(seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))


def test_generated_texts_the_scan_refuses_are_never_skimmed_clean() -> None:
    refusals = passes = 0
    for seed in range(CASES):
        text = generated(seed)
        if refused(text, SMALL_LIMIT):
            refusals += 1
            assert not skimmed_clean(text, SMALL_LIMIT), text
        elif skimmed_clean(text, SMALL_LIMIT):
            passes += 1
    # Both sides are exercised: texts the scan refuses, and texts the skim lets through.
    assert refusals > CASES // 20
    assert passes > CASES // 20


@pytest.mark.parametrize(
    "text",
    [
        "<p a b c d>",  # four attributes: refused
        '<p a=">" b=">" c=">" d=">">',  # brackets in quoted values still count
        "<script>x</script><p a b c d>",  # after a script
        "<SCRIPT>x</script ><p a b c d>",  # end tag in another case
        "<style a b>x</STYLE><p a b c d>",
        '<p x"y a b c d>',  # a stray quote opens nothing
    ],
)
def test_tags_over_the_limit_are_refused_with_or_without_the_skim(text: str) -> None:
    assert refused(text, SMALL_LIMIT)
    assert not skimmed_clean(text, SMALL_LIMIT)


@pytest.mark.parametrize(
    "text",
    [
        "<script><p a b c d></script><p>",  # the tag is script text
        "<style><p a b c d></style>",
        "<p a b c>text a b c d e f</p>",  # words of text are no attributes
    ],
)
def test_pages_within_the_limit_are_skimmed_clean(text: str) -> None:
    assert not refused(text, SMALL_LIMIT)
    assert skimmed_clean(text, SMALL_LIMIT)


def test_a_page_with_a_capital_dotted_i_is_left_to_the_scan() -> None:
    """``"İ".lower()`` is two characters, so the scan's lowered copy runs ahead of the text
    and it resumes after a script later than the end tag, here inside a quoted value where
    it reads a tag the skim (which keeps to the text) never sees."""
    text = "İ" * 19 + '<script>x</script><a title="<p b c d e">'
    assert limits._skim_pattern(SMALL_LIMIT).match(text).end() == len(text)  # type: ignore[union-attr]
    assert refused(text, SMALL_LIMIT)
    assert not skimmed_clean(text, SMALL_LIMIT)


def test_the_skim_makes_a_difference() -> None:
    """A mistake planted in the skim (it forgets that a tag may be too long) is caught."""
    wrong = limits._skim_pattern(10**9)
    text = "<p a b c d>"
    assert refused(text, SMALL_LIMIT)
    assert wrong.match(text).end() == len(text)  # type: ignore[union-attr]


def test_the_skim_of_a_huge_crafted_page_is_linear() -> None:
    """Tags inside tags (each ``<b`` an attribute of the one before) cost one pass: a
    search for long tags from every ``<`` took seconds on this."""
    text = ("<b " * (limits.MAX_ATTRIBUTES - 1) + ">") * 300
    assert limits._skims_clean(text)


def check_page(path: Path) -> None:
    _url, body = read_page(path)
    text = decode_html(body, None)
    if skimmed_clean(text, limits.MAX_ATTRIBUTES):
        assert not refused(text, limits.MAX_ATTRIBUTES)
    for limit in (3, 10, 30):  # tighter limits, for tags the pages really have
        if skimmed_clean(text, limit):
            assert not refused(text, limit), limit


@pytest.mark.parametrize("path", fixture_pages(), ids=page_ids(fixture_pages()))
def test_fixture_page(path: Path) -> None:
    check_page(path)


REAL = real_pages()


@pytest.mark.skipif(not REAL, reason="../shared/realpages is absent")
def test_real_pages() -> None:
    for path in REAL:
        check_page(path)
