"""Crawl each generated portal by its URL alone (no profile) and score the result.

For every generated portal in ``bench/`` (``portal.py``, the Sahifa-like one; ``newsroom.py``
when it is there), this starts the portal on 127.0.0.1, runs ``newscrawl crawl URL`` on it
in a subprocess, and compares what was written with the portal's own truth:

- the share of its articles that became records (target: at least 98%);
- listing pages (home, sections, tags, authors, pagination) that became records (target: 0),
  and any other record that is not one of its articles;
- requests outside the portal's host (target: 0): the requests the crawler sent (Scrapy's
  ``downloader/request_count``, from the crawl's log) minus the requests the portal server
  received (its ``/__stats__`` counters, read before and after the crawl).

It also reports the crawl's CPU time (user + system of the crawl process, from ``wait4``),
its wall time and pages per second. The machine is shared: read CPU time, not wall time.

Usage::

    .venv/bin/python bench/crawl_by_url.py                  # 1,000 articles a portal
    .venv/bin/python bench/crawl_by_url.py --articles 300 --json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from bench_scripts import load_bench

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def sahifa_truth(module: ModuleType, articles: int, seed: int) -> tuple[set[str], dict[str, str]]:
    """Article paths of ``bench/portal.py``'s portal, and its other pages by kind (all
    listings: home, category, tag and author archives with their pagination)."""
    portal = module.generate_portal(articles, seed)
    posts = {post.path for post in portal.posts}
    others = {"/": "home"} | {
        term.page_path(number): "listing"
        for term in portal.archives
        for number in range(1, term.pages + 1)
    }
    return posts, others


NEWSROOM_LISTINGS = frozenset({"home", "listing", "section", "tag", "author"})
"""Kinds of ``Newsroom.non_articles`` that are listings (the others: gallery, video, static)."""


def newsroom_truth(module: ModuleType, articles: int, seed: int) -> tuple[set[str], dict[str, str]]:
    """Article paths of ``bench/newsroom.py``'s portal, and its other pages by kind, from the
    truth it publishes (``Newsroom.truth`` and ``Newsroom.non_articles``)."""
    site = module.generate_newsroom(articles, seed)
    base = "http://base.invalid"
    posts = {row["url"].removeprefix(base) for row in site.truth(base)}
    others = {
        row["url"].removeprefix(base): "listing"
        if row["kind"] in NEWSROOM_LISTINGS
        else row["kind"]
        for row in site.non_articles(base)
    }
    return posts, others


@dataclass(frozen=True)
class GeneratedPortal:
    """A generated portal script and how to read its truth."""

    name: str
    script: Path
    truth: Callable[[ModuleType, int, int], tuple[set[str], dict[str, str]]]


PORTALS = (
    GeneratedPortal("sahifa-like (bench/portal.py)", BENCH / "portal.py", sahifa_truth),
    GeneratedPortal("newsroom (bench/newsroom.py)", BENCH / "newsroom.py", newsroom_truth),
)


def server_requests(url: str) -> int:
    """The number of requests the portal server has answered so far (its ``/__stats__``)."""
    with urllib.request.urlopen(f"{url}/__stats__", timeout=30) as response:
        return int(json.load(response)["requests"])


def crawl(url: str, folder: Path, max_pages: int, extra: list[str]) -> dict[str, Any]:
    """Run ``newscrawl crawl URL`` into ``folder``; return its report, CPU and wall time,
    and the requests its downloader sent."""
    command = [sys.executable, "-m", "newscrawl.cli", "crawl", url + "/"]
    command += ["-o", str(folder / "out"), "--state", str(folder / "state")]
    command += ["--max-pages", str(max_pages), "--log-level", "INFO", *extra]
    log = folder / "crawl.log"
    started = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
        _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    found = re.search(r"'downloader/request_count': (\d+)", text)
    reports = sorted((folder / "out").glob("*/*/*.report.json"))
    if not reports:
        raise SystemExit(f"the crawl wrote no report; its log: {log}\n{text[-3000:]}")
    return {
        "exit_code": os.waitstatus_to_exitcode(status),
        "report": json.loads(reports[-1].read_text(encoding="utf-8")),
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "wall_seconds": wall,
        "max_rss_mib": usage.ru_maxrss / 1024,
        "requests_sent": int(found.group(1)) if found else None,
        "records": [
            json.loads(line)
            for path in sorted((folder / "out").glob("*/*/*.jsonl"))
            for line in path.open(encoding="utf-8")
        ],
    }


def measure(portal: GeneratedPortal, args: argparse.Namespace) -> dict[str, Any]:
    """Serve ``portal``, crawl it by URL, and score the crawl against its truth."""
    module = load_bench(portal.script.stem)
    articles, others = portal.truth(module, args.articles, args.seed)
    listings = {path for path, kind in others.items() if kind == "listing"}
    serve = ["--articles", str(args.articles), "--seed", str(args.seed), "--port", "0"]
    server = subprocess.Popen(
        [sys.executable, str(portal.script), *serve],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("READY "):
            raise SystemExit(f"{portal.script} did not start: {line!r}")
        url = line.split()[1].rstrip("/")
        before = server_requests(url)
        with tempfile.TemporaryDirectory(prefix="crawl-by-url-") as temp:
            result = crawl(url, Path(temp), args.max_pages, args.set)
        after = server_requests(url)
    finally:
        server.terminate()
        server.wait(timeout=60)
    received = after - before - 1  # the second /__stats__ read is not the crawl's
    paths = [r["url"].removeprefix(url) for r in result["records"]]
    got = set(paths)
    report = result["report"]
    sent = result["requests_sent"]
    return {
        "portal": portal.name,
        "articles": len(articles),
        "records": len(paths),
        "article_records": len(got & articles),
        "article_share": round(len(got & articles) / len(articles), 4) if articles else None,
        "listing_records": len(got & listings),
        "non_article_records": sorted(
            f"{others[p]} {p}" for p in got - articles - listings if p in others
        ),
        "unknown_records": sorted(got - articles - set(others)),
        "duplicate_records": len(paths) - len(got),
        "requests_sent": sent,
        "requests_received": received,
        "requests_outside_host": None if sent is None else sent - received,
        "pages_by_type": report.get("pages_by_type"),
        "status": report["status"],
        "failures": report["failures"],
        "exit_code": result["exit_code"],
        "cpu_seconds": round(result["cpu_seconds"], 2),
        "wall_seconds": round(result["wall_seconds"], 2),
        "pages_per_cpu_second": round(report["pages_fetched"] / result["cpu_seconds"], 1),
        "max_rss_mib": round(result["max_rss_mib"], 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table (or JSON); exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="articles a portal")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-pages", type=int, default=100_000, help="the crawl's budget")
    parser.add_argument(
        "-s",
        "--set",
        action="append",
        default=["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    results = []
    for portal in PORTALS:
        if not portal.script.is_file():
            print(f"{portal.name}: not there, skipped", file=sys.stderr)
            continue
        results.append(measure(portal, args))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print(f"== {result['portal']}: {result['articles']} articles")
            for key, value in result.items():
                if key not in ("portal", "articles"):
                    print(f"  {key}: {value}")
    missed = [
        r["portal"]
        for r in results
        if (r["article_share"] or 0) < 0.98
        or r["listing_records"]
        or r["requests_outside_host"] != 0
    ]
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
