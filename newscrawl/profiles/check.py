"""Profile checks: every key known, every value of the right type, every selector compiles.

The rules are data: ``profile.schema.json`` beside the profiles (a JSON Schema, draft
2020-12) names every key a profile file may hold and the type of its value. Three marks of
our own in it ask for checks a JSON Schema cannot make: ``x-selector`` (each string must
compile as a selector, CSS or ``xpath:`` XPath), ``x-regex`` (each string must compile as a
Python regular expression) and ``x-timezone`` (an IANA zone name).

Each problem is one line that names the key as a TOML reader looks for it:
``[body] contaner: unknown key (did you mean container?)``. ``docs/profiles.md`` lists the
same keys; ``tests/profiles/test_check.py`` keeps the two in step.
"""

from __future__ import annotations

import difflib
import json
import re
import re._constants as _sre_constants
import re._parser as _sre
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "profile.schema.json"
MAX_VALUE_CHARS = 60
"""How much of a wrong value a problem line quotes."""


@cache
def profile_schema() -> dict[str, Any]:
    """Return the JSON Schema of one profile file (as written, before ``extends`` merges)."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(profile_schema())


def location(path: Sequence[str | int]) -> str:
    """Return where ``path`` (keys and list positions) is in a TOML file, as people write it.

    >>> location(["body", "contaner"])
    '[body] contaner'
    >>> location(["teasers", 1, "nodes"])
    '[[teasers]] #2 nodes'
    >>> location(["fields", "headline", 3])
    '[fields] headline[3]'
    >>> location(["name"])
    'name'
    """
    keys = [n for n, part in enumerate(path) if isinstance(part, str)]
    if not keys:
        return "(the file)"
    last = keys[-1]
    table, key, positions = path[:last], str(path[last]), path[last + 1 :]
    where = ""
    if table:
        names = ".".join(p for p in table if isinstance(p, str))
        numbers = [p for p in table if isinstance(p, int)]
        where = f"[[{names}]] #{numbers[-1] + 1} " if numbers else f"[{names}] "
    return where + key + "".join(f"[{p}]" for p in positions)


def _quote(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _schema_problems(error: ValidationError) -> Iterator[str]:
    """Yield the problem lines of one JSON Schema error."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties", {}))
        for key in sorted(set(error.instance) - set(known), key=str):
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
            yield f"{location([*path, str(key)])}: unknown key ({hint})"
    elif error.validator == "required":
        missing = re.match(r"'([^']*)'", error.message)
        key = missing.group(1) if missing else "?"
        yield f"{location([*path, key])}: missing (required)"
    elif error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        yield f"{location(path)}: {_quote(error.instance)} is not {_article(wanted)}"
    else:
        message = error.message.replace(repr(error.instance), _quote(error.instance))
        yield f"{location(path)}: {message}"


def _article(type_name: str) -> str:
    words = {"array": "a list", "object": "a table", "integer": "an integer"}
    return words.get(type_name, f"a {type_name}")


def _strings(value: Any) -> Iterator[tuple[list[int], str]]:
    """Yield ``(positions, string)`` for a string or each string of a list."""
    if isinstance(value, str):
        yield [], value
    elif isinstance(value, list):
        for n, item in enumerate(value):
            if isinstance(item, str):
                yield [n], item


def _selector_problem(query: str) -> str | None:
    # Imported here: extraction imports this package, so a module-level import would loop.
    from cssselect import SelectorError

    from newscrawl.extraction.selectors import compile_query, css_never_matches, xpath_problem

    try:
        compile_query(query)
    except (ValueError, SelectorError) as exc:
        return f"selector {_quote(query)} does not compile: {exc}"
    if (problem := xpath_problem(query)) is not None:
        return f"selector {_quote(query)} compiles but {problem}"
    if dead := css_never_matches(query):
        parts = "" if "," not in query else f" its part {', '.join(map(_quote, dead))}"
        return (
            f"selector {_quote(query)} compiles but{parts} can match nothing on any page "
            "(:hover, :focus, :active, :visited and :target hold on no saved page, nor "
            ":nth-child(0) or :not(*))"
        )
    return None


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"{_quote(pattern)} is not a regular expression: {exc}"
    if _nested_repeat(_sre.parse(pattern)):
        return (
            f"{_quote(pattern)} can take exponential time: a group repeated without limit "
            "that repeats inside, with no fixed character between (as (\\w+\\s?)+), tries "
            "every way of splitting a line that does not match; repeat one or the other"
        )
    return None


_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT)
_ONE_CHARACTER = (_sre_constants.LITERAL, _sre_constants.NOT_LITERAL, _sre_constants.IN)
_UNDONE = (_sre_constants.ATOMIC_GROUP, _sre_constants.POSSESSIVE_REPEAT)
"""Parts a regex never backtracks into."""


