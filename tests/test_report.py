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


def test_the_summary_says_which_links_cost_no_budget_and_why() -> None:
    # A crawl by URL skips links Scrapy would drop anyway and listings that lead nowhere:
    # a job reading the summary learns why pages it expected were not fetched.
    stats = {
        **ENTRY_OK,
        "response_received_count": 5,
        "newscrawl/skipped/url_too_long": 3,
        "newscrawl/skipped/robots_forbidden": 4,
        "newscrawl/skipped/barren_listings": 7,
    }
    text = summary(make(stats))
    assert "3 links longer than URLLENGTH_LIMIT" in text
    assert "4 links robots.txt forbids" in text
    assert "7 listing links of pages that linked nothing new" in text
    assert "links" not in summary(make({**ENTRY_OK, "response_received_count": 5}))


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


def test_a_failed_site_is_the_one_failure_what_follows_from_it_is_not_said_again() -> None:
    """A crawl by URL whose start URL answered 404 fetched no entry point and no request
    answered: the site's failure says why, once."""
    line = "the start URL http://127.0.0.1:8000/gone/ answered HTTP 404"
    stats = {
        "finish_reason": "finished",
        SITE_FAILURE: line,
        "newscrawl/entry_points/total": 1,
        "newscrawl/requests/failed": 1,
    }
    report = build_report(
        stats, site="s", run_id="r", duration=1.0, thresholds=THRESHOLDS, max_error_rate=0.2
    )
    assert report["failures"] == [line]
    without = {k: v for k, v in stats.items() if k != SITE_FAILURE}
    report = build_report(
        without, site="s", run_id="r", duration=1.0, thresholds=THRESHOLDS, max_error_rate=0.2
    )
    assert report["failures"] == [
        "no entry point could be fetched (0 of 1)",
        "every request failed (1)",
    ]


def test_records_without_coverage_counts_have_unknown_coverage_and_no_failures() -> None:
    """Stats that count records but no field of them (not the records writer's): the
    coverage is unknown, not nil, and fails no threshold."""
    stats = {**ENTRY_OK, "response_received_count": 5, "newscrawl/records": 4}
    report = make({**stats, "finish_reason": "shutdown"})
    assert set(report["coverage"].values()) == {None}
    assert report["failures"] == [
        "the run was interrupted before it finished (finish reason shutdown)"
    ]


# -- what cron and a person read ---------------------------------------------------------


def test_exit_codes_are_the_numbers_cron_reads() -> None:
    """docs: exit 0 when the run did its job, 1 when it failed."""
    assert make(ENTRY_OK)["exit_code"] == 0
    assert make({"finish_reason": "start_error"})["exit_code"] == 1


def test_a_run_that_counted_nothing_reports_zeros_not_ones() -> None:
    report = make({}, duration=0.0)
    assert report["failures"] == []
    assert report["pages_fetched"] == 0
    assert report["pages_per_second"] is None  # no time passed: no rate, no ZeroDivisionError
    assert report["requests"] == {"ok": 0, "failed": 0}
    assert report["error_rate"] == 0.0
    assert report["revisions"] == 0
    assert report["retries"] == 0
    assert report["duplicates_skipped"] == {"page": 0, "unchanged": 0}
    assert report["duplicates_flagged"] == 0
    assert report["urls_repaired"] == {"repaired": 0, "dropped": 0}
    assert report["entry_points"] == {"total": 0, "fetched": 0}
    assert report["coverage"] == dict.fromkeys(FIELD_NAMES)
    assert report["articles_failed"] == report["articles_failed_again"] == 0
    fetched = make({"newscrawl/articles/fetched": 3})  # none failed in an earlier run
    assert fetched["articles_failed_again"] == 0
    assert fetched["failures"] == ["3 article pages were fetched but no record was written"]


def test_rates_and_shares_are_rounded_as_documented() -> None:
    stats = {
        "response_received_count": 7,
        "newscrawl/requests/ok": 2,
        "newscrawl/requests/failed": 1,
        "newscrawl/articles/fetched": 3,
        "newscrawl/records": 3,
        "newscrawl/coverage/headline": 3,
        "newscrawl/coverage/body": 2,
    }
    report = make(stats, duration=0.71828, max_error_rate=0.5, thresholds={})
    assert report["duration_seconds"] == 0.718
    assert report["pages_per_second"] == 9.75
    assert report["error_rate"] == 0.3333
    assert report["coverage"]["headline"] == 1.0
    assert report["coverage"]["body"] == 0.6667
    assert report["coverage"]["authors"] == 0.0  # counted, and never found


