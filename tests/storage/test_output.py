"""Tests of the batch writer, all against the real file system.

The disk-full and read-only tests mount a small tmpfs (root only; skipped where mounting is
not allowed) and always unmount it. The file-size-limit, permission and kill tests run the
writer in a child process, so that the limit, the user or the SIGKILL hit only that child.
"""

from __future__ import annotations

import errno
import gzip
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newscrawl.storage.output import BatchWriter, OutputError, PublishedBatch, recover
from tests.conftest import run_mount

DAY = "2026-11-28"
CHILD_ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def record(n: int, **extra: Any) -> dict[str, Any]:
    """Return a small record numbered ``n``, with Cyrillic text."""
    return {"url": f"https://jmn.info/{n}", "headline": f"Москва {n}", **extra}


def make_writer(root: Path, **options: Any) -> BatchWriter:
    """Return a writer for site "jmn", run "run1", day ``DAY``, with ``options``."""
    return BatchWriter(root, "jmn", "run1", day=DAY, **options)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """Return the JSON objects of a published file, one per line, checking each line."""
    opener: Callable[..., Any] = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as file:
        text = file.read()
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    objects = [json.loads(line) for line in lines]
    assert all(isinstance(obj, dict) for obj in objects)
    return objects


def temp_files(root: Path) -> list[Path]:
    """Return every temp file under ``root``."""
    return sorted(root.rglob(".*.part"))


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# --- layout and format --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "compress", "name"),
    [
        ("records", False, "run1-0001.jsonl"),
        ("records", True, "run1-0001.jsonl.gz"),
        ("rejects", False, "rejects/run1-0001.jsonl"),
        ("rejects", True, "rejects/run1-0001.jsonl.gz"),
    ],
)
def test_layout_and_names(tmp_path: Path, kind: str, compress: bool, name: str) -> None:
    writer = make_writer(tmp_path, kind=kind, compress=compress)
    writer.write(record(1))
    [batch] = writer.close()
    assert batch.path == tmp_path / "jmn" / DAY / name
    files = (tmp_path / "jmn" / DAY).rglob("*")
    assert sorted(str(p.relative_to(tmp_path / "jmn" / DAY)) for p in files if p.is_file()) == [
        name
    ]


def test_day_defaults_to_utc_today(tmp_path: Path) -> None:
    before = datetime.now(UTC).date().isoformat()
    writer = BatchWriter(tmp_path, "jmn", "run1")
    after = datetime.now(UTC).date().isoformat()
    assert writer.day in {before, after}
    assert writer.folder == tmp_path / "jmn" / writer.day


@pytest.mark.parametrize(
    "options",
    [
        {"site": "../x"},
        {"site": ".hidden"},
        {"run_id": "a/b"},
        {"run_id": "2026-11-28T05:00"},
        {"run_id": ""},
        {"day": "2026-1-1"},
        {"kind": "other"},
        {"max_records": 0},
        {"max_seconds": 0},
    ],
)
def test_invalid_arguments_are_refused(tmp_path: Path, options: dict[str, Any]) -> None:
    arguments = {"site": "jmn", "run_id": "run1", "day": DAY, **options}
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        BatchWriter(tmp_path, **arguments)


def test_one_json_object_per_line_exact_bytes(tmp_path: Path) -> None:
    first = {"zeta": 1, "url": "https://jmn.info/a", "headline": "Путин и «Запад»", "n": None}
    second = {"b": [1.5, True], "a": {"y": "שלום", "x": "tab\tnew\nline"}}
    writer = make_writer(tmp_path)
    writer.write(first)
    writer.write(second)
    [batch] = writer.close()
    data = batch.path.read_bytes()
    assert (
        data
        == (
            '{"zeta":1,"url":"https://jmn.info/a","headline":"Путин и «Запад»","n":null}\n'
            '{"b":[1.5,true],"a":{"y":"שלום","x":"tab\\tnew\\nline"}}\n'
        ).encode()
    )
    assert "Путин".encode() in data
    assert [list(obj) for obj in read_lines(batch.path)] == [list(first), list(second)]


