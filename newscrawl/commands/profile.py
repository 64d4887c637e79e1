"""``newscrawl profile``: check profile files, check a profile against pages, suggest one.

- ``profile check FILE...``: the checks a profile gets when it loads, on any file.
- ``profile check NAME --pages DIR``: the profile's records against the generic
  extractor's (or a fixture's expected records), field by field; exit 1 under a threshold.
- ``profile suggest DIR [-o FILE]``: a profile induced from a folder of one portal's pages.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from newscrawl.cli import CommandError

DEFAULT_THRESHOLD = 0.9
"""Lowest agreement a field may have before ``profile check --pages`` fails."""


def cmd_profile_check(args: argparse.Namespace) -> int:
    """Print one line per problem of each profile file; exit 1 when there is any.

    The checks are the loader's (:func:`newscrawl.profiles.file_problems`): unknown keys,
    wrong types, missing teaser keys, selectors that do not compile, bad regexes and
    timezones, a name that is not a profile name, an ``extends`` that names no profile, a
    broken one or one that leads back to the file, and a portal with no domains. A file
    that cannot be read is a usage error. An argument that is no file and does not end in
    ``.toml`` is a profile name: the file the loader reads for it is checked.
    With ``--pages DIR``, the one argument is a profile (a name or a ``.toml`` file) and
    its records are compared with reference records instead (:func:`check_against_pages`).
    """
    if args.pages is not None:
        if len(args.files) != 1:
            raise CommandError("profile check --pages takes one profile (a name or a .toml file)")
        return check_against_pages(args.files[0], Path(args.pages), args.threshold)
    from newscrawl.profiles import file_problems, profile_file, profile_names

    problems: list[str] = []
    for name in args.files:
        path = Path(name)
        if not path.exists() and not name.endswith(".toml"):
            located = profile_file(name)
            if located is None:
                known = ", ".join(profile_names())
                raise CommandError(f"{name}: no such file, nor a profile of that name ({known})")
            path = located
        try:
            problems += file_problems(path)
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for line in problems:
        print(line)
    return 1 if problems else 0


def _load(name: str) -> Any:
    """Return the profile ``name``: a ``.toml`` file when one is given, else by name."""
    from newscrawl.profiles import ProfileError, load_profile, register_profile_file

    try:
        if name.endswith(".toml"):
            return register_profile_file(name)
        return load_profile(name)
    except ProfileError as exc:
        raise CommandError(str(exc)) from None


def _read_folder(folder: Path) -> list[Any]:
    """Return the saved pages of ``folder``; a usage error when it cannot be read."""
    from newscrawl.profiles.suggest import SuggestError, read_pages

    if not folder.is_dir():
        raise CommandError(f"{folder}: not a folder of saved pages")
    try:
        return read_pages(folder)
    except SuggestError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"{folder}: cannot read: {exc.strerror or exc}") from None


def check_against_pages(name: str, folder: Path, threshold: float) -> int:
    """Print, per record field, on how many of the pages in ``folder`` the profile ``name``
    agrees with the reference; return 1 when a field is under ``threshold``, else 0.

    The reference of a page is the fixture's expected record when the folder holds fixture
    cases (``<case>.json``), else the generic extractor's record. A field the profile
    reads itself (:func:`claims`) is taken without the generic fill, so a selector that
    stopped matching shows; a field it leaves to the generic extractor is taken as the
    crawl writes it.
    """
    from newscrawl.extraction import ExtractionError, extract_page, parse_page
    from newscrawl.profiles.suggest import compare_records

    if not 0 <= threshold <= 1:
        raise CommandError(f"--threshold {threshold}: give a share between 0 and 1")
    profile = _load(name)
    pages = _read_folder(folder)
    if not pages:
        raise CommandError(f"{folder}: no .html pages in it")
    ours: list[dict[str, Any] | None] = []
    references: list[dict[str, Any] | None] = []
    fixtures = 0
    for sample in pages:
        try:
            parsed = parse_page(sample.url, sample.body, profile=profile, now=sample.now)
            own = dataclasses.asdict(extract_page(parsed, fill=False))
            filled = dataclasses.asdict(extract_page(parsed))
            ours.append({k: own[k] if claims(profile, k) else filled[k] for k in own})
        except ExtractionError:
            ours.append(None)
        if sample.fixture:
            fixtures += 1
            references.append(sample.expected)
            continue
        try:
            generic = parse_page(sample.url, sample.body, profile="generic", now=sample.now)
            references.append(dataclasses.asdict(extract_page(generic)))
        except ExtractionError:
            references.append(None)
    agreement = compare_records(ours, references, [p.name for p in pages])
    against = "expected records" if fixtures == len(pages) else "the generic extractor"
    if 0 < fixtures < len(pages):
        against = f"expected records ({fixtures} pages) and the generic extractor"
    print(f"{profile.name}: {len(pages)} pages of {folder}, compared with {against}")
    failing = []
    for field, result in agreement.items():
        mark = "" if result.rate >= threshold else "  UNDER THRESHOLD"
        print(f"{field:14} {result.agree:4}/{result.total:<4} {result.rate:7.1%}{mark}")
        if mark:
            failing.append(result)
    for result in failing:
        example = f" (e.g. {result.examples[0]})" if result.examples else ""
        print(
            f"FAILED: {result.name} agrees on {result.rate:.1%}, under {threshold:.0%}{example}",
            file=sys.stderr,
        )
    return 1 if failing else 0


CLAIMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "canonical_url": (("fields", "canonical_url"),),
    "section": (("fields", "section"), ("breadcrumb", "container")),
    "breadcrumb": (("breadcrumb", "container"),),
    "headline": (("fields", "headline"),),
    "authors": (("fields", "authors"),),
    "published_at": (("fields", "published_at"), ("fields", "published_at_visible")),
    "modified_at": (("fields", "modified_at"),),
    "body": (("body", "container"),),
    "language": (("body", "container"),),
    "photo_credit": (("body", "container"), ("images", "lead_credit")),
    "images": (("images", "lead"), ("images", "figures")),
    "teasers": (("teasers",),),
    "tags": (("fields", "tags"),),
    "headline_alt": (("body", "alt_headline_window"),),
}
"""The profile keys from which each record field is read: a profile that sets one of them
answers for the field itself (no generic fill behind it in a check)."""


def claims(profile: Any, field: str) -> bool:
    """Tell whether ``profile`` reads ``field`` itself (one of its :data:`CLAIMS` keys is
    set); a field it leaves to the generic extractor is checked as the crawl writes it."""
    return any(profile.get(*path) for path in CLAIMS.get(field, ()))


def cmd_profile_suggest(args: argparse.Namespace) -> int:
    """Write a profile induced from a folder of one portal's saved pages.

    To ``-o FILE`` (never over an existing file), else to stdout. Pages of two sites, too
    few article pages, a page with no URL, or a name (``--name``, else ``-o``'s stem) that
    is not a profile name are usage errors (exit 2, one line).
    """
    from newscrawl.profiles.suggest import (
        MAX_PAGES,
        SuggestError,
        suggest_profile,
    )

    source = args.source
    output = Path(args.output) if args.output else None
    if output is not None and output.exists():
        raise CommandError(f"{output}: exists; remove it or give another -o")
    if output is not None and not output.absolute().parent.is_dir():
        # found now, not after the pages were fetched and read
        raise CommandError(f"{output}: cannot write: no folder {output.absolute().parent}")
    name = args.name or (output.stem if output is not None else None)
    if name is not None:
        _check_suggested_name(name, "--name" if args.name else f"-o {output}")
    if args.pages < MIN_FETCH or args.pages > MAX_PAGES:
        raise CommandError(f"--pages {args.pages}: give {MIN_FETCH} to {MAX_PAGES}")
    if args.delay < 0:
        raise CommandError(f"--delay {args.delay}: give 0 seconds or more")
    sitemaps: list[str] = []
    fetching = source.startswith(("http://", "https://"))
    if args.save and not fetching:
        raise CommandError(f"--save works with a URL only: the pages of {source} are saved")
    if args.save:
        check_save_folder(Path(args.save))  # before the pages are fetched, not after
    if fetching:
        pages, sitemaps = fetch_sample(source, args.pages, args.delay)
        if args.save:
            save_pages(pages, Path(args.save))
    else:
        pages = _read_folder(Path(source))
    try:
        suggestion = suggest_profile(
            pages, name=name, themes=[] if args.no_themes else None, sitemaps=sitemaps
        )
    except SuggestError as exc:
        raise CommandError(str(exc)) from None
    text = suggestion.toml()
    if output is None:
        sys.stdout.write(text)
        return 0
    partial = output.with_name(f".{output.name}.part")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, output)
    except OSError as exc:
        raise CommandError(f"{output}: cannot write: {exc.strerror or exc}") from None
    return 0


def _check_suggested_name(name: str, given: str) -> None:
    """Raise CommandError, before any page is read or fetched, unless ``name`` (from
    ``given``: ``--name`` or ``-o``'s stem) is a profile name: a profile written under
    another would fail its own ``profile check``."""
    from newscrawl.names import BadName, check_name

    try:
        check_name("profile", name)
    except BadName as exc:
        hint = "" if given == "--name" else "; give --name NAME"
        raise CommandError(f"{given}: {exc}{hint}") from None


MIN_FETCH = 3
"""Fewest article pages ``profile suggest URL`` may be asked to fetch."""


def fetch_sample(url: str, count: int, delay: float) -> tuple[list[Any], list[str]]:
    """Fetch the page at ``url`` (a home or section page) and up to ``count`` article
    pages it links on the same host, politely: the crawl's User-Agent, robots.txt (and
    its Crawl-delay when longer), ``delay`` seconds between requests. Return the pages
    and the sitemaps robots.txt names. A page that cannot be fetched is left out with a
    line on stderr; a start page that redirects to another host, or cannot be fetched,
    is a usage error."""
    import time
    from urllib.parse import urljoin

    from newscrawl.extraction import ExtractionError
    from newscrawl.pagefetch import FetchError, PageFetcher
    from newscrawl.profiles.suggest import SamplePage, article_links, site_of

    fetcher = PageFetcher()
    try:
        home = fetcher.fetch_page(url)
    except FetchError as exc:
        raise CommandError(str(exc)) from None
    if site_of(home.url) != site_of(url):
        raise CommandError(f"{url}: redirects to another host ({home.url}); give that URL")
    pages = [SamplePage("home.html", home.url, home.body)]
    robots = _robots(fetcher, home.url)
    wait = max(delay, float((robots.crawl_delay(fetcher.agent) if robots else None) or 0))
    named = [urljoin(home.url, u) for u in (robots.sitemaps if robots else [])]
    sitemaps = [u for u in named if site_of(u) == site_of(home.url)]
    try:
        links = article_links(home.url, home.body, count, home.headers)
    except ExtractionError as exc:
        raise CommandError(f"{home.url}: {exc} ({exc.kind})") from None
    for number, link in enumerate(links):
        time.sleep(wait)
        try:
            fetched = fetcher.fetch_page(link)
        except FetchError as exc:
            print(f"left out: {exc}", file=sys.stderr)
            continue
        if site_of(fetched.url) != site_of(home.url):
            print(f"left out: {link} redirects to another host ({fetched.url})", file=sys.stderr)
            continue
        pages.append(SamplePage(f"page-{number:02d}.html", fetched.url, fetched.body))
    return pages, list(dict.fromkeys(sitemaps))


def _robots(fetcher: Any, url: str) -> Any:
    """Return the parsed robots.txt (Protego) of ``url``'s origin, which ``fetcher`` read
    when it fetched ``url``, or None."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    # PageFetcher keeps each origin's parsed robots.txt; it has read this one already.
    return fetcher._robots.get(f"{parts.scheme}://{parts.netloc}")


def check_save_folder(folder: Path) -> None:
    """Raise CommandError unless ``folder`` can take saved pages: new, or a folder that
    holds no ``.html`` page yet."""
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{folder}: not a folder; give an empty or new folder to --save")
    if folder.exists() and any(folder.glob("*.html")):
        raise CommandError(f"{folder}: holds pages already; give an empty or new folder")


def save_pages(pages: list[Any], folder: Path) -> None:
    """Write ``pages`` to ``folder`` with a ``manifest.json`` of file name -> URL, for a
    later ``profile check --pages`` or ``profile suggest DIR``; refuse a folder that
    already holds pages."""
    import json

    check_save_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for page in pages:
            (folder / page.name).write_bytes(page.body)
        manifest = {page.name: page.url for page in pages}
        (folder / "manifest.json").write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
        )
    except OSError as exc:
        raise CommandError(f"{folder}: cannot write: {exc.strerror or exc}") from None


