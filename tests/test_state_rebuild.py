"""``newscrawl state rebuild``: a lost or corrupt state loses nothing.

A crawl writes the fixture portal; its state file is then corrupted (or lost), rebuilt
from the published output, and the next crawl writes nothing twice, and fetches and
counts the pages that gave rejects as the original state would.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newscrawl.devtools.devserver import Fault, FixtureSite, RunningServer, serve
from newscrawl.storage.runlock import EXIT_ALREADY_RUNNING, RunLock
from newscrawl.storage.state import StateStore
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e

FAST = ["-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "DOWNLOAD_DELAY=0"]


def newscrawl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newscrawl.cli", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=180, check=False,
    )  # fmt: skip


def crawl(server: RunningServer, out: Path) -> subprocess.CompletedProcess[str]:
    return newscrawl(
        "crawl", "jmn", "--base-url", server.url, "-o", str(out), "--state", str(out / "state"),
        *FAST,
    )  # fmt: skip


def records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for p in sorted(out.glob("jmn/*/*.jsonl")) for x in p.open()]


def corrupt(state: Path) -> None:
    (state / "jmn.sqlite3").write_bytes(b"\0garbage" * 512)


def lose(state: Path) -> None:
    for path in state.glob("jmn.sqlite3*"):
        path.unlink()


def documented_rebuild(out: Path, state: Path) -> tuple[list[str], list[re.Pattern[str]]]:
    """Return the command of docs/operations.md's "Rebuilding the state", with ``out`` and
    ``state`` for its folders, and a pattern of each line it shows it printing (any number
    where the doc has one)."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    block = text.split("### Rebuilding the state\n", 1)[1].split("```sh\n", 1)[1]
    command, *printed = block.split("```", 1)[0].splitlines()
    places = {"/data/news": str(out), "/var/lib/newscrawl": str(state)}
    for place, here in places.items():
        command = command.replace(place, here)
    patterns = []
    for line in printed:
        parts = re.split(r"\b\d+(?:\.\d+)?\b", line.removeprefix("# "))
        for place, here in places.items():
            parts = [part.replace(place, here) for part in parts]
        patterns.append(re.compile(r"\d+(?:\.\d+)?".join(map(re.escape, parts))))
    assert command.startswith("newscrawl state rebuild "), command
    return command.split()[1:], patterns


