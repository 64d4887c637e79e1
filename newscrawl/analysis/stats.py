"""Per site and day folder: records, revisions, rejects by kind, coverage, languages, sections."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newscrawl.analysis.columns import record_columns
from newscrawl.analysis.files import BadInput, Problem, read_lines
from newscrawl.analysis.records import Selection, _tree, connect, report_problem, run_typed

TOP_SECTIONS = 5
"""How many sections ``stats`` lists per site and day."""

REPORT_KEYS = ("run_id", "status", "started_at", "finished_at", "records_written")
"""What ``stats`` shows of each run report (``started_at``/``finished_at`` when present)."""


def _present(name: str, kind: str) -> str:
    """Return SQL that is true when the column holds a value (a list: a non-empty one)."""
    if kind == "list":
        return f"coalesce(len({name}) > 0, false)"
    return f"{name} IS NOT NULL"


def _folder(path: Path | str) -> tuple[str, str]:
    """Return ``(site, day)`` of a file at ``.../<site>/<day>/[rejects/]name``."""
    parts = Path(path).parts
    if parts[-2] == "rejects":
        return parts[-4], parts[-3]
    return parts[-3], parts[-2]


def _record_rows(sql: str) -> list[dict[str, Any]]:
    """Return per-file aggregates of the records of ``sql`` (which has a ``filename`` column)."""
    columns = record_columns()
    flags = ", ".join(f"{_present(n, c.kind)} AS {n}" for n, c in columns.items())
    coverage = ", ".join(f"count(*) FILTER (WHERE {n}) AS {n}" for n in columns)
    con = connect()
    try:
        # One read of the files; the table keeps a flag per field, not the records.
        con.execute(
            "CREATE TEMP TABLE r AS SELECT filename, language AS lang, section AS sect, "
            f"revision AS rev, {flags} FROM ({sql})"
        )
        per_file = con.execute(
            f"SELECT filename, count(*), count(*) FILTER (WHERE rev > 1), {coverage} "
            "FROM r GROUP BY filename"
        ).fetchall()
        languages = con.execute("SELECT filename, lang, count(*) FROM r GROUP BY ALL").fetchall()
        sections = con.execute(
            "SELECT filename, sect, count(*) FROM r WHERE sect IS NOT NULL GROUP BY ALL"
        ).fetchall()
    finally:
        con.close()
    rows: list[dict[str, Any]] = []
    for filename, records, revisions, *present in per_file:
        rows.append(
            {
                "file": filename,
                "records": records,
                "revisions": revisions,
                "present": dict(zip(columns, present, strict=True)),
            }
        )
    for filename, language, n in languages:
        rows.append({"file": filename, "language": language, "n": n})
    for filename, section, n in sections:
        rows.append({"file": filename, "section": section, "n": n})
    return rows


def compute_stats(
    out_root: str | os.PathLike[str],
    selection: Selection | None = None,
    *,
    strict: bool = False,
    on_problem: Callable[[Problem], None] = report_problem,
) -> list[dict[str, Any]]:
    """Return one entry per site and day folder, sorted: counts, coverage, shares, runs.

    Each entry: ``site``, ``day``, ``records``, ``revisions`` (records with revision > 1),
    ``rejects`` (count by kind), ``coverage`` (share of records with each field non-null and
    non-empty), ``languages`` (share of records per language, ``null`` for none),
    ``sections`` (the most frequent, ``[name, records]``), ``runs`` (from the run reports).
    Raises AnalysisError when ``out_root`` is not a folder, BadInput as ``read_records``;
    with ``strict``, an unreadable line of a rejects file raises BadInput too (listed after
    the records' bad lines).
    """
    selection = selection or Selection()
    tree = _tree(out_root, selection)
    days: dict[tuple[str, str], dict[str, Any]] = {}

    def entry(key: tuple[str, str]) -> dict[str, Any]:
        return days.setdefault(key, _empty(*key))

    reject_problems: list[Problem] = []
    reject_counts = [(path, _reject_kinds(path, reject_problems.append)) for path in tree.rejects]
    fatal = [problem for problem in reject_problems if problem.fatal] if strict else []
    if tree.records:
        try:
            rows = run_typed(
                tree, selection, _record_rows, strict=strict, on_problem=on_problem, filename=True
            )
        except BadInput as exc:
            raise BadInput(exc.problems + fatal) from None
        _fill(rows, entry)
    else:
        for note in tree.notes:
            on_problem(note)
    if fatal:
        raise BadInput(fatal)
    for problem in reject_problems:
        on_problem(problem)
    for path, kinds in reject_counts:
        counts = entry(_folder(path))["rejects"]
        for kind, n in kinds.items():
            counts[kind] = counts.get(kind, 0) + n
    for path in tree.reports:
        entry(_folder(path))["runs"].append(_run(path, on_problem))
    return [_finish(days[key]) for key in sorted(days)]


def _empty(site: str, day: str) -> dict[str, Any]:
    return {
        "site": site,
        "day": day,
        "records": 0,
        "revisions": 0,
        "rejects": {},
        "coverage": {},
        "languages": {},
        "sections": [],
        "runs": [],
        "_present": Counter(),
        "_languages": Counter(),
        "_sections": Counter(),
    }


def _fill(
    rows: list[dict[str, Any]],
    entry: Callable[[tuple[str, str]], dict[str, Any]],
) -> None:
    for row in rows:
        day = entry(_folder(row["file"]))
        if "records" in row:
            day["records"] += row["records"]
            day["revisions"] += row["revisions"]
            day["_present"].update(row["present"])
        elif "language" in row:
            day["_languages"][row["language"]] += row["n"]
        else:
            day["_sections"][row["section"]] += row["n"]


def _finish(day: dict[str, Any]) -> dict[str, Any]:
    records = day["records"]
    present, languages, sections = day.pop("_present"), day.pop("_languages"), day.pop("_sections")
    if records:
        day["coverage"] = {n: round(present[n] / records, 4) for n in record_columns()}
        day["languages"] = {
            str(lang) if lang is not None else "null": round(n / records, 4)
            for lang, n in sorted(languages.items(), key=lambda kv: (-kv[1], str(kv[0])))
        }
    day["sections"] = [
        [name, n] for name, n in sorted(sections.items(), key=lambda kv: (-kv[1], kv[0]))
    ][:TOP_SECTIONS]
    day["rejects"] = dict(sorted(day["rejects"].items()))
    day["runs"].sort(key=lambda run: str(run.get("run_id")))
    return day


def _reject_kinds(path: Path, on_problem: Callable[[Problem], None]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for number, line in read_lines(path):
        if isinstance(line, Problem):
            on_problem(line)
            continue
        if not line.strip():
            continue
        try:
            reject = json.loads(line)
            kinds[str(reject.get("kind") or "unknown")] += 1
        except (ValueError, AttributeError):
            on_problem(Problem(path, number, "not a reject (a JSON object with a kind)"))
    return kinds


def _run(path: Path, on_problem: Callable[[Problem], None]) -> dict[str, Any]:
    """Return what ``stats`` shows of one run report; a report that cannot be read, or that
    is JSON but not an object, is reported (never fatal) and shown as ``unreadable``."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = str(exc)
    else:
        if isinstance(report, dict):
            return {key: report.get(key) for key in REPORT_KEYS if key in report}
        reason = f"not a JSON object but {type(report).__name__}"
    on_problem(Problem(path, None, f"unreadable run report: {reason}", fatal=False))
    return {"run_id": path.name.removesuffix(".report.json"), "status": "unreadable"}