def test_mapping_that_is_not_a_dict_is_written(tmp_path: Path) -> None:
    from types import MappingProxyType

    writer = make_writer(tmp_path)
    writer.write(MappingProxyType({"url": "u", "k": 1}))
    [batch] = writer.close()
    assert batch.path.read_text(encoding="utf-8") == '{"url":"u","k":1}\n'


# --- publish on close ---------------------------------------------------------------------


def test_nothing_under_the_final_name_until_publish(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, max_records=10)
    folder = tmp_path / "jmn" / DAY
    writer.write(record(1))
    writer.write(record(2))
    assert not (folder / "run1-0001.jsonl").exists()
    assert list(folder.glob("*.jsonl")) == []
    assert list(tmp_path.rglob("*.jsonl")) == []
    assert [p.name for p in folder.iterdir()] == [".run1-0001.part"]
    writer.close()
    assert [p.name for p in folder.iterdir()] == ["run1-0001.jsonl"]
    assert [obj["url"] for obj in read_lines(folder / "run1-0001.jsonl")] == [
        "https://jmn.info/1",
        "https://jmn.info/2",
    ]


def test_rotation_by_count(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, max_records=2)
    for n in range(1, 5):
        writer.write(record(n))
    # The second batch was published by the write that filled it, not by close().
    assert [b.path.name for b in writer.published] == ["run1-0001.jsonl", "run1-0002.jsonl"]
    assert temp_files(tmp_path) == []
    writer.write(record(5))
    batches = writer.close()
    assert [(b.path.name, b.count) for b in batches] == [
        ("run1-0001.jsonl", 2),
        ("run1-0002.jsonl", 2),
        ("run1-0003.jsonl", 1),
    ]
    assert [len(read_lines(b.path)) for b in batches] == [2, 2, 1]


def test_rotation_by_age(tmp_path: Path) -> None:
    clock = FakeClock()
    writer = make_writer(tmp_path, max_records=100, max_seconds=10, clock=clock)
    writer.write(record(1))
    clock.now = 9.5
    writer.write(record(2))
    clock.now = 100.0
    assert writer.published == []  # no timer of its own: waits for a write or publish_due
    writer.write(record(3))  # the first batch is 100 s old: published before this record
    assert [(b.path.name, b.count) for b in writer.published] == [("run1-0001.jsonl", 2)]
    clock.now = 109.0
    writer.write(record(4))
    clock.now = 110.0
    writer.write(record(5))  # exactly max_seconds old: due
    batches = writer.close()
    assert [b.count for b in batches] == [2, 2, 1]
    assert [[o["url"][-1] for o in read_lines(b.path)] for b in batches] == [
        ["1", "2"],
        ["3", "4"],
        ["5"],
    ]


def test_publish_due_publishes_an_idle_batch_once_it_is_old_enough(tmp_path: Path) -> None:
    clock = FakeClock()
    writer = make_writer(tmp_path, max_records=100, max_seconds=10, clock=clock)
    assert writer.publish_due() is False  # no open batch
    writer.write(record(1))
    clock.now = 9.9
    assert writer.publish_due() is False
    assert list(tmp_path.rglob("*.jsonl")) == []
    clock.now = 10.0
    assert writer.publish_due() is True
    assert [(b.path.name, b.count) for b in writer.published] == [("run1-0001.jsonl", 1)]
    assert writer.publish_due() is False  # nothing open any more
    clock.now = 50.0
    writer.write(record(2))  # a new batch, young again
    assert writer.publish_due() is False
    writer.close()
    clock.now = 100.0
    assert writer.publish_due() is False  # closed: publishes nothing
    assert [b.count for b in writer.published] == [1, 1]


def test_gzip_round_trip_and_gzipped_temp_file(tmp_path: Path) -> None:
    records = [record(n, body=[os.urandom(2000).hex()]) for n in range(40)]
    writer = make_writer(tmp_path, compress=True, max_records=100)
    for item in records:
        writer.write(item)
    [temp] = temp_files(tmp_path)
    assert temp.name == ".run1-0001.gz.part"
    assert temp.read_bytes()[:2] == b"\x1f\x8b"  # the temp file is gzip too
    [batch] = writer.close()
    assert read_lines(batch.path) == records
    header = batch.path.read_bytes()[:10]
    assert header[3] == 0  # no file name stored
    assert header[4:8] == b"\0\0\0\0"  # mtime 0


