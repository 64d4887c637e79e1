"""``newscrawl validate`` and ``newscrawl schema``: the record contract."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

from newscrawl.cli import CommandError, dumps


def cmd_validate(args: argparse.Namespace) -> int:
    """Check JSON Lines files against the record schema; print each bad line."""
    from newscrawl.schema import record_errors

    bad = 0
    total = 0
    for name in args.files:
        path = Path(name)
        opener = gzip.open if path.suffix == ".gz" else open
        try:
            with opener(path, "rt", encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    total += 1
                    try:
                        record = json.loads(line)
                    except ValueError as exc:
                        bad += 1
                        print(f"{path}:{number}: not JSON: {exc}")
                        continue
                    if not isinstance(record, dict):
                        bad += 1
                        print(f"{path}:{number}: not a JSON object")
                        continue
                    errors = record_errors(record)
                    for error in errors:
                        print(f"{path}:{number}: {error.field}: {error.message}")
                    bad += bool(errors)
        except (OSError, UnicodeDecodeError, EOFError) as exc:
            raise CommandError(f"{path}: cannot read: {exc}") from None
    print(f"{total} lines, {bad} bad", file=sys.stderr)
    return 1 if bad else 0


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
