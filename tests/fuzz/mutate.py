"""Hostile pages for extraction: mutated fixture pages, reproducible from a seed.

:func:`inputs` yields ``(seed, url, body)``: a page of the fixtures (or a small article
built here) changed by one to four mutations, each drawn from what the issue-11 audit
and its fuzzers found: markup nested deep or repeated many times, hostile URLs, control
characters, JSON-LD nested deep, encodings that lie, cut pages. :func:`check` runs one
page through extraction as a crawl does (``extract_article``, then ``check_outcome``,
which turns the record of a cut page or of a page without body text into a reject, as
``newscrawl.workers.extract_record`` does) and says what came out.
``tests/fuzz/test_fuzz.py`` runs a short round in every test run;
``tests/fuzz/campaign.py`` (``make fuzz``) a long one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from newscrawl.extraction import ExtractionError, check_outcome, extract_article
from newscrawl.items import to_dict
from newscrawl.schema import record_errors

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
NOW = datetime(2016, 3, 25, 9, tzinfo=UTC)
URL = "https://jmn.info/fuzzed-article/"

SMALL_ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>T</title>
<link rel="canonical" href="https://jmn.info/fuzzed-article/">
<meta property="article:published_time" content="2016-03-24T10:00:00+03:00">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "JSON-LD headline", "author": {"@type": "Person", "name": "Irina Sokolova"},
"datePublished": "2016-03-24T10:00:00+03:00"}</script></head><body>
<div id="crumbs"><a href="https://jmn.info/">Home</a><span class="delimiter">/</span>
<a href="/category/policy/">Policy</a><span class="delimiter">/</span><span>Here</span></div>
<article id="the-post" class="post-listing post type-post"><div class="post-inner">
<h1 class="name post-title entry-title"><span itemprop="name">Lavrov said what Putin agreed</span>
</h1><p class="post-meta"><span class="post-meta-author"><a href="/author/irina/">Irina Sokolova</a>
</span>
<span class="tie-date">March 24, 2016</span></p>
<div class="entry"><p><strong>Лавров рассказал, о чём договорились Путин и Керри</strong></p>
<div class="wp-caption"><img src="/wp-content/uploads/lavrov.jpg">
<p class="wp-caption-text">Photo: RIA</p></div>
<p>Russian Foreign Minister Sergei Lavrov said on Thursday that the talks went well.</p>
<p>Фото: Sergei Guneyev/RIA Novosti</p></div></div></article>
<div class="post-tag"><a href="/tag/syria/" rel="tag">Syria</a>
<a href="/tag/usa/" rel="tag">USA</a></div>
<section id="check-also-box"><h2 class="post-box-title"><a href="/other/">The UN's man</a></h2>
<div class="entry"><p>An excerpt&hellip;</p></div></section></body></html>"""

SNIPPETS = [
    b"<span itemprop=name>",
    b"<span itemprop=name>word ",
    b"</span>",
    b"<div>",
    b"</div>",
    b"<p>",
    b"</p>",
    b"<li><blockquote>",
    b'<a href="http://[bad/">',
    b'<a href="//[::1/x">x</a>',
    b'<a href="https://a]b/">',
    b'<img src="/a b.jpg">',
    b'<img src="http://[x.jpg">',
    b'<img data-src=" ftp://x/y.png ">',
    b'<link rel="canonical" href="https:// bad/">',
    b'<link rel="canonical" href="javascript:x">',
    b'<a href="/tag/x/" rel="tag"> </a>',
    b"\x00",
    b"\x01\x02\x0b\x0c\x1f",
    b"\x7f",
    b"\xff\xfe",
    b"\xc3",
    b"\xe2\x80",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",
    b"&#0;&#x1;&#xD800;&#x110000;&#9999999999;",
    b"\xe2\x80\x8f\xe2\x80\xae",
    b'<meta charset="utf-16">',
    b'<meta charset="x-user-defined">',
    b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">',
    b'<script type="application/ld+json">',
    b"</script>",
    b'{"@graph": [',
    b'{"@type": "NewsArticle", "headline": {"a": [1]}, "author": [[["x"]]]}',
    b"[[[[[[[[[[[[[[[[[[[[",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b"<svg><style>",
    b"<template>",
    b"<noscript>",
    b"<table><tr><td>",
    b'<div class="share-post">x</div>\x01 tail',
    b'<h1 class="entry-title">',
    b'<article id="the-post" class="post type-post">',
    b'<time datetime="9999-99-99T99:99">',
    b'<meta property="article:published_time" content="-1e400">',
    b"<span class='tie-date'>32/13/2016</span>",
    b"Photo: \xc2\xa9 ",
    b"\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0 ",
]


