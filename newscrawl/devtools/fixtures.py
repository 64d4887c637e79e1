"""Fixture cases: a saved page ``fixtures/<site>/<case>.html`` beside its expected ``<case>.json``.

The JSON holds ``meta`` (the page's ``url``, the frozen crawl time ``now``) and either
the expected ``record`` or, for a page that gives none, ``"record": null`` with the
expected ``error`` kind. ``invalid_fields`` lists the fields a record is expected to
fail validation on. Written with sorted keys and a trailing newline, for clean diffs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from newscrawl.extraction import ExtractionError, extract_article
from newscrawl.items import to_dict


@dataclass(frozen=True)
class FixtureCase:
    """One saved page and what extraction is expected to make of it."""

    site: str
    name: str
    html_path: Path
    json_path: Path

    @property
    def id(self) -> str:
        """``site/case``, the name tests and the rerun command use."""
        return f"{self.site}/{self.name}"

    def spec(self) -> dict[str, Any]:
        """Return the parsed case JSON."""
        return json.loads(self.json_path.read_text(encoding="utf-8"))

    @property
    def url(self) -> str:
        """The page's URL."""
        return str(self.spec()["meta"]["url"])

    def body(self) -> bytes:
        """Return the saved page's bytes."""
        return self.html_path.read_bytes()

    def current(self) -> dict[str, Any]:
        """Return what extraction makes of the page now, in the case JSON's shape."""
        spec = self.spec()
        meta = spec["meta"]
        now = datetime.fromisoformat(meta["now"])
        headers = {"Content-Type": meta.get("content_type", "text/html")}
        result: dict[str, Any] = {"meta": meta}
        try:
            article = extract_article(meta["url"], self.body(), headers, profile=self.site, now=now)
        except ExtractionError as exc:
            result.update(record=None, error=exc.kind)
            return result
        result["record"] = to_dict(article)
        if "invalid_fields" in spec:
            result["invalid_fields"] = spec["invalid_fields"]
        return result

    def write_expected(self, data: dict[str, Any]) -> None:
        """Overwrite the case JSON with ``data`` (sorted keys, indent 2, trailing newline)."""
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
        self.json_path.write_text(text, encoding="utf-8")


def find_cases(root: Path, names: Sequence[str] = ()) -> list[FixtureCase]:
    """Return the cases under ``root`` (``<site>/<case>.json`` with its .html), sorted.

    ``names`` (``site/case`` or ``case``) narrows the list; empty means all.
    """
    cases = []
    for json_path in sorted(root.glob("*/*.json")):
        html_path = json_path.with_suffix(".html")
        if not html_path.exists():
            continue
        case = FixtureCase(json_path.parent.name, json_path.stem, html_path, json_path)
        if not names or case.id in names or case.name in names:
            cases.append(case)
    return cases
