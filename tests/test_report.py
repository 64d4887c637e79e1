"""The run report: counts, coverage, the verdict and the exit code cron sees."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request

from newscrawl.items import FIELD_NAMES
from newscrawl.report import (
    ANSWERED_META,
    EXIT_FAILED,
    EXIT_OK,
    REQUESTS,
    SITE_FAILURE,
    RequestOutcomes,
    ResponseArrivals,
    build_report,
    count_failure,
    summary,
)
from newscrawl.robotstxt import UNAVAILABLE

THRESHOLDS = {"headline": 1.0, "body": 1.0, "published_at": 0.95}


def make(stats: dict[str, Any], **options: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "site": "jmn",
        "run_id": "r1",
        "duration": 10.0,
        "thresholds": THRESHOLDS,
        "max_error_rate": 0.2,
        **options,
    }
    return build_report(stats, **kwargs)


def full_coverage(records: int) -> dict[str, int]:
    return {f"newscrawl/coverage/{name}": records for name in FIELD_NAMES}


def test_healthy_run() -> None:
    stats = {
        "response_received_count": 30,
        "newscrawl/articles/fetched": 20,
        "newscrawl/records": 20,
        "newscrawl/revisions": 2,
        "newscrawl/rejects/invalid": 1,
        "newscrawl/duplicates/page": 3,
        "newscrawl/skipped/known": 40,
        "retry/count": 4,
        "downloader/response_status_count/200": 30,
        "downloader/response_status_count/503": 4,
        **full_coverage(20),
    }
    report = make(stats)
    assert report["status"] == "ok"
    assert report["exit_code"] == EXIT_OK
    assert report["pages_per_second"] == 3.0
    assert report["rejects"] == 1
    assert report["errors"] == {"status/503": 4}
    assert report["coverage"]["headline"] == 1.0
    assert list(report["coverage"]) == list(FIELD_NAMES)
    text = summary(report)
    assert "OK" in text
    assert "records written: 20" in text
    assert "revisions: 2" in text


def test_url_repairs_are_reported_and_summarised() -> None:
    stats = {"newscrawl/urls/repaired": 3, "newscrawl/urls/dropped": 1, **full_coverage(0)}
    report = make(stats)
    assert report["urls_repaired"] == {"repaired": 3, "dropped": 1}
    assert "optional URLs repaired: 3, dropped: 1" in summary(report)
    quiet = make(full_coverage(0))
    assert quiet["urls_repaired"] == {"repaired": 0, "dropped": 0}
    assert "URLs repaired" not in summary(quiet)


ENTRY_OK = {
    "newscrawl/entry_points/total": 3,
    "newscrawl/entry_points/fetched": 3,
    "newscrawl/requests/ok": 5,
}


def test_nothing_new_is_not_a_failure() -> None:
    report = make({**ENTRY_OK, "response_received_count": 5, "newscrawl/skipped/known": 15})
    assert report["exit_code"] == EXIT_OK
    text = summary(report)
    assert "no new records: nothing changed since the last run" in text
    assert "not fetched: 15 known articles" in text


def test_the_summary_says_how_many_pages_the_page_budget_left_out() -> None:
    stats = {**ENTRY_OK, "response_received_count": 5, "newscrawl/skipped/max_pages": 99974}
    assert "not fetched: 99974 pages over --max-pages" in summary(make(stats))


def test_pages_that_fail_again_alone_do_not_fail_the_run() -> None:
    """An incremental run that fetched only a page the portal always serves cut."""
    stats = {
        **ENTRY_OK,
        "newscrawl/skipped/known": 15,
        "newscrawl/articles/fetched": 1,
        "newscrawl/rejects/truncated": 1,
        "newscrawl/articles/failed_again": 1,
    }
    report = make(stats)
    assert report["failures"] == []
    assert report["exit_code"] == EXIT_OK
    assert report["articles_failed_again"] == 1
    text = summary(report)
    assert "failed again: 1 article pages that failed in an earlier run" in text
    alone = make({**stats, "newscrawl/skipped/known": 0})
    assert alone["exit_code"] == EXIT_OK
    assert "the only articles fetched failed before and failed again" in summary(alone)


def test_fresh_pages_without_a_record_fail_the_run_beside_pages_that_fail_again() -> None:
    stats = {
        **ENTRY_OK,
        "newscrawl/articles/fetched": 3,
        "newscrawl/rejects/truncated": 3,
        "newscrawl/articles/failed_again": 1,
    }
    report = make(stats)
    assert report["exit_code"] == EXIT_FAILED
    assert report["failures"] == [
        "2 article pages were fetched but no record was written "
        "(1 more failed again, as in an earlier run)"
    ]
    assert make({**stats, "newscrawl/articles/failed_again": 0})["failures"] == [
        "3 article pages were fetched but no record was written"
    ]


def test_pages_deferred_by_the_failed_page_backoff_are_counted_and_never_fail_the_run() -> None:
    """A run whose only due article waits out its failed-page backoff: counted, said, not failed."""
    stats = {**ENTRY_OK, "newscrawl/skipped/deferred": 2}
    report = make(stats)
    assert report["exit_code"] == EXIT_OK
    assert report["articles_deferred"] == 2
    text = summary(report)
    assert "not fetched: 2 articles that failed in runs in a row (backoff" in text
    assert "no new records: the only articles due failed in runs in a row" in text
    beside = summary(make({**stats, "newscrawl/skipped/known": 15}))
    assert "not fetched: 15 known articles (unchanged since the last run), 2 articles" in beside
    assert "no new records: nothing changed since the last run" in beside
    assert make(ENTRY_OK)["articles_deferred"] == 0


def test_entries_older_than_since_are_said_not_called_unchanged() -> None:
    report = make({**ENTRY_OK, "newscrawl/skipped/before_since": 37})
    assert report["exit_code"] == EXIT_OK
    text = summary(report)
    assert "nothing changed" not in text
    assert "no new records: 37 entries were older than --since" in text


def test_nothing_listed_is_not_called_unchanged() -> None:
    text = summary(make(ENTRY_OK))
    assert "nothing changed" not in text
    assert "no new records: the entry points listed no articles" in text


def test_requests_leased_to_other_workers_are_said_not_called_nothing_listed() -> None:
    """A worker of a distributed crawl that ended with nothing to do while two others held
    requests under a running lease (``frontier.RedisScheduler.note_leased_elsewhere``): not
    its failure, but not a portal without articles either."""
    from newscrawl.report import LEASED_ELSEWHERE, LEASED_TO

    report = make({**ENTRY_OK, LEASED_ELSEWHERE: 7, LEASED_TO: ["w1", "w3"]})
    assert report["exit_code"] == EXIT_OK
    assert report["leased_elsewhere"] == {"requests": 7, "workers": ["w1", "w3"]}
    text = summary(report)
    assert "listed no articles" not in text
    assert (
        "no new records: 7 requests are still leased to other workers (w1, w3); if one died, "
        "its requests go back to the queue when its lease expires, for a live worker or the "
        "next run"
    ) in text
    assert make(ENTRY_OK)["leased_elsewhere"] == {"requests": 0, "workers": []}


def test_duplicate_of_is_not_listed_as_missing_coverage() -> None:
    stats = {**ENTRY_OK, "newscrawl/records": 4, **full_coverage(4)}
    stats["newscrawl/coverage/duplicate_of"] = 0
    stats["newscrawl/coverage/photo_credit"] = 2
    text = summary(make(stats))
    assert "coverage under 100%: photo_credit 50%" in text
    assert "duplicate_of" not in text


def test_report_carries_start_and_end_times() -> None:
    report = make(
        ENTRY_OK, started_at="2016-03-25T09:00:00+00:00", finished_at="2016-03-25T09:01:00+00:00"
    )
    assert report["started_at"] == "2016-03-25T09:00:00+00:00"
    assert report["finished_at"] == "2016-03-25T09:01:00+00:00"


@pytest.mark.parametrize(
    ("stats", "reason"),
    [
        (
            {"newscrawl/articles/fetched": 10, "newscrawl/rejects/invalid": 10},
            "no record was written",
        ),
        (
            {
                "newscrawl/articles/fetched": 7,
                "newscrawl/requests/ok": 7,
                "newscrawl/requests/failed": 3,
                "newscrawl/records": 7,
                **full_coverage(7),
            },
            "error rate 30.0% (3 of 10 requests failed) is over the limit 20.0%",
        ),
        (
            # Failed listings count as much as failed articles.
            {
                "newscrawl/entry_points/total": 3,
                "newscrawl/entry_points/fetched": 1,
                "newscrawl/requests/ok": 4,
                "newscrawl/requests/failed": 2,
                "newscrawl/articles/fetched": 2,
                "newscrawl/records": 2,
                **full_coverage(2),
            },
            "error rate 33.3% (2 of 6 requests failed)",
        ),
        (
            {"newscrawl/entry_points/total": 3, "newscrawl/requests/failed": 3},
            "no entry point could be fetched (0 of 3)",
        ),
        (
            {"newscrawl/entry_points/total": 3, "newscrawl/requests/failed": 3},
            "every request failed (3)",
        ),
        ({"finish_reason": "start_error"}, "the crawl could not start"),
        ({**ENTRY_OK, "finish_reason": "shutdown"}, "interrupted"),
        (
            {
                "newscrawl/articles/fetched": 10,
                "newscrawl/records": 10,
                **full_coverage(10),
                "newscrawl/coverage/published_at": 9,
            },
            "coverage of published_at 90.0% is under its threshold 95.0%",
        ),
        (
            {"newscrawl/records": 1, **full_coverage(1), "newscrawl/output_error": "disk full"},
            "output stopped: disk full",
        ),
    ],
    ids=[
        "no-records",
        "error-rate",
        "error-rate-listings",
        "no-entry-point",
        "all-failed",
        "start-error",
        "shutdown",
        "coverage",
        "output",
    ],
)
def test_failures_set_exit_code(stats: dict[str, Any], reason: str) -> None:
    report = make(stats)
    assert report["status"] == "failed"
    assert report["exit_code"] == EXIT_FAILED
    assert any(reason in failure for failure in report["failures"]), report["failures"]
    text = summary(report)
    assert f"FAILED: {report['failures'][0]}" in text
    assert "nothing changed" not in text


def test_a_field_whose_coverage_drops_names_itself_and_the_profile_check() -> None:
    stats = {
        "newscrawl/articles/fetched": 10,
        "newscrawl/records": 10,
        **full_coverage(10),
        "newscrawl/coverage/body": 4,
    }
    (failure,) = make(stats)["failures"]
    assert failure.startswith("coverage of body 40.0% is under its threshold 100.0%")
    assert "newscrawl profile check jmn --pages DIR" in failure


def test_progress_line_counts_pages_records_and_rejects() -> None:
    """Records count as the writer takes them, not only once their batch is published."""
    from scrapy.utils.test import get_crawler

    from newscrawl.report import Progress

    crawler = get_crawler()
    crawler.stats.set_value("response_received_count", 12)
    crawler.stats.set_value("item_scraped_count", 9)
    crawler.stats.set_value("newscrawl/records", 5)  # in published files
    crawler.stats.set_value("newscrawl/rejects/invalid", 2)
    crawler.stats.set_value("newscrawl/rejects/http-error", 1)
    line = Progress(crawler, interval=1.0).line()
    assert line.startswith("12 pages (")
    assert "9 records, 3 rejects" in line


def test_log_lines_never_share_the_progress_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import logging
    import sys

    from scrapy.utils.test import get_crawler

    from newscrawl.report import Progress

    terminal = io.StringIO()
    monkeypatch.setattr(sys, "stderr", terminal)
    handler = logging.StreamHandler(terminal)
    logging.getLogger().addHandler(handler)
    try:
        progress = Progress(get_crawler(), interval=60.0)
        progress.spider_opened()
        progress.draw()
        logging.getLogger("newscrawl.test").warning("a warning")
        progress.draw()
        progress.spider_closed()
    finally:
        logging.getLogger().removeHandler(handler)
    text = terminal.getvalue()
    assert "\r\x1b[2Ka warning\n" in text  # the progress line was erased first
    assert "queueda warning" not in text
    assert text.endswith("\r\x1b[2K")  # erased at the end, before the summary
    assert handler.filters == []


def test_a_run_keeps_to_the_day_it_started(tmp_path: Any) -> None:
    """A run that crosses midnight: its report and its batches go to the start day."""
    import json
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler

    from newscrawl.pipelines import RecordsWriterPipeline, RejectsWriterPipeline
    from newscrawl.report import RunReport, run_day

    crawler = get_crawler(settings_dict={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path)})
    crawler._newscrawl_started_at = datetime(2016, 3, 24, 23, 59, 59, tzinfo=UTC)  # type: ignore[attr-defined]
    extension = RunReport(crawler)
    extension.spider_closed(SimpleNamespace(site="jmn", name="jmn"), "finished")
    (path,) = tmp_path.glob("jmn/*/*.report.json")
    assert path.parent.name == "2016-03-24" == run_day(crawler)
    assert path.name == "20160324T235959Z.report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["started_at"] == "2016-03-24T23:59:59+00:00"
    assert report["finished_at"] > report["started_at"]
    assert RecordsWriterPipeline(crawler).day == "2016-03-24"
    assert RejectsWriterPipeline(crawler).day == "2016-03-24"


# -- failures the outcome middleware never sees -----------------------------------------


class StatsStandIn:
    """The part of Scrapy's stats collector the counting uses."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def counted_request(url: str = "http://127.0.0.1:8000/a/") -> Request:
    return Request(url)


