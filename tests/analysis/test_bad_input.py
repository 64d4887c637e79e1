"""Bad input in an output tree: each case named by file and line, skipped, or fatal (--strict)."""

from __future__ import annotations

import codecs
import fcntl
import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

import newscrawl
from newscrawl.analysis import AnalysisError, BadInput, Problem, RecordsWarning
from newscrawl.storage.output import temp_name
from tests.analysis.helpers import line, record, write_batch
from tests.cli_support import newscrawl as run

DAY = "2016-03-25"


def good_tree(root: Path) -> Path:
    """Three good records in one batch; return the batch."""
    return write_batch(root, "jmn", DAY, "run1-0001", [record(n) for n in range(3)])


def truncated_gz(root: Path) -> tuple[Path, int]:
    """A gzip batch of 50 lines cut in half; the bad line is the first one it cannot give."""
    data = gzip.compress("".join(line(record(10 + n)) for n in range(50)).encode(), mtime=0)
    path = root / "jmn" / DAY / "run2-0001.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    complete = 0
    with gzip.open(path, "rb") as handle:
        try:
            while handle.readline():
                complete += 1
        except EOFError:
            return path, complete + 1
    raise AssertionError("the cut gzip file reads to its end")


def not_json(root: Path) -> tuple[Path, int]:
    path = root / "jmn" / DAY / "run2-0001.jsonl"
    path.write_text(line(record(10)) + '{"url": "https://jm\n' + line(record(11)), "utf-8")
    return path, 2


def newer_version(root: Path) -> tuple[Path, int]:
    path = write_batch(
        root, "jmn", DAY, "run2-0001", [record(10), record(11, schema_version="2.0")]
    )
    return path, 2


def wrong_type(root: Path) -> tuple[Path, int]:
    path = write_batch(root, "jmn", DAY, "run2-0001", [record(10, revision="two"), record(11)])
    return path, 1


def null_url(root: Path) -> tuple[Path, int]:
    path = write_batch(root, "jmn", DAY, "run2-0001", [record(10), record(11, url=None)])
    return path, 2


def missing_revision(root: Path) -> tuple[Path, int]:
    item = record(10)
    del item["revision"]
    return write_batch(root, "jmn", DAY, "run2-0001", [item, record(11)]), 1


def revision_too_big(root: Path) -> tuple[Path, int]:
    items = [record(10), record(11, revision=10**20)]
    return write_batch(root, "jmn", DAY, "run2-0001", items), 2


def byte_order_mark(root: Path) -> tuple[Path, int]:
    path = root / "jmn" / DAY / "run2-0001.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + (line(record(10)) + line(record(11))).encode())
    return path, 1


CASES: dict[str, tuple[Callable[[Path], tuple[Path, int]], str]] = {
    "revision-too-big": (revision_too_big, "revision: 100000000000000000000 is out of range"),
    "byte-order-mark": (byte_order_mark, "starts with a UTF-8 byte order mark"),
    "null-url": (null_url, "url: null, which the schema forbids"),
    "missing-revision": (missing_revision, "revision: missing, which the schema forbids"),
    "truncated-gz": (truncated_gz, "truncated or corrupt gzip file"),
    "not-json": (not_json, "not JSON"),
    "newer-schema-version": (newer_version, "schema_version 2.0 is newer than this newscrawl"),
    "wrong-type": (wrong_type, "revision: expected an integer, not a string"),
}


@pytest.fixture(params=sorted(CASES))
def bad_tree(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, int, str]:
    """``(root, bad file, bad line, message)``: three good records plus one bad file."""
    make, message = CASES[request.param]
    root = tmp_path / "out"
    good_tree(root)
    path, number = make(root)
    return root, path, number, message


def test_duckdb_alone_refuses_each_case(bad_tree: tuple[Path, Path, int, str]) -> None:
    """The case is real: a typed read of the files fails (so the check must find it)."""
    path = bad_tree[1]
    from newscrawl.analysis.records import Selection, select_sql

    with pytest.raises(duckdb.Error):
        duckdb.sql(select_sql([path], Selection())).fetchall()


