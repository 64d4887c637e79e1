"""How good and how fast is a profile written by ``newscrawl profile suggest``?

For each generated portal (``bench/portal.py``, the Sahifa-like one; ``bench/newsroom.py``,
the second one, when it is there) this renders the portal in memory, saves ``--sample``
article pages and the home page to a temporary folder with a ``manifest.json``, suggests
a profile from that folder (with no theme to extend, so that every selector is induced),
and then, on ``--unseen`` other article pages:

1. compares the suggested profile's records with the hand-written profile's (the Sahifa
   portal: the bundled ``sahifa`` theme), field by field;
2. compares them with the generic extractor's records, field by field, and where the two
   differ, asks the portal's generated truth (``truth_of``, when the portal module has
   one) which is right;
3. times extraction per page (``extract_page(parse_page(...))``) with the suggested profile
   and with the generic extractor, and parsing alone (``parse_page`` with the suggested
   profile), in CPU time, interleaved page by page in the same run (median and ratio);
   generic over parsing alone is the ceiling of the ratio, what a profile whose selectors
   and fill cost nothing would reach. With selectolax installed it also times what a
   profile path on lexbor would pay at least (``bench/extract_floor.py``: lexbor's parse
   and the suggested profile's first CSS selectors, the limits scan, one language
   detection of the record's body): generic over that is the ceiling on lexbor. It then
   splits the suggested profile's time into parsing, its own selectors and the generic fill
   of the fields it leaves empty, and the
   profile's own stage into its readings of the page tree (``fields.READERS``: which
   selectors cost what) and the rest (language detection, cleaning, the record).

Usage::

    .venv/bin/python bench/suggest.py [--sample 20] [--unseen 100] [--portal sahifa|newsroom|all]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from bench_scripts import BENCH, load_bench
from lxml import html

from newscrawl.extraction import (
    ExtractionError,
    check_source,
    decode_html,
    extract_page,
    parse_page,
)
from newscrawl.extraction.fields import READERS
from newscrawl.extraction.generic.record import FILL_FIELDS, fill_record
from newscrawl.extraction.processors import detect_language
from newscrawl.profiles import Profile, load_profile
from newscrawl.profiles.suggest import (
    COMPARED_FIELDS,
    compare_records,
    read_pages,
    suggest_profile,
)

BASE = "http://127.0.0.1:8000"


def load_module(name: str) -> ModuleType | None:
    """Return ``bench/<name>.py`` as a module (see :func:`load_bench`); None when absent."""
    return load_bench(name) if (BENCH / f"{name}.py").is_file() else None


def article_pages(
    module: ModuleType, articles: int
) -> tuple[list[tuple[str, bytes]], bytes, dict[str, Any]]:
    """Return ``(url, body)`` of every article page of a generated portal, its home page,
    and its posts by URL."""
    generate = getattr(module, "generate_portal", None) or module.generate_newsroom
    portal = generate(articles, seed=11)
    routes, _ = module.build_routes(portal, BASE)
    pages = []
    posts = {}
    truths = {}
    if hasattr(portal, "truth"):  # Newsroom.truth: per article, the record it should give
        truths = {id(p): t for p, t in zip(portal.posts, portal.truth(BASE), strict=True)}
    for post in portal.posts:
        resource = routes.get(post.path.encode())
        if resource is not None and resource.status == 200:
            pages.append((BASE + post.path, b"".join(resource.body)))
            posts[BASE + post.path] = truths.get(id(post), post)
    home = b"".join(routes[b"/"].body)
    return pages, home, posts


def sahifa_truth(post: Any) -> dict[str, Any]:
    """Return what ``bench/portal.py`` generated for a post, as record fields: the fields
    whose truth the generator knows without reading its own HTML."""
    credit = post.credit.split(":", 1)[1].strip() if post.credit else None
    return {
        "headline": post.title,
        "headline_alt": {"text": post.alt_title, "lang": "ru"} if post.alt_title else None,
        "body": list(post.paragraphs),
        "photo_credit": credit,
        "section": post.category.name,
        "authors": [post.author.name],
        "breadcrumb": [{"name": n} for n in ("Home", post.category.name, post.title)],
    }


def truth_field(name: str, record: dict[str, Any] | None) -> Any:
    """Return a record's field as the truth is written (crumb names, not crumbs)."""
    value = (record or {}).get(name)
    if name == "breadcrumb":
        return [c["name"] for c in value or []] or None
    if name == "headline_alt" and value:
        return {"text": value["text"], "lang": value["lang"]}
    return value


