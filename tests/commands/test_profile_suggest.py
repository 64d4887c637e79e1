"""``newscrawl profile suggest`` and ``newscrawl profile check NAME --pages DIR``."""

from __future__ import annotations

import functools
import json
import re
import shlex
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newscrawl.cli import main
from newscrawl.profiles import PROFILE_FILES_ENV, forget_profiles
from tests.conftest import FIXTURES, ROOT
from tests.profiles.test_suggest import TITLES, other_pages


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``newscrawl ARGS``; return the exit code, stdout and stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def planet(tmp_path: Path) -> Path:
    """A folder of six saved pages of one portal (URLs from their canonical links)."""
    folder = tmp_path / "planet"
    folder.mkdir()
    for page in other_pages():
        (folder / page.name).write_bytes(page.body)
    return folder


@pytest.fixture(autouse=True)
def _fresh_profiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Profile files a test registers (``profile check FILE --pages``) stay in it."""
    monkeypatch.setenv(PROFILE_FILES_ENV, "{}")
    forget_profiles()
    yield
    forget_profiles()


def test_suggest_writes_a_profile_that_passes_the_profile_checks(
    capsys: pytest.CaptureFixture[str], planet: Path, tmp_path: Path
) -> None:
    output = tmp_path / "planet.toml"
    assert run(capsys, "profile", "suggest", str(planet), "-o", str(output)) == (0, "", "")
    assert 'name = "planet"' in output.read_text(encoding="utf-8")
    assert run(capsys, "profile", "check", str(output)) == (0, "", "")


def test_suggest_prints_to_stdout_without_o(
    capsys: pytest.CaptureFixture[str], planet: Path
) -> None:
    code, out, err = run(capsys, "profile", "suggest", str(planet))
    assert (code, err) == (0, "")
    assert 'headline = ["#content h1.story-title"]' in out


def test_suggest_never_writes_over_an_existing_file(
    capsys: pytest.CaptureFixture[str], planet: Path, tmp_path: Path
) -> None:
    output = tmp_path / "mine.toml"
    output.write_text("# my reviewed profile\n", encoding="utf-8")
    code, _out, err = run(capsys, "profile", "suggest", str(planet), "-o", str(output))
    assert code == 2
    assert err.count("\n") == 1
    assert "exists" in err
    assert output.read_text(encoding="utf-8") == "# my reviewed profile\n"


def test_suggest_refuses_pages_of_two_sites_in_one_line(
    capsys: pytest.CaptureFixture[str], planet: Path, tmp_path: Path
) -> None:
    for page in other_pages("elsewhere.example")[:2]:
        (planet / f"x-{page.name}").write_bytes(page.body)
    output = tmp_path / "mixed.toml"
    code, _out, err = run(capsys, "profile", "suggest", str(planet), "-o", str(output))
    assert code == 2
    assert err.count("\n") == 1
    assert "2 different sites" in err
    assert "elsewhere.example (2 pages)" in err
    assert not output.exists()


def test_check_pages_of_the_fixtures_compares_with_their_expected_records(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys, "profile", "check", "jmn", "--pages", str(FIXTURES / "jmn"), "--threshold", "0.9"
    )
    assert code == 0, err
    assert "compared with expected records" in out
    assert "headline" in out


def test_check_pages_fails_naming_the_field_whose_selector_stopped_matching(
    capsys: pytest.CaptureFixture[str], planet: Path, tmp_path: Path
) -> None:
    output = tmp_path / "planet.toml"
    assert run(capsys, "profile", "suggest", str(planet), "-o", str(output))[0] == 0
    code, out, err = run(capsys, "profile", "check", str(output), "--pages", str(planet))
    assert "headline          6/6     100.0%" in out
    assert "FAILED: headline" not in err
    # The portal renames its headline class: the profile's selector finds nothing.
    redesigned = tmp_path / "redesigned"
    shutil.copytree(planet, redesigned)
    for page in redesigned.glob("*.html"):
        text = page.read_text(encoding="utf-8").replace("story-title", "headline-v2")
        page.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "profile", "check", str(output), "--pages", str(redesigned))
    assert code == 1
    assert "FAILED: headline agrees on 0.0%, under 90%" in err
    assert "FAILED: body" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuchprofile", "--pages", "."], "unknown profile 'nosuchprofile'"),
        (["jmn", "sahifa", "--pages", "."], "takes one profile"),
        (["jmn", "--pages", "/nonexistent/folder"], "not a folder"),
        (["jmn", "--pages", ".", "--threshold", "5"], "between 0 and 1"),
    ],
    ids=["unknown-profile", "two-profiles", "no-folder", "threshold-out-of-range"],
)
def test_check_pages_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _out, err = run(capsys, "profile", "check", *args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_suggest_from_a_folder_with_a_broken_manifest_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], planet: Path
) -> None:
    (planet / "manifest.json").write_text(json.dumps(["not", "an", "object"]), encoding="utf-8")
    code, _out, err = run(capsys, "profile", "suggest", str(planet))
    assert code == 2
    assert "manifest.json: expected an object" in err


def test_the_documented_suggest_and_check_commands_run_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8")
    block = text.split("## Suggesting a profile", 1)[1].split("```console", 1)[1].split("```")[0]
    commands = re.findall(r"^\$ newscrawl (.+)$", block, re.MULTILINE)
    assert len(commands) == 3
    (tmp_path / "fixtures").symlink_to(FIXTURES)
    monkeypatch.chdir(tmp_path)
    for command in commands:
        code, _out, err = run(capsys, *shlex.split(command))
        assert code == 0, (command, err)
    assert 'extends = "sahifa"' in (tmp_path / "mysite.toml").read_text(encoding="utf-8")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served_portal(tmp_path: Path) -> Iterator[str]:
    """The no-theme portal served on 127.0.0.1: a home page linking six articles, one
    link to a page that is missing, and a robots.txt that forbids /private/."""
    root = tmp_path / "site"
    links = []
    for n, page in enumerate(other_pages()):
        (root / "news" / str(n)).mkdir(parents=True)
        (root / "news" / str(n) / "index.html").write_bytes(page.body)
        links.append(f'<h2><a href="/news/{n}/">{TITLES[n]}</a></h2>')
    links.append('<h2><a href="/news/gone/">A story that was taken down</a></h2>')
    links.append('<h2><a href="/private/1/">A story robots may not read</a></h2>')
    links.append('<h2><a href="https://elsewhere.example/x/">A story on another site</a></h2>')
    home = "<html><body><h1>Daily Planet</h1>" + "".join(links) + "</body></html>"
    (root / "index.html").write_text(home, encoding="utf-8")
    robots = "User-agent: *\nDisallow: /private/\nSitemap: /maps/index.xml\n"
    (root / "robots.txt").write_text(robots, encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_suggest_from_a_url_fetches_the_linked_articles_of_the_host_politely(
    capsys: pytest.CaptureFixture[str], served_portal: str, tmp_path: Path
) -> None:
    output, saved = tmp_path / "planet.toml", tmp_path / "saved"
    args = [served_portal, "--pages", "10", "--delay", "0", "--save", str(saved), "-o", str(output)]
    code, _out, err = run(capsys, "profile", "suggest", *args)
    assert code == 0, err
    assert "left out: " in err
    assert "/news/gone/" in err
    assert "/private/1/: disallowed by robots.txt" in err
    assert "elsewhere.example" not in err  # another host's link is never fetched
    text = output.read_text(encoding="utf-8")
    assert 'headline = ["#content h1.story-title"]' in text
    assert f'sitemaps = ["{served_portal}maps/index.xml"]' in text  # named by robots.txt
    manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest) == 7  # the home page and six articles
    assert run(capsys, "profile", "check", str(output), "--pages", str(saved))[0] in (0, 1)


def test_suggest_from_a_url_that_does_not_answer_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], served_portal: str
) -> None:
    code, _out, err = run(
        capsys, "profile", "suggest", served_portal + "nothing/here/", "--delay", "0"
    )
    assert code == 2
    assert err.count("\n") == 1


def test_a_check_takes_fields_the_profile_reads_itself_without_the_generic_fill() -> None:
    from newscrawl.commands.profile import CLAIMS, claims
    from newscrawl.profiles import Profile
    from newscrawl.profiles.suggest import COMPARED_FIELDS

    assert set(CLAIMS) == set(COMPARED_FIELDS)
    profile = Profile("p", "portal", {"fields": {"headline": ["h1"]}, "body": {}})
    assert claims(profile, "headline")
    assert not claims(profile, "authors")  # left to the generic extractor
    assert not claims(profile, "body")  # an empty table sets nothing


@pytest.mark.parametrize(
    ("args", "given"),
    [(["-o", "MySite.toml"], "-o "), (["--name", "My Site"], "--name: ")],
    ids=["o-stem", "name"],
)
def test_suggest_refuses_a_name_its_own_check_would_refuse(
    capsys: pytest.CaptureFixture[str], planet: Path, tmp_path: Path, args: list[str], given: str
) -> None:
    # -o MySite.toml wrote name = "MySite", which profile check then refused (exit 1).
    args = [str(tmp_path / a) if a.endswith(".toml") else a for a in args]
    code, out, err = run(capsys, "profile", "suggest", str(planet), *args)
    assert (code, out) == (2, "")
    (line,) = err.splitlines()
    assert line.startswith(f"newscrawl: {given}")
    assert "is not allowed: it must match [a-z0-9][a-z0-9_-]*" in line
    assert not list(tmp_path.glob("*.toml"))


@pytest.mark.parametrize("entry", ["loop", "folder"])
def test_an_html_entry_that_cannot_be_read_is_named(
    capsys: pytest.CaptureFixture[str], planet: Path, entry: str
) -> None:
    # The line named the folder ("planet: cannot read: Is a directory"), not the entry.
    bad = planet / "zz-bad.html"
    if entry == "loop":
        bad.symlink_to(bad)
    else:
        bad.mkdir()
    for command in (["suggest", str(planet)], ["check", "jmn", "--pages", str(planet)]):
        code, out, err = run(capsys, "profile", *command)
        assert (code, out) == (2, "")
        (line,) = err.splitlines()
        assert line.startswith(f"newscrawl: {bad}: cannot read: ")


def test_a_save_folder_that_holds_pages_is_refused_before_anything_is_fetched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # It was refused after every page had been fetched (a minute, at --delay 1), and the
    # pages were lost. Nothing answers on this port: the refusal must come first.
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "old.html").write_text("<html></html>", encoding="utf-8")
    code, out, err = run(capsys, "profile", "suggest", "http://127.0.0.1:9/", "--save", str(saved))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"newscrawl: {saved}: holds pages already; give an empty or new folder"
    ]


def test_save_with_a_folder_of_pages_is_refused_not_ignored(
    capsys: pytest.CaptureFixture[str], planet: Path, tmp_path: Path
) -> None:
    code, out, err = run(capsys, "profile", "suggest", str(planet), "--save", str(tmp_path / "s"))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"newscrawl: --save works with a URL only: the pages of {planet} are saved"
    ]


def test_an_output_in_no_folder_is_refused_before_anything_is_fetched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # "-o nofolder/x.toml" failed only when the profile was written, after every page
    # had been fetched. Nothing answers on this port: the refusal must come first.
    output = tmp_path / "nofolder" / "x.toml"
    code, out, err = run(capsys, "profile", "suggest", "http://127.0.0.1:9/", "-o", str(output))
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"newscrawl: {output}: cannot write: no folder {output.parent}"]
