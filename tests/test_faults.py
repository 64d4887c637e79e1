"""End to end: the crawl survives a faulty server.

Each test serves the jmn fixture portal on 127.0.0.1 with one fault on the seed article's
path, crawls it with the real ``newscrawl crawl`` command in a subprocess, and checks the
exit code, that every other article was written, and what the rejects file says about
the faulty page. Delays, timeouts and backoff are set small so the file runs in well
under a minute.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import threading
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from newscrawl import settings as project_settings
from newscrawl.cli import main
from newscrawl.devtools.devserver import LOOP_PREFIX, Fault, RunningServer
from newscrawl.devtools.fixtures import FixtureCase, find_cases
from tests import page_timeout
from tests.cli_support import CLI, jmn_crawl_args
from tests.conftest import FIXTURES, ROOT, jmn_portal

pytestmark = pytest.mark.e2e

FAST = [
    "AUTOTHROTTLE_START_DELAY=0",
    "DOWNLOAD_DELAY=0",
    "NEWSCRAWL_RETRY_BACKOFF_BASE=0.05",
]
RETRY_TIMES = project_settings.RETRY_TIMES


def linked(case: FixtureCase) -> bool:
    """Tell whether the fixture site links the case's page (``"linked": false`` in its meta
    marks the cases that only extraction reads)."""
    return bool(case.spec()["meta"].get("linked", True))


def _path(url: str) -> str:
    return urlsplit(url).path


def _article_paths() -> tuple[str, set[str], set[str]]:
    """Return the seed article's path, the paths that give records, and the cut ones."""
    cases = [
        c for c in find_cases(FIXTURES, []) if c.site == "jmn" and c.spec()["record"] and linked(c)
    ]
    seed = next(c for c in cases if c.name == "seed-article")
    valid = {_path(c.url) for c in cases if not c.spec().get("invalid_fields")}
    cut = {_path(c.url) for c in cases if c.spec().get("invalid_fields")}
    return _path(seed.url), valid, cut


PAGE, ARTICLES, CUT = _article_paths()
"""The faulty page (``/lavrov-said-what-putin-agreed-with-kerry/``), every page that gives a
record when all goes well, and the pages always served cut before their body
(``truncated-before-body``: a record that fails the schema, which a crawl rejects as
``truncated``)."""


@dataclass
class Crawl:
    """What one faulty crawl left behind."""

    result: subprocess.CompletedProcess[str]
    elapsed: float
    server: RunningServer
    records: list[dict[str, Any]]
    rejects: list[dict[str, Any]]

    @property
    def log(self) -> str:
        """The end of the crawl's output, for assertion messages."""
        return (self.result.stdout + self.result.stderr)[-4000:]

    def record_paths(self) -> list[str]:
        return sorted(_path(r["url"]) for r in self.records)

    def rejects_by_path(self) -> dict[str, dict[str, Any]]:
        return {_path(r["url"]): r for r in self.rejects}

    def stat(self, key: str) -> float | None:
        """Return a value from Scrapy's final stats dump, or None if it is not there."""
        match = re.search(rf"'{re.escape(key)}': ([0-9.]+)", self.result.stderr)
        return float(match.group(1)) if match else None

    def assert_ran_through(self, *, expected_records: set[str]) -> None:
        """The command succeeded and wrote a record for each expected page, once."""
        assert self.result.returncode == 0, self.log
        assert self.record_paths() == sorted(expected_records), self.log
        for path in CUT:
            assert self.rejects_by_path()[path]["kind"] == "truncated", self.log

    def fault_reject(self) -> dict[str, Any]:
        """Return the only reject besides the always-cut fixture pages."""
        others = [r for r in self.rejects if _path(r["url"]) not in CUT]
        assert len(others) == 1, (others, self.log)
        return others[0]


def _read_jsonl(paths: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for p in sorted(paths) for line in p.read_text().splitlines()]


def faulty_server(faults: Mapping[str, Fault]) -> AbstractContextManager[RunningServer]:
    return jmn_portal(faults)


