"""Time extraction and validation per page: a generated Sahifa article and the fixture cases.

Usage::

    .venv/bin/python bench/portal.py --articles 50 --port 0   # prints READY <url>
    curl -s <url>/post-sitemap.xml                             # pick an article URL
    curl -s <article-url> -o /tmp/benchpage.html
    .venv/bin/python bench/extract_speed.py --page /tmp/benchpage.html --url <article-url>

Without ``--page`` only the fixture cases are timed; ``--by-profile`` also times each
profile's fixtures apart (``jmn`` pages are read by the profile, ``generic`` ones by the
generic extractor and trafilatura). ``--baseline DIR`` times a second copy
of the package side by side in the same process, alternating page by page, so that the
noise of a shared machine hits both alike. ``DIR`` holds that copy as ``newscrawl_base``,
made with::

    B=/tmp/baseline; rm -rf $B && mkdir -p $B
    git archive HEAD newscrawl | tar -x -C $B && mv $B/newscrawl $B/newscrawl_base
    grep -rl newscrawl $B/newscrawl_base | xargs sed -i -e 's/\\bnewscrawl\\./newscrawl_base./g' \\
      -e 's/from newscrawl import/from newscrawl_base import/'

Each figure is the median over ``--rounds`` rounds; for the fixtures a round is one pass over
every case that gives a record in every version timed, and the figure is its mean per page.

``--compare`` (with ``--baseline``) times nothing: it extracts every fixture and every page of
``../shared/realpages`` with both copies and reports how many give the same language and
the same whole record (or the same error), listing the pages that differ.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


@dataclass(frozen=True)
class Page:
    """One page to extract: what ``extract_article`` takes."""

    url: str
    body: bytes
    headers: dict[str, str]
    profile: str
    now: datetime


@dataclass
class Version:
    """One copy of the package under test and its timings (ms per page, per round)."""

    name: str
    extract: Callable[..., Any]
    to_dict: Callable[[Any], dict[str, Any]]
    record_errors: Callable[[dict[str, Any]], list[Any]]
    error: type[Exception]

    @classmethod
    def load(cls, name: str, package: str) -> Version:
        """Import ``package`` (``newscrawl`` or a copy of it) and pick its entry points."""
        modules: dict[str, ModuleType] = {
            part: importlib.import_module(f"{package}.{part}")
            for part in ("extraction", "items", "schema")
        }
        return cls(
            name=name,
            extract=modules["extraction"].extract_article,
            to_dict=modules["items"].to_dict,
            record_errors=modules["schema"].record_errors,
            error=modules["extraction"].ExtractionError,
        )

    def time_page(self, page: Page) -> tuple[float, float, float, float]:
        """Return (lxml parse, extraction, ``to_dict``, ``record_errors``) ms for one run over
        ``page``; the first is what lxml alone takes to parse the same bytes."""
        start_parse = CLOCK[0]()
        etree.fromstring(page.body, etree.HTMLParser())
        parsed = CLOCK[0]()
        start = CLOCK[0]()
        article = self.extract(page.url, page.body, page.headers, page.profile, page.now)
        extracted = CLOCK[0]()
        record = self.to_dict(article)
        converted = CLOCK[0]()
        self.record_errors(record)
        end = CLOCK[0]()
        return (
            (parsed - start_parse) * 1000,
            (extracted - start) * 1000,
            (converted - extracted) * 1000,
            (end - converted) * 1000,
        )

    def gives_record(self, page: Page) -> bool:
        """Return True when extraction gives a record for ``page`` (negative cases do not)."""
        try:
            self.extract(page.url, page.body, page.headers, page.profile, page.now)
        except self.error:
            return False
        return True


REALPAGES = ROOT.parent / "shared" / "realpages"


def real_pages() -> list[Page]:
    """Return the pages of ``../shared/realpages`` (gzipped, URL from ``truth.jsonl``), read by
    the profile their URL picks (the generic extractor for unknown portals), each at the
    time it was fetched where the set says (fundus's ``crawl_date``, a local time without
    offset, taken as UTC), else at one fixed time after all of them, so that both copies
    compared read the same."""
    pages = []
    after_all = datetime(2026, 12, 1, tzinfo=UTC)  # aeb's pages are of 2019 and before
    for corpus in ("aeb", "fundus"):
        truth = REALPAGES / corpus / "truth.jsonl"
        if not truth.exists():
            continue
        for line in truth.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            places = (REALPAGES / row["path"], REALPAGES / corpus / row["path"])
            path = next((p for p in places if p.exists()), None)
            if path is not None:
                body = gzip.decompress(path.read_bytes())
                # A page fetched after a fixed time would have its true dates read as later
                # than its crawl, and lose them (24 of fundus's pages, fetched in 2026).
                fetched = row.get("crawl_date")
                now = datetime.fromisoformat(fetched).replace(tzinfo=UTC) if fetched else after_all
                pages.append(Page(row["url"], body, {"Content-Type": "text/html"}, "", now))
    return pages


def outcome(version: Version, page: Page) -> dict[str, Any] | str:
    """Return the record ``version`` extracts from ``page`` as a dict, or its error's kind."""
    try:
        article = version.extract(page.url, page.body, page.headers, page.profile or None, page.now)
    except version.error as exc:
        return f"{type(exc).__name__}: {exc}"
    return version.to_dict(article)


