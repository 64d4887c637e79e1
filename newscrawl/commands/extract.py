"""``newscrawl extract``: the record of one saved page, or of a manifest of pages."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
import zlib
from pathlib import Path
from typing import Any

from newscrawl.cli import CommandError, dumps, parse_now
from newscrawl.items import to_dict


def read_page(path: Path, max_size: int | None = None) -> bytes:
    """Return a saved page's bytes (``.gz`` files decompressed); raise CommandError.

    A page larger than ``max_size`` bytes (default: the crawl's ``DOWNLOAD_MAXSIZE``),
    on disk or once decompressed, is refused: decompression stops there, so a small
    gzip bomb costs no more memory than the largest page the crawl would take. A ``.gz``
    file of one clean gzip member is read and decompressed at once
    (:func:`gunzip_one_member`); any other goes through the ``gzip`` module.
    """
    limit = _download_maxsize() if max_size is None else max_size
    try:
        if path.suffix != ".gz":
            if path.stat().st_size > limit:
                raise CommandError(f"{path}: larger than {limit} bytes (DOWNLOAD_MAXSIZE)")
            return path.read_bytes()
        with path.open("rb", buffering=0) as raw:  # the file at once, when it is no larger
            packed = raw.read() if os.fstat(raw.fileno()).st_size <= limit else b""
        if packed and (data := gunzip_one_member(packed, limit)) is not None:
            return data
        with gzip.open(path, "rb") as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise CommandError(
                f"{path}: decompresses to more than {limit} bytes (DOWNLOAD_MAXSIZE)"
            )
        return data
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: is a directory, not a saved page") from None
    except PermissionError:
        raise CommandError(f"{path}: permission denied") from None
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise CommandError(f"{path}: cannot read: {exc}") from None


def gunzip_one_member(packed: bytes, limit: int) -> bytes | None:
    """Return the page that ``packed`` holds as one whole gzip member (its CRC and length
    checked) of at most ``limit`` bytes; None for anything else (damaged, cut short, several
    members, bytes after the member, larger than ``limit``).

    One call into zlib, where the ``gzip`` module reads through two buffered layers (a
    fifth of the time of reading a saved page); :func:`read_page` reads whatever this
    declines with the ``gzip`` module, so its pages and messages stay the same.
    """
    inflate = zlib.decompressobj(wbits=31)  # 16 + 15: a gzip header and trailer
    try:
        data = inflate.decompress(packed, limit + 1)
    except zlib.error:
        return None
    if not inflate.eof or inflate.unused_data or len(data) > limit:
        return None
    return data


def _download_maxsize() -> int:
    """Return the crawl's ``DOWNLOAD_MAXSIZE`` as newscrawl's settings give it."""
    from newscrawl import settings

    return int(settings.DOWNLOAD_MAXSIZE)


EXIT_FAILED = 1
"""A record was extracted but fails the schema (one page), or a page failed (--strict)."""


def page_url(given: str | None, body: bytes, path: Path | str) -> str:
    """Return the URL to extract the page read from ``path`` under: ``given``, else the URL
    the page declares; raise CommandError when there is neither (a record needs its URL)
    or when the page is refused before its URL could be read (too large, not HTML)."""
    from newscrawl.extraction import ExtractionError, declared_url, parse_html

    if given:
        return given
    try:
        url = declared_url(parse_html(body))
    except ExtractionError as exc:
        raise CommandError(f"{path}: {exc} ({exc.kind})") from None
    if url is None:
        raise CommandError(
            f"{path}: the page declares no URL (no canonical link or og:url): give it with --url"
        )
    return url


def is_web_url(value: str) -> bool:
    """Tell whether the FILE argument is a URL (``scheme://...``) rather than a path; only
    http and https ones are then fetched, any other scheme is refused."""
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", value) is not None


def fetch_source(url: str, timeout: float | None) -> tuple[bytes, str, dict[str, str]]:
    """Fetch ``url`` politely (see ``newscrawl.pagefetch``); return its body, its final URL
    after redirects and its headers; raise CommandError with the reason in one line."""
    from newscrawl.pagefetch import FetchError, PageFetcher

    if timeout is not None and not timeout > 0:
        raise CommandError(f"--timeout {timeout:g}: must be more than 0 seconds")
    try:
        fetched = PageFetcher(timeout=timeout).fetch_page(url)
    except FetchError as exc:
        raise CommandError(str(exc)) from None
    return fetched.body, fetched.url, fetched.headers


def stdin_source() -> bytes:
    """Return the page on standard input (gunzipped if it is gzip), within the crawl's
    ``DOWNLOAD_MAXSIZE``; raise CommandError."""
    from newscrawl.pagefetch import FetchError, read_bounded

    try:
        return read_bounded(sys.stdin.buffer, _download_maxsize(), "stdin")
    except FetchError as exc:
        raise CommandError(str(exc)) from None


def schema_problem(record: dict[str, Any]) -> str | None:
    """Return the schema violations of ``record`` as one line, or None when it is valid."""
    from newscrawl.schema import record_errors

    errors = record_errors(record)
    return "; ".join(f"{e.field}: {e.message}" for e in errors) if errors else None


def cmd_extract(args: argparse.Namespace) -> int:
    """Print the record of one page, or run a manifest of pages in one process.

    One page (a saved file, an http(s) URL fetched politely, or ``-`` for stdin): the
    record on stdout and exit 0; a page that is not an article, or that cannot be read or
    fetched, exits 2 and a record that fails the schema exits 1, each with one line on
    stderr and nothing on stdout.
    """
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
    now = parse_now(args.now)
    if args.manifest:
        return _extract_manifest(Path(args.manifest), args.output, profile, now, args.strict)
    if args.output:
        raise CommandError(
            "-o is for --manifest: the record of one page goes to stdout (add > FILE)"
        )
    if not args.file:
        raise CommandError("extract needs FILE, URL, - or --manifest M.jsonl")
    headers: dict[str, str] | None = None
    if args.file == "-":
        label = "stdin"
        body = stdin_source()
        url = page_url(args.url, body, label)
    elif is_web_url(args.file):
        body, final_url, headers = fetch_source(args.file, args.timeout)
        label = final_url
        url = args.url or final_url
    else:
        label = args.file
        body = read_page(Path(args.file))
        url = page_url(args.url, body, label)
    try:
        record = to_dict(extract_article(url, body, headers, profile=profile, now=now))
    except ExtractionError as exc:
        raise CommandError(f"{label}: {exc} ({exc.kind})") from None
    if problem := schema_problem(record):
        print(f"newscrawl: {label}: the record fails the schema: {problem}", file=sys.stderr)
        return EXIT_FAILED
    print(dumps(record, indent=2))
    return 0


def _extract_manifest(
    manifest: Path, output: str | None, profile: Any, now: Any, strict: bool
) -> int:
    """Extract every page a manifest lists; see ``MANIFEST_HELP`` for the lines it writes.

    Returns 0, or EXIT_FAILED with ``strict`` when any page failed.
    """
    from newscrawl.extraction import ExtractionError, extract_article

    if not output:
        raise CommandError("--manifest needs -o OUT.jsonl")
    out_path = Path(output)
    if _same_file(out_path, manifest):
        raise CommandError(f"-o {out_path} is the manifest itself: give another output file")
    entries = read_manifest(manifest)
    failed = 0
    started = time.perf_counter()
    timings: list[float] = []
    try:
        out = out_path.open("w", encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{out_path}: cannot write: {exc.strerror or exc}") from None
    with out:
        for entry in entries:
            page_started = time.perf_counter()
            path = manifest.parent / entry["path"]
            crawled = entry["now"] or now  # the page's own crawl time comes first
            try:
                body = read_page(path)
                url = page_url(entry["url"], body, path)
                record = to_dict(extract_article(url, body, None, profile=profile, now=crawled))
                if problem := schema_problem(record):
                    raise CommandError(f"the record fails the schema: {problem}")
                line = {"path": entry["path"], "item": record}
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
    return EXIT_FAILED if strict and failed else 0


def _same_file(a: Path, b: Path) -> bool:
    """Return whether the paths ``a`` and ``b`` name one file (through links too)."""
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


def read_manifest(manifest: Path) -> list[dict[str, Any]]:
    """Return the entries (``{"path": str, "url": str | None, "now": datetime | None}``,
    ``now`` aware) of the manifest file ``manifest``, blank lines left out; raise
    CommandError naming the file, or the file and the number of the first line that is not
    UTF-8 or not such an object."""
    try:
        data = manifest.read_bytes()
    except OSError as exc:
        raise CommandError(f"{manifest}: cannot read: {exc.strerror or exc}") from None
    entries: list[dict[str, Any]] = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{manifest}:{number}: not UTF-8: {exc}") from None
        if not line.strip():
            continue
        if (problem := _entry_problem(line)) is not None:
            raise CommandError(f"{manifest}:{number}: {problem}")
        entry = json.loads(line)
        now = parse_now(entry.get("now"), "'now'")
        entries.append({"path": entry["path"], "url": entry.get("url"), "now": now})
    return entries


def _entry_problem(line: str) -> str | None:
    """Return why one manifest ``line`` is not a ``{"path", "url", "now"}`` object, or
    None."""
    wanted = 'not a {"path", "url", "now"} line'
    try:
        entry = json.loads(line)
    except ValueError:
        return wanted
    if not isinstance(entry, dict) or "path" not in entry:
        return wanted
    for key, optional in (("path", False), ("url", True), ("now", True)):
        value = entry.get(key)
        if not isinstance(value, str) and not (optional and value is None):
            return f"{wanted}: {key!r} is {value!r}, not a string"
    try:
        parse_now(entry.get("now"), "'now'")
    except CommandError as exc:
        return f"{wanted}: {exc}"
    return None


MANIFEST_HELP = """\
A URL is fetched as the crawl would fetch it: our User-Agent, robots.txt obeyed (a
disallowed page is refused), DOWNLOAD_TIMEOUT, DOWNLOAD_MAXSIZE, gzip, at most 5
redirects, http and https only. Any failure (refused connection, HTTP error, too large,
not HTML, timeout) is one line on stderr and exit 2. - reads the page from stdin, within
DOWNLOAD_MAXSIZE.

--manifest M.jsonl -o OUT.jsonl: extract many saved pages in one process.

Each line of M.jsonl is {"path": "pages/a.html", "url": "https://..."}; "url" may be left
out when the page declares its own (canonical link or og:url). A relative "path" is
resolved against the folder that holds M.jsonl, not the current folder; an absolute one is
used as it is. A line may also give the time its page was fetched, the way --now is
written ("now": "2016-03-25T09:00:00+00:00"); on the lines that give none, --now stands
for it, else the time of extraction.

OUT.jsonl gets one line per input line, in the same order:
  {"path": <as given>, "item": <record>}   the page gave a valid record
  {"path": <as given>, "error": <reason>}  it did not: unreadable, not an article, no URL,
                                           or a record that fails the schema
A summary line goes to stderr: pages, failed, time, median time per page. The exit code
is 0 however many pages failed, or 1 with --strict when any did. A manifest line that is
not UTF-8 or not such an object ("path" a string, "url" a string or left out, "now" a
date-time with offset or left out) is named on stderr (exit 2) before OUT.jsonl is
opened; OUT.jsonl may not be M.jsonl itself.
"""


def register(sub: Any) -> None:
    """Add the ``extract`` command to the subcommands ``sub``."""
    extract = sub.add_parser(
        "extract",
        help="print the record of a saved page, a URL or stdin",
        description=(
            "Print the record of one page: a saved file, an http(s) URL, or - for stdin "
            "(exit 2: not an article, unreadable or not fetched; exit 1: the record fails "
            "the schema), or extract a manifest of pages."
        ),
        epilog=MANIFEST_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    extract.add_argument(
        "file",
        nargs="?",
        metavar="FILE|URL|-",
        help="saved page (.html or .html.gz); an http(s) URL to fetch; - to read stdin",
    )
    extract.add_argument(
        "--url",
        help="the page's URL (chooses the profile; default: the final URL after redirects "
        "for a fetched page, else the URL the page declares; recommended with -)",
    )
    extract.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="for a URL: give up on each request after this long (default: DOWNLOAD_TIMEOUT)",
    )
    extract.add_argument("--profile", help="profile name, overriding the choice by domain")
    extract.add_argument(
        "--profile-file", metavar="FILE", help="read the profile from this TOML file"
    )
    extract.add_argument("--now", help="crawl time for relative dates, ISO 8601 with offset")
    extract.add_argument("--manifest", help='JSON Lines of {"path", "url"}; needs -o (see below)')
    extract.add_argument(
        "-o", "--output", help="output JSON Lines for --manifest (one page goes to stdout)"
    )
    extract.add_argument(
        "--strict", action="store_true", help="with --manifest: exit 1 when any page failed"
    )
    extract.set_defaults(func=cmd_extract)
