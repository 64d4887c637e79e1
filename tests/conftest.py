"""Shared test helpers: where the fixtures are."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="session")
def fixtures_root() -> Path:
    """The project's fixtures folder."""
    return FIXTURES
