"""Profiles are data: they load, inherit and are chosen by domain."""

from __future__ import annotations

import pytest

from newscrawl.profiles import (
    ProfileError,
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
