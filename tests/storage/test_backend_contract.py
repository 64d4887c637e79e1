"""Every state backend keeps the promises of ``StateBackend``: SQLite (the default) and
Redis (distributed mode, against the real Redis; skipped when none answers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newscrawl.storage.backend import FailureStreak, RecordVerdict, StateBackend, Verdict
from newscrawl.storage.state import StateError, StateStore

A = "https://jmn.info/a/"
B = "https://jmn.info/b/"


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        backend: Any = StateStore.for_site(tmp_path / "state", "jmn")
    else:
        from newscrawl.storage.redis_state import RedisStateStore

        client, prefix = request.getfixturevalue("redis_prefix")
        backend = RedisStateStore(client, prefix, "jmn")
    yield backend
    backend.close()


def rec(url: str = A, fingerprint: str = "f1", **extra: Any) -> dict[str, Any]:
    return {"url": url, "fingerprint": fingerprint, **extra}


def test_is_a_state_backend(store: Any) -> None:
    assert isinstance(store, StateBackend)


def test_unknown_page_is_new_and_fetched(store: Any) -> None:
    assert store.should_fetch(A, None)
    assert store.classify(A, "f1") == ("new", 1)
    assert store.fingerprint_owner("f1") is None


def test_registered_page_is_known(store: Any, tmp_path: Path) -> None:
    store.register_batch(tmp_path / "1.jsonl", [rec(lastmod="2016-03-24T10:00:00+03:00")])
    assert store.classify(A, "f1") == ("unchanged", 1)
    assert store.classify(A, "f2") == ("revision", 2)
    assert not store.should_fetch(A, None)
    assert not store.should_fetch(A, "2016-03-24T07:00:00+00:00")  # the same instant
    assert store.should_fetch(A, "2016-03-25T10:00:00+03:00")
    assert store.is_registered(tmp_path / "1.jsonl")
    assert store.stats() == {"articles": 1, "files": 1}


def test_known_under_its_canonical_url(store: Any, tmp_path: Path) -> None:
    store.register_batch(tmp_path / "1.jsonl", [rec("https://jmn.info/?p=1", canonical_url=A)])
    assert store.classify(A, "f1") == ("unchanged", 1)
    # Reached later under the canonical URL with new text: a revision of the same article.
    store.register_batch(tmp_path / "2.jsonl", [rec(A, "f2")])
    assert store.classify("https://jmn.info/?p=1", "f2") == ("unchanged", 2)
    assert store.stats()["articles"] == 1


def test_a_file_registers_once(store: Any, tmp_path: Path) -> None:
    store.register_batch(tmp_path / "1.jsonl", [rec()])
    store.register_batch(tmp_path / "2.jsonl", [rec(fingerprint="f2")])
    store.register_batch(tmp_path / "2.jsonl", [rec(fingerprint="f3")])
    assert store.classify(A, "f2") == ("unchanged", 2)


def test_an_older_revision_does_not_replace_a_newer(store: Any, tmp_path: Path) -> None:
    store.register_batch(tmp_path / "1.jsonl", [rec(fingerprint="f3", revision=3)])
    store.register_batch(tmp_path / "2.jsonl", [rec(fingerprint="f2", revision=2)])
    assert store.classify(A, "f3") == ("unchanged", 3)


def test_a_bad_record_registers_nothing(store: Any, tmp_path: Path) -> None:
    with pytest.raises(StateError, match="record 2"):
        store.register_batch(tmp_path / "1.jsonl", [rec(), {"url": B}])
    assert store.classify(A, "f1") == ("new", 1)
    assert not store.is_registered(tmp_path / "1.jsonl")


def test_fingerprint_owner_is_the_first_other_article(store: Any, tmp_path: Path) -> None:
    store.register_batch(tmp_path / "1.jsonl", [rec(A, "same")])
    store.register_batch(tmp_path / "2.jsonl", [rec(B, "same")])
    assert store.fingerprint_owner("same") == A
    assert store.fingerprint_owner("same", exclude_url=A) == B
    assert store.fingerprint_owner("other") is None


def test_rejected_page_waits_for_a_change(store: Any, tmp_path: Path) -> None:
    store.register_rejects([{"url": B, "kind": "not-article", "lastmod": "2016-03-24"}])
    assert not store.should_fetch(B, None)
    assert not store.should_fetch(B, "2016-03-24")
    assert store.should_fetch(B, "2016-03-25")
    store.register_batch(tmp_path / "1.jsonl", [rec(B)])  # later written after all
    store.register_rejects([])
    assert store.classify(B, "f1") == ("unchanged", 1)


def test_note_seen_keeps_the_newer_lastmod(store: Any, tmp_path: Path) -> None:
    assert not store.note_seen(A, "2016-03-25T00:00:00+00:00")
    store.register_batch(tmp_path / "1.jsonl", [rec(lastmod="2016-03-24T00:00:00+00:00")])
    assert store.note_seen(A, "2016-03-25T00:00:00+00:00")
    assert not store.should_fetch(A, "2016-03-25T00:00:00+00:00")
    assert store.should_fetch(A, "2016-03-26T00:00:00+00:00")


def test_reconcile_registers_published_files_once(store: Any, tmp_path: Path) -> None:
    day = tmp_path / "out" / "jmn" / "2016-03-25"
    day.mkdir(parents=True)
    (day / "r-0001.jsonl").write_text(json.dumps(rec()) + "\n", encoding="utf-8")
    assert store.reconcile(tmp_path / "out", "jmn") == [day / "r-0001.jsonl"]
    assert store.reconcile(tmp_path / "out", "jmn") == []
    assert store.classify(A, "f1") == ("unchanged", 1)


def test_closed_store_refuses_work(store: Any) -> None:
    store.close()
    store.close()
    with pytest.raises(StateError, match="closed"):
        store.classify(A, "f1")


def test_a_later_reject_without_a_date_keeps_the_known_one(store: Any) -> None:
    store.register_rejects([{"url": B, "kind": "not-article", "lastmod": "2016-03-24"}])
    store.register_rejects([{"url": B, "kind": "invalid", "lastmod": None}])
    assert not store.should_fetch(B, "2016-03-24")


def test_a_page_that_failed_for_a_passing_reason_is_fetched_again_and_known_to_have_failed(
    store: Any, tmp_path: Path
) -> None:
    store.register_rejects([{"url": A, "kind": "truncated", "lastmod": "2016-03-24"}])
    store.register_rejects([{"url": B, "kind": "no-body", "lastmod": "2016-03-24"}])
    assert store.should_fetch(A, None)
    assert store.should_fetch(A, "2016-03-24")
    assert store.failed_before(A) == "truncated"
    assert not store.should_fetch(B, "2016-03-24")  # a content reject: known until it changes
    assert store.failed_before(B) is None
    assert store.failed_before("https://jmn.info/never-seen/") is None
    store.register_batch(tmp_path / "1.jsonl", [rec(A)])  # the next run gave its record
    assert store.failed_before(A) is None


def test_a_revised_article_no_longer_owns_its_old_text(store: Any, tmp_path: Path) -> None:
    store.register_batch(tmp_path / "1.jsonl", [rec(A, "old")])
    store.register_batch(tmp_path / "2.jsonl", [rec(A, "new")])
    assert store.fingerprint_owner("old") is None
    assert store.fingerprint_owner("new") == A


def test_a_failure_streak_counts_runs_in_a_row_until_a_record(store: Any, tmp_path: Path) -> None:
    """The failed-page backoff's facts: failures in a row and the last try, for the pages the
    next run retries only; a record ends the streak, and the next failure starts anew."""
    assert store.failure_streak(A) is None
    for run, hour in enumerate(("09", "10", "11"), start=1):
        tried = f"2016-03-25T{hour}:00:00+00:00"
        store.register_rejects([{"url": A, "kind": "truncated", "rejected_at": tried}])
        assert store.failure_streak(A) == FailureStreak(run, tried)
    store.register_rejects([{"url": A, "kind": "download-error", "lastmod": None}])
    streak = store.failure_streak(A)
    assert streak is not None
    assert streak.failures == 4
    store.register_rejects([{"url": B, "kind": "not-article"}])
    assert store.failure_streak(B) is None  # a content reject waits for a change instead
    store.register_batch(tmp_path / "1.jsonl", [rec(A)])
    assert store.failure_streak(A) is None
    tried = "2016-03-26T09:00:00+00:00"
    store.register_rejects([{"url": A, "kind": "empty", "rejected_at": tried}])
    assert store.failure_streak(A) == FailureStreak(1, tried)


NOW = datetime(2016, 3, 25, 12, 0, tzinfo=UTC)
HOUR = (3600.0, 7 * 86400.0)


def test_the_verdict_is_fetch_known_or_deferred(store: Any, tmp_path: Path) -> None:
    """One question, three answers: what ``should_fetch`` and the failed-page backoff
    answered in two lookups."""
    c, d, e = "https://jmn.info/c/", "https://jmn.info/d/", "https://jmn.info/e/"
    assert store.verdict(A, None, HOUR, NOW) is Verdict.FETCH  # never seen
    store.register_batch(
        tmp_path / "1.jsonl",
        [rec(A, lastmod="2016-03-24T10:00:00+00:00", canonical_url=f"{A}?amp")],
    )
    assert store.verdict(A, None, HOUR, NOW) is Verdict.KNOWN
    assert store.verdict(f"{A}?amp", "2016-03-24T10:00:00+00:00", HOUR, NOW) is Verdict.KNOWN
    assert store.verdict(A, "2016-03-25T10:00:00+00:00", HOUR, NOW) is Verdict.FETCH
    store.register_rejects([{"url": B, "kind": "no-body", "lastmod": "2016-03-24"}])
    assert store.verdict(B, "2016-03-24", HOUR, NOW) is Verdict.KNOWN
    assert store.verdict(B, "2016-03-25", HOUR, NOW) is Verdict.FETCH
    # Failed twice, last at 11:00: waits two hours from then, until 13:00.
    for _ in range(2):
        store.register_rejects(
            [{"url": c, "kind": "truncated", "rejected_at": "2016-03-25T11:00:00+00:00"}]
        )
    assert store.verdict(c, None, HOUR, NOW) is Verdict.DEFERRED
    assert store.verdict(c, "2016-03-25", HOUR, NOW) is Verdict.DEFERRED
    assert store.verdict(c, None, HOUR, datetime(2016, 3, 25, 13, 1, tzinfo=UTC)) is Verdict.FETCH
    assert store.verdict(c, None, (0.0, 0.0), NOW) is Verdict.FETCH  # the backoff off
    assert store.verdict(c, None) is Verdict.FETCH  # by default too
    assert store.should_fetch(c, None)
    # Failed once: the next run tries it.
    store.register_rejects(
        [{"url": d, "kind": "download-error", "rejected_at": "2016-03-25T11:00:00+00:00"}]
    )
    assert store.verdict(d, None, HOUR, NOW) is Verdict.FETCH
    # A written article that then failed twice: known while its date stands, deferred
    # when a changed date makes it worth a fetch.
    store.register_batch(tmp_path / "2.jsonl", [rec(e, "f5", lastmod="2016-03-24T00:00:00+00:00")])
    for _ in range(2):
        store.register_rejects(
            [{"url": e, "kind": "truncated", "rejected_at": "2016-03-25T11:00:00+00:00"}]
        )
    assert store.verdict(e, None, HOUR, NOW) is Verdict.KNOWN
    assert store.verdict(e, "2016-03-25T00:00:00+00:00", HOUR, NOW) is Verdict.DEFERRED


def test_a_written_article_that_became_a_content_reject_waits_for_its_next_change(
    store: Any, tmp_path: Path
) -> None:
    """An article written under one date whose page, dated later by its sitemap, gave a
    content reject (its body gone): the next runs offered the same later date do not fetch
    it again (each such fetch was a fresh reject that failed the run, every hour); a date
    later still does."""
    store.register_batch(tmp_path / "1.jsonl", [rec(A, lastmod="2016-03-24T10:00:00+00:00")])
    assert store.verdict(A, "2016-03-25T10:00:00+00:00", HOUR, NOW) is Verdict.FETCH
    store.register_rejects([{"url": A, "kind": "no-body", "lastmod": "2016-03-25T10:00:00+00:00"}])
    assert store.verdict(A, "2016-03-25T10:00:00+00:00", HOUR, NOW) is Verdict.KNOWN
    assert store.verdict(A, "2016-03-25T13:00:00+03:00", HOUR, NOW) is Verdict.KNOWN
    assert store.verdict(A, None, HOUR, NOW) is Verdict.KNOWN
    assert not store.should_fetch(A, "2016-03-25T10:00:00+00:00")
    assert store.verdict(A, "2016-03-26T10:00:00+00:00", HOUR, NOW) is Verdict.FETCH
    # A reject that knew no date changes nothing: the article's own date stands.
    store.register_batch(tmp_path / "2.jsonl", [rec(B, lastmod="2016-03-24T10:00:00+00:00")])
    store.register_rejects([{"url": B, "kind": "not-article", "lastmod": None}])
    assert store.verdict(B, "2016-03-24T10:00:00+00:00", HOUR, NOW) is Verdict.KNOWN
    assert store.verdict(B, "2016-03-25T10:00:00+00:00", HOUR, NOW) is Verdict.FETCH


def test_a_written_article_whose_later_version_failed_to_download_is_fetched_again(
    store: Any, tmp_path: Path
) -> None:
    """A written article dated later by a feed, whose fetch of that later version failed:
    the next run tries it again though no entry point dates it any more (the item left
    the feed), since its failure's date says the state holds an older version; with the
    backoff if it keeps failing. A record of the new version ends it."""
    store.register_batch(tmp_path / "1.jsonl", [rec(A, lastmod="2016-03-24T10:00:00+00:00")])
    tried = "2016-03-25T11:00:00+00:00"
    later = "2016-03-25T10:00:00+00:00"
    store.register_rejects(
        [{"url": A, "kind": "http-error", "lastmod": later, "rejected_at": tried}]
    )
    assert store.verdict(A, None, HOUR, NOW) is Verdict.FETCH
    assert store.verdict(A, "2016-03-24T10:00:00+00:00", HOUR, NOW) is Verdict.FETCH
    assert store.should_fetch(A, None)
    store.register_rejects([{"url": A, "kind": "empty", "lastmod": None, "rejected_at": tried}])
    assert store.verdict(A, None, HOUR, NOW) is Verdict.DEFERRED
    store.register_batch(tmp_path / "2.jsonl", [rec(A, "f2", lastmod=later, revision=2)])
    assert store.verdict(A, None, HOUR, NOW) is Verdict.KNOWN
    # A failure of no later date (fetched for no change of date) leaves the article known.
    store.register_rejects([{"url": A, "kind": "http-error", "lastmod": None}])
    assert store.verdict(A, None, HOUR, NOW) is Verdict.KNOWN


@pytest.mark.parametrize("how", ["note_seen", "dedup"])
def test_an_unchanged_answer_ends_a_written_articles_failures(
    store: Any, tmp_path: Path, how: str
) -> None:
    """The page of a written article whose later version failed to download answers, with
    the text the state has: noted seen, it has no failure left to try again (it would be
    fetched every run, found unchanged every time), and it is no page that failed before.
    A content reject stays: the page waits for its next date."""
    store.register_batch(tmp_path / "1.jsonl", [rec(A, lastmod="2016-03-24T10:00:00+00:00")])
    later = "2016-03-25T10:00:00+00:00"
    store.register_rejects([{"url": A, "kind": "download-error", "lastmod": later}])
    assert store.failed_before(A) == "download-error"
    if how == "note_seen":
        assert store.note_seen(A, None)
    else:
        assert store.dedup([A], "f1", note=True, lastmod=None).status == "unchanged"
    assert store.verdict(A, None, HOUR, NOW) is Verdict.KNOWN
    assert store.failed_before(A) is None
    assert store.failure_streak(A) is None
    store.register_batch(tmp_path / "2.jsonl", [rec(B, lastmod="2016-03-24T10:00:00+00:00")])
    store.register_rejects([{"url": B, "kind": "no-body", "lastmod": later}])
    store.note_seen(B, None)
    assert store.verdict(B, later, HOUR, NOW) is Verdict.KNOWN


def test_failed_pages_are_those_a_later_run_tries_again(store: Any, tmp_path: Path) -> None:
    """The pages whose last reject is not a content reject, sorted: a run retries them
    whether or not an entry point still links them. A content reject waits for a change,
    and a record ends a failure."""
    c = "https://jmn.info/c/"
    assert store.failed_pages() == []
    store.register_rejects([{"url": A, "kind": "empty"}, {"url": B, "kind": "not-article"}])
    store.register_rejects([{"url": c, "kind": "http-error"}, {"url": A, "kind": "truncated"}])
    assert store.failed_pages() == [A, c]
    store.register_batch(tmp_path / "1.jsonl", [rec(A)])
    assert store.failed_pages() == [c]


def test_a_last_try_after_now_is_no_reason_to_wait(store: Any) -> None:
    """A clock that went back (or a run on a machine whose clock ran ahead) left a last try
    later than now: the backoff, at most a week from a try, would hold the page for as
    long as the clock was ahead, plus the wait. Such a page is fetched at once; its next
    failure dates the streak by the clock as it is."""
    ahead = "2017-03-25T11:00:00+00:00"  # a year after NOW
    for _ in range(3):
        store.register_rejects([{"url": A, "kind": "truncated", "rejected_at": ahead}])
    assert store.verdict(A, None, HOUR, NOW) is Verdict.FETCH
    store.register_rejects(
        [{"url": A, "kind": "truncated", "rejected_at": "2016-03-25T11:00:00+00:00"}]
    )
    assert store.verdict(A, None, HOUR, NOW) is Verdict.DEFERRED


def test_the_verdict_is_one_lookup(
    store: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A page's verdict costs one query (SQLite) or one round trip (Redis), also for a page
    that failed before, whose backoff needs its failure streak."""
    store.register_rejects(
        [{"url": B, "kind": "truncated", "rejected_at": "2016-03-25T11:00:00+00:00"}]
    )
    store.register_rejects(
        [{"url": B, "kind": "truncated", "rejected_at": "2016-03-25T11:00:00+00:00"}]
    )
    if isinstance(store, StateStore):
        statements: list[str] = []
        store._db.set_trace_callback(statements.append)
        assert store.verdict(B, None, HOUR, NOW) is Verdict.DEFERRED
        store._db.set_trace_callback(None)
        assert len(statements) == 1
        return
    from newscrawl.storage.redis_state import RedisStateStore
    from tests.redis_support import counting_client

    _, prefix = request.getfixturevalue("redis_prefix")
    counted = RedisStateStore(counting_client(), prefix, "jmn")
    counted.verdict(A, None)  # Redis learns the script
    counted._client.sent.clear()
    assert counted.verdict(B, None, HOUR, NOW) is Verdict.DEFERRED
    assert counted._client.sent == ["EVALSHA"]
    counted.close()


