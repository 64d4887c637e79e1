"""Typed reads of an output tree through DuckDB: a DataFrame, a file export, SQL views.

Every read declares the columns from the JSON Schema (``columns.py``), so nothing is
sniffed. The fast path hands DuckDB the list of published batch files; when DuckDB refuses
them (a line that is not JSON, a truncated gzip file, a record of a schema version it does
not know, a value of the wrong type), every selected file is checked line by line, each bad
line is reported as ``file:line: why``, and the load runs again on the good lines only, or
stops with :class:`BadInput` when ``strict``.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from newscrawl.analysis.columns import (
    duckdb_columns_sql,
    not_null_columns,
    record_columns,
    supported_versions,
)
from newscrawl.analysis.files import (
    AnalysisError,
    BadInput,
    Problem,
    Tree,
    check_file,
    find_files,
)

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

T = TypeVar("T")

SQL_FILE = "articles.sql"
ROOT_VARIABLE = "getvariable('newscrawl_out')"
"""How ``articles.sql`` names the output root; ``duckdb_view`` puts the path in its place."""

LATEST = "QUALIFY row_number() OVER (PARTITION BY url ORDER BY revision DESC, crawled_at DESC) = 1"
"""Keep the latest revision of each ``url`` (the later crawl when two have the same number)."""

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""Export format by file name suffix (before an optional ``.gz``)."""


class RecordsWarning(UserWarning):
    """A line or file of the tree was skipped, or the tree holds no records."""


@dataclass(frozen=True)
class Selection:
    """Which records a read keeps: a site folder, a crawl-time range, the latest revisions."""

    site: str | None = None
    since: datetime | None = None
    """Keep ``crawled_at >= since``."""
    until: datetime | None = None
    """Keep ``crawled_at < until`` (an exclusive bound; see :func:`parse_until`)."""
    latest: bool = False

    def days(self) -> tuple[date | None, date | None]:
        """Return the day folders that can hold the records (a run's folder is its start day).

        A run that passes midnight writes records crawled on day D into folder D-1, so the
        first folder is the day before ``since`` (no day is before 0001-01-01).
        """
        first = None
        if self.since:
            day = self.since.astimezone(UTC).date()
            first = day - timedelta(days=1) if day > date.min else day
        last = self.until.astimezone(UTC).date() if self.until else None
        return first, last