def register(sub: Any) -> None:
    """Add the ``profile`` commands to the subcommands ``sub``."""
    profile = sub.add_parser("profile", help="site profile tools")
    psub = profile.add_subparsers(dest="profile_command", required=True)
    check = psub.add_parser(
        "check",
        help="check profile files (keys, types, selectors), or a profile against pages",
    )
    check.add_argument(
        "files",
        nargs="+",
        metavar="FILE|NAME",
        help="profile TOML files or profile names (with --pages: one)",
    )
    check.add_argument(
        "--pages",
        metavar="DIR",
        help="compare the profile's records on these saved pages with the generic "
        "extractor's (or the fixtures' expected records), field by field",
    )
    check.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="with --pages: exit 1 when a field agrees on a smaller share of the pages "
        f"(default {DEFAULT_THRESHOLD})",
    )
    check.set_defaults(func=cmd_profile_check)
    suggest = psub.add_parser("suggest", help="write a profile from 10 to 30 pages of one portal")
    suggest.add_argument(
        "source",
        metavar="URL|DIR",
        help="a folder of saved .html pages of one portal, or a portal's home or section "
        "page to fetch article pages from",
    )
    suggest.add_argument(
        "--pages",
        type=int,
        default=20,
        help="with a URL: how many article pages to fetch (3 to 30, default 20)",
    )
    suggest.add_argument(
        "--delay",
        type=float,
        default=1.0,
        help="with a URL: seconds between requests (default 1; robots.txt's Crawl-delay "
        "when longer)",
    )
    suggest.add_argument(
        "--save", metavar="DIR", help="with a URL: also save the fetched pages and a manifest here"
    )
    suggest.add_argument(
        "-o", "--output", metavar="PROFILE.toml", help="write here (default: stdout)"
    )
    suggest.add_argument("--name", help="the profile's name (default: -o's stem, else the host)")
    suggest.add_argument(
        "--no-themes",
        action="store_true",
        help="induce every selector even when a known theme matches the pages",
    )
    suggest.set_defaults(func=cmd_profile_suggest)
