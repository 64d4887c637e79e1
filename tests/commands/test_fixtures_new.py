"""``newscrawl fixtures new``: a saved page becomes a case with its current extraction."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newscrawl.cli import main
from tests.conftest import FIXTURES

JMN = FIXTURES / "jmn"
SEED_URL = "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
NOW = "2016-03-25T09:00:00+00:00"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``newscrawl fixtures new ARGS``; return the exit code, stdout and stderr."""
    code = main(["fixtures", "new", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def new_seed(
    capsys: pytest.CaptureFixture[str],
    root: Path,
    *extra: str,
    page: Path = JMN / "seed-article.html",
) -> tuple[int, str, str]:
    """Make ``jmn/seed`` under ``root`` from ``page``."""
    args = ["jmn", "seed", str(page), "--url", SEED_URL, "--now", NOW, "--fixtures", str(root)]
    return run(capsys, *args, *extra)


@pytest.mark.parametrize(
    "case",
    [
        "seed-article",
        "not-an-article",  # a negative case: record null and the error kind
        "truncated-before-body",  # a record that fails the schema: invalid_fields
        "charset-windows-1251-meta-only",  # bytes kept as served
    ],
)
def test_new_case_is_what_the_reviewed_case_holds(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Made from a page of a reviewed case, with its url and now, the files are the case's."""
    reviewed = JMN / f"{case}.json"
    meta = json.loads(reviewed.read_text(encoding="utf-8"))["meta"]
    page = JMN / f"{case}.html"
    args = [str(page), "--url", meta["url"], "--now", meta["now"], "--fixtures", str(tmp_path)]
    code, out, err = run(capsys, "jmn", case, *args)
    assert (code, err) == (0, "")
    assert (tmp_path / "jmn" / f"{case}.html").read_bytes() == page.read_bytes()
    assert (tmp_path / "jmn" / f"{case}.json").read_text(encoding="utf-8") == reviewed.read_text(
        encoding="utf-8"
    )
    assert f"wrote {tmp_path / 'jmn' / case}.json" in out
    assert "Check every field" in out


def test_gzipped_page_is_saved_decompressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gz = tmp_path / "seed.html.gz"
    gz.write_bytes(gzip.compress((JMN / "seed-article.html").read_bytes()))
    code, _, err = new_seed(capsys, tmp_path / "fx", page=gz)
    assert (code, err) == (0, "")
    html = tmp_path / "fx" / "jmn" / "seed.html"
    assert html.read_bytes() == (JMN / "seed-article.html").read_bytes()


def test_now_defaults_to_this_second(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    args = [str(JMN / "seed-article.html"), "--url", SEED_URL, "--fixtures", str(tmp_path)]
    assert run(capsys, "jmn", "seed", *args)[0] == 0
    spec = json.loads((tmp_path / "jmn" / "seed.json").read_text(encoding="utf-8"))
    now = datetime.fromisoformat(spec["meta"]["now"])
    assert before <= now <= datetime.now(UTC)
    assert spec["record"]["crawled_at"] == spec["meta"]["now"]


def test_existing_case_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert new_seed(capsys, tmp_path)[0] == 0
    json_path = tmp_path / "jmn" / "seed.json"
    json_path.write_text("reviewed\n", encoding="utf-8")
    code, out, err = new_seed(capsys, tmp_path)
    assert (code, out) == (2, "")
    existing = tmp_path / "jmn" / "seed.html"
    assert err == f"newscrawl: {existing} already exists (--force replaces the case)\n"
    assert json_path.read_text(encoding="utf-8") == "reviewed\n"
    assert new_seed(capsys, tmp_path, "--force")[0] == 0
    assert json_path.read_text(encoding="utf-8") != "reviewed\n"


def test_existing_json_alone_counts_as_existing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "jmn").mkdir()
    (tmp_path / "jmn" / "seed.json").write_text("{}\n", encoding="utf-8")
    code, _, err = new_seed(capsys, tmp_path)
    assert code == 2
    assert "seed.json already exists" in err
    assert not (tmp_path / "jmn" / "seed.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch", "seed"], "unknown site 'nosuch' (fixture sites: "),
        (["sahifa", "seed"], "'sahifa' is a theme profile, not a portal"),
        (["jmn", "Seed Article"], "case name 'Seed Article': use lower-case words"),
        (["jmn", "../seed"], "case name '../seed'"),
        (["jmn", "seed", "--url", "https://example.com/x/"], "is not on jmn's domains (jmn.info)"),
        (["jmn", "seed", "--url", "jmn.info/x/"], "'jmn.info/x/' is not an http(s) URL"),
        (["jmn", "seed", "--now", "yesterday"], "--now 'yesterday' is not an ISO 8601"),
        (["jmn", "seed", "--now", "2016-03-25T09:00:00"], "needs a UTC offset"),
    ],
)
def test_bad_arguments(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The options under test come last, so they win over the defaults.
    defaults = ["--url", SEED_URL, "--fixtures", str(tmp_path / "fx")]
    code, out, err = run(capsys, *args[:2], str(JMN / "seed-article.html"), *defaults, *args[2:])
    assert code == 2
    assert err.count("\n") == 1
    assert message in err
    assert out == ""
    assert not (tmp_path / "fx").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.html", "missing.html: no such file"),
        ("folder", "folder: is a directory"),
        ("empty.html", "the page is empty"),
        ("broken.html.gz", "broken.html.gz: cannot read"),
    ],
)
def test_unusable_page(
    name: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "empty.html").write_bytes(b" \n")
    (tmp_path / "broken.html.gz").write_bytes(b"not gzip")
    code, out, err = new_seed(capsys, tmp_path / "fx", page=tmp_path / name)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "fx").exists()


