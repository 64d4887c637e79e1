"""``newscrawl extract``: the record of one saved page, or of a manifest of pages."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from newscrawl.cli import CommandError, dumps
from newscrawl.items import to_dict


def read_page(path: Path) -> bytes:
    """Return a saved page's bytes (``.gz`` files decompressed); raise CommandError."""
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if path.suffix == ".gz" else data
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: is a directory, not a saved page") from None
    except PermissionError:
        raise CommandError(f"{path}: permission denied") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise CommandError(f"{path}: cannot read: {exc}") from None


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise CommandError(f"--now {value!r} needs a UTC offset, e.g. +00:00")
    return parsed


def cmd_extract(args: argparse.Namespace) -> int:
    """Print the record of one saved page, or run a manifest of pages in one process."""
    from newscrawl.extraction import ExtractionError, extract_article
    from newscrawl.profiles import ProfileError, load_profile, register_profile_file

    if args.profile and args.profile_file:
        raise CommandError("give --profile NAME or --profile-file FILE, not both")
    try:
        if args.profile_file:
            profile = register_profile_file(args.profile_file)
        else:
            profile = load_profile(args.profile) if args.profile else None
    except ProfileError as exc:
        raise CommandError(str(exc)) from None
    now = _parse_now(args.now)
    if args.manifest:
        return _extract_manifest(Path(args.manifest), args.output, profile, now)
    if not args.file:
        raise CommandError("extract needs FILE or --manifest M.jsonl")
    path = Path(args.file)
    body = read_page(path)
    url = args.url or path.resolve().as_uri()
    try:
        article = extract_article(url, body, None, profile=profile, now=now)
    except ExtractionError as exc:
        raise CommandError(f"{path}: {exc} ({exc.kind})") from None
    print(dumps(to_dict(article), indent=2))
    return 0


def _extract_manifest(manifest: Path, output: str | None, profile: Any, now: Any) -> int:
    from newscrawl.extraction import ExtractionError, extract_article

    if not output:
        raise CommandError("--manifest needs -o OUT.jsonl")
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CommandError(f"{manifest}: cannot read: {exc.strerror or exc}") from None
    entries: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            entries.append({"path": str(entry["path"]), "url": entry.get("url")})
        except (ValueError, KeyError, TypeError):
            raise CommandError(f'{manifest}:{number}: not a {{"path", "url"}} line') from None
    failed = 0
    started = time.perf_counter()
    timings: list[float] = []
    out_path = Path(output)
    try:
        out = out_path.open("w", encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{out_path}: cannot write: {exc.strerror or exc}") from None
    with out:
        for entry in entries:
            page_started = time.perf_counter()
            path = manifest.parent / entry["path"]
            url = entry["url"] or path.resolve().as_uri()
            try:
                article = extract_article(url, read_page(path), None, profile=profile, now=now)
                line = {"path": entry["path"], "item": to_dict(article)}
            except (CommandError, ExtractionError) as exc:
                failed += 1
                line = {"path": entry["path"], "error": str(exc)}
            timings.append(time.perf_counter() - page_started)
            out.write(dumps(line) + "\n")
    elapsed = time.perf_counter() - started
    timings.sort()
    median = timings[len(timings) // 2] * 1000 if timings else 0.0
    print(
        f"{len(entries)} pages, {failed} failed, {elapsed:.2f} s "
        f"(median {median:.1f} ms/page) -> {out_path}",
        file=sys.stderr,
    )
    return 0


def register(sub: Any) -> None:
    """Add the ``extract`` command to the subcommands ``sub``."""
    extract = sub.add_parser("extract", help="print the record of a saved page")
    extract.add_argument("file", nargs="?", help="saved page (.html or .html.gz)")
    extract.add_argument("--url", help="the page's URL (chooses the profile)")
    extract.add_argument("--profile", help="profile name, overriding the choice by domain")
    extract.add_argument(
        "--profile-file", metavar="FILE", help="read the profile from this TOML file"
    )
    extract.add_argument("--now", help="crawl time for relative dates, ISO 8601 with offset")
    extract.add_argument("--manifest", help='JSON Lines of {"path", "url"}; needs -o')
    extract.add_argument("-o", "--output", help="output JSON Lines for --manifest")
    extract.set_defaults(func=cmd_extract)