def run_crawl(server: RunningServer, out: Path, *settings: str) -> Crawl:
    """Crawl ``server`` with the real command into ``out`` and collect what it wrote."""
    command = [*CLI, *jmn_crawl_args(server.url, out, out / "state", [*FAST, *settings])]
    started = time.monotonic()
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    elapsed = time.monotonic() - started
    return Crawl(
        result=result,
        elapsed=elapsed,
        server=server,
        records=_read_jsonl(list(out.glob("jmn/*/*.jsonl"))),
        rejects=_read_jsonl(list(out.glob("jmn/*/rejects/*.jsonl"))),
    )


def crawl_with(out: Path, faults: Mapping[str, Fault], *settings: str) -> Crawl:
    with faulty_server(faults) as server:
        return run_crawl(server, out, *settings)


class HitClock:
    """Notes when the server saw each request of one path, by watching ``server.hits``.

    The dev server counts requests but keeps no times, so a thread polls the counter;
    each time is late by at most one poll interval.
    """

    POLL = 0.005

    def __init__(self, server: RunningServer, path: str) -> None:
        self.server = server
        self.path = path
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            hits = self.server.hits[self.path]
            while len(self.times) < hits:
                self.times.append(time.monotonic())
            time.sleep(self.POLL)

    def __enter__(self) -> HitClock:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


# -- the faults ------------------------------------------------------------------------


def test_500_twice_then_ok_is_retried_into_a_record(tmp_path: Path) -> None:
    crawl = crawl_with(tmp_path, {PAGE: Fault("status", times=2)})
    crawl.assert_ran_through(expected_records=ARTICLES)
    assert crawl.server.hits[PAGE] == 3
    assert PAGE not in crawl.rejects_by_path()
    assert crawl.stat("retry/count") == 2


def test_429_with_retry_after_waits_then_records(tmp_path: Path) -> None:
    fault = Fault("retry_after", times=1, retry_after=1)
    with faulty_server({PAGE: fault}) as server, HitClock(server, PAGE) as clock:
        crawl = run_crawl(server, tmp_path)
    crawl.assert_ran_through(expected_records=ARTICLES)
    assert server.hits[PAGE] == 2
    first, second = clock.times
    assert second - first >= 1.0 - HitClock.POLL, clock.times
    assert (crawl.stat("newscrawl/retry/wait_seconds") or 0) >= 1.0
    assert crawl.stat("newscrawl/retry/slot_delay_raised") == 1


def test_503_with_retry_after_beyond_the_max_is_given_up_at_once(tmp_path: Path) -> None:
    fault = Fault("retry_after", status=503, retry_after=100_000)
    crawl = crawl_with(tmp_path, {PAGE: fault})  # NEWSCRAWL_RETRY_AFTER_MAX is 300 s
    crawl.assert_ran_through(expected_records=ARTICLES - {PAGE})
    assert crawl.server.hits[PAGE] == 1
    assert crawl.elapsed < 30
    reject = crawl.fault_reject()
    assert _path(reject["url"]) == PAGE
    assert reject["kind"] == "http-error"
    assert reject["record"] is None
    assert crawl.stat("newscrawl/retry/retry_after_too_long") == 1
    assert crawl.stat("retry/count") is None


SLOW_NEIGHBOUR = next(p for p in sorted(ARTICLES) if p != PAGE)
"""Another article, slower to answer than the faulty page's timeout."""


def test_slow_page_times_out_is_retried_then_rejected(tmp_path: Path) -> None:
    # The faulty page alone has a 1 s timeout (a crawl-wide one would time out any page the
    # loaded machine is slow on), and it answers long after every try has given up (answered
    # after 3 s, a crawl stalled past its deadline could still read it). A neighbour slower
    # than 1 s shows that the short timeout is the faulty page's alone.
    faults = {PAGE: Fault("slow", delay=60), SLOW_NEIGHBOUR: Fault("slow", delay=1.5)}
    crawl = crawl_with(tmp_path, faults, *page_timeout.crawl_settings(PAGE, 1.0))
    crawl.assert_ran_through(expected_records=ARTICLES - {PAGE})
    assert crawl.server.hits[SLOW_NEIGHBOUR] == 1
    assert crawl.server.hits[PAGE] == 1 + RETRY_TIMES
    reject = crawl.fault_reject()
    assert _path(reject["url"]) == PAGE
    assert reject["kind"] == "download-error"
    assert "took longer than 1.0 seconds" in reject["errors"][0]["message"]
    assert crawl.stat("retry/reason_count/scrapy.exceptions.DownloadTimeoutError") == RETRY_TIMES