def test_an_error_rate_at_the_limit_is_not_over_it() -> None:
    stats = {**ENTRY_OK, "newscrawl/requests/ok": 4, "newscrawl/requests/failed": 1}
    report = make(stats, max_error_rate=0.2)
    assert report["error_rate"] == 0.2
    assert report["failures"] == []


@pytest.mark.parametrize(
    "key",
    [SITE_FAILURE, "newscrawl/lease_lost", UNAVAILABLE],
    ids=["site-failure", "lease-lost", "robots-unavailable"],
)
def test_a_reason_a_crawler_part_gives_fails_the_run_alone(key: str) -> None:
    report = make({**ENTRY_OK, key: "the reason, in one line"})
    assert report["exit_code"] == EXIT_FAILED
    assert report["failures"] == ["the reason, in one line"]


def test_a_run_that_wrote_records_has_no_no_new_records_line() -> None:
    stats = {**ENTRY_OK, "newscrawl/articles/fetched": 2, "newscrawl/records": 2}
    assert "no new records" not in summary(make({**stats, **full_coverage(2)}))
    failed = make({**stats, "newscrawl/records": 0})
    assert failed["failures"]
    assert "no new records" not in summary(failed)


def test_the_summary_says_what_was_not_fetched_what_failed_and_where_the_files_are() -> None:
    stats = {
        **ENTRY_OK,
        "newscrawl/articles/fetched": 2,
        "newscrawl/records": 2,
        **full_coverage(2),
        "newscrawl/skipped/before_since": 4,
        "newscrawl/pages/article": 2,
        "newscrawl/pages/home": 1,
        "downloader/response_status_count/404": 3,
        "downloader/exception_type_count/twisted.internet.error.TimeoutError": 1,
        "newscrawl/urls/dropped": 1,
        "newscrawl/output_files": ["out/jmn/2016-03-25/r1-0001.jsonl"],
    }
    report = make(stats)
    report["report_path"] = "out/jmn/2016-03-25/r1.report.json"
    lines = summary(report).splitlines()
    assert "not fetched: 4 entries older than --since" in lines
    assert "pages by type: article 2, home 1" in lines
    assert "errors: status/404 3, exception/TimeoutError 1" in lines
    assert "optional URLs repaired: 0, dropped: 1" in lines
    assert lines[-2:] == [
        "  out/jmn/2016-03-25/r1-0001.jsonl",
        "  report: out/jmn/2016-03-25/r1.report.json",
    ]


# -- writing the report ------------------------------------------------------------------


def test_a_report_is_written_as_readable_indented_json(tmp_path: Any) -> None:
    import json

    from newscrawl.report import write_json_atomic

    path = tmp_path / "jmn" / "2016-03-25" / "r1.report.json"
    data = {"site": "jmn", "failures": ["Лавров: ошибка"]}
    write_json_atomic(path, data)
    assert path.read_text(encoding="utf-8") == (
        json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    )
    assert [p.name for p in path.parent.iterdir()] == ["r1.report.json"]


def test_a_report_that_cannot_be_written_raises_and_leaves_no_temp_file(tmp_path: Any) -> None:
    from newscrawl.report import write_json_atomic

    path = tmp_path / "r1.report.json"
    with pytest.raises(TypeError):
        write_json_atomic(path, {"site": object()})
    assert list(tmp_path.iterdir()) == []


def test_a_run_refused_by_the_lock_writes_a_skipped_report_beside(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import json
    import logging

    from scrapy.utils.test import get_crawler

    from newscrawl.report import run_day, write_skipped_report

    crawler = get_crawler(
        settings_dict={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path), "NEWSCRAWL_RUN_ID": "r7"}
    )
    with caplog.at_level(logging.INFO, logger="newscrawl.report"):
        report = write_skipped_report(crawler, "jmn", "run r6 holds the lock")
    path = tmp_path / "jmn" / run_day(crawler) / "r7.skipped.report.json"
    assert f"Run skipped: run r6 holds the lock (report: {path})" in caplog.text
    assert report["report_path"] == str(path)
    assert json.loads(path.read_text(encoding="utf-8")) == {
        k: v for k, v in report.items() if k != "report_path"
    }
    assert report["status"] == "skipped"
    assert report["exit_code"] == 75
    assert report["reason"] == "run r6 holds the lock"


