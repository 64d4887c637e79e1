"""The repository stands alone: nothing in it points to a path outside it.

The one exception the project rules allow is the real-page set ``../shared/realpages``,
which the benchmarks and the slow differential tests read in place where it exists;
everything else, docs included, must work from a fresh clone.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

TEXT_SUFFIXES = {".md", ".py", ".toml", ".cfg", ".txt", ".json", ".html", ".xml", ".yml", ""}
SKIPPED_DIRS = {".git", ".venv", "out", "build", "results", "__pycache__", ".state"}
OUTSIDE = re.compile(r"\.\./shared(?!/realpages)|/work/")
"""Spellings of the workplace folders beside the repository, but the real-page set."""
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)")


def repository_files() -> list[Path]:
    """Return the repository's text files, outside generated folders."""
    files = []
    for path in sorted(ROOT.rglob("*")):
        parts = path.relative_to(ROOT).parts
        if any(p in SKIPPED_DIRS or p.endswith((".egg-info", "_cache")) for p in parts):
            continue
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            files.append(path)
    return files


FILES = repository_files()


def test_files_are_found() -> None:
    assert ROOT / "README.md" in FILES
    assert ROOT / "fixtures" / "jmn" / "README.md" in FILES


def test_no_reference_outside_the_repository() -> None:
    found = []
    for path in FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        if path == Path(__file__).resolve():
            text = text.replace(OUTSIDE.pattern, "")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_markdown_links_stay_inside() -> None:
    """Relative links of the docs lead to files of the repository."""
    broken = []
    for path in [p for p in FILES if p.suffix == ".md"]:
        for target in MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            resolved = (path.parent / target).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert broken == []