def _seed_pages() -> list[bytes]:
    pages = [SMALL_ARTICLE.encode()]
    pages += [p.read_bytes() for p in sorted(FIXTURES.rglob("*.html"))]
    return pages


SEED_PAGES = _seed_pages()


BIG_SHARE = 0.05
"""Share of the size draws that take a big size: the pages that find what is quadratic,
and the slowest to run (a campaign of 200,000 inputs must end in minutes)."""


def _size(rng: random.Random, small: list[int], big: list[int]) -> int:
    """Return a repeat count or depth: one of ``big`` now and then, else one of ``small``."""
    return rng.choice(big) if rng.random() < BIG_SHARE else rng.choice(small)


def _span(rng: random.Random, body: bytes, longest: int = 4000) -> tuple[int, int]:
    start = rng.randrange(len(body) + 1)
    return start, min(len(body), start + rng.randrange(1, longest))


def _insert_snippet(rng: random.Random, body: bytes) -> bytes:
    at = rng.randrange(len(body) + 1)
    snippet = rng.choice(SNIPPETS) * _size(rng, [1, 1, 1, 2, 10, 100], [1000, 3000])
    return body[:at] + snippet + body[at:]


def _delete(rng: random.Random, body: bytes) -> bytes:
    start, end = _span(rng, body)
    return body[:start] + body[end:]


def _repeat(rng: random.Random, body: bytes) -> bytes:
    start, end = _span(rng, body, 300)
    times = _size(rng, [2, 10, 100], [1000])
    return body[:start] + body[start:end] * times + body[end:]


def _flip(rng: random.Random, body: bytes) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randrange(1, 20)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _truncate(rng: random.Random, body: bytes) -> bytes:
    return body[: rng.randrange(len(body) + 1)]


def _splice(rng: random.Random, body: bytes) -> bytes:
    other = rng.choice(SEED_PAGES)
    start, end = _span(rng, other)
    at = rng.randrange(len(body) + 1)
    return body[:at] + other[start:end] + body[at:]


def _nest(rng: random.Random, body: bytes) -> bytes:
    at = rng.randrange(len(body) + 1)
    tag = rng.choice([b"span itemprop=name", b"div class=entry", b"a href=/x/", b"li", b"b"])
    depth = _size(rng, [10, 50, 300], [2000, 20000])
    name = tag.split()[0]
    return (
        body[:at]
        + b"<"
        + tag
        + b">w " * 0
        + (b"<" + tag + b">w ") * depth
        + (b"</" + name + b">") * depth
        + body[at:]
    )


def _attributes(rng: random.Random, body: bytes) -> bytes:
    at = body.find(b"<h1")
    at = at + 3 if at >= 0 else rng.randrange(len(body) + 1)
    count = _size(rng, [10, 500], [5000, 100_000])
    return body[:at] + b" " + b" ".join(b"a%d=v" % i for i in range(count)) + body[at:]


def _reencode(rng: random.Random, body: bytes) -> bytes:
    text = body.decode("utf-8", "replace")
    encoding = rng.choice(["cp1251", "koi8-r", "utf-16", "latin-1", "shift_jis"])
    return text.encode(encoding, "replace")


