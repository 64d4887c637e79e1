"""``bench/run.py``: the bare-tuned baseline gets newscrawl's Scrapy-level speed tuning."""

from __future__ import annotations

import json

from scrapy.utils.conf import build_component_list

from newscrawl import settings as newscrawl_settings
from tests.bench_support import load_bench

META_REFRESH = "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"
SKIM = "newscrawl.middlewares.SkimMetaRefreshMiddleware"


def options(flat: list[str]) -> dict[str, str]:
    """Return ``-s NAME=VALUE`` options as a dict (the last one of a name wins)."""
    assert flat[::2] == ["-s"] * (len(flat) // 2)
    return dict(item.split("=", 1) for item in flat[1::2])


def test_bare_tuned_gets_the_tuning_newscrawl_applies_for_speed() -> None:
    """GC tuning, CONCURRENT_ITEMS, and the meta-refresh middleware that stands in for
    Scrapy's without decoding every page: a Scrapy spider would be faster with each, so
    bare-tuned has them too (it used to decode every page in Scrapy's middleware)."""
    run = load_bench("run")
    by_kind = run.kind_settings(["full", "bare-tuned"], ["-s", "LOG_LEVEL=WARNING"], [])
    bare_tuned = options(by_kind["bare-tuned"])
    assert json.loads(bare_tuned["DOWNLOADER_MIDDLEWARES"]) == {
        META_REFRESH: None,
        SKIM: newscrawl_settings.DOWNLOADER_MIDDLEWARES[SKIM],
    }
    assert json.loads(bare_tuned["EXTENSIONS"]) == {"newscrawl.extensions.GcTuning": 520}
    assert bare_tuned["CONCURRENT_ITEMS"] == str(newscrawl_settings.CONCURRENT_ITEMS)
    assert "DOWNLOADER_MIDDLEWARES" not in options(by_kind["full"])


def test_the_bare_spider_runs_the_skimming_middleware_alone() -> None:
    """With bare-tuned's options the bare spider's middlewares have newscrawl's meta
    refresh in place of Scrapy's, and no other newscrawl middleware."""
    run = load_bench("run")
    bare = load_bench("bare_spider")
    flat = run.kind_settings(["bare-tuned"], [], [])["bare-tuned"]
    settings = bare.bare_settings([f"{k}={v}" for k, v in options(flat).items()])
    middlewares = build_component_list(settings.getwithbase("DOWNLOADER_MIDDLEWARES"))
    assert SKIM in middlewares
    assert META_REFRESH not in middlewares
    assert [m for m in middlewares if m.startswith("newscrawl.")] == [SKIM]