def parse_since(
    value: str | date | datetime | None, now: datetime | None = None
) -> datetime | None:
    """Return the first instant ``value`` keeps: a date (midnight UTC), an aware date-time, or
    a duration before now (``30m``, ``12h``, ``2d``, ``1w``). Raises ValueError otherwise.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError(f"since {value.isoformat()!r} is out of range in UTC") from None
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    from newscrawl.storage.state import parse_since as parse

    return parse(value, now or datetime.now(UTC))


def parse_until(
    value: str | date | datetime | None, now: datetime | None = None
) -> datetime | None:
    """Return the exclusive end of ``value``: a date keeps that whole day (UTC), a date-time
    or a duration keeps everything up to that instant. Raises ValueError otherwise, also
    for an end that a ``datetime`` cannot hold (``9999-12-31``: the day after it).
    """
    if value is None:
        return None
    try:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value + timedelta(days=1), time(), tzinfo=UTC)
        if isinstance(value, str) and len(value.strip()) == 10 and value.strip()[:1].isdigit():
            return parse_until(date.fromisoformat(value.strip()))
        moment = parse_since(value, now)
        assert moment is not None
        return moment + timedelta(microseconds=1)
    except OverflowError:
        raise ValueError(
            f"until {str(value)!r} is out of range: its end must fall before the year 10000 UTC"
        ) from None


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def path_sql(path: Path) -> str:
    """Return ``path`` as a SQL string literal for DuckDB.

    Raises AnalysisError for a path that is not UTF-8 (a name Python holds with surrogate
    escapes): DuckDB cannot take it, and fails with ``std::bad_cast`` instead of a message.
    """
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise AnalysisError(
            f"{text.encode('utf-8', 'backslashreplace').decode()}: DuckDB cannot open a path "
            "that is not UTF-8; rename the folder or link to it under a UTF-8 name"
        ) from None
    return _quote(text)


def _timestamp(moment: datetime) -> str:
    return f"TIMESTAMPTZ {_quote(moment.astimezone(UTC).isoformat())}"


def read_json_sql(source: str, *, filename: bool = False) -> str:
    """Return ``read_json(source, ...)`` with every column typed; ``source`` is SQL text.

    ``filename`` adds DuckDB's ``filename`` column (the file each row comes from).
    """
    extra = "filename = true, " if filename else ""
    return (
        f"read_json({source}, format = 'newline_delimited', compression = 'auto_detect', "
        f"{extra}columns = {duckdb_columns_sql()})"
    )


def guarded_where(condition: str, names: tuple[str, ...] | None = None) -> str:
    """Return a ``WHERE`` clause that keeps the rows where ``condition`` holds and fails the
    query (DuckDB's ``error()``) on a row of an unknown ``schema_version`` or with a null in
    one of ``names`` (default: every column the schema forbids to be null).

    The check and the condition are one ``CASE``, so no row escapes the check by failing the
    condition first: a filter never decides whether a bad line is found.
    """
    names = not_null_columns() if names is None else names
    checks = [f"{name} IS NOT NULL" for name in names if name != "schema_version"]
    if "schema_version" in names:
        versions = ", ".join(_quote(v) for v in supported_versions())
        checks.insert(0, f"schema_version IN ({versions})")
    return (
        f" WHERE CASE WHEN {' AND '.join(checks)} THEN {condition} ELSE error("
        "'newscrawl: a record of an unknown schema_version or with a null required field'"
        ") END"
    )


def select_sql(
    files: list[Path], selection: Selection, *, filename: bool = False, stream: bool = False
) -> str:
    """Return the query of the selected records of ``files``, typed, filtered, guarded.

    A record of an unknown ``schema_version``, or with a null or missing value in a key the
    schema forbids to be null (:func:`~newscrawl.analysis.columns.not_null_columns`), makes
    the query fail (:func:`guarded_where`), which sends the read to the line-by-line check
    that names it. ``latest`` keeps the latest revision of each ``url`` with a window
    (``QUALIFY``); with ``stream`` it joins the records to their ``(url, max(revision))``
    read in a first pass instead, so that DuckDB never holds all the rows: two reads of the
    files, far less memory. A url whose latest revision was written twice then has two rows
    (see :func:`_drop_ties`).
    """
    source = "[" + ", ".join(path_sql(p) for p in files) + "]"
    where = []
    if selection.since:
        where.append(f"crawled_at >= {_timestamp(selection.since)}")
    if selection.until:
        where.append(f"crawled_at < {_timestamp(selection.until)}")
    condition = " AND ".join(where) or "true"
    sql = f"SELECT * FROM {read_json_sql(source, filename=filename)}{guarded_where(condition)}"
    if selection.latest and stream:
        # The keys are checked too: a join may drop rows before the records' WHERE sees them.
        key_check = guarded_where(condition, ("url", "revision", "crawled_at"))
        keys = (
            f"SELECT url, max(revision) AS revision FROM read_json({source}, "
            "format = 'newline_delimited', compression = 'auto_detect', columns = "
            f"{{url: 'VARCHAR', revision: 'BIGINT', crawled_at: 'TIMESTAMPTZ'}}){key_check} "
            "GROUP BY url"
        )
        sql = f"SELECT * FROM ({sql}) SEMI JOIN ({keys}) USING (url, revision)"
    elif selection.latest:
        sql += f" {LATEST}"
    return sql


def connect() -> duckdb.DuckDBPyConnection:
    """Return an in-memory DuckDB connection: time stamps shown in UTC, no progress bar."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB draws a progress bar on stdout during long queries; stdout is the caller's.
    con.execute("SET enable_progress_bar = false")
    return con


def one_line(error: BaseException) -> str:
    """Return an error's message on one line (DuckDB's run over several)."""
    return " ".join(str(error).split())


def report_problem(problem: Problem) -> None:
    """Warn about a skipped line or file (the default ``on_problem`` of the Python API)."""
    warnings.warn(str(problem), RecordsWarning, stacklevel=4)


def run_typed(
    tree: Tree,
    selection: Selection,
    action: Callable[[str], T],
    *,
    strict: bool = False,
    on_problem: Callable[[Problem], None] = report_problem,
    filename: bool = False,
    stream: bool = False,
) -> T:
    """Return ``action(sql)`` for the selected records of ``tree``; skip what cannot be read.

    ``tree.records`` must not be empty. Each note of ``tree`` (a temp file) is reported;
    with ``strict`` a fatal one would raise :class:`BadInput` before anything is read. When
    DuckDB refuses the files, every file is checked line by line: with ``strict`` a
    :class:`BadInput` listing every bad line is raised; otherwise each bad line is reported
    and ``action`` runs again on the good lines (from plain scratch copies, one folder per
    file, that keep the last three parts of each path, ``<n>/<site>/<day>/<name>``, so a
    ``x.jsonl`` and a ``x.jsonl.gz`` stay two files). ``filename`` adds DuckDB's ``filename``
    column; ``stream`` is passed to :func:`select_sql`. Raises AnalysisError when DuckDB
    refuses files in which the check finds nothing wrong, or refuses the good lines too.
    ``action`` raises what is not about reading (a file it cannot write) as an
    AnalysisError of its own, so that it is neither taken for bad input nor re-read.
    """
    import duckdb

    fatal = [note for note in tree.notes if note.fatal]
    if strict and fatal:
        raise BadInput(fatal)
    for note in tree.notes:
        on_problem(note)
    try:
        return action(select_sql(tree.records, selection, filename=filename, stream=stream))
    except duckdb.Error as exc:
        refused = exc
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="newscrawl-") as scratch:
        files: list[Path] = []
        for index, path in enumerate(tree.records):
            found, good = check_file(path)
            if not found:
                files.append(path)
                continue
            problems.extend(found)
            # Written plain, so the name loses its .gz; the folder keeps it apart.
            clean = Path(scratch, str(index), *path.parts[-3:-1], path.name.removesuffix(".gz"))
            clean.parent.mkdir(parents=True, exist_ok=True)
            clean.write_bytes(b"".join(good))
            files.append(clean)
        if not problems:
            raise AnalysisError(f"{tree.root}: DuckDB cannot read the records: {one_line(refused)}")
        if strict:
            raise BadInput(problems)
        for problem in problems:
            on_problem(problem)
        try:
            return action(select_sql(files, selection, filename=filename, stream=stream))
        except duckdb.Error as exc:
            raise AnalysisError(
                f"{tree.root}: DuckDB cannot read the records: {one_line(exc)}"
            ) from None


