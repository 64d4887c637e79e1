"""``newscrawl state rebuild``: a lost or corrupt state loses nothing.

A crawl writes the fixture portal; its state file is then corrupted (or lost), rebuilt
from the published output, and the next crawl writes nothing twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newscrawl.devtools.devserver import FixtureSite, RunningServer, serve
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
        rebuild = newscrawl("state", "rebuild", "jmn", "-o", str(tmp_path), "--state", str(state))
        assert rebuild.returncode == 0, rebuild.stderr
        assert f"({written} articles)" in rebuild.stdout
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
