"""The files of an output tree, and the line check, called directly (no DuckDB, no CLI).

``test_bad_input`` shows each case through export, stats and read_records; these tests pin
the pieces those are built from: which files a read selects, and what one line's check,
one file's check and one unreadable tree say.
"""

from __future__ import annotations

import codecs
import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from newscrawl.analysis.files import (
    AnalysisError,
    BadInput,
    Problem,
    check_file,
    find_files,
    line_problem,
    read_lines,
    version_problem,
)
from newscrawl.storage.output import temp_name
from tests.analysis.helpers import line, record, write_batch

DAY = "2016-03-25"


# -------------------------------------------------------------------- Problem, BadInput


def test_a_problem_names_its_file_and_line_when_it_has_one(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    assert str(Problem(path, 3, "not JSON")) == f"{path}:3: not JSON"
    assert str(Problem(path, None, "cannot read")) == f"{path}: cannot read"


def test_bad_input_says_the_first_problem_and_how_many_more(tmp_path: Path) -> None:
    first, second = Problem(tmp_path / "a", 1, "one"), Problem(tmp_path / "b", 2, "two")
    alone = BadInput([first])
    assert str(alone) == str(first)
    assert alone.problems == [first]
    assert str(BadInput([first, second])) == f"{first} (and 1 more)"


# -------------------------------------------------------------------------- find_files


def tree_of_three_days(root: Path) -> dict[str, Path]:
    """Batches on 24, 25 and 26 March 2016, and what a read must pass over."""
    batches = {
        day: write_batch(root, "jmn", day, "run1-0001", [record(1)])
        for day in ("2016-03-24", DAY, "2016-03-26")
    }
    (root / "jmn" / "notes").mkdir()  # not a day
    (root / "jmn" / "2016-03-27").write_text("a file named like a day", encoding="utf-8")
    (root / ".trash" / DAY).mkdir(parents=True)  # a hidden site folder
    write_batch(root, ".trash", DAY, "run1-0001", [record(2)])
    (root / "README").write_text("not a site", encoding="utf-8")
    return batches


@pytest.mark.parametrize(
    ("first", "last", "days"),
    [
        (None, None, ["2016-03-24", DAY, "2016-03-26"]),
        (date(2016, 3, 25), None, [DAY, "2016-03-26"]),
        (None, date(2016, 3, 25), ["2016-03-24", DAY]),
        (date(2016, 3, 25), date(2016, 3, 25), [DAY]),
        (date(2016, 3, 27), None, []),
    ],
    ids=["all", "from", "to", "one-day", "none"],
)
def test_find_files_reads_the_day_folders_in_the_range_both_ends_included(
    tmp_path: Path, first: date | None, last: date | None, days: list[str]
) -> None:
    batches = tree_of_three_days(tmp_path)
    tree = find_files(tmp_path, first_day=first, last_day=last)
    assert tree.records == [batches[day] for day in days]
    assert tree.root == tmp_path


def test_find_files_keeps_to_one_site_when_asked(tmp_path: Path) -> None:
    jmn = write_batch(tmp_path, "jmn", DAY, "run1-0001", [record(1)])
    other = write_batch(tmp_path, "other.example", DAY, "run1-0001", [record(2)])
    assert find_files(tmp_path).records == [jmn, other]
    assert find_files(tmp_path, site="other.example").records == [other]
    assert find_files(tmp_path, site="nosuch").records == []


def test_find_files_sorts_records_rejects_reports_and_notes_apart(tmp_path: Path) -> None:
    first = write_batch(tmp_path, "jmn", DAY, "run1-0001", [record(1)])
    packed = write_batch(tmp_path, "jmn", DAY, "run1-0002", [record(2)], gz=True)
    day = first.parent
    (day / "run1.report.json").write_text("{}", encoding="utf-8")
    (day / "notes.txt").write_text("not a batch", encoding="utf-8")
    (day / "run1-0003.jsonl").mkdir()  # named as a batch, but a folder
    temp = day / temp_name("run1-0004.jsonl")
    temp.write_text(line(record(4)), encoding="utf-8")
    rejects = day / "rejects"
    rejects.mkdir()
    reject = rejects / "run1-0001.jsonl"
    reject.write_text('{"url": "https://jmn.info/x/", "kind": "invalid"}\n', encoding="utf-8")
    tree = find_files(tmp_path)
    assert tree.records == [first, packed]
    assert tree.rejects == [reject]
    assert tree.reports == [day / "run1.report.json"]
    assert tree.notes == [
        Problem(
            temp,
            None,
            "skipped: temp file left by a killed run (its records were never published; "
            "the site's next crawl removes it)",
            fatal=False,
        )
    ]


@pytest.mark.parametrize("site", ["../jmn", ".hidden", "a/b", ""])
def test_find_files_refuses_a_site_that_is_not_a_plain_name(tmp_path: Path, site: str) -> None:
    with pytest.raises(AnalysisError, match="is not a site name"):
        find_files(tmp_path, site=site)


def test_find_files_refuses_a_root_that_is_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match=f"^{tmp_path / 'missing'}: no such output folder$"):
        find_files(tmp_path / "missing")
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(AnalysisError, match="no such output folder"):
        find_files(str(tmp_path / "file"))  # type: ignore[arg-type]