def test_export_reports_skips_and_goes_on(bad_tree: tuple[Path, Path, int, str]) -> None:
    root, path, number, message = bad_tree
    target = root.parent / "all.parquet"
    done = run("export", str(root), "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert f"newscrawl: {path}:{number}: {message}" in done.stderr
    rows = duckdb.sql(f"SELECT url FROM '{target}'").fetchall()
    good = {f"https://jmn.info/article-{n}/" for n in range(3)}
    assert good <= {url for (url,) in rows}
    assert len(rows) == len(set(rows))


def test_export_strict_fails_and_writes_nothing(bad_tree: tuple[Path, Path, int, str]) -> None:
    root, path, number, message = bad_tree
    target = root.parent / "all.parquet"
    done = run("export", str(root), "-o", str(target), "--strict")
    assert done.returncode == 1
    assert f"newscrawl: {path}:{number}: {message}" in done.stderr
    assert not target.exists()
    assert not list(root.parent.glob(".*.part"))


def test_read_records_warns_or_raises(bad_tree: tuple[Path, Path, int, str]) -> None:
    root, path, number, message = bad_tree
    with pytest.warns(RecordsWarning, match=f"{path}:{number}: {message}"):
        df = newscrawl.read_records(root)
    assert {f"https://jmn.info/article-{n}/" for n in range(3)} <= set(df["url"])
    with pytest.raises(BadInput) as caught:
        newscrawl.read_records(root, strict=True)
    assert Problem(path, number, caught.value.problems[0].message) in caught.value.problems
    assert message in str(caught.value)


def test_stats_reports_and_strict_fails(bad_tree: tuple[Path, Path, int, str]) -> None:
    root, path, number, message = bad_tree
    done = run("stats", str(root), "--json")
    assert done.returncode == 0, done.stderr
    assert f"{path}:{number}: {message}" in done.stderr
    (day,) = json.loads(done.stdout)["days"]
    assert day["records"] >= 3
    assert run("stats", str(root), "--strict").returncode == 1


@pytest.mark.parametrize("make", [null_url, missing_revision])
def test_latest_readers_agree_on_a_record_without_url_or_revision(
    tmp_path: Path, make: Callable[[Path], tuple[Path, int]]
) -> None:
    """export --latest, read_records(latest=True) and a typed read all skip it, and say so."""
    root = tmp_path / "out"
    good_tree(root)
    path, number = make(root)
    problems: list[Problem] = []
    df = newscrawl.read_records(root, latest=True, on_problem=problems.append)
    assert [(p.path, p.line) for p in problems] == [(path, number)]
    target = tmp_path / "latest.jsonl"
    done = run("export", str(root), "-o", str(target), "--latest")
    assert done.returncode == 0, done.stderr
    assert f"{path}:{number}: " in done.stderr
    exported = [json.loads(row)["url"] for row in target.read_text("utf-8").splitlines()]
    assert len(df) == len(exported) == 4
    assert sorted(df["url"]) == sorted(exported)


def test_stats_strict_fails_on_an_unreadable_line_of_a_rejects_file(tmp_path: Path) -> None:
    """docs/analysts.md: --strict works for stats as for export."""
    root = tmp_path / "out"
    good_tree(root)
    rejects = root / "jmn" / DAY / "rejects" / "run1-0001.jsonl"
    rejects.parent.mkdir()
    rejects.write_text('{"url": "https://jmn.info/x/", "kind": "invalid"}\nnot json\n', "utf-8")
    lenient = run("stats", str(root), "--json")
    assert lenient.returncode == 0, lenient.stderr
    assert f"{rejects}:2: not a reject" in lenient.stderr
    (day,) = json.loads(lenient.stdout)["days"]
    assert day["rejects"] == {"invalid": 1}
    strict = run("stats", str(root), "--strict")
    assert strict.returncode == 1
    assert f"{rejects}:2: not a reject" in strict.stderr
    assert strict.stdout == ""


def test_truncated_gz_keeps_its_complete_lines(tmp_path: Path) -> None:
    root = tmp_path / "out"
    good_tree(root)
    path, stop = truncated_gz(root)
    records = []
    df = newscrawl.read_records(root, on_problem=records.append)
    assert [(p.path, p.line) for p in records] == [(path, stop)]
    assert len(df) == 3 + stop - 1


def test_a_plain_and_a_gzip_batch_of_one_name_both_with_a_bad_line_keep_their_own_records(
    tmp_path: Path,
) -> None:
    root = tmp_path / "out"
    plain = write_batch(root, "jmn", DAY, "run1-0001", [record(n) for n in range(3)])
    packed = write_batch(root, "jmn", DAY, "run1-0001", [record(10 + n) for n in range(3)], gz=True)
    with plain.open("a", encoding="utf-8") as handle:
        handle.write("not json\n")
    packed.write_bytes(gzip.compress(gzip.decompress(packed.read_bytes()) + b"not json\n"))
    problems: list[Problem] = []
    df = newscrawl.read_records(root, on_problem=problems.append)
    assert [(p.path, p.line) for p in problems] == [(plain, 4), (packed, 4)]
    assert sorted(df["url"]) == sorted(record(n)["url"] for n in (0, 1, 2, 10, 11, 12))
    target = tmp_path / "all.jsonl"
    done = run("export", str(root), "-o", str(target))
    assert done.returncode == 0, done.stderr
    exported = [json.loads(row)["url"] for row in target.read_text("utf-8").splitlines()]
    assert sorted(exported) == sorted(df["url"])


def temp_file(batch: Path) -> Path:
    """A batch temp file beside ``batch``, cut mid-line as a killed writer leaves it."""
    temp = batch.with_name(temp_name("run9-0001.jsonl"))
    temp.write_text(line(record(99)) + '{"url": "https://jm', "utf-8")
    return temp


def test_a_live_writers_temp_file_is_never_read_and_never_fatal(tmp_path: Path) -> None:
    root = tmp_path / "out"
    temp = temp_file(good_tree(root))
    target = tmp_path / "x.parquet"
    with temp.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as BatchWriter holds its open batch
        done = run("export", str(root), "-o", str(target), "--strict")
    assert done.returncode == 0, done.stderr
    assert f"{temp}: skipped: temp file of a batch being written" in done.stderr
    ((rows,),) = duckdb.sql(f"SELECT count(*) FROM '{target}'").fetchall()
    assert rows == 3
    con = duckdb.connect()
    newscrawl.duckdb_view(con, root)
    assert con.sql("SELECT count(*) FROM articles").fetchall() == [(3,)]


def test_a_killed_runs_temp_file_is_reported_and_does_not_fail_strict(tmp_path: Path) -> None:
    """docs/analysts.md: a temp file is reported but does not fail --strict."""
    root = tmp_path / "out"
    temp = temp_file(good_tree(root))
    lenient = run("export", str(root), "-o", str(tmp_path / "x.parquet"))
    assert lenient.returncode == 0, lenient.stderr
    assert f"{temp}: skipped: temp file left by a killed run" in lenient.stderr
    strict = run("export", str(root), "-o", str(tmp_path / "y.parquet"), "--strict")
    assert strict.returncode == 0, strict.stderr
    assert f"{temp}: skipped: temp file left by a killed run" in strict.stderr
    ((rows,),) = duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'y.parquet'}'").fetchall()
    assert rows == 3
    assert run("stats", str(root), "--strict").returncode == 0
    assert len(newscrawl.read_records(root, strict=True, on_problem=lambda p: None)) == 3


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("5", "not a JSON object but int"),
        ('"status"', "not a JSON object but str"),
        ("[]", "not a JSON object but list"),
    ],
)
def test_stats_reports_a_run_report_that_is_not_a_json_object_as_unreadable(
    tmp_path: Path, text: str, reason: str
) -> None:
    root = tmp_path / "out"
    good_tree(root)
    report = root / "jmn" / DAY / "run1.report.json"
    report.write_text(text, "utf-8")
    done = run("stats", str(root), "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().startswith(f"newscrawl: {report}: unreadable run report: {reason}")
    assert len(done.stderr.strip().splitlines()) == 1
    (day,) = json.loads(done.stdout)["days"]
    assert day["runs"] == [{"run_id": "run1", "status": "unreadable"}]


def test_an_empty_root_is_exit_1_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    target = tmp_path / "x.parquet"
    done = run("export", str(root), "-o", str(target))
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == f"newscrawl: {root}: no record files (<site>/<day>/*.jsonl*); nothing written"
    )
    assert not target.exists()
    stats = run("stats", str(root))
    assert stats.returncode == 1
    assert f"{root}: no records" in stats.stderr


