"""One table of all records under an output root, written by DuckDB: Parquet, CSV, JSON Lines."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newscrawl.analysis.columns import record_columns
from newscrawl.analysis.files import AnalysisError, Problem
from newscrawl.analysis.records import (
    FORMATS,
    Selection,
    _tree,
    connect,
    one_line,
    path_sql,
    report_problem,
    run_typed,
)

ISO_UTC = "%Y-%m-%dT%H:%M:%S+00:00"
"""How CSV and JSON Lines exports write a time stamp: ISO 8601 in UTC, as ``crawled_at`` is."""


class NoRecords(AnalysisError):
    """The selection holds no record: nothing was written."""


@dataclass(frozen=True)
class Exported:
    """What an export wrote."""

    path: Path
    rows: int
    files: int
    """Record files read."""


def format_for(path: Path, given: str | None = None) -> tuple[str, bool]:
    """Return ``(format, gzip)`` for an export file: ``given`` or the name's suffix.

    ``x.parquet``, ``x.csv``, ``x.csv.gz``, ``x.jsonl``, ``x.jsonl.gz``, ``x.ndjson``.
    Raises ValueError when neither says which format.
    """
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes.pop()
    if given:
        if given not in set(FORMATS.values()):
            raise ValueError(f"unknown format {given!r}: parquet, csv or jsonl")
        return given, compressed and given != "parquet"
    suffix = suffixes[-1] if suffixes else ""
    if suffix not in FORMATS:
        raise ValueError(f"{path}: cannot tell the format from the name; give --format")
    return FORMATS[suffix], compressed and FORMATS[suffix] != "parquet"


def _projection(fmt: str) -> str:
    """Return the select list: Parquet keeps native types; text formats get ISO time stamps
    (and, in CSV, lists and structs as JSON text)."""
    if fmt == "parquet":
        return "*"
    replaced = []
    for name, column in record_columns().items():
        if column.kind == "timestamp":
            replaced.append(f"strftime({name}, '{ISO_UTC}') AS {name}")
        elif fmt == "csv" and column.kind in ("list", "struct"):
            replaced.append(f"to_json({name})::VARCHAR AS {name}")
    return f"* REPLACE ({', '.join(replaced)})" if replaced else "*"


def _options(fmt: str, compressed: bool) -> str:
    options = {
        "parquet": "FORMAT parquet",
        "csv": "FORMAT csv, HEADER true",
        "jsonl": "FORMAT json",
    }[fmt]
    if fmt != "parquet":
        options += f", COMPRESSION {'gzip' if compressed else 'none'}"
    return options


def export(
    out_root: str | os.PathLike[str],
    target: str | os.PathLike[str],
    fmt: str,
    selection: Selection,
    *,
    compressed: bool = False,
    strict: bool = False,
    on_problem: Callable[[Problem], None] = report_problem,
) -> Exported:
    """Write the selected records under ``out_root`` to ``target`` as one typed table.

    The file appears only when complete: DuckDB writes a hidden temp file beside it, which
    is renamed over ``target``. Raises NoRecords (nothing written) when no record is
    selected, BadInput with ``strict`` when a line cannot be read, AnalysisError otherwise,
    ``cannot write TARGET: ...`` when the temp file cannot be created (checked before any
    record is read) or written.
    """
    target = Path(target)
    if not target.parent.is_dir():
        raise AnalysisError(f"cannot write {target}: no such folder {target.parent}")
    tree = _tree(out_root, selection)
    if not tree.records:
        for note in tree.notes:
            on_problem(note)
        where = f"{Path(out_root) / selection.site}" if selection.site else str(out_root)
        raise NoRecords(f"{where}: no record files (<site>/<day>/*.jsonl*); nothing written")
    import duckdb

    temp = target.with_name(f".{target.name}.part")
    con = connect()
    # DuckDB's own threads; its insertion order keeps the rows in file order.
    con.execute("SET preserve_insertion_order = true")

    def copy(sql: str) -> int:
        query = f"SELECT {_projection(fmt)} FROM ({sql})"
        try:
            ((rows,),) = con.execute(
                f"COPY ({query}) TO {path_sql(temp)} ({_options(fmt, compressed)})"
            ).fetchall()
        except duckdb.IOException as exc:
            if str(temp) in str(exc):  # writing, not reading: no bad line can explain it
                raise AnalysisError(f"cannot write {target}: {one_line(exc)}") from None
            raise
        return int(rows)

    try:
        temp.open("wb").close()  # an unwritable target fails before every file is read
        rows = run_typed(tree, selection, copy, strict=strict, on_problem=on_problem)
        if rows == 0:
            raise NoRecords(f"{out_root}: no record matches the selection; nothing written")
        os.replace(temp, target)
    except OSError as exc:
        raise AnalysisError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        con.close()
        temp.unlink(missing_ok=True)
    return Exported(target, rows, len(tree.records))
