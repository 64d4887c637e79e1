"""The rule-made mutants of ``ast_mutants``: each operator plants what it says, and the
list of equivalent mutants still names mutants the code has."""

from __future__ import annotations

from functools import cache

import pytest

from tests.mutation.ast_mutants import EQUIVALENT, ROOT, TESTS, mutants_of

SOURCE = '''
"""A module docstring: 1 < 2 stays."""
LIMIT = 10


def check(value: int = 3, *, names: list[str]) -> str | None:
    """Docstring."""
    total = 0
    total += value
    if value > LIMIT and not names:
        raise ValueError(f"{value} is over {LIMIT - 1}")
    for name in names:
        if name in ("a", "b"):
            continue
    total = len(names)
    return "ok" if value <= total else None
'''


def keys(source: str) -> list[str]:
    return [m.key for m in mutants_of(source.encode())]


@cache
def module_keys(module: str) -> frozenset[str]:
    return frozenset(m.key for m in mutants_of((ROOT / module).read_bytes()))


def test_each_operator_plants_its_mutant() -> None:
    assert keys(SOURCE) == [
        "<module>: int `10` -> `11`",
        "check: int `3` -> `4`",
        "check: int `0` -> `1`",
        "check: delete `total += value` -> `pass`",
        'check: delete `if value > LIMIT and not names: raise ValueError(f"{value...`'
        " -> `pass # the whole if`",
        "check: compare `value > LIMIT` -> `value <= LIMIT`",
        "check: compare `value > LIMIT` -> `value >= LIMIT`",
        "check: boolop `value > LIMIT and not names` -> `value > LIMIT or not names`",
        "check: not `not names` -> `names`",
        'check: delete `raise ValueError(f"{value} is over {LIMIT - 1}")` -> `pass`',
        'check: delete `if name in ("a", "b"): continue` -> `pass # the whole if`',
        """check: compare `name in ("a", "b")` -> `name not in ('a', 'b')`""",
        "check: delete `continue` -> `pass`",
        "check: delete `total = len(names)` -> `pass`",
        'check: return `return "ok" if value <= total else None` -> `return None`',
        "check: compare `value <= total` -> `value < total`",
        "check: compare `value <= total` -> `value > total`",
    ]


def test_a_mutant_changes_only_its_own_text() -> None:
    source = "def f(x):\n    return x == 'é' or x == 1\n".encode()
    (eq, boolop, *_) = [m for m in mutants_of(source) if "compare" in m.key or "boolop" in m.key]
    assert boolop.apply(source).decode() == "def f(x):\n    return (x == 'é' and x == 1)\n"
    assert eq.apply(source).decode() == "def f(x):\n    return (x != 'é') or x == 1\n"


def test_a_name_bound_only_once_is_not_deleted() -> None:
    """Deleting the one assignment of a name only raises NameError: no mutant there."""
    assert keys("def f(x):\n    y = x\n    return y\n") == ["f: return `return y` -> `return None`"]


@pytest.mark.parametrize(
    ("module", "key"),
    [(module, key) for module, listed in EQUIVALENT.items() for key in listed],
)
def test_listed_equivalents_are_mutants_of_the_code(module: str, key: str) -> None:
    assert key in module_keys(module)


@pytest.mark.parametrize("module", sorted(TESTS))
def test_every_module_has_tests_and_mutants(module: str) -> None:
    assert all((ROOT / tests).exists() for tests in TESTS[module])
    assert module_keys(module)
