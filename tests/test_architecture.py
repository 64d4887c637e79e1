"""Architecture contracts (import-linter, configured in pyproject.toml) hold, and can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the project at ``project`` (its pyproject.toml and newscrawl/)."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.fixture
def copy_of_project(tmp_path: Path) -> Path:
    """A copy of the package and pyproject.toml, to plant forbidden imports in."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(
        ROOT / "newscrawl", tmp_path / "newscrawl", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("extraction/processors.py", "import scrapy", "without Scrapy or Twisted"),
        ("items.py", "from twisted.internet import defer", "without Scrapy or Twisted"),
        ("storage/state.py", "from newscrawl.devtools import fixtures", "development tools"),
        ("workers.py", "import newscrawl.devtools.devserver", "development tools"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    copy_of_project: Path, module: str, planted: str, contract: str
) -> None:
    """Direct (scrapy in extraction) and indirect (twisted in items, which extraction uses)."""
    path = copy_of_project / "newscrawl" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{planted}\n", encoding="utf-8")
    result = lint_imports(copy_of_project)
    assert result.returncode == 1
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) == 1
    assert contract in broken[0]
