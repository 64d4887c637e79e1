"""The files of an output tree, and a line-by-line check of the ones a typed load refused.

An output root holds ``<site>/<day>/<run>-NNNN.jsonl[.gz]`` (records),
``<site>/<day>/rejects/...`` (rejects), ``<site>/<day>/<run>.report.json`` (reports) and,
while a batch is being written or after a run was killed, hidden temp files
``.<run>-NNNN[.gz].part`` that are never read (see ``newscrawl/storage/output.py``).
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from newscrawl.analysis.columns import (
    not_null_columns,
    problem_under,
    record_columns,
    supported_versions,
)
from newscrawl.items import version_key
from newscrawl.storage.output import held_by_a_live_writer

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""A site folder's name, as the writer allows it (``NAME_PART`` in storage/output.py)."""
BATCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*-\d{4,}\.jsonl(\.gz)?")
"""A published batch file name."""
TEMP = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9._-]*-\d{4,}(\.gz)?\.part")
"""A batch's temp file name (``temp_name`` in ``newscrawl/storage/output.py``)."""


class AnalysisError(Exception):
    """The output cannot be read; the message is one line naming the file."""


@dataclass(frozen=True)
class Problem:
    """Something in the tree that was not read: a file, and the line when there is one."""

    path: Path
    line: int | None
    message: str
    fatal: bool = True
    """False for what is normal in an output tree (a batch's temp file, a run report that
    cannot be read): ``strict`` does not fail on it."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"


class BadInput(AnalysisError):
    """Raised in strict mode when the tree holds lines that cannot be read."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


@dataclass
class Tree:
    """The files of an output root that a read selects."""

    root: Path
    records: list[Path] = field(default_factory=list)
    rejects: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    """Temp files skipped, as non-fatal problems."""


def find_files(
    root: Path, site: str | None = None, first_day: date | None = None, last_day: date | None = None
) -> Tree:
    """Return the record, reject and report files under ``root``, sorted by path.

    Only ``<site>/<YYYY-MM-DD>/`` folders are read, limited to ``site`` and to days from
    ``first_day`` to ``last_day`` (inclusive) when given. Temp files are never selected;
    each one is listed in ``notes``. Raises AnalysisError when ``root`` is not a folder or
    ``site`` is not a plain name (no ``/``, no leading dot).
    """
    root = Path(root)
    if site is not None and not SITE.fullmatch(site):
        raise AnalysisError(f"site {site!r} is not a site name (letters, digits, . _ -)")
    if not root.is_dir():
        raise AnalysisError(f"{root}: no such output folder")
    tree = Tree(root)
    sites = [root / site] if site else sorted(p for p in root.iterdir() if p.is_dir())
    for site_dir in sites:
        if not site_dir.is_dir() or site_dir.name.startswith("."):
            continue
        for day_dir in sorted(site_dir.iterdir()):
            if not (day_dir.is_dir() and DAY.fullmatch(day_dir.name)):
                continue
            day = date.fromisoformat(day_dir.name)
            if (first_day and day < first_day) or (last_day and day > last_day):
                continue
            _collect(day_dir, tree)
    return tree


def _collect(day_dir: Path, tree: Tree) -> None:
    for folder, batches in ((day_dir, tree.records), (day_dir / "rejects", tree.rejects)):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if BATCH.fullmatch(path.name) and path.is_file():
                batches.append(path)
            elif TEMP.fullmatch(path.name):
                tree.notes.append(_temp_file_note(path))
    tree.reports.extend(sorted(day_dir.glob("*.report.json")))


def _temp_file_note(path: Path) -> Problem:
    """Say why a batch temp file is not read: a live run is writing it, or a killed run left
    it. Neither is fatal under ``strict`` (docs/analysts.md): the file is no published batch
    and holds no line of one, and a killed run's records were never published (the run's
    report and the next crawl deal with them; the next crawl removes the file)."""
    if held_by_a_live_writer(path):
        return Problem(path, None, "skipped: temp file of a batch being written", fatal=False)
    return Problem(
        path,
        None,
        "skipped: temp file left by a killed run (its records were never published; "
        "the site's next crawl removes it)",
        fatal=False,
    )


def read_lines(path: Path) -> Iterator[tuple[int, bytes | Problem]]:
    """Yield ``(line number, line bytes)`` of a batch file, then a Problem if it is cut short.

    A gzip file that ends mid-stream yields its complete lines, then one Problem naming the
    line where it stops (that line's start, if any, is lost with the rest of the stream).
    """
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    number = 0
    try:
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                yield number, line
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        yield number + 1, Problem(path, number + 1, f"truncated or corrupt gzip file: {exc}")
    except OSError as exc:
        yield number + 1, Problem(path, None, f"cannot read: {exc.strerror or exc}")


def line_problem(line: bytes) -> str | None:
    """Return why one line cannot be loaded as a record, or None when it can.

    A line that starts with a UTF-8 byte order mark is refused: ``json.loads`` would skip
    the mark, DuckDB does not.
    """
    if line.startswith(codecs.BOM_UTF8):
        return "starts with a UTF-8 byte order mark (BOM), which JSON Lines does not allow"
    try:
        record = json.loads(line)
    except UnicodeDecodeError as exc:
        return f"not UTF-8: {exc.reason}"
    except ValueError as exc:
        return f"not JSON: {exc}"
    if not isinstance(record, dict):
        return f"not a JSON object but {type(record).__name__}"
    version = record.get("schema_version")
    supported = supported_versions()
    if version not in supported:
        return version_problem(version, supported)
    for name in not_null_columns():
        if record.get(name) is None:
            return f"{name}: {'null' if name in record else 'missing'}, which the schema forbids"
    for name, column in record_columns().items():
        if problem := column.problem(record.get(name)):
            return problem_under(name, problem)
    return None


def version_problem(version: Any, supported: tuple[str, ...]) -> str:
    """Return the message for a record of a ``schema_version`` this reader does not know."""
    known = ", ".join(supported)
    key = version_key(version) if isinstance(version, str) else None
    newest = max(version_key(v) or () for v in supported)
    if key is not None and key > newest:
        return (
            f"schema_version {version} is newer than this newscrawl reads ({known}); "
            "upgrade newscrawl to read it"
        )
    return f"schema_version {version!r} is not one this newscrawl reads ({known})"


def check_file(path: Path) -> tuple[list[Problem], list[bytes]]:
    """Return the problems of one batch file and its good lines (in order)."""
    problems: list[Problem] = []
    good: list[bytes] = []
    for number, line in read_lines(path):
        if isinstance(line, Problem):
            problems.append(line)
        elif line.strip():
            if message := line_problem(line):
                problems.append(Problem(path, number, message))
            else:
                good.append(line)
    return problems, good