def _children(item: tuple[Any, Any]) -> list[Any]:
    """Return the parsed sub-patterns of one parsed regex item (``re._parser`` form)."""
    op, av = item
    if op in _REPEATS or op is _sre_constants.POSSESSIVE_REPEAT:
        return [av[2]]
    if op is _sre_constants.SUBPATTERN:
        return [av[3]]
    if op is _sre_constants.BRANCH:
        return list(av[1])
    if op in (_sre_constants.ASSERT, _sre_constants.ASSERT_NOT):
        return [av[1]]
    if op is _sre_constants.ATOMIC_GROUP:
        return [av]
    if op is _sre_constants.GROUPREF_EXISTS:
        return [p for p in av[1:] if p is not None]
    return []


def _varies(parsed: Any) -> bool:
    """Whether ``parsed`` holds a repeat that can match a varying run of two or more."""
    for item in parsed:
        op, av = item
        if op in _REPEATS and av[1] > 1 and av[1] > av[0]:
            return True
        if op in _UNDONE:
            continue  # what matched inside is never split another way
        if any(map(_varies, _children(item))):
            return True
    return False


def _fixed_step(parsed: Any) -> bool:
    """Whether every match of ``parsed`` holds one character of a given kind (a literal, a
    class such as ``\\s``) outside any repeat of varying count: such a character
    separates the turns of a repeat around it."""
    for op, av in parsed:
        if op in _ONE_CHARACTER:
            return True
        if op is _sre_constants.SUBPATTERN and _fixed_step(av[3]):
            return True
        if op in _REPEATS and av[0] == av[1] >= 1 and _fixed_step(av[2]):
            return True
        if op is _sre_constants.BRANCH and all(_fixed_step(b) for b in av[1]):
            return True
    return False


def _nested_repeat(parsed: Any) -> bool:
    """Whether ``parsed`` (a ``re._parser`` parse) repeats without limit a group that holds
    a varying repeat and no fixed step (:func:`_fixed_step`), the shape of catastrophic backtracking
    (``(\\w+\\s?)+``, ``(a+)*``). A fixed step in the group (``(read also:?\\s*)+``,
    ``(\\w+\\s)+``), an atomic group or a possessive repeat bounds the ways to split a
    line, and passes. A heuristic: it sees the usual shape, not every slow pattern."""
    for item in parsed:
        op, av = item
        if op in _UNDONE:
            continue
        if (
            op in _REPEATS
            and av[1] == _sre_constants.MAXREPEAT
            and _varies(av[2])
            and not _fixed_step(av[2])
        ):
            return True
        if any(map(_nested_repeat, _children(item))):
            return True
    return False


def _timezone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{_quote(name)} is not an IANA timezone"
    return None


_VALUE_CHECKS = {
    "x-selector": _selector_problem,
    "x-regex": _regex_problem,
    "x-timezone": _timezone_problem,
}


def _value_problems(schema: dict[str, Any], value: Any, path: list[str | int]) -> Iterator[str]:
    """Yield the problems of the marked values (selectors, regexes, zones) under ``value``."""
    for mark, check in _VALUE_CHECKS.items():
        if schema.get(mark):
            for positions, text in _strings(value):
                if (problem := check(text)) is not None:
                    yield f"{location([*path, *positions])}: {problem}"
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                yield from _value_problems(sub, value[key], [*path, key])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for n, item in enumerate(value):
            if isinstance(item, dict):
                yield from _value_problems(schema["items"], item, [*path, n])


def profile_problems(data: dict[str, Any]) -> list[str]:
    """Return one line per problem of a profile file's ``data`` (as TOML parsed it).

    Unknown keys, wrong types and missing required keys come from the JSON Schema; then
    every selector, regular expression and timezone the file names is tried. An empty
    list means the file is sound (its ``extends`` is resolved by the loader).
    """
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.path])
    problems = [line for error in errors for line in _schema_problems(error)]
    problems += _value_problems(profile_schema(), data, [])
    return problems


def schema_keys(schema: dict[str, Any] | None = None, prefix: str = "") -> list[str]:
    """Return every key the schema allows, as dotted paths (``body.container``,
    ``teasers.nodes`` for the keys of each ``[[teasers]]`` table), in schema order."""
    schema = profile_schema() if schema is None else schema
    keys: list[str] = []
    for key, sub in schema.get("properties", {}).items():
        name = f"{prefix}{key}"
        inner = sub.get("items") if sub.get("type") == "array" else sub
        if isinstance(inner, dict) and "properties" in inner:
            keys += schema_keys(inner, f"{name}.")
        else:
            keys.append(name)
    return keys
