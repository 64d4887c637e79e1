"""GcTuning: the collector is tuned while the engine runs and restored after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler
from twisted.internet.task import Clock, LoopingCall

from newscrawl import extensions
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


def test_full_collections_on_a_timer_until_the_engine_stops(
    collector: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()

    class ClockedLoop(LoopingCall):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            self.clock = clock

    collections: list[int] = []
    monkeypatch.setattr(extensions, "LoopingCall", ClockedLoop)
    monkeypatch.setattr(extensions.gc, "collect", lambda *a: collections.append(1) or 0)
    extension = GcTuning(0, freeze=False, collect_every=5.0)
    extension.engine_started()
    clock.advance(4.9)
    assert collections == []
    clock.advance(0.2)
    clock.advance(5.0)
    assert len(collections) == 2
    extension.engine_stopped()
    clock.advance(60.0)
    assert len(collections) == 2


def test_off_when_all_settings_are_off() -> None:
    settings = {
        "NEWSCRAWL_GC_THRESHOLD": 0,
        "NEWSCRAWL_GC_FREEZE": False,
        "NEWSCRAWL_GC_COLLECT_EVERY": 0,
    }
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(get_crawler(settings_dict=settings))


@pytest.mark.parametrize(("threshold", "every"), [(-1, 0.0), (0, -1.0)])
def test_negative_settings_are_refused(threshold: int, every: float) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        GcTuning(threshold, freeze=False, collect_every=every)


def test_stopping_without_starting_changes_nothing(collector: tuple[int, int, int]) -> None:
    GcTuning(5000, freeze=True).engine_stopped()
    assert gc.get_threshold() == collector