def test_a_skipped_report_that_cannot_be_written_is_logged_not_raised(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from scrapy.utils.test import get_crawler

    from newscrawl.report import write_skipped_report

    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    crawler = get_crawler(settings_dict={"NEWSCRAWL_OUTPUT_DIR": str(blocker)})
    report = write_skipped_report(crawler, "jmn", "run r6 holds the lock")
    assert report["report_path"] is None
    assert report["exit_code"] == 75
    assert "Cannot write the run report" in caplog.text


def test_the_start_of_a_run_is_taken_once() -> None:
    from datetime import UTC

    from scrapy.utils.test import get_crawler

    from newscrawl.report import run_id_for, run_started_at

    crawler = get_crawler()
    started = run_started_at(crawler)
    assert started.tzinfo is UTC
    assert run_started_at(crawler) is started
    assert run_id_for(crawler) == started.strftime("%Y%m%dT%H%M%SZ")


def closed_run(
    tmp_path: Any, spider: Any, *, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run the RunReport extension of a crawl through its signals; return its report."""
    from scrapy import signals
    from scrapy.utils.test import get_crawler

    from newscrawl.report import RunReport

    crawler = get_crawler(
        settings_dict={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path), "NEWSCRAWL_RUN_ID": "r1"}
        | (settings or {})
    )
    extension = RunReport.from_crawler(crawler)
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    assert extension.report is None  # none until the spider closes or the reactor stops
    crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    assert extension.report is not None
    return extension.report


def test_the_run_is_timed_from_the_spider_opening(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crawler is made before the run lock and the state are taken: that wait is not
    the crawl's, and would lower its pages per second."""
    import time

    from scrapy import signals
    from scrapy.utils.test import get_crawler

    from newscrawl.report import RunReport

    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    crawler = get_crawler(settings_dict={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path)})
    extension = RunReport.from_crawler(crawler)
    spider = SimpleNamespace(name="portal", site="jmn")
    clock[0] = 160.0
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    clock[0] = 170.0
    crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    assert extension.report is not None
    assert extension.report["duration_seconds"] == 10.0


def test_a_run_stopped_before_the_spider_closed_is_reported_with_the_reason_given(
    tmp_path: Any,
) -> None:
    """A second SIGTERM: the report is closed with reason ``shutdown``
    (:meth:`RunReport.reactor_stopped`), and no stats extension has set a finish reason."""
    from scrapy.utils.test import get_crawler

    from newscrawl.report import RunReport

    crawler = get_crawler(settings_dict={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path)})
    extension = RunReport.from_crawler(crawler)
    extension.spider_closed(SimpleNamespace(name="portal", site="jmn"), "shutdown")
    assert extension.report is not None
    assert extension.report["finish_reason"] == "shutdown"
    assert extension.report["exit_code"] == EXIT_FAILED