def test_gzip_output_is_reproducible(tmp_path: Path) -> None:
    paths = []
    for run in ("a", "b"):
        writer = BatchWriter(tmp_path, "jmn", run, day=DAY, compress=True)
        writer.write(record(1))
        paths.append(writer.close()[0].path)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_no_empty_files(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, max_records=2)
    assert writer.close() == []
    assert list(tmp_path.iterdir()) == []  # not even the folder
    writer = make_writer(tmp_path, max_records=2)
    writer.write(record(1))
    writer.write(record(2))
    assert [b.count for b in writer.close()] == [2]  # no empty third batch on close
    assert [p.name for p in (tmp_path / "jmn" / DAY).iterdir()] == ["run1-0001.jsonl"]


def test_existing_final_or_temp_file_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "jmn" / DAY
    folder.mkdir(parents=True)
    (folder / "run1-0001.jsonl").write_text('{"old":1}\n', encoding="utf-8")
    (folder / ".run1-0002.part").write_text("left by another writer", encoding="utf-8")
    writer = make_writer(tmp_path, max_records=1)
    writer.write(record(1))
    writer.write(record(2))
    assert [b.path.name for b in writer.close()] == ["run1-0003.jsonl", "run1-0004.jsonl"]
    assert (folder / "run1-0001.jsonl").read_text(encoding="utf-8") == '{"old":1}\n'
    assert (folder / ".run1-0002.part").exists()


def test_on_publish_receives_batches_with_meta_in_order(tmp_path: Path) -> None:
    seen: list[PublishedBatch] = []
    writer = make_writer(tmp_path, max_records=2, on_publish=seen.append)
    metas = [{"n": 1}, None, {"n": 3}, {"n": 4}, {"n": 5}]
    for n, meta in enumerate(metas, start=1):
        writer.write(record(n), meta)
    assert [b.records_meta for b in seen] == [[{"n": 1}, {}], [{"n": 3}, {"n": 4}]]
    batches = writer.close()
    assert seen == batches == writer.published
    assert seen[-1].records_meta == [{"n": 5}]
    assert writer.count == 5


def test_close_is_idempotent_and_ends_writing(tmp_path: Path) -> None:
    seen: list[PublishedBatch] = []
    writer = make_writer(tmp_path, on_publish=seen.append)
    writer.write(record(1))
    first = writer.close()
    assert writer.close() == first
    assert len(seen) == 1
    with pytest.raises(OutputError, match="writer is closed"):
        writer.write(record(2))


def test_abort_removes_the_temp_file_and_keeps_published_files(tmp_path: Path) -> None:
    writer = make_writer(tmp_path, max_records=2)
    for n in range(1, 4):
        writer.write(record(n))
    writer.abort()
    assert temp_files(tmp_path) == []
    assert [p.name for p in (tmp_path / "jmn" / DAY).iterdir()] == ["run1-0001.jsonl"]
    assert writer.close() == writer.published
    assert len(writer.published) == 1
    with pytest.raises(OutputError):
        writer.write(record(4))


# --- unserialisable records ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "cause"),
    [
        ({"crawled_at": datetime(2026, 11, 28, tzinfo=UTC)}, "datetime is not JSON serializable"),
        ({"tags": {"a"}}, "set is not JSON serializable"),
        ({"score": math.nan}, "Out of range float"),
        ({"body": b"raw"}, "bytes is not JSON serializable"),
        ({"headline": "half a pair \ud800"}, "surrogates not allowed"),
        ({(1, 2): "tuple key"}, "keys must be"),
    ],
)
def test_unserialisable_record_stops_the_writer(
    tmp_path: Path, bad: dict[Any, Any], cause: str
) -> None:
    writer = make_writer(tmp_path, max_records=2)
    for n in range(1, 4):
        writer.write(record(n))
    [temp] = temp_files(tmp_path)
    writer._batch.raw.flush()  # type: ignore[union-attr]  # to compare the bytes on disk
    before = temp.read_bytes()
    with pytest.raises(OutputError) as caught:
        writer.write({**record(4), **bad})
    message = str(caught.value)
    assert message.startswith("record 4 for https://jmn.info/4 cannot be serialised")
    assert cause in message
    assert "\n" not in message
    assert temp.read_bytes() == before  # nothing of the bad record reached the file
    with pytest.raises(OutputError, match="stopped after an earlier error"):
        writer.write(record(5))
    batches = writer.close()  # the good records of the open batch are still published
    assert [[o["url"][-1] for o in read_lines(b.path)] for b in batches] == [["1", "2"], ["3"]]
    assert writer.count == 3


