"""What one page may cost: its size, its elements, and the time extraction may spend on it.

Size limits are checked before and right after parsing (:func:`check_source`,
:func:`check_tree`); each gives :class:`~newscrawl.extraction.errors.TooLarge`.

The time budget is a deadline, not a timer. :func:`time_budget` sets it for the code
it wraps, and extraction calls :func:`check_time` at safe points: before each selector
runs, every few hundred nodes read, between the stages of a page. Past the deadline the
next check raises :class:`~newscrawl.extraction.errors.TooSlow`, and the page becomes a
reject. Why a deadline checked in Python and not a signal or a thread:

- It works the same in the crawl's own thread (extraction runs there by default) and in
  a worker process, and on any thread: ``SIGALRM`` only reaches the main thread.
- It raises only where extraction is ready for it. An exception thrown in at any
  bytecode (a signal handler's) could land inside a cache being filled, a logging lock,
  or dateparser's state, and break the next page.
- It cannot stop a call into C (lxml's parser, an XPath, a regex) that is already
  running. That is what the size limits are for: they keep every such call linear in a
  page of bounded size, so the deadline is checked again soon. The worker's crawl-side
  guard (``newscrawl.workers``) covers the rest for pages extracted in workers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from lxml import etree

from newscrawl.extraction.errors import TooLarge, TooSlow

MAX_PAGE_BYTES = 8 * 1024 * 1024
"""The largest page extraction reads (the crawl's ``DOWNLOAD_MAXSIZE`` default)."""
MAX_ELEMENTS = 200_000
"""The most elements a parsed page may have (a 1 MB news page has about 15,000)."""
MAX_ATTRIBUTES = 1_000
"""The most attributes one element may have. libxml2 checks each attribute of an element
against all earlier ones, so parsing takes time in the square of this number (20,000
attributes on one element: over a second)."""
DEFAULT_TIMEOUT = 5.0
"""Seconds of CPU extraction may spend on one page in the crawl (``NEWSCRAWL_EXTRACT_TIMEOUT``)."""

_DEADLINE: ContextVar[float | None] = ContextVar("newscrawl_extract_deadline", default=None)


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Let the code inside spend at most ``seconds`` of this thread's CPU time (None or 0: no
    limit) on extraction.

    CPU time, not wall-clock time: what a page costs does not depend on how busy the
    machine is, so a page is not rejected as too slow because other work shared the CPU
    (extraction reads no files and waits on nothing). An enclosing budget that ends sooner
    still applies.
    """
    if not seconds or seconds <= 0:
        yield
        return
    deadline = time.thread_time() + seconds
    current = _DEADLINE.get()
    token = _DEADLINE.set(deadline if current is None else min(current, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_time(url: str | None = None) -> None:
    """Raise TooSlow when the current time budget is spent; do nothing without one."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.thread_time() > deadline:
        raise TooSlow("extraction ran past its time budget", url=url)


# Attributes as an HTML tokenizer reads them: a name runs to a space, "/", ">" or "=" (a
# stray quote is part of a name, it opens nothing); only a value after "=" is quoted.
# Possessive quantifiers: no backtracking, so the scan is linear even in a tag that never ends.
_ATTRIBUTE_PATTERN = r"""[^\s/>][^\s/>=]*+(?:\s*+=\s*+(?:"[^"]*+"?|'[^']*+'?|[^\s>]*+))?+"""
_ATTRIBUTE = re.compile(_ATTRIBUTE_PATTERN)
_START_TAG = re.compile(
    r"<(?P<name>[A-Za-z][^\s/>]*+)(?P<attributes>(?:[\s/]++|" + _ATTRIBUTE_PATTERN + r")*+)"
)
_RAW_TEXT = frozenset({"script", "style"})
"""Elements whose content libxml2's HTML parser (lxml's) reads as text up to their end tag."""
_CHARS_PER_ATTRIBUTE = 2
"""The fewest characters an attribute takes in a tag (a name and a separator)."""


def _either_case(word: str) -> str:
    """Return a pattern matching ``word`` (ASCII letters) in any case, as ``str.lower`` sees it."""
    return "".join(f"[{c}{c.upper()}]" for c in word)


def _skim_pattern(limit: int = MAX_ATTRIBUTES) -> re.Pattern[str]:
    """Return :func:`_scan_tags`'s reading of a page as one pattern, for one pass of the regex
    engine.

    It reads the text as the scan does (tag by tag from the start, the text of scripts and
    styles up to their end tag skipped) but lets no tag have more than ``limit``
    attributes: matched from the start, it stops at the first tag the scan could refuse.
    Every repetition is possessive and each attribute atomic, so it never backtracks: one
    linear pass in C instead of a Python step per tag.
    """
    attributes = (
        r"(?:[\s/]*+(?>" + _ATTRIBUTE_PATTERN + r")){0," + str(limit) + r"}+[\s/]*+(?![^\s/>])"
    )
    raw_texts = "|".join(
        f"{_either_case(name)}(?![^\\s/>]){attributes}(?:[^<]++|<(?!/{_either_case(name)}))*+"
        for name in sorted(_RAW_TEXT)
    )
    # A tag, or a "<" that opens none, is read with the text after it: each step of the loop
    # starts at a "<" and reads up to the next one (or the end of a script or style).
    text = r"[^<]*+"
    tag = r"[A-Za-z][^\s/>]*+" + attributes + text
    plain_tag = r"[A-Za-z][^\s/>]*+" + _plain_attributes(limit) + text
    steps = (r"(?![A-Za-z])" + text, raw_texts, plain_tag, tag)
    return re.compile(text + r"(?:<(?:" + "|".join(steps) + r"))*+")