def test_a_run_whose_reactor_stopped_with_the_spider_open_is_reported_as_interrupted(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second SIGTERM stops the reactor with the spider open (Scrapy's forced stop, under
    `newscrawl crawl`, `scrapy crawl` and scrapyd alike): the reactor's shutdown writes the
    report, with reason ``shutdown`` and the published files the stats hold, no more."""
    import json

    from scrapy import signals
    from scrapy.utils.test import get_crawler

    import newscrawl.report
    from newscrawl.report import RunReport

    # No reactor here: the test calls what the reactor's shutdown trigger calls.
    monkeypatch.setattr(newscrawl.report, "is_reactor_installed", lambda: False)
    crawler = get_crawler(
        settings_dict={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path), "NEWSCRAWL_RUN_ID": "r1"}
    )
    extension = RunReport.from_crawler(crawler)
    extension.reactor_stopped()
    assert extension.report is None  # the spider never opened: no run to report
    spider = SimpleNamespace(name="portal", site="jmn")
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    published = str(tmp_path / "jmn" / "day" / "r1-0001.jsonl")
    crawler.stats.set_value("newscrawl/records", 4)
    crawler.stats.set_value("newscrawl/output_files", [published])
    extension.reactor_stopped()
    report = extension.report
    assert report is not None
    assert report["finish_reason"] == "shutdown"
    assert report["failures"][0].startswith("the run was interrupted")
    assert report["records_written"] == 4
    assert report["output_files"] == [published]
    with open(report["report_path"], encoding="utf-8") as handle:
        assert json.load(handle)["finish_reason"] == "shutdown"


def test_the_reactors_shutdown_leaves_the_report_of_a_closed_spider_as_it_is(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reactor also stops after every run that ended: the report written when the
    spider closed stands."""
    from scrapy import signals
    from scrapy.utils.test import get_crawler

    import newscrawl.report
    from newscrawl.report import RunReport

    monkeypatch.setattr(newscrawl.report, "is_reactor_installed", lambda: False)
    spider = SimpleNamespace(name="portal", site="jmn")
    crawler = get_crawler(settings_dict={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path)})
    extension = RunReport.from_crawler(crawler)
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    report = extension.report
    extension.reactor_stopped()
    assert extension.report is report
    assert report is not None
    assert report["finish_reason"] == "finished"


def test_the_report_extension_waits_for_the_reactors_shutdown_while_the_spider_is_open(
    tmp_path: Any,
) -> None:
    """With a reactor installed, the shutdown trigger is there from the spider's opening to
    its closing, and no longer: a closed run leaves nothing on the reactor."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = f"""
from types import SimpleNamespace
from twisted.internet import reactor
from scrapy import signals
from scrapy.utils.test import get_crawler
from newscrawl.report import RunReport

def shutdown_triggers():
    return [t[0] for t in reactor._eventTriggers.get("shutdown").after]

crawler = get_crawler(settings_dict={{"NEWSCRAWL_OUTPUT_DIR": {str(tmp_path)!r}}})
extension = RunReport.from_crawler(crawler)
spider = SimpleNamespace(name="portal", site="jmn")
assert extension.reactor_stopped not in shutdown_triggers()
crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
assert extension.reactor_stopped in shutdown_triggers()
crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
assert extension.reactor_stopped not in shutdown_triggers()
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr[-3000:]


