"""Attribute docstrings sit right under what they describe.

A string under a constant or an attribute is its docstring (``items.py``, ``report.py`` and
the rest rely on it: readers and editors show it for the name above). A string under
anything else documents nothing, and usually means a docstring was moved away from its name
or a name was put in between.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "newscrawl"


def _string(node: ast.stmt | None) -> str | None:
    """Return the text of a statement that is a bare string, else None."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        value = node.value.value
        return value if isinstance(value, str) else None
    return None


def stray_strings(path: Path) -> list[str]:
    """Return ``file:line`` of each string statement of ``path`` that is neither the first
    statement of its body (a docstring) nor right under an assignment."""
    found = []
    for owner in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        body = getattr(owner, "body", None)
        if not isinstance(body, list):
            continue
        for above, node in itertools.pairwise(body):
            if _string(node) is not None and not isinstance(above, ast.Assign | ast.AnnAssign):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def constant_docstrings(path: Path) -> dict[str, str | None]:
    """Return each module-level UPPER_CASE name of ``path`` with the docstring under it."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    found: dict[str, str | None] = {}
    for node, below in zip(body, [*body[1:], None], strict=True):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                found[target.id] = _string(below)
    return found


def test_no_docstring_is_left_under_something_else() -> None:
    found = [line for path in sorted(PACKAGE.rglob("*.py")) for line in stray_strings(path)]
    assert found == []


def test_each_constant_of_the_report_says_what_it_is() -> None:
    """report.py's constants are stat keys and meta keys that other modules set: each has
    its own docstring, and the one of the site failure is about the site."""
    docstrings = constant_docstrings(PACKAGE / "report.py")
    assert [name for name, text in docstrings.items() if not text] == []
    assert "site could not be crawled" in (docstrings["SITE_FAILURE"] or "")
    assert "lease" in (docstrings["LEASE_LOST"] or "")