def _deep_json(rng: random.Random, body: bytes) -> bytes:
    depth = _size(rng, [100, 1000], [100_000])
    inner = rng.choice([b"[" * depth + b"]" * depth, b'{"@graph":' * depth + b"{}" + b"}" * depth])
    script = b'<script type="application/ld+json">' + inner + b"</script>"
    at = body.find(b"</head>")
    at = at if at >= 0 else 0
    return body[:at] + script + body[at:]


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    _insert_snippet,
    _insert_snippet,
    _insert_snippet,
    _delete,
    _repeat,
    _flip,
    _truncate,
    _splice,
    _nest,
    _attributes,
    _reencode,
    _deep_json,
]
MAX_INPUT_BYTES = 1024 * 1024
"""Inputs are at most 1 MB: the goal is that no page that size takes over a second."""


def mutated(seed: int) -> bytes:
    """Return the page of input number ``seed`` (the same page for the same seed)."""
    rng = random.Random(seed)
    # Mostly the small article: it has every field and extracts in a few ms.
    body = SEED_PAGES[0] if rng.random() < 0.9 else rng.choice(SEED_PAGES)
    for _ in range(rng.randrange(1, 5)):
        body = rng.choice(MUTATIONS)(rng, body)
    return body[:MAX_INPUT_BYTES]


def inputs(start: int, count: int) -> Iterator[tuple[int, bytes]]:
    """Yield ``(seed, body)`` for ``count`` inputs from seed ``start``."""
    for seed in range(start, start + count):
        yield seed, mutated(seed)


def check_twice_if_slow(seed: int, body: bytes, budget: float) -> Outcome:
    """Return :func:`check`'s outcome, or that of a second run when the first took over
    ``budget`` seconds of CPU: a first run also pays for what a process loads once
    (dateparser compiles a language's patterns the first time a date string calls for
    it). The second outcome keeps the first time in ``first_seconds``."""
    outcome = check(seed, body)
    if outcome.seconds <= budget:
        return outcome
    again = check(seed, body)
    again.first_seconds = outcome.seconds
    return again


def time_alone(seed: int, runs: int = 3) -> float:
    """Return the least CPU time of ``runs`` extractions of input ``seed``, for a process
    that runs nothing else (the least: other work only ever adds to a run's time)."""
    body = mutated(seed)
    return min(check(seed, body).seconds for _ in range(runs))


@dataclass
class Outcome:
    """What extraction did with one input."""

    seed: int
    seconds: float
    """CPU time of this thread (``time.thread_time``): what the page costs, which other
    processes on the machine change far less than the wall-clock time."""
    kind: str
    """"record", an ExtractionError's kind, or "uncaught:<exception type>"."""
    detail: str = ""
    schema_fields: tuple[str, ...] = ()
    """Fields whose value fails the schema (records only)."""
    empty_body_or_headline: bool = False
    first_seconds: float | None = None
    """The time of a first run that was over budget (see check_twice_if_slow)."""
    wall_seconds: float = 0.0
    """Wall-clock time of the same run."""


def check(seed: int, body: bytes) -> Outcome:
    """Extract ``body`` as a crawl does (no time budget, so the real time is seen; no
    catch-all, so an unexpected exception shows) and classify the result."""
    wall = time.perf_counter()
    started = time.thread_time()

    def timed(outcome: Outcome) -> Outcome:
        outcome.wall_seconds = time.perf_counter() - wall
        return outcome

    try:
        article = extract_article(URL, body, now=NOW)
        check_outcome(article, body, url=URL)
    except ExtractionError as exc:
        return timed(Outcome(seed, time.thread_time() - started, exc.kind, str(exc)[:200]))
    except Exception as exc:
        kind = f"uncaught:{type(exc).__name__}"
        return timed(Outcome(seed, time.thread_time() - started, kind, str(exc)[:200]))
    seconds = time.thread_time() - started
    record = to_dict(article)
    fields = tuple(sorted({e.field.split("/")[0] for e in record_errors(record)}))
    return timed(
        Outcome(
            seed,
            seconds,
            "record",
            schema_fields=fields,
            empty_body_or_headline=not record["body"] or not record["headline"],
        )
    )


@cache
def warm_up() -> None:
    """Load the language model, the date parser and the JSON-LD reader before timing."""
    check(-1, SEED_PAGES[0])
