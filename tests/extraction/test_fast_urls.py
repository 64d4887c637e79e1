"""``absolute_url`` hands back a plain absolute URL without joining it; the result must be
what ``urljoin`` gives, for every link value of every fixture page and every page of
../shared/realpages (a sample in the fast suite, every page under ``-m slow``), against
bases of both schemes.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from lxml import etree

from newscrawl.extraction import processors
from newscrawl.extraction.processors import absolute_url
from tests.extraction.test_differential import (
    over_every_page,
    read_page,
)

_CONTROL = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
NOT_PAGES = {"javascript", "mailto", "data", "tel", "sms", "about"}


def joined(url: str | None, base: str) -> str | None:
    """What ``absolute_url`` gave before its shortcut: every value through ``urljoin``."""
    if url is None:
        return None
    cleaned = _CONTROL.sub("", url.strip())
    if not cleaned or cleaned.startswith("#"):
        return None
    scheme = _SCHEME.match(cleaned)
    if scheme and scheme.group(1).lower() in {
        "javascript",
        "mailto",
        "data",
        "tel",
        "sms",
        "about",
    }:
        return None
    try:
        return urljoin(base, cleaned)
    except ValueError:
        return None


EDGE_URLS = [
    "https://jmn.info/a/",
    "http://jmn.info/a/?p=2#top",
    "https://jmn.info/a?",
    "https://jmn.info/a#",
    "https://jmn.info/a?#x",
    "https://jmn.info/a;",
    "https://jmn.info/a;p?q",
    "https://jmn.info",
    "https://jmn.info?x",
    "https://jmn.info#x",
    "https://jmn.info//a//b",
    "https://jmn.info/a b",
    "https://jmn.info/a\u00a0b",
    "https://jmn.info/лавров/",
    "https://лавров.рф/",
    "https://[::1]/a",
    "https://[::1/a",
    "https://user:pw@jmn.info:8080/a",
    "HTTPS://jmn.info/a",
    "Https://jmn.info/a",
    "https:/jmn.info/a",
    "https:jmn.info/a",
    "https:///a",
    "https://jmn.info/a/../b/./c",
    "https://jmn.info\\a",
    "https://jmn.info/a\x01b",
    "ftp://jmn.info/a",
    "//jmn.info/a",
    "/a",
    "a?b",
]
BASES = ["https://jmn.info/policy/x/", "http://jmn.info/policy/", "https://[bad/"]


def differences(values: list[str]) -> list[str]:
    found = []
    for base in BASES:
        for value in values:
            ours, theirs = absolute_url(value, base), joined(value, base)
            if ours != theirs:
                found.append(f"{value!r} on {base}: {ours!r} != urljoin {theirs!r}")
    return found


def link_values(path: Path) -> list[str]:
    """Every href, src and content value of the page (the values links are read from)."""
    _url, body = read_page(path)
    root = etree.fromstring(body, etree.HTMLParser())
    if root is None:
        return []
    return [str(v) for v in root.xpath("//@href | //@src | //@content | //@data-src")]


def test_edge_cases_join_as_urljoin_joins() -> None:
    assert differences(EDGE_URLS) == []


def test_the_shortcut_is_taken_and_a_difference_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain URLs skip urljoin, and a shortcut taken too often is caught (an empty
    query that urljoin drops)."""
    calls: list[str] = []
    monkeypatch.setattr(processors, "urljoin", lambda b, u: calls.append(u) or urljoin(b, u))
    assert absolute_url("https://jmn.info/a/?p=2", BASES[0]) == "https://jmn.info/a/?p=2"
    assert absolute_url("/a", BASES[0]) == "https://jmn.info/a"
    assert calls == ["/a"]
    monkeypatch.setattr(processors, "_joins_to_itself", lambda url: url.startswith("http"))
    assert differences(EDGE_URLS) != []


test_fixture_page, test_real_page_sample, test_every_real_page = over_every_page(
    lambda page: differences(link_values(page))
)
