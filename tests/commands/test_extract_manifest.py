"""``newscrawl extract --manifest``: its lines stay byte for byte what the plain composition
of reading, extracting, ``to_dict``, the schema check and ``dumps`` gives, and a saved
``.gz`` page is read as the ``gzip`` module reads it."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from newscrawl.cli import CommandError, dumps, parse_now
from newscrawl.commands.extract import gunzip_one_member, read_page
from newscrawl.extraction import ExtractionError, extract_article
from newscrawl.items import to_dict
from newscrawl.schema import record_errors
from tests.cli_support import newscrawl
from tests.conftest import ROOT

NOW = "2024-03-11T12:00:00+00:00"
LIMIT = 8 * 1024 * 1024


def reference_read(path: Path) -> bytes:
    """The page as the ``gzip`` module alone reads it (the command's reading before the
    one-member fast path), or CommandError."""
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise CommandError(f"{path}: cannot read: {exc}") from None


def reference_line(path: Path, given: str, url: str) -> str:
    """One output line composed step by step, as the command composed it."""
    try:
        record = to_dict(extract_article(url, reference_read(path), None, now=parse_now(NOW)))
        if errors := record_errors(record):
            problem = "; ".join(f"{e.field}: {e.message}" for e in errors)
            raise CommandError(f"the record fails the schema: {problem}")
        line: dict[str, Any] = {"path": given, "item": record}
    except (CommandError, ExtractionError) as exc:
        line = {"path": given, "error": str(exc)}
    return dumps(line) + "\n"


def odd_gzips(folder: Path) -> dict[str, bytes]:
    """Saved ``.gz`` pages that are not one clean gzip member, and what they hold."""
    page = (ROOT / "fixtures" / "jmn" / "seed-article.html").read_bytes()
    half = len(page) // 2
    whole = gzip.compress(page)
    flipped = bytearray(whole)
    flipped[len(flipped) // 2] ^= 0xFF
    files = {
        "two-members.html.gz": gzip.compress(page[:half]) + gzip.compress(page[half:]),
        "zero-padded.html.gz": whole + b"\0" * 16,
        "empty.html.gz": b"",
        "cut.html.gz": whole[: len(whole) // 2],
        "flipped.html.gz": bytes(flipped),
        "trailing-garbage.html.gz": whole + b"garbage",
        "not-gzip.html.gz": b"\x1f\x8bnot gzip at all",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def test_the_manifest_output_is_byte_identical(tmp_path: Path) -> None:
    entries: list[tuple[Path, str, str]] = []  # (page, path as given, url)
    for page in sorted((ROOT / "fixtures").glob("*/*.html")):
        meta = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))["meta"]
        packed = tmp_path / f"{page.parent.name}-{page.name}.gz"
        packed.write_bytes(gzip.compress(page.read_bytes()))
        entries += [(page, str(page), meta["url"]), (packed, packed.name, meta["url"])]
    for name in odd_gzips(tmp_path):
        entries.append((tmp_path / name, name, "https://jmn.info/2024/03/odd/"))
    entries.append((tmp_path / "missing.html", "missing.html", "https://jmn.info/m/"))
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        "".join(json.dumps({"path": given, "url": url}) + "\n" for _, given, url in entries),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = newscrawl("extract", "--manifest", str(manifest), "-o", str(out), "--now", NOW)
    assert result.returncode == 0, result.stderr
    expected = "".join(reference_line(page, given, url) for page, given, url in entries)
    assert out.read_bytes() == expected.encode("utf-8")
    assert '"item"' in expected
    assert "cannot read" in expected


def test_one_clean_member_is_read_at_once(tmp_path: Path) -> None:
    page = (ROOT / "fixtures" / "jmn" / "seed-article.html").read_bytes()
    assert gunzip_one_member(gzip.compress(page), LIMIT) == page
    assert gunzip_one_member(gzip.compress(page), len(page)) == page
    assert gunzip_one_member(gzip.compress(page), len(page) - 1) is None


def test_anything_else_is_left_to_the_gzip_module(tmp_path: Path) -> None:
    for name, data in odd_gzips(tmp_path).items():
        assert gunzip_one_member(data, LIMIT) is None, name
        path = tmp_path / name
        try:
            expected: bytes | str = reference_read(path)
        except CommandError as exc:
            expected = str(exc)
        try:
            got: bytes | str = read_page(path)
        except CommandError as exc:
            got = str(exc)
        assert got == expected, name


def test_a_gzip_larger_than_the_limit_on_disk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.html.gz"
    path.write_bytes(gzip.compress(bytes(range(256)) * 64, compresslevel=0))
    with pytest.raises(CommandError, match="decompresses to more than 1000 bytes"):
        read_page(path, max_size=1000)
