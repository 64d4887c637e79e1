"""bench/quality.py's scoring: the article-extraction-benchmark metric and the field checks."""

from __future__ import annotations

import pytest

from tests.bench_support import load_bench

quality = load_bench("quality")


@pytest.mark.parametrize(
    ("truth", "predicted", "scores"),
    [
        ("", "", (1.0, 1.0)),
        ("one two three four five", "", (None, 0.0)),
        ("", "one two three four five", (0.0, None)),
        ("one two three four five", "one two three four five", (1.0, 1.0)),
        # 2 true shingles; the prediction has 1 of them and 1 other: P 1/2, R 1/2
        ("one two three four five", "one two three four six", (0.5, 0.5)),
        # a short text is one shingle of its tokens
        ("Ёж и уж", "Ёж и уж", (1.0, 1.0)),
    ],
)
def test_page_scores(truth: str, predicted: str, scores: tuple[float | None, float | None]) -> None:
    assert quality.page_scores(truth, predicted) == scores


def test_f1_is_of_the_mean_precision_and_recall() -> None:
    tally = quality.Tally()
    tally.body("a b c d e", "a b c d e")  # P 1, R 1
    tally.body("a b c d e", "a b c d x")  # P 1/2, R 1/2
    summary = tally.summary(2)
    assert summary["body_precision"] == 0.75
    assert summary["body_recall"] == 0.75
    assert summary["body_f1"] == 0.75


def test_cover_credit_needs_every_credit_of_the_cover() -> None:
    truth = {"images": [{"is_cover": True, "credits": ["GHULAM RASOOL", "AFP via Getty Images"]}]}
    assert quality.cover_credit_found(truth, {"credits": ["GHULAM RASOOL/AFP via Getty Images"]})
    assert not quality.cover_credit_found(truth, {"credits": ["GHULAM RASOOL", None]})
    assert quality.cover_credit_found({"images": []}, {"credits": []}) is None


def test_same_date_is_the_calendar_day() -> None:
    assert quality.same_date("2024-05-03 15:47:42+00:00", "2024-05-03T17:47:42+02:00")
    assert not quality.same_date("2024-05-03", None)