def judge(
    truth: Callable[[Any], dict[str, Any]],
    posts: dict[str, Any],
    rest: list[tuple[str, bytes]],
    ours: list[dict[str, Any] | None],
    generic: list[dict[str, Any] | None],
) -> None:
    """Print, per field where the suggested and the generic records differ, which one
    equals the portal's generated truth."""
    from newscrawl.profiles.suggest import comparable

    verdicts: dict[str, list[int]] = {}
    for (url, _), mine, theirs in zip(rest, ours, generic, strict=True):
        known = truth(posts[url])
        for name in COMPARED_FIELDS:
            if name not in known:
                continue
            a = comparable(name, truth_field(name, mine))
            b = comparable(name, truth_field(name, theirs))
            if a == b:
                continue
            right = comparable(name, truth_field(name, known))
            counts = verdicts.setdefault(name, [0, 0, 0])
            counts[0 if a == right else 1 if b == right else 2] += 1
    for name, (suggested, generic_right, neither) in verdicts.items():
        print(
            f"    where they differ on {name}: suggested right {suggested}, "
            f"generic right {generic_right}, neither {neither}"
        )


def record(url: str, body: bytes, profile: Profile | str) -> dict[str, Any] | None:
    """Return the record of a page as a dict, or None when it gives none."""
    try:
        return dataclasses.asdict(extract_page(parse_page(url, body, profile=profile)))
    except ExtractionError:
        return None


def extraction(profile: Profile | str) -> Callable[[str, bytes], Any]:
    """Return what is timed per page with ``profile``: ``extract_page(parse_page(...))``,
    the record as extraction gives it (turning it into a dict for the comparisons is the
    benchmark's own work, not extraction's)."""

    def extract(url: str, body: bytes) -> Any:
        try:
            return extract_page(parse_page(url, body, profile=profile))
        except ExtractionError:
            return None

    return extract


def parsing(profile: Profile) -> Callable[[str, bytes], Any]:
    """Return what is timed as parsing alone: ``parse_page`` of a page with ``profile``
    (decoding, the size and time checks, the tree, the JSON-LD article), which every
    extraction with the profile does before its first selector."""

    def parse(url: str, body: bytes) -> Any:
        try:
            return parse_page(url, body, profile=profile)
        except ExtractionError:
            return None

    return parse


def stages(url: str, body: bytes, profile: Profile) -> dict[str, float]:
    """Return the CPU seconds of a page's extraction with ``profile`` by stage: parsing,
    the profile's own selectors (``extract_page`` without the fill) and the generic fill
    of the fields the profile left empty."""
    start = time.process_time()
    page = parse_page(url, body, profile=profile)
    parsed = time.process_time()
    try:
        article = extract_page(page, fill=False)
    except ExtractionError:
        return {"parse": parsed - start, "profile": time.process_time() - parsed, "fill": 0.0}
    selected = time.process_time()
    fill_record(article, page)
    return {
        "parse": parsed - start,
        "profile": selected - parsed,
        "fill": time.process_time() - selected,
    }


READING_ORDER = (
    "article",
    "canonical_url",
    "headline",
    "breadcrumb",
    "section",
    "authors",
    "tags",
    "published_at",
    "modified_at",
    "lead_image",
    "text_images",
    "body_blocks",
    "headline_alt",
    "teasers",
)
"""The readings of :data:`~newscrawl.extraction.fields.READERS` in the order
``extract_page`` makes them: the first to look up an id (or a class) pays for the page's
lookup of them all, as in extraction."""


def readings(url: str, body: bytes, profile: Profile) -> dict[str, float] | None:
    """Return the CPU seconds of each reading of the page tree that ``extract_page`` makes
    with ``profile`` (:data:`READING_ORDER`, on one parse), and ``rest``: the profile's
    stage (``extract_page`` without the fill, on a second parse) less their sum, what it
    does besides reading the tree (language detection, cleaning the values, the record).
    A reading of a field reads every selector of it, where extraction stops at the first
    that finds something (and takes the authors from the JSON-LD article without reading
    their selectors, when it names them). None for a page that gives no record."""
    page = parse_page(url, body, profile=profile)
    start = time.process_time()
    try:
        extract_page(page, fill=False)
    except ExtractionError:
        return None
    stage = time.process_time() - start
    page = parse_page(url, body, profile=profile)
    spent: dict[str, float] = {}
    for name in READING_ORDER:
        start = time.process_time()
        READERS[name](page)
        spent[name] = time.process_time() - start
    spent["rest"] = stage - sum(spent.values())
    return spent