def test_an_error_over_a_response_that_came_counts_as_failed() -> None:
    """A redirect loop or a decompression bomb: the response came, then a middleware
    raised over it before RequestOutcomes could count it."""
    stats = StatsStandIn()
    request = counted_request()
    ResponseArrivals().process_response(request, object())
    count_failure(stats, request)
    count_failure(stats, request)  # the same request is counted once
    assert stats.values == {REQUESTS + "/failed": 1}


def test_an_http_error_counted_ok_moves_to_failed() -> None:
    """A 302 with no Location reaches the spider as an HTTP error, counted ok (below 400)."""
    stats = StatsStandIn()
    request = counted_request()
    RequestOutcomes(stats).process_response(request, SimpleNamespace(status=302))
    count_failure(stats, request)
    assert stats.values == {REQUESTS + "/ok": 0, REQUESTS + "/failed": 1}


def test_a_request_dropped_before_it_went_out_is_not_counted() -> None:
    """robots.txt forbade it: no response came, nothing failed. A redirect's next hop
    carries its first hop's mark, which names the first hop's URL, not its own."""
    stats = StatsStandIn()
    count_failure(stats, counted_request())
    hop = counted_request("http://127.0.0.1:8000/b/")
    hop.meta[ANSWERED_META] = "http://127.0.0.1:8000/a/"
    count_failure(stats, hop)
    assert stats.values == {}


