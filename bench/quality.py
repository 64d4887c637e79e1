"""Quality of newscrawl on pages of portals it has no profile for, beside trafilatura alone.

Reads ``../shared/realpages`` (not copied into the repository; see its README):

- ``aeb/``: 103 pages with article-body truth (scrapinghub/article-extraction-benchmark);
- ``fundus/``: 129 pages of many publishers with truth for title, body, authors, dates and
  image credits.

A second table gives the same figures for both extractors over the pages newscrawl's size
limits let through, when those limits refused some (their error is ``too-large``).

For each set it writes a manifest of the pages into a temporary directory and runs
``newscrawl extract --manifest`` over it (the command users run, in its own process), each
page at the time it was fetched where the set gives it (fundus's ``crawl_date``; see
:func:`crawl_time`), else at the time of extraction (aeb gives none): the records scored
are the command's, and its median wall time per page, end to end (reading, unzipping,
extraction, schema check, output), is a line of its own. Then, in this process,
both extractors are timed on the same pages, alternating page by page (``time_in_process``:
each page's fastest of ``--rounds`` rounds, CPU and wall time, the median over pages and
the ratio, with the load average): newscrawl's ``extract_article`` and
``trafilatura.extract`` alone, with metadata, the generic fallback's options and JSON
output, both from the page's bytes (``TIMED_CALLS`` says what each call includes);
trafilatura's records are those of the first round. A third set, ``bad``, is made on the fly:
an empty page, bytes that are not HTML, Latin-1 declared as UTF-8, a page over 10 MB and
one nested 100,000 levels deep; every one must get a record or an error line.

Bodies are scored with the article-extraction-benchmark's metric: multisets of 4-token
shingles (tokens are ``\\w+`` runs), true and false positives and false negatives divided
by their sum per page, precision and recall averaged over pages, F1 from the two means.
For fundus it also counts titles equal after whitespace normalisation, the same calendar
day of publication, the same set of author names (case ignored) and the cover image's
credit found in the record's photo credit or image credits. Section and breadcrumb
coverage is the share of pages whose record has one.

Usage::

    .venv/bin/python bench/quality.py [--realpages ../shared/realpages] [--output FILE]
        [--sets aeb,fundus,bad] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REALPAGES = ROOT.parent / "shared" / "realpages"
_TOKEN = re.compile(r"\w+")
_MEDIAN = re.compile(r"median ([0-9.]+) ms/page")
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": False,
    "include_images": False,
    "favor_precision": True,
    "deduplicate": False,
    "with_metadata": True,
    "output_format": "json",
}
"""trafilatura alone: the article text, precision first, with its metadata, as JSON."""


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """Return the multiset of ``size``-token shingles of ``text`` (the whole text if shorter)."""
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def page_scores(truth: str, predicted: str) -> tuple[float | None, float | None]:
    """Return (precision, recall) of ``predicted`` against ``truth``, each None when the page
    has nothing to score it on (no predicted shingles, no true shingles); empty vs empty is 1.0.

    tp, fp and fn are divided by their sum, so that every page weighs the same.
    """
    expected, got = shingles(truth), shingles(predicted)
    if not expected and not got:
        return 1.0, 1.0
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    total = tp + fp + fn
    tp, fp, fn = tp / total, fp / total, fn / total
    precision = tp / (tp + fp) if got else None
    recall = tp / (tp + fn) if expected else None
    return precision, recall


def normalize(text: str | None) -> str:
    """Return ``text`` in NFC with runs of whitespace as one space, stripped ("" for None)."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def same_date(truth: str | None, got: str | None) -> bool:
    """Tell whether two date strings name the same calendar day (their first 10 characters)."""
    return bool(truth and got and truth[:10] == got[:10])


def cover_credit_found(truth: dict[str, Any], record: dict[str, Any]) -> bool | None:
    """Tell whether every credit of the true cover image is in the record's credits; None
    when the truth has no credited cover image."""
    covers = [i for i in truth.get("images") or [] if i.get("is_cover") and i.get("credits")]
    if not covers:
        return None
    found = " | ".join(normalize(c).casefold() for c in record.get("credits") or [] if c)
    return all(normalize(c).casefold() in found for c in covers[0]["credits"])