def test_redirect_loop_is_rejected_and_the_run_goes_on(tmp_path: Path) -> None:
    crawl = crawl_with(tmp_path, {PAGE: Fault("redirect_loop")})
    crawl.assert_ran_through(expected_records=ARTICLES - {PAGE})
    assert crawl.server.hits[LOOP_PREFIX + PAGE] >= 1
    reject = crawl.fault_reject()
    assert _path(reject["url"]) == PAGE
    assert reject["kind"] == "download-error"
    assert "redirect loop" in reject["errors"][0]["message"]
    assert crawl.stat("newscrawl/requests/failed") == 1


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault("redirect_loop"), "download-error"),
        (Fault("bad_gzip"), "download-error"),
        (Fault("redirect", location=""), "http-error"),
    ],
    ids=["redirect-loop", "gzip-that-is-not", "302-without-location"],
)
def test_a_response_that_cannot_be_used_counts_in_the_error_rate(
    tmp_path: Path, fault: Fault, kind: str
) -> None:
    """Middlewares turn these responses into errors after the request was counted (or
    before it could be): they failed as a 500 does, so a job's error rate must see them."""
    crawl = crawl_with(tmp_path, {PAGE: fault}, "NEWSCRAWL_MAX_ERROR_RATE=0.01")
    assert crawl.result.returncode == 1, crawl.log
    assert crawl.record_paths() == sorted(ARTICLES - {PAGE}), crawl.log
    assert crawl.fault_reject()["kind"] == kind
    assert crawl.stat("newscrawl/requests/failed") == 1
    assert "FAILED: error rate" in crawl.result.stdout + crawl.result.stderr, crawl.log


def test_truncated_body_is_retried_then_recorded(tmp_path: Path) -> None:
    crawl = crawl_with(tmp_path, {PAGE: Fault("truncated", times=1)})
    crawl.assert_ran_through(expected_records=ARTICLES)
    assert crawl.server.hits[PAGE] == 2
    assert crawl.stat("retry/reason_count/scrapy.exceptions.ResponseDataLossError") == 1


def test_always_truncated_body_is_rejected_not_a_crash(tmp_path: Path) -> None:
    crawl = crawl_with(tmp_path, {PAGE: Fault("truncated")})
    crawl.assert_ran_through(expected_records=ARTICLES - {PAGE})
    assert crawl.server.hits[PAGE] == 1 + RETRY_TIMES
    reject = crawl.fault_reject()
    assert _path(reject["url"]) == PAGE
    assert reject["kind"] == "download-error"
    assert "Traceback" not in crawl.result.stderr


def test_page_over_download_maxsize_is_rejected(tmp_path: Path) -> None:
    fault = Fault("oversize", size=200_000)
    crawl = crawl_with(tmp_path, {PAGE: fault}, "DOWNLOAD_MAXSIZE=100000")
    crawl.assert_ran_through(expected_records=ARTICLES - {PAGE})
    assert crawl.server.hits[PAGE] == 1  # a size limit is not worth retrying
    reject = crawl.fault_reject()
    assert _path(reject["url"]) == PAGE
    assert reject["kind"] == "download-error"
    assert "larger than download max size (100000)" in reject["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content_type", "gives_record"),
    [("application/octet-stream", True), ("", True), ("html", True), ("text/plain", False)],
    ids=["octet-stream", "no-content-type", "not-a-mime-type", "text-plain"],
)
def test_the_crawl_and_extract_url_take_the_same_responses_as_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content_type: str, gives_record: bool
) -> None:
    """One rule (``newscrawl.extraction.mediatype``): an HTML Content-Type, or none or
    ``application/octet-stream`` on a body that starts as HTML does. Before it, the crawl
    extracted whatever came and ``extract URL`` refused all but an HTML Content-Type."""
    with faulty_server({PAGE: Fault("content_type", content_type=content_type)}) as server:
        crawl = run_crawl(server, tmp_path)
        real_url = "https://jmn.info" + PAGE
        code = main(["extract", "--timeout", "5", "--url", real_url, server.url_for(PAGE)])
    out, err = capsys.readouterr()
    if gives_record:
        crawl.assert_ran_through(expected_records=ARTICLES)
        assert code == 0, err
        record = next(r for r in crawl.records if _path(r["url"]) == PAGE)
        assert json.loads(out)["headline"] == record["headline"]
        return
    crawl.assert_ran_through(expected_records=ARTICLES - {PAGE})
    reject = crawl.fault_reject()
    why = "not an HTML page (Content-Type: text/plain)"
    assert (reject["kind"], reject["errors"][0]["message"]) == ("not-article", why)
    assert (code, out) == (2, "")
    assert why in err


