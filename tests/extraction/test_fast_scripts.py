"""The main script of a text is told without naming each letter when more than half of
its letters are ASCII (Latin) or in the Cyrillic block; the answer must be that of
counting every letter's script (:func:`counted_script`, the plain way), on every fixture
page's and every real page's text and on mixtures of scripts."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from itertools import islice
from pathlib import Path

import pytest
from lxml import etree

from newscrawl.extraction import processors
from newscrawl.extraction.processors import _SCRIPT_LANGUAGES, _dominant_script, _script_of
from newscrawl.extraction.selectors import node_text
from tests.extraction.test_differential import FIXTURE_PAGES, REAL_PAGES, SKIP_REAL, read_page

SAMPLE = processors._LANGUAGE_SAMPLE_CHARS


def counted_script(sample: str, min_letters: int) -> tuple[int, str | None]:
    """What :func:`_dominant_script` gives, by counting the script of every letter."""
    letters = "".join(
        islice(filter(str.isalpha, sample), max(min_letters, processors._SCRIPT_SAMPLE_LETTERS))
    )
    if not letters:
        return 0, None
    script, count = Counter(map(_script_of, letters)).most_common(1)[0]
    known = script in _SCRIPT_LANGUAGES
    return len(letters), script if known and count * 2 > len(letters) else None


def windows(text: str) -> list[str]:
    """The samples of ``text`` a language is told from: 300 characters at each 150th."""
    return [text[start : start + SAMPLE] for start in range(0, max(len(text) - 1, 1), SAMPLE // 2)]


def page_differences(path: Path) -> list[str]:
    _url, body = read_page(path)
    root = etree.fromstring(body, etree.HTMLParser())
    text = " ".join(node_text(root).split()) if root is not None else ""
    return [
        f"{sample!r}: {_dominant_script(sample, 12)} != {counted_script(sample, 12)}"
        for sample in windows(text)
        if _dominant_script(sample, 12) != counted_script(sample, 12)
    ]


def test_every_letter_of_the_cyrillic_block_is_cyrillic() -> None:
    for code in range(0x400, 0x500):
        if chr(code).isalpha():
            assert unicodedata.name(chr(code)).startswith("CYRILLIC "), hex(code)


def test_mixtures_of_scripts() -> None:
    """Latin, Cyrillic, Greek and other letters mixed near and across the half-way mark."""
    rng = random.Random(7)
    alphabets = ["abcXYZ", "éüßø", "абвЖЯёЄ", "ӨҮѣ", "αβγΩ", "אבג", "日本", " ,.-1"]
    for _ in range(1000):
        weights = [rng.random() for _ in alphabets]
        text = "".join(
            rng.choice(rng.choices(alphabets, weights)[0]) for _ in range(rng.randrange(1, 400))
        )
        for min_letters in (1, 12, 250):
            assert _dominant_script(text, min_letters) == counted_script(text, min_letters), text


def test_a_wrong_block_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """A block that takes in Hebrew letters for Cyrillic ones is caught by the mixtures."""
    monkeypatch.setattr(processors, "_CYRILLIC_BLOCK", processors.re.compile("[\u0400-\u05ff]+"))
    with pytest.raises(AssertionError):
        test_mixtures_of_scripts()


@pytest.mark.parametrize("path", FIXTURE_PAGES, ids=[p.name for p in FIXTURE_PAGES])
def test_fixture_page(path: Path) -> None:
    assert page_differences(path) == []


@SKIP_REAL
def test_every_real_page() -> None:
    found = {str(p): d for p in REAL_PAGES if (d := page_differences(p))}
    assert found == {}
