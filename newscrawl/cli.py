"""The ``newscrawl`` command: crawl, extract, demo, validate, fixtures."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.items import to_dict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class CommandError(Exception):
    """A command cannot go on; its message is printed as one line and the exit code is 2."""


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Return ``value`` as JSON with non-ASCII kept as is."""
    separators = None if indent else (",", ":")
    return json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)


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


# -- extract --------------------------------------------------------------------------


def cmd_extract(args: argparse.Namespace) -> int:
    """Print the record of one saved page, or run a manifest of pages in one process."""
    from newscrawl.extract import ExtractionError, extract_article
    from newscrawl.profiles import ProfileError, load_profile

    try:
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
    from newscrawl.extract import ExtractionError, extract_article

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


# -- crawl / demo ----------------------------------------------------------------------


def apply_overrides(settings: Any, overrides: Sequence[str]) -> None:
    """Set each ``-s NAME=VALUE`` of ``overrides`` at command-line priority.

    Raises ValueError naming the first item without ``=``.
    """
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"-s {item!r}: expected NAME=VALUE")
        settings.set(key.strip(), value, priority="cmdline")


def _settings(overrides: Sequence[str], **values: Any) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    for key, value in values.items():
        if value is not None:
            settings.set(key, value, priority="cmdline")
    try:
        apply_overrides(settings, overrides)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return settings


def run_crawl(site: str, settings: Any, **spider_args: Any) -> dict[str, Any]:
    """Crawl ``site`` in this process (its spider holds the run lock); return the run report.

    Raises CommandError for an unknown site or unusable state, and AlreadyRunning when
    another run for the same site and state folder holds the lock.
    """
    from scrapy.crawler import CrawlerProcess
    from twisted.python.failure import Failure

    from newscrawl.profiles import ProfileError, load_profile
    from newscrawl.report import RunReport
    from newscrawl.runlock import AlreadyRunning
    from newscrawl.spiders import portal_spider

    try:
        load_profile(site)
    except ProfileError as exc:
        raise CommandError(str(exc)) from None
    locked: list[AlreadyRunning] = []

    def held_elsewhere(failure: Failure) -> None:
        failure.trap(AlreadyRunning)  # any other failure goes on to Scrapy's error log
        locked.append(failure.value)

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(portal_spider(site))
    # The spider takes the run lock as the crawl starts (see PortalSpider.from_crawler).
    deferred = process.crawl(crawler, **{k: v for k, v in spider_args.items() if v is not None})
    deferred.addErrback(held_elsewhere)
    process.start()
    if locked:
        raise locked[0]
    reports = [e for e in crawler.extensions.middlewares if isinstance(e, RunReport)]
    if not reports or reports[0].report is None:
        raise CommandError("the crawl ended without a report (see the log above)")
    return reports[0].report


def _run(site: str, settings: Any, **spider_args: Any) -> int:
    from newscrawl.report import summary
    from newscrawl.runlock import AlreadyRunning

    try:
        report = run_crawl(site, settings, **spider_args)
    except AlreadyRunning as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return exc.exit_code
    print(summary(report))
    return int(report["exit_code"])


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl a site profile into JSON Lines under the output folder."""
    settings = _settings(
        args.set,
        NEWSCRAWL_OUTPUT_DIR=args.output,
        NEWSCRAWL_STATE_DIR=args.state,
        LOG_LEVEL=args.log_level,
    )
    since = None
    if args.since:
        from newscrawl.state import parse_since

        try:
            since = parse_since(args.since, datetime.now(UTC)).isoformat()
        except ValueError as exc:
            raise CommandError(f"--since: {exc}") from None
    return _run(args.site, settings, base_url=args.base_url, profile=args.profile, since=since)


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the bundled fixture portal on 127.0.0.1 and crawl it with the real spider."""
    from newscrawl.devserver import FixtureSite, serve

    root = Path(args.fixtures)
    if not root.is_dir():
        raise CommandError(f"{root}: fixture portal not found (run from the project root)")
    settings = _settings(
        args.set,
        NEWSCRAWL_OUTPUT_DIR=args.output,
        NEWSCRAWL_STATE_DIR=args.state or str(Path(args.output) / ".state"),
        LOG_LEVEL=args.log_level,
        AUTOTHROTTLE_START_DELAY=0.0,
        DOWNLOAD_DELAY=0.0,
    )
    overlays = [Path(o) for o in args.overlay]
    with serve(FixtureSite(root, origins=(), overlays=overlays)) as server:
        print(f"serving {root} at {server.url} as https://jmn.info")
        return _run("jmn", settings, base_url=server.url)


