"""Running the ``newscrawl`` command in tests, in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import ROOT


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
        [sys.executable, "-m", "newscrawl.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
        check=False,
        env={**os.environ, **env} if env else None,
    )
