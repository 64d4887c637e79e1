"""Every command of docs/operations.md's "Distributed mode" section, run as written.

The section writes its commands for a Redis named ``redis-host`` and a real portal; each
test runs one of its ``sh`` blocks, line by line, with three substitutions only: the
Redis URL becomes a redis-server of the test's own, ``/data/news`` a scratch folder, and
the crawls fetch the fixture portal (``--base-url``, or ``-a base_url=`` for ``scrapy``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawl.devtools.devserver import FixtureSite, RunningServer, serve
from tests.conftest import FIXTURES, ROOT
from tests.redis_support import free_port, start_redis

pytestmark = pytest.mark.e2e

DOC = ROOT / "docs" / "operations.md"
DOC_REDIS = "redis://redis-host:6379/0"


def section_blocks(heading: str) -> list[str]:
    """Return the ``sh`` blocks of the section of DOC under ``heading`` (a ``## `` one)."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end >= 0 else None]
    return re.findall(r"^```sh\n(.*?)^```", section, flags=re.M | re.S)


BLOCKS = section_blocks("## Distributed mode (Redis)")


def test_the_section_has_commands_for_every_task() -> None:
    commands = "".join(BLOCKS)
    for needed in ("--redis", "frontier jmn", "--seed", "--json", "--clear", "config set"):
        assert needed in commands, needed
    assert "redis-host" not in commands.replace(DOC_REDIS, "")  # one spelling to replace


@pytest.fixture
def portal() -> Iterator[RunningServer]:
    with serve(FixtureSite(FIXTURES / "jmn", origins=())) as server:
        yield server


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    server = start_redis(port, tmp_path / "redis", "--save", "")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.kill()
        server.wait(timeout=10)


def as_run_here(line: str, redis_url: str, portal: RunningServer, news: Path) -> str:
    """Return ``line`` with the three substitutions of the module docstring."""
    line = line.replace(DOC_REDIS, redis_url).replace("/data/news", str(news))
    line = line.replace("newscrawl crawl jmn", f"newscrawl crawl jmn --base-url {portal.url}")
    return line.replace("scrapy crawl jmn", f"scrapy crawl jmn -a base_url={portal.url}")


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{n}" for n in range(len(BLOCKS))])
def test_command_runs_as_written(
    block: str, redis_url: str, portal: RunningServer, tmp_path: Path
) -> None:
    project = tmp_path / "project"  # where an operator runs them: scrapy.cfg, no repository
    project.mkdir()
    shutil.copy(ROOT / "scrapy.cfg", project)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert lines
    for line in lines:
        command = as_run_here(line, redis_url, portal, tmp_path / "news")
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
