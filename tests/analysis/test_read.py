"""Typed reads of an output tree: read_records, duckdb_view, articles.sql, export, stats."""

from __future__ import annotations

import csv
import gzip
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

import newscrawl
from newscrawl.analysis.columns import (
    Column,
    column_from_schema,
    duckdb_columns_sql,
    not_null_columns,
    record_columns,
    supported_versions,
)
from newscrawl.analysis.records import articles_sql, parse_until
from newscrawl.items import FIELD_NAMES, SCHEMA_VERSION
from newscrawl.schema import article_schema
from tests.analysis.helpers import record, write_batch
from tests.cli_support import newscrawl as run

DATES = ("crawled_at", "published_at", "modified_at")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Two sites over two days; article-1 changes (revision 2), a copy on day two, gzip too.

    The second day's run started before midnight, so its folder is 2016-03-25 although one
    record was crawled on the 26th.
    """
    root = tmp_path / "out"
    write_batch(
        root,
        "jmn",
        "2016-03-24",
        "run1-0001",
        [
            record(1, crawled_at="2016-03-24T09:00:00+00:00"),
            record(2, crawled_at="2016-03-24T10:00:00+00:00", modified_at=None),
        ],
    )
    write_batch(
        root,
        "jmn",
        "2016-03-25",
        "run2-0001",
        [
            record(1, revision=2, crawled_at="2016-03-25T23:59:00+00:00", section="World"),
            record(3, crawled_at="2016-03-26T00:01:00+00:00", duplicate_of=record(2)["url"]),
        ],
        gz=True,
    )
    write_batch(
        root,
        "other",
        "2016-03-25",
        "run3-0001",
        [record(4, site="other", language=None, headline_alt=None, images=[])],
    )
    rejects = root / "jmn" / "2016-03-25" / "rejects"
    rejects.mkdir()
    rejects.joinpath("run2-0001.jsonl").write_text(
        '{"url":"https://jmn.info/x/","errors":[],"record":{},"kind":"invalid"}\n'
        '{"url":"https://jmn.info/y/","errors":[],"record":{},"kind":"invalid"}\n'
        '{"url":"https://jmn.info/z/","errors":[],"record":{},"kind":"extract"}\n',
        "utf-8",
    )
    report = {"run_id": "run2", "status": "ok", "started_at": "2016-03-25T23:58:00+00:00"}
    root.joinpath("jmn", "2016-03-25", "run2.report.json").write_text(json.dumps(report), "utf-8")
    return root


def raw(root: Path) -> list[dict[str, Any]]:
    items = []
    for path in sorted(root.glob("*/*/*.jsonl*")):
        opener: Any = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            items.extend(json.loads(line) for line in handle)
    return items


# -- columns -----------------------------------------------------------------------------


def test_columns_are_the_schema_keys_in_order() -> None:
    assert list(record_columns()) == list(FIELD_NAMES) == article_schema()["required"]


def test_column_types_come_from_the_schema() -> None:
    types = {name: c.duckdb_type() for name, c in record_columns().items()}
    assert types["duplicate_of"] == "VARCHAR"
    assert types["schema_version"] == "VARCHAR"
    assert all(types[d] == "TIMESTAMPTZ" for d in DATES)
    assert types["revision"] == "BIGINT"
    assert types["breadcrumb"] == 'STRUCT("name" VARCHAR, "url" VARCHAR)[]'
    assert types["headline_alt"] == 'STRUCT("text" VARCHAR, "lang" VARCHAR)'
    assert types["body"] == "VARCHAR[]"


@pytest.mark.parametrize(
    "node",
    [{"type": "number"}, {"anyOf": [{"type": "string"}, {"type": "integer"}]}],
)
def test_a_field_the_reader_cannot_type_fails_loudly(node: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="cannot type"):
        column_from_schema(node, {})


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        (Column("string"), None, None),
        (Column("string"), 3, "expected a string, not an integer"),
        (Column("integer"), True, "expected an integer, not a boolean"),
        (Column("timestamp"), "2016-03-24", "'2016-03-24' has no UTC offset"),
        (Column("timestamp"), "yesterday", "'yesterday' is not an ISO 8601 date-time"),
        (Column("list", item=Column("string")), ["a", 1], "[1]: expected a string, not an integer"),
        (
            Column("struct", fields=(("a", Column("string")),)),
            {"a": []},
            ".a: expected a string, not a list",
        ),
        (
            Column("list", item=Column("struct", fields=(("url", Column("string")),))),
            [{"url": "https://jmn.info/a.jpg"}, {"url": 5}],
            "[1].url: expected a string, not an integer",
        ),
        (Column("integer"), 2**63, "9223372036854775808 is out of range (a 64-bit integer)"),
        (
            Column("integer"),
            "-9223372036854775809",
            "-9223372036854775809 is out of range (a 64-bit integer)",
        ),
        (
            Column("integer"),
            "9" * 5000,
            "99999999999999999999... (5000 digits) is out of range (a 64-bit integer)",
        ),
        (Column("integer"), "\u00b2", "expected an integer, not a string"),
    ],
)
def test_value_checks(column: Column, value: Any, problem: str | None) -> None:
    assert column.problem(value) == problem


def test_the_sql_file_declares_the_schema_types() -> None:
    assert duckdb_columns_sql() in articles_sql()
    assert "getvariable('newscrawl_out')" in articles_sql()


# -- pandas ------------------------------------------------------------------------------


def test_read_records_types(tree: Path) -> None:
    df = newscrawl.read_records(tree)
    assert list(df.columns) == list(FIELD_NAMES)
    assert len(df) == 5
    for name, column in record_columns().items():
        expected = {
            "string": "str",
            "timestamp": "datetime64[us, UTC]",
            "integer": "int64",
            "boolean": "boolean",
        }
        assert str(df[name].dtype) == expected.get(column.kind, "object"), name
    by_url = {r["url"] + str(r["revision"]): r for r in raw(tree)}
    for row in df.itertuples():
        source = by_url[row.url + str(row.revision)]
        for name in DATES:
            value = getattr(row, name)
            if source[name] is None:
                assert value is pd.NaT
            else:
                assert value == datetime.fromisoformat(source[name])
        assert row.body == source["body"]
        assert isinstance(row.body, list)
        assert row.breadcrumb == source["breadcrumb"]
        assert row.headline_alt == source["headline_alt"]
        assert row.images == source["images"]
    assert df["duplicate_of"].isna().sum() == 4


def test_duplicate_of_all_null_is_still_text(tree: Path) -> None:
    df = newscrawl.read_records(tree, site="other")
    assert df["duplicate_of"].isna().all()
    assert str(df["duplicate_of"].dtype) == "str"
    assert str(df["schema_version"].dtype) == "str"
    assert df["schema_version"].tolist() == [SCHEMA_VERSION]


def test_read_records_latest(tree: Path) -> None:
    df = newscrawl.read_records(tree, latest=True)
    assert sorted(df["url"]) == sorted({r["url"] for r in raw(tree)})
    (one,) = df.loc[df["url"] == record(1)["url"]].itertuples()
    assert (one.revision, one.section) == (2, "World")


def test_latest_breaks_a_tie_by_the_later_crawl(tmp_path: Path) -> None:
    early = record(1, revision=2, crawled_at="2016-03-25T08:00:00+00:00", headline="Early")
    late = record(1, revision=2, crawled_at="2016-03-26T08:00:00+00:00", headline="Late")
    write_batch(tmp_path, "jmn", "2016-03-26", "b-0001", [late])
    write_batch(tmp_path, "jmn", "2016-03-25", "a-0001", [early])
    df = newscrawl.read_records(tmp_path, latest=True)
    assert df["headline"].tolist() == ["Late"]
    target = tmp_path.parent / "latest.jsonl"
    assert run("export", str(tmp_path), "-o", str(target), "--latest").returncode == 0
    assert [json.loads(x)["headline"] for x in target.read_text("utf-8").splitlines()] == ["Late"]


def test_filters(tree: Path) -> None:
    assert set(newscrawl.read_records(tree, site="other")["site"]) == {"other"}
    # since a day: the record crawled after midnight is in the previous day's folder
    since = newscrawl.read_records(tree, since="2016-03-26")
    assert since["url"].tolist() == [record(3)["url"]]
    until = newscrawl.read_records(tree, until=date(2016, 3, 24))
    assert until["url"].tolist() == [record(1)["url"], record(2)["url"]]
    moment = datetime(2016, 3, 25, 23, 59, tzinfo=UTC)
    assert len(newscrawl.read_records(tree, since=moment, until=moment)) == 1
    assert parse_until("2016-03-24") == datetime(2016, 3, 25, tzinfo=UTC)


def test_import_newscrawl_stays_cheap() -> None:
    code = (
        "import sys, newscrawl; "
        "assert 'pandas' not in sys.modules and 'duckdb' not in sys.modules; "
        "assert callable(newscrawl.read_records) and callable(newscrawl.duckdb_view); "
        "print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr
    with pytest.raises(AttributeError):
        newscrawl.no_such_name  # noqa: B018


def test_a_crawl_imports_no_analysis() -> None:
    code = (
        "import sys; import newscrawl.cli, newscrawl.commands.crawl, newscrawl.pipelines, "
        "newscrawl.spiders, newscrawl.report; newscrawl.cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith(('duckdb', 'newscrawl.analysis'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "[]", done.stderr


# -- DuckDB ------------------------------------------------------------------------------


def test_duckdb_view(tree: Path) -> None:
    con = duckdb.connect()
    newscrawl.duckdb_view(con, tree)
    assert con.sql("SELECT count(*) FROM articles").fetchall() == [(5,)]
    assert con.sql("SELECT count(*) FROM articles_latest").fetchall() == [(4,)]
    types = dict(con.sql("SELECT column_name, column_type FROM (DESCRIBE articles)").fetchall())
    assert types["duplicate_of"] == "VARCHAR"
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    latest = f"SELECT revision FROM articles_latest WHERE url = '{record(1)['url']}'"
    assert con.sql(latest).fetchall() == [(2,)]


def test_the_sql_file_refuses_what_the_readers_refuse() -> None:
    """articles.sql checks the same not-null keys and versions as the line check."""
    sql = articles_sql()
    checked = re.findall(r"(\w+) IS NOT NULL", sql)
    assert checked == [n for n in not_null_columns() if n != "schema_version"]
    versions = ", ".join(f"'{v}'" for v in supported_versions())
    assert f"schema_version IN ({versions})" in sql


def test_the_views_read_the_files_export_reads(tree: Path) -> None:
    day = tree / "jmn" / "2016-03-24"
    (day / "copy.jsonl.bak").write_bytes((day / "run1-0001.jsonl").read_bytes())
    write_batch(tree, "jmn", "not-a-day", "run9-0001", [record(20)])
    write_batch(tree, ".hidden", "2016-03-24", "run9-0001", [record(21)])
    write_batch(tree, "jmn", "2016-03-24", "notes", [record(22)])
    con = duckdb.connect()
    newscrawl.duckdb_view(con, tree)
    assert con.sql("SELECT count(*) FROM articles").fetchall() == [(5,)]
    assert len(newscrawl.read_records(tree)) == 5


@pytest.mark.parametrize(
    "bad",
    [
        ({"foo": 1}, "a record of schema_version null, not 1.0 or 1.1"),
        (None, "a record of schema_version null, not 1.0 or 1.1"),
        (record(9, schema_version="2.0"), "a record of schema_version 2.0, not 1.0 or 1.1"),
        (record(9, url=None), "a record with a null or missing required field"),
        (record(9, revision=None), "a record with a null or missing required field"),
    ],
    ids=["no-record-keys", "null", "newer-version", "null-url", "null-revision"],
)
def test_the_views_fail_naming_the_file_on_a_line_export_skips(
    tree: Path, bad: tuple[Any, str]
) -> None:
    item, why = bad
    path = write_batch(tree, "jmn", "2016-03-25", "run9-0001", [record(8)])
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(item) + "\n")
    con = duckdb.connect()
    newscrawl.duckdb_view(con, tree)
    with pytest.raises(duckdb.Error, match=f"newscrawl: {re.escape(str(path))}: {re.escape(why)}"):
        con.sql("SELECT count(*) FROM articles_latest").fetchall()


def test_sniffing_would_have_typed_duplicate_of_as_null(tmp_path: Path) -> None:
    """Why the columns are declared: DuckDB samples the first 32 files only."""
    for n in range(33):
        copy = {"duplicate_of": record(0)["url"]} if n == 32 else {}
        write_batch(tmp_path, "jmn", "2016-03-25", f"run{n:02d}-0001", [record(n, **copy)])
    sniffed = duckdb.sql(f"DESCRIBE SELECT * FROM read_json_auto('{tmp_path}/*/*/*.jsonl*')")
    assert {r[0]: r[1] for r in sniffed.fetchall()}["duplicate_of"] == '"NULL"'
    df = newscrawl.read_records(tmp_path)
    assert df["duplicate_of"].notna().sum() == 1


# -- export ------------------------------------------------------------------------------


def test_export_parquet_is_typed(tree: Path) -> None:
    target = tree.parent / "all.parquet"
    done = run("export", str(tree), "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert "5 records from 3 files" in done.stderr
    types = dict(
        duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE '{target}')").fetchall()
    )
    assert list(types) == list(FIELD_NAMES)
    assert types["duplicate_of"] == "VARCHAR"
    assert types["crawled_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["images"] == "STRUCT(url VARCHAR, caption VARCHAR, credit VARCHAR)[]"
    assert not list(tree.parent.glob(".*.part"))


def test_export_csv_and_jsonl(tree: Path) -> None:
    target = tree.parent / "latest.csv.gz"
    assert run("export", str(tree), "-o", str(target), "--latest").returncode == 0
    with gzip.open(target, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4
    seed = next(r for r in rows if r["url"] == record(1)["url"])
    assert seed["revision"] == "2"
    assert seed["published_at"] == "2016-03-24T12:07:31+00:00"
    assert json.loads(seed["body"]) == record(1)["body"]
    target = tree.parent / "all.out"
    done = run("export", str(tree), "-o", str(target), "--format", "jsonl", "--site", "jmn")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in target.read_text("utf-8").splitlines()]
    assert len(lines) == 4
    assert lines[0]["breadcrumb"] == record(1)["breadcrumb"]
    assert lines[0]["crawled_at"] == "2016-03-24T09:00:00+00:00"


# -- stats -------------------------------------------------------------------------------


def test_stats_json(tree: Path) -> None:
    done = run("stats", str(tree), "--json")
    assert done.returncode == 0, done.stderr
    days = {(d["site"], d["day"]): d for d in json.loads(done.stdout)["days"]}
    assert sorted(days) == [("jmn", "2016-03-24"), ("jmn", "2016-03-25"), ("other", "2016-03-25")]
    second = days["jmn", "2016-03-25"]
    assert (second["records"], second["revisions"]) == (2, 1)
    assert second["rejects"] == {"extract": 1, "invalid": 2}
    assert second["coverage"]["duplicate_of"] == 0.5
    assert second["coverage"]["body"] == 1.0
    assert second["sections"] == [["Policy", 1], ["World", 1]]
    assert second["runs"] == [
        {"run_id": "run2", "status": "ok", "started_at": "2016-03-25T23:58:00+00:00"}
    ]
    other = days["other", "2016-03-25"]
    assert other["languages"] == {"null": 1.0}
    assert other["coverage"]["images"] == 0.0
    assert days["jmn", "2016-03-24"]["coverage"]["modified_at"] == 0.5


def test_stats_text(tree: Path) -> None:
    done = run("stats", str(tree), "--site", "jmn")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "jmn 2016-03-24: 2 records, 0 revisions, 0 rejects"
    assert "jmn 2016-03-25: 2 records, 1 revisions, 3 rejects (extract 1, invalid 2)" in done.stdout
    assert "  run run2: ok, started 2016-03-25T23:58:00+00:00" in done.stdout
    assert "other" not in done.stdout


def test_what_pandas_guesses_alone(tree: Path) -> None:
    """docs/analysts.md: guessing makes schema_version and an all-null duplicate_of floats."""
    (path,) = tree.glob("other/*/*.jsonl")
    guessed = pd.read_json(path, lines=True)
    assert guessed["schema_version"].dtype == "float64"
    assert guessed["duplicate_of"].dtype == "float64"


def test_records_of_schema_1_0_read_with_free_access_null(tmp_path: Path) -> None:
    older = {k: v for k, v in record(1).items() if k != "free_access"}
    older["schema_version"] = "1.0"
    write_batch(tmp_path, "jmn", "2016-03-24", "run1-0001", [older])
    write_batch(tmp_path, "jmn", "2016-03-25", "run2-0001", [record(2, free_access=False)])
    df = newscrawl.read_records(tmp_path).sort_values("url")
    assert df["schema_version"].tolist() == ["1.0", SCHEMA_VERSION]
    assert df["free_access"].isna().tolist() == [True, False]
    assert bool(df["free_access"].iloc[1]) is False
    con = duckdb.connect()
    newscrawl.duckdb_view(con, tmp_path)
    rows = con.sql("SELECT schema_version, free_access FROM articles ORDER BY url").fetchall()
    assert rows == [("1.0", None), (SCHEMA_VERSION, False)]