def fill_counts(pages: list[tuple[str, bytes]], profile: Profile) -> dict[str, tuple[int, int]]:
    """Return, per field the generic fill read on some page, on how many pages it read it
    (the profile left it empty, ``fill.skip`` does not name it, and for the body the tree
    is one trafilatura reads: see ``fill_record``) and on how many it filled it."""
    skip = set(profile.get("fill", "skip", default=[]))
    read: Counter[str] = Counter()
    filled: Counter[str] = Counter()
    for url, body in pages:
        try:
            page = parse_page(url, body, profile=profile)
            article = extract_page(page, fill=False)
        except ExtractionError:
            continue
        read.update(
            name
            for name in FILL_FIELDS
            if name not in skip
            and getattr(article, name) in (None, [], "")
            and (name != "body" or isinstance(page.selector.root, html.HtmlElement))
        )
        filled.update(fill_record(article, page))
    return {name: (read[name], filled[name]) for name in FILL_FIELDS if read[name]}


def lexbor_required(
    profile: Profile, records: dict[str, dict[str, Any] | None]
) -> Callable[[str, bytes], Any] | None:
    """Return what a profile path on lexbor would pay at least for a page (None without
    selectolax): the decoding and limits scan every page passes, lexbor's parse with
    ``profile``'s first CSS selector of each field (``extract_floor.lexbor_floor``), and
    one language detection of the page's record body (``records``, by URL)."""
    floor = load_bench("extract_floor")
    if floor.LexborHTMLParser is None:
        return None
    read = floor.lexbor_floor(floor.profile_reads(profile))
    samples = {url: " ".join((r or {}).get("body") or [])[:2000] for url, r in records.items()}

    def run(url: str, body: bytes) -> None:
        check_source(decode_html(body))
        read(body)
        detect_language(samples[url], prefer=profile.languages)

    return run


def cpu_per_page(
    pages: list[tuple[str, bytes]], extractors: dict[str, Callable[..., Any]]
) -> dict[str, list[float]]:
    """Return CPU seconds per page for each extractor, the extractors interleaved page by page."""
    times: dict[str, list[float]] = {name: [] for name in extractors}
    for url, body in pages:
        for name, extract in extractors.items():
            start = time.process_time()
            extract(url, body)
            times[name].append(time.process_time() - start)
    return times


def report_agreement(title: str, agreement: dict[str, Any]) -> float:
    """Print one line per field and the overall share; return the share."""
    agree = sum(a.agree for a in agreement.values())
    total = sum(a.total for a in agreement.values())
    print(f"  {title}: {agree}/{total} field values agree ({agree / total:.2%})")
    for name in COMPARED_FIELDS:
        field = agreement[name]
        if field.agree < field.total:
            print(f"    {name}: {field.agree}/{field.total}  e.g. {field.examples[0]}")
    return agree / total


