"""Loaders: list fields come from the first selector that yields something, not from all."""

from __future__ import annotations

from newscrawl.extraction.loaders import ArticleLoader, TeaserLoader, load_record

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


def test_load_record_leaves_missing_fields_at_their_default() -> None:
    teaser = load_record(TeaserLoader, {"title": ["T"], "url": None, "excerpt": []}, base_url=URL)
    assert (teaser.title, teaser.url, teaser.excerpt) == ("T", None, None)
