"""The generic extractor's text helpers: ``weighted_length``, the length that is fair to
scripts whose characters each write a word or a syllable."""

from __future__ import annotations

import pytest

from newscrawl.extraction.generic.text import MAX_CHARACTER_WEIGHT, weighted_length


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("", 0),
        ("   ", 3),
        ("Ferries run again.", 18),
        ("Fähren fahren wieder – ab Montag.", 33),  # Latin with non-ASCII letters and a dash
        ("Паромы снова ходят.", 19),  # Cyrillic
        ("العبارات تعمل مجددا", 19),  # Arabic, right to left
        ("เรือข้ามฟากกลับมาให้บริการ", 26),  # Thai: an abugida, one per character
        ("渡轮恢复运行", 18),  # six Han characters, 3 each
        ("渡轮恢复运行。", 19),  # a full-width full stop counts 1
        ("（渡轮）", 8),  # full-width brackets count 1
        ("フェリー再開", 14),  # four katakana, 2 each, two Han
        ("ふねがでる", 10),  # hiragana
        ("ﾌｪﾘｰ", 8),  # half-width katakana
        ("여객선 운항 재개", 16),  # seven Hangul syllables, 2 each, and two spaces
        ("\u1104\u1161\u11bc", 3),  # one syllable written in three jamo (letters), 1 each
        ("𠀋", 3),  # a Han character outside the Basic Multilingual Plane
        ("Seoul 서울 2024", 15),  # mixed scripts add up
    ],
)
def test_weighted_length(text: str, length: int) -> None:
    assert weighted_length(text) == length


@pytest.mark.parametrize(
    "text", ["", "abc", "Паромы", "渡轮恢复运行", "여객선 운항", "フェリー", "x渡y여z"]
)
def test_weighted_length_is_between_the_length_and_the_heaviest_weight(text: str) -> None:
    assert len(text) <= weighted_length(text) <= MAX_CHARACTER_WEIGHT * len(text)


def test_a_chinese_korean_or_japanese_sentence_weighs_about_what_its_english_does() -> None:
    english = "The new ferry route between the old town pier and the east island opens on 1 April."
    chinese = "连接老城码头和东岛的新渡轮航线将于四月一日开通。"
    korean = "구도심 부두와 동섬을 잇는 새 여객선 항로가 4월 1일 개통한다."
    japanese = "旧市街の桟橋と東島を結ぶ新しいフェリー航路が四月一日に開通する。"
    for text in (chinese, korean, japanese):
        assert len(text) < len(english) / 2  # by count, less than half as long
        assert 0.6 * len(english) <= weighted_length(text) <= 1.4 * len(english), text