def test_a_deliberate_refusal_and_a_counted_failure_are_not_counted_again() -> None:
    stats = StatsStandIn()
    request = counted_request()
    ResponseArrivals().process_response(request, object())
    count_failure(stats, request, deliberate=True)  # an off-site redirect refused
    RequestOutcomes(stats).process_exception(request, TimeoutError())
    count_failure(stats, request)
    assert stats.values == {REQUESTS + "/failed": 1}


def test_a_robots_txt_that_failed_the_site_is_one_failure_line() -> None:
    """A crawl by URL fails its site on the start URL's robots.txt: the same line is the
    site's failure and the host's robots.txt failure, said once."""
    line = "robots.txt of 127.0.0.1:8000 could not be fetched (timeout): nothing is fetched"
    stats = {"finish_reason": "finished", SITE_FAILURE: line, UNAVAILABLE: line}
    report = build_report(
        stats, site="s", run_id="r", duration=1.0, thresholds=THRESHOLDS, max_error_rate=0.2
    )
    assert report["failures"].count(line) == 1


def test_records_without_coverage_counts_have_unknown_coverage_and_no_failures() -> None:
    """Stats that count records but no field of them (not the records writer's): the
    coverage is unknown, not nil, and fails no threshold."""
    stats = {**ENTRY_OK, "response_received_count": 5, "newscrawl/records": 4}
    report = make({**stats, "finish_reason": "shutdown"})
    assert set(report["coverage"].values()) == {None}
    assert report["failures"] == [
        "the run was interrupted before it finished (finish reason shutdown)"
    ]