@pytest.mark.parametrize("damage", [corrupt, lose], ids=["corrupt", "lost"])
def test_rebuilt_state_lets_the_next_run_write_nothing_twice(
    tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    state = tmp_path / "state"
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server:
        first = crawl(server, tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        written = len(records(tmp_path))
        assert written > 0
        damage(state)
        command, printed = documented_rebuild(tmp_path, state)
        rebuild = newscrawl(*command)
        assert rebuild.returncode == 0, rebuild.stderr
        assert f"from 2 published files ({written} articles, 1 rejects)" in rebuild.stdout
        lines = rebuild.stdout.splitlines()
        assert len(lines) == (2 if damage is corrupt else 1)  # no old file when it was lost
        assert all(p.fullmatch(line) for p, line in zip(printed, lines, strict=False)), lines
        assert (state / "jmn.sqlite3.old").exists() == (damage is corrupt)
        with StateStore(state / "jmn.sqlite3") as store:
            assert store.stats()["articles"] == written
        again = crawl(server, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert "records written: 0" in again.stdout
    assert len(records(tmp_path)) == written
    assert not list(state.glob(".jmn.sqlite3.rebuild*"))


def test_rebuild_waits_for_no_run(tmp_path: Path) -> None:
    (tmp_path / "jmn").mkdir()
    with RunLock.for_site(tmp_path / "state", "jmn"):
        result = newscrawl(
            "state", "rebuild", "jmn", "-o", str(tmp_path), "--state", str(tmp_path / "state")
        )
    assert result.returncode == EXIT_ALREADY_RUNNING
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "state" / "jmn.sqlite3").exists()


def test_rebuild_refuses_while_a_run_writes_the_output_folder(tmp_path: Path) -> None:
    """A run with another state folder writes the output folder, and has just published a
    batch it has not registered yet (the test hook holds it there). A rebuild then would
    read a folder that is still changing and take that batch into the rebuilt state (a
    batch the run then withdraws, its folder sync failing, would stay registered with no
    file, and its articles would never be written again). It exits 75, one line, and
    builds nothing, as for a run holding the state."""
    import os
    import signal
    import time

    out, log = tmp_path / "out", tmp_path / "crawl.log"
    rebuilt = tmp_path / "rebuilt-state"
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server, log.open("w") as stderr:
        run = subprocess.Popen(
            [sys.executable, "-m", "newscrawl.cli", "crawl", "jmn", "--base-url", server.url,
             "-o", str(out), "--state", str(tmp_path / "live-state"), *FAST,
             "-s", "NEWSCRAWL_BATCH_RECORDS=2", "-s", "NEWSCRAWL_TEST_PAUSE_BEFORE_REGISTER=60"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while "Test hook:" not in log.read_text(errors="replace"):
                assert run.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.02)
            # Published, not registered (records or rejects: whichever filled first).
            (just_published,) = [*out.glob("jmn/*/*.jsonl"), *out.glob("jmn/*/rejects/*.jsonl")]
            result = newscrawl("state", "rebuild", "jmn", "-o", str(out), "--state", str(rebuilt))
        finally:
            os.kill(run.pid, signal.SIGKILL)
            run.wait(timeout=30)
    assert result.returncode == EXIT_ALREADY_RUNNING, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("newscrawl: another newscrawl run for 'jmn' is in progress"), line
    assert f"writing to {out / 'jmn'} (pid {run.pid} since " in line
    assert just_published.exists()
    assert not (rebuilt / "jmn.sqlite3").exists()
    assert not list(rebuilt.glob(".jmn.sqlite3.rebuild*"))


def case_url(case: str) -> str:
    return str(json.loads((FIXTURES / "jmn" / f"{case}.json").read_text("utf-8"))["meta"]["url"])


def crawl_into(server: RunningServer, out: Path, state: Path, *extra: str) -> dict[str, Any]:
    result = newscrawl(
        "crawl", "jmn", "--base-url", server.url, "-o", str(out), "--state", str(state),
        *FAST, *extra,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("report: "))
    data: dict[str, Any] = json.loads(Path(line.split("report: ", 1)[1]).read_text("utf-8"))
    data["exit_code"] = result.returncode
    return data


def pages_of_run(out: Path, run_id: str) -> dict[str, set[str]]:
    """The URLs of the records and of the rejects one run published."""
    found: dict[str, set[str]] = {"records": set(), "rejects": set()}
    for path in out.glob(f"jmn/*/**/{run_id}-*.jsonl"):
        kind = "rejects" if path.parent.name == "rejects" else "records"
        found[kind] |= {json.loads(line)["url"] for line in path.open()}
    return found


COMPARED = (
    "status", "exit_code", "articles_fetched", "articles_failed_again", "records_written",
    "rejects_by_kind", "skipped", "failures", "articles_deferred",
)  # fmt: skip
BACKOFF_OFF = ("-s", "NEWSCRAWL_FAILED_PAGE_BACKOFF=0")


def test_rebuilt_state_remembers_the_rejects(tmp_path: Path) -> None:
    """Run 1: one article is not an article (a content reject), one answers an empty 200
    and one comes cut (the fixture's own). Run 2: the empty one recovers and gives a
    record, in a later batch than its reject. A state rebuilt from that output then makes
    run 3 (failed-page backoff off) and run 4 (on: the cut page, failed three runs in a row,
    waits) fetch and count what the original state makes them fetch and count."""
    not_article, empty = case_url("no-credit"), case_url("no-teasers")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    shutil.copy(FIXTURES / "jmn" / "not-an-article.html", overlay / "gone.html")
    (overlay / "gone.json").write_text(json.dumps({"meta": {"url": not_article}}), "utf-8")
    site = FixtureSite(FIXTURES / "jmn", origins=(), overlays=[overlay])
    original, copy = tmp_path / "a", tmp_path / "b"
    kept, rebuilt = tmp_path / "state-a", tmp_path / "state-b"
    with serve(site, faults={empty.removeprefix("https://jmn.info"): Fault("empty")}) as server:
        first = crawl_into(server, original, kept)
    assert first["rejects_by_kind"] == {"empty": 1, "not-article": 1, "truncated": 1}
    with serve(site) as server:
        second = crawl_into(server, original, kept)
        assert second["rejects_by_kind"] == {"truncated": 1}
        assert second["records_written"] == 1
        shutil.copytree(original, copy)
        rebuild = newscrawl("state", "rebuild", "jmn", "-o", str(copy), "--state", str(rebuilt))
        assert rebuild.returncode == 0, rebuild.stderr
        assert "4 rejects" in rebuild.stdout
        with StateStore(rebuilt / "jmn.sqlite3") as store:
            assert not store.should_fetch(not_article, None)
            assert store.get(empty) is not None  # the record came after the reject
            assert store.failed_before(empty) is None
            assert store.failed_before(case_url("truncated-before-body")) == "truncated"
            streak = store.failure_streak(case_url("truncated-before-body"))
        with StateStore(kept / "jmn.sqlite3") as store:
            assert streak == store.failure_streak(case_url("truncated-before-body"))
        assert streak is not None
        assert (streak.failures, streak.last_try) == (2, second["started_at"])
        after_original = crawl_into(server, original, kept, *BACKOFF_OFF)
        after_rebuild = crawl_into(server, copy, rebuilt, *BACKOFF_OFF)
        later_original = crawl_into(server, original, kept)
        later_rebuild = crawl_into(server, copy, rebuilt)
    # A record read back dates its page by its run's start when its own date is earlier
    # (the fixture's visible-date-only page shows a date without a time, earlier than the
    # sitemap's date the crawl registered): the rebuilt state does not fetch it once more.
    assert {k: after_rebuild[k] for k in COMPARED} == {k: after_original[k] for k in COMPARED}
    assert after_rebuild["articles_failed_again"] == 1
    assert after_rebuild["status"] == "ok"
    assert pages_of_run(copy, after_rebuild["run_id"]) == pages_of_run(
        original, after_original["run_id"]
    )
    assert {k: later_rebuild[k] for k in COMPARED} == {k: later_original[k] for k in COMPARED}
    assert later_rebuild["articles_deferred"] == 1
    assert pages_of_run(copy, later_rebuild["run_id"]) == pages_of_run(
        original, later_original["run_id"]
    )
