"""Extraction worker processes: results, errors, and no orphan when the crawl is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newscrawl.extract import NotAnArticle
from newscrawl.workers import Extractor, extract_record, worker_count
from tests.conftest import FIXTURES, ROOT

SEED = FIXTURES / "jmn" / "seed-article.html"
URL = "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
NOW = datetime(2016, 3, 25, 9, tzinfo=UTC)


@pytest.mark.parametrize(("setting", "expected"), [("0", 0), (2, 2), ("3", 3)])
def test_worker_count(setting: object, expected: int) -> None:
    assert worker_count(setting) == expected  # type: ignore[arg-type]


def test_worker_count_auto_leaves_a_cpu_for_the_crawl() -> None:
    cpus = len(os.sched_getaffinity(0))
    assert worker_count("auto") == max(0, min(cpus - 1, 4))
    with pytest.raises(ValueError, match="0 or more"):
        worker_count("-1")


def test_in_process_and_worker_give_the_same_record() -> None:
    body = SEED.read_bytes()
    direct = extract_record(URL, body, None, "jmn", NOW)

    async def both() -> tuple[dict[str, object], Exception]:
        extractor = Extractor(1, "jmn")
        try:
            record = await asyncio.wrap_future(
                extractor._executor().submit(extract_record, URL, body, None, "jmn", NOW)
            )
            failure = extractor._executor().submit(
                extract_record, URL, b"<html><body>no</body></html>", None, "jmn", NOW
            )
            try:
                await asyncio.wrap_future(failure)
            except NotAnArticle as exc:
                return record, exc
            raise AssertionError("a non-article page must raise NotAnArticle")
        finally:
            extractor.close()

    record, error = asyncio.run(both())
    assert record == direct
    assert error.kind == "not-article"


def test_workers_die_with_a_killed_crawl(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, time
            from newscrawl.workers import Extractor

            if __name__ == "__main__":
                extractor = Extractor(1, "jmn")
                future = extractor._executor().submit(os.getpid)
                print(future.result(timeout=120), flush=True)
                time.sleep(600)
            """
        ),
        encoding="utf-8",
    )
    parent = subprocess.Popen(
        [sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert _alive(worker)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker), "the worker outlived the killed crawl"
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())
