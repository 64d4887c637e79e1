"""Shared test helpers: where the fixtures are, the jmn fixture portal served with faults or
another robots.txt, and markup past the parser's attribute limit."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from newscrawl.devtools.devserver import Fault, FixtureSite, RunningServer, serve
from newscrawl.extraction.limits import MAX_ATTRIBUTES
from tests.redis_support import redis_prefix  # noqa: F401 - the Redis tests' fixture

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
JMN_ORIGINS = ["https://jmn.info", "http://jmn.info"]
"""The jmn portal's real origins, which the fixture server rewrites to its own."""


@contextmanager
def jmn_portal(
    faults: Mapping[str, Fault] | None = None, robots: str | None = None
) -> Iterator[RunningServer]:
    """Serve the jmn fixture portal on 127.0.0.1, with ``faults`` and, when given, ``robots``
    as its robots.txt."""
    with tempfile.TemporaryDirectory(prefix="robots-") as overlay:
        overlays: list[Path] = []
        if robots is not None:
            (Path(overlay) / "site").mkdir()
            (Path(overlay) / "site" / "robots.txt").write_text(robots, encoding="utf-8")
            overlays.append(Path(overlay))
        site = FixtureSite(FIXTURES / "jmn", origins=JMN_ORIGINS, overlays=overlays)
        with serve(site, faults=faults or {}) as server:
            yield server


def attribute_flood(count: int = MAX_ATTRIBUTES + 1, name: str = "a") -> str:
    """Return ``count`` distinct attributes (``a0="v" a1="v" ...``) for one start tag: past
    the limit by default, which libxml2 would check in time square in their number."""
    return " ".join(f'{name}{i}="v"' for i in range(count))


LAUGH = "&lol9;"
"""A use of the last entity :func:`billion_laughs` declares: 3 GB of text once expanded."""


def billion_laughs(root: str) -> str:
    """Return the document type declaration of a "billion laughs" document whose root
    element is ``root``: ten entities, each ten uses of the one before, so that one use of
    the last (:data:`LAUGH`) would expand to 10**9 "lol"."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    declarations = "\n".join(entities)
    return f"<!DOCTYPE {root} [\n{declarations}\n]>\n"


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
