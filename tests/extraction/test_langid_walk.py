"""``langid_walk`` counts py3langid's features as py3langid does, and scores the same.

A differential test, beside ``test_differential.py`` (whose page lists it reads): the
vectorised walk against ``py3langid.langid.visit_counts`` and the fast identifier (its model
from ``langid_model``'s uncompressed copy) against py3langid's own (its model as py3langid
loads it), on texts from every fixture page and every page of ../shared/realpages
(every 16th in the fast suite): the title, every paragraph, and the first 1, 5, 20, 300
and 2,000 characters of the text, as ``detect_language`` samples it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from newscrawl.extraction.langid_walk import DEPTH, FastLanguageIdentifier, RowCache, depth
from newscrawl.extraction.processors import (
    _iso_code,
    _language_identifier,
    detect_language,
    language_differs,
)
from tests.extraction.test_differential import (
    SAMPLE_EVERY,
    fixture_pages,
    page_ids,
    read_page,
    real_pages,
)

PREFIXES = (1, 5, 20, 300, 2000)


@cache
def identifiers() -> tuple[FastLanguageIdentifier, LanguageIdentifier]:
    """The fast identifier newscrawl uses (its model read from ``langid_model``'s uncompressed
    copy), and py3langid's own, its model loaded by py3langid from the packaged file."""
    fast = _language_identifier()
    assert isinstance(fast, FastLanguageIdentifier)
    plain = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return fast, plain


def page_texts(body: bytes) -> Iterator[str]:
    """Yield the texts of a page that language detection could be handed."""
    root = etree.fromstring(body, etree.HTMLParser())
    if root is None:
        return
    yield root.findtext(".//title") or ""
    paragraphs = ["".join(p.itertext()) for p in root.iter("p")]
    yield from paragraphs
    text = " ".join(paragraphs)
    for length in PREFIXES:
        yield text[:length]


def assert_same(text: str) -> None:
    fast, plain = identifiers()
    encoded = plain._encode(text)
    expected = visit_counts(plain.tk_nextmove, plain._rowbase, plain.tk_output, encoded)
    got = fast._automaton.visit_counts(encoded)
    # Same counts, and the same order of first occurrence (the order of py3langid's sums).
    assert (None if got is None else list(got.items())) == (
        None if expected is None else list(expected.items())
    )
    assert fast.rank(text) == plain.rank(text)
    assert fast.classify(text) == plain.classify(text)


EDGE_TEXTS = [
    "",
    " ",
    "a",
    "Kerry",
    "Лавров рассказал, о чем договорились Путин с Керри",
    "Lavrov said what Putin agreed with Kerry",
    "\u00e9t\u00e9 \u00e0 Paris",
    "日本語のテキスト",
    "LOUD HEADLINE IN CAPITALS",
    "x" * 5000,
]


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_edge_texts_score_as_py3langid(text: str) -> None:
    assert_same(text)


@pytest.mark.parametrize("path", fixture_pages(), ids=page_ids(fixture_pages()))
def test_fixture_texts_score_as_py3langid(path: Path) -> None:
    for text in page_texts(read_page(path)[1]):
        assert_same(text)


@pytest.mark.parametrize(
    "path", real_pages()[::SAMPLE_EVERY], ids=page_ids(real_pages()[::SAMPLE_EVERY])
)
def test_real_page_texts_score_as_py3langid(path: Path) -> None:
    for text in page_texts(read_page(path)[1]):
        assert_same(text)


@pytest.mark.slow
@pytest.mark.parametrize("path", real_pages(), ids=page_ids(real_pages()))
def test_every_real_page_scores_as_py3langid(path: Path) -> None:
    for text in page_texts(read_page(path)[1]):
        assert_same(text)


@pytest.mark.slow
def test_depth_is_the_models() -> None:
    """DEPTH is what a search of the model finds (py3langid is pinned; a new model fails)."""
    assert depth(identifiers()[0]._automaton) == DEPTH