def test_record_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    with pytest.raises(OutputError, match="record 1 is a list, not a mapping"):
        writer.write(["not", "a", "record"])  # type: ignore[arg-type]
    assert writer.close() == []
    assert list(tmp_path.iterdir()) == []  # refused before any file was opened


# --- crash and recovery ---------------------------------------------------------------------

SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from newscrawl.storage.output import BatchWriter

    def report(batch):
        print("published", batch.path, flush=True)

    writer = BatchWriter(Path(sys.argv[1]), "jmn", "run1", day="2026-11-28", max_records=3,
                         compress=sys.argv[2] == "gz", on_publish=report)
    for n in range(1, 100000):
        writer.write({"url": f"https://jmn.info/{n}", "body": ["Текст " * 200]})
        print("wrote", n, flush=True)
        time.sleep(0.01)
    """
)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_killed_process_leaves_only_complete_files(tmp_path: Path, compress: bool) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(tmp_path), "gz" if compress else "plain"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=CHILD_ENV,
    )
    reported: list[Path] = []
    try:
        assert child.stdout is not None
        while True:
            line = child.stdout.readline()
            assert line, f"child ended early: {child.stderr.read() if child.stderr else ''}"
            word, value = line.split(maxsplit=1)
            if word == "published":
                reported.append(Path(value.strip()))
            elif int(value) == 8:  # two batches published, the third one half written
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    folder = tmp_path / "jmn" / DAY
    suffix = ".jsonl.gz" if compress else ".jsonl"
    published = sorted(folder.glob(f"*{suffix}"))
    assert published == reported == [folder / f"run1-000{n}{suffix}" for n in (1, 2)]
    for number, path in enumerate(published):
        urls = [obj["url"] for obj in read_lines(path)]
        assert urls == [f"https://jmn.info/{3 * number + n}" for n in (1, 2, 3)]
    leftovers = temp_files(tmp_path)
    assert [p.name for p in leftovers] == [f".run1-0003{suffix.removeprefix('.jsonl')}.part"]
    assert recover(tmp_path, "jmn") == leftovers
    assert temp_files(tmp_path) == []
    assert sorted(folder.iterdir()) == published


def test_recover_removes_only_temp_files(tmp_path: Path) -> None:
    old = tmp_path / "jmn" / "2026-11-27"
    new = tmp_path / "jmn" / DAY
    old.mkdir(parents=True)
    (new / "rejects").mkdir(parents=True)
    leftovers = [old / ".run0-0004.gz.part", new / "rejects" / ".run1-0001.part"]
    kept = [old / "run0-0003.jsonl", new / ".notes.part", new / "run1-0001.part"]
    for path in leftovers + kept:
        path.write_text("x", encoding="utf-8")
    other_site = tmp_path / "other" / DAY / ".run1-0001.part"
    other_site.parent.mkdir(parents=True)
    other_site.write_text("x", encoding="utf-8")
    assert recover(tmp_path, "jmn") == sorted(leftovers)
    assert all(p.exists() for p in [*kept, other_site])
    assert not any(p.exists() for p in leftovers)
    assert recover(tmp_path, "jmn") == []
    assert recover(tmp_path, "missing") == []


# --- OS errors ----------------------------------------------------------------------------


def assert_intact(writer: BatchWriter, reported: list[PublishedBatch]) -> None:
    """Check that every published file is complete and reported, and no temp file is left."""
    assert reported == writer.published
    for batch in writer.published:
        assert len(read_lines(batch.path)) == batch.count
    assert temp_files(writer.folder.parents[1]) == []


def test_disk_full_while_writing(small_fs: Path) -> None:
    reported: list[PublishedBatch] = []
    writer = make_writer(small_fs, max_records=8, on_publish=reported.append)
    with pytest.raises(OutputError) as caught:  # noqa: PT012 - the loop is what fills the disk
        for n in range(1, 1000):
            writer.write(record(n, body=["x" * 1000]))
    message = str(caught.value)
    assert "No space left on device (disk full)" in message
    assert str(small_fs / "jmn" / DAY / ".run1-") in message
    assert len(writer.published) >= 2  # some batches made it before the disk filled
    assert_intact(writer, reported)
    with pytest.raises(OutputError, match="stopped after an earlier error"):
        writer.write(record(0))
    assert writer.close() == reported  # no exception: the failed batch is already gone
    assert sum(b.count for b in reported) < writer.count
    assert sum(b.count for b in reported) == writer.count - writer.lost


def fill_up(path: Path) -> None:
    """Write zeros to ``path`` until its file system is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        with pytest.raises(OSError, match="No space left on device"):  # noqa: PT012
            while True:
                os.write(fd, bytes(4096))
    finally:
        os.close(fd)