@dataclass
class Tally:
    """What one extractor got right on one page set."""

    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    totals: Counter[str] = field(default_factory=Counter)

    def body(self, truth: str, predicted: str) -> None:
        """Score one page's body."""
        precision, recall = page_scores(truth, predicted)
        if precision is not None:
            self.precision.append(precision)
        if recall is not None:
            self.recall.append(recall)

    def count(self, name: str, right: bool | None) -> None:
        """Count one page for the measure ``name`` (None: the page has no truth for it)."""
        if right is not None:
            self.totals[name] += 1
            self.counts[name] += bool(right)

    def summary(self, pages: int) -> dict[str, Any]:
        """Return the set's figures: body P/R/F1, field rates, refused pages, median ms."""
        p = statistics.fmean(self.precision) if self.precision else 0.0
        r = statistics.fmean(self.recall) if self.recall else 0.0
        out: dict[str, Any] = {}
        if self.precision or self.recall:
            out["body_f1"] = round(2 * p * r / (p + r), 3) if p + r else 0.0
            out["body_precision"] = round(p, 3)
            out["body_recall"] = round(r, 3)
        for name in ("title", "date", "authors", "cover_credit", "section", "breadcrumb"):
            if self.totals[name]:
                out[name] = round(self.counts[name] / self.totals[name], 3)
                out[f"{name}_n"] = f"{self.counts[name]}/{self.totals[name]}"
        out["refused"] = self.counts["refused"]
        out["pages"] = pages
        ms = [m for m in self.ms if m == m]  # NaN: the page was not run
        out["median_ms"] = round(statistics.median(ms), 1) if ms else None
        return out


def newscrawl_record(item: dict[str, Any]) -> dict[str, Any]:
    """Return the comparable fields of a newscrawl record."""
    credits = [item.get("photo_credit")] + [i.get("credit") for i in item.get("images") or []]
    return {
        "body": "\n".join(item.get("body") or []),
        "title": item.get("headline"),
        "date": item.get("published_at"),
        "authors": item.get("authors") or [],
        "credits": credits,
        "section": item.get("section"),
        "breadcrumb": item.get("breadcrumb") or [],
    }


def crawl_time(row: dict[str, Any]) -> str | None:
    """Return the time the page of truth ``row`` was fetched, ISO 8601 with offset as the
    manifest takes it, or None when the set does not say (aeb).

    A page's dates are read against the time it was fetched: a relative date counts from
    it, and a date much later than it is no date of the page. No one time serves a set of
    pages fetched over years: a page fetched after it would lose its true date. fundus
    writes the saving machine's local time (``datetime.now()``) without its offset; it is
    taken as UTC, off by that machine's offset (at most 14 hours).

    >>> crawl_time({"crawl_date": "2024-05-03 18:19:08.721370"})
    '2024-05-03T18:19:08.721370+00:00'
    >>> crawl_time({"url": "https://example.org/a"}) is None
    True
    """
    value = row.get("crawl_date")
    if not value:
        return None
    fetched = datetime.fromisoformat(value)
    return (fetched if fetched.tzinfo else fetched.replace(tzinfo=UTC)).isoformat()


def trafilatura_output(url: str, html: bytes) -> str | None:
    """Return ``trafilatura.extract``'s JSON for one page with the benchmark's options (None
    when it gives nothing or fails)."""
    import trafilatura

    try:
        return trafilatura.extract(html, url=url, **TRAFILATURA_OPTIONS)  # type: ignore[no-any-return]
    except Exception as exc:  # a crash is an outcome to report, not to stop on
        print(f"trafilatura failed on {url}: {exc!r}", file=sys.stderr)
        return None


def trafilatura_fields(output: str | None) -> dict[str, Any] | None:
    """Return the comparable fields of trafilatura's JSON output (None when it gave nothing)."""
    if not output:
        return None
    data = json.loads(output)
    return {
        "body": data.get("text") or "",
        "title": data.get("title"),
        "date": data.get("date"),
        "authors": [a.strip() for a in (data.get("author") or "").split(";") if a.strip()],
        "credits": [],
        "section": data.get("categories") or None,
        "breadcrumb": [],
    }