def rejects_file(out: Path, run: str, *lines: dict[str, Any]) -> Path:
    """Publish a rejects file of ``run`` (a run id that is a time) as the writer names it."""
    folder = out / "jmn" / "2016-03-25" / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run}-0001.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_reconcile_registers_the_rejects_a_dead_run_left(store: Any, tmp_path: Path) -> None:
    """A run that died between publishing a rejects file and registering it: the next
    run's start registers its pages, once (a content reject is known, a failure counts
    one run of its streak)."""
    out = tmp_path / "out"
    lines = ({"url": B, "kind": "not-article"}, {"url": A, "kind": "truncated"})
    dead = rejects_file(out, "20160325T090000Z", *lines)
    assert store.should_fetch(B, None)
    assert store.reconcile(out, "jmn") == [dead]
    assert not store.should_fetch(B, None)
    assert store.failure_streak(A) == FailureStreak(1, "2016-03-25T09:00:00+00:00")
    assert store.reconcile(out, "jmn") == []
    assert store.failure_streak(A) == FailureStreak(1, "2016-03-25T09:00:00+00:00")


def test_a_rejects_file_registered_as_published_is_not_reconciled(
    store: Any, tmp_path: Path
) -> None:
    from newscrawl.storage.state import read_rejects

    out = tmp_path / "out"
    path = rejects_file(out, "20160325T100000Z", {"url": A, "kind": "truncated"})
    store.register_rejects(read_rejects(path), path=path)
    store.register_rejects(read_rejects(path), path=path)  # once
    assert store.is_registered(path)
    assert store.reconcile(out, "jmn") == []
    assert store.failure_streak(A) == FailureStreak(1, "2016-03-25T10:00:00+00:00")


