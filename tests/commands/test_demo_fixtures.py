"""``newscrawl demo --fixtures DIR`` crawls the portal the folder is named after."""

from __future__ import annotations

from pathlib import Path

import pytest

from newscrawl.cli import main
from newscrawl.commands.demo import demo_site
from tests.conftest import FIXTURES


def test_folder_name_is_the_site() -> None:
    assert demo_site(FIXTURES / "jmn") == "jmn"
    assert demo_site(FIXTURES / "jmn" / "nextday" / "..") == "jmn"


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("missing", "missing: fixture portal not found"),
        ("generic", "'generic' is a fallback profile, not a portal (portals: "),
        ("sahifa", "'sahifa' is a theme profile, not a portal"),
        ("shop", "no profile is named 'shop'"),
    ],
)
def test_folder_that_is_no_portal(
    folder: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("generic", "sahifa", "shop"):
        (tmp_path / name).mkdir()
    code = main(["demo", "--fixtures", str(tmp_path / folder), "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1
    assert message in captured.err
    assert captured.out == ""
    assert not (tmp_path / "out").exists()


def test_missing_overlay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["demo", "--overlay", str(tmp_path / "nope"), "-o", str(tmp_path / "out")]
    assert main(args) == 2
    assert capsys.readouterr().err == f"newscrawl: {tmp_path / 'nope'}: overlay folder not found\n"