def compare(baseline: Version, current: Version, pages: list[Page]) -> int:
    """Print how many ``pages`` give the same language and record in both versions; return
    the number of pages whose record differs."""
    same_language = same_record = 0
    differing = []
    for page in pages:
        old, new = outcome(baseline, page), outcome(current, page)
        old_lang = old.get("language") if isinstance(old, dict) else old
        new_lang = new.get("language") if isinstance(new, dict) else new
        same_language += old_lang == new_lang
        same_record += old == new
        if old != new:
            differing.append(page.url)
    print(f"  language: {same_language} of {len(pages)} pages agree")
    print(f"  record:   {same_record} of {len(pages)} pages agree")
    for url in differing:
        print(f"  differs: {url}")
    return len(differing)


def fixture_pages() -> list[Page]:
    """Return the fixture cases as pages, with their frozen url, time and profile (site)."""
    pages = []
    for json_path in sorted(FIXTURES.glob("*/*.json")):
        html_path = json_path.with_suffix(".html")
        if not html_path.exists():
            continue
        meta = json.loads(json_path.read_text(encoding="utf-8"))["meta"]
        pages.append(
            Page(
                url=meta["url"],
                body=html_path.read_bytes(),
                headers={"Content-Type": meta.get("content_type", "text/html")},
                profile=json_path.parent.name,
                now=datetime.fromisoformat(meta["now"]),
            )
        )
    return pages


CLOCK: list[Callable[[], float]] = [time.perf_counter]
"""What times a stage: wall time, or with ``--cpu-time`` the process's CPU time, which
other work on a shared machine disturbs far less (extraction does no I/O)."""

STAGES = ("lxml_parse", "extract", "to_dict", "record_errors")
"""What is timed per page; ``lxml_parse`` is the yardstick, not part of the total."""


def measure(
    versions: list[Version], pages: list[Page], rounds: int
) -> dict[str, list[list[float]]]:
    """Return per version, per stage (:data:`STAGES`), the per-round mean ms per page.

    Versions alternate page by page (and swap order every round) so noise hits them alike.
    """
    results = {v.name: [[] for _ in STAGES] for v in versions}
    for round_index in range(rounds):
        totals = {v.name: [0.0 for _ in STAGES] for v in versions}
        order = versions if round_index % 2 == 0 else versions[::-1]
        for page in pages:
            for version in order:
                for stage, ms in enumerate(version.time_page(page)):
                    totals[version.name][stage] += ms
        for name, stage_totals in totals.items():
            for stage, total in enumerate(stage_totals):
                results[name][stage].append(total / len(pages))
    return results


def report(title: str, results: dict[str, list[list[float]]]) -> None:
    """Print the median (and quartiles) of each stage and of their sum, per version."""
    print(title)
    for name, stages in results.items():
        total = [sum(values) for values in zip(*stages[1:], strict=True)]
        cells = []
        for label, values in (*zip(STAGES, stages, strict=True), ("total", total)):
            q1, median, q3 = statistics.quantiles(values, n=4)
            cells.append(f"{label} {median:5.2f} [{q1:5.2f}-{q3:5.2f}]")
        ratios = [e / p for p, e in zip(stages[0], stages[1], strict=True)]
        print(f"  {name:9} " + "  ".join(cells) + "  ms")
        print(f"  {name:9} extract / lxml parse: median {statistics.median(ratios):.2f}x")


def main(argv: list[str] | None = None) -> int:
    """Time the versions asked for over the bench page and the fixtures; print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, help="a saved article page (bench/portal.py)")
    parser.add_argument("--url", default="http://127.0.0.1/2016/01/bench-article-1/")
    parser.add_argument("--profile", default="jmn")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--page-repeat", type=int, default=10, help="runs of --page per round")
    parser.add_argument("--baseline", type=Path, help="folder holding a newscrawl_base copy")
    parser.add_argument("--no-fixtures", action="store_true")
    parser.add_argument(
        "--by-profile",
        action="store_true",
        help="also time the fixtures of each profile apart (jmn: profile pages; generic: not)",
    )
    parser.add_argument("--cpu-time", action="store_true", help="time with process CPU time")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="with --baseline: compare languages and records on fixtures and real pages",
    )
    args = parser.parse_args(argv)
    if args.cpu_time:
        CLOCK[0] = time.process_time

    sys.path.insert(0, str(ROOT))
    versions = []
    if args.baseline:
        sys.path.insert(0, str(args.baseline))
        versions.append(Version.load("baseline", "newscrawl_base"))
    versions.append(Version.load("current", "newscrawl"))
    if args.compare:
        if len(versions) != 2:
            parser.error("--compare needs --baseline")
        differing = 0
        for title, pages in (("fixtures", fixture_pages()), ("real pages", real_pages())):
            print(f"{title} ({len(pages)} pages)")
            differing += compare(versions[0], versions[1], pages)
        return 1 if differing else 0

    if args.page:
        now = datetime(2017, 9, 1, tzinfo=UTC)
        headers = {"Content-Type": "text/html"}
        page = Page(args.url, args.page.read_bytes(), headers, args.profile, now)
        pages = [page] * args.page_repeat
        measure(versions, pages[:2], 2)  # warm up: models, date parsers, compiled queries
        report(
            f"bench page {args.page} ({len(page.body)} bytes)",
            measure(versions, pages, args.rounds),
        )
    if not args.no_fixtures:
        # Pages that every version reads as an article (a fixture added with a fix has no
        # record in the version before it).
        pages = [p for p in fixture_pages() if all(v.gives_record(p) for v in versions)]
        measure(versions, pages, 2)
        report(
            f"fixtures ({len(pages)} pages with a record)", measure(versions, pages, args.rounds)
        )
        for profile in sorted({p.profile for p in pages}) if args.by_profile else []:
            group = [p for p in pages if p.profile == profile]
            report(
                f"fixtures of profile {profile} ({len(group)} pages)",
                measure(versions, group, args.rounds),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