# -- validate / fixtures ------------------------------------------------------------------


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
                    for error in record_errors(record):
                        print(f"{path}:{number}: {error.field}: {error.message}")
                    bad += bool(record_errors(record))
        except (OSError, UnicodeDecodeError, EOFError) as exc:
            raise CommandError(f"{path}: cannot read: {exc}") from None
    print(f"{total} lines, {bad} bad", file=sys.stderr)
    return 1 if bad else 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the record's JSON Schema, as shipped in the package."""
    from newscrawl.schema import article_schema

    print(dumps(article_schema(), indent=2))
    return 0


def cmd_fixtures_rerun(args: argparse.Namespace) -> int:
    """Print (or write) the current extraction of fixture cases, for a reviewed update."""
    from newscrawl.fixtures import FixtureCase, find_cases

    cases = find_cases(Path(args.fixtures), args.cases)
    if not cases:
        raise CommandError(f"no fixture case matches {' '.join(args.cases) or '(all)'}")
    for case in cases:
        result: FixtureCase = case
        current = result.current()
        if args.write:
            result.write_expected(current)
            print(f"wrote {result.json_path}")
        else:
            print(f"== {result.name}")
            print(dumps(current, indent=2))
    return 0


# -- entry point --------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``newscrawl`` command."""
    parser = argparse.ArgumentParser(prog="newscrawl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    crawl = sub.add_parser("crawl", help="crawl a site profile into JSON Lines")
    crawl.add_argument("site", help="portal profile name, e.g. jmn")
    crawl.add_argument("-o", "--output", default="out", help="output folder (default: out)")
    crawl.add_argument("--base-url", help="fetch the portal from this origin instead")
    crawl.add_argument("--profile", help="extraction profile, when it differs from SITE")
    crawl.add_argument("--state", default=None, help="state folder (default: .state)")
    crawl.add_argument("--since", help="only entries newer than this: 2d, 12h, 2016-03-01")
    crawl.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    crawl.add_argument("--log-level", default=None)
    crawl.set_defaults(func=cmd_crawl)

    extract = sub.add_parser("extract", help="print the record of a saved page")
    extract.add_argument("file", nargs="?", help="saved page (.html or .html.gz)")
    extract.add_argument("--url", help="the page's URL (chooses the profile)")
    extract.add_argument("--profile", help="profile name, overriding the choice by domain")
    extract.add_argument("--now", help="crawl time for relative dates, ISO 8601 with offset")
    extract.add_argument("--manifest", help='JSON Lines of {"path", "url"}; needs -o')
    extract.add_argument("-o", "--output", help="output JSON Lines for --manifest")
    extract.set_defaults(func=cmd_extract)

    demo = sub.add_parser("demo", help="crawl the bundled fixture portal on 127.0.0.1")
    demo.add_argument("-o", "--output", default="out/demo")
    demo.add_argument("--fixtures", default=str(PROJECT_ROOT / "fixtures" / "jmn"))
    demo.add_argument("--state", help="state folder (default: OUTPUT/.state)")
    demo.add_argument(
        "--overlay",
        action="append",
        default=[],
        help="serve these changes on top (e.g. fixtures/jmn/nextday, the portal a day later)",
    )
    demo.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    demo.add_argument("--log-level", default="WARNING")
    demo.set_defaults(func=cmd_demo)

    validate = sub.add_parser("validate", help="check JSON Lines files against the schema")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(func=cmd_validate)

    schema = sub.add_parser("schema", help="print the record's JSON Schema (draft 2020-12)")
    schema.set_defaults(func=cmd_schema)

    fixtures = sub.add_parser("fixtures", help="fixture maintenance")
    fsub = fixtures.add_subparsers(dest="fixtures_command", required=True)
    rerun = fsub.add_parser("rerun", help="print or write the current extraction of cases")
    rerun.add_argument("cases", nargs="*", help="case names (site/case or case); all if none")
    rerun.add_argument("--write", action="store_true", help="overwrite the expected records")
    rerun.add_argument("--fixtures", default=str(PROJECT_ROOT / "fixtures"))
    rerun.set_defaults(func=cmd_fixtures_rerun)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CommandError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
