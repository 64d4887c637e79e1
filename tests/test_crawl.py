"""End to end: the real spider crawls the fixture portal served on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from newscrawl.devtools.fixtures import FixtureCase, find_cases
from newscrawl.schema import record_errors
from tests.cli_support import newscrawl
from tests.conftest import FIXTURES

pytestmark = pytest.mark.e2e

COMPARED = (
    "headline",
    "headline_alt",
    "body",
    "photo_credit",
    "section",
    "tags",
    "authors",
    "language",
    "fingerprint",
    "published_at",
)


def linked(case: FixtureCase) -> bool:
    """Tell whether the fixture site links the case's page (``"linked": false`` in its meta
    marks the cases that only extraction reads)."""
    return bool(case.spec()["meta"].get("linked", True))


@pytest.fixture(scope="module", params=[0, 1], ids=["in-process", "one-worker"])
def demo(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, Any]:
    """The demo crawl's output, with extraction in the crawl process and in a worker process."""
    out = tmp_path_factory.mktemp("demo")
    processes = f"NEWSCRAWL_EXTRACT_PROCESSES={request.param}"
    command = ["demo", "-o", str(out), "-s", processes, "--log-level", "INFO"]
    result = newscrawl(*command, timeout=300)
    records = [json.loads(line) for p in sorted(out.glob("jmn/*/*.jsonl")) for line in p.open()]
    rejects = [
        json.loads(line) for p in sorted(out.glob("jmn/*/rejects/*.jsonl")) for line in p.open()
    ]
    return {
        "result": result,
        "records": records,
        "rejects": rejects,
        "out": out,
        "processes": request.param,
    }


def test_extraction_ran_where_asked(demo: dict[str, Any]) -> None:
    workers = re.findall(r"Started extraction worker (\d+)", demo["result"].stderr)
    assert len(workers) == demo["processes"]
    for pid in workers:  # the crawl waited for its workers to exit before it ended
        assert not Path(f"/proc/{pid}").exists()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_demo_succeeds_and_summarises(demo: dict[str, Any]) -> None:
    result = demo["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "records written: 15" in result.stdout
    assert "rejects: 1" in result.stdout
    assert str(demo["out"]) in result.stdout


def test_every_article_once(demo: dict[str, Any]) -> None:
    cases = [
        c for c in find_cases(FIXTURES, []) if c.site == "jmn" and c.spec()["record"] and linked(c)
    ]
    valid = {path_of(c.url) for c in cases if not c.spec().get("invalid_fields")}
    got = [path_of(r["url"]) for r in demo["records"]]
    assert sorted(got) == sorted(valid)


def test_records_match_fixture_expectations(demo: dict[str, Any]) -> None:
    by_path = {path_of(r["url"]): r for r in demo["records"]}
    for case in find_cases(FIXTURES, []):
        if case.site != "jmn" or not linked(case):  # the demo crawls the jmn site
            continue
        expected = case.spec()["record"]
        if (
            not expected
            or case.spec().get("invalid_fields")
            or case.name == "relative-visible-date"
        ):
            continue
        record = by_path[path_of(case.url)]
        for field in COMPARED:
            assert record[field] == expected[field], f"{case.id}::{field}"


def test_records_validate(demo: dict[str, Any]) -> None:
    for record in demo["records"]:
        assert record_errors(record) == []


def test_seed_record(demo: dict[str, Any]) -> None:
    (seed,) = [r for r in demo["records"] if "lavrov-said-what-putin" in r["url"]]
    assert len(seed["body"]) == 12
    assert [c["name"] for c in seed["breadcrumb"]][:2] == ["Home", "Policy"]
    assert seed["breadcrumb"][-1] == {"name": seed["headline"], "url": None}
    assert seed["headline_alt"]["lang"] == "ru"
    assert seed["photo_credit"] == "Sergei Guneyev/RIA Novosti"
    assert seed["language"] == "en"
    assert seed["teasers"][0]["title"] == "The UN’s ‘unofficial man’"


def test_truncated_page_is_rejected_with_reason(demo: dict[str, Any]) -> None:
    """Cut before its body: a truncated reject, fetched again next run (not an invalid
    record, which the state would remember as final)."""
    (reject,) = demo["rejects"]
    assert "peskov" in reject["url"]
    assert reject["kind"] == "truncated"
    assert [e["field"] for e in reject["errors"]] == [None]
    assert "closing </body> or </html>" in reject["errors"][0]["message"]


def test_output_is_utf8_json_lines(demo: dict[str, Any]) -> None:
    (path,) = demo["out"].glob("jmn/*/*.jsonl")
    text = path.read_bytes().decode("utf-8")
    assert "Лавров" in text
    assert all(line.startswith("{") for line in text.splitlines())
    assert not list(Path(demo["out"]).rglob(".*.part"))
