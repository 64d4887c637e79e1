"""Running the ``newscrawl`` command in tests, in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.conftest import ROOT

CLI = (sys.executable, "-m", "newscrawl.cli")
"""The command line that runs ``newscrawl`` in a fresh interpreter."""


def newscrawl(
    *args: str,
    cwd: Path | None = None,
    timeout: float = 180,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``newscrawl ARGS`` (``python -m newscrawl.cli``) in ``cwd`` (the repository by
    default) and return what it did, output as text; a failing command does not raise, a
    hanging one raises ``subprocess.TimeoutExpired`` after ``timeout`` seconds. ``env``
    adds variables to this process's environment."""
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
        check=False,
        env={**os.environ, **env} if env else None,
    )


def jmn_crawl_args(
    base_url: str,
    out: Path,
    state: Path | None = None,
    settings: Sequence[str] = (),
    *extra: str,
) -> list[str]:
    """Return the arguments of ``newscrawl crawl jmn`` against the fixture portal served
    at ``base_url``, writing into ``out`` (and its state into ``state`` when given); each
    ``NAME=VALUE`` of ``settings`` becomes ``-s NAME=VALUE``, and ``extra`` follows as is."""
    args = ["crawl", "jmn", "--base-url", base_url, "-o", str(out)]
    if state is not None:
        args += ["--state", str(state)]
    for setting in settings:
        args += ["-s", setting]
    return [*args, *extra]
