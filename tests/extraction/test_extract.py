"""Every fixture case, field by field: a failing field reads as ``site/case::field``."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from newscrawl.devtools.fixtures import FixtureCase, find_cases
from newscrawl.items import FIELD_NAMES
from newscrawl.schema import record_errors
from tests.conftest import FIXTURES, ROOT

CASES = find_cases(FIXTURES)
ARTICLE_CASES = [c for c in CASES if c.spec().get("record") is not None]
NEGATIVE_CASES = [c for c in CASES if c.spec().get("record") is None]


@cache
def current(case: FixtureCase) -> dict[str, Any]:
    return case.current()


def test_fixture_cases_exist() -> None:
    assert len(ARTICLE_CASES) >= 8
    assert NEGATIVE_CASES


@pytest.mark.parametrize(
    ("case", "field"),
    [(c, f) for c in ARTICLE_CASES for f in FIELD_NAMES],
    ids=[f"{c.id}::{f}" for c in ARTICLE_CASES for f in FIELD_NAMES],
)
def test_field(case: FixtureCase, field: str) -> None:
    expected = case.spec()["record"]
    got = current(case)["record"]
    assert got is not None, current(case).get("error")
    assert got[field] == expected[field]


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=[c.id for c in ARTICLE_CASES])
def test_no_extra_or_missing_fields(case: FixtureCase) -> None:
    assert list(case.spec()["record"]) == sorted(FIELD_NAMES)
    assert list(current(case)["record"]) == list(FIELD_NAMES)


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=[c.id for c in ARTICLE_CASES])
def test_expected_record_validity(case: FixtureCase) -> None:
    spec = case.spec()
    fields = sorted({e.field.split("/")[0] for e in record_errors(spec["record"])})
    assert fields == spec.get("invalid_fields", [])


@pytest.mark.parametrize("case", NEGATIVE_CASES, ids=[c.id for c in NEGATIVE_CASES])
def test_negative_case(case: FixtureCase) -> None:
    assert current(case)["record"] is None
    assert current(case)["error"] == case.spec()["error"]


def test_seed_article() -> None:
    """The issue's acceptance facts for the seed page, stated independently of its JSON."""
    (case,) = find_cases(FIXTURES, ["jmn/seed-article"])
    record = current(case)["record"]
    assert len(record["body"]) == 12
    assert record["body"][0].startswith("The Russian foreign Minister Sergei Lavrov")
    assert record["body"][-1].endswith("and President Vladimir Putin.")
    assert [c["name"] for c in record["breadcrumb"]] == [
        "Home",
        "Policy",
        "Lavrov said what Putin agreed with Kerry",
    ]
    assert record["breadcrumb"][-1]["url"] is None
    assert record["headline_alt"] == {
        "text": "Лавров рассказал, о чем договорились Путин с Керри",
        "lang": "ru",
    }
    assert record["photo_credit"] == "Sergei Guneyev/RIA Novosti"
    assert record["language"] == "en"
    assert record["teasers"][0]["title"] == "The UN’s ‘unofficial man’"
    assert record["teasers"][0]["excerpt"] == (
        "Raphael Lemkin, a stateless Jewish refugee who died penniless, "
        "gave mankind’s greatest crime its name."
    )


EXTRUCT_LOADED = """
import sys
from newscrawl.extraction import extract_article
for path in sys.argv[1:]:
    extract_article("https://jmn.info/a-story/", open(path, "rb").read())
    print("extruct" in sys.modules)
"""


def test_extruct_loads_only_for_pages_with_jsonld_json_rejects(tmp_path: Path) -> None:
    """extruct (about 15 MB of imports) stays out of a process until a page has JSON-LD
    that ``json`` does not read (extruct's fallback: a leading comment taken off)."""
    without, with_jsonld = (
        FIXTURES / "jmn" / f"{n}.html" for n in ("visible-date-only", "seed-article")
    )
    assert "ld+json" not in without.read_text(encoding="utf-8")
    source = with_jsonld.read_text(encoding="utf-8")
    opening = "<script type='application/ld+json'>"
    assert opening in source
    commented = tmp_path / "commented.html"
    commented.write_text(source.replace(opening, opening + "<!-- a comment -->\n", 1))
    result = subprocess.run(
        [sys.executable, "-c", EXTRUCT_LOADED, str(without), str(with_jsonld), str(commented)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["False", "False", "True"]