def trafilatura_record(url: str, html: bytes) -> tuple[dict[str, Any] | None, float]:
    """Return trafilatura's comparable fields for one page (None when it gives nothing), and
    the wall milliseconds it took (the bad set's figure; see :func:`time_in_process`)."""
    started = time.perf_counter()
    output = trafilatura_output(url, html)
    ms = (time.perf_counter() - started) * 1000
    return trafilatura_fields(output), ms


SPEED_ROUNDS = 3
"""Rounds of :func:`time_in_process`: each page's figure is its fastest of these."""

TIMED_CALLS = (
    "Timed calls, each from the page's bytes in memory (read and gunzipped before timing, "
    "for both): newscrawl = extract_article(url, bytes, profile by domain, the page's crawl "
    "time) -> the record item (decode the bytes: BOM, declared or sniffed charset; parse "
    "once with lxml; page type; trafilatura.extract on that tree, the whole generic "
    "extraction); "
    "trafilatura = trafilatura.extract(bytes, url, metadata, JSON output) (decode the "
    "bytes: UTF-8, else charset detection; parse with lxml; extract; metadata; JSON "
    "string). Neither timed call reads a file, unzips, checks the schema or writes output: "
    "those are in the end-to-end line. trafilatura's caches of text lines, which both fill, "
    "are emptied before every call."
)
"""What the in-process figures include, printed with them and written into the JSON."""