def run_portal(
    name: str,
    module: ModuleType,
    sample: int,
    unseen: int,
    reference: str | None,
    truth: Callable[[Any], dict[str, Any]] | None,
) -> None:
    """Suggest a profile from ``sample`` pages of a portal; measure it on ``unseen`` others."""
    pages, home, posts = article_pages(module, sample + unseen)
    chosen, rest = pages[:sample], pages[sample : sample + unseen]
    with tempfile.TemporaryDirectory(prefix="suggest-bench-") as folder:
        manifest = {"home.html": BASE + "/"}
        Path(folder, "home.html").write_bytes(home)
        for number, (url, body) in enumerate(chosen):
            Path(folder, f"page-{number:03d}.html").write_bytes(body)
            manifest[f"page-{number:03d}.html"] = url
        Path(folder, "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        start = time.process_time()
        suggestion = suggest_profile(read_pages(Path(folder)), themes=[])
        spent = time.process_time() - start
    text = suggestion.toml()
    data = tomllib.loads(text)
    profile = Profile(suggestion.name, "portal", data)
    print(
        f"{name}: suggested from {sample} article pages + home in {spent:.1f} s CPU; "
        f"measured on {len(rest)} unseen article pages"
    )
    names = [url for url, _ in rest]
    ours = [record(url, body, profile) for url, body in rest]
    generic = [record(url, body, "generic") for url, body in rest]
    if reference:
        # The hand-written selectors with the portal's site facts (languages, timezone), as
        # a portal file that extends the theme has them.
        theme = load_profile(reference)
        hand = Profile(reference, "portal", {**theme.data, "site": data["site"]})
        theirs = [record(url, body, hand) for url, body in rest]
        report_agreement(
            f"suggested vs hand-written {reference!r}", compare_records(ours, theirs, names)
        )
    report_agreement("suggested vs generic", compare_records(ours, generic, names))
    if truth is not None:
        judge(truth, posts, rest, ours, generic)
        truths = [truth(posts[url]) for url, _ in rest]
        if all(set(COMPARED_FIELDS) <= set(t) for t in truths):  # a whole record each
            report_agreement(
                "suggested vs the portal's truth", compare_records(ours, truths, names)
            )
            report_agreement(
                "generic vs the portal's truth", compare_records(generic, truths, names)
            )
    extractors = {
        "suggested": extraction(profile),
        "generic": extraction("generic"),
        "parse": parsing(profile),
    }
    on_lexbor = lexbor_required(profile, dict(zip(names, ours, strict=True)))
    if on_lexbor is not None:
        extractors["lexbor"] = on_lexbor
    times = cpu_per_page(rest, extractors)
    ours_ms = statistics.median(times["suggested"]) * 1000
    generic_ms = statistics.median(times["generic"]) * 1000
    parse_ms = statistics.median(times["parse"]) * 1000
    print(
        f"  CPU per page, median: suggested {ours_ms:.2f} ms, generic {generic_ms:.2f} ms "
        f"-> {generic_ms / ours_ms:.1f}x"
    )
    print(
        f"  parsing alone {parse_ms:.2f} ms: the ceiling (selectors and fill free) is "
        f"{generic_ms / parse_ms:.1f}x; the profile's selectors and fill take "
        f"{ours_ms - parse_ms:.2f} ms"
    )
    if "lexbor" in times:
        lexbor_ms = statistics.median(times["lexbor"]) * 1000
        print(
            f"  on lexbor at least {lexbor_ms:.2f} ms (parse, first selectors, limits scan, "
            f"language): the ceiling there is {generic_ms / lexbor_ms:.1f}x"
        )
    split = [stages(url, body, profile) for url, body in rest]
    parts = ", ".join(
        f"{name} {statistics.median(s[name] for s in split) * 1000:.2f} "
        f"(mean {statistics.fmean(s[name] for s in split) * 1000:.2f})"
        for name in ("parse", "profile", "fill")
    )
    print(f"  suggested by stage, median (mean) ms per page: {parts}")
    split_reads = [r for url, body in rest if (r := readings(url, body, profile)) is not None]
    if split_reads:
        reads = ", ".join(
            f"{name} {statistics.median(r[name] for r in split_reads) * 1e6:.0f}"
            for name in (*READING_ORDER, "rest")
        )
        print(f"  the profile's stage by reading, median µs per page: {reads}")
    counts = fill_counts(rest, profile)
    fills = ", ".join(f"{n} read on {r}, filled on {f}" for n, (r, f) in counts.items())
    print(f"  the generic fill, of {len(rest)} pages: {fills or 'nothing read'}")


def main() -> None:
    """Run the benchmark on the portals asked for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--unseen", type=int, default=100)
    parser.add_argument("--portal", choices=["sahifa", "newsroom", "all"], default="all")
    args = parser.parse_args()
    load_profile("generic")
    if args.portal in ("sahifa", "all"):
        module = load_module("portal")
        assert module is not None
        run_portal(
            "sahifa portal (bench/portal.py)",
            module,
            args.sample,
            args.unseen,
            "sahifa",
            sahifa_truth,
        )
    if args.portal in ("newsroom", "all"):
        module = load_module("newsroom")
        if module is None:
            print("newsroom portal: bench/newsroom.py is not there yet")
        else:
            run_portal(
                "newsroom portal (bench/newsroom.py)",
                module,
                args.sample,
                args.unseen,
                None,
                lambda record: record,  # the portal's truth is a record already
            )


if __name__ == "__main__":
    main()
