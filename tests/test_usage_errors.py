"""Usage errors: one line on stderr, exit code 2, never a traceback, nothing fetched.

Each case is the real command in a subprocess, as cron or a person runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from newscrawl.cli import EXIT_BROKEN_PIPE
from newscrawl.devtools.devserver import FixtureSite, serve
from tests.conftest import FIXTURES, ROOT

SCRAPY = str(Path(sys.executable).parent / "scrapy")


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def newscrawl(*args: str) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "newscrawl.cli", *args)


def corrupt_state(tmp: Path) -> list[str]:
    (tmp / "state").mkdir()
    (tmp / "state" / "jmn.sqlite3").write_bytes(b"this is not an SQLite database" * 100)
    return ["crawl", "jmn", "-o", str(tmp / "out"), "--state", str(tmp / "state")]


def a_file(tmp: Path) -> Path:
    path = tmp / "a-file"
    path.write_text("not a folder\n")
    return path


def crawl_portal_without_domains(tmp: Path) -> list[str]:
    profile = tmp / "nodomain.toml"
    profile.write_text('kind = "portal"\nextends = "sahifa"\n', encoding="utf-8")
    return ["crawl", "--profile-file", str(profile), "-o", str(tmp / "out")]


def crawl(*args: str) -> Callable[[Path], list[str]]:
    """A ``newscrawl crawl jmn`` case with its own output and state folders."""

    def make(tmp: Path) -> list[str]:
        return ["crawl", "jmn", "-o", str(tmp / "out"), "--state", str(tmp / "state"), *args]

    return make


CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "theme-sahifa": (lambda t: ["crawl", "sahifa", "-o", str(t)], "'sahifa' is a theme profile"),
    "theme-generic": (lambda t: ["crawl", "generic", "-o", str(t)], "not a portal"),
    "unknown-site": (lambda t: ["crawl", "nosuch", "-o", str(t)], "unknown profile 'nosuch'"),
    "unknown-profile": (crawl("--profile", "nosuch"), "unknown profile 'nosuch'"),
    "portal-without-domains": (
        crawl_portal_without_domains,
        "profile 'nodomain' is a portal with no [site] domains",
    ),
    "log-level": (crawl("--log-level", "LOUD"), "argument --log-level: invalid choice: 'LOUD'"),
    "log-level-setting": (crawl("-s", "LOG_LEVEL=LOUD"), "setting LOG_LEVEL='LOUD'"),
    "state-in-proc": (
        lambda t: ["crawl", "jmn", "-o", str(t), "--state", "/proc/x"],
        "state folder /proc/x is not writable",
    ),
    "output-under-a-file": (
        lambda t: ["crawl", "jmn", "-o", str(a_file(t) / "out"), "--state", str(t / "s")],
        "output folder",
    ),
    "state-under-a-file": (
        lambda t: ["crawl", "jmn", "-o", str(t / "out"), "--state", str(a_file(t) / "s")],
        "state folder",
    ),
    "setting-not-a-number": (
        crawl("-s", "NEWSCRAWL_BATCH_RECORDS=abc"),
        "setting NEWSCRAWL_BATCH_RECORDS='abc' is not valid",
    ),
    "setting-not-a-bool": (crawl("-s", "NEWSCRAWL_GZIP=maybe"), "NEWSCRAWL_GZIP='maybe'"),
    "setting-out-of-range": (crawl("-s", "NEWSCRAWL_MAX_ERROR_RATE=5"), "between 0 and 1"),
    "setting-processes": (crawl("-s", "NEWSCRAWL_EXTRACT_PROCESSES=many"), "or auto"),
    "setting-scrapy-number": (crawl("-s", "DOWNLOAD_DELAY=soon"), "DOWNLOAD_DELAY='soon'"),
    "setting-extract-timeout-negative": (
        crawl("-s", "NEWSCRAWL_EXTRACT_TIMEOUT=-1"),
        "setting NEWSCRAWL_EXTRACT_TIMEOUT='-1' is not valid: expected 0 or more seconds",
    ),
    "setting-delay-negative": (
        crawl("-s", "DOWNLOAD_DELAY=-1"),
        "setting DOWNLOAD_DELAY='-1' is not valid: expected 0 or more seconds",
    ),
    "setting-worker-not-a-name": (
        crawl("-s", "NEWSCRAWL_WORKER=../x"),
        "setting NEWSCRAWL_WORKER='../x' is not valid: expected a plain file-name part",
    ),
    "setting-visibility-timeout-zero": (
        crawl("-s", "NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT=0"),
        "setting NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT='0' is not valid: expected more than 0",
    ),
    "redis-database-not-a-number": (
        crawl("--redis", "redis://127.0.0.1:6379/notanumber"),
        "the database 'notanumber' is not a number",
    ),
    "redis-port-out-of-range": (
        crawl("--redis", "redis://127.0.0.1:99999/0"),
        "Port out of range",
    ),
    "setting-unknown": (crawl("-s", "NEWSCRAWL_BATCH_RECORD=5"), "unknown setting"),
    "setting-no-equals": (crawl("-s", "NEWSCRAWL_GZIP"), "expected NAME=VALUE"),
    "base-url": (crawl("--base-url", "notaurl"), "is not an http(s) origin"),
    "since": (crawl("--since", "yesterday-ish"), "--since"),
    "since-out-of-range": (crawl("--since", "99999999999d"), "--since: since '99999999999d'"),
    "corrupt-state": (corrupt_state, "state rebuild jmn"),
    "no-command": (lambda t: [], "the following arguments are required"),
    "unknown-command": (lambda t: ["crawll"], "invalid choice: 'crawll'"),
    "crawl-without-site": (lambda t: ["crawl"], "crawl needs SITE"),
    "rebuild-without-output": (
        lambda t: ["state", "rebuild", "jmn", "-o", str(t / "none"), "--state", str(t / "s")],
        "no output for 'jmn'",
    ),
    "extract-missing-file": (lambda t: ["extract", str(t / "none.html")], "no such file"),
    "extract-not-an-article": (
        lambda t: ["extract", str(FIXTURES / "jmn" / "not-an-article.html")],
        "not an article",
    ),
    "extract-not-html-without-url": (
        lambda t: ["extract", str(FIXTURES / "jmn" / "README.md")],
        "declares no URL",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_usage_error_is_one_line_with_exit_2(tmp_path: Path, case: str) -> None:
    make, message = CASES[case]
    result = newscrawl(*make(tmp_path))
    assert result.returncode == 2, (result.stdout, result.stderr[-3000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert message in lines[0]
    assert result.stdout == ""


def test_demo_refuses_a_negative_extract_timeout_in_one_line(tmp_path: Path) -> None:
    result = newscrawl("demo", "-o", str(tmp_path / "out"), "-s", "NEWSCRAWL_EXTRACT_TIMEOUT=-1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "newscrawl: setting NEWSCRAWL_EXTRACT_TIMEOUT='-1' is not valid: "
        "expected 0 or more seconds (0: no time budget)"
    ]


def test_corrupt_state_message_names_the_file_and_what_to_do(tmp_path: Path) -> None:
    result = newscrawl(*corrupt_state(tmp_path))
    line = result.stderr.strip()
    assert str(tmp_path / "state" / "jmn.sqlite3") in line
    assert "move it aside" in line
    assert f"newscrawl state rebuild jmn -o {tmp_path / 'out'} --state {tmp_path / 'state'}" in line


@pytest.mark.parametrize(
    "args",
    [
        ["-o", "{file}/out", "--state", "{tmp}/state"],
        ["-o", "{tmp}/out", "--state", "{file}/state"],
    ],
    ids=["output", "state"],
)
def test_unwritable_folders_are_refused_before_anything_is_fetched(
    tmp_path: Path, args: list[str]
) -> None:
    file = a_file(tmp_path)
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server:
        filled = [a.format(file=file, tmp=tmp_path) for a in args]
        result = newscrawl("crawl", "jmn", "--base-url", server.url, *filled)
        hits = sum(server.hits.values())
    assert result.returncode == 2, result.stderr[-3000:]
    assert "is not writable" in result.stderr
    assert hits == 0


def test_scrapy_crawl_portal_without_site(tmp_path: Path) -> None:
    """Scrapy logs its start-up lines first; then the refusal is one line, exit code 2."""
    result = run(SCRAPY, "crawl", "portal", "-s", f"NEWSCRAWL_OUTPUT_DIR={tmp_path}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    refusal = [line for line in result.stderr.splitlines() if line.startswith("scrapy crawl:")]
    assert refusal == [
        "scrapy crawl: spider 'portal' needs a portal: scrapy crawl portal -a site=NAME "
        "(portals: jmn), or scrapy crawl NAME"
    ]


def test_scrapy_crawl_checks_settings_too(tmp_path: Path) -> None:
    result = run(SCRAPY, "crawl", "jmn", "-s", "NEWSCRAWL_BATCH_RECORDS=abc")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("scrapy crawl: setting NEWSCRAWL_BATCH")


def test_scrapy_crawl_refuses_a_bad_since_in_one_line(tmp_path: Path) -> None:
    """``-a since=`` (a spider argument scrapyd passes too) is read before the crawl, as
    ``newscrawl crawl --since`` is: before, the spider raised as it was built, a traceback
    and exit 1, with no report."""
    result = run(
        SCRAPY, "crawl", "jmn", "-a", "since=yesterday-ish", "-a", "base_url=http://127.0.0.1:9",
        "-s", f"NEWSCRAWL_OUTPUT_DIR={tmp_path / 'out'}",
        "-s", f"NEWSCRAWL_STATE_DIR={tmp_path / 'state'}",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    refusal = [line for line in result.stderr.splitlines() if line.startswith("scrapy crawl:")]
    assert refusal == [
        "scrapy crawl: -a since: since 'yesterday-ish' is neither a duration (30m, 12h, 2d, 1w) "
        "nor an ISO 8601 date or date-time (2016-03-01, 2016-03-01T10:00:00+03:00)"
    ]
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]  # no run, no report


def test_scrapy_crawl_corrupt_state_is_one_line(tmp_path: Path) -> None:
    corrupt_state(tmp_path)
    result = run(
        SCRAPY, "crawl", "jmn", "-a", "base_url=http://127.0.0.1:9",
        "-s", f"NEWSCRAWL_STATE_DIR={tmp_path / 'state'}",
        "-s", f"NEWSCRAWL_OUTPUT_DIR={tmp_path / 'out'}",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    refusal = [line for line in result.stderr.splitlines() if line.startswith("scrapy crawl:")]
    assert len(refusal) == 1
    assert str(tmp_path / "state" / "jmn.sqlite3") in refusal[0]
    assert "newscrawl state rebuild jmn" in refusal[0]


@pytest.mark.parametrize(
    "args", [["schema"], ["fixtures", "rerun"]], ids=["schema", "fixtures-rerun"]
)
def test_closed_stdout_ends_quietly(args: list[str]) -> None:
    """``newscrawl schema | head -1``: the reader went away; no traceback, no noise."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write
    with os.fdopen(write_end, "wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "newscrawl.cli", *args],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    assert result.returncode == EXIT_BROKEN_PIPE
    assert result.stderr == ""


def test_every_setting_the_code_reads_is_declared() -> None:
    """``-s NEWSCRAWL_X=...`` is refused for a name newscrawl/settings.py does not declare (a
    typo would otherwise be ignored), so every such setting the code reads is declared."""
    import re

    from newscrawl import settings

    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "newscrawl").rglob("*.py"))
    read = set(re.findall(r"\.get\w*\(\s*\"(NEWSCRAWL_[A-Z_]+)\"", source))
    internal = {"NEWSCRAWL_GLOBAL_DOWNLOAD_DELAY"}  # set by the crawl itself (extensions.py)
    assert read, "the pattern finds the settings the code reads"
    assert read - internal <= set(dir(settings))