# -- robots.txt, read as RFC 9309 says --------------------------------------------------


def crawl_behind(tmp_path: Path, robots: str, *settings: str) -> Crawl:
    """Crawl the fixture portal with ``robots`` as its robots.txt."""
    with jmn_portal(robots=robots) as server:
        return run_crawl(server, tmp_path, *settings)


def test_a_crawl_delay_spaces_every_request_despite_autothrottle(tmp_path: Path) -> None:
    """robots.txt asks for 5 s between requests; NEWSCRAWL_MAX_CRAWL_DELAY keeps it to 0.3 s.
    AutoThrottle (on, starting at 0 s) would otherwise let the 25 pages go in a second or
    two, and without the cap they would take two minutes."""
    robots = "User-agent: *\nCrawl-delay: 5\n"
    crawl = crawl_behind(tmp_path, robots, "NEWSCRAWL_MAX_CRAWL_DELAY=0.3", "LOG_LEVEL=INFO")
    crawl.assert_ran_through(expected_records=ARTICLES)
    assert crawl.stat("newscrawl/robots/crawl_delay/127.0.0.1") == 0.3
    starts = [when for when, path in crawl.server.arrivals if path != "/robots.txt"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(starts) >= len(ARTICLES)
    # A request leaves the crawl 0.3 s after the last; the server sees it a little later
    # or sooner (the connection, a busy machine), never a third of the delay sooner.
    assert min(gaps) >= 0.2, gaps
    assert "asks for a Crawl-delay of 5.0 s: keeping to 0.3 s" in crawl.result.stderr


def test_every_request_waits_for_a_robots_txt_that_disallows_everything(tmp_path: Path) -> None:
    """The home page, the feed and the sitemap index are all asked for before robots.txt
    has come back; none of them may go out (Scrapy 2.19 let all but the first through)."""
    crawl = crawl_behind(tmp_path, "User-agent: *\nDisallow: /\n")
    assert dict(crawl.server.hits) == {"/robots.txt": 1}, crawl.log
    assert crawl.result.returncode == 1, crawl.log
    assert "FAILED: no entry point could be fetched (0 of 3)" in crawl.result.stdout


def test_a_robots_txt_answering_5xx_keeps_the_whole_host_out_of_the_run(tmp_path: Path) -> None:
    crawl = crawl_with(tmp_path, {"/robots.txt": Fault("status", status=503)})
    assert set(crawl.server.hits) == {"/robots.txt"}, crawl.log
    assert crawl.server.hits["/robots.txt"] == 1 + RETRY_TIMES
    assert crawl.result.returncode == 1, crawl.log
    assert "robots.txt answered HTTP 503: nothing is fetched from its host (RFC 9309)" in (
        crawl.result.stdout
    )
    assert crawl.records == crawl.rejects == []


def test_a_robots_txt_that_never_answers_keeps_the_host_out_of_the_run(tmp_path: Path) -> None:
    robots = "/robots.txt"
    crawl = crawl_with(
        tmp_path, {robots: Fault("slow", delay=60)}, *page_timeout.crawl_settings(robots, 1.0)
    )
    assert set(crawl.server.hits) == {robots}, crawl.log
    assert crawl.result.returncode == 1, crawl.log
    assert "robots.txt of 127.0.0.1:" in crawl.result.stdout
    assert "could not be fetched" in crawl.result.stdout
    assert crawl.records == []