def test_the_report_extension_writes_the_report_when_the_spider_closes(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import json
    import logging

    with caplog.at_level(logging.INFO, logger="newscrawl.report"):
        report = closed_run(tmp_path, SimpleNamespace(name="generic"))  # a spider with no site
    (path,) = tmp_path.glob("generic/*/r1.report.json")
    assert report["report_path"] == str(path)
    assert report["site"] == "generic"
    assert report["finish_reason"] == "finished"  # from the signal: the stats had none
    assert json.loads(path.read_text(encoding="utf-8"))["status"] == "ok"
    assert "Run summary:\ngeneric run r1: OK" in caplog.text


def test_the_report_extension_logs_one_line_when_the_summary_is_printed_elsewhere(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    spider = SimpleNamespace(name="portal", site="jmn")
    with caplog.at_level(logging.INFO, logger="newscrawl.report"):
        report = closed_run(tmp_path, spider, settings={"NEWSCRAWL_LOG_SUMMARY": False})
    assert "Run summary" not in caplog.text
    assert f"Run r1: ok (report: {report['report_path']})" in caplog.text


def test_a_run_report_that_cannot_be_written_is_logged_and_has_no_path(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    spider = SimpleNamespace(name="portal", site="jmn")
    report = closed_run(tmp_path, spider, settings={"NEWSCRAWL_OUTPUT_DIR": str(blocker)})
    assert report["report_path"] is None
    assert "Cannot write the run report" in caplog.text
    assert "report:" not in summary(report)


# -- counting requests -------------------------------------------------------------------


def test_request_outcomes_count_with_the_crawls_stats() -> None:
    from scrapy.utils.test import get_crawler

    crawler = get_crawler()
    middleware = RequestOutcomes.from_crawler(crawler)
    request = counted_request()
    response = SimpleNamespace(status=200)
    assert middleware.process_response(request, response) is response
    assert crawler.stats.get_value(REQUESTS + "/ok") == 1


@pytest.mark.parametrize(
    ("status", "outcome"), [(200, "ok"), (399, "ok"), (400, "failed"), (503, "failed")]
)
def test_a_response_from_400_on_counts_as_failed(status: int, outcome: str) -> None:
    stats = StatsStandIn()
    RequestOutcomes(stats).process_response(counted_request(), SimpleNamespace(status=status))
    assert stats.values == {f"{REQUESTS}/{outcome}": 1}


def test_robots_txt_and_optional_guesses_are_not_counted() -> None:
    from newscrawl.report import OPTIONAL_META

    stats = StatsStandIn()
    outcomes = RequestOutcomes(stats)
    robots = counted_request("http://127.0.0.1:8000/robots.txt")
    guess = Request("http://127.0.0.1:8000/sitemap.xml", meta={OPTIONAL_META: True})
    for request in (robots, guess):
        outcomes.process_response(request, SimpleNamespace(status=404))
        outcomes.process_exception(request, TimeoutError())
    assert stats.values == {}


def test_a_request_dropped_on_purpose_is_not_a_failed_download() -> None:
    from scrapy.exceptions import IgnoreRequest

    stats = StatsStandIn()
    outcomes = RequestOutcomes(stats)
    outcomes.process_exception(counted_request(), IgnoreRequest("forbidden by robots.txt"))
    assert stats.values == {}
    outcomes.process_exception(counted_request(), TimeoutError())
    assert stats.values == {REQUESTS + "/failed": 1}


def test_response_arrivals_pass_the_response_on() -> None:
    request = counted_request()
    response = SimpleNamespace(status=200)
    assert ResponseArrivals().process_response(request, response) is response
    assert request.meta[ANSWERED_META] == request.url


def test_a_response_counted_ok_then_refused_is_counted_failed_once() -> None:
    from newscrawl.report import count_as_failed

    stats = StatsStandIn()
    request = counted_request()
    RequestOutcomes(stats).process_response(request, SimpleNamespace(status=200))
    count_as_failed(stats, request)
    count_failure(stats, request)  # the spider's errback, later: already counted
    assert stats.values == {REQUESTS + "/ok": 0, REQUESTS + "/failed": 1}
    count_as_failed(stats, None)
    count_as_failed(stats, counted_request("http://127.0.0.1:8000/robots.txt"))
    assert stats.values == {REQUESTS + "/ok": 0, REQUESTS + "/failed": 1}


# -- the progress line -------------------------------------------------------------------


class Terminal:
    """A text stream that says it is a terminal, as stderr does in an interactive shell."""

    def __init__(self) -> None:
        import io

        self.stream = io.StringIO()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


@pytest.mark.parametrize(
    ("tty", "setting", "shown"),
    [(True, True, True), (True, False, False), (False, True, False)],
    ids=["terminal", "turned-off", "not-a-terminal"],
)
def test_the_progress_line_is_shown_only_on_a_terminal_when_on(
    monkeypatch: pytest.MonkeyPatch, tty: bool, setting: bool, shown: bool
) -> None:
    import io
    import sys

    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from newscrawl.report import Progress

    monkeypatch.setattr(sys, "stderr", Terminal() if tty else io.StringIO())
    crawler = get_crawler(
        settings_dict={"NEWSCRAWL_PROGRESS": setting, "NEWSCRAWL_PROGRESS_INTERVAL": 2.5}
    )
    if shown:
        assert Progress.from_crawler(crawler).interval == 2.5
    else:
        with pytest.raises(NotConfigured):
            Progress.from_crawler(crawler)


def test_the_progress_line_before_the_crawl_counts_nothing() -> None:
    from scrapy.utils.test import get_crawler

    from newscrawl.report import Progress

    assert Progress(get_crawler(), interval=1.0).line() == (
        "0 pages (0.0/s), 0 records, 0 rejects, 0 queued"
    )


def test_the_progress_line_follows_the_crawls_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    """It starts drawing when the spider opens, and stops, erased, when it closes; a log
    line before the first draw is printed as it is, and one erase serves one drawn line."""
    import logging
    import sys

    from scrapy import signals
    from scrapy.utils.test import get_crawler

    from newscrawl.report import Progress

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    handler = logging.StreamHandler(terminal)  # type: ignore[arg-type]
    logging.getLogger().addHandler(handler)
    # No LogStats: its spider_opened fails on the stand-in spider, and says so in the log.
    crawler = get_crawler(settings_dict={"LOGSTATS_INTERVAL": 0})
    progress = Progress(crawler, interval=60.0)
    spider = SimpleNamespace(name="jmn")
    log = logging.getLogger("newscrawl.test")
    try:
        crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
        assert progress.loop is not None
        assert progress.loop.running
        assert progress.handlers == [handler]  # only what writes to the terminal
        log.warning("before any draw")
        progress.draw()
        log.warning("first")
        log.warning("second")
        crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
        assert not progress.loop.running
        progress.spider_closed()  # a second close does no harm
    finally:
        logging.getLogger().removeHandler(handler)
    assert terminal.stream.getvalue() == (
        "before any draw\n"
        "\r\x1b[2K0 pages (0.0/s), 0 records, 0 rejects, 0 queued"
        "\r\x1b[2Kfirst\n"
        "second\n"
    )


def test_closing_a_progress_line_never_opened_does_no_harm() -> None:
    from scrapy.utils.test import get_crawler

    from newscrawl.report import Progress

    progress = Progress(get_crawler(), interval=1.0)
    progress.spider_closed()
    assert progress.loop is None


def test_the_progress_rate_counts_from_the_spider_opening(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from scrapy.utils.test import get_crawler

    from newscrawl.report import Progress

    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    crawler = get_crawler()
    progress = Progress(crawler, interval=60.0)
    clock[0] = 160.0  # the run lock and the state are taken before the spider opens
    progress.spider_opened()
    try:
        clock[0] = 170.0
        crawler.stats.set_value("response_received_count", 20)
        assert progress.line().startswith("20 pages (2.0/s)")
    finally:
        progress.spider_closed()


def test_pages_fetched_again_and_unchanged_do_not_fail_the_run() -> None:
    """An incremental run that fetched pages whose text had not changed writes no record,
    and did its job."""
    stats = {**ENTRY_OK, "newscrawl/articles/fetched": 5, "newscrawl/duplicates/unchanged": 5}
    report = make(stats)
    assert report["failures"] == []
    assert report["duplicates_skipped"] == {"page": 0, "unchanged": 5}
    assert "no new records: nothing changed since the last run" in summary(report)


def test_each_stat_lands_in_its_report_field() -> None:
    stats = {
        **ENTRY_OK,
        "newscrawl/entry_points/fetched_by_crawl": 2,
        "newscrawl/articles/fetched": 4,
        "newscrawl/articles/failed": 1,
        "newscrawl/records": 3,
        **full_coverage(3),
        "newscrawl/rejects/truncated": 1,
        "newscrawl/duplicates/page": 2,
        "newscrawl/duplicates/unchanged": 3,
        "newscrawl/duplicates/content": 1,
        "retry/count": 6,
        "newscrawl/extract/timeout": 1,
        "newscrawl/errors/listing_too_big": 2,
        "downloader/response_status_count/301": 4,
        "downloader/response_status_count/404": 1,
        "downloader/exception_type_count/twisted.internet.error.DNSLookupError": 1,
    }
    report = make(stats)
    assert report["entry_points"] == {"total": 3, "fetched": 3, "fetched_by_crawl": 2}
    assert report["articles_failed"] == 1
    assert report["rejects_by_kind"] == {"truncated": 1}
    assert report["duplicates_skipped"] == {"page": 2, "unchanged": 3}
    assert report["duplicates_flagged"] == 1
    assert report["retries"] == 6
    assert report["errors"] == {
        "extract/timeout": 1,
        "listing_too_big": 2,
        "status/404": 1,
        "exception/DNSLookupError": 1,
    }
    assert report["coverage_thresholds"] == THRESHOLDS
    assert ", duplicates skipped: 5" in summary(report)


def test_a_run_too_short_for_a_rate_says_0_pages_per_second() -> None:
    assert "OK in 0.0 s (0 pages/s)" in summary(make(ENTRY_OK, duration=0.0))
