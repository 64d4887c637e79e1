"""Run health end to end: a run that did not do its job says so, with exit code 1.

Every crawl is the real command in a subprocess against the fault server (or against no
server at all) on 127.0.0.1; each test reads the exit code, the summary and the report.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from newscrawl.devtools.devserver import Fault, FixtureSite, serve
from tests.cli_support import newscrawl
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e

JMN = FIXTURES / "jmn"
ENTRY_PATHS = ("/", "/feed/", "/sitemap_index.xml")
"""The jmn profile's entry points (start URL, feed, sitemap index), as paths."""
FAST = [
    "AUTOTHROTTLE_START_DELAY=0",
    "DOWNLOAD_DELAY=0",
    "NEWSCRAWL_RETRY_BACKOFF_BASE=0.01",
    "RETRY_TIMES=1",
]


def crawl(base_url: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``newscrawl crawl jmn`` against ``base_url`` with short delays and retries."""
    settings = [arg for setting in FAST for arg in ("-s", setting)]
    return newscrawl(
        "crawl", "jmn", "--base-url", base_url, "-o", str(out), "--state", str(out / "state"),
        *settings, *extra,
    )  # fmt: skip


def report_of(out: Path) -> dict[str, Any]:
    """Return the only run report under ``out``."""
    (path,) = out.glob("jmn/*/*.report.json")
    return json.loads(path.read_text(encoding="utf-8"))


def serving(faults: Mapping[str, Fault] | None = None) -> Any:
    return serve(FixtureSite(JMN, origins=()), faults=faults or {})


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_failed(result: subprocess.CompletedProcess[str], report: dict[str, Any]) -> None:
    """The run failed as cron sees it: exit 1, status failed, each reason in the summary."""
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert report["status"] == "failed"
    assert report["exit_code"] == 1
    assert report["failures"]
    for failure in report["failures"]:
        assert f"FAILED: {failure}" in result.stdout
    assert "nothing changed" not in result.stdout


def test_portal_down_fails(tmp_path: Path) -> None:
    result = crawl(f"http://127.0.0.1:{free_port()}", tmp_path)
    report = report_of(tmp_path)
    assert_failed(result, report)
    assert "no entry point could be fetched (0 of 3)" in report["failures"]
    # robots.txt is asked for first; unreachable, it keeps the host out of the run (RFC
    # 9309), and the failure says why: nothing else was sent.
    (robots,) = [f for f in report["failures"] if f.startswith("robots.txt of 127.0.0.1:")]
    assert "could not be fetched" in robots
    assert "Connection refused" in robots
    assert report["requests"]["ok"] == 0
    # A server's fault is one line, not Scrapy's traceback of the request that asked.
    assert "Traceback" not in result.stderr, result.stderr


def test_every_entry_point_404_fails(tmp_path: Path) -> None:
    faults = {path: Fault("status", status=404) for path in ENTRY_PATHS}
    with serving(faults) as server:
        result = crawl(server.url, tmp_path)
    report = report_of(tmp_path)
    assert_failed(result, report)
    assert "no entry point could be fetched (0 of 3)" in report["failures"]
    assert report["entry_points"] == {"total": 3, "fetched": 0}


START_ERROR_SCRIPT = """
import sys
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings
from newscrawl.spiders import portal_spider

settings = get_project_settings()
settings.set("NEWSCRAWL_OUTPUT_DIR", sys.argv[1])
settings.set("NEWSCRAWL_STATE_DIR", sys.argv[2])
process = CrawlerProcess(settings)
process.crawl(portal_spider("jmn"), base_url="notaurl")
process.start()
"""


def test_start_error_fails_the_run(tmp_path: Path) -> None:
    """``newscrawl crawl`` and ``scrapy crawl`` refuse a bad base URL as a usage error; a host
    that runs the spider without those checks gets a start error, and the report must not
    call that a success."""
    result = subprocess.run(
        [sys.executable, "-c", START_ERROR_SCRIPT, str(tmp_path), str(tmp_path / "state")],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    report = report_of(tmp_path)
    assert report["finish_reason"] == "start_error", result.stderr[-3000:]
    assert report["status"] == "failed"
    assert report["exit_code"] == 1
    assert any("could not start" in f for f in report["failures"])


def test_failed_listing_pages_count_in_the_error_rate(tmp_path: Path) -> None:
    """A listing page (not an article) that fails counts: with a 1% limit the run fails."""
    faults = {"/category/policy/": Fault("status", status=404)}
    with serving(faults) as server:
        strict = crawl(server.url, tmp_path / "strict", "-s", "NEWSCRAWL_MAX_ERROR_RATE=0.01")
        lenient = crawl(server.url, tmp_path / "lenient")
    report = report_of(tmp_path / "strict")
    assert_failed(strict, report)
    assert report["articles_failed"] == 0
    assert any(f.startswith("error rate ") for f in report["failures"]), report["failures"]
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr[-3000:]
    assert report_of(tmp_path / "lenient")["requests"]["failed"] == 1


def test_nothing_changed_only_when_entry_points_answered(tmp_path: Path) -> None:
    with serving() as server:
        first = crawl(server.url, tmp_path)
        second = crawl(server.url, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    assert "no new records: nothing changed since the last run" in second.stdout
    reports = sorted(tmp_path.glob("jmn/*/*.report.json"))
    data = [json.loads(p.read_text(encoding="utf-8")) for p in reports]
    first_report = next(r for r in data if r["records_written"])
    second_report = next(r for r in data if not r["records_written"])
    # Counted in articles, not links: every article the first run fetched, once; but for
    # the page served cut, which is fetched again (and fails again, as before).
    known = second_report["skipped"]["known"]
    assert second_report["articles_fetched"] == second_report["articles_failed_again"] == 1
    assert known == first_report["articles_fetched"] - 1
    assert f"not fetched: {known} known articles" in second.stdout
    assert second_report["started_at"] <= second_report["finished_at"]
    assert second_report["started_at"].endswith("+00:00")


def test_first_run_with_since_says_what_it_skipped(tmp_path: Path) -> None:
    with serving() as server:
        result = crawl(server.url, tmp_path, "--since", "2d")  # the portal is from 2016
    report = report_of(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    skipped = report["skipped"]["before_since"]
    assert skipped > 0
    assert "nothing changed" not in result.stdout
    assert f"no new records: {skipped} entries were older than --since" in result.stdout


def test_summary_is_printed_once(tmp_path: Path) -> None:
    with serving() as server:
        result = crawl(server.url, tmp_path)
    both = result.stdout + result.stderr
    assert result.returncode == 0, both[-3000:]
    assert both.count("records written:") == 1


def test_a_crawl_stopped_by_force_fails_with_a_report(tmp_path: Path) -> None:
    """A second SIGTERM stops the reactor before the spider closes: exit 1 and a report
    that says the run was interrupted (it was exit 2, the usage-error code, and none)."""
    import signal
    import time

    slow = {path: Fault("slow", delay=2.0) for path in ("/feed/", "/sitemap_index.xml")}
    with serving(slow) as server:
        settings = [arg for setting in FAST for arg in ("-s", setting)]
        process = subprocess.Popen(
            [sys.executable, "-m", "newscrawl.cli", "crawl", "jmn", "--base-url", server.url,
             "-o", str(tmp_path), "--state", str(tmp_path / "state"), *settings],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not server.hits.get("/feed/") and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stdout + stderr
    report = report_of(tmp_path)
    assert report["failures"][0].startswith("the run was interrupted"), report["failures"]
    assert not any(f.startswith("coverage") for f in report["failures"]), report["failures"]


SEED_ARTICLE = "/lavrov-said-what-putin-agreed-with-kerry/"
"""An article of the fixture portal (``fixtures/jmn/seed-article.json``)."""


def published_files(out: Path) -> list[Path]:
    """Every records and rejects file published under ``out`` (no temp file), sorted."""
    return sorted([*out.glob("jmn/*/*.jsonl"), *out.glob("jmn/*/rejects/*.jsonl")])


def open_records_batches(out: Path) -> list[Path]:
    """The temp files of records batches under ``out``: batches opened, not published."""
    return sorted(out.glob("jmn/*/.*.part"))


SCRAPY = str(Path(sys.executable).parent / "scrapy")
"""The ``scrapy`` command of this interpreter's environment (scrapyd runs jobs through it)."""


def jmn_command(
    command: str, base_url: str, out: Path, state: Path, settings: list[str]
) -> list[str]:
    """Return the command line of a crawl of jmn against ``base_url``: ``newscrawl crawl``
    or ``scrapy crawl`` (as scrapyd runs it), each ``NAME=VALUE`` of ``settings`` a ``-s``."""
    options = [arg for setting in settings for arg in ("-s", setting)]
    if command == "newscrawl":
        return [sys.executable, "-m", "newscrawl.cli", "crawl", "jmn", "--base-url", base_url,
                "-o", str(out), "--state", str(state), *options]  # fmt: skip
    return [SCRAPY, "crawl", "jmn", "-a", f"base_url={base_url}",
            "-s", f"NEWSCRAWL_OUTPUT_DIR={out}", "-s", f"NEWSCRAWL_STATE_DIR={state}",
            *options]  # fmt: skip


@pytest.mark.parametrize("command", ["newscrawl", "scrapy"])
def test_a_crawl_stopped_by_force_reports_only_what_it_published(
    tmp_path: Path, command: str
) -> None:
    """A second SIGTERM while a records batch is open: that batch stays a hidden temp file,
    in no published file, so the report neither counts its records as written nor lists it;
    it counts and lists the batches published before, and their fields' coverage.

    ``scrapy crawl`` (and so scrapyd) writes the same report: it had none, as Scrapy stops
    the reactor at the second signal before the spider closes. Its summary goes to the log,
    and its exit code stays Scrapy's (scrapyd keeps none): the report is what a job reads.
    """
    import signal
    import time

    out, log = tmp_path / "out", tmp_path / "crawl.log"
    # One article answers long after the kill: the run is still going when the signals come.
    with serving({SEED_ARTICLE: Fault("slow", delay=60)}) as server, log.open("w") as stderr:
        settings = [*FAST, "NEWSCRAWL_BATCH_RECORDS=4"]
        process = subprocess.Popen(
            jmn_command(command, server.url, out, tmp_path / "state", settings),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )  # fmt: skip
        try:
            # A batch published, and the next one open (its temp file is made by its first
            # record's write).
            deadline = time.monotonic() + 60
            while not (list(out.glob("jmn/*/*.jsonl")) and open_records_batches(out)):
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.02)
            process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            stdout, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    logged = log.read_text()
    assert "forcing unclean shutdown" in logged, logged[-3000:]  # the second signal counted
    if command == "newscrawl":
        assert process.returncode == 1, stdout + logged[-3000:]
    assert list(out.glob("jmn/*/*.report.json")), logged[-3000:]
    report = report_of(out)
    assert report["failures"][0].startswith("the run was interrupted"), report["failures"]
    assert report["finish_reason"] == "shutdown"
    assert open_records_batches(out), "a records batch was open when the run stopped"
    published = published_files(out)
    records = [p for p in published if p.parent.name != "rejects"]
    written = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in records)
    assert written > 0
    assert report["records_written"] == written
    assert sorted(report["output_files"]) == [str(p) for p in published]
    summary = stdout if command == "newscrawl" else logged
    assert f"records written: {written}," in summary
    assert report["coverage"]["url"] == report["coverage"]["headline"] == 1.0
