"""Shared test helpers: where the fixtures are."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_support import redis_prefix  # noqa: F401 - the Redis tests' fixture

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="session")
def fixtures_root() -> Path:
    """The project's fixtures folder."""
    return FIXTURES


def run_mount(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``mount`` with ``args``, capturing its output."""
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """Yield the root of a fresh 64 KiB tmpfs (real ENOSPC); skip where it cannot be mounted."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = tmp_path / "small_fs"
    mount_point.mkdir()
    result = run_mount("-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mount_point))
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)
        assert not os.path.ismount(mount_point), f"{mount_point} is still mounted"
