"""The checks a crawl passes before anything is fetched (``newscrawl.preflight``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from newscrawl.preflight import UsageError, check_crawl, setting_problem


def settings_for(tmp_path: Path, **values: object) -> Settings:
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    settings.set("NEWSCRAWL_OUTPUT_DIR", str(tmp_path / "out"), priority="cmdline")
    settings.set("NEWSCRAWL_STATE_DIR", str(tmp_path / "state"), priority="cmdline")
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    return settings


def test_a_good_crawl_passes_and_gets_its_folders(tmp_path: Path) -> None:
    check_crawl("jmn", settings_for(tmp_path), base_url="http://127.0.0.1:8000")
    assert (tmp_path / "out").is_dir()
    assert (tmp_path / "state").is_dir()
    assert not list((tmp_path / "state").iterdir())  # no state file made by the check


def test_distributed_mode_has_no_state_folder(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, NEWSCRAWL_REDIS_URL="redis://127.0.0.1:6379/15")
    check_crawl("jmn", settings)
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("NEWSCRAWL_BATCH_RECORDS", "0", "expected 1 or more"),
        ("NEWSCRAWL_BATCH_SECONDS", "-1", "expected 0 or more"),
        ("NEWSCRAWL_COVERAGE_THRESHOLDS", "{not json", "NEWSCRAWL_COVERAGE_THRESHOLDS"),
        ("NEWSCRAWL_EXTRACT_PROCESSES", "-2", "or auto"),
        ("NEWSCRAWL_EXTRACT_TIMEOUT", "-1", "expected 0 or more seconds"),
        ("NEWSCRAWL_EXTRACT_TIMEOUT", "nan", "expected 0 or more seconds"),
        ("DOWNLOAD_DELAY", "-1", "expected 0 or more seconds"),
        ("DOWNLOAD_DELAY", "nan", "expected 0 or more seconds"),
        ("LOG_LEVEL", "chatty", "expected DEBUG"),
        ("LOG_LEVEL", "debug", "expected DEBUG"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, name: str, value: str, problem: str) -> None:
    settings = settings_for(tmp_path, **{name: value})
    assert problem in (setting_problem(settings, name) or "")
    with pytest.raises(UsageError, match=name):
        check_crawl("jmn", settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEWSCRAWL_EXTRACT_PROCESSES", "auto"),
        ("NEWSCRAWL_GZIP", "true"),
        ("DOWNLOAD_TIMEOUT", "2.5"),
        ("NEWSCRAWL_EXTRACT_TIMEOUT", "0"),
        ("DOWNLOAD_DELAY", "0"),
        ("LOG_LEVEL", "DEBUG"),
        ("NEWSCRAWL_COVERAGE_THRESHOLDS", '{"headline": 0.5}'),
        ("SOME_PLUGIN_SETTING", "anything"),
    ],
)
def test_good_values_pass(tmp_path: Path, name: str, value: str) -> None:
    assert setting_problem(settings_for(tmp_path, **{name: value}), name) is None
