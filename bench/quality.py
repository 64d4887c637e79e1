"""Quality of the generic fallback on real pages, beside trafilatura alone.

Reads ``../shared/realpages`` (not copied into the repository; see its README):

- ``aeb/``: 103 pages with article-body truth (scrapinghub/article-extraction-benchmark);
- ``fundus/``: 129 pages of many publishers with truth for title, body, authors and dates.

For every page it runs ``newscrawl.extraction.extract_article`` with the ``generic`` profile
and, side by side, ``trafilatura.extract`` with the options the generic fallback passes
it, and scores bodies with the article-extraction-benchmark's metric: multisets of 4-token
shingles (tokens are ``\\w+`` runs), true and false positives and false negatives divided by
their sum per page, precision and recall averaged over pages, F1 from the two means. For
fundus it also counts titles equal after whitespace normalisation, the same calendar date
of publication, and the same set of author names (case ignored).

Usage::

    .venv/bin/python bench/quality.py [--realpages ../shared/realpages] [--output FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newscrawl.extraction import ExtractionError, extract_article  # noqa: E402
from newscrawl.extraction.fields import TRAFILATURA_OPTIONS  # noqa: E402
from newscrawl.extraction.processors import normalize_space  # noqa: E402

DEFAULT_REALPAGES = ROOT.parent / "shared" / "realpages"
_TOKEN = re.compile(r"\w+")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """Return the multiset of ``size``-token shingles of ``text`` (the whole text if shorter)."""
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def page_scores(truth: str, predicted: str) -> tuple[float | None, float | None]:
    """Return (precision, recall) of ``predicted`` against ``truth``, each None when the page
    has nothing to score it on (no predicted shingles, no true shingles); empty vs empty is 1.0."""
    expected, got = shingles(truth), shingles(predicted)
    if not expected and not got:
        return 1.0, 1.0
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    precision = tp / (tp + fp) if got else None
    recall = tp / (tp + fn) if expected else None
    return precision, recall


@dataclass
class Scores:
    """Per-page precision and recall of one extractor, and its time per page."""

    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, truth: str, predicted: str, seconds: float) -> None:
        """Score one page."""
        self.seconds.append(seconds)
        precision, recall = page_scores(truth, predicted)
        if precision is not None:
            self.precision.append(precision)
        if recall is not None:
            self.recall.append(recall)

    def summary(self) -> dict[str, float]:
        """Return mean precision, mean recall, F1 of the means, and the median ms per page."""
        p = statistics.fmean(self.precision) if self.precision else 0.0
        r = statistics.fmean(self.recall) if self.recall else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        ms = statistics.median(self.seconds) * 1000 if self.seconds else 0.0
        return {
            "precision": round(p, 3),
            "recall": round(r, 3),
            "f1": round(f1, 3),
            "ms": round(ms, 1),
        }


def newscrawl_record(url: str, html: bytes) -> tuple[dict[str, Any] | None, float]:
    """Return the generic fallback's record (None when extraction refused the page) and seconds."""
    started = time.perf_counter()
    try:
        article = extract_article(url, html, None, profile="generic", now=NOW)
    except ExtractionError:
        return None, time.perf_counter() - started
    return {
        "body": "\n".join(article.body),
        "headline": article.headline,
        "published_at": article.published_at,
        "authors": article.authors,
    }, time.perf_counter() - started


def trafilatura_body(url: str, html: bytes) -> tuple[str, float]:
    """Return trafilatura's body text, with the generic fallback's options, and seconds."""
    import trafilatura

    started = time.perf_counter()
    text = trafilatura.extract(html, url=url, **TRAFILATURA_OPTIONS)
    return text or "", time.perf_counter() - started


def same_date(truth: str | None, got: str | None) -> bool:
    """Tell whether two date strings name the same calendar day (their first 10 characters)."""
    return bool(truth and got and truth[:10] == got[:10])


def run_set(
    name: str, root: Path, check_fields: bool, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Score both extractors on one page set; return the summaries."""
    rows = [json.loads(line) for line in (root / name / "truth.jsonl").open(encoding="utf-8")]
    ours, theirs = Scores(), Scores()
    refused = 0
    fields: Counter[str] = Counter()
    for row in rows:
        html = gzip.decompress((root / row["path"]).read_bytes())
        truth = row.get("body_text") if name == "fundus" else row["body"]
        record, seconds = newscrawl_record(row["url"], html)
        refused += record is None
        ours.add(truth or "", (record or {}).get("body", ""), seconds)
        text, seconds = trafilatura_body(row["url"], html)
        theirs.add(truth or "", text, seconds)
        if check_fields and record is not None:
            fields["title"] += normalize_space(row.get("title")) == record["headline"]
            fields["published_at"] += same_date(row.get("published_at"), record["published_at"])
            want = {a.casefold() for a in row.get("authors") or []}
            fields["authors"] += want == {a.casefold() for a in record["authors"] or []}
    progress(f"{name}: {len(rows)} pages")
    result: dict[str, Any] = {
        "pages": len(rows),
        "refused_by_newscrawl": refused,
        "newscrawl_generic": ours.summary(),
        "trafilatura": theirs.summary(),
    }
    if check_fields:
        result["fields_right"] = {k: f"{v}/{len(rows)}" for k, v in fields.items()}
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run both page sets and print (and optionally write) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realpages", type=Path, default=DEFAULT_REALPAGES)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    if not (args.realpages / "aeb" / "truth.jsonl").exists():
        print(f"error: no page sets under {args.realpages}", file=sys.stderr)
        return 2
    result = {
        "aeb": run_set("aeb", args.realpages, False, print),
        "fundus": run_set("fundus", args.realpages, True, print),
    }
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
