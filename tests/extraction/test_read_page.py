"""``newscrawl extract`` reads saved pages within the crawl's size limit (issue 11)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawl.cli import CommandError
from newscrawl.commands.extract import read_page


def test_a_gzip_page_is_read(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress(b"<html>page</html>"))
    assert read_page(path) == b"<html>page</html>"


def test_a_gzip_bomb_stops_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"a" * 5_000_000))
    assert path.stat().st_size < 20_000
    with pytest.raises(CommandError, match="more than 1000000 bytes"):
        read_page(path, max_size=1_000_000)


def test_a_plain_page_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    path.write_bytes(b"a" * 2000)
    with pytest.raises(CommandError, match="larger than 1000 bytes"):
        read_page(path, max_size=1000)


def test_the_default_limit_is_download_maxsize(tmp_path: Path) -> None:
    from newscrawl import settings

    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"a" * (settings.DOWNLOAD_MAXSIZE + 1)))
    with pytest.raises(CommandError, match=str(settings.DOWNLOAD_MAXSIZE)):
        read_page(path)


def corrupt_gzip(tmp_path: Path) -> list[Path]:
    whole = gzip.compress(b"<html><body><p>text</p></body></html>" * 200)
    middle = bytearray(whole)
    middle[len(middle) // 2] ^= 0xFF
    paths = {
        "cut.html.gz": whole[: len(whole) // 2],
        "flipped.html.gz": bytes(middle),
        "header-only.html.gz": whole[:10],
        "not-gzip.html.gz": b"\x1f\x8bnot gzip at all",
    }
    for name, data in paths.items():
        (tmp_path / name).write_bytes(data)
    return [tmp_path / name for name in paths]


def test_a_corrupt_gzip_is_a_command_error(tmp_path: Path) -> None:
    for path in corrupt_gzip(tmp_path):
        with pytest.raises(CommandError, match="cannot read"):
            read_page(path)


def test_a_corrupt_gzip_gives_one_line_and_exit_2(tmp_path: Path) -> None:
    (path, *_) = corrupt_gzip(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl.cli", "extract", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot read" in result.stderr
