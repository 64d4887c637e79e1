"""GcTuning: the collector is tuned while the engine runs and restored after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from newscrawl.extensions import GcTuning


@pytest.fixture
def collector() -> Iterator[tuple[int, int, int]]:
    """CPython's collector as it was before the test, put back after it."""
    saved = gc.get_threshold()
    yield saved
    gc.unfreeze()
    gc.set_threshold(*saved)


def test_tunes_while_the_engine_runs_and_restores(collector: tuple[int, int, int]) -> None:
    crawler = get_crawler(
        settings_dict={"NEWSCRAWL_GC_THRESHOLD": 12345, "NEWSCRAWL_GC_FREEZE": True}
    )
    extension = GcTuning.from_crawler(crawler)
    extension.engine_started()
    assert gc.get_threshold() == (12345, *collector[1:])
    assert gc.get_freeze_count() > 0
    extension.engine_stopped()
    assert gc.get_threshold() == collector
    assert gc.get_freeze_count() == 0


def test_threshold_alone_freezes_nothing(collector: tuple[int, int, int]) -> None:
    extension = GcTuning(5000, freeze=False)
    extension.engine_started()
    assert gc.get_threshold()[0] == 5000
    assert gc.get_freeze_count() == 0
    extension.engine_stopped()
    assert gc.get_threshold() == collector


def test_off_when_both_settings_are_off() -> None:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_GC_THRESHOLD": 0, "NEWSCRAWL_GC_FREEZE": False})
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(crawler)


def test_negative_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        GcTuning(-1, freeze=False)


def test_stopping_without_starting_changes_nothing(collector: tuple[int, int, int]) -> None:
    GcTuning(5000, freeze=True).engine_stopped()
    assert gc.get_threshold() == collector
