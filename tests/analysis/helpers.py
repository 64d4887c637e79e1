"""Output trees built by hand from the seed fixture's record, for the analysis tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from newscrawl.items import FIELD_NAMES
from tests.conftest import FIXTURES

SEED = json.loads((FIXTURES / "jmn" / "seed-article.json").read_text(encoding="utf-8"))["record"]


def record(n: int, **changes: Any) -> dict[str, Any]:
    """Return a valid record (the seed article's), for url ``.../article-<n>/``, changed."""
    item = {name: SEED[name] for name in FIELD_NAMES}
    item["url"] = f"https://jmn.info/article-{n}/"
    item.update(changes)
    return item


def line(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_batch(
    root: Path, site: str, day: str, name: str, items: list[dict[str, Any]], *, gz: bool = False
) -> Path:
    """Write a published batch ``<root>/<site>/<day>/<name>.jsonl[.gz]``; return its path."""
    folder = root / site / day
    folder.mkdir(parents=True, exist_ok=True)
    data = "".join(line(item) for item in items).encode()
    path = folder / f"{name}.jsonl{'.gz' if gz else ''}"
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path