def test_a_state_of_an_older_version_adopts_its_rejects_files(store: Any, tmp_path: Path) -> None:
    """An older version registered the pages of its rejects files but not the files: the
    first reconcile takes the published ones as registered instead of counting their pages
    again; a file published later registers."""
    out = tmp_path / "out"
    old = rejects_file(out, "20160325T090000Z", {"url": A, "kind": "truncated"})
    store.register_rejects(
        [{"url": A, "kind": "truncated", "rejected_at": "2016-03-25T09:00:00+00:00"}]
    )
    if isinstance(store, StateStore):  # as the version before left it
        store._db.execute("DROP TABLE rejects_files")
        store._db.execute("DELETE FROM meta WHERE key = 'rejects_files_tracked'")
        store.close()
        store = StateStore.for_site(tmp_path / "state", "jmn")
    else:
        store._db.hdel(f"{store.key}:meta", "rejects_files_tracked")
    assert not store.tracks_rejects_files()
    assert store.reconcile(out, "jmn") == []
    assert store.failure_streak(A) == FailureStreak(1, "2016-03-25T09:00:00+00:00")
    assert store.tracks_rejects_files()
    later = out / "jmn" / "2016-03-25" / "rejects" / "20160325T100000Z-0001.jsonl"
    later.write_text(json.dumps({"url": A, "kind": "truncated"}) + "\n", encoding="utf-8")
    assert store.reconcile(out, "jmn") == [later]
    assert store.failure_streak(A) == FailureStreak(2, "2016-03-25T10:00:00+00:00")
    assert old.exists()
    store.close()