def test_disk_full_when_publishing_on_close(small_fs: Path) -> None:
    (small_fs / "jmn" / DAY).mkdir(parents=True)
    fill_up(small_fs / "filler")
    reported: list[PublishedBatch] = []
    writer = make_writer(small_fs, on_publish=reported.append)
    writer.write(record(1))  # small enough to stay in the write buffer
    with pytest.raises(OutputError, match=r"cannot write .*\.run1-0001\.part: No space"):
        writer.close()
    assert reported == writer.published == []
    assert writer.close() == []
    assert list((small_fs / "jmn" / DAY).iterdir()) == []


def test_read_only_file_system(small_fs: Path) -> None:
    reported: list[PublishedBatch] = []
    writer = make_writer(small_fs, max_records=1, on_publish=reported.append)
    writer.write(record(1))
    result = run_mount("-o", "remount,ro", str(small_fs))
    assert result.returncode == 0, result.stderr
    with pytest.raises(OutputError, match="Read-only file system") as caught:
        writer.write(record(2))
    assert ".run1-0002.part" in str(caught.value)
    assert [len(read_lines(b.path)) for b in reported] == [1]
    assert_intact(writer, reported)


@pytest.mark.parametrize("blocker", ["root", "site"])
def test_folder_that_is_a_file(tmp_path: Path, blocker: str) -> None:
    root = tmp_path / "out"
    if blocker == "root":
        root.write_text("not a folder", encoding="utf-8")
        blocked = root
    else:
        root.mkdir()
        blocked = root / "jmn"
        blocked.write_text("not a folder", encoding="utf-8")
    writer = make_writer(root)
    with pytest.raises(OutputError) as caught:
        writer.write(record(1))
    assert str(caught.value) == (
        f"cannot create folder {root / 'jmn' / DAY}: Not a directory ({blocked})"
    )
    assert blocked.read_text(encoding="utf-8") == "not a folder"
    with pytest.raises(OutputError):
        writer.write(record(2))
    assert writer.close() == []


WRITE_UNTIL_ERROR = textwrap.dedent(
    """
    import json, resource, signal, sys
    from pathlib import Path
    from newscrawl.storage.output import BatchWriter, OutputError

    if sys.argv[2] != "-":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of a signal
        limit = int(sys.argv[2])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    reported = []
    writer = BatchWriter(Path(sys.argv[1]), "jmn", "run1", day="2026-11-28", max_records=4,
                         on_publish=lambda batch: reported.append(str(batch.path)))
    error = None
    try:
        for n in range(1, 1000):
            writer.write({"url": f"https://jmn.info/{n}", "body": ["x" * (300 * n)]})
    except OutputError as exc:
        error = str(exc)
    writer.close()
    print(json.dumps({"error": error, "reported": reported,
                      "published": [str(b.path) for b in writer.published]}))
    """
)


