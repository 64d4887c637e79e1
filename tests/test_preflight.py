"""The checks a crawl passes before anything is fetched (``newscrawl.preflight``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from newscrawl.preflight import (
    UsageError,
    check_base_url,
    check_crawl,
    check_portal,
    check_settings,
    check_state,
    check_writable_folder,
    setting_problem,
    state_hint,
)


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


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("NEWSCRAWL_BATCH_RECORDS", "1", None),
        ("NEWSCRAWL_BATCH_SECONDS", "0", None),
        ("NEWSCRAWL_FAILED_PAGE_BACKOFF", "0", None),
        ("NEWSCRAWL_FAILED_PAGE_BACKOFF", "-0.5", "expected 0 or more"),
        ("NEWSCRAWL_FAILED_PAGE_BACKOFF_MAX", "0", None),
        ("NEWSCRAWL_FAILED_PAGE_BACKOFF_MAX", "-1", "expected 0 or more"),
        ("NEWSCRAWL_MAX_ERROR_RATE", "0", None),
        ("NEWSCRAWL_MAX_ERROR_RATE", "1", None),
        ("NEWSCRAWL_MAX_ERROR_RATE", "1.01", "expected a share between 0 and 1"),
        ("NEWSCRAWL_MAX_ERROR_RATE", "-0.01", "expected a share between 0 and 1"),
        ("NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT", "0.5", None),
        ("NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT", "0", "expected more than 0 seconds"),
        ("NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT", "-3", "expected more than 0 seconds"),
        ("NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT", "inf", "expected more than 0 seconds"),
        ("NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT", "nan", "expected more than 0 seconds"),
        ("NEWSCRAWL_WORKER", "worker-2.a_b", None),
        ("NEWSCRAWL_WORKER", "../x", "expected a plain file-name part"),
        ("LOG_LEVEL", 10, None),
        ("LOG_LEVEL", "20", None),
        ("NEWSCRAWL_GZIP", "maybe", "NEWSCRAWL_GZIP='maybe' is not valid"),
        ("DOWNLOAD_TIMEOUT", "soon", "DOWNLOAD_TIMEOUT='soon' is not valid"),
        ("NEWSCRAWL_BATCH_RECORD", "5", "unknown setting NEWSCRAWL_BATCH_RECORD (newscrawl's"),
    ],
)
def test_each_setting_is_held_to_its_own_bound(
    tmp_path: Path, name: str, value: object, problem: str | None
) -> None:
    """The bound itself passes; a value past it is named, with what is expected."""
    found = setting_problem(settings_for(tmp_path, **{name: value}), name)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_only_settings_given_on_the_command_line_are_checked(tmp_path: Path) -> None:
    """A value a project or a plugin set is theirs to answer for; -s values are the user's."""
    settings = settings_for(tmp_path)
    settings.set("NEWSCRAWL_BATCH_RECORDS", "0", priority="project")
    check_settings(settings)
    settings.set("NEWSCRAWL_BATCH_RECORDS", "0", priority="cmdline")
    with pytest.raises(UsageError, match="NEWSCRAWL_BATCH_RECORDS='0'"):
        check_settings(settings)


@pytest.mark.parametrize(
    "base_url",
    [None, "http://127.0.0.1:8000", "https://jmn.info", "http://127.0.0.1:1/"],
)
def test_a_base_url_that_is_an_origin_passes(base_url: str | None) -> None:
    check_base_url(base_url)


@pytest.mark.parametrize(
    "base_url",
    [
        "notaurl",
        "ftp://127.0.0.1:8000",
        "http://",
        "http://:8000",
        "http://127.0.0.1:0",
        "http://127.0.0.1:x",
        "http://127.0.0.1:99999",
    ],
)
def test_a_base_url_that_is_no_origin_is_refused(base_url: str) -> None:
    with pytest.raises(UsageError, match=f"base URL {base_url!r} is not an http"):
        check_base_url(base_url)


def test_check_crawl_checks_the_base_url(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not an http"):
        check_crawl("jmn", settings_for(tmp_path), base_url="ftp://127.0.0.1")


@pytest.mark.parametrize(
    ("site", "profile", "problem"),
    [
        ("nosuch", None, "unknown profile 'nosuch'"),
        ("sahifa", None, "'sahifa' is a theme profile, not a portal; portals to crawl: jmn"),
        ("jmn", "nosuch", "unknown profile 'nosuch'"),
    ],
)
def test_a_crawl_needs_a_portal_and_known_profiles(
    tmp_path: Path, site: str, profile: str | None, problem: str
) -> None:
    with pytest.raises(UsageError, match=problem):
        check_portal(site, profile)
    with pytest.raises(UsageError, match=problem):
        check_crawl(site, settings_for(tmp_path), profile=profile)


def test_a_portal_without_domains_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newscrawl.profiles import forget_profiles

    (tmp_path / "nodomain.toml").write_text(
        'kind = "portal"\nextends = "sahifa"\n', encoding="utf-8"
    )
    monkeypatch.setenv("NEWSCRAWL_PROFILES_DIR", str(tmp_path))
    forget_profiles()
    try:
        with pytest.raises(UsageError, match="'nodomain' is a portal with no \\[site\\] domains"):
            check_portal("nodomain")
    finally:
        monkeypatch.delenv("NEWSCRAWL_PROFILES_DIR")
        forget_profiles()


def test_a_crawl_by_url_looks_for_no_profile(tmp_path: Path) -> None:
    check_crawl("127_0_0_1_8000", settings_for(tmp_path), profiled=False)
    assert (tmp_path / "out").is_dir()


def test_a_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("a file", encoding="utf-8")
    with pytest.raises(UsageError, match=f"^output folder {path} is a file, not a folder$"):
        check_writable_folder(path, "output folder")


def test_a_folder_that_cannot_be_made_is_refused_with_the_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file", encoding="utf-8")
    folder = blocker / "out"
    with pytest.raises(
        UsageError, match=f"^state folder {folder} is not writable: Not a directory$"
    ):
        check_writable_folder(folder, "state folder")


def test_a_state_that_cannot_be_used_is_refused_with_how_to_rebuild_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "jmn.sqlite3").write_bytes(b"this is not an SQLite database" * 100)
    settings = settings_for(tmp_path)
    hint = f"newscrawl state rebuild jmn -o {tmp_path / 'out'} --state {state}"
    assert state_hint("jmn", settings) == hint
    with pytest.raises(UsageError, match=f"jmn.sqlite3.*; or run: {hint}$"):
        check_crawl("jmn", settings)
    check_state(tmp_path / "nowhere", "jmn", hint)  # no state yet: the crawl makes one


def test_the_rebuild_hint_names_the_default_folders() -> None:
    settings = Settings()
    assert state_hint("jmn", settings) == "newscrawl state rebuild jmn -o out --state .state"
