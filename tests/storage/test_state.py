"""Tests of the incremental-crawl state, against real SQLite files and real output files.

The crash test runs the batch writer in a child process that dies between a file's
publication and its registration, the gap ``reconcile`` exists to close.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newscrawl.storage.backend import FailureStreak, retry_due
from newscrawl.storage.output import BatchWriter
from newscrawl.storage.state import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    ArticleState,
    StateError,
    StateStore,
    parse_since,
    published_files,
    published_history,
    read_records,
    read_rejects,
    register_history,
)

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-28"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CHILD_ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


class Clock:
    """A settable clock for first/last seen times."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def record(n: int | str, fingerprint: str | None = None, **extra: Any) -> dict[str, Any]:
    """Return a record (or record meta) for article ``n`` with a fingerprint of its own."""
    return {
        "url": f"https://jmn.info/{n}",
        "fingerprint": fingerprint if fingerprint is not None else f"fp-{n}",
        "revision": 1,
        **extra,
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[StateStore]:
    with StateStore(tmp_path / "state" / "jmn.sqlite3", clock=clock) as opened:
        yield opened


def publish(root: Path, records: list[dict[str, Any]], **options: Any) -> list[Path]:
    """Publish ``records`` for site "jmn" with the real writer, registering nothing."""
    writer = BatchWriter(root, "jmn", options.pop("run_id", "run1"), day=DAY, **options)
    for rec in records:
        writer.write(rec)
    return [batch.path for batch in writer.close()]


# -- opening ---------------------------------------------------------------------------


def test_creates_parent_folders_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "jmn.sqlite3"
    with StateStore(path) as store:
        assert store.stats() == {"articles": 0, "files": 0}
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert path.is_file()
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"articles", "aliases", "files", "meta"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def test_for_site_names_the_file_after_the_site(tmp_path: Path) -> None:
    with StateStore.for_site(tmp_path / ".state", "jmn") as store:
        assert store.path == tmp_path / ".state" / "jmn.sqlite3"
    assert (tmp_path / ".state" / "jmn.sqlite3").is_file()


@pytest.mark.parametrize("site", ["", "../jmn", ".hidden", "a/b", "jmn:1"])
def test_for_site_refuses_a_site_that_is_not_a_name(tmp_path: Path, site: str) -> None:
    with pytest.raises(ValueError, match="not a plain file-name part"):
        StateStore.for_site(tmp_path, site)


def test_state_survives_reopening(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "jmn.sqlite3"
    with StateStore(path, clock=clock) as store:
        store.register_batch(tmp_path / "b1.jsonl", [record(1, modified_at="2016-03-01")])
    with StateStore(path) as store:
        assert store.get("https://jmn.info/1") == ArticleState(
            url="https://jmn.info/1",
            fingerprint="fp-1",
            lastmod="2016-03-01",
            revision=1,
            first_seen="2026-11-28T09:00:00+00:00",
            last_seen="2026-11-28T09:00:00+00:00",
        )
        assert store.is_registered(tmp_path / "b1.jsonl")


def corrupt_garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database, just some text\n" * 200)


def corrupt_truncated(path: Path) -> None:
    with StateStore(path) as store:
        records = [record(n, body="x" * 500) for n in range(300)]
        store.register_batch(path.parent / "big.jsonl", records)
    size = path.stat().st_size
    with path.open("r+b") as stream:
        stream.truncate(size // 2)


def corrupt_header(path: Path) -> None:
    with StateStore(path) as store:
        store.register_batch(path.parent / "one.jsonl", [record(1)])
    with path.open("r+b") as stream:
        stream.seek(0)
        stream.write(b"\xff" * 100)


def foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()


def newer_schema(path: Path) -> None:
    StateStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


def a_folder(path: Path) -> None:
    path.mkdir()


def parent_is_a_file(path: Path) -> None:
    path.parent.rmdir()
    path.parent.write_text("not a folder")


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (corrupt_garbage, "not a usable SQLite database"),
        (corrupt_truncated, "not a usable SQLite database"),
        (corrupt_header, "not a usable SQLite database"),
        (foreign_database, "not a newscrawl state file"),
        (newer_schema, "schema version"),
        (a_folder, "is not a file"),
        (parent_is_a_file, "cannot open state file"),
    ],
)
def test_unusable_state_file_raises_state_error(tmp_path: Path, spoil: Any, message: str) -> None:
    path = tmp_path / "state" / "jmn.sqlite3"
    path.parent.mkdir()
    spoil(path)
    with pytest.raises(StateError, match=message) as caught:
        StateStore(path)
    assert str(path) in str(caught.value)


OPEN_STATE = """
import sys
from pathlib import Path
from newscrawl.storage.state import StateError, StateStore
try:
    StateStore(Path(sys.argv[1])).close()
except StateError as exc:
    print(exc)
    sys.exit(3)
"""


@pytest.mark.parametrize("folder_writable", [True, False])
def test_read_only_state_file_raises_state_error(tmp_path: Path, folder_writable: bool) -> None:
    """Run in a child that cannot override file permissions (also when the tests run as root)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("as root this needs setpriv to drop CAP_DAC_OVERRIDE")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    folder = tmp_path / "state"
    path = folder / "jmn.sqlite3"
    StateStore(path).close()
    path.chmod(0o444)
    if not folder_writable:
        folder.chmod(0o555)
    try:
        child = subprocess.run(
            [*prefix, sys.executable, "-c", OPEN_STATE, str(path)],
            cwd=ROOT,
            env=CHILD_ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        folder.chmod(0o755)
    assert child.returncode == 3, child.stderr
    assert f"cannot use state file {path}" in child.stdout
    assert "writable" in child.stdout


def test_an_empty_file_becomes_a_new_state(tmp_path: Path) -> None:
    path = tmp_path / "jmn.sqlite3"
    path.touch()
    with StateStore(path) as store:
        assert store.stats() == {"articles": 0, "files": 0}


def test_closed_store_raises_state_error(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "jmn.sqlite3")
    store.close()
    store.close()
    with pytest.raises(StateError, match="closed"):
        store.get("https://jmn.info/1")


# -- should_fetch ----------------------------------------------------------------------


def test_should_fetch_an_unknown_url(store: StateStore) -> None:
    assert store.should_fetch("https://jmn.info/1", None)
    assert store.should_fetch("https://jmn.info/1", "2016-03-01T10:00:00+03:00")


@pytest.mark.parametrize(
    ("stored", "given", "expected"),
    [
        pytest.param("2016-03-01T10:00:00+03:00", None, False, id="no-lastmod-given"),
        pytest.param("2016-03-01T10:00:00+03:00", "2016-03-01T10:00:00+03:00", False, id="same"),
        pytest.param(
            "2016-03-01T10:00:00+03:00", "2016-03-01T07:00:00+00:00", False, id="same-utc"
        ),
        pytest.param("2016-03-01T10:00:00+03:00", "2016-03-01T07:00:00Z", False, id="same-z"),
        pytest.param("2016-03-01T10:00:00+03:00", "2016-03-01T10:05:00+03:00", True, id="newer"),
        pytest.param(
            "2016-03-01T10:00:00+03:00", "2016-03-01T07:00:01+00:00", True, id="newer-utc"
        ),
        pytest.param("2016-03-01T10:00:00+03:00", "2016-02-29T10:00:00+03:00", False, id="older"),
        pytest.param(
            "2016-03-01T10:00:00+03:00", "2016-03-01T09:00:00+02:00", False, id="older-tz"
        ),
        pytest.param(None, "2016-03-01T10:00:00+03:00", True, id="none-stored"),
        pytest.param(None, None, False, id="none-both"),
        pytest.param("2016-03-01T10:00:00", "2016-03-01T10:00:00", False, id="naive-same"),
        pytest.param("2016-03-01T10:00:00", "2016-03-01T09:00:00", True, id="naive-differs"),
        pytest.param("2016-03-01T10:00:00+03:00", "2016-03-01T10:00:00", True, id="aware-naive"),
        pytest.param("2016-03-01T10:00:00", "2016-03-01T10:00:00+03:00", True, id="naive-aware"),
        pytest.param("2016-03-01", "2016-03-01", False, id="date-same"),
        pytest.param("2016-03-01", "2016-03-02", True, id="date-differs"),
        pytest.param("2016-03-01", " 2016-03-01\n", False, id="date-spaces"),
        pytest.param("вчера", "вчера", False, id="unparseable-same"),
        pytest.param("вчера", "сегодня", True, id="unparseable-differs"),
        pytest.param("2016-03-01T10:00:00+03:00", "not a date", True, id="aware-unparseable"),
    ],
)
def test_should_fetch_a_known_url(
    store: StateStore, stored: str | None, given: str | None, expected: bool
) -> None:
    store.register_batch(Path("b1.jsonl"), [record(1, lastmod=stored)])
    assert store.should_fetch("https://jmn.info/1", given) is expected


def test_note_seen_stores_the_lastmod_so_the_page_is_not_fetched_again(
    store: StateStore, clock: Clock
) -> None:
    url = "https://jmn.info/1"
    store.register_batch(Path("b1.jsonl"), [record(1, modified_at="2016-03-01T10:00:00+03:00")])
    assert store.should_fetch(url, "2016-03-01")
    clock.now = NOW + timedelta(hours=1)
    assert store.note_seen(url, "2016-03-01")
    assert not store.should_fetch(url, "2016-03-01")
    article = store.get(url)
    assert article is not None
    assert article.lastmod == "2016-03-01"
    assert article.last_seen == "2026-11-28T10:00:00+00:00"
    assert article.first_seen == "2026-11-28T09:00:00+00:00"


def test_note_seen_keeps_a_later_stored_lastmod(store: StateStore) -> None:
    url = "https://jmn.info/1"
    store.register_batch(Path("b1.jsonl"), [record(1, lastmod="2016-03-02T00:00:00+00:00")])
    assert store.note_seen(url, "2016-03-01T00:00:00+00:00")
    assert store.note_seen(url, None)
    article = store.get(url)
    assert article is not None
    assert article.lastmod == "2016-03-02T00:00:00+00:00"


def test_note_seen_ignores_an_unknown_url(store: StateStore) -> None:
    assert store.note_seen("https://jmn.info/nope", "2016-03-01") is False
    assert store.stats() == {"articles": 0, "files": 0}


# -- classify and keys -----------------------------------------------------------------


def test_classify_new_unchanged_revision(store: StateStore) -> None:
    url = "https://jmn.info/1"
    assert store.classify(url, "fp-1") == ("new", 1)
    store.register_batch(Path("b1.jsonl"), [record(1)])
    assert store.classify(url, "fp-1") == ("unchanged", 1)
    assert store.classify(url, "fp-edited") == ("revision", 2)
    store.register_batch(Path("b2.jsonl"), [record(1, "fp-edited", revision=2)])
    assert store.classify(url, "fp-edited") == ("unchanged", 2)
    assert store.classify(url, "fp-1") == ("revision", 3)
    assert store.stats() == {"articles": 1, "files": 2}


def test_canonical_url_matches_either_way(store: StateStore) -> None:
    fetched = "https://jmn.info/?p=1"
    canonical = "https://jmn.info/news/lavrov"
    store.register_batch(Path("b1.jsonl"), [record("?p=1", "fp", canonical_url=canonical)])
    for key in (fetched, canonical):
        article = store.get(key)
        assert article is not None
        assert (article.url, article.canonical_url) == (fetched, canonical)
        assert store.classify(key, "fp") == ("unchanged", 1)
        assert not store.should_fetch(key, None)


def test_an_article_reached_under_two_urls_is_one_article(store: StateStore) -> None:
    canonical = "https://jmn.info/news/lavrov"
    store.register_batch(Path("b1.jsonl"), [record("?p=1", "fp", canonical_url=canonical)])
    # A second URL of the same page, registered without a revision: worked out as unchanged.
    second = {"url": "https://jmn.info/amp/lavrov", "fingerprint": "fp", "canonical_url": canonical}
    store.register_batch(Path("b2.jsonl"), [second])
    assert store.stats() == {"articles": 1, "files": 2}
    article = store.get("https://jmn.info/amp/lavrov")
    assert article is not None
    assert (article.url, article.revision) == ("https://jmn.info/?p=1", 1)
    assert store.classify("https://jmn.info/amp/lavrov", "fp") == ("unchanged", 1)


def test_missing_revision_is_worked_out_like_classify(store: StateStore) -> None:
    store.register_batch(Path("b1.jsonl"), [{"url": "https://jmn.info/1", "fingerprint": "a"}])
    store.register_batch(Path("b2.jsonl"), [{"url": "https://jmn.info/1", "fingerprint": "b"}])
    store.register_batch(Path("b3.jsonl"), [{"url": "https://jmn.info/1", "fingerprint": "b"}])
    article = store.get("https://jmn.info/1")
    assert article is not None
    assert (article.fingerprint, article.revision) == ("b", 2)


def test_an_older_revision_does_not_replace_the_stored_one(store: StateStore) -> None:
    store.register_batch(Path("b2.jsonl"), [record(1, "fp-new", revision=2)])
    store.register_batch(Path("b1.jsonl"), [record(1, "fp-old", revision=1)])
    assert store.classify("https://jmn.info/1", "fp-new") == ("unchanged", 2)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"lastmod": "L", "modified_at": "M", "published_at": "P"}, "L"),
        ({"lastmod": None, "modified_at": "M", "published_at": "P"}, "M"),
        ({"modified_at": "", "published_at": "P"}, "P"),
        ({}, None),
    ],
)
def test_lastmod_comes_from_the_first_date_set(
    store: StateStore, fields: dict[str, Any], expected: str | None
) -> None:
    store.register_batch(Path("b1.jsonl"), [record(1, **fields)])
    article = store.get("https://jmn.info/1")
    assert article is not None
    assert article.lastmod == expected


def test_a_record_without_dates_keeps_the_stored_lastmod(store: StateStore) -> None:
    store.register_batch(Path("b1.jsonl"), [record(1, modified_at="2016-03-01")])
    store.register_batch(Path("b2.jsonl"), [record(1, "fp-2", revision=2)])
    article = store.get("https://jmn.info/1")
    assert article is not None
    assert (article.lastmod, article.revision) == ("2016-03-01", 2)


def test_fingerprint_owner_names_the_first_article_with_that_text(
    store: StateStore, clock: Clock
) -> None:
    store.register_batch(Path("b1.jsonl"), [record(1, "same", canonical_url="https://jmn.info/c1")])
    clock.now = NOW + timedelta(minutes=5)
    store.register_batch(Path("b2.jsonl"), [record(2, "same"), record(3, "other")])
    assert store.fingerprint_owner("same") == "https://jmn.info/1"
    assert store.fingerprint_owner("same", exclude_url="https://jmn.info/2") == "https://jmn.info/1"
    assert store.fingerprint_owner("same", exclude_url="https://jmn.info/1") == "https://jmn.info/2"
    # The article is excluded under its canonical URL too.
    assert (
        store.fingerprint_owner("same", exclude_url="https://jmn.info/c1") == "https://jmn.info/2"
    )
    assert store.fingerprint_owner("other", exclude_url="https://jmn.info/3") is None
    assert store.fingerprint_owner("unknown") is None


# -- register_batch --------------------------------------------------------------------


def test_register_batch_twice_is_a_no_op(store: StateStore, clock: Clock) -> None:
    path = Path("out/jmn") / DAY / "run1-0001.jsonl"
    store.register_batch(path, [record(1), record(2)])
    clock.now = NOW + timedelta(hours=1)
    store.register_batch(path, [record(1, "fp-changed", revision=2), record(3)])
    assert store.stats() == {"articles": 2, "files": 1}
    assert store.classify("https://jmn.info/1", "fp-1") == ("unchanged", 1)
    assert store.get("https://jmn.info/3") is None


def test_is_registered_by_absolute_path(
    store: StateStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = Path("out/jmn") / DAY / "run1-0001.jsonl"
    assert not store.is_registered(relative)
    store.register_batch(relative, [record(1)])
    assert store.is_registered(relative)
    assert store.is_registered(tmp_path / relative)
    assert not store.is_registered(tmp_path / "elsewhere" / relative)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"url": "https://jmn.info/x"}, "record 2 .* has no fingerprint"),
        ({"url": "https://jmn.info/x", "fingerprint": ""}, "has no fingerprint"),
        ({"fingerprint": "fp"}, "record 2 has no url"),
        ({"url": "", "fingerprint": "fp"}, "has no url"),
        ({"url": "https://jmn.info/x", "fingerprint": "fp", "revision": 0}, "invalid revision"),
        ({"url": "https://jmn.info/x", "fingerprint": "fp", "revision": "2"}, "invalid revision"),
        ({"url": "https://jmn.info/x", "fingerprint": "fp", "revision": True}, "invalid revision"),
        ({"url": "https://jmn.info/x", "fingerprint": "fp", "modified_at": 1}, "not a string"),
        ({"url": "https://jmn.info/x", "fingerprint": "fp", "canonical_url": 1}, "not a string"),
        (["https://jmn.info/x"], "is a list, not a mapping"),
    ],
)
def test_register_batch_is_all_or_nothing(store: StateStore, bad: Any, message: str) -> None:
    path = Path("out/jmn") / DAY / "run1-0001.jsonl"
    with pytest.raises(StateError, match=message) as caught:
        store.register_batch(path, [record(1), bad, record(3)])
    assert str(path) in str(caught.value)
    assert store.stats() == {"articles": 0, "files": 0}
    assert not store.is_registered(path)
    assert store.get("https://jmn.info/1") is None
    # The store is still usable: the same file registers once its records are right.
    store.register_batch(path, [record(1), record(3)])
    assert store.stats() == {"articles": 2, "files": 1}


def test_registration_through_on_publish(store: StateStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    writer = BatchWriter(
        out,
        "jmn",
        "run1",
        day=DAY,
        max_records=2,
        on_publish=lambda batch: store.register_batch(batch.path, batch.records_meta),
    )
    for n in range(5):
        rec = record(n, headline=f"Москва {n}")
        writer.write(rec, meta={key: rec[key] for key in ("url", "fingerprint", "revision")})
    published = writer.close()
    assert len(published) == 3
    assert all(store.is_registered(batch.path) for batch in published)
    assert store.stats() == {"articles": 5, "files": 3}
    assert store.reconcile(out, "jmn") == []


# -- reconcile -------------------------------------------------------------------------


def test_reconcile_registers_unregistered_files_only(store: StateStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = publish(out, [record(1), record(2)], run_id="run1")
    second = publish(out, [record(3, canonical_url="https://jmn.info/c3")], run_id="run2")
    store.register_batch(first[0], [record(1), record(2)])
    assert store.reconcile(out, "jmn") == second
    assert store.is_registered(second[0])
    assert store.classify("https://jmn.info/c3", "fp-3") == ("unchanged", 1)
    assert store.stats() == {"articles": 3, "files": 2}
    assert store.reconcile(out, "jmn") == []


def test_reconcile_reads_the_record_fields(store: StateStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rec = record(1, "fp-edited", revision=3, modified_at="2016-03-01T10:00:00+03:00")
    rec |= {"published_at": "2016-02-01T10:00:00+03:00", "body": ["Москва"], "tags": []}
    publish(out, [rec])
    store.reconcile(out, "jmn")
    article = store.get("https://jmn.info/1")
    assert article is not None
    assert (article.fingerprint, article.revision, article.lastmod) == (
        "fp-edited",
        3,
        "2016-03-01T10:00:00+03:00",
    )


def test_reconcile_reads_gzip_files(store: StateStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    paths = publish(out, [record(1), record(2)], compress=True)
    assert paths[0].name.endswith(".jsonl.gz")
    assert store.reconcile(out, "jmn") == paths
    assert store.stats() == {"articles": 2, "files": 1}


def test_reconcile_skips_temp_rejects_hidden_and_other_files(
    store: StateStore, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    published = publish(out, [record(1)])
    folder = out / "jmn" / DAY
    bad_line = b"{not json\n"
    (folder / ".run2-0001.jsonl.part").write_bytes(bad_line)
    (folder / ".run2-0001.jsonl.gz.part").write_bytes(bad_line)
    (folder / ".hidden.jsonl").write_bytes(bad_line)
    (folder / "notes.txt").write_bytes(bad_line)
    (folder / "run1.jsonl.bak").write_bytes(bad_line)
    rejects = BatchWriter(out, "jmn", "run1", day=DAY, kind="rejects")
    rejects.write({"url": "https://jmn.info/bad", "errors": [], "kind": "invalid"})
    (rejected,) = rejects.close()
    assert rejected.path.parent.name == "rejects"
    older = folder / "run1.rejects-0002.jsonl"  # the earlier rejects name
    older.write_text('{"url": "https://jmn.info/worse", "kind": "no-body"}\n', "utf-8")
    (out / "jmn" / "rejects").mkdir()
    (out / "jmn" / "rejects" / "run1-0001.jsonl").write_bytes(bad_line)
    (out / "jmn" / ".trash").mkdir()
    (out / "jmn" / ".trash" / "run1-0001.jsonl").write_bytes(bad_line)
    (out / "jmn" / "run0-0001.jsonl").write_bytes(bad_line)  # not in a day folder
    (out / "other" / DAY).mkdir(parents=True)
    (out / "other" / DAY / "run1-0001.jsonl").write_bytes(bad_line)
    assert published_files(out, "jmn") == published  # records files only
    # The rejects files register as rejects (their run's first), not as records.
    assert store.reconcile(out, "jmn") == [rejected.path, older, *published]
    assert store.stats() == {"articles": 1, "files": 1}
    assert not store.should_fetch("https://jmn.info/worse", None)


def test_reconcile_of_a_site_without_output(store: StateStore, tmp_path: Path) -> None:
    assert store.reconcile(tmp_path / "out", "jmn") == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"url": "https://jmn.info/1", "fingerprint": "a"}\n{oops\n', "line 2 is not JSON"),
        (b'["https://jmn.info/1"]\n', "line 1 is not a JSON object"),
        (b'{"url": "https://jmn.info/1"}\n', "record 1 .* has no fingerprint"),
        (b"\xff\xfe\n", "line 1 is not JSON"),
    ],
)
def test_reconcile_refuses_an_invalid_file(
    store: StateStore, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "out" / "jmn" / DAY / "run1-0001.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(StateError, match=message) as caught:
        store.reconcile(tmp_path / "out", "jmn")
    assert str(path) in str(caught.value)
    assert not store.is_registered(path)


def test_reconcile_refuses_a_broken_gzip_file(store: StateStore, tmp_path: Path) -> None:
    path = tmp_path / "out" / "jmn" / DAY / "run1-0001.jsonl.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(json.dumps(record(1)).encode())[:-12])
    with pytest.raises(StateError, match="cannot read output file"):
        store.reconcile(tmp_path / "out", "jmn")


def test_reconcile_closes_the_gap_of_a_crash_before_registration(tmp_path: Path) -> None:
    """A child publishes two batches and dies before registering the second one."""
    out, state = tmp_path / "out", tmp_path / "state"
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from newscrawl.storage.output import BatchWriter
        from newscrawl.storage.state import StateStore

        store = StateStore.for_site(Path({str(state)!r}), "jmn")

        def on_publish(batch):
            if batch.path.name.endswith("-0002.jsonl"):
                os._exit(9)  # dies after the rename, before the registration
            store.register_batch(batch.path, batch.records_meta)

        writer = BatchWriter(Path({str(out)!r}), "jmn", "run1", day={DAY!r}, max_records=2,
                             on_publish=on_publish)
        for n in range(4):
            rec = {{"url": f"https://jmn.info/{{n}}", "fingerprint": f"fp-{{n}}", "revision": 1}}
            writer.write(rec, meta=rec)
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=CHILD_ENV, capture_output=True, timeout=60
    )
    assert child.returncode == 9, child.stderr.decode()
    folder = out / "jmn" / DAY
    assert sorted(p.name for p in folder.iterdir()) == ["run1-0001.jsonl", "run1-0002.jsonl"]
    with StateStore.for_site(state, "jmn") as store:
        assert store.stats() == {"articles": 2, "files": 1}
        assert store.classify("https://jmn.info/2", "fp-2") == ("new", 1)
        assert store.reconcile(out, "jmn") == [folder / "run1-0002.jsonl"]
        assert store.classify("https://jmn.info/2", "fp-2") == ("unchanged", 1)
        assert store.stats() == {"articles": 4, "files": 2}


# -- parse_since -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("12h", NOW - timedelta(hours=12)),
        ("2d", NOW - timedelta(days=2)),
        ("1w", NOW - timedelta(weeks=1)),
        ("0h", NOW),
        (" 2d ", NOW - timedelta(days=2)),
        ("2016-03-01", datetime(2016, 3, 1, tzinfo=UTC)),
        ("2016-03-01T10:00:00+03:00", datetime(2016, 3, 1, 7, tzinfo=UTC)),
        ("2016-03-01T10:00:00Z", datetime(2016, 3, 1, 10, tzinfo=UTC)),
        ("2016-03-01T10:00", datetime(2016, 3, 1, 10, tzinfo=UTC)),
        ("2016-03-01 10:00:00", datetime(2016, 3, 1, 10, tzinfo=UTC)),
    ],
)
def test_parse_since(value: str, expected: datetime) -> None:
    result = parse_since(value, NOW)
    assert result == expected
    assert result.tzinfo == UTC


def test_parse_since_counts_back_from_an_aware_now_in_any_zone() -> None:
    moscow = NOW.astimezone(timezone(timedelta(hours=3)))
    assert parse_since("1h", moscow) == NOW - timedelta(hours=1)


@pytest.mark.parametrize(
    "value",
    ["", " ", "2", "d", "2 days", "2M", "2D", "-2d", "1.5h", "2y", "yesterday", "2016-13-01",
     "2016-03-01T25:00", "01.03.2016", "2016-03-01garbage"],
)  # fmt: skip
def test_parse_since_refuses_anything_else(value: str) -> None:
    with pytest.raises(ValueError, match=r"neither a duration .* nor an ISO 8601 date"):
        parse_since(value, NOW)


@pytest.mark.parametrize(
    "value", ["1000000d", "99999999999d", "99999999999w", "0001-01-01T00:00:00+01:00"]
)
def test_parse_since_refuses_a_moment_a_datetime_cannot_hold_with_a_value_error(
    value: str,
) -> None:
    with pytest.raises(ValueError, match=r"is out of range"):
        parse_since(value, NOW)


def test_parse_since_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_since("2d", datetime(2026, 11, 28, 9, 0))


# -- rebuilding from the whole output: records and rejects ------------------------------


def reject(n: int | str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"url": f"https://jmn.info/{n}", "errors": [], "record": None, "kind": kind, **extra}


def test_history_orders_runs_and_puts_a_runs_rejects_before_its_records(tmp_path: Path) -> None:
    out = tmp_path / "out"
    late_records = publish(out, [record(1)], run_id="20261128T100000Z")
    late_rejects = publish(out, [reject(2, "empty")], run_id="20261128T100000Z", kind="rejects")
    early_rejects = publish(out, [reject(1, "empty")], run_id="20261128T090000Z", kind="rejects")
    many = publish(out, [reject(n, "empty") for n in range(3)], run_id="20261128T090000Z",
                   kind="rejects", max_records=1)  # fmt: skip
    assert many[0] != early_rejects[0]
    assert published_history(out, "jmn") == [
        *[("rejects", p) for p in sorted(early_rejects + many)],
        ("rejects", late_rejects[0]),
        ("records", late_records[0]),
    ]


def test_a_reject_then_a_record_in_a_later_run_ends_known(
    store: StateStore, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    publish(out, [reject(1, "truncated"), reject(2, "not-article")], run_id="20261128T090000Z",
            kind="rejects")  # fmt: skip
    publish(out, [record(1)], run_id="20261128T100000Z")
    publish(out, [reject(3, "empty")], run_id="20261128T100000Z", kind="rejects")
    registered, rejects = register_history(store, out, "jmn")
    assert (len(registered), rejects) == (1, 3)
    assert store.get("https://jmn.info/1") is not None
    assert store.failed_before("https://jmn.info/1") is None
    assert not store.should_fetch("https://jmn.info/1", None)
    assert not store.should_fetch("https://jmn.info/2", None)  # a content reject
    assert store.should_fetch("https://jmn.info/3", None)
    assert store.failed_before("https://jmn.info/3") == "empty"
    assert register_history(store, out, "jmn") == ([], 0)  # each file once
    streak = store.failure_streak("https://jmn.info/3")
    assert streak is not None
    assert streak.failures == 1  # not counted again


def test_read_rejects_dates_a_reject_by_its_line_its_record_or_its_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    lines = [
        reject(1, "not-article", lastmod="2016-03-24T10:00:00+00:00"),
        reject(2, "invalid", record={"modified_at": None, "published_at": "2016-03-20"}),
        reject(3, "no-body", lastmod=None),
        {"url": None, "kind": "invalid"},  # no page: not registered by the crawl either
    ]
    (path,) = publish(out, lines, run_id="20261128T093000Z", kind="rejects")
    assert read_rejects(path) == [
        {"url": "https://jmn.info/1", "kind": "not-article",
         "lastmod": "2016-03-24T10:00:00+00:00", "rejected_at": "2026-11-28T09:30:00+00:00"},
        {"url": "https://jmn.info/2", "kind": "invalid", "lastmod": "2016-03-20",
         "rejected_at": "2026-11-28T09:30:00+00:00"},
        {"url": "https://jmn.info/3", "kind": "no-body",
         "lastmod": "2026-11-28T09:30:00+00:00", "rejected_at": "2026-11-28T09:30:00+00:00"},
    ]  # fmt: skip
    (other,) = publish(out, [reject(4, "empty")], run_id="manual", kind="rejects")
    os.utime(other, (NOW.timestamp(), NOW.timestamp()))
    assert read_rejects(other)[0]["rejected_at"] == NOW.isoformat(timespec="seconds")


def test_read_records_dates_a_page_by_its_fetch_unless_its_own_date_is_later(
    tmp_path: Path,
) -> None:
    """A record read back dates its page by when it was fetched (``crawled_at``, else its
    run's start), so that a sitemap date from before the fetch is no change; by its own
    date when that is later."""
    out = tmp_path / "out"
    fetched = "2026-11-28T09:40:00+00:00"
    lines = [
        record(1, modified_at="2026-11-28T09:35:00+00:00", crawled_at=fetched),
        record(2, published_at="2026-11-28T09:45:00+01:00", crawled_at=fetched),  # 08:45 UTC
        record(3, published_at="2026-11-28T09:45:00+00:00", crawled_at=fetched),
        record(4, modified_at="2026-11-27"),
        record(5, modified_at="2026-11-27", crawled_at="2026-11-28T09:00:00+00:00"),
        record(6, modified_at="2026-11-27", crawled_at="not a time"),
    ]
    (path,) = publish(out, lines, run_id="20261128T093000Z")
    assert [line["lastmod"] for line in read_records(path)] == [
        fetched,
        fetched,
        "2026-11-28T09:45:00+00:00",
        "2026-11-28T09:30:00+00:00",  # no fetch time: its run's start
        "2026-11-28T09:30:00+00:00",  # fetched before its run started: a clock gone wrong
        "2026-11-28T09:30:00+00:00",
    ]
    (manual,) = publish(out, lines[:1] + lines[3:4], run_id="manual")
    assert [line["lastmod"] for line in read_records(manual)] == [fetched, "2026-11-27"]


def test_read_rejects_refuses_a_line_without_a_kind(tmp_path: Path) -> None:
    (path,) = publish(tmp_path, [{"url": "https://jmn.info/1"}], kind="rejects")
    with pytest.raises(StateError, match=r"line 1 \(\S+\) has no kind"):
        read_rejects(path)


# -- the failed-page backoff -------------------------------------------------------------------

HOUR, WEEK = 3600.0, 7 * 86400.0
LAST = "2016-03-25T09:00:00+00:00"


@pytest.mark.parametrize(
    ("failures", "base", "cap", "due"),
    [
        pytest.param(1, HOUR, WEEK, None, id="first-retry-next-run"),
        pytest.param(2, HOUR, WEEK, "2016-03-25T11:00:00+00:00", id="second-2h"),
        pytest.param(3, HOUR, WEEK, "2016-03-25T13:00:00+00:00", id="third-4h"),
        pytest.param(8, HOUR, WEEK, "2016-03-30T17:00:00+00:00", id="eighth-128h"),
        pytest.param(9, HOUR, WEEK, "2016-04-01T09:00:00+00:00", id="ninth-capped"),
        pytest.param(10, HOUR, WEEK, "2016-04-01T09:00:00+00:00", id="capped"),
        pytest.param(100_000, HOUR, WEEK, "2016-04-01T09:00:00+00:00", id="huge-streak"),
        pytest.param(5, 0.0, WEEK, None, id="base-0-off"),
        pytest.param(5, HOUR, 0.0, None, id="cap-0-off"),
    ],
)
def test_retry_due(failures: int, base: float, cap: float, due: str | None) -> None:
    moment = retry_due(FailureStreak(failures, LAST), base, cap)
    assert (moment.isoformat() if moment else None) == due


@pytest.mark.parametrize("last", ["", "2016-03-25T09:00:00", "yesterday"])
def test_retry_due_without_a_readable_last_try_is_at_once(last: str) -> None:
    assert retry_due(FailureStreak(5, last), HOUR, WEEK) is None


OLD_LAYOUT = """
CREATE TABLE articles (url TEXT PRIMARY KEY, canonical_url TEXT, fingerprint TEXT NOT NULL,
    lastmod TEXT, revision INTEGER NOT NULL CHECK (revision >= 1), first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL);
CREATE INDEX articles_fingerprint ON articles (fingerprint);
CREATE TABLE aliases (alias TEXT PRIMARY KEY, url TEXT NOT NULL REFERENCES articles (url));
CREATE TABLE files (path TEXT PRIMARY KEY, records INTEGER NOT NULL, registered_at TEXT NOT NULL);
CREATE TABLE rejected (url TEXT PRIMARY KEY, lastmod TEXT, kind TEXT NOT NULL,
    rejected_at TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def test_a_state_of_the_layout_before_the_failure_streak_opens(tmp_path: Path) -> None:
    """A state written by the version before (no ``failures`` column) opens; its rejects
    count one failure each, and the next reject adds one."""
    path = tmp_path / "jmn.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_LAYOUT)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    row = ("https://jmn.info/1", None, "truncated", LAST)
    conn.execute("INSERT INTO rejected VALUES (?, ?, ?, ?)", row)
    conn.commit()
    conn.close()
    with StateStore(path) as store:
        assert store.failed_before("https://jmn.info/1") == "truncated"
        assert store.failure_streak("https://jmn.info/1") == FailureStreak(1, LAST)
        store.register_rejects([{"url": "https://jmn.info/1", "kind": "truncated"}])
        streak = store.failure_streak("https://jmn.info/1")
        assert streak is not None
        assert streak.failures == 2
    with StateStore(path) as store:  # and opens again, the column added once
        streak = store.failure_streak("https://jmn.info/1")
        assert streak is not None
        assert streak.failures == 2
