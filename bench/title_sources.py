"""Which source of a page gives fundus's true title? A check of the title target of issue 13.

For every page of ``../shared/realpages/fundus`` this reads the headline candidates the
generic extractor weighs (``newscrawl.extraction.generic.headline.candidates``: the visible
``<h1>``, JSON-LD ``headline``, ``og:title``, ``twitter:title`` and ``<title>``, the last
three without a trailing site name) and prints:

- for each source, on how many pages its text equals the true title (whitespace aside, as
  ``bench/quality.py`` compares);
- how many pages the true title matches ``og:title`` but not the ``<h1>``, and the reverse;
- the best any fixed order of sources does (the first source that has a text wins);
- the ceiling: on how many pages the true title is one of the candidates at all;
- what the generic extractor's vote chooses;
- on pages where one candidate is another with a kicker before it ("Olympia: …", set
  off by punctuation) or more words after it, whether the truth is the shorter text
  (the core) or the longer one.

``--half design`` or ``--half holdout`` reads only one half of the pages, drawn at random
with ``--seed`` (default 13; the half of 64 pages is ``design``, the other 65
``holdout``): rules are designed on one half and checked on the other.

Usage::

    .venv/bin/python bench/title_sources.py [--realpages ../shared/realpages] [--half design]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from newscrawl.extraction.generic import headline as generic_headline
from newscrawl.extraction.generic.record import generic_page
from newscrawl.extraction.generic.text import key
from newscrawl.extraction.page import parse_page

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("h1", "jsonld", "og", "twitter", "title")


def normalize(text: str | None) -> str:
    """Return ``text`` with its whitespace collapsed (as ``bench/quality.py`` compares)."""
    return " ".join((text or "").split())


def halves(ids: Sequence[str], seed: int) -> dict[str, set[str]]:
    """Return the page ids drawn at random with ``seed`` into ``design`` (half of them,
    rounded down) and ``holdout`` (the others); the draw does not depend on their order."""
    ordered = sorted(ids)
    design = set(random.Random(seed).sample(ordered, len(ordered) // 2))
    return {"design": design, "holdout": set(ordered) - design}


def decorates(long: str, short: str) -> bool:
    """Tell whether the key ``long`` is the key ``short`` with a kicker set off by
    punctuation before it ("weather: storm hits", "msv-storm hits") or more words after
    it ("storm hits at dawn"); ``short`` has 3 words or more.

    >>> decorates("weather: storm hits the coast", "storm hits the coast")
    True
    >>> decorates("the storm hits the coast", "storm hits the coast")
    False
    """
    if len(short) >= len(long) or len(short.split()) < 3:
        return False
    if long.startswith(short):
        return not long[len(short)].isalnum()
    kicker = long[: -len(short)]
    return (
        long.endswith(short)
        and not kicker[-1].isalnum()
        and any(not c.isalnum() and not c.isspace() for c in kicker)
    )


def core_and_decorated(texts: dict[str, str], want: str) -> str | None:
    """Return "core" when the true title is a candidate that another candidate decorates
    (:func:`decorates`), "decorated" when it is a candidate that decorates another, None
    when no candidate decorates another or the truth is neither."""
    keys = {key(t) for t in texts.values()}
    pairs = [(a, b) for a in keys for b in keys if decorates(a, b)]
    if not pairs:
        return None
    truth = key(want)
    if any(truth == b for _, b in pairs):
        return "core"
    if any(truth == a for a, _ in pairs):
        return "decorated"
    return None


def page_sources(url: str, html: bytes) -> tuple[dict[str, str], str | None]:
    """Return each source's headline text on the page, and the generic extractor's choice."""
    page = parse_page(url, html, {"Content-Type": "text/html"})
    generic = generic_page(page)
    found = generic_headline.candidates(generic.structured, generic.root, url)
    texts: dict[str, str] = {}
    for source, text in found:
        texts.setdefault(source, normalize(text))
    return texts, generic_headline.choose(found)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures; exit 2 when the fundus set is not there."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realpages", type=Path, default=ROOT.parent / "shared" / "realpages")
    parser.add_argument("--half", choices=("all", "design", "holdout"), default="all")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    truth_path = args.realpages / "fundus" / "truth.jsonl"
    if not truth_path.exists():
        print(f"title_sources: no {truth_path}", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in truth_path.read_text(encoding="utf-8").splitlines()]
    if args.half != "all":
        wanted = halves([row["path"] for row in rows], args.seed)[args.half]
        rows = [row for row in rows if row["path"] in wanted]
    pages: list[tuple[dict[str, str], str]] = []
    chosen = 0
    for row in rows:
        html = gzip.decompress((args.realpages / row["path"]).read_bytes())
        texts, choice = page_sources(row["url"], html)
        want = normalize(row["title"])
        pages.append((texts, want))
        chosen += normalize(choice) == want
    equal = Counter(s for texts, want in pages for s, t in texts.items() if t == want)
    og_only = sum(1 for t, w in pages if t.get("og") == w and t.get("h1") != w)
    h1_only = sum(1 for t, w in pages if t.get("h1") == w and t.get("og") != w)
    orders = []
    for order in itertools.permutations(SOURCES):
        right = sum(1 for t, w in pages if next((t[s] for s in order if t.get(s)), None) == w)
        orders.append((right, order))
    best, best_order = max(orders)
    ceiling = sum(1 for t, w in pages if w in t.values())
    cores = Counter(core_and_decorated(t, w) for t, w in pages)
    n = len(pages)
    which = "" if args.half == "all" else f" ({args.half} half, seed {args.seed})"
    print(f"fundus{which}: {n} pages")
    for source in SOURCES:
        print(f"  {source:<8} equals the true title on {equal[source]:>3}/{n}")
    print(
        f"  og:title right and <h1> wrong: {og_only} pages; <h1> right and og:title wrong: "
        f"{h1_only} pages"
    )
    print(f"  best fixed order of sources: {best}/{n} ({' > '.join(best_order)})")
    print(f"  the true title is one of the candidates: {ceiling}/{n}")
    print(f"  the generic extractor's vote: {chosen}/{n}")
    print(
        f"  one candidate decorates another (kicker or added words): the truth is the core on "
        f"{cores['core']} pages, the decorated text on {cores['decorated']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