def test_a_rebuilt_page_is_dated_by_its_run_not_only_by_its_own_date(
    store: Any, tmp_path: Path
) -> None:
    """A record read back from its file (reconcile, rebuild) dates its page by the start of
    the run that wrote it when the page's own date is earlier: the sitemap's date that the
    crawl knew (later than the page's own, earlier than the run) is then no change."""
    day = tmp_path / "out" / "jmn" / "2016-03-25"
    day.mkdir(parents=True)
    line = rec(A, modified_at="2016-03-24T10:00:00+00:00")
    (day / "20160325T090000Z-0001.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    later = rec(B, "f2", modified_at="2016-03-25T09:30:00+00:00")  # dated after its run's start
    (day / "20160325T090000Z-0002.jsonl").write_text(json.dumps(later) + "\n", encoding="utf-8")
    store.reconcile(tmp_path / "out", "jmn")
    assert not store.should_fetch(A, "2016-03-24T18:00:00+00:00")  # the sitemap's date
    assert store.should_fetch(A, "2016-03-25T11:00:00+00:00")  # changed after the run
    assert not store.should_fetch(B, "2016-03-25T09:30:00+00:00")
    assert store.should_fetch(B, "2016-03-25T09:45:00+00:00")


def test_dedup_classifies_a_record_and_finds_the_first_owner_of_its_text(
    store: Any, tmp_path: Path
) -> None:
    """The dedup step's one question: classify (under the page's keys in order), and unless
    unchanged, the claim and the first owner of the text other than the page."""
    assert store.dedup([A], "same") == RecordVerdict("new", 1)
    store.register_batch(tmp_path / "1.jsonl", [rec(A, "same")])
    assert store.dedup([A], "same") == RecordVerdict("unchanged", 1)
    assert store.dedup([A], "f2") == RecordVerdict("revision", 2)
    assert store.dedup([B], "same") == RecordVerdict("new", 1, owner=A)
    store.register_batch(tmp_path / "2.jsonl", [rec(B, "f1")])
    assert store.dedup([B], "same") == RecordVerdict("revision", 2, owner=A)


def test_dedup_knows_a_page_under_its_other_keys(store: Any, tmp_path: Path) -> None:
    store.register_batch(tmp_path / "1.jsonl", [rec("https://jmn.info/?p=1", canonical_url=A)])
    other = "https://jmn.info/amp/a/"
    assert store.dedup([other, A], "f1") == RecordVerdict("unchanged", 1)
    assert store.dedup([other, A], "f2") == RecordVerdict("revision", 2)
    assert store.dedup([other], "f2") == RecordVerdict("new", 1)


def test_dedup_notes_an_unchanged_page_as_note_seen_does(store: Any, tmp_path: Path) -> None:
    """With ``note``, the dedup question also notes an unchanged page (``note_seen`` of its
    first key): a newer lastmod is kept, an older one or none is not; a changed page, or
    one known only under another of its keys, is not noted."""
    store.register_batch(tmp_path / "1.jsonl", [rec(lastmod="2016-03-24T00:00:00+00:00")])
    newer, older = "2016-03-25T00:00:00+00:00", "2016-03-23T00:00:00+00:00"
    assert store.dedup([A], "f1", note=True, lastmod=newer) == RecordVerdict("unchanged", 1)
    assert not store.should_fetch(A, newer)
    assert store.should_fetch(A, "2016-03-26T00:00:00+00:00")
    store.dedup([A], "f1", note=True, lastmod=older)
    store.dedup([A], "f1", note=True, lastmod=None)
    assert not store.should_fetch(A, newer)  # still the newer date
    store.dedup([A], "f2", note=True, lastmod="2016-03-27T00:00:00+00:00")  # a revision
    store.dedup([B, A], "f1", note=True, lastmod="2016-03-27T00:00:00+00:00")  # under A only
    store.dedup([A], "f1", note=False, lastmod="2016-03-27T00:00:00+00:00")
    assert store.should_fetch(A, "2016-03-27T00:00:00+00:00")


def test_prefetch_changes_no_verdict(store: Any, tmp_path: Path) -> None:
    """A read ahead gives each page the verdict it would have had, and a page written after
    the read ahead is judged by what the state holds then."""
    store.register_batch(tmp_path / "1.jsonl", [rec(A)])
    store.prefetch([A, B, A])
    assert store.verdict(A, None) is Verdict.KNOWN
    assert store.verdict(B, None) is Verdict.FETCH
    store.register_batch(tmp_path / "2.jsonl", [rec(B, "f2")])
    store.prefetch([])
    assert store.verdict(B, None) is Verdict.KNOWN