def test_an_empty_root_gives_an_empty_typed_frame(tmp_path: Path) -> None:
    (tmp_path / "jmn" / DAY).mkdir(parents=True)
    with pytest.warns(RecordsWarning, match="no record files"):
        df = newscrawl.read_records(tmp_path)
    assert len(df) == 0
    assert str(df["crawled_at"].dtype) == "datetime64[us, UTC]"
    assert str(df["revision"].dtype) == "int64"
    assert str(df["duplicate_of"].dtype) == "str"


def test_no_match_for_the_filters_is_exit_1(tmp_path: Path) -> None:
    root = tmp_path / "out"
    good_tree(root)
    target = tmp_path / "x.parquet"
    done = run("export", str(root), "-o", str(target), "--since", "2099-01-01")
    assert done.returncode == 1
    assert "nothing written" in done.stderr
    assert not target.exists()
    assert run("export", str(root), "-o", str(target), "--site", "nosuch").returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "{root}/missing", "-o", "x.parquet"], "no such output folder"),
        (["export", "{root}", "-o", "x.txt"], "cannot tell the format from the name"),
        (["export", "{root}", "-o", "x.parquet", "--since", "yesterday"], "--since:"),
        (["export", "{root}", "-o", "x.parquet", "--until", "2016-13-01"], "--until:"),
        (["stats", "{root}/missing"], "no such output folder"),
        (["stats", "{root}", "--site", "../jmn"], "'../jmn' is not a site name"),
        (["export", "{root}", "-o", "{root}/nosuch/x.parquet"], "no such folder"),
        (["export", "{root}", "-o", "x.csv", "--until", "9999-12-31"], "--until: until"),
        (["export", "{root}", "-o", "x.csv", "--since", "1000000d"], "--since: since"),
        (["export", "{root}", "-o", "x.csv", "--since", "0001-01-01T00:00+01:00"], "out of range"),
        (["stats", "{root}", "--since", "99999999999d"], "--since: since"),
        (["stats", "{root}", "--until", "9999-12-31T23:59:59.999999+00:00"], "out of range"),
    ],
)
def test_usage_errors_are_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    good_tree(tmp_path)
    done = run(*[a.format(root=tmp_path) for a in args], cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_since_of_year_1_keeps_every_record(tmp_path: Path) -> None:
    """The first day folder is the day before --since, and no day is before 0001-01-01."""
    good_tree(tmp_path)
    done = run("export", str(tmp_path), "-o", "x.csv", "--since", "0001-01-01", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("3 records from 1 file")
    assert len(newscrawl.read_records(tmp_path, since="0001-01-01")) == 3


@pytest.mark.parametrize("with_a_bad_line", [False, True])
def test_an_unwritable_target_is_a_write_error_in_one_line(
    tmp_path: Path, with_a_bad_line: bool
) -> None:
    root = tmp_path / "out"
    good_tree(root)
    if with_a_bad_line:
        not_json(root)
    done = run("export", str(root), "-o", "/proc/x.csv")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "newscrawl: cannot write /proc/x.csv: No such file or directory"
    ]


def test_a_second_refusal_by_duckdb_is_an_analysis_error(tmp_path: Path) -> None:
    """When DuckDB refuses even the good lines, the read fails with one message, not a
    DuckDB exception."""
    from newscrawl.analysis.records import Selection, _tree, run_typed

    root = tmp_path / "out"
    good_tree(root)
    not_json(root)

    def refuse(sql: str) -> None:
        raise duckdb.IOException("IO Error: cannot open\nsecond line")

    with pytest.raises(AnalysisError, match="DuckDB cannot read the records: IO Error") as caught:
        run_typed(_tree(root, Selection()), Selection(), refuse, on_problem=lambda p: None)
    assert "\n" not in str(caught.value)


NOT_UTF8 = os.fsdecode(b"r\xe9s")
"""A folder name in Latin-1: Python holds it with a surrogate escape, DuckDB cannot take it."""


@pytest.mark.parametrize(
    "args",
    [
        ["export", "{bad}", "-o", "{tmp}/x.csv"],
        ["stats", "{bad}"],
        ["export", "{good}", "-o", "{bad}/x.csv"],
    ],
    ids=["export-root", "stats-root", "export-target"],
)
def test_a_path_that_is_not_utf8_is_one_line_exit_2(tmp_path: Path, args: list[str]) -> None:
    bad, good = tmp_path / NOT_UTF8, tmp_path / "good"
    good_tree(bad)
    good_tree(good)
    done = run(*[a.format(bad=bad, good=good, tmp=tmp_path) for a in args])
    assert done.returncode == 2, done.stderr
    (message,) = done.stderr.strip().splitlines()
    assert message.endswith("DuckDB cannot open a path that is not UTF-8; rename the folder or "
                            "link to it under a UTF-8 name")  # fmt: skip
    assert "r\\udce9s" in message
    assert not list(bad.glob("*.csv")) + list(bad.glob(".*.part"))


def test_read_records_and_the_views_refuse_a_path_that_is_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / NOT_UTF8
    good_tree(bad)
    with pytest.raises(AnalysisError, match="not UTF-8"):
        newscrawl.read_records(bad)
    with pytest.raises(AnalysisError, match="not UTF-8"):
        newscrawl.duckdb_view(duckdb.connect(), bad)


def test_without_the_analysis_extra_the_message_names_it(tmp_path: Path) -> None:
    good_tree(tmp_path)
    code = (
        "import sys; sys.modules['duckdb'] = None; from newscrawl.cli import main; "
        f"sys.exit(main(['export', {str(tmp_path)!r}, '-o', 'x.parquet']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "newscrawl: this command needs duckdb: pip install 'newscrawl[analysis]'"
    )