def _tree(out_root: str | os.PathLike[str], selection: Selection) -> Tree:
    first, last = selection.days()
    return find_files(Path(out_root), selection.site, first, last)


# -- pandas ------------------------------------------------------------------------------

PANDAS_DTYPES = {
    "string": "str",
    "timestamp": "datetime64[us, UTC]",
    "integer": "int64",
    "boolean": "boolean",
}
"""The dtype of each scalar kind in :func:`read_records`; lists and structs are ``object``."""


def empty_frame() -> pd.DataFrame:
    """Return a DataFrame with no rows and the columns and dtypes of :func:`read_records`."""
    import pandas as pd

    return pd.DataFrame(
        {
            name: pd.Series([], dtype=PANDAS_DTYPES.get(column.kind, "object"))
            for name, column in record_columns().items()
        }
    )


def _to_lists(values: Any) -> list[Any]:
    """Return DuckDB's list cells (numpy arrays) as Python lists, and null as None."""
    return [
        v.tolist() if hasattr(v, "tolist") else (v if isinstance(v, list) else None) for v in values
    ]


def _to_dicts(values: Any) -> list[Any]:
    """Return struct cells as dicts, and null (``pd.NA`` from DuckDB) as None."""
    return [v if isinstance(v, dict) else None for v in values]


def _typed_frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """Run ``sql`` and return its rows with the documented dtypes, converted chunk by chunk."""
    import pandas as pd

    con.execute(sql)
    chunks = []
    with warnings.catch_warnings():
        # DuckDB 2.0's own conversion calls a pandas API that pandas 3.1 deprecates.
        warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop")
        while len(chunk := con.fetch_df_chunk(8)):
            chunks.append(_convert(chunk))
    if not chunks:
        return empty_frame()
    return pd.concat(chunks, ignore_index=True)


