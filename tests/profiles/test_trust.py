"""Profiles are data, nothing more (issue 11, finding 1; names and run ids of finding 7).

A profile's ``[crawl]`` table reaches only politeness and limit settings; a profile name
never becomes a path; an explicit file comes only through ``--profile-file``; site names
and run ids cannot walk out of the output folder.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.names import BadName, check_name, check_run_id
from newscrawl.profiles import (
    CRAWL_SETTINGS,
    PROFILE_FILES_ENV,
    PROFILES_DIR_ENV,
    ProfileError,
    load_profile,
    portal_names,
    profile_names,
    register_profile_file,
)
from newscrawl.spiders import portal_spider, profile_settings
from newscrawl.spiders.portal import PortalSpider
from tests.cli_support import newscrawl as run_newscrawl
from tests.conftest import FIXTURES, ROOT

PORTAL = """\
name = "{name}"
extends = "jmn"
kind = "portal"

[crawl]
{crawl}
"""


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user profiles folder, named by NEWSCRAWL_PROFILES_DIR for this test only."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    monkeypatch.setenv(PROFILES_DIR_ENV, str(folder))
    monkeypatch.setenv(PROFILE_FILES_ENV, "{}")
    return folder


def write_portal(folder: Path, name: str, crawl: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(PORTAL.format(name=name, crawl=crawl), encoding="utf-8")
    return path


# -- [crawl]: an allow-list --------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "telnetconsole_enabled = true",  # opened a Python shell
        'telnetconsole_host = "0.0.0.0"',
        'telnetconsole_password = "x"',
        'log_file = "/tmp/elsewhere.log"',  # wrote outside -o
        'feeds = { "/tmp/feed.jsonl" = { format = "jsonlines" } }',
        'extensions = { "this.Nothing" = 1 }',  # imported an arbitrary module
        'item_pipelines = { "os.system" = 1 }',
        'newscrawl_output_dir = "/tmp"',
        "DOWNLOAD_DELAY = 1",  # the allow-list is of lower-case keys, as documented
    ],
)
def test_crawl_key_outside_the_allow_list_is_refused_naming_file_and_key(
    profiles: Path, line: str
) -> None:
    path = write_portal(profiles, "hostile", line)
    key = line.split("=", 1)[0].strip()
    with pytest.raises(ProfileError) as caught:
        load_profile("hostile")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: [crawl] key {key!r} is not allowed")


@pytest.mark.parametrize(
    "line",
    [
        'download_delay = "fast"',
        "download_delay = -1",
        "concurrent_requests = 0",
        "download_maxsize = 0",  # a profile may move a limit, not remove it
        "robotstxt_obey = 1",
        "retry_http_codes = [500, 9999]",
        "retry_times = 2.5",
    ],
)
def test_allowed_key_with_a_bad_value_is_refused(profiles: Path, line: str) -> None:
    path = write_portal(profiles, "badvalue", line)
    with pytest.raises(ProfileError, match=rf"^{path}: \[crawl\] {line.split()[0]} = "):
        load_profile("badvalue")


def test_crawl_must_be_a_table(profiles: Path) -> None:
    (profiles / "flat.toml").write_text('extends = "jmn"\ncrawl = 3\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"\[crawl\] must be a table"):
        load_profile("flat")


def test_every_allowed_key_reaches_the_spider_settings(profiles: Path) -> None:
    values = {
        "seconds": "1.5",
        "positive": "2",
        "count": "3",
        "positive_count": "4",
        "flag": "false",
        "statuses": "[500, 503]",
    }
    crawl = "\n".join(f"{key} = {values[kind]}" for key, kind in CRAWL_SETTINGS.items())
    write_portal(profiles, "polite", crawl)
    settings = profile_settings("polite")
    assert set(settings) == {key.upper() for key in CRAWL_SETTINGS}
    assert portal_spider("polite").custom_settings["DOWNLOAD_DELAY"] == 1.5


def test_a_bad_theme_fails_the_portal_that_extends_it(profiles: Path) -> None:
    theme = profiles / "badtheme.toml"
    theme.write_text('kind = "theme"\n[crawl]\nlog_level = "DEBUG"\n', encoding="utf-8")
    (profiles / "child.toml").write_text('extends = "badtheme"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=rf"^{theme}: \[crawl\] key 'log_level'"):
        load_profile("child")


def test_bundled_profiles_keep_to_the_allow_list() -> None:
    for name in profile_names():
        assert set(load_profile(name).get("crawl", default={})) <= set(CRAWL_SETTINGS)


# -- where a name resolves -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../../../../elsewhere/outside", "/etc/passwd", "jmn/../jmn", "Jmn", "-x", "_x", "", "a.b"],
)
def test_a_profile_name_is_never_a_path(name: str) -> None:
    with pytest.raises(ProfileError, match="must match"):
        load_profile(name)


def test_extends_is_a_name_too(profiles: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.toml").write_text('kind = "theme"\n', encoding="utf-8")
    (profiles / "walker.toml").write_text('extends = "../outside"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape("profile '../outside' is not allowed")):
        load_profile("walker")


def test_user_profiles_folder_adds_portals_that_extend_bundled_themes(profiles: Path) -> None:
    write_portal(profiles, "mine", "download_delay = 2")
    (profiles / "Not-A-Name.toml").write_text('kind = "portal"\n', encoding="utf-8")
    assert "mine" in profile_names()
    assert "Not-A-Name" not in profile_names()
    assert "mine" in portal_names()
    mine = load_profile("mine")
    assert mine.get("crawl", "download_delay") == 2
    assert mine.selectors("fields", "headline") == load_profile("jmn").selectors(
        "fields", "headline"
    )


def test_without_the_folder_only_bundled_profiles_resolve(
    profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_portal(profiles, "mine", "download_delay = 2")
    monkeypatch.delenv(PROFILES_DIR_ENV)
    with pytest.raises(ProfileError, match="unknown profile 'mine'"):
        load_profile("mine")


def test_profile_file_registers_its_name_for_this_process_and_its_children(
    profiles: Path, tmp_path: Path
) -> None:
    path = write_portal(tmp_path, "fromfile", "download_delay = 3")
    profile = register_profile_file(path)
    assert profile.name == "fromfile"
    assert load_profile("fromfile").get("crawl", "download_delay") == 3
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from newscrawl.profiles import load_profile; "
            "print(load_profile('fromfile').get('crawl', 'download_delay'))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert child.stdout.strip() == "3"


def test_profile_file_is_checked_like_any_profile(profiles: Path, tmp_path: Path) -> None:
    path = write_portal(tmp_path, "evil", "telnetconsole_enabled = true")
    with pytest.raises(ProfileError, match=rf"^{path}: \[crawl\] key 'telnetconsole_enabled'"):
        register_profile_file(path)
    named = tmp_path / "bad.toml"
    named.write_text('name = "../x"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="must match"):
        register_profile_file(named)
    with pytest.raises(ProfileError, match="no such profile file"):
        register_profile_file(tmp_path / "missing.toml")


# -- names and run ids -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["../../../x", "/abs/run", "a/b", ".hidden", "", "a b", "é"])
def test_names_and_run_ids_are_plain_file_name_parts(value: str) -> None:
    with pytest.raises(BadName):
        check_name("site", value)
    with pytest.raises(BadName):
        check_run_id(value)


def test_default_run_ids_are_valid() -> None:
    assert check_run_id("20261205T115300Z") == "20261205T115300Z"
    with pytest.raises(BadName):
        check_name("site", "Jmn")


def test_spider_refuses_a_site_that_walks_out() -> None:
    with pytest.raises(ValueError, match=re.escape("site '../x' is not allowed")):
        PortalSpider(site="../x")


def test_spider_refuses_a_portal_without_domains_in_one_line(profiles: Path) -> None:
    (profiles / "nodomain.toml").write_text('extends = "sahifa"\nkind = "portal"\n')
    with pytest.raises(
        ValueError, match=r"^profile 'nodomain' is a portal with no \[site\] domains"
    ):
        PortalSpider(site="nodomain")


def test_spider_refuses_a_run_id_that_walks_out(tmp_path: Path) -> None:
    crawler = get_crawler(
        portal_spider("jmn"),
        {"NEWSCRAWL_STATE_DIR": "", "NEWSCRAWL_RUN_ID": "../../x"},
    )
    with pytest.raises(ValueError, match=re.escape("run id '../../x' is not allowed")):
        crawler._create_spider()


# -- the command line ------------------------------------------------------------------------


def newscrawl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_newscrawl(*args, cwd=cwd, timeout=120, env={"PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "../../x"], "site '../../x' is not allowed"),
        (["crawl", "jmn", "-s", "NEWSCRAWL_RUN_ID=../../../x"], "run id '../../../x'"),
        (["crawl", "jmn", "-s", "NEWSCRAWL_RUN_ID=/tmp/abs"], "run id '/tmp/abs'"),
        (["crawl", "jmn", "--profile", "../../elsewhere/outside"], "profile '../../elsewhere"),
        (["crawl", "--profile-file", "evil.toml"], "evil.toml: [crawl] key 'telnetconsole"),
        (["crawl", "other", "--profile-file", "good.toml"], "describes 'good', not 'other'"),
        (["crawl"], "crawl needs SITE"),
        (["extract", "--profile", "../../evil", "page.html"], "profile '../../evil'"),
        (["extract", "--profile-file", "evil.toml", "page.html"], "evil.toml: [crawl] key"),
    ],
)
def test_command_refuses_with_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    write_portal(tmp_path, "evil", "telnetconsole_enabled = true")
    write_portal(tmp_path, "good", "download_delay = 1")
    (tmp_path / "page.html").write_text("<html></html>", encoding="utf-8")
    result = newscrawl(*args, "-o", "out", cwd=tmp_path) if args[0] == "crawl" else None
    if result is None:
        result = newscrawl(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.parent.glob("x*"))


def test_extract_with_a_profile_file_names_the_record_after_it(tmp_path: Path) -> None:
    path = write_portal(tmp_path, "mirror", "download_delay = 1")
    page = FIXTURES / "jmn" / "seed-article.html"
    url = "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
    result = newscrawl("extract", "--profile-file", str(path), "--url", url, str(page), cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["site"] == "mirror"


def test_one_refused_profile_does_not_hide_the_others(
    profiles: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_portal(profiles, "hostile", "telnetconsole_enabled = true")
    write_portal(profiles, "mine", "download_delay = 2")
    assert "mine" in portal_names()
    assert "hostile" not in portal_names()
    assert "[crawl] key 'telnetconsole_enabled' is not allowed" in caplog.text
    with pytest.raises(ProfileError):
        load_profile("hostile")


def test_crawl_of_a_profile_in_the_profiles_folder_with_a_hostile_key_is_refused(
    profiles: Path, tmp_path: Path
) -> None:
    path = write_portal(profiles, "hostile", 'log_file = "/tmp/elsewhere.log"')
    result = newscrawl("crawl", "hostile", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr == (
        f"newscrawl: {path}: [crawl] key 'log_file' is not allowed: a profile may set only "
        f"politeness and limit settings ({', '.join(CRAWL_SETTINGS)})\n"
    )
    assert not (tmp_path / "out").exists()


def test_scrapy_lists_the_good_profiles_of_the_folder_and_names_the_bad_one(
    profiles: Path, tmp_path: Path
) -> None:
    write_portal(profiles, "hostile", 'extensions = { "this.Nothing" = 1 }')
    write_portal(profiles, "mine", "download_delay = 2")
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    listed = result.stdout.split()
    # Not the whole list: adding a bundled portal must not break this test.
    assert {"jmn", "mine", "portal"} <= set(listed)
    assert "hostile" not in listed
    assert "[crawl] key 'extensions' is not allowed" in result.stderr
