"""A JSON Schema compiled into one Python function that says "surely valid" or "ask jsonschema".

:func:`compile_schema` turns a schema (references inlined) into a function of one value
that returns True only when jsonschema (draft 2020-12, formats not asserted) would find the
value valid. False means "not sure": the caller asks jsonschema, which decides and words the
errors. The function is never more lenient than jsonschema and, on values made of the exact
JSON types (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, None), exactly as
strict, but for one case left to jsonschema by design: ``uniqueItems`` on an array that
holds anything but strings.

It is faster than a general validator because it answers only yes or not-sure: types are
compared exactly (a ``tuple``, a ``str`` subclass or ``True`` for an integer is "not
sure"), an object whose properties are all required and the only ones allowed is checked by
comparing its key set once, patterns are searched with Python's ``re`` as jsonschema does
(so ``$`` means what it means there), and no error is ever built.

Only the keywords in :data:`KEYWORDS` are compiled, in the forms that the code below reads;
a schema with any other keyword or form gives None from :func:`compile_schema` (everything
then goes to jsonschema).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description"})
"""Keywords that never change whether a value is valid."""

KEYWORDS = frozenset(
    {
        "type",
        "const",
        "enum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minimum",
        "maximum",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "allOf",
    }
)
"""The validation keywords :func:`compile_schema` compiles."""

TYPES: dict[str, tuple[type, ...]] = {  # "integer" also takes a float with an integral value
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
}
"""The exact Python types taken as sure for each JSON type (``type(v) is int`` is never a
bool; an ``int`` or ``float`` subclass, a ``tuple`` or another mapping is "not sure")."""


class Unsupported(Exception):
    """The schema uses a keyword or a form that is not compiled."""


def _trimmed_line(text: str) -> bool:
    """Return ``re.search(r"^\\S(.*\\S)?$", text) is not None``, without the regex.

    ``.`` is any character but ``\\n``, ``\\S`` any that ``str.isspace`` refuses (what
    ``re`` uses for ``\\s`` in a str pattern), and ``$`` matches at the end or before a
    final ``\\n``. So: without one final ``\\n``, the text is not empty, holds no
    ``\\n``, and neither starts nor ends with a space. A regex walks every character
    through ``.*`` (about 13 ns a character here); a record holds some 4,000.
    """
    line = text[:-1] if text[-1:] == "\n" else text
    return bool(line) and not line[0].isspace() and not line[-1].isspace() and "\n" not in line


PATTERNS: dict[str, Callable[[str], bool]] = {r"^\S(.*\S)?$": _trimmed_line}
"""Patterns with a function that answers as ``re.search(pattern, text) is not None`` does,
for every ``str``, faster (``tests/test_schema_compiled.py`` compares them)."""


def _unique_strings(values: list[Any]) -> bool:
    """Return True when every item is an exact ``str`` and no two are equal (jsonschema's
    ``uniq`` compares strings with ``==``); False also means "not sure"."""
    return all(type(v) is str for v in values) and len(set(values)) == len(values)


class _Compiler:
    """Writes the source of the checking function, one ``return False`` per failed check."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {"_unique_strings": _unique_strings}
        self.counter = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def constant(self, value: Any, prefix: str = "c") -> str:
        name = self.name(prefix)
        self.constants[name] = value
        return name

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def types_of(self, node: dict[str, Any]) -> tuple[type, ...] | None:
        """The exact types ``node``'s ``type`` allows (None: no ``type`` keyword)."""
        kind = node.get("type")
        if kind is None:
            return None
        names = [kind] if isinstance(kind, str) else kind
        if not isinstance(names, list) or not names or any(n not in TYPES for n in names):
            raise Unsupported(f"type {kind!r}")
        return tuple(dict.fromkeys(t for n in names for t in TYPES[n]))

    def schema(self, node: Any, var: str, depth: int) -> None:
        """Emit the checks of ``node`` on the value in ``var``."""
        if node is True:
            return
        if node is False or not isinstance(node, dict):
            if node is False:
                self.emit(depth, "return False")
                return
            raise Unsupported(f"schema {node!r}")
        unknown = set(node) - KEYWORDS - ANNOTATIONS
        if unknown:
            raise Unsupported(f"keywords {sorted(unknown)}")
        types = self.types_of(node)
        if types is not None:
            if len(types) == 1:
                test = f"type({var}) is not {self.constant(types[0], 't')}"
            else:
                test = f"type({var}) not in {self.constant(frozenset(types), 't')}"
            kinds = [node["type"]] if isinstance(node["type"], str) else node["type"]
            if "integer" in kinds and "number" not in kinds:
                # 2020-12: a float with an integral value (1.0) is an integer.
                test += f" and not (type({var}) is float and {var}.is_integer())"
                types = (*types, float)
            self.emit(depth, f"if {test}:")
            self.emit(depth + 1, "return False")
        self.values(node, var, depth)
        self.strings(node, var, depth, types)
        self.numbers(node, var, depth, types)
        self.arrays(node, var, depth, types)
        self.objects(node, var, depth, types)
        for branch in node.get("allOf", []):
            self.schema(branch, var, depth)
        if "anyOf" in node:
            self.any_of(node["anyOf"], var, depth)

    def values(self, node: dict[str, Any], var: str, depth: int) -> None:
        """``const`` and ``enum``, for strings only (jsonschema's ``equal`` is ``==`` there)."""
        if "const" in node:
            value = node["const"]
            if not isinstance(value, str):
                raise Unsupported("const that is not a string")
            self.emit(depth, f"if type({var}) is not str or {var} != {value!r}:")
            self.emit(depth + 1, "return False")
        if "enum" in node:
            values = node["enum"]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise Unsupported("enum of values that are not all strings")
            self.emit(
                depth,
                f"if type({var}) is not str or {var} not in {self.constant(frozenset(values))}:",
            )
            self.emit(depth + 1, "return False")

    def guard(self, var: str, kind: type, types: tuple[type, ...] | None) -> str:
        """The condition under which a keyword of ``kind``'s values applies to ``var``."""
        if types == (kind,):
            return ""  # the type check above already returned for anything else
        return f"type({var}) is {self.constant(kind, 't')} and "

    def strings(self, node: dict[str, Any], var: str, depth: int, types: Any) -> None:
        checks = []
        for keyword, op in (("minLength", "<"), ("maxLength", ">")):
            if keyword in node:
                limit = node[keyword]
                if type(limit) is not int:
                    raise Unsupported(f"{keyword} {limit!r}")
                checks.append(f"len({var}) {op} {limit}")
        if "pattern" in node:
            pattern = node["pattern"]
            if not isinstance(pattern, str):
                raise Unsupported(f"pattern {pattern!r}")
            if pattern in PATTERNS:
                checks.append(f"not {self.constant(PATTERNS[pattern], 'matches')}({var})")
            else:
                # re.search with the pattern as written: what jsonschema's "pattern" runs.
                search = self.constant(re.compile(pattern).search, "search")
                checks.append(f"{search}({var}) is None")
        for check in checks:
            self.emit(depth, f"if {self.guard(var, str, types)}{check}:")
            self.emit(depth + 1, "return False")

    def numbers(self, node: dict[str, Any], var: str, depth: int, types: Any) -> None:
        for keyword, op in (("minimum", "<"), ("maximum", ">")):
            if keyword not in node:
                continue
            limit = node[keyword]
            if type(limit) not in (int, float) or limit != limit:
                raise Unsupported(f"{keyword} {limit!r}")
            # The comparison jsonschema makes (a NaN passes both); it skips bools and
            # values that are not numbers.
            if types is not None and set(types) <= {int, float}:
                self.emit(depth, f"if {var} {op} {limit!r}:")
            else:
                number = self.constant(frozenset({int, float}), "t")
                self.emit(depth, f"if type({var}) in {number} and {var} {op} {limit!r}:")
            self.emit(depth + 1, "return False")

    def arrays(self, node: dict[str, Any], var: str, depth: int, types: Any) -> None:
        if types is not None and list not in types:
            return  # a list was refused by the type check: nothing here applies
        header = len(self.lines)
        inner = depth
        if types != (list,):
            self.emit(depth, f"if type({var}) is {self.constant(list, 't')}:")
            inner = depth + 1
        body = len(self.lines)
        for keyword, op in (("minItems", "<"), ("maxItems", ">")):
            if keyword in node:
                limit = node[keyword]
                if type(limit) is not int:
                    raise Unsupported(f"{keyword} {limit!r}")
                self.emit(inner, f"if len({var}) {op} {limit}:")
                self.emit(inner + 1, "return False")
        unique = node.get("uniqueItems", False)
        if unique is not False:
            if unique is not True:
                raise Unsupported(f"uniqueItems {unique!r}")
            self.emit(inner, f"if not _unique_strings({var}):")
            self.emit(inner + 1, "return False")
        items = node.get("items", True)
        if not isinstance(items, (dict, bool)):
            raise Unsupported("items that is not one schema")
        if items is not True and items != {}:
            item = self.name("v")
            self.emit(inner, f"for {item} in {var}:")
            loop = len(self.lines)
            self.schema(items, item, inner + 1)
            if len(self.lines) == loop:
                self.lines.pop()  # an item schema with nothing to check
        if len(self.lines) == body:
            del self.lines[header:]  # a guard with nothing under it

    def objects(self, node: dict[str, Any], var: str, depth: int, types: Any) -> None:
        if types is not None and dict not in types:
            return  # a dict was refused by the type check: nothing here applies
        header = len(self.lines)
        inner = depth
        if types != (dict,):
            self.emit(depth, f"if type({var}) is {self.constant(dict, 't')}:")
            inner = depth + 1
        body = len(self.lines)
        properties = node.get("properties", {})
        required = node.get("required", [])
        extra = node.get("additionalProperties", True)
        if not isinstance(properties, dict) or not isinstance(required, list):
            raise Unsupported("properties or required of the wrong form")
        if extra is not True and extra is not False:
            raise Unsupported("additionalProperties other than true or false")
        names = frozenset(properties)
        needed = frozenset(required)
        all_required = extra is False and needed == names
        if all_required:
            self.emit(inner, f"if {var}.keys() != {self.constant(names, 'keys')}:")
            self.emit(inner + 1, "return False")
        else:
            if needed:
                self.emit(inner, f"if not {self.constant(needed, 'keys')} <= {var}.keys():")
                self.emit(inner + 1, "return False")
            if extra is False:
                self.emit(inner, f"if not {var}.keys() <= {self.constant(names, 'keys')}:")
                self.emit(inner + 1, "return False")
        for key, subschema in properties.items():
            if subschema is True or subschema == {}:
                continue
            value = self.name("v")
            if all_required or key in needed:
                self.emit(inner, f"{value} = {var}[{key!r}]")
                self.schema(subschema, value, inner)
            else:
                self.emit(inner, f"if {key!r} in {var}:")
                self.emit(inner + 1, f"{value} = {var}[{key!r}]")
                self.schema(subschema, value, inner + 1)
        if len(self.lines) == body:
            del self.lines[header:]  # a guard with nothing under it

    def any_of(self, branches: Any, var: str, depth: int) -> None:
        """Sure when one branch is sure (each branch is its own function)."""
        if not isinstance(branches, list) or not branches:
            raise Unsupported("anyOf that is not a non-empty list")
        calls = [f"{self.constant(_compile(b), 'branch')}({var})" for b in branches]
        self.emit(depth, f"if not ({' or '.join(calls)}):")
        self.emit(depth + 1, "return False")


def _compile(schema: Any) -> Callable[[Any], bool]:
    compiler = _Compiler()
    compiler.schema(schema, "value", 1)
    source = "\n".join(["def check(value):", *compiler.lines, "    return True", ""])
    namespace = dict(compiler.constants)
    exec(compile(source, "<newscrawl.schema.compiled>", "exec"), namespace)
    check: Callable[[Any], bool] = namespace["check"]
    check.__doc__ = source
    return check


def compile_schema(schema: Any) -> Callable[[Any], bool] | None:
    """Return a function telling whether a value is surely valid under ``schema``, or None
    when ``schema`` uses a keyword or form this module does not compile.

    ``schema`` must have its references inlined (a ``$ref`` is not compiled). The function
    returns True only for values jsonschema finds valid; False means "ask jsonschema".
    """
    try:
        return _compile(schema)
    except Unsupported:
        return None
