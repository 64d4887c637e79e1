"""bench/title_sources.py: which source gives the true title, on a made-up fundus set."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.bench_support import load_bench

title_sources = load_bench("title_sources")

PAGE = """<html><head><title>{title} | Daily Example</title>
<meta property="og:title" content="{og}"><meta property="og:site_name" content="Daily Example">
</head><body><h1>{h1}</h1><p>Some text of the article.</p></body></html>"""


def write_set(root: Path, pages: list[tuple[str, dict[str, str]]]) -> None:
    """Write ``pages`` (true title, texts of the page) as ``root/fundus``."""
    folder = root / "fundus" / "pages"
    folder.mkdir(parents=True)
    rows = []
    for n, (truth, texts) in enumerate(pages):
        path = folder / f"p{n}.html.gz"
        path.write_bytes(gzip.compress(PAGE.format(**texts).encode()))
        row = {"url": f"https://daily.example/a/{n}", "path": f"fundus/pages/p{n}.html.gz"}
        rows.append(json.dumps(row | {"title": truth}))
    (root / "fundus" / "truth.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_counts_each_source_and_the_ceiling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_set(
        tmp_path,
        [
            # the truth is the og:title, not the h1
            (
                "Short title",
                {"title": "Long title here", "og": "Short title", "h1": "Long title here"},
            ),
            # the truth is the h1, not the og:title
            ("Storm hits", {"title": "Storm hits", "og": "A storm", "h1": "Storm hits"}),
            # the truth is no source at all
            ("Nowhere", {"title": "Else", "og": "Else", "h1": "Else"}),
        ],
    )
    assert title_sources.main(["--realpages", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "h1       equals the true title on   1/3" in out
    assert "og       equals the true title on   1/3" in out
    assert "og:title right and <h1> wrong: 1 pages; <h1> right and og:title wrong: 1 pages" in out
    assert "best fixed order of sources: 1/3" in out
    assert "the true title is one of the candidates: 2/3" in out


def test_no_set_is_a_usage_error(tmp_path: Path) -> None:
    assert title_sources.main(["--realpages", str(tmp_path)]) == 2


def test_counts_whether_the_truth_is_the_core_or_the_decorated_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_set(
        tmp_path,
        [
            # the h1 has a kicker; the truth is the og:title without it
            (
                "Storm hits the coast",
                {
                    "title": "Else",
                    "og": "Storm hits the coast",
                    "h1": "Weather: Storm hits the coast",
                },
            ),
            # the truth keeps the kicker
            (
                "Weather: Rain hits the town",
                {"title": "Else", "og": "Rain hits the town", "h1": "Weather: Rain hits the town"},
            ),
        ],
    )
    assert title_sources.main(["--realpages", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "the truth is the core on 1 pages, the decorated text on 1" in out


def test_a_half_reads_half_the_pages_and_the_halves_split_the_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = {"title": "A b c", "og": "A b c", "h1": "A b c"}
    write_set(tmp_path, [("A b c", texts)] * 5)
    assert title_sources.main(["--realpages", str(tmp_path), "--half", "design"]) == 0
    assert "fundus (design half, seed 13): 2 pages" in capsys.readouterr().out
    assert title_sources.main(["--realpages", str(tmp_path), "--half", "holdout"]) == 0
    assert "fundus (holdout half, seed 13): 3 pages" in capsys.readouterr().out
    split = title_sources.halves([f"p{n}" for n in range(9)], 13)
    assert split["design"] | split["holdout"] == {f"p{n}" for n in range(9)}
    assert not split["design"] & split["holdout"]
