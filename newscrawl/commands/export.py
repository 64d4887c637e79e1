"""``newscrawl export``: every record under an output root as one typed table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from newscrawl.cli import CommandError

EXIT_BAD_INPUT = 1
"""``--strict`` and a line that cannot be read, or no record selected (cron sees a failure)."""


def analysis_modules() -> Any:
    """Import the analysis package; raise CommandError naming the extra when DuckDB is absent."""
    try:
        import duckdb  # noqa: F401
    except ImportError as exc:
        raise CommandError(
            f"this command needs {exc.name}: pip install 'newscrawl[analysis]'"
        ) from None
    from newscrawl import analysis

    return analysis


def print_problem(problem: Any) -> None:
    """Print one skipped line or file on stderr."""
    print(f"newscrawl: {problem}", file=sys.stderr)


def selection(args: argparse.Namespace, latest: bool = False) -> Any:
    """Return the Selection of ``--site``, ``--since``, ``--until``; CommandError if unparsable."""
    from newscrawl.analysis.records import Selection, parse_since, parse_until

    try:
        since = parse_since(args.since)
    except ValueError as exc:
        raise CommandError(f"--since: {exc}") from None
    try:
        until = parse_until(args.until)
    except ValueError as exc:
        raise CommandError(f"--until: {exc}") from None
    return Selection(args.site, since, until, latest)


def cmd_export(args: argparse.Namespace) -> int:
    """Write one Parquet, CSV or JSON Lines table of the records under OUT_ROOT."""
    analysis = analysis_modules()
    from newscrawl.analysis.export import NoRecords, export, format_for

    target = Path(args.output)
    try:
        fmt, compressed = format_for(target, args.format)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    chosen = selection(args, args.latest)
    if not Path(args.out_root).is_dir():
        raise CommandError(f"{args.out_root}: no such output folder")
    try:
        done = export(
            args.out_root,
            target,
            fmt,
            chosen,
            compressed=compressed,
            strict=args.strict,
            on_problem=print_problem,
        )
    except analysis.BadInput as exc:
        for problem in exc.problems:
            print_problem(problem)
        print(
            f"newscrawl: {len(exc.problems)} bad lines (--strict): nothing written", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    except NoRecords as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except analysis.AnalysisError as exc:
        raise CommandError(str(exc)) from None
    files = f"{done.files} file{'' if done.files == 1 else 's'}"
    print(f"{done.rows} records from {files} -> {done.path} ({fmt})", file=sys.stderr)
    return 0


def add_selection(parser: argparse.ArgumentParser) -> None:
    """Add ``--site``, ``--since`` and ``--until`` to ``parser``."""
    parser.add_argument("--site", help="only OUT_ROOT/SITE/")
    parser.add_argument(
        "--since", help="records crawled from then on: 2016-03-01, 2016-03-01T12:00:00+00:00, 2d"
    )
    parser.add_argument("--until", help="records crawled up to then; a date includes that day")


def register(sub: Any) -> None:
    """Add the ``export`` command to the subcommands ``sub``."""
    export = sub.add_parser("export", help="write all records as one Parquet, CSV or JSONL table")
    export.add_argument("out_root", metavar="OUT_ROOT", help="output folder of crawls (out)")
    export.add_argument("-o", "--output", required=True, metavar="FILE")
    export.add_argument(
        "--format", choices=("parquet", "csv", "jsonl"), help="default: from FILE's name"
    )
    export.add_argument("--latest", action="store_true", help="only the latest revision per url")
    add_selection(export)
    export.add_argument(
        "--strict", action="store_true", help="fail (exit 1) on a line that cannot be read"
    )
    export.set_defaults(func=cmd_export)
