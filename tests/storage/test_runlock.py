"""Tests of the run lock, with real lock files and real child processes."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newscrawl.storage.runlock import EXIT_ALREADY_RUNNING, AlreadyRunning, RunLock

ROOT = Path(__file__).resolve().parents[2]
CHILD_ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

TRY_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from newscrawl.storage.runlock import AlreadyRunning, RunLock
    started = time.monotonic()
    try:
        with RunLock.for_site(Path(sys.argv[1]), "jmn"):
            print("acquired")
    except AlreadyRunning as exc:
        print(exc)
        print(f"{time.monotonic() - started:.3f}", file=sys.stderr)
        sys.exit(exc.exit_code)
    """
)

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from newscrawl.storage.runlock import RunLock
    with RunLock.for_site(Path(sys.argv[1]), "jmn"):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def try_lock_in_child(state_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``TRY_LOCK`` in a child process and return its result."""
    return subprocess.run(
        [sys.executable, "-c", TRY_LOCK, str(state_dir)],
        cwd=ROOT,
        env=CHILD_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A child process that holds the lock of "jmn" in ``tmp_path / "state"``; killed after."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "state")],
        cwd=ROOT,
        env=CHILD_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "locked\n", child.stderr.read() if child.stderr else ""
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def test_exit_code_is_ex_tempfail() -> None:
    assert EXIT_ALREADY_RUNNING == 75 == os.EX_TEMPFAIL
    assert AlreadyRunning.exit_code == EXIT_ALREADY_RUNNING


def test_for_site_locks_site_file_in_state_dir(tmp_path: Path) -> None:
    lock = RunLock.for_site(tmp_path / "new" / ".state", "jmn")
    assert lock.path == tmp_path / "new" / ".state" / "jmn.lock"
    with lock:
        assert lock.held
        assert lock.path.is_file()
    assert not lock.held


@pytest.mark.parametrize("site", ["", "../jmn", ".hidden", "a/b"])
def test_for_site_refuses_a_site_that_is_not_a_name(tmp_path: Path, site: str) -> None:
    with pytest.raises(ValueError, match="not a plain file-name part"):
        RunLock.for_site(tmp_path, site)


def test_holder_info_is_written_into_the_lock_file(tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    with RunLock.for_site(tmp_path, "jmn") as lock:
        info = json.loads(lock.path.read_text(encoding="utf-8"))
        assert info["pid"] == os.getpid()
        assert info["host"] == socket.gethostname()
        since = datetime.fromisoformat(info["since"])
        assert since.tzinfo is not None
        assert before <= since <= datetime.now(UTC)
    assert lock.path.read_text(encoding="utf-8") == ""  # emptied on release, kept on disk


def test_message_names_the_site_pid_and_start_time() -> None:
    error = AlreadyRunning(
        "jmn", Path("jmn.lock"), pid=1234, host="crawler1", since="2026-11-28T09:00:00+00:00"
    )
    assert str(error) == (
        "another newscrawl run for 'jmn' is in progress "
        "(pid 1234 since 2026-11-28T09:00:00+00:00); exiting"
    )
    assert (error.pid, error.host, error.since) == (1234, "crawler1", "2026-11-28T09:00:00+00:00")


def test_second_acquire_in_another_process_fails_fast(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with RunLock.for_site(state, "jmn") as lock:
        since = json.loads(lock.path.read_text(encoding="utf-8"))["since"]
        child = try_lock_in_child(state)
    assert child.returncode == EXIT_ALREADY_RUNNING, child.stderr
    assert child.stdout == (
        f"another newscrawl run for 'jmn' is in progress (pid {os.getpid()} since {since}); "
        "exiting\n"
    )
    assert float(child.stderr) < 1.0  # seconds the child spent trying: no waiting


def test_failed_attempt_keeps_the_holders_info(tmp_path: Path) -> None:
    with RunLock.for_site(tmp_path, "jmn") as lock:
        info = lock.path.read_text(encoding="utf-8")
        with pytest.raises(AlreadyRunning):
            RunLock.for_site(tmp_path, "jmn").acquire()
        assert lock.path.read_text(encoding="utf-8") == info


def test_held_lock_blocks_another_process_and_reports_it(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(AlreadyRunning) as caught:
        RunLock.for_site(tmp_path / "state", "jmn").acquire()
    error = caught.value
    assert error.pid == holder.pid
    assert error.host == socket.gethostname()
    assert error.since is not None
    assert f"(pid {holder.pid} since {error.since}); exiting" in str(error)
    assert error.site == "jmn"


def test_lock_of_a_killed_holder_is_free(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    lock = RunLock.for_site(tmp_path / "state", "jmn")
    with pytest.raises(AlreadyRunning):
        lock.acquire()
    holder.send_signal(signal.SIGKILL)
    assert holder.wait(timeout=30) == -signal.SIGKILL
    stale = json.loads(lock.path.read_text(encoding="utf-8"))
    assert stale["pid"] == holder.pid  # the dead holder's info is still in the file...
    with lock:  # ...but does not block
        assert json.loads(lock.path.read_text(encoding="utf-8"))["pid"] == os.getpid()


def test_second_acquire_in_this_process_fails_too(tmp_path: Path) -> None:
    with RunLock.for_site(tmp_path, "jmn"):
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()} since"):
            RunLock.for_site(tmp_path, "jmn").acquire()
        with RunLock.for_site(tmp_path, "other"):  # another site is another lock
            pass


def test_lock_is_released_when_the_block_ends(tmp_path: Path) -> None:
    with RunLock.for_site(tmp_path, "jmn"):
        pass
    child = try_lock_in_child(tmp_path)
    assert (child.returncode, child.stdout) == (0, "acquired\n"), child.stderr


def test_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    lock = RunLock.for_site(tmp_path, "jmn")
    with pytest.raises(KeyError), lock:
        raise KeyError("boom")
    assert not lock.held
    child = try_lock_in_child(tmp_path)
    assert (child.returncode, child.stdout) == (0, "acquired\n"), child.stderr


def test_acquire_twice_on_one_object_is_a_bug(tmp_path: Path) -> None:
    with RunLock.for_site(tmp_path, "jmn") as lock:
        with pytest.raises(RuntimeError, match="already held"):
            lock.acquire()
        assert lock.held
    lock.release()  # idempotent


def test_a_lock_object_can_be_used_again(tmp_path: Path) -> None:
    lock = RunLock.for_site(tmp_path, "jmn")
    for _ in range(2):
        with lock:
            assert lock.held


@pytest.mark.parametrize("content", ["", "garbage", '["list"]', '{"pid": "x", "since": 5}'])
def test_unreadable_holder_info_gives_unknown_pid(tmp_path: Path, content: str) -> None:
    path = tmp_path / "jmn.lock"
    path.write_text(content, encoding="utf-8")
    with path.open("rb") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(AlreadyRunning) as caught:
            RunLock(path).acquire()
    assert str(caught.value) == (
        "another newscrawl run for 'jmn' is in progress (pid unknown); exiting"
    )
    assert caught.value.pid is None


def test_stale_info_without_a_holder_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "jmn.lock"
    path.write_text('{"pid": 1, "host": "gone", "since": "2016-03-01T00:00:00+00:00"}\n')
    with RunLock(path):
        assert json.loads(path.read_text(encoding="utf-8"))["pid"] == os.getpid()


def test_scrapy_crawl_keeps_the_lock_too(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    """`scrapy crawl` and scrapyd jobs run the spider without `newscrawl crawl`: the spider
    takes the lock itself, so a held lock fails the crawl before it fetches or writes
    anything but a report with status ``skipped``."""
    result = subprocess.run(
        [
            *(sys.executable, "-m", "scrapy", "crawl", "jmn"),
            *("-a", "base_url=http://127.0.0.1:9"),  # nothing listens there: never fetched
            *("-s", f"NEWSCRAWL_STATE_DIR={tmp_path / 'state'}"),
            *("-s", f"NEWSCRAWL_OUTPUT_DIR={tmp_path / 'out'}"),
        ],
        cwd=ROOT,
        env=CHILD_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert f"another newscrawl run for 'jmn' is in progress (pid {holder.pid}" in result.stderr
    assert "Crawled" not in result.stderr
    # Nothing written but the report of the refused run, so that scrapyd has one to read.
    (report,) = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert report.name.endswith(".skipped.report.json")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["status"] == "skipped"
    assert data["exit_code"] == EXIT_ALREADY_RUNNING
    assert f"(pid {holder.pid}" in data["reason"]
    assert data["started_at"] <= data["finished_at"]
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["jmn.lock"]