def run_child(
    root: Path, limit: int | None = None, prefix: list[str] | None = None
) -> dict[str, Any]:
    """Run ``WRITE_UNTIL_ERROR`` (after ``prefix``) in a child process; return what it printed."""
    args = [*(prefix or []), sys.executable, "-c", WRITE_UNTIL_ERROR, str(root), str(limit or "-")]
    result = subprocess.run(
        args, capture_output=True, text=True, env=CHILD_ENV, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_file_size_limit(tmp_path: Path) -> None:
    outcome = run_child(tmp_path, limit=20_000)
    assert "File too large (file size limit reached" in outcome["error"]
    assert ".run1-000" in outcome["error"]
    assert outcome["published"] == outcome["reported"]
    assert len(outcome["published"]) >= 1
    for path in outcome["published"]:
        assert len(read_lines(Path(path))) == 4
    assert temp_files(tmp_path) == []


def test_folder_without_write_permission(tmp_path: Path) -> None:
    # Root ignores permissions through CAP_DAC_OVERRIDE: as root, the child runs without it.
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("as root this needs setpriv to drop CAP_DAC_OVERRIDE")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    root = tmp_path / "out"
    (root / "jmn").mkdir(parents=True)
    (root / "jmn").chmod(0o555)
    try:
        outcome = run_child(root, prefix=prefix)
    finally:
        (root / "jmn").chmod(0o755)
    assert outcome["error"] == f"cannot create folder {root / 'jmn' / DAY}: Permission denied"
    assert outcome["published"] == []
    assert list((root / "jmn").iterdir()) == []


@pytest.mark.parametrize(
    ("kind", "removed"),
    [
        pytest.param(None, {"records", "rejects"}, id="both"),
        pytest.param("records", {"records"}, id="records"),
        pytest.param("rejects", {"rejects"}, id="rejects"),
    ],
)
def test_recover_removes_the_temp_files_of_one_kind(
    tmp_path: Path, kind: str | None, removed: set[str]
) -> None:
    day = tmp_path / "jmn" / "2016-03-25"
    (day / "rejects").mkdir(parents=True)
    temps = {
        "records": day / ".run-0001.part",
        "rejects": day / "rejects" / ".run-0001.part",
    }
    for path in temps.values():
        path.write_bytes(b"{}\n")
    assert set(recover(tmp_path, "jmn", kind=kind)) == {temps[k] for k in removed}
    assert {k for k, p in temps.items() if not p.exists()} == removed


def test_recover_refuses_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind"):
        recover(tmp_path, "jmn", kind="record")


def test_publish_syncs_the_file_before_its_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Durability order: data on disk, then the name, then the name on disk."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append(("replace", str(dst)))
        real_replace(src, dst)

    writer = BatchWriter(tmp_path, "jmn", "run", max_records=1, day="2016-03-25")
    writer.write({"url": "https://jmn.info/a/"})  # creates the folders (synced too)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    writer.write({"url": "https://jmn.info/b/"})
    folder = str(tmp_path / "jmn" / "2016-03-25")
    final = f"{folder}/run-0002.jsonl"
    assert events == [
        ("fsync", f"{folder}/.run-0002.part"),
        ("replace", final),
        ("fsync", folder),
    ]


@pytest.mark.parametrize("published_by", ["count", "close"])
def test_a_batch_withdrawn_when_its_folder_cannot_be_synced_is_counted_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, published_by: str
) -> None:
    """After the rename, the folder's fsync fails (EIO: a failing disk, which a test cannot
    provoke, hence the patched ``os.fsync``): the writer withdraws the file, whose name may
    not survive a crash. Its records are lost, not written: what the writer reports
    (``count - lost``) is what is on disk, so that the crawl does not count them."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    writer = make_writer(tmp_path, max_records=2)
    writer.write(record(1))  # creates the folders (synced) before the disk fails
    monkeypatch.setattr(os, "fsync", fsync)
    # By count, the write that fills the batch fails: its record is not taken.
    publish = (lambda: writer.write(record(2))) if published_by == "count" else writer.close
    with pytest.raises(OutputError, match=r"cannot publish .*run1-0001\.jsonl: Input/output"):
        publish()
    assert writer.published == []
    assert list((tmp_path / "jmn" / DAY).iterdir()) == []
    assert writer.lost == 1
    assert writer.count - writer.lost == 0
