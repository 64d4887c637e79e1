"""The run report: counts, coverage, the verdict and the exit code cron sees."""

from __future__ import annotations

from typing import Any

import pytest

from newscrawl.items import FIELD_NAMES
from newscrawl.report import EXIT_FAILED, EXIT_OK, build_report, summary

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


def test_nothing_new_is_not_a_failure() -> None:
    report = make({"response_received_count": 5, "newscrawl/skipped/known": 15})
    assert report["exit_code"] == EXIT_OK
    assert "no new records" in summary(report)


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
                "newscrawl/articles/failed": 3,
                "newscrawl/records": 7,
                **full_coverage(7),
            },
            "error rate 30.0% is over the limit 20.0%",
        ),
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
    ids=["no-records", "error-rate", "coverage", "output"],
)
def test_failures_set_exit_code(stats: dict[str, Any], reason: str) -> None:
    report = make(stats)
    assert report["status"] == "failed"
    assert report["exit_code"] == EXIT_FAILED
    assert any(reason in failure for failure in report["failures"]), report["failures"]
    assert f"FAILED: {report['failures'][0]}" in summary(report)


def test_progress_line_counts_pages_records_and_rejects() -> None:
    from scrapy.utils.test import get_crawler

    from newscrawl.report import Progress

    crawler = get_crawler()
    crawler.stats.set_value("response_received_count", 12)
    crawler.stats.set_value("newscrawl/records", 9)
    crawler.stats.set_value("newscrawl/rejects/invalid", 2)
    crawler.stats.set_value("newscrawl/rejects/http-error", 1)
    line = Progress(crawler, interval=1.0).line()
    assert line.startswith("12 pages (")
    assert "9 records, 3 rejects" in line
