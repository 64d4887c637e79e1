"""Loaders: list fields come from the first selector that yields something, not from all."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest
from itemloaders import ItemLoader
from itemloaders.utils import arg_to_iter

from newscrawl.extraction.loaders import (
    ArticleLoader,
    BreadcrumbLoader,
    TeaserLoader,
    _as_list,
    load_record,
)
from newscrawl.items import Article

URL = "https://jmn.info/policy/a-story/"


def test_add_first_found_keeps_the_first_candidate_that_yields_values() -> None:
    loader = ArticleLoader(base_url=URL)
    found = loader.add_first_found("tags", iter([[], ["  ", None], ["Syria", "Russia"], ["Iran"]]))
    assert found is True
    assert loader.load_item().tags == ["Syria", "Russia"]


def test_add_first_found_reads_candidates_lazily() -> None:
    taken: list[int] = []

    def candidates():  # type: ignore[no-untyped-def]
        for number, values in enumerate([["Lavrov"], ["Kerry"]]):
            taken.append(number)
            yield values

    loader = ArticleLoader(base_url=URL)
    loader.add_first_found("authors", candidates())
    assert taken == [0]


def test_add_first_found_without_values() -> None:
    loader = ArticleLoader(base_url=URL)
    assert loader.add_first_found("authors", iter([[], [" "]])) is False
    assert loader.load_item().authors == []


def test_load_record_cleans_each_field() -> None:
    teaser = load_record(
        TeaserLoader,
        {"title": ["  The UN’s\n man "], "url": [" /the-uns-man/ "], "excerpt": ["A name. […]"]},
        base_url=URL,
    )
    assert teaser.title == "The UN’s man"
    assert teaser.url == "https://jmn.info/the-uns-man/"
    assert teaser.excerpt == "A name."


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\t", "\n\t\t"])
def test_a_newline_that_wraps_an_href_is_removed_not_made_a_space(newline: str) -> None:
    """Browsers remove ASCII tabs and newlines from a URL (WHATWG URL parsing); made a
    space by whitespace normalisation, it was percent-encoded into the URL as %20."""
    href = f"https://jmn.info/lavrov-said-what-{newline}putin-agreed/"
    expected = "https://jmn.info/lavrov-said-what-putin-agreed/"
    teaser = load_record(TeaserLoader, {"title": ["T"], "url": [href]}, base_url=URL)
    crumb = load_record(BreadcrumbLoader, {"name": ["Policy"], "url": [href]}, base_url=URL)
    loader = ArticleLoader(base_url=URL)
    loader.add_value("canonical_url", href)
    assert teaser.url == expected
    assert crumb.url == expected
    assert loader.load_item().canonical_url == expected


def test_load_record_leaves_missing_fields_at_their_default() -> None:
    teaser = load_record(TeaserLoader, {"title": ["T"], "url": None, "excerpt": []}, base_url=URL)
    assert (teaser.title, teaser.url, teaser.excerpt) == ("T", None, None)


class _Reference(ItemLoader):
    """itemloaders' own loader with ArticleLoader's processors: none of our shortcuts."""

    default_item_class = Article
    default_input_processor = ArticleLoader.default_input_processor
    default_output_processor = ArticleLoader.default_output_processor


for _name, _value in vars(ArticleLoader).items():
    if _name.endswith(("_in", "_out")):
        setattr(_Reference, _name, _value)


def _loaded(loader_class: type[ItemLoader], calls: list[tuple[Any, ...]]) -> Any:
    """The record, and the headline's output value, of ``calls`` to add_value; or the error."""
    try:
        loader = loader_class(base_url=URL)
        for field_name, value, *processors in calls:
            if processors and processors[0] == "re":
                loader.add_value(field_name, value, re=processors[1])
            else:
                loader.add_value(field_name, value, *processors)
        return asdict(loader.load_item()), loader.get_output_value("headline")
    except Exception as exc:  # the same kind of error (a KeyError's text may differ)
        return type(exc).__name__ if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"


ADD_VALUE_CASES = {
    "plain": [("headline", "  Lavrov  said "), ("url", URL), ("tags", ["Syria", " syria", "Iran"])],
    "repeated": [("headline", None), ("headline", ""), ("headline", ["", "B"]), ("tags", "x")],
    "lists": [("body", ["a", "b"]), ("body", ["c"]), ("authors", [None, "A", "a"])],
    "canonical": [("canonical_url", " /a-story/?p=2 "), ("canonical_url", "javascript:x")],
    "processors": [("headline", "lavrov", str.upper), ("tags", "a,b", lambda v: v.split(","))],
    "regex": [("headline", "Title: Lavrov", "re", r"Title: (.+)")],
    "several fields": [(None, {"headline": "H", "tags": ["t"]})],
    "unknown field": [("headline", "H"), ("no_such_field", "x")],
    "failing processor": [("headline", "H", lambda v: 1 / 0)],
}


@pytest.mark.parametrize("name", list(ADD_VALUE_CASES))
def test_profile_loader_loads_what_itemloaders_loads(name: str) -> None:
    """ProfileLoader's add_value, get_output_value and load_item (shortcuts for a plain
    value and a dataclass item) give what ItemLoader gives, errors included."""
    calls = ADD_VALUE_CASES[name]
    ours, theirs = _loaded(ArticleLoader, calls), _loaded(_Reference, calls)
    assert ours == theirs


@pytest.mark.parametrize(
    "value",
    [None, "", "a", ["a"], ("a",), {"a"}, frozenset("a"), {"a": 1}, b"a", 1, iter(["a"])],
    ids=lambda value: "iterator" if hasattr(value, "__next__") else repr(value),  # no address
)
def test_as_list_is_arg_to_iter(value: Any) -> None:
    """The loaders' shortcut for itemloaders' ``arg_to_iter`` gives what it gives."""
    assert _as_list(value) == arg_to_iter(value)
    assert type(_as_list(value)) is type(arg_to_iter(value))