@dataclass
class Timings:
    """Per-page milliseconds of one extractor: each page's fastest round, CPU and wall."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def keep(self, page: int, cpu: float, wall: float) -> None:
        """Record one timed call of page number ``page`` (pages come in order in round one)."""
        if page == len(self.cpu):
            self.cpu.append(cpu)
            self.wall.append(wall)
        else:
            self.cpu[page] = min(self.cpu[page], cpu)
            self.wall[page] = min(self.wall[page], wall)


def _timed(call: Callable[[int], Any], page: int) -> tuple[Any, float, float]:
    """Return ``call(page)``'s value (None when it raised) with its CPU and wall milliseconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        value = call(page)
    except Exception:  # a refused page (ExtractionError) costs its time like any other
        value = None
    return value, (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def shared_caches() -> list[Any]:
    """Return trafilatura's caches of text lines (``line_processing``, ``trim``): both
    extractors fill them (newscrawl runs trafilatura inside), so the second of two calls on
    the same page would find the lines the first just read."""
    from trafilatura import utils

    found = (getattr(utils, name, None) for name in ("line_processing", "trim"))
    return [f for f in found if hasattr(f, "cache_clear")]


def time_in_process(
    rows: list[dict[str, Any]], pages: Path, rounds: int = SPEED_ROUNDS
) -> tuple[dict[str, Any], list[str | None]]:
    """Time newscrawl's ``extract_article`` and ``trafilatura.extract`` on the same pages in
    this process, alternating page by page; return the figures and trafilatura's outputs.

    Every page's bytes are read (and gunzipped) first. In each of ``rounds`` rounds every
    page goes through both extractors, one right after the other, the one that goes first
    swapping from page to page and from round to round, so that the load of a shared
    machine falls on both alike. A page's figure is its fastest round, CPU
    (``time.process_time``) and wall (``time.perf_counter``) apart; a side's figure is the
    median over pages, and the ratio is newscrawl's median over trafilatura's. The
    :func:`shared_caches` are emptied before every timed call, so that neither side reads
    the page half-prepared by the other. See :data:`TIMED_CALLS` for what each call includes.
    """
    from newscrawl.cli import parse_now
    from newscrawl.extraction import extract_article

    nows = [parse_now(crawl_time(row)) for row in rows]  # as the command reads the manifest
    bodies = [_read(pages / row["path"]) for row in rows]
    calls: dict[str, Callable[[int], Any]] = {
        "newscrawl": lambda i: extract_article(rows[i]["url"], bodies[i], None, now=nows[i]),
        "trafilatura": lambda i: trafilatura_output(rows[i]["url"], bodies[i]),
    }
    for call in calls.values():  # imports and first-call caches, untimed
        _timed(call, 0)
    timings = {name: Timings() for name in calls}
    caches = shared_caches()
    outputs: list[str | None] = [None] * len(rows)
    load_before = os.getloadavg()
    for round_ in range(rounds):
        gc.collect()
        for i in range(len(rows)):
            order = list(calls) if (i + round_) % 2 == 0 else list(reversed(calls))
            for name in order:
                for cache in caches:
                    cache.cache_clear()
                value, cpu, wall = _timed(calls[name], i)
                timings[name].keep(i, cpu, wall)
                if name == "trafilatura" and round_ == 0:
                    outputs[i] = value
    load_after = os.getloadavg()
    figures: dict[str, Any] = {"rounds": rounds, "calls": TIMED_CALLS}
    for clock in ("cpu", "wall"):
        medians = {n: statistics.median(getattr(t, clock)) for n, t in timings.items()}
        figures[f"{clock}_ms"] = {n: round(m, 1) for n, m in medians.items()}
        figures[f"{clock}_ratio"] = round(medians["newscrawl"] / medians["trafilatura"], 2)
    figures["load"] = [round(x, 2) for x in (*load_before, *load_after)]
    return figures, outputs


def score(tally: Tally, truth: dict[str, Any], record: dict[str, Any] | None, fields: bool) -> None:
    """Add one page's outcome to ``tally``; ``fields`` when the set has field truth."""
    body_truth = truth.get("body_text") if "body_text" in truth else truth.get("body")
    if body_truth is not None:
        tally.body(body_truth, (record or {}).get("body", ""))
    tally.count("refused", record is None)
    got = record or {}
    tally.count("section", bool(got.get("section")))
    tally.count("breadcrumb", bool(got.get("breadcrumb")))
    if not fields:
        return
    tally.count("title", normalize(truth.get("title")) == normalize(got.get("title")))
    tally.count("date", same_date(truth.get("published_at"), got.get("date")))
    want = {normalize(a).casefold() for a in truth.get("authors") or []}
    tally.count("authors", want == {normalize(a).casefold() for a in got.get("authors") or []})
    tally.count("cover_credit", cover_credit_found(truth, got))


def run_newscrawl(
    manifest: Path, out: Path, timeout: float | None = None
) -> tuple[list[dict[str, Any]], float | None]:
    """Run ``newscrawl extract --manifest``; return its output lines and its median ms/page.

    With ``timeout``, a run that takes longer is killed and its one line is
    ``{"error": "timeout"}`` (the bad set runs each page alone for that reason).
    """
    command = shutil.which("newscrawl", path=str(Path(sys.executable).parent)) or "newscrawl"
    try:
        done = subprocess.run(
            [command, "extract", "--manifest", str(manifest), "-o", str(out)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return [{"error": f"timeout: no outcome in {timeout:.0f} s"}], timeout * 1000
    if done.returncode < 0 or (done.returncode != 0 and timeout):
        return [{"error": f"crash: exit {done.returncode}: {done.stderr[-300:]}"}], None
    if done.returncode != 0:
        raise SystemExit(f"newscrawl extract failed ({done.returncode}): {done.stderr[-2000:]}")
    median = _MEDIAN.search(done.stderr)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return lines, float(median.group(1)) if median else None


def write_manifest(manifest: Path, rows: list[dict[str, Any]], pages: Path) -> None:
    """Write the manifest of ``rows``: ``{"path", "url"}`` (absolute paths into ``pages``),
    and ``"now"``, the page's :func:`crawl_time`, when the set gives it."""
    with manifest.open("w", encoding="utf-8") as handle:
        for row in rows:
            entry = {"path": str((pages / row["path"]).resolve()), "url": row["url"]}
            if (now := crawl_time(row)) is not None:
                entry["now"] = now
            handle.write(json.dumps(entry) + "\n")


def run_set(
    name: str, rows: list[dict[str, Any]], pages: Path, work: Path, rounds: int = SPEED_ROUNDS
) -> dict[str, Any]:
    """Score newscrawl and trafilatura on the pages of one set; return both summaries.

    newscrawl's records come from the command; trafilatura's from the first round of
    :func:`time_in_process` (the bad set: one call a page, no in-process timing, since
    trafilatura alone has no size limit). ``median_ms`` is newscrawl's command, end to end
    (wall), and trafilatura's only on the bad set; the comparison of the two is ``speed``.
    """
    if name == "bad":  # one process per page, so that a hang or a crash is one page's outcome
        lines, medians = [], []
        for row in rows:
            manifest = work / f"{row['id']}.manifest.jsonl"
            write_manifest(manifest, [row], pages)
            got, ms = run_newscrawl(manifest, work / f"{row['id']}.out.jsonl", BAD_TIMEOUT)
            lines += got
            medians += [ms] if ms is not None else []
        median = statistics.median(medians) if medians else None
    else:
        manifest = work / f"{name}.manifest.jsonl"
        write_manifest(manifest, rows, pages)
        lines, median = run_newscrawl(manifest, work / f"{name}.out.jsonl")
    speed, outputs = time_in_process(rows, pages, rounds) if name != "bad" else ({}, [])
    fields = any("title" in row for row in rows)
    ours, theirs = Tally(), Tally()
    ours_kept, theirs_kept = Tally(), Tally()  # the pages newscrawl's size limits let through
    outcomes: list[str] = []
    for i, (row, line) in enumerate(zip(rows, lines, strict=True)):
        record = newscrawl_record(line["item"]) if "item" in line else None
        outcomes.append("record" if record else line.get("error", "?"))
        kept = SIZE_LIMIT not in line.get("error", "")
        score(ours, row, record, fields)
        if speed:
            theirs_record = trafilatura_fields(outputs[i])
        else:
            html = _read(pages / row["path"])
            if len(html) > BAD_TIMEOUT_BYTES:
                theirs.ms.append(float("nan"))  # trafilatura alone has no size limit: not run
                score(theirs, row, None, fields)
                continue
            theirs_record, ms = trafilatura_record(row["url"], html)
            theirs.ms.append(ms)
        score(theirs, row, theirs_record, fields)
        if kept:
            score(ours_kept, row, record, fields)
            score(theirs_kept, row, theirs_record, fields)
    ours.ms = [median] if median is not None else []
    result = {"newscrawl": ours.summary(len(rows)), "trafilatura": theirs.summary(len(rows))}
    if speed:
        result["speed"] = speed
    limited = len(rows) - sum(1 for line in lines if SIZE_LIMIT not in line.get("error", ""))
    if limited and name != "bad":
        pages_kept = len(rows) - limited
        result["within_limits"] = {
            "refused_by_size_limits": limited,
            "newscrawl": ours_kept.summary(pages_kept),
            "trafilatura": theirs_kept.summary(pages_kept),
        }
    if name == "bad":
        result["outcomes"] = dict(zip((r["id"] for r in rows), outcomes, strict=True))
    return result


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def bad_pages(work: Path) -> list[dict[str, Any]]:
    """Write the hostile pages into ``work`` and return their truth rows (empty bodies)."""
    article = (
        "<html><head><meta charset='utf-8'><title>Ein Artikel</title></head><body><article>"
        "<h1>Ein Artikel</h1>"
        + "<p>Der Text des Artikels, Satz für Satz erzählt, über die Brücke und die Lichter "
        "am Fluss, an einem Abend im Regen.</p>" * 5
    )
    pages = {
        "empty": b"",
        "not-html": b"%PDF-1.7\n" + bytes(range(256)) * 64,
        "false-utf8": (article + "<p>Grüße aus Köln</p></article></body></html>").encode("latin-1"),
        "over-10mb": (article + "<p>Absatz für Absatz.</p>" * 600_000 + "</article>").encode(),
        "nested-100000": (article + "<div>" * 100_000 + "tief" + "</div>" * 100_000).encode(),
    }
    rows = []
    for name, data in pages.items():
        (work / f"{name}.html").write_bytes(data)
        rows.append({"id": name, "url": f"https://example.org/{name}", "path": f"{name}.html"})
    return rows


SIZE_LIMIT = "(the limit is "
"""How newscrawl's size-limit errors (``TooLarge``) end their message."""
BAD_TIMEOUT = 60.0
"""Seconds a bad page may take in newscrawl before it counts as a hang."""
BAD_TIMEOUT_BYTES = 5_000_000
"""Bad pages larger than this are not given to trafilatura alone (it could take minutes)."""

MEASURES = [
    ("body_f1", "body F1"),
    ("body_precision", "body precision"),
    ("body_recall", "body recall"),
    ("title_n", "title exact"),
    ("date_n", "date (same day)"),
    ("authors_n", "author set"),
    ("cover_credit_n", "cover credit"),
    ("section_n", "section coverage"),
    ("breadcrumb_n", "breadcrumb coverage"),
    ("refused", "refused pages"),
    ("median_ms", "median wall ms/page, `extract --manifest` end to end (bad: trafilatura's call)"),
]
"""Rows of the table: the key of a summary and its label. On the real sets trafilatura has
no ``median_ms`` (its time is in the rows of :data:`SPEED`); on the bad set it is the wall
time of its call."""

SPEED = [
    ("cpu", "median CPU ms/page, one process, alternating"),
    ("wall", "median wall ms/page, one process, alternating"),
]
"""Rows of the table from :func:`time_in_process`: the clock and its label."""


def _cell(value: Any) -> str:
    """Return a table cell: the value as text, empty for None."""
    return "" if value is None else str(value)


def table(results: dict[str, dict[str, Any]]) -> str:
    """Return the results as a Markdown table: one row per set and measure."""
    lines = ["| set | measure | newscrawl | trafilatura alone |", "| --- | --- | --- | --- |"]
    for name, result in results.items():
        ours, theirs = result["newscrawl"], result["trafilatura"]
        pages = f"{name} ({ours['pages']})"
        for key, label in MEASURES:
            if key in ours or key in theirs:
                got, their = _cell(ours.get(key)), _cell(theirs.get(key))
                lines.append(f"| {pages} | {label} | {got} | {their} |")
        speed = result.get("speed")
        for clock, label in SPEED if speed else ():
            ms = speed[f"{clock}_ms"]
            lines.append(f"| {pages} | {label} | {ms['newscrawl']} | {ms['trafilatura']} |")
            ratio = speed[f"{clock}_ratio"]
            lines.append(f"| {pages} | {clock} ratio, newscrawl / trafilatura | {ratio:.2f}x | |")
    return "\n".join(lines)


def speed_notes(results: dict[str, dict[str, Any]]) -> str:
    """Return what the in-process figures measure and the load average while they ran."""
    notes = [f"In one process: each page's fastest of the rounds (see --rounds). {TIMED_CALLS}"]
    for name, result in results.items():
        if speed := result.get("speed"):
            before, after = speed["load"][:3], speed["load"][3:]
            notes.append(
                f"{name}: {speed['rounds']} rounds; load average (1, 5, 15 min) "
                f"{', '.join(map(str, before))} before, {', '.join(map(str, after))} after"
            )
    return "\n".join(notes)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the page sets and print (and optionally write) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realpages", type=Path, default=DEFAULT_REALPAGES)
    parser.add_argument("--output", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--sets", default="aeb,fundus,bad", help="comma-separated set names")
    parser.add_argument(
        "--rounds",
        type=int,
        default=SPEED_ROUNDS,
        help="rounds of the in-process timing; each page's figure is its fastest",
    )
    args = parser.parse_args(argv)
    if not (args.realpages / "aeb" / "truth.jsonl").exists():
        print(f"error: no page sets under {args.realpages}", file=sys.stderr)
        return 2
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="newscrawl-quality-") as tmp:
        work = Path(tmp)
        for name in args.sets.split(","):
            if name == "bad":
                rows, pages = bad_pages(work), work
            else:
                truth = args.realpages / name / "truth.jsonl"
                rows = [json.loads(line) for line in truth.open(encoding="utf-8")]
                pages = args.realpages
            results[name] = run_set(name, rows, pages, work, args.rounds)
            print(f"{name}: {len(rows)} pages done", file=sys.stderr)
    print(table(results))
    if notes := speed_notes(results):
        print("\n" + notes)
    within = {n: r["within_limits"] for n, r in results.items() if "within_limits" in r}
    if within:
        counts = ", ".join(f"{n}: {r['refused_by_size_limits']}" for n, r in within.items())
        print(f"\nThe same, without the pages newscrawl refused by its size limits ({counts}):")
        print(table(within))
    if "bad" in results:
        print("\nbad pages (newscrawl):", json.dumps(results["bad"]["outcomes"]))
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
