"""The README's "Adding a portal", followed literally in a copy of the repository, stays green.

The new portal's page is a jmn fixture page re-hosted under the README's example domain:
the same Sahifa markup, so the draft record ``fixtures new`` writes can be reviewed against
the jmn case's reviewed record.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NOT_COPIED = shutil.ignore_patterns(
    ".venv", ".git", "out", ".state", "build", "*.egg-info", "__pycache__", ".*_cache"
)
SEED = FIXTURES / "jmn" / "seed-article"


def readme_section(title: str) -> str:
    """Return the README's section ``## title``, up to the next ``## `` heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def code_blocks(section: str, language: str) -> list[str]:
    """Return the bodies of the section's fenced code blocks in ``language``."""
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


class Portal:
    """What the README's example adds: the profile's path, its domain and the command."""

    def __init__(self, section: str) -> None:
        (profile,) = code_blocks(section, "toml")
        first_line, _ = profile.split("\n", 1)
        self.profile_path = first_line.removeprefix("# ").strip()
        self.profile = profile
        data = tomllib.loads(profile)
        self.site: str = data["name"]
        self.domain: str = data["site"]["domains"][0]
        (command,) = [b for b in code_blocks(section, "sh") if "fixtures new" in b]
        self.command = shlex.split(command.replace("\\\n", " "))

    def rehost(self, data: bytes) -> bytes:
        """Return jmn bytes as the new portal would serve them."""
        return data.replace(b"jmn.info", self.domain.encode())


@pytest.fixture(scope="module")
def portal() -> Portal:
    return Portal(readme_section("Adding a portal"))


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository, without the virtualenv, the git folder or any output."""
    target = tmp_path_factory.mktemp("repo") / "newscrawl"
    shutil.copytree(ROOT, target, ignore=NOT_COPIED)
    return target


def run_in(copy: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` in the copy with this interpreter, importing the copy's package."""
    env = {**os.environ, "PYTHONPATH": str(copy), "NEWSCRAWL_PROGRESS": "false"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def added(copy: Path, portal: Portal) -> dict[str, Any]:
    """Follow the section in the copy: add the profile, then make a case as shown."""
    imported = run_in(copy, "-c", "import newscrawl; print(newscrawl.__file__)")
    assert imported.stdout.strip() == str(copy / "newscrawl" / "__init__.py"), imported.stderr

    (copy / portal.profile_path).write_text(portal.profile, encoding="utf-8")
    newscrawl, fixtures, new, site, case, *options = portal.command
    assert (newscrawl, fixtures, new, site) == (
        ".venv/bin/newscrawl",
        "fixtures",
        "new",
        portal.site,
    )
    page = copy / options[-1]  # the saved page the command names
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_bytes(portal.rehost(SEED.with_suffix(".html").read_bytes()))
    made = run_in(copy, "-m", "newscrawl.cli", fixtures, new, site, case, *options)
    assert made.returncode == 0, made.stderr
    return {"case": case, "url": options[options.index("--url") + 1], "stdout": made.stdout}


def test_fixtures_new_writes_a_draft_to_review(
    copy: Path, portal: Portal, added: dict[str, Any]
) -> None:
    folder = copy / "fixtures" / portal.site
    case = added["case"]
    assert f"wrote fixtures/{portal.site}/{case}.json" in added["stdout"]
    assert (folder / f"{case}.html").read_bytes() == portal.rehost(
        SEED.with_suffix(".html").read_bytes()
    )
    spec = json.loads((folder / f"{case}.json").read_text(encoding="utf-8"))
    record = spec["record"]
    assert spec["meta"]["url"] == added["url"]
    assert record["url"] == added["url"]
    assert record["site"] == portal.site
    assert record["crawled_at"] == spec["meta"]["now"]
    # The review: the same page under another domain gives the jmn case's reviewed record.
    reviewed = json.loads(portal.rehost(SEED.with_suffix(".json").read_bytes()))["record"]
    for field in set(reviewed) - {"url", "site", "crawled_at"}:
        assert record[field] == reviewed[field], field


PORTAL_TESTS = (
    "tests/extraction",
    "tests/profiles",
    "tests/test_cli.py::test_scrapy_list_shows_portals",
)
"""What ``make test`` runs about fixture cases and profiles: every case's fields, the
profile list and loading, and ``scrapy list`` (one spider per portal)."""


def test_the_tests_pass_with_the_new_portal(
    copy: Path, portal: Portal, added: dict[str, Any]
) -> None:
    """``make test``'s tests of fixtures and profiles pass in the copy, the new case included."""
    options = ["-q", "-p", "no:cacheprovider", "-rA", "-m", "not e2e and not slow"]
    result = run_in(copy, "-m", "pytest", *options, *PORTAL_TESTS)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"PASSED tests/extraction/test_extract.py::test_field[{portal.site}/" in result.stdout
    assert "PASSED tests/profiles/test_load.py::test_bundled_profiles" in result.stdout
    assert "PASSED tests/test_cli.py::test_scrapy_list_shows_portals" in result.stdout


def test_demo_crawls_the_fixture_sets_own_portal(
    copy: Path, portal: Portal, added: dict[str, Any], tmp_path: Path
) -> None:
    """A whole fixture portal re-hosted under the new domain, demoed as the new portal."""
    fixtures = tmp_path / portal.site
    for source in (FIXTURES / "jmn").rglob("*"):
        if source.is_file() and "nextday" not in source.relative_to(FIXTURES / "jmn").parts:
            target = fixtures / source.relative_to(FIXTURES / "jmn")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(portal.rehost(source.read_bytes()))
    out = tmp_path / "out"
    # No time budget per page (NEWSCRAWL_EXTRACT_TIMEOUT=0): a loaded machine must not lose pages.
    settings = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0"]
    settings += ["-s", "NEWSCRAWL_EXTRACT_TIMEOUT=0"]
    result = run_in(
        copy, "-m", "newscrawl.cli", "demo", "--fixtures", str(fixtures), "-o", str(out), *settings
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"as https://{portal.domain}/" in result.stdout
    records = [
        json.loads(line)
        for path in sorted(out.glob(f"{portal.site}/*/*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(records) == 15
    assert {r["site"] for r in records} == {portal.site}
    assert all(r["url"].startswith(f"https://{portal.domain}/") for r in records)
    assert not (out / "jmn").exists()
