"""How close can profile extraction get to lxml's parse? Floors beside newscrawl, in one run.

Issue 12 asks profile extraction to take at most twice lxml's parse of the page. This
script times, on the article fixtures of one profile (``jmn``), page by page and
alternating:

- ``lxml_parse``: ``etree.fromstring(body, etree.HTMLParser())``, the yardstick;
- ``newscrawl``: ``extract_article``, as ``bench/extract_speed.py`` times it;
- ``lxml_floor``: the parse, then the profile's selectors as parsel would run them
  (CSS translated to XPath by parsel's translator, compiled once), each field's first
  selector only, its text joined and split on whitespace: no cleaning, no language, no
  limits, no fallback. It is what any extraction on lxml pays at least for the same reads;
- ``lxml_scan``: the parse, then one walk over every element reading its id and class,
  the least a selector engine that indexes the page pays;
- ``lexbor_parse`` and ``lexbor_floor``: the same parse and reads with selectolax's lexbor
  engine (an HTML5 parser with CSS selectors in C), when selectolax is installed
  (``pip install -e '.[bench]'``). ``xpath:`` selectors have no lexbor reading and are
  left out of both floors alike;
- ``limits_scan``: :func:`~newscrawl.extraction.check_source` on the decoded page, the scan
  for elements of too many attributes that every page passes before a parser reads it
  (lexbor's parse is quadratic in them too, so a lexbor path would keep it);
- ``language``: one :func:`~newscrawl.extraction.processors.detect_language` of the
  record's body, as extraction runs it for the record's ``language``.

The last line adds ``lexbor_floor``, ``limits_scan`` and ``language`` page by page: what a
profile path on lexbor would pay at least before it cleans a value, reads a date or JSON-LD,
or tells an alternate headline or a credit apart.

To show that the floors read the same page as newscrawl, it prints on how many pages each
floor's headline has the record's letters (whitespace aside: a floor does not clean).
The ratios are medians over rounds of the per-page means. ``--hostile`` also times each
parser on pages that cost far more than their size (:data:`HOSTILE`). Usage::

    .venv/bin/python bench/extract_floor.py [--rounds 30] [--profile jmn] [--hostile]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench_scripts import load_bench
from lxml import etree
from parsel.csstranslator import HTMLTranslator

from newscrawl.extraction import ExtractionError, check_source, decode_html, extract_article
from newscrawl.extraction.processors import detect_language
from newscrawl.profiles import Profile, load_profile

speed = load_bench("extract_speed")

try:
    from selectolax.lexbor import LexborHTMLParser
except ImportError:  # the bench extra is not installed: no lexbor columns
    LexborHTMLParser = None


@dataclass(frozen=True)
class Read:
    """One selector of the profile: a CSS query and the attribute it reads (None: text)."""

    name: str
    css: str
    attribute: str | None


def profile_reads(profile: Profile) -> list[Read]:
    """Return the first CSS selector of each field, the body and breadcrumb containers' text
    blocks, the lead image and each teaser block of ``profile`` (``xpath:`` ones left out)."""
    wanted: list[tuple[str, str]] = []
    for name, selectors in (profile.get("fields", default={}) or {}).items():
        if name != "article" and selectors:
            wanted.append((name, selectors[0]))
    for container in profile.get("body", "container", default=[])[:1]:
        wanted.append(("body", f"{container} p"))
    for container in profile.get("breadcrumb", "container", default=[])[:1]:
        wanted.append(("breadcrumb", f"{container} a"))
    for lead in profile.get("images", "lead", default=[])[:1]:
        wanted.append(("lead_image", f"{lead}::attr(src)"))
    for number, block in enumerate(profile.get("teasers", default=[])):
        wanted.append((f"teasers{number}", f"{block['nodes']} {block['title']}"))
    reads = []
    for name, css in wanted:
        if css.startswith("xpath:"):
            continue
        query, _, attribute = css.partition("::attr(")
        reads.append(Read(name, query.strip(), attribute.rstrip(")") or None))
    return reads


def words(text: str) -> str:
    """Return ``text`` with its whitespace collapsed."""
    return " ".join(text.split())


def letters(text: str) -> str:
    """Return ``text`` without any whitespace: what a floor reads, however it spaces words."""
    return "".join(text.split())


def lxml_floor(reads: list[Read]) -> Callable[[bytes], dict[str, list[str]]]:
    """Return a reader that parses a page with lxml and runs ``reads`` as compiled XPath."""
    translator = HTMLTranslator()
    queries = [
        (read.name, etree.XPath(translator.css_to_xpath(read.css)), read.attribute)
        for read in reads
    ]

    def extract(body: bytes) -> dict[str, list[str]]:
        root = etree.fromstring(body, etree.HTMLParser())
        found: dict[str, list[str]] = {}
        for name, query, attribute in queries:
            found[name] = [
                (element.get(attribute) or "")
                if attribute
                else words(etree.tostring(element, method="text", encoding="unicode"))
                for element in query(root)
            ]
        return found

    return extract


def lexbor_floor(reads: list[Read]) -> Callable[[bytes], dict[str, list[str]]]:
    """Return a reader that parses a page with lexbor and runs ``reads`` as its CSS."""

    def extract(body: bytes) -> dict[str, list[str]]:
        tree = LexborHTMLParser(body)
        found: dict[str, list[str]] = {}
        for read in reads:
            found[read.name] = [
                (node.attributes.get(read.attribute) or "")
                if read.attribute
                else words(node.text())
                for node in tree.css(read.css)
            ]
        return found

    return extract


def lxml_scan(body: bytes) -> int:
    """Parse ``body`` with lxml and read every element's id and class; return how many
    elements have one."""
    marked = 0
    for element in etree.fromstring(body, etree.HTMLParser()).iter():
        if element.get("id") or element.get("class"):
            marked += 1
    return marked


HOSTILE = {
    "40,000 attributes on one element": (
        "<html><body><div " + " ".join(f"a{i}=x" for i in range(40_000)) + ">x</div></body></html>"
    ),
    "100,000 nested divs": "<html><body>" + "<div>" * 100_000 + "x</body></html>",
}
"""Pages that cost a parser far more than their size says: what newscrawl's limits refuse
before lxml parses (``extraction.limits``), and what a lexbor path would have to refuse too."""


def hostile() -> None:
    """Print the CPU seconds each parser takes on each :data:`HOSTILE` page."""
    parsers: dict[str, Callable[[str], object]] = {
        "lxml": lambda text: etree.fromstring(text, etree.HTMLParser()),
    }
    if LexborHTMLParser is not None:
        parsers["lexbor"] = LexborHTMLParser
    for label, text in HOSTILE.items():
        cells = []
        for name, parse in parsers.items():
            started = time.process_time()
            parse(text)
            cells.append(f"{name} {time.process_time() - started:6.2f} s")
        print(f"  {label:34} " + "  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    """Print each stage's median ms per page and its ratio to lxml's parse."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profile", default="jmn")
    parser.add_argument(
        "--hostile", action="store_true", help="also time each parser on hostile pages"
    )
    args = parser.parse_args(argv)
    profile = load_profile(args.profile)
    records: list[tuple[Any, Any]] = []
    for page in speed.fixture_pages():
        if page.profile != args.profile:
            continue
        try:
            article = extract_article(page.url, page.body, page.headers, page.profile, page.now)
        except ExtractionError:  # a negative case: not an article page
            continue
        records.append((page, article))
    if not records:
        print(f"extract_floor: no article fixture of profile {args.profile}", file=sys.stderr)
        return 2
    reads = profile_reads(profile)
    stages: dict[str, Callable[[Any], object]] = {
        "lxml_parse": lambda page: etree.fromstring(page.body, etree.HTMLParser()),
        "newscrawl": lambda page: extract_article(
            page.url, page.body, page.headers, page.profile, page.now
        ),
        "lxml_floor": (lambda read: lambda page: read(page.body))(lxml_floor(reads)),
        "lxml_scan": lambda page: lxml_scan(page.body),
    }
    floors = {"lxml_floor": lxml_floor(reads)}
    texts = {id(page): decode_html(page.body, page.headers) for page, _ in records}
    samples = {id(page): " ".join(article.body)[:2000] for page, article in records}
    stages["limits_scan"] = lambda page: check_source(texts[id(page)])
    stages["language"] = lambda page: detect_language(samples[id(page)], prefer=profile.languages)
    if LexborHTMLParser is not None:
        stages["lexbor_parse"] = lambda page: LexborHTMLParser(page.body)
        stages["lexbor_floor"] = (lambda read: lambda page: read(page.body))(lexbor_floor(reads))
        floors["lexbor_floor"] = lexbor_floor(reads)
    means: dict[str, list[float]] = {name: [] for name in stages}
    for round_index in range(args.rounds):
        totals = dict.fromkeys(stages, 0.0)
        order = list(stages) if round_index % 2 == 0 else list(stages)[::-1]
        for page, _ in records:
            for name in order:
                started = time.process_time()
                stages[name](page)
                totals[name] += time.process_time() - started
        for name, total in totals.items():
            means[name].append(total * 1000 / len(records))
    print(f"profile {args.profile}: {len(records)} article fixtures, {args.rounds} rounds, CPU ms")
    parse = means["lxml_parse"]
    for name, values in means.items():
        ratio = statistics.median(v / p for v, p in zip(values, parse, strict=True))
        print(f"  {name:13} {statistics.median(values):6.3f} ms  {ratio:5.2f}x lxml's parse")
    if LexborHTMLParser is None:
        print("  (selectolax is not installed: no lexbor figures)")
    else:
        required = [
            sum(parts) / p
            for *parts, p in zip(
                means["lexbor_floor"], means["limits_scan"], means["language"], parse, strict=True
            )
        ]
        print(
            f"  lexbor_floor + limits_scan + language: {statistics.median(required):5.2f}x"
            " lxml's parse"
        )
    for name, read in floors.items():
        same = sum(
            1
            for page, article in records
            if [letters(t) for t in read(page.body).get("headline", [])[:1]]
            == [letters(article.headline or "")]
        )
        print(f"  {name}: headline has the record's letters on {same}/{len(records)} pages")
    if args.hostile:
        print("hostile pages, CPU seconds to parse:")
        hostile()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
