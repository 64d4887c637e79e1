"""``newscrawl validate`` and ``newscrawl schema``: the record contract."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from newscrawl.cli import CommandError, dumps


def cmd_validate(args: argparse.Namespace) -> int:
    """Check JSON Lines files against the record schema; print each bad line.

    Every file is checked, whatever an earlier one held: a line that is not UTF-8, not
    JSON, not an object or not a valid record is printed as ``FILE:N: reason``, and so is
    the first line of a rest that cannot be read (a corrupt or truncated gzip). Exit 1
    when one of those was found, 0 otherwise; a file that cannot be opened at all is a
    usage error (exit 2), found before any file is checked.
    """
    paths = [Path(name) for name in args.files]
    for path in paths:
        try:
            path.open("rb").close()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror or exc}") from None
    total = bad = unread = 0
    for path in paths:
        lines, bad_lines, read_to_end = _validate_file(path)
        total += lines
        bad += bad_lines
        unread += not read_to_end
    summary = f"{total} lines, {bad} bad"
    if unread:
        summary += f", {unread} {'file' if unread == 1 else 'files'} not read to the end"
    print(summary, file=sys.stderr)
    return 1 if bad or unread else 0


def _validate_file(path: Path) -> tuple[int, int, bool]:
    """Print the bad lines of the JSON Lines file ``path`` (gzip when it ends in ``.gz``)
    and return how many lines it has that are not blank, how many of them are bad, and
    whether the file was read to its end (else the line where reading stopped is
    printed with the reason)."""
    from newscrawl.analysis.files import Problem, read_lines

    total = bad = 0
    for number, raw in read_lines(path):
        if isinstance(raw, Problem):
            print(f"{path}:{number}: cannot read the rest of the file: {raw.message}")
            return total, bad, False
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            total += 1
            bad += 1
            print(f"{path}:{number}: not UTF-8: {exc}")
            continue
        if not line.strip():
            continue
        total += 1
        problems = _line_problems(line)
        for problem in problems:
            print(f"{path}:{number}: {problem}")
        bad += bool(problems)
    return total, bad, True


def _line_problems(line: str) -> list[str]:
    """Return what is wrong with one JSON Lines ``line`` as a record, one string per
    problem (``field: message`` for a schema error); empty when the record is valid."""
    from newscrawl.schema import record_errors

    try:
        record = json.loads(line)
    except ValueError as exc:
        return [f"not JSON: {exc}"]
    if not isinstance(record, dict):
        return ["not a JSON object"]
    return [
        f"{error.field}: {error.message}" for error in record_errors(record, earlier_versions=True)
    ]


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the record's JSON Schema, as shipped in the package."""
    from newscrawl.schema import article_schema

    print(dumps(article_schema(), indent=2))
    return 0


def register(sub: Any) -> None:
    """Add the ``validate`` and ``schema`` commands to the subcommands ``sub``."""
    validate = sub.add_parser("validate", help="check JSON Lines files against the schema")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(func=cmd_validate)
    schema = sub.add_parser("schema", help="print the record's JSON Schema (draft 2020-12)")
    schema.set_defaults(func=cmd_schema)
