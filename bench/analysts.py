"""Benchmark of the analysts' tools on a generated output tree (``make bench-analysts``).

1. **generate** ``--records`` records (default 200,000, about 3 KB each) into
   ``<dir>/<site>/<day>/<run>-NNNN.jsonl``: ``--sites`` sites, ``--days`` day folders, 5,000
   records a batch, the way the crawler lays them out. ``--revisions`` of the records are
   new revisions of an article of an earlier day; ``--copies`` have a ``duplicate_of``, all
   in the last day, so that the first files DuckDB samples have none.
2. **export**: ``newscrawl export DIR -o x.parquet`` against DuckDB's own
   ``COPY (SELECT * FROM read_json('DIR/*/*/*.jsonl*')) TO 'y.parquet'`` (sniffed types),
   each in a fresh Python process, alternating, ``--repeat`` times; wall time, and the
   column types of both Parquet files where they differ.
3. **latest**: ``newscrawl.read_records(DIR, latest=True)`` against the same rows through
   DuckDB alone (``read_json`` with sniffed types, ``QUALIFY row_number() ...``, ``.df()``),
   each in a fresh process: wall time, peak RSS over the process's RSS after its imports
   (``ru_maxrss``), the DataFrame's ``memory_usage(deep=True)``, and their ratio.

The frame's size counts every list, dict and string its object columns hold, each once
(pandas' ``memory_usage(deep=True)`` counts a list but not the strings in it). A numpy array
in a cell (DuckDB's ``.df()`` gives lists as arrays) counts its items too. Prints one JSON
object. Times are only compared within one run.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newscrawl.items import SCHEMA_VERSION

WORDS = [
    "the",
    "minister",
    "said",
    "president",
    "talks",
    "agreement",
    "sanctions",
    "economy",
    "ruble",
    "market",
    "oil",
    "gas",
    "government",
    "parliament",
    "election",
    "region",
    "city",
    "police",
    "court",
    "report",
    "visit",
    "foreign",
    "security",
    "energy",
    "price",
    "budget",
    "bank",
    "company",
    "export",
    "import",
    "growth",
    "crisis",
    "border",
    "treaty",
    "summit",
    "press",
    "conference",
    "statement",
    "week",
    "year",
    "official",
    "source",
    "agency",
    "state",
    "council",
    "defence",
    "military",
]
SECTIONS = ("Policy", "World", "Economy", "Society", "Sport", "Culture", "Science")
LATEST_SQL = (
    "SELECT * FROM read_json({glob!r}) "
    "QUALIFY row_number() OVER (PARTITION BY url ORDER BY revision DESC, crawled_at DESC) = 1"
)


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choices(WORDS, k=words))
    return text[0].upper() + text[1:] + "."


def record(rng: random.Random, site: str, n: int, day: datetime, revision: int) -> dict[str, Any]:
    """Return one record of about 3 KB, with every key of the schema."""
    url = f"https://{site}.example/{day:%Y/%m}/article-{n}/"
    published = day - timedelta(hours=rng.randint(1, 30))
    headline = sentence(rng, 9)[:-1]
    return {
        "schema_version": SCHEMA_VERSION,
        "url": url,
        "canonical_url": url if rng.random() < 0.9 else None,
        "site": site,
        "crawled_at": (day + timedelta(seconds=n % 80000)).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "language": "en" if rng.random() < 0.9 else "ru",
        "section": rng.choice(SECTIONS),
        "breadcrumb": [
            {"name": "Home", "url": f"https://{site}.example/"},
            {"name": "Policy", "url": f"https://{site}.example/category/policy/"},
            {"name": headline, "url": None},
        ],
        "headline": headline,
        "headline_alt": {"text": sentence(rng, 8), "lang": "ru"} if rng.random() < 0.75 else None,
        "authors": [f"Author {rng.randint(1, 40)}"],
        "published_at": published.strftime("%Y-%m-%dT%H:%M:%S+03:00"),
        "modified_at": (
            (published + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+03:00")
            if rng.random() < 0.6
            else None
        ),
        "body": [sentence(rng, rng.randint(30, 50)) for _ in range(rng.randint(5, 8))],
        "free_access": None if rng.random() < 0.8 else rng.random() < 0.5,
        "photo_credit": "Photo Agency/Name" if rng.random() < 0.85 else None,
        "images": [
            {"url": f"https://{site}.example/img/{n}.jpg", "caption": None, "credit": "Agency"}
        ],
        "teasers": [
            {
                "title": sentence(rng, 7),
                "url": f"https://{site}.example/t/{rng.randint(1, 10**6)}/",
                "excerpt": sentence(rng, 15),
            }
            for _ in range(3)
        ],
        "tags": sorted(set(rng.choices(WORDS, k=4))),
        "fingerprint": f"{rng.getrandbits(160):040x}",
        "revision": revision,
        "duplicate_of": None,
    }


def generate(
    root: Path, records: int, sites: int, days: int, revisions: float, copies: float
) -> dict[str, Any]:
    """Write the tree; return its size in records, files and bytes."""
    rng = random.Random(16)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    names = [f"site{i}" for i in range(sites)]
    per_folder = records // (sites * days)
    files = written = size = 0
    seen: dict[str, list[int]] = {s: [] for s in names}
    for d in range(days):
        day = start + timedelta(days=d)
        for site in names:
            folder = root / site / f"{day:%Y-%m-%d}"
            folder.mkdir(parents=True, exist_ok=True)
            lines = []
            for i in range(per_folder):
                n = d * per_folder + i
                revision = 1
                if seen[site] and rng.random() < revisions:
                    n = rng.choice(seen[site])
                    revision = 2 + d  # a later day's change: always higher than the last
                else:
                    seen[site].append(n)
                item = record(rng, site, n, day, revision)
                if d == days - 1 and rng.random() < copies:
                    item["duplicate_of"] = f"https://{site}.example/original/{n}/"
                lines.append(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            for b in range(0, len(lines), 5000):
                path = folder / f"{day:%Y%m%dT060000Z}-{b // 5000 + 1:04d}.jsonl"
                text = "\n".join(lines[b : b + 5000]) + "\n"
                path.write_text(text, encoding="utf-8")
                files += 1
                size += len(text.encode())
            written += len(lines)
    return {"records": written, "files": files, "bytes": size}


def run_python(code: str, *args: str) -> tuple[float, dict[str, Any]]:
    """Run ``code`` (or ``args``) in a fresh interpreter; return the wall time and the JSON it
    prints last (``{}`` when none)."""
    started = time.perf_counter()
    command = [sys.executable, *(args or ("-c", code))]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{code}\n{done.stderr[-3000:]}")
    lines = [x for x in done.stdout.splitlines() if x.startswith("{")]
    last = lines[-1] if lines and not args else "{}"
    return elapsed, json.loads(last)


DUCKDB_COPY = """
import duckdb, json
duckdb.execute("COPY (SELECT * FROM read_json({glob!r})) TO {out!r} (FORMAT parquet)")
print(json.dumps({{}}))
"""
MEMORY = """
import json, resource, sys, time
import duckdb, pandas
import newscrawl
def deep(obj, seen):
    # bytes of an object and of the lists, dicts and strings it holds (each object once)
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, (list, tuple)):
        size += sum(deep(item, seen) for item in obj)
    elif isinstance(obj, dict):
        size += sum(deep(k, seen) + deep(v, seen) for k, v in obj.items())
    elif hasattr(obj, "dtype") and obj.dtype == object:
        size += sum(deep(item, seen) for item in obj)
    return size