def test_find_files_takes_the_root_as_a_string_too(tmp_path: Path) -> None:
    batch = write_batch(tmp_path, "jmn", DAY, "run1-0001", [record(1)])
    assert find_files(str(tmp_path)).records == [batch]  # type: ignore[arg-type]


# ------------------------------------------------------------------------- read_lines


def test_read_lines_numbers_the_lines_from_one(tmp_path: Path) -> None:
    plain = tmp_path / "a.jsonl"
    plain.write_bytes(b"one\n\ntwo")
    packed = tmp_path / "a.jsonl.gz"
    packed.write_bytes(gzip.compress(b"one\n\ntwo", mtime=0))
    expected = [(1, b"one\n"), (2, b"\n"), (3, b"two")]
    assert list(read_lines(plain)) == expected
    assert list(read_lines(packed)) == expected


def test_read_lines_says_where_a_cut_gzip_file_stops(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(b"line %d\n" % n for n in range(5000)), mtime=0)
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    *lines, (number, problem) = read_lines(path)
    assert [n for n, _ in lines] == list(range(1, len(lines) + 1))
    assert number == len(lines) + 1
    assert isinstance(problem, Problem)
    assert (problem.path, problem.line) == (path, number)
    assert problem.message.startswith("truncated or corrupt gzip file: ")


def test_read_lines_says_why_a_file_cannot_be_read(tmp_path: Path) -> None:
    ((number, problem),) = read_lines(tmp_path)  # a folder
    assert number == 1
    assert problem == Problem(tmp_path, None, "cannot read: Is a directory")


# ------------------------------------------------------------------------ line_problem


def dumped(item: object) -> bytes:
    return json.dumps(item).encode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (line(record(1)).encode(), None),
        (codecs.BOM_UTF8 + line(record(1)).encode(), "starts with a UTF-8 byte order mark"),
        (b'{"url": "\xff"}', "not UTF-8: invalid start byte"),
        (b'{"url": ', "not JSON: Expecting value: line 1 column 9 (char 8)"),
        (b"[1, 2]", "not a JSON object but list"),
        (dumped(record(1, schema_version="0.9")), "schema_version '0.9' is not one"),
        (dumped(record(1, schema_version="2.0")), "schema_version 2.0 is newer than"),
        (dumped(record(1, url=None)), "url: null, which the schema forbids"),
        (
            dumped({k: v for k, v in record(1).items() if k != "site"}),
            "site: missing, which the schema forbids",
        ),
        (dumped(record(1, revision="two")), "revision: expected an integer, not a string"),
        (dumped(record(1, images=[{"url": 5}])), "images[0].url: expected a string"),
    ],
    ids=[
        "good",
        "bom",
        "not-utf8",
        "not-json",
        "not-object",
        "older-version",
        "newer-version",
        "null",
        "missing",
        "wrong-type",
        "nested",
    ],
)
def test_line_problem(text: bytes, expected: str | None) -> None:
    problem = line_problem(text)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None
        assert problem.startswith(expected)


@pytest.mark.parametrize(
    ("version", "newer"),
    [
        ("1.1", True),
        ("1.0.1", True),
        ("2", True),
        ("0.9", False),
        ("1.00", False),  # the same number as 1.0, spelt otherwise: not newer
        ("x", False),
        (2, False),
    ],
)
def test_version_problem_asks_for_an_upgrade_only_for_a_newer_version(
    version: object, newer: bool
) -> None:
    message = version_problem(version, ("1.0",))
    if newer:
        assert message == (
            f"schema_version {version} is newer than this newscrawl reads (1.0); "
            "upgrade newscrawl to read it"
        )
    else:
        assert message == f"schema_version {version!r} is not one this newscrawl reads (1.0)"


# -------------------------------------------------------------------------- check_file


def test_check_file_keeps_good_lines_in_order_and_names_the_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "run1-0001.jsonl"
    good = [line(record(n)).encode() for n in range(3)]
    path.write_bytes(good[0] + b"\n" + b"not json\n" + good[1] + b"   \n" + good[2])
    problems, kept = check_file(path)
    assert kept == good
    assert [(p.path, p.line) for p in problems] == [(path, 3)]
    assert problems[0].message.startswith("not JSON")


def test_check_file_keeps_what_a_cut_gzip_file_gave_and_names_where_it_stops(
    tmp_path: Path,
) -> None:
    data = gzip.compress("".join(line(record(n)) for n in range(200)).encode(), mtime=0)
    path = tmp_path / "run1-0001.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    problems, kept = check_file(path)
    (problem,) = problems
    assert problem.line == len(kept) + 1
    assert kept[0] == line(record(0)).encode()
