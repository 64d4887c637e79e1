"""The language sample and the main script of a text are had by shortcuts, checked here
against the plain way on every fixture page's and every real page's text and on made-up
mixtures: the sample is normalised from the text's first characters when they are enough
(:func:`plain_sample`: from the first 1,200), and the main script is told without naming
each letter when the text is ASCII or more than half of its letters are ASCII (Latin) or
in the Cyrillic block (:func:`counted_script`: naming every letter's script)."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from itertools import islice
from pathlib import Path

import pytest
from lxml import etree

from newscrawl.extraction import processors
from newscrawl.extraction.processors import (
    _SCRIPT_LANGUAGES,
    _dominant_script,
    _language_sample,
    _script_of,
    normalize_space,
)
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


def plain_sample(text: str | None) -> str | None:
    """What :func:`_language_sample` gives: the first 1,200 characters normalised, cut."""
    cleaned = normalize_space(text[: SAMPLE * 4] if text else text)
    return cleaned[:SAMPLE] if cleaned is not None else None


def windows(text: str) -> list[str]:
    """The samples of ``text`` a language is told from: 300 characters at each 150th."""
    return [text[start : start + SAMPLE] for start in range(0, max(len(text) - 1, 1), SAMPLE // 2)]


def page_differences(path: Path) -> list[str]:
    _url, body = read_page(path)
    root = etree.fromstring(body, etree.HTMLParser())
    raw = node_text(root) if root is not None else ""
    text = " ".join(raw.split())
    found = [
        f"{sample!r}: {_dominant_script(sample, 12)} != {counted_script(sample, 12)}"
        for sample in windows(text)
        if _dominant_script(sample, 12) != counted_script(sample, 12)
    ]
    # The page's own text, spaces and all, from each 150th character.
    for start in range(0, len(raw), SAMPLE // 2):
        if _language_sample(raw[start:]) != plain_sample(raw[start:]):
            found.append(f"sample of {raw[start : start + 40]!r}")
    return found


def test_every_letter_of_the_cyrillic_block_is_cyrillic() -> None:
    for code in range(0x400, 0x500):
        if chr(code).isalpha():
            assert unicodedata.name(chr(code)).startswith("CYRILLIC "), hex(code)


def test_mixtures_of_scripts() -> None:
    """Latin, Cyrillic, Greek and other letters mixed near and across the half-way mark."""
    rng = random.Random(7)
    alphabets = ["abcXYZ", "éüßø", "абвЖЯёЄ", "ӨҮѣ", "αβγΩ", "אבג", "日本", " ,.-1_@[`{~\x7f"]
    for _ in range(1000):
        weights = [rng.random() ** 2 for _ in alphabets]
        weights[rng.randrange(len(weights))] = 0.0  # a script left out: ASCII alone too
        text = "".join(
            rng.choice(rng.choices(alphabets, weights)[0]) for _ in range(rng.randrange(1, 400))
        )
        for min_letters in (1, 12, 250):
            assert _dominant_script(text, min_letters) == counted_script(text, min_letters), text


def test_samples_of_texts_with_long_runs_of_spaces() -> None:
    """Spaces of every kind, invisible characters and words, in runs long and short."""
    rng = random.Random(3)
    pieces = ["word ", "слово ", " ", "\n\t ", "\u00a0", "\u200b", "\u00ad", "ab", ".", "\u2028"]
    for _ in range(2000):
        weights = [rng.random() ** 3 for _ in pieces]
        text = "".join(rng.choices(pieces, weights, k=rng.randrange(0, 700)))
        assert _language_sample(text) == plain_sample(text), repr(text)
    for text in (None, "", " ", "\u200b" * 400 + "a", " " * 1300 + "late"):
        assert _language_sample(text) == plain_sample(text), repr(text)


def test_a_sample_cut_too_short_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processors, "_LANGUAGE_SAMPLE_CHARS", SAMPLE - 1)
    with pytest.raises(AssertionError):
        test_samples_of_texts_with_long_runs_of_spaces()


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