def test_a_shallower_walk_differs() -> None:
    """The walk needs its bytes of context: two fewer miscount this sentence (the test can
    fail; one fewer misses only the model's few 6-byte states, which this text never
    reaches)."""
    fast, plain = identifiers()
    shallow = type(fast._automaton)(fast.tk_nextmove, fast.tk_row, fast.tk_output, depth=DEPTH - 2)
    encoded = plain._encode("Lavrov said what Putin agreed with Kerry in Moscow on Thursday")
    expected = visit_counts(plain.tk_nextmove, plain._rowbase, plain.tk_output, encoded)
    assert shallow.visit_counts(encoded) != expected


def test_a_small_row_cache_that_fills_and_starts_afresh_scores_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The row cache, full every few texts (and too small for the longest), changes no score."""
    fast, _plain = identifiers()
    small = RowCache(fast.nb_ptc, capacity=400)
    monkeypatch.setattr(fast, "_rows", small)
    texts = [text for path in fixture_pages()[:4] for text in page_texts(read_page(path)[1])]
    for text in [*EDGE_TEXTS, *texts, *texts]:
        assert_same(text)
    assert small.used > 0


def test_cached_rows_are_the_tables_rows() -> None:
    fast, _plain = identifiers()
    cache = RowCache(fast.nb_ptc, capacity=8)
    for features in ([5, 2, 99_000], [2, 7], [1, 3, 4, 6, 8, 9], list(range(20))):
        index = np.array(features, dtype=np.intp)
        assert np.array_equal(cache.rows_of(index), fast.nb_ptc[index].astype(np.float32))


def test_detect_language_uses_the_fast_walk() -> None:
    assert isinstance(_language_identifier(), FastLanguageIdentifier)
    assert detect_language("Lavrov said what Putin agreed with Kerry") == "en"


# ------------------------------------------------------------------- language_differs


@cache
def model_languages() -> list[str]:
    """Every ISO 639-1 code the model can name."""
    labels = identifiers()[0].nb_classes
    return sorted({code for label in labels if (code := _iso_code(label)) is not None})


def differs_wrongly(texts: list[str]) -> tuple[list[str], int]:
    """Return where :func:`language_differs` says a text's language is not L while
    :func:`detect_language` gives no language or L, and how often it said so at all."""
    wrong: list[str] = []
    said = 0
    for text in texts:
        detected = {detect_language(text, prefer=p) for p in ((), ("en", "ru"), ("de",))}
        for language in model_languages():
            if language_differs(text, language):
                said += 1
                if None in detected or language in detected:
                    wrong.append(f"{text[:40]!r} is {detected}, not {language}?")
    return wrong, said


def test_language_differs_only_when_detection_differs_on_fixture_texts() -> None:
    """The shortcut of the alternate headline's check: never True where the model, run,
    would give no language or the same one; and True often (it is not a mere False)."""
    texts = [*EDGE_TEXTS, "Σήμερα ο υπουργός εξωτερικών", "Сегодня министр сказал", "Kerry"]
    for path in fixture_pages():
        texts += list(page_texts(read_page(path)[1]))
    wrong, said = differs_wrongly(texts)
    assert wrong == []
    assert said > 1000


@pytest.mark.parametrize(
    "path", real_pages()[::SAMPLE_EVERY], ids=page_ids(real_pages()[::SAMPLE_EVERY])
)
def test_language_differs_only_when_detection_differs_on_real_texts(path: Path) -> None:
    assert differs_wrongly(list(page_texts(read_page(path)[1])))[0] == []


def test_language_differs_needs_a_script_that_rules_the_language_out() -> None:
    russian = "Лавров рассказал, о чем договорились Путин с Керри"
    assert language_differs(russian, "en")
    assert not language_differs(russian, "ru")
    assert not language_differs(russian, "sr")  # Serbian is written in Cyrillic too
    assert not language_differs("Лавров", "en")  # too few letters: no language at all
    assert not language_differs(None, "en")