def _convert(frame: pd.DataFrame) -> pd.DataFrame:
    for name, column in record_columns().items():
        if column.kind == "list":
            frame[name] = _to_lists(frame[name])
        elif column.kind == "struct":
            frame[name] = _to_dicts(frame[name])
        elif column.kind == "integer" and frame[name].isna().any():
            frame[name] = frame[name].astype("Int64")
        elif column.kind in PANDAS_DTYPES:
            frame[name] = frame[name].astype(PANDAS_DTYPES[column.kind])
    return frame


def read_records(
    out_root: str | os.PathLike[str],
    latest: bool = False,
    site: str | None = None,
    since: str | date | datetime | None = None,
    *,
    until: str | date | datetime | None = None,
    strict: bool = False,
    on_problem: Callable[[Problem], None] = report_problem,
) -> pd.DataFrame:
    """Return every record under ``out_root`` as a pandas DataFrame, typed from the schema.

    Columns are the record's 21 keys in order. Dtypes: text ``str`` (null is NaN); the
    three dates ``datetime64[us, UTC]`` (null is NaT); ``revision`` ``int64``; ``body``,
    ``authors``, ``tags`` Python lists of ``str``; ``breadcrumb``, ``images``, ``teasers``
    lists of dicts; ``headline_alt`` a dict or None.

    ``latest`` keeps the highest revision of each ``url``; ``site`` reads only
    ``out_root/<site>/``; ``since`` and ``until`` keep records crawled from ``since`` and
    up to ``until`` (a date, an aware date-time, or a duration such as ``"2d"``; a date as
    ``until`` includes that day). Filters apply before ``latest``.

    A tree with no record file gives an empty DataFrame with these dtypes and a
    :class:`RecordsWarning`. Lines that cannot be read are skipped, each passed to
    ``on_problem`` (default: a RecordsWarning naming file and line); with ``strict`` they
    raise :class:`BadInput` instead. Raises AnalysisError when ``out_root`` is not a folder,
    ValueError for a ``since`` or ``until`` it cannot parse.
    """
    selection = Selection(site, parse_since(since), parse_until(until), latest)
    tree = _tree(out_root, selection)
    if not tree.records:
        for note in tree.notes:
            on_problem(note)
        on_problem(Problem(Path(out_root), None, "no record files", fatal=False))
        return empty_frame()
    con = connect()
    try:
        frame = run_typed(
            tree,
            selection,
            lambda sql: _typed_frame(con, sql),
            strict=strict,
            on_problem=on_problem,
            stream=True,
        )
    finally:
        con.close()
    return _drop_ties(frame) if latest else frame


def _drop_ties(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep one row per ``url``: the latest crawl among rows of the same highest revision."""
    if not frame["url"].duplicated().any():
        return frame
    ordered = frame.sort_values("crawled_at", kind="stable")
    return ordered.drop_duplicates("url", keep="last").sort_index().reset_index(drop=True)


# -- DuckDB views ------------------------------------------------------------------------


def articles_sql() -> str:
    """Return the text of ``articles.sql``, the views for DuckDB users, as shipped."""
    return resources.files(__package__).joinpath(SQL_FILE).read_text(encoding="utf-8")


def duckdb_view(con: duckdb.DuckDBPyConnection, out_root: str | os.PathLike[str]) -> None:
    """Create (or replace) the views ``articles`` and ``articles_latest`` on ``con``.

    They run ``articles.sql`` with the output root's absolute path in place of the
    ``newscrawl_out`` variable: ``articles`` reads every published record file under
    ``out_root`` (types declared, never sniffed) each time it is queried, so new batches
    appear; ``articles_latest`` keeps the latest revision of each ``url``. Temp files are
    never read. Querying them when the tree holds no record file fails in DuckDB. Raises
    AnalysisError when the root's path is not UTF-8.
    """
    root = path_sql(Path(out_root).resolve())
    con.execute(articles_sql().replace(ROOT_VARIABLE, root))
