"""One writer per output folder (issue 11, finding 7).

Two runs writing the same ``-o`` with different ``--state`` folders once produced 1,025
records for 600 articles, and the second deleted the first's open ``.part`` file. Now the
output folder has its own lock, and a writer's temp file is never removed while it is held.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from newscrawl.devtools.devserver import FixtureSite, RunningServer, serve
from newscrawl.extensions import OutputLock
from newscrawl.spiders import portal_spider
from newscrawl.storage.output import BatchWriter, recover, temp_name
from newscrawl.storage.runlock import EXIT_ALREADY_RUNNING, AlreadyRunning, RunLock
from tests.cli_support import CLI, jmn_crawl_args
from tests.conftest import FIXTURES, ROOT

VALID_ARTICLES = 15  # fixtures/jmn article cases whose record is valid


def test_recover_leaves_a_live_writers_temp_file(tmp_path: Path) -> None:
    writer = BatchWriter(tmp_path, "jmn", "live", max_records=10, day="2026-01-02")
    writer.write({"url": "https://jmn.info/a/"})
    temp = tmp_path / "jmn" / "2026-01-02" / temp_name("live-0001.jsonl")
    assert temp.is_file()
    stale = temp.with_name(temp_name("dead-0001.jsonl"))
    stale.write_bytes(b'{"url": "half')
    assert recover(tmp_path, "jmn") == [stale]
    assert temp.is_file()
    [published] = writer.close()
    assert published.path.read_text(encoding="utf-8") == '{"url":"https://jmn.info/a/"}\n'


def test_output_lock_is_per_site_folder_and_names_it(tmp_path: Path) -> None:
    with RunLock.for_output(tmp_path, "jmn") as held:
        assert held.path == tmp_path / "jmn" / ".newscrawl.lock"
        with pytest.raises(
            AlreadyRunning, match=r"'jmn' is in progress, writing to .*/jmn \(pid \d+"
        ):
            RunLock.for_output(tmp_path, "jmn").acquire()
        with RunLock.for_output(tmp_path, "other"):
            pass
    with pytest.raises(ValueError, match="plain file-name part"):
        RunLock.for_output(tmp_path, "../jmn")


# -- two real runs -------------------------------------------------------------------------


@pytest.fixture
def portal() -> Iterator[RunningServer]:
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server:
        yield server


def crawl_command(server: RunningServer, out: Path, state: Path, *extra: str) -> list[str]:
    settings = ["AUTOTHROTTLE_START_DELAY=0", "LOG_LEVEL=WARNING"]
    return [*CLI, *jmn_crawl_args(server.url, out, state, settings, *extra)]


def record_urls(out: Path) -> list[str]:
    return [
        json.loads(line)["url"]
        for path in sorted(out.glob("jmn/*/*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


@pytest.mark.e2e
def test_second_run_into_the_same_output_exits_75_whatever_its_state(
    tmp_path: Path, portal: RunningServer
) -> None:
    out = tmp_path / "out"
    slow = ("-s", "DOWNLOAD_DELAY=0.5", "-s", "CONCURRENT_REQUESTS=1")
    first = subprocess.Popen(
        crawl_command(portal, out, tmp_path / "state-a", *slow, "-s", "NEWSCRAWL_BATCH_RECORDS=2"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        # Wait until the first run has a batch open (a temp file) or published.
        while not list(out.glob("jmn/*/.*.part")) and not list(out.glob("jmn/*/*.jsonl")):
            assert time.monotonic() < deadline, "the first run wrote nothing"
            assert first.poll() is None, first.communicate()
            time.sleep(0.05)
        second = subprocess.run(
            crawl_command(portal, out, tmp_path / "state-b"),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode == EXIT_ALREADY_RUNNING, second.stderr[-2000:]
        assert f"writing to {out / 'jmn'}" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        _stdout, stderr = first.communicate(timeout=180)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, stderr[-3000:]
    urls = record_urls(out)
    assert len(urls) == len(set(urls)) == VALID_ARTICLES
    reports = sorted(p.name for p in out.glob("jmn/*/*.report.json"))
    # The refused run wrote only its "skipped" report, beside the first run's own.
    assert len(reports) == 2, reports
    assert sum(name.endswith(".skipped.report.json") for name in reports) == 1
    # Afterwards the other state folder may write there: it learns what is published first.
    third = subprocess.run(
        crawl_command(portal, out, tmp_path / "state-b"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert third.returncode == 0, third.stderr[-2000:]
    urls = record_urls(out)
    assert len(urls) == len(set(urls)) == VALID_ARTICLES


def test_output_lock_extension_holds_the_site_folder_until_released(tmp_path: Path) -> None:
    def crawler(output: Path) -> Crawler:
        built = get_crawler(portal_spider("jmn"), {"NEWSCRAWL_OUTPUT_DIR": str(output)})
        built.spider = built._create_spider()
        return built

    first = OutputLock.from_crawler(crawler(tmp_path))
    assert (tmp_path / "jmn" / ".newscrawl.lock").is_file()
    with pytest.raises(AlreadyRunning, match="writing to"):
        OutputLock.from_crawler(crawler(tmp_path))
    first.release()
    OutputLock.from_crawler(crawler(tmp_path)).release()
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be", encoding="utf-8")
    assert OutputLock.from_crawler(crawler(blocked)).lock is None  # the writer reports it
