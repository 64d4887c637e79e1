"""The skim's shortcuts (plain tags read by ``limits._plain_attributes``, each tag read with
the text after it) change nothing it reads.

A differential test: the skim (``limits._skim_pattern``) against the skim as it was before
the shortcuts (:func:`reference_skim`, its construction copied here), which
``test_limits_skim.py`` holds to the tag-by-tag scan. Both must stop at the same place of
every text: of generated texts with a limit of 3 attributes, made of plain attributes
(``name="value"``) and the pieces where a plain reading and the general one could part
(separators, ``=`` with spaces, other quotes, bare names, brackets, quotes that never
close, scripts), and of every fixture page and every page of ../shared/realpages, at the
real limit and at 3.
"""

from __future__ import annotations

import random
import re

import pytest

from newscrawl.extraction import decode_html, limits
from tests.extraction.test_differential import fixture_pages, read_page, real_pages

SMALL_LIMIT = 3
PIECES = (
    "<p",
    "<a",
    "<script",
    "</script>",
    "<style",
    ">",
    "/>",
    " ",
    "  ",
    "\n",
    "/",
    " a",
    ' a="b"',
    ' a=""',
    '/a="b"',
    ' a="b c"',
    'a="b"',
    ' a = "b"',
    " a='b'",
    " a=b",
    ' "a"="b"',
    ' a"b="c"',
    ' =a="b"',
    '="',
    '"',
    "'",
    "=",
    "x",
    "<",
    '=">"',
    ' a="<b c d e>"',
)
CASES = 6000


def reference_skim(limit: int) -> re.Pattern[str]:
    """Return the skim as ``limits._skim_pattern`` built it before its shortcuts."""
    attributes = (
        r"(?:[\s/]*+(?>"
        + limits._ATTRIBUTE_PATTERN
        + r")){0,"
        + str(limit)
        + r"}+[\s/]*+(?![^\s/>])"
    )
    either = limits._either_case
    raw_texts = "|".join(
        f"{either(name)}(?![^\\s/>]){attributes}(?:[^<]++|<(?!/{either(name)}))*+"
        for name in sorted(limits._RAW_TEXT)
    )
    tag = r"[A-Za-z][^\s/>]*+" + attributes
    return re.compile(r"(?:[^<]++|<(?![A-Za-z])|<(?:" + raw_texts + r")|<" + tag + r")*+")


def stop(pattern: re.Pattern[str], text: str) -> int:
    """Return where ``pattern``, matched from the start of ``text``, stops (the skim always
    matches: it can match the empty text)."""
    match = pattern.match(text)
    assert match is not None
    return match.end()


def generated(seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30)))


def test_generated_texts_are_read_alike() -> None:
    skim, reference = limits._skim_pattern(SMALL_LIMIT), reference_skim(SMALL_LIMIT)
    whole = stopped = 0
    for seed in range(CASES):
        text = generated(seed)
        end = stop(reference, text)
        assert stop(skim, text) == end, text
        whole += end == len(text)
        stopped += end < len(text)
    # Both outcomes are exercised: texts read to the end, and texts with a tag over the limit.
    assert whole > CASES // 10
    assert stopped > CASES // 10


@pytest.mark.parametrize(
    "text",
    [
        '<p a="1" b="2" c="3">',  # as many plain attributes as the limit
        '<p a="1" b="2" c="3" d="4">',  # one more: the plain reading gives way, the skim stops
        '<p a="1"b="2" c="3" d="4">',  # no separator after a value: not plain
        '<p a="1" b c="3" d="4">',  # a bare name: not plain
        '<p a = "1" b="2" c="3" d="4">',  # spaces around "=": not plain
    ],
)
def test_tags_at_and_over_the_limit_are_read_alike(text: str) -> None:
    assert stop(limits._skim_pattern(SMALL_LIMIT), text) == stop(reference_skim(SMALL_LIMIT), text)


def test_the_comparison_catches_a_plain_reading_without_a_limit() -> None:
    """A mistake planted in the shortcut (it forgets the limit) is caught by the comparison."""
    wrong = re.compile(
        limits._skim_pattern(SMALL_LIMIT).pattern.replace(
            "){0," + str(SMALL_LIMIT) + "}+[\\s/]*+>", ")*+[\\s/]*+>"
        )
    )
    assert wrong.pattern != limits._skim_pattern(SMALL_LIMIT).pattern
    text = '<p a="1" b="2" c="3" d="4">'
    assert stop(wrong, text) != stop(reference_skim(SMALL_LIMIT), text)


def check_page(text: str) -> None:
    for limit in (limits.MAX_ATTRIBUTES, SMALL_LIMIT):
        assert stop(limits._skim_pattern(limit), text) == stop(reference_skim(limit), text), limit


def test_fixture_pages_are_read_alike() -> None:
    for path in fixture_pages():
        check_page(decode_html(read_page(path)[1], None))


REAL = real_pages()


@pytest.mark.skipif(not REAL, reason="../shared/realpages is absent")
def test_real_pages_are_read_alike() -> None:
    for path in REAL:
        check_page(decode_html(read_page(path)[1], None))
