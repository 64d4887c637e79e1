"""Profiles are data: they load, inherit and are chosen by domain."""

from __future__ import annotations

from pathlib import Path

import pytest

from newscrawl.profiles import (
    PROFILE_FILES_ENV,
    PROFILES_DIR_ENV,
    ProfileError,
    file_problems,
    load_profile,
    portal_names,
    profile_for_url,
    profile_names,
)


def test_bundled_profiles() -> None:
    assert {"generic", "sahifa", "jmn"} <= set(profile_names())
    # Portals are the profiles of kind "portal": themes and the fallback are not crawlable.
    assert "jmn" in portal_names()
    assert not {"generic", "sahifa"} & set(portal_names())


def test_portal_inherits_theme_and_overrides_site() -> None:
    jmn = load_profile("jmn")
    sahifa = load_profile("sahifa")
    assert jmn.selectors("fields", "headline") == sahifa.selectors("fields", "headline")
    assert jmn.timezone == "Europe/Moscow"
    assert sahifa.timezone == "UTC"
    assert jmn.languages == ["en", "ru"]
    assert jmn.get("discovery", "start_urls") == ["https://jmn.info/"]
    # tables merge: the theme's discovery selectors survive the portal's additions
    assert jmn.get("discovery", "article_links") == sahifa.get("discovery", "article_links")
    assert "extends" not in jmn.data


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://jmn.info/lavrov-said/", "jmn"),
        ("https://www.jmn.info/", "jmn"),
        ("http://news.jmn.info/x", "jmn"),
        ("https://notjmn.info/", "generic"),
        ("https://example.com/", "generic"),
        ("not a url", "generic"),
    ],
)
def test_profile_for_url(url: str, name: str) -> None:
    assert profile_for_url(url).name == name


def test_unknown_profile() -> None:
    with pytest.raises(ProfileError, match="unknown profile 'nope'"):
        load_profile("nope")


def test_missing_path_gives_default() -> None:
    assert load_profile("jmn").get("no", "such", default=3) == 3
    assert load_profile("jmn").selectors("no", "such") == []


def test_a_portal_that_leaves_kind_out_is_a_portal_not_the_theme_it_extends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kind is the file's own: inherited from sahifa, it made this portal a theme, so no
    # crawl listed it or chose it for its domain, and profile check found nothing wrong.
    (tmp_path / "mysite.toml").write_text(
        'extends = "sahifa"\n[site]\ndomains = ["mysite.example"]\n', encoding="utf-8"
    )
    (tmp_path / "nodomains.toml").write_text('extends = "sahifa"\n', encoding="utf-8")
    monkeypatch.setenv(PROFILES_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(PROFILE_FILES_ENV, "{}")
    assert load_profile("mysite").kind == "portal"
    assert "mysite" in portal_names()
    assert profile_for_url("https://mysite.example/a-story/").name == "mysite"
    (line,) = file_problems(tmp_path / "nodomains.toml")
    assert "is a portal with no [site] domains" in line
    # a theme on a theme says so, and stays a theme
    (tmp_path / "subtheme.toml").write_text('extends = "sahifa"\nkind = "theme"\n')
    assert load_profile("subtheme").kind == "theme"
    assert file_problems(tmp_path / "subtheme.toml") == []


def test_the_most_specific_domain_chooses_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first portal in name order won: example.com's "aaa-group" took the pages of
    # news.example.com from "news"; and a portal of www.wwwsite.example was never chosen,
    # since the host lost its "www." before it was compared.
    for name, domain in [
        ("aaa-group", "example.com"),
        ("news", "news.example.com"),
        ("wwwsite", "www.wwwsite.example"),
    ]:
        (tmp_path / f"{name}.toml").write_text(
            f'extends = "generic"\nkind = "portal"\n[site]\ndomains = ["{domain}"]\n'
        )
    monkeypatch.setenv(PROFILES_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(PROFILE_FILES_ENV, "{}")
    chosen = {
        url: profile_for_url(url).name
        for url in [
            "https://news.example.com/a-story/",
            "https://www.news.example.com/a-story/",
            "https://example.com/a-story/",
            "https://sport.example.com/a-story/",
            "https://www.wwwsite.example/a-story/",
            "https://wwwsite.example/a-story/",
        ]
    }
    assert list(chosen.values()) == ["news", "news", "aaa-group", "aaa-group", "wwwsite", "generic"]
