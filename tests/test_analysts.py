"""Every recipe of docs/analysts.md and docs/output.md, run as written on a real demo output.

The recipes are written for the project root right after ``make demo``: ``.venv/bin/...``
commands and the output root ``out/demo``. Each test runs them in a scratch folder that has
``out/demo`` (a fresh ``newscrawl demo -o out/demo``), ``.venv`` (this interpreter's
environment) and ``newscrawl`` (the package source, for ``newscrawl/analysis/articles.sql``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

DOCS = (ROOT / "docs" / "analysts.md", ROOT / "docs" / "output.md")
RECORDS, REJECTS = 15, 1
"""What ``make demo`` writes (docs/analysts.md says so)."""


def code_blocks(path: Path) -> list[tuple[str, str]]:
    """Return ``(language, text)`` of every fenced code block of a Markdown file."""
    blocks: list[tuple[str, str]] = []
    current: list[str] | None = None
    language = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```") and current is None:
            current, language = [], line[3:].strip()
        elif line.startswith("```"):
            assert current is not None
            blocks.append((language, "\n".join(current) + "\n"))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def recipes(language: str) -> list[pytest.param]:
    return [
        pytest.param(text, id=f"{path.stem}-{language}-{index}")
        for path in DOCS
        for index, (kind, text) in enumerate(code_blocks(path))
        if kind == language
    ]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch project root, as after ``make demo``."""
    root = tmp_path_factory.mktemp("project")
    venv = Path(sys.prefix)
    if not (venv / "bin" / "newscrawl").exists():
        pytest.skip(f"{venv} has no newscrawl script (install with make install)")
    (root / ".venv").symlink_to(venv)
    (root / "newscrawl").symlink_to(ROOT / "newscrawl")
    demo = subprocess.run(
        [sys.executable, "-m", "newscrawl.cli", "demo", "-o", str(root / "out" / "demo")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr[-3000:]
    return root


SEARCH_PATH = f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
"""Where a user with the project's venv activated finds commands (the DuckDB CLI of the
test extra is there)."""


def which(tool: str) -> str | None:
    """Return where ``tool`` is found on :data:`SEARCH_PATH`, or None."""
    return shutil.which(tool, path=SEARCH_PATH)


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a recipe's command as a user with the project's venv activated would."""
    env = {**os.environ, "PATH": SEARCH_PATH}
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120, env=env)


def expected_comments(code: str) -> list[str]:
    """Return what the ``print(...)  # expected`` lines of a recipe say they print."""
    return [m.group(1).strip() for m in re.finditer(r"^print\(.*\)  # (.+)$", code, re.M)]


def test_every_document_has_recipes() -> None:
    kinds = {kind for path in DOCS for kind, _ in code_blocks(path)}
    assert {"python", "sh", "sql"} <= kinds
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"out/[^ ]*\d{4}-\d{2}-\d{2}", text), f"{path}: a fixed date"


@pytest.mark.parametrize("code", recipes("python"))
def test_python_recipe(project: Path, code: str) -> None:
    done = run([str(project / ".venv" / "bin" / "python"), "-c", code], project)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    for expected in expected_comments(code):
        assert expected.split("  ")[0] in lines, (expected, done.stdout)


@pytest.mark.parametrize("script", recipes("sh"))
def test_shell_recipe(project: Path, script: str) -> None:
    ran = 0
    for line in script.splitlines():
        if not line.strip():
            continue
        tool = line.split()[0]
        needed = [t for t in ("duckdb", "jq") if re.search(rf"(^|\| ){t} ", line)]
        missing = [t for t in needed if which(t) is None]
        if missing:
            continue
        done = run(["bash", "-o", "pipefail", "-c", line], project)
        assert done.returncode == 0, (line, done.stderr[-3000:])
        if ">" not in line:
            assert done.stdout.strip() or done.stderr.strip(), line
        ran += 1
        assert tool
    if not ran:
        pytest.skip(f"needs a tool that is not installed: {script.strip()}")


def test_exports_of_the_recipes_are_typed(project: Path) -> None:
    for line in code_blocks(ROOT / "docs" / "analysts.md")[0][1].splitlines():
        assert run(["bash", "-c", line], project).returncode == 0, line
    types = dict(
        duckdb.sql(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
            f"'{project / 'articles.parquet'}')"
        ).fetchall()
    )
    assert types["duplicate_of"] == "VARCHAR"
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["breadcrumb"] == 'STRUCT("name" VARCHAR, url VARCHAR)[]'
    ((rows,),) = duckdb.sql(f"SELECT count(*) FROM '{project / 'articles.parquet'}'").fetchall()
    assert rows == RECORDS
    assert len((project / "latest.csv").read_text(encoding="utf-8").splitlines()) == 1 + RECORDS


@pytest.mark.parametrize("code", recipes("sql"))
def test_sql_recipe_on_the_shipped_views(
    project: Path, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    con = duckdb.connect()
    con.execute("SET VARIABLE newscrawl_out = 'out/demo'")
    con.execute((project / "newscrawl" / "analysis" / "articles.sql").read_text("utf-8"))
    statements = [s for s in code.split(";") if s.strip()]
    assert statements
    for statement in statements:
        assert con.sql(statement).fetchall(), statement
    ((latest,),) = con.sql("SELECT count(*) FROM articles_latest").fetchall()
    assert latest == RECORDS


def test_documented_dtypes(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import newscrawl

    monkeypatch.chdir(project)
    df = newscrawl.read_records("out/demo")
    blocks = [text for kind, text in code_blocks(DOCS[0]) if kind == ""]
    assert f"{df.dtypes}\n" in blocks


def test_sql_file_through_the_duckdb_cli(project: Path) -> None:
    if which("duckdb") is None:
        pytest.skip("the duckdb command line is not installed")
    done = run(
        [
            "duckdb",
            "-cmd",
            "SET VARIABLE newscrawl_out = 'out/demo'",
            "-c",
            ".read newscrawl/analysis/articles.sql",
            "-c",
            "SELECT count(*) FROM articles",
        ],
        project,
    )
    assert done.returncode == 0, done.stderr
    assert str(RECORDS) in done.stdout


def test_jq_reads_every_record(project: Path) -> None:
    if which("jq") is None:
        pytest.skip("jq is not installed")
    done = run(["bash", "-c", "zcat -f out/demo/*/*/*.jsonl* | jq -r .headline"], project)
    assert len(done.stdout.splitlines()) == RECORDS
    rejects = run(["bash", "-c", "zcat -f out/demo/*/*/rejects/*.jsonl* | jq -c .kind"], project)
    assert len(rejects.stdout.splitlines()) == REJECTS


def test_stats_of_the_demo(project: Path) -> None:
    import json

    done = run(
        [str(project / ".venv" / "bin" / "newscrawl"), "stats", "out/demo", "--json"], project
    )
    assert done.returncode == 0, done.stderr
    (day,) = json.loads(done.stdout)["days"]
    assert (day["site"], day["records"], day["rejects"]) == ("jmn", RECORDS, {"truncated": REJECTS})
    (report,) = day["runs"]
    assert report["status"] == "ok"
    assert report["started_at"] <= report["finished_at"]
    assert report["started_at"].startswith(day["day"])