def frame_size(df):
    seen = set()
    total = 0
    for name in df.columns:
        column = df[name]
        if column.dtype == object:
            total += 8 * len(column) + sum(deep(v, seen) for v in column)
        else:
            total += int(column.memory_usage(deep=True, index=False))
    return total
{setup}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
df = {call}
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
size = frame_size(df)
print(json.dumps({{"rows": len(df), "seconds": elapsed, "peak_over_base_mb": (peak - base) / 1024,
                   "frame_mb": size / 2**20, "ratio": (peak - base) * 1024 / size}}))
"""


def parquet_types(path: Path) -> dict[str, str]:
    import duckdb

    rows = duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{path}')")
    return dict(rows.fetchall())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--revisions", type=float, default=0.1)
    parser.add_argument("--copies", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", help="generate here and keep it (default: a temp folder)")
    parser.add_argument(
        "--reuse", action="store_true", help="with --dir: use the tree generated there before"
    )
    args = parser.parse_args(argv)
    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    root = work / "out"
    result: dict[str, Any] = {}
    try:
        started = time.perf_counter()
        if args.reuse and root.is_dir():
            files = list(root.glob("*/*/*.jsonl"))
            result["tree"] = {"files": len(files), "bytes": sum(f.stat().st_size for f in files)}
        else:
            shutil.rmtree(root, ignore_errors=True)
            result["tree"] = generate(
                root, args.records, args.sites, args.days, args.revisions, args.copies
            )
        result["tree"]["generate_seconds"] = round(time.perf_counter() - started, 1)
        ours, theirs = work / "newscrawl.parquet", work / "duckdb.parquet"
        glob = str(root / "*/*/*.jsonl*")
        times: dict[str, list[float]] = {"newscrawl_export": [], "duckdb_copy": []}
        for _ in range(args.repeat):
            export = ("-m", "newscrawl.cli", "export", str(root), "-o", str(ours))
            times["newscrawl_export"].append(run_python("", *export)[0])
            times["duckdb_copy"].append(
                run_python(DUCKDB_COPY.format(glob=glob, out=str(theirs)))[0]
            )
        best = {k: round(min(v), 2) for k, v in times.items()}
        a, b = parquet_types(ours), parquet_types(theirs)
        result["export"] = {
            "seconds": {k: [round(x, 2) for x in v] for k, v in times.items()},
            "best": best,
            "ratio": round(best["newscrawl_export"] / best["duckdb_copy"], 3),
            "rows": {
                "newscrawl": duckdb_count(ours),
                "duckdb": duckdb_count(theirs),
            },
            "types_that_differ": {
                k: {"newscrawl": a[k], "duckdb": b.get(k)} for k in a if a[k] != b.get(k)
            },
        }
        ours_call = f"newscrawl.read_records({str(root)!r}, latest=True)"
        theirs_call = f"con.sql({LATEST_SQL.format(glob=glob)!r}).df()"
        latest: dict[str, Any] = {"newscrawl": [], "duckdb": []}
        for _ in range(args.repeat):
            latest["newscrawl"].append(run_python(MEMORY.format(setup="", call=ours_call))[1])
            setup = (
                "con = duckdb.connect(); con.execute(\"SET TimeZone = 'UTC'\"); "
                "con.execute('SET enable_progress_bar = false')"
            )
            latest["duckdb"].append(run_python(MEMORY.format(setup=setup, call=theirs_call))[1])
        result["latest"] = latest
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


def duckdb_count(path: Path) -> int:
    import duckdb

    ((n,),) = duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()
    return int(n)


if __name__ == "__main__":
    sys.exit(main())
