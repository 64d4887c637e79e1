"""The ``newscrawl`` command as a user runs it: a real subprocess."""

from __future__ import annotations

import gzip
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from newscrawl.profiles import portal_names
from tests.cli_support import newscrawl
from tests.conftest import FIXTURES, ROOT, attribute_flood

MINI = (
    '<html><head><meta charset="utf-8"></head><body>'
    '<article id="the-post" class="post-listing post type-post"><div class="post-inner">'
    '<h1 class="entry-title"><span itemprop="name">Headline</span></h1>'
    '<div class="entry"><p>Москва, text.</p></div></div></article></body></html>'
)


def test_extract_prints_record(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(MINI, encoding="utf-8")
    result = newscrawl("extract", "--url", "https://jmn.info/a/", str(page))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["site"] == "jmn"
    assert record["body"] == ["Москва, text."]
    assert "Москва" in result.stdout  # non-ASCII kept as is


def test_extract_profile_override(tmp_path: Path) -> None:
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(MINI.encode()))
    result = newscrawl(
        "extract", "--url", "https://other.example/a/", "--profile", "sahifa", str(page)
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["site"] == "sahifa"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.html", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d / "bad.html.gz", b"not gzip"), "cannot read"),
    ],
)
def test_extract_unreadable_file(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    result = newscrawl("extract", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


def test_extract_not_an_article_fails_cleanly(tmp_path: Path) -> None:
    page = _write(tmp_path / "p.html", b"<html><body><p>hello</p></body></html>")
    result = newscrawl("extract", "--url", "https://jmn.info/about/", str(page))
    assert result.returncode == 2
    assert "not an article" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_extract_without_url_uses_the_url_the_page_declares() -> None:
    result = newscrawl("extract", str(FIXTURES / "jmn" / "seed-article.html"))
    assert result.returncode == 0, result.stderr
    assert (
        json.loads(result.stdout)["url"]
        == "https://jmn.info/lavrov-said-what-putin-agreed-with-kerry/"
    )


def test_the_readme_record_is_what_its_command_prints() -> None:
    """README's "A record": its command, run as written, prints its record; the body there
    keeps the first and last of the paragraphs it counts, with "…" for the others."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## A record\n", 1)[1]
    command = " ".join(section.split("`", 2)[1].split())
    assert command.startswith("newscrawl extract ")
    shown = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    (count,) = re.findall(r"it has (\d+) paragraphs", section)
    result = newscrawl(*shlex.split(command)[1:])
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert len(record["body"]) == int(count)
    assert record == {**shown, "body": [shown["body"][0], *record["body"][1:-1], shown["body"][-1]]}
    assert shown["body"][1:-1] == ["…"]


def test_extract_record_failing_the_schema_exits_1_and_prints_nothing() -> None:
    page = FIXTURES / "jmn" / "truncated-before-body.html"
    result = newscrawl("extract", str(page))
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "the record fails the schema: body:" in line


def test_extract_unknown_profile(tmp_path: Path) -> None:
    page = _write(tmp_path / "p.html", MINI.encode())
    result = newscrawl("extract", "--profile", "nope", str(page))
    assert result.returncode == 2
    assert "unknown profile 'nope'" in result.stderr


def test_extract_manifest_keeps_input_order(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    _write(tmp_path / "pages" / "a.html", MINI.encode())
    _write(tmp_path / "pages" / "b.html.gz", gzip.compress(MINI.replace("Headline", "B").encode()))
    _write(tmp_path / "pages" / "c.html", b"<html><body>no article</body></html>")
    invalid = (FIXTURES / "jmn" / "truncated-before-body.html").read_bytes()
    _write(tmp_path / "pages" / "d.html", invalid)
    flood = attribute_flood()  # 1,001 attributes: past the parser's limit
    _write(tmp_path / "pages" / "e.html", f"<html><body><p {flood}>x</p></body></html>".encode())
    lines = [
        {"path": "pages/b.html.gz", "url": "https://jmn.info/b/"},
        {"path": "pages/missing.html", "url": "https://jmn.info/m/"},
        {"path": "pages/a.html", "url": "https://jmn.info/a/"},
        {"path": "pages/c.html", "url": "https://jmn.info/c/"},
        {"path": "pages/d.html", "url": "https://jmn.info/d/"},
        {"path": "pages/a.html"},
        {"path": "pages/e.html"},
    ]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = newscrawl("extract", "--manifest", str(manifest), "-o", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["path"] for r in rows] == [x["path"] for x in lines]
    assert rows[0]["item"]["headline"] == "B"
    assert "no such file" in rows[1]["error"]
    assert rows[2]["item"]["url"] == "https://jmn.info/a/"
    assert "not an article" in rows[3]["error"]
    assert "the record fails the schema: body:" in rows[4]["error"]
    assert "declares no URL" in rows[5]["error"]
    assert rows[6]["error"].endswith(
        "pages/e.html: an element has 1001 attributes (the limit is 1000) (too-large)"
    )
    assert "item" not in rows[4]
    (summary,) = result.stderr.splitlines()
    assert summary.startswith("7 pages, 5 failed, ")
    assert "ms/page" in summary
    strict = newscrawl("extract", "--manifest", str(manifest), "-o", str(out), "--strict")
    assert strict.returncode == 1
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    assert newscrawl("extract", "--manifest", str(good), "-o", str(out), "--strict").returncode == 0


def test_extract_manifest_paths_resolve_from_the_manifest_folder(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    _write(tmp_path / "m" / "a.html", MINI.encode())
    manifest = _write(
        tmp_path / "m" / "list.jsonl", b'{"path": "a.html", "url": "https://jmn.info/a/"}\n'
    )
    out = tmp_path / "out.jsonl"
    result = newscrawl("extract", "--manifest", str(manifest), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "item" in json.loads(out.read_text(encoding="utf-8"))


def test_a_manifest_line_gives_its_pages_crawl_time(tmp_path: Path) -> None:
    # Saved pages come with the time each was fetched (fundus's test pages, a WARC's
    # records): the line's own time is the record's, --now is for the lines without one.
    _write(tmp_path / "a.html", MINI.encode())
    lines = [
        {"path": "a.html", "url": "https://jmn.info/a/", "now": "2016-03-25T12:00:00+03:00"},
        {"path": "a.html", "url": "https://jmn.info/a/"},
    ]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    now = "2024-03-11T12:00:00+00:00"
    result = newscrawl("extract", "--manifest", str(manifest), "-o", str(out), "--now", now)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["item"]["crawled_at"] for r in rows] == ["2016-03-25T09:00:00+00:00", now]


def test_extract_help_documents_the_manifest() -> None:
    text = newscrawl("extract", "--help").stdout
    assert "resolved against the folder that holds M.jsonl" in text
    assert '{"path": <as given>, "error": <reason>}' in text


def test_extract_bad_manifest_line(tmp_path: Path) -> None:
    manifest = _write(tmp_path / "m.jsonl", b'{"path": "a.html"}\nnot json\n')
    result = newscrawl("extract", "--manifest", str(manifest), "-o", str(tmp_path / "o.jsonl"))
    assert result.returncode == 2
    assert "m.jsonl:2" in result.stderr


def test_validate(tmp_path: Path) -> None:
    (case,) = list(FIXTURES.glob("jmn/seed-article.json"))
    record = json.loads(case.read_text(encoding="utf-8"))["record"]
    record["fingerprint"] = "0" * 40
    good = json.dumps(record, ensure_ascii=False)
    bad = json.dumps({**record, "headline": None, "body": []}, ensure_ascii=False)
    path = _write(tmp_path / "x.jsonl", f"{good}\n{bad}\n{{oops\n".encode())
    result = newscrawl("validate", str(path))
    assert result.returncode == 1
    assert f"{path}:2: headline:" in result.stdout
    assert f"{path}:2: body:" in result.stdout
    assert f"{path}:3: not JSON" in result.stdout
    assert ":1:" not in result.stdout
    clean = _write(tmp_path / "ok.jsonl", f"{good}\n".encode())
    assert newscrawl("validate", str(clean)).returncode == 0


def test_validate_checks_a_record_of_an_earlier_version_against_its_own_schema(
    tmp_path: Path,
) -> None:
    (case,) = list(FIXTURES.glob("jmn/seed-article.json"))
    record = json.loads(case.read_text(encoding="utf-8"))["record"]
    older = {k: v for k, v in record.items() if k != "free_access"} | {"schema_version": "1.0"}
    older_with_new_key = {**older, "free_access": False}
    current_without_new_key = {k: v for k, v in record.items() if k != "free_access"}
    lines = [older, older_with_new_key, current_without_new_key, record]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines)
    path = _write(tmp_path / "x.jsonl", text.encode())
    result = newscrawl("validate", str(path))
    assert result.returncode == 1
    bad = sorted({line.split(": ")[0] for line in result.stdout.splitlines()})
    assert bad == [f"{path}:2", f"{path}:3"]  # 1.0 had no free_access; 1.1 requires it
    assert "free_access" in result.stdout


def test_validate_names_each_missing_field(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.jsonl", b'{"headline": "x"}\n')
    result = newscrawl("validate", str(path))
    assert result.returncode == 1
    assert f"{path}:1: url: 'url' is a required property" in result.stdout
    assert f"{path}:1: site: 'site' is a required property" in result.stdout
    for line in result.stdout.splitlines():
        field, message = line.split(": ", 2)[1:]
        assert message == f"{field!r} is a required property"


NOW_LINE = 'm.jsonl:1: not a {"path", "url", "now"} line: '
"""How a manifest line with a bad ``now`` is named: as a line of the three keys it may have."""


@pytest.mark.parametrize(
    ("manifest_bytes", "problem"),
    [
        (b'{"path": "a.html"}\n{"path": "a.html", "url": 7}\n', "m.jsonl:2: not a "),
        (b'{"path": ["a.html"]}\n', "m.jsonl:1: not a "),
        (b'{"path": "a.html"}\n\xff\xfe\n', "m.jsonl:2: not UTF-8"),
        (b'{"path": "a.html", "now": 1458896400}\n', NOW_LINE),
        (b'{"path": "a.html", "now": "25 March 2016"}\n', NOW_LINE),
        (b'{"path": "a.html", "now": "2016-03-25T09:00:00"}\n', NOW_LINE),
    ],
    ids=[
        "url-not-a-string",
        "path-not-a-string",
        "not-utf8",
        "now-not-a-string",
        "now-not-iso",
        "now-without-offset",
    ],
)
def test_extract_names_a_bad_manifest_line_and_writes_nothing(
    tmp_path: Path, manifest_bytes: bytes, problem: str
) -> None:
    (tmp_path / "a.html").write_text(MINI, encoding="utf-8")
    manifest = _write(tmp_path / "m.jsonl", manifest_bytes)
    out = tmp_path / "o.jsonl"
    result = newscrawl("extract", "--manifest", str(manifest), "-o", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"newscrawl: {tmp_path / problem}")
    assert not out.exists()


def test_extract_refuses_to_write_over_its_manifest(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(MINI, encoding="utf-8")
    text = b'{"path": "a.html", "url": "https://jmn.info/a/"}\n'
    manifest = _write(tmp_path / "m.jsonl", text)
    result = newscrawl("extract", "--manifest", str(manifest), "-o", "m.jsonl", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "newscrawl: -o m.jsonl is the manifest itself: give another output file"
    ]
    assert manifest.read_bytes() == text


def test_extract_output_without_a_manifest_is_a_usage_error(tmp_path: Path) -> None:
    page = _write(tmp_path / "a.html", MINI.encode())
    out = tmp_path / "x.jsonl"
    result = newscrawl("extract", "--url", "https://jmn.info/a/", "-o", str(out), str(page))
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("newscrawl: -o is for --manifest")
    assert not out.exists()


def _valid_record_line() -> str:
    """Return one record line that passes ``newscrawl validate``."""
    record = json.loads((FIXTURES / "jmn" / "seed-article.json").read_text(encoding="utf-8"))
    return json.dumps({**record["record"], "fingerprint": "0" * 40}, ensure_ascii=False)


def test_validate_names_a_line_that_is_not_utf8_and_checks_the_next_file(
    tmp_path: Path,
) -> None:
    good = _valid_record_line()
    latin1 = _write(tmp_path / "a.jsonl", f"{good}\n".encode() + b'{"headline": "caf\xe9"}\n')
    later = _write(tmp_path / "b.jsonl", f"{good}\n{{oops\n".encode())
    result = newscrawl("validate", str(latin1), str(later))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{latin1}:2: not UTF-8" in result.stdout
    assert f"{later}:2: not JSON" in result.stdout
    assert ":1:" not in result.stdout
    assert result.stderr.strip() == "4 lines, 2 bad"


def _cut_gzip(lines: bytes) -> bytes:
    """Return ``lines`` gzipped, with the second half of the gzip missing."""
    data = gzip.compress(lines, mtime=0)
    return data[: len(data) // 2]


def _corrupt_gzip(lines: bytes) -> bytes:
    """Return ``lines`` gzipped as two members, the second one's first deflate block of
    the reserved type 3, which zlib refuses (``invalid block type``)."""
    half = lines.index(b"\n", len(lines) // 2) + 1
    second = bytearray(gzip.compress(lines[half:], mtime=0))
    second[10] |= 0b110  # the 10-byte header, then BFINAL (bit 0) and BTYPE (bits 1-2)
    return gzip.compress(lines[:half], mtime=0) + bytes(second)


@pytest.mark.parametrize("damage", [_cut_gzip, _corrupt_gzip], ids=["truncated", "corrupt"])
def test_validate_names_where_a_gzip_stops_and_checks_the_next_file(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    good = json.loads(_valid_record_line())
    lines = "".join(
        json.dumps({**good, "headline": f"Headline {n}"}, ensure_ascii=False) + "\n"
        for n in range(200)
    )
    damaged = _write(tmp_path / "a.jsonl.gz", damage(lines.encode()))
    later = _write(tmp_path / "b.jsonl", f"{_valid_record_line()}\n{{oops\n".encode())
    result = newscrawl("validate", str(damaged), str(later))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    first, second = result.stdout.splitlines()
    name, number, reason = first.split(":", 2)
    assert name == str(damaged)
    assert int(number) > 1  # the lines before the damage were read
    assert reason.startswith(" cannot read the rest of the file: ")
    assert second.startswith(f"{later}:2: not JSON: ")
    assert result.stderr.strip().endswith(" 1 bad, 1 file not read to the end")


def test_validate_a_missing_file_is_a_usage_error_before_any_file_is_checked(
    tmp_path: Path,
) -> None:
    bad = _write(tmp_path / "a.jsonl", b"{oops\n")
    result = newscrawl("validate", str(bad), str(tmp_path / "missing.jsonl"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"newscrawl: {tmp_path / 'missing.jsonl'}: cannot read: No such file or directory"
    ]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_scrapy_list_shows_portals() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "scrapy"), "list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == sorted([*portal_names(), "portal"])


def test_crawl_unknown_site() -> None:
    result = newscrawl("crawl", "nope")
    assert result.returncode == 2
    assert "unknown profile 'nope'" in result.stderr


def test_schema_command_prints_the_shipped_schema() -> None:
    result = newscrawl("schema")
    assert result.returncode == 0, result.stderr
    shipped = (ROOT / "newscrawl" / "schema" / "article.schema.json").read_text(encoding="utf-8")
    assert json.loads(result.stdout) == json.loads(shipped)
