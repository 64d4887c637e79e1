"""Fields are pure functions of the parsed page: any order of reading gives the same record."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import pytest
from lxml import etree

from newscrawl.devtools.fixtures import FixtureCase, find_cases
from newscrawl.extraction import ExtractionError, Page, extract_page, parse_page
from newscrawl.extraction.fields import READERS
from newscrawl.items import to_dict
from tests.conftest import FIXTURES

CASES = find_cases(FIXTURES)
ORDERS = 6
"""Shuffled orders tried per case (plus the reversed one)."""


def fresh_page(case: FixtureCase) -> Page:
    meta = case.spec()["meta"]
    headers = {"Content-Type": meta.get("content_type", "text/html")}
    now = datetime.fromisoformat(meta["now"])
    return parse_page(meta["url"], case.body(), headers, profile=case.site, now=now)


def record_or_error(page: Page) -> dict[str, Any] | str:
    try:
        return to_dict(extract_page(page))
    except ExtractionError as exc:
        return exc.kind


def orders(case: FixtureCase) -> list[list[str]]:
    names = list(READERS)
    shuffler = random.Random(case.id)
    shuffled = [shuffler.sample(names, len(names)) for _ in range(ORDERS)]
    return [names[::-1], *shuffled]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_readers_in_any_order_give_the_same_values_and_record(case: FixtureCase) -> None:
    baseline = {name: READERS[name](fresh_page(case)) for name in READERS}
    expected = record_or_error(fresh_page(case))
    for order in orders(case):
        page = fresh_page(case)
        got = {name: READERS[name](page) for name in order}
        for name in order:
            assert got[name] == baseline[name], f"{name} after {order[: order.index(name)]}"
        assert record_or_error(page) == expected, f"record after {order}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_extraction_leaves_the_tree_as_parsed(case: FixtureCase) -> None:
    page = fresh_page(case)
    before = etree.tostring(page.selector.root)
    record_or_error(page)
    assert etree.tostring(page.selector.root) == before


def test_check_also_inside_the_text_keeps_its_teaser() -> None:
    """The issue's example: Check Also moved inside .entry still gives its one teaser."""
    (case,) = find_cases(FIXTURES, ["jmn/check-also-inside-entry"])
    page = fresh_page(case)
    READERS["body_blocks"](page)
    assert [t.title for t in READERS["teasers"](page)] == ["The UN’s ‘unofficial man’"]