def _plain_attributes(limit: int) -> str:
    """Return the pattern of the attributes of a plain tag and its ``>``: at most ``limit``
    attributes, each written ``name="value"`` after one or more separators, and nothing else
    up to the ``>``.

    Most tags are plain, and this reads them in fewer steps of the regex engine than
    :func:`_skim_pattern`'s general reading of attributes. Where it matches, the general
    reading matches the same text (the same names, values and separators, as many
    attributes, up to the same ``>``); where it does not (another form of attribute, more
    than ``limit`` of them), the general reading is tried on the tag, so the skim reads every
    text as it would without it (``tests/extraction/test_limits_plain_tags.py`` compares
    the two).
    """
    plain = r'[\s/]++[^\s/>][^\s/>=]*+="[^"]*+"'
    return r"(?:" + plain + r"){0," + str(limit) + r"}+[\s/]*+>"


_SKIM = _skim_pattern()
_CASE_CHANGES_LENGTH = "\u0130"
"""The one character whose ``str.lower`` is longer than itself (İ): where it occurs, the
scan's lowered copy of the text is not aligned with the text, and only the scan reads it
as it does."""


def _skims_clean(text: str, skim: re.Pattern[str] = _SKIM) -> bool:
    """Tell whether ``skim`` (:func:`_skim_pattern`) reads all of ``text``: then no tag of
    it has more attributes than the limit ``skim`` was made with."""
    if _CASE_CHANGES_LENGTH in text:
        return False
    match = skim.match(text)
    return match is not None and match.end() == len(text)


def check_source(text: str, url: str | None = None) -> None:
    """Raise TooLarge when an element of the decoded page ``text`` has too many attributes.

    Tags are read as an HTML parser reads them: the text of ``<script>`` and ``<style>`` is not
    markup (``i<n.length`` in a script is no tag). Only
    tags long enough to hold that many attributes are counted; a page too short to hold one
    is not scanned at all, and a page whose one-pass read (:func:`_skim_pattern`) finds no
    tag that could hold that many is not scanned tag by tag.
    """
    if len(text) < MAX_ATTRIBUTES * _CHARS_PER_ATTRIBUTE:
        return
    if _skims_clean(text):
        return  # no tag can have that many attributes (the common case, read in C)
    _scan_tags(text, url)


def _scan_tags(text: str, url: str | None = None, limit: int = MAX_ATTRIBUTES) -> None:
    """Raise TooLarge when a start tag of ``text`` has more than ``limit`` attributes, read
    tag by tag (what :func:`check_source` promises, without its shortcuts)."""
    shortest = limit * _CHARS_PER_ATTRIBUTE
    lowered: str | None = None
    position = 0
    while tag := _START_TAG.search(text, position):
        position = tag.end()
        if tag.end() - tag.start() >= shortest:
            start, end = tag.span("attributes")
            count = sum(1 for _ in _ATTRIBUTE.finditer(text, start, end))
            if count > limit:
                raise TooLarge(f"an element has {count} attributes (the limit is {limit})", url=url)
        name = tag.group("name").lower()
        if name in _RAW_TEXT:
            lowered = text.lower() if lowered is None else lowered
            close = lowered.find(f"</{name}", position)
            position = len(text) if close < 0 else close


_COUNT_ELEMENTS = etree.XPath("count(//*)")
IMPLIED_ELEMENTS = 3
"""Elements libxml2's HTML parser adds once to those a page's markup makes: html, head, body."""


def check_tree(root: etree._Element, url: str | None = None, chars: int | None = None) -> None:
    """Raise TooLarge when the parsed page under ``root`` has more than MAX_ELEMENTS elements.

    ``chars``, when given, is the length of the text that was parsed. libxml2's HTML parser
    makes an element of each start tag (a ``<`` and a letter at least) and of nothing else
    but html, head and body (once each) and a ``p`` around a run of text where text may not
    stand (a character at least): a text of ``chars`` characters has at most
    ``chars + IMPLIED_ELEMENTS`` elements, and one too short to reach the limit is not
    counted (``tests/extraction/test_limits_tree.py`` holds libxml2 to this).
    """
    if chars is not None and chars + IMPLIED_ELEMENTS <= MAX_ELEMENTS:
        return
    count = int(_COUNT_ELEMENTS(root))
    if count > MAX_ELEMENTS:
        raise TooLarge(f"the page has {count} elements (the limit is {MAX_ELEMENTS})", url=url)
