"""Kill campaign: SIGKILL in the window between publishing a batch and registering it.

A batch file is published (renamed to its final name) and only then registered in the
state. A run killed in between leaves a complete file the state does not know; the next
run must find it (``reconcile``), register it and not write its articles again. The test
hook ``NEWSCRAWL_TEST_PAUSE_BEFORE_REGISTER`` holds each run in that window, the campaign
kills it there, over and over, and a last run finishes the job. Then: 0 lost, 0 duplicate,
0 partial lines, and every killed window was reconciled by the run after it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newscrawl.devtools.devserver import FixtureSite, serve
from tests.conftest import FIXTURES, ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VALID_ARTICLES = 15  # fixtures/jmn article cases whose record is valid
KILLS = 5
REGISTERED = "published by a run that died before it could"


def published(out: Path) -> set[Path]:
    """Every published file, records and rejects."""
    return set(out.glob("jmn/*/*.jsonl")) | set(out.glob("jmn/*/rejects/*.jsonl"))


def test_kills_between_publish_and_register_lose_and_double_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server:

        def command(*extra: str) -> list[str]:
            return [
                *(sys.executable, "-m", "newscrawl.cli", "crawl", "jmn"),
                *("--base-url", server.url, "-o", str(out), "--state", str(tmp_path / "state")),
                *("-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "DOWNLOAD_DELAY=0"),
                *("-s", "NEWSCRAWL_BATCH_RECORDS=2", "-s", "LOG_LEVEL=WARNING"),
                *extra,
            ]

        logs: list[str] = []
        windows: list[Path] = []  # the file each killed run had just published
        for attempt in range(KILLS):
            before = published(out)
            log = tmp_path / f"run-{attempt}.log"
            with log.open("w") as stderr:
                run = subprocess.Popen(
                    command("-s", "NEWSCRAWL_TEST_PAUSE_BEFORE_REGISTER=60"),
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
                try:
                    deadline = time.monotonic() + 120
                    while not (published(out) - before) and run.poll() is None:
                        assert time.monotonic() < deadline, log.read_text()
                        time.sleep(0.02)
                    new = published(out) - before
                    if run.poll() is None:
                        # In the window: the hook holds the run right after the rename.
                        _wait_for_text(log, "Test hook:", 30)
                        os.kill(run.pid, signal.SIGKILL)
                        windows.extend(new)
                    run.wait(timeout=30)
                finally:
                    if run.poll() is None:
                        run.kill()
                        run.wait()
            logs.append(log.read_text())
            if not new:
                break  # nothing left to publish
        final = subprocess.run(
            command(), cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
        )
        logs.append(final.stderr)
    assert final.returncode == 0, final.stderr[-3000:]
    assert len(windows) >= 3, "the campaign should have killed several runs in the window"

    # The recovery path at work: each records file killed in its window was registered by
    # the next run's reconcile, naming that very file.
    reconciled = [line for text in logs[1:] for line in text.splitlines() if REGISTERED in line]
    killed_records = sorted(str(p) for p in windows if p.parent.name != "rejects")
    assert sorted(line.split("Registered ", 1)[1].split(",", 1)[0] for line in reconciled) == (
        killed_records
    )

    # 0 lost, 0 duplicate, 0 partial lines.
    urls: list[str] = []
    for path in sorted(out.glob("jmn/*/*.jsonl")):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n"), path
        urls += [json.loads(line)["url"] for line in text.splitlines()]
    assert len(urls) == len(set(urls)) == VALID_ARTICLES
    assert not list(out.rglob(".*.part"))


def _wait_for_text(path: Path, text: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while text not in path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared in {path}")
        time.sleep(0.02)
