"""The analysts' recipes of docs/analysts.md, run with pandas and DuckDB on real demo output.

The pandas function and the DuckDB views are taken from the document's code blocks and
executed as they are written, so the document cannot drift from what works.
"""

from __future__ import annotations

import glob
import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from newscrawl.items import FIELD_NAMES
from newscrawl.storage.output import temp_name
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e

DOC = ROOT / "docs" / "analysts.md"
SCHEMA = ROOT / "newscrawl" / "schema" / "article.schema.json"
SEED = "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
RECORDS = "*/*/*.jsonl*"
REJECTS = "*/*/rejects/*.jsonl*"
DATES = ("crawled_at", "published_at", "modified_at")
FIRST_RUN, NEXT_DAY = 15, 3


def demo(out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newscrawl.cli", "demo", "-o", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def finish(process: subprocess.Popen[str]) -> None:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stdout + stderr[-3000:]


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``plain``: the demo, then the next day; ``gz``: the demo with NEWSCRAWL_GZIP=true."""
    plain, gz = tmp_path_factory.mktemp("plain"), tmp_path_factory.mktemp("gz")
    first, gzipped = demo(plain), demo(gz, "-s", "NEWSCRAWL_GZIP=true")
    finish(first)
    next_day = demo(plain, "--overlay", str(FIXTURES / "jmn" / "nextday"))
    finish(gzipped)
    finish(next_day)
    return {"plain": plain, "gz": gz}


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def doc_block(lang: str, containing: str) -> str:
    """The one code block of ``lang`` ("" for none) in the document that has ``containing``."""
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for line in doc_text().splitlines():
        if line.startswith("```") and current is None:
            current = []
            blocks.append((line[3:].strip(), current))
        elif line.startswith("```"):
            current = None
        elif current is not None:
            current.append(line)
    (block,) = [
        "\n".join(lines) + "\n"
        for kind, lines in blocks
        if kind == lang and containing in "\n".join(lines)
    ]
    return block


def raw_records(root: Path) -> list[dict[str, Any]]:
    out = []
    for name in sorted(glob.glob(str(root / RECORDS))):
        opener: Any = gzip.open if name.endswith(".gz") else open
        with opener(name, "rt", encoding="utf-8") as handle:
            out.extend(json.loads(line) for line in handle.read().split("\n") if line)
    return out


@pytest.fixture(scope="module")
def read_records() -> Callable[[str], pd.DataFrame]:
    namespace: dict[str, Any] = {}
    exec(doc_block("python", "def read_records"), namespace)
    return namespace["read_records"]


@pytest.fixture(scope="module")
def frames(
    trees: dict[str, Path], read_records: Callable[[str], pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    return {name: read_records(str(root / RECORDS)) for name, root in trees.items()}


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """A connection with the document's ``articles`` and ``latest`` views over ``root``."""
    con = duckdb.connect()
    sql = doc_block("sql", "CREATE VIEW articles").replace("'out/", f"'{root}/")
    for statement in sql.split(";"):
        if statement.strip():
            con.execute(statement)
    return con


def scalar(con: Any, query: str) -> Any:
    """The single value ``query`` returns (DuckDB 2 relations have no ``fetchone``)."""
    ((value,),) = con.sql(query).fetchall()
    return value


def describe(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    rows = con.sql(f"SELECT column_name, column_type FROM (DESCRIBE {relation})").fetchall()
    return dict(rows)


# -- the files -------------------------------------------------------------------------


def test_documented_globs(trees: dict[str, Path]) -> None:
    assert f"out/{RECORDS}" in doc_text()
    assert f"out/{REJECTS}" in doc_text()
    for name, root in trees.items():
        records = set(glob.glob(str(root / RECORDS)))
        rejects = set(glob.glob(str(root / REJECTS)))
        reports = set(glob.glob(str(root / "*/*/*.report.json")))
        assert records, name
        assert rejects, name
        assert reports, name
        assert not records & rejects
        assert not records & reports
        suffix = ".jsonl.gz" if name == "gz" else ".jsonl"
        assert all(p.endswith(suffix) for p in records | rejects)
        in_duckdb = {
            r[0] for r in duckdb.sql(f"SELECT file FROM glob('{root}/{RECORDS}')").fetchall()
        }
        assert in_duckdb == records


def test_every_line_has_every_key_in_order(trees: dict[str, Path]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["required"] == list(FIELD_NAMES)
    for name, expected in (("plain", FIRST_RUN + NEXT_DAY), ("gz", FIRST_RUN)):
        records = raw_records(trees[name])
        assert len(records) == expected
        for record in records:
            assert list(record) == list(FIELD_NAMES)


def test_duckdb_glob_skips_a_batch_being_written(trees: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "out"
    shutil.copytree(trees["plain"], root)
    published = sorted(root.glob("jmn/*/*.jsonl"))[-1]
    part = published.with_name(temp_name("20991231T000000Z-0001.jsonl"))
    part.write_text(published.read_text(encoding="utf-8") + '{"url":"https://jm', "utf-8")
    query = "SELECT count(*) FROM read_json_auto('{}')"
    assert scalar(duckdb, query.format(root / RECORDS)) == FIRST_RUN + NEXT_DAY


# -- pandas ----------------------------------------------------------------------------


def test_pandas_reads_the_whole_tree(frames: dict[str, pd.DataFrame]) -> None:
    df = frames["plain"]
    assert len(df) == FIRST_RUN + NEXT_DAY
    assert list(df.columns) == list(FIELD_NAMES)


def test_pandas_dtypes_as_documented(frames: dict[str, pd.DataFrame]) -> None:
    df = frames["plain"]
    assert f"```\n{df.dtypes}\n```" in doc_text()
    for column in DATES:
        assert isinstance(df[column].dtype, pd.DatetimeTZDtype), column
        assert str(df[column].dtype.tz) == "UTC"
    assert df["revision"].dtype == "int64"


def test_pandas_dates_parse(trees: dict[str, Path], frames: dict[str, pd.DataFrame]) -> None:
    df = frames["plain"]
    for i, record in enumerate(raw_records(trees["plain"])):
        assert df.at[i, "url"] == record["url"]
        for column in DATES:
            raw = record[column]
            if raw is None:
                assert df.at[i, column] is pd.NaT, (record["url"], column)
            else:
                assert df.at[i, column] == datetime.fromisoformat(raw), (record["url"], column)
    assert df["crawled_at"].notna().all()
    assert df["published_at"].notna().all()
    assert df["modified_at"].isna().any()


def test_pandas_body_is_lists_of_str(frames: dict[str, pd.DataFrame]) -> None:
    for body in frames["plain"]["body"]:
        assert isinstance(body, list)
        assert body
        assert all(isinstance(p, str) for p in body)
    seed = frames["plain"][frames["plain"]["url"] == SEED]
    assert [len(b) for b in seed["body"]] == [12, 12]


def test_pandas_revisions(frames: dict[str, pd.DataFrame]) -> None:
    df = frames["plain"]
    revisions = df.groupby("url")["revision"].apply(sorted)
    assert revisions[SEED] == [1, 2]
    assert all(r == [1] for url, r in revisions.items() if url != SEED)
    latest = df.sort_values("revision").drop_duplicates("url", keep="last")
    assert len(latest) == FIRST_RUN + NEXT_DAY - 1
    assert latest.loc[latest["url"] == SEED, "revision"].tolist() == [2]
    assert df["duplicate_of"].isna().all()


def test_pandas_pitfalls_the_doc_warns_about(trees: dict[str, Path]) -> None:
    first, second = sorted(glob.glob(str(trees["plain"] / RECORDS)))
    guessed = pd.read_json(first, lines=True)
    assert guessed["schema_version"].dtype == "float64"
    assert guessed["duplicate_of"].dtype == "float64"
    assert pd.read_json(second, lines=True)["published_at"].dtype == "datetime64[us, UTC+03:00]"
    strings = pd.read_json(first, lines=True, dtype=False)["published_at"]
    with pytest.raises(ValueError, match="Mixed timezones"):
        pd.to_datetime(strings, format="ISO8601")


def test_pandas_reads_gzip_the_same(
    trees: dict[str, Path],
    frames: dict[str, pd.DataFrame],
    read_records: Callable[[str], pd.DataFrame],
) -> None:
    gz = frames["gz"]
    assert len(gz) == FIRST_RUN
    assert gz.dtypes.equals(frames["plain"].dtypes)
    first_file = sorted(glob.glob(str(trees["plain"] / RECORDS)))[0]
    first_run = read_records(first_file).sort_values("url", ignore_index=True)
    gz = gz.sort_values("url", ignore_index=True)
    for column in ("url", "headline", "body", "fingerprint"):
        assert gz[column].equals(first_run[column]), column


# -- DuckDB ----------------------------------------------------------------------------


def test_duckdb_reads_the_whole_tree(trees: dict[str, Path]) -> None:
    con = connect(trees["plain"])
    assert scalar(con, "SELECT count(*) FROM articles") == FIRST_RUN + NEXT_DAY
    assert list(describe(con, "articles")) == list(FIELD_NAMES)


def test_duckdb_types_as_documented(trees: dict[str, Path]) -> None:
    types = describe(connect(trees["plain"]), "articles")
    block = doc_block("", "crawled_at      TIMESTAMP WITH TIME ZONE")
    documented = dict(line.split(None, 1) for line in block.splitlines())
    assert types == documented
    for column in DATES:
        assert types[column] == "TIMESTAMP WITH TIME ZONE"


def test_duckdb_auto_detection(trees: dict[str, Path]) -> None:
    relation = f"SELECT * FROM read_json_auto('{trees['plain'] / RECORDS}')"
    con = duckdb.connect()
    assert scalar(con, f"SELECT count(*) FROM ({relation})") == FIRST_RUN + NEXT_DAY
    auto = describe(con, relation)
    declared = describe(connect(trees["plain"]), "articles")
    assert auto == declared | {"duplicate_of": '"NULL"'}


def test_duckdb_dates_match_the_records(trees: dict[str, Path]) -> None:
    con = connect(trees["plain"])
    rows = con.sql(
        "SELECT url, revision, epoch(crawled_at), epoch(published_at), epoch(modified_at) "
        "FROM articles"
    ).fetchall()
    got = {(url, rev): tuple(dates) for url, rev, *dates in rows}
    for record in raw_records(trees["plain"]):
        expected = tuple(
            None if record[c] is None else datetime.fromisoformat(record[c]).timestamp()
            for c in DATES
        )
        assert got[record["url"], record["revision"]] == expected


def test_duckdb_unnest_body_of_the_seed(trees: dict[str, Path]) -> None:
    con = connect(trees["plain"])
    query = doc_block("sql", "unnest(body)").split(";")[0]
    assert SEED in query
    assert con.sql(query).fetchall() == [(1, 12), (2, 12)]


def test_duckdb_unnest_structs(trees: dict[str, Path]) -> None:
    con = connect(trees["plain"])
    crumbs = con.sql(
        "SELECT b.name, b.url FROM articles, unnest(breadcrumb) AS t(b) "
        f"WHERE url = '{SEED}' AND revision = 1"
    ).fetchall()
    assert crumbs[-1] == ("Lavrov said what Putin agreed with Kerry", None)
    images = "SELECT count(*) FROM articles, unnest(images) AS t(i) WHERE i.url IS NOT NULL"
    assert scalar(con, images) == scalar(con, "SELECT sum(len(images)) FROM articles") > 0
    assert scalar(con, "SELECT count(*) FROM articles, unnest(teasers) AS t(x)") > 0


def test_duckdb_latest_revision(trees: dict[str, Path]) -> None:
    con = connect(trees["plain"])
    assert scalar(con, "SELECT count(*) FROM latest") == FIRST_RUN + NEXT_DAY - 1
    assert con.sql(f"SELECT revision FROM latest WHERE url = '{SEED}'").fetchall() == [(2,)]
    query = "SELECT count(*) FROM latest WHERE duplicate_of IS NULL"
    assert query in doc_text()
    assert scalar(con, query) == FIRST_RUN + NEXT_DAY - 1


def test_duckdb_reads_gzip_the_same(trees: dict[str, Path]) -> None:
    con = connect(trees["gz"])
    assert scalar(con, "SELECT count(*) FROM articles") == FIRST_RUN
    assert describe(con, "articles") == describe(connect(trees["plain"]), "articles")
    auto = f"SELECT count(*) FROM read_json_auto('{trees['gz'] / RECORDS}')"
    assert scalar(duckdb, auto) == FIRST_RUN