def test_generic_site_takes_any_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = FIXTURES / "generic" / "generic-body-from-trafilatura.html"
    shutil.copy(page, tmp_path / "page.html")
    args = [str(tmp_path / "page.html"), "--url", "https://news.example.org/a/", "--now", NOW]
    code, _, err = run(capsys, "generic", "story", *args, "--fixtures", str(tmp_path / "fx"))
    assert (code, err) == (0, "")
    assert (tmp_path / "fx" / "generic" / "story.json").is_file()


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ('{"meta": ', "not a readable case JSON"),
        ("[]", "no meta.url"),
        ('{"meta": {"now": "2016-03-25T09:00:00+00:00"}}', "no meta.url"),
        ('{"meta": {"url": "https://jmn.info/a/"}}', "meta.now is not an ISO 8601 time"),
        ('{"meta": {"url": "https://jmn.info/a/", "now": "2016-03-25T09:00"}}', "UTC offset"),
    ],
    ids=["cut-json", "not-an-object", "no-url", "no-now", "naive-now"],
)
def test_rerun_names_a_broken_case_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, written: str, problem: str
) -> None:
    root = tmp_path / "fixtures"
    assert new_seed(capsys, root)[0] == 0
    seed_json = root / "jmn" / "seed.json"
    before = seed_json.read_bytes()
    spec = json.loads(before)
    spec["record"]["headline"] = "not what extraction makes of it"
    seed_json.write_text(json.dumps(spec), encoding="utf-8")
    shutil.copy(JMN / "seed-article.html", root / "jmn" / "zz-broken.html")
    (root / "jmn" / "zz-broken.json").write_text(written, encoding="utf-8")
    code = main(["fixtures", "rerun", "--write", "--fixtures", str(root)])
    captured = capsys.readouterr()
    assert code == 2
    (line,) = captured.err.splitlines()
    assert "zz-broken.json" in line
    assert problem in line
    assert "Traceback" not in captured.err
    # The good case before it was not rewritten either: nothing is written when one is broken.
    assert json.loads(seed_json.read_bytes())["record"]["headline"] == spec["record"]["headline"]


def test_rerun_refuses_a_name_that_matches_no_case_beside_one_that_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A removed (or misspelt) case among the names was skipped in silence, exit 0: a
    # script could not tell that one of its cases was not written.
    root = tmp_path / "fixtures"
    assert new_seed(capsys, root)[0] == 0
    before = (root / "jmn" / "seed.json").read_bytes()
    code = main(["fixtures", "rerun", "--write", "--fixtures", str(root), "jmn/seed", "jmn/gone"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.splitlines() == ["newscrawl: no fixture case matches jmn/gone"]
    assert (root / "jmn" / "seed.json").read_bytes() == before


@pytest.mark.parametrize("profile", ["nosuch", "jmn"])
def test_rerun_of_a_site_whose_profile_does_not_load_is_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    profile: str,
) -> None:
    # A typo in the profile being maintained (or a folder named after no profile) made
    # rerun end in a ProfileError traceback.
    root = tmp_path / "fixtures"
    assert new_seed(capsys, root)[0] == 0
    if profile == "nosuch":
        (root / "jmn").rename(root / "nosuch")
    else:
        mine = tmp_path / "profiles"
        mine.mkdir()
        text = (FIXTURES.parent / "newscrawl" / "profiles" / "jmn.toml").read_text()
        (mine / "jmn.toml").write_text(text.replace("timezone =", "timezon ="))
        monkeypatch.setenv("NEWSCRAWL_PROFILES_DIR", str(mine))
    code = main(["fixtures", "rerun", "--fixtures", str(root)])
    captured = capsys.readouterr()
    assert code == 2
    (line,) = captured.err.splitlines()
    assert line.startswith(f"newscrawl: {profile}/seed: ")
    assert ("unknown profile 'nosuch'" if profile == "nosuch" else "timezon: unknown key") in line


@pytest.mark.parametrize("half", ["page-without-json", "json-without-page"])
def test_half_a_case_is_named_not_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, half: str
) -> None:
    # A page added by hand without its JSON, or a JSON whose page was removed, was
    # skipped in silence by rerun and by the tests that read every case.
    root = tmp_path / "fixtures"
    assert new_seed(capsys, root)[0] == 0
    if half == "page-without-json":
        shutil.copy(JMN / "seed-article.html", root / "jmn" / "by-hand.html")
        named, problem = root / "jmn" / "by-hand.html", "a fixture page without its case"
    else:
        shutil.copy(root / "jmn" / "seed.json", root / "jmn" / "removed.json")
        named, problem = root / "jmn" / "removed.json", "a case without its page removed.html"
    code = main(["fixtures", "rerun", "--fixtures", str(root)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    (line,) = captured.err.splitlines()
    assert line.startswith(f"newscrawl: {named}: {problem}")
