"""Mutation testing by rule: every small mistake of a few kinds, planted one at a time.

``run.py`` and ``storage_mutants.py`` plant faults a person chose. This script makes its
mutants from a module's syntax tree instead, so that what the tests miss is found without
deciding in advance where to look. It copies the project to a temporary folder, plants one
mutant at a time in the copy (the worktree is never touched), runs the module's own fast
tests (``pytest -x``) and counts the mutant as killed when they fail or time out.

The operators, applied to every place they fit:

- ``compare``: a comparison negated (``==``/``!=``, ``<``/``>=``, ``>``/``<=``, ``in``/``not
  in``, ``is``/``is not``) or moved across its bound (``<``/``<=``, ``>``/``>=``);
- ``boolop``: ``and`` and ``or`` swapped;
- ``not``: a ``not`` dropped;
- ``int``: an integer constant made one larger;
- ``return``: a returned value replaced by None, or by the empty value of its kind (``""``,
  ``[]``, ``{}``, ``()``); a returned True or False by the other;
- ``delete``: a statement replaced by ``pass``: a call whose result is unused, an augmented
  assignment, an assignment to an attribute, an item or a name bound before it, a
  ``raise``, ``continue`` or ``break``, an ``if`` without ``else``.

Docstrings, annotations and what is inside f-strings are left alone. A survivor that no
behaviour can tell apart from the code (an equivalent mutant) is listed in
``EQUIVALENT`` with the reason, and left out of the score.

    .venv/bin/python tests/mutation/ast_mutants.py newscrawl/identity.py
    .venv/bin/python tests/mutation/ast_mutants.py newscrawl/identity.py --list
    .venv/bin/python tests/mutation/ast_mutants.py MODULE --only KEY --tests tests/test_x.py

Prints one line per mutant and the score: killed / (killed + survived). Exits 0 when the
score is at least ``--min-score``, 1 when it is lower, 2 when the tests fail without a
mutant or the module has no known tests (give ``--tests``).
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TESTS: dict[str, tuple[str, ...]] = {
    "newscrawl/identity.py": ("tests/test_identity.py",),
    "newscrawl/report.py": ("tests/test_report.py",),
    "newscrawl/robotstxt.py": ("tests/test_robotstxt.py",),
    # The direct tests first (pytest -x stops at the first failure); the others run the CLI.
    "newscrawl/analysis/files.py": (
        "tests/analysis/test_files.py",
        "tests/analysis/test_bad_input.py",
        "tests/analysis/test_read.py",
    ),
    "newscrawl/preflight.py": ("tests/test_preflight.py",),
    "newscrawl/xmlread.py": ("tests/test_xmlread.py",),
    "newscrawl/spiders/reading.py": (
        "tests/spiders/test_reading.py",
        "tests/spiders/test_portal.py",
        "tests/spiders/test_url.py",
    ),
}
"""Each module's own fast tests: what a mutant of it runs against (``--tests`` to change)."""

EQUIVALENT: dict[str, dict[str, str]] = {
    "newscrawl/xmlread.py": {
        "<module>: int `64` -> `65`": "the size of a cache: the answers are the same",
    },
    "newscrawl/identity.py": {
        "<module>: int `65536` -> `65537`": "the size of a cache: the answers are the same",
        'has_userinfo: delete `if "@" not in url: return False` -> `pass # the whole if`': (
            "a shortcut: without '@' in the URL, none is in its host either"
        ),
    },
    "newscrawl/report.py": {
        "run_id_for: delete `crawler._newscrawl_run_id = run_id` -> `pass`": (
            "computed again, it is the same: the settings are frozen and the start is kept"
        ),
        "RunReport.__init__: delete `run_started_at(crawler)` -> `pass`": (
            "the spider, made before the extensions, has fixed the start (run_id_for)"
        ),
        '_outcome: boolop `report.get("entry_points") or {}` -> '
        "`report.get('entry_points') and {}`": "only used by the unreachable branch below",
        '_outcome: delete `if entry_points.get("total") and not fetched_anywhere: re...` -> '
        "`pass # the whole if`": (
            "unreachable: build_report fails such a run, and _outcome says nothing of failed runs"
        ),
        '_outcome: return `return "no new records: no entry point was fetched"` -> '
        '`return ""`': "unreachable, as above",
        '_outcome: delete `if fetched: return "no new records: no article page gave ...` -> '
        "`pass # the whole if`": (
            "unreachable: fresh pages and no record fail the run; pages that failed again, or "
            "unchanged ones, are said above"
        ),
        '_outcome: return `return "no new records: no article page gave a record (se...` -> '
        '`return ""`': "unreachable, as above",
        "write_json_atomic: delete `handle.flush()` -> `pass`": (
            "durability: only a power cut between write and rename tells it apart"
        ),
        "write_json_atomic: delete `os.fsync(handle.fileno())` -> `pass`": (
            "durability: only a power cut between write and rename tells it apart"
        ),
        "Progress.clear: delete `sys.stderr.flush()` -> `pass`": (
            "stderr is line-buffered, and a write holding '\\r' flushes it"
        ),
        "Progress.draw: delete `sys.stderr.flush()` -> `pass`": (
            "stderr is line-buffered, and a write holding '\\r' flushes it"
        ),
        "Progress.spider_closed: delete `self.handlers.clear()` -> `pass`": (
            "the list is read only here, and removing a filter twice does nothing"
        ),
        "RunReport.spider_opened: boolop `spider is not None and self._shutdown_trigger is None "
        "and...` -> `spider is not None or self._shutdown_trigger is None or i...`": (
            "a trigger registered with no spider, or twice, finds no open spider or the "
            "report written: it writes nothing"
        ),
        "RunReport.reactor_stopped: delete `self._shutdown_trigger = None` -> `pass`": (
            "the trigger has run: removing it again raises the ValueError spider_closed suppresses"
        ),
        "RunReport.spider_closed: delete `self._open_spider = None` -> `pass`": (
            "reactor_stopped also asks whether the report is written, and it is"
        ),
    },
}
"""Survivors no behaviour can tell apart from the code, or only a crash can (a power cut
before ``fsync``), by module, with why. The key is the mutant's key as printed (the
function, the operator and the change); a test checks that each one still names a mutant."""

KILLED_CODES = (1, 2)
"""pytest's exit codes for failed tests and for an error while collecting them (a mutant
that breaks an import): the mutant was caught. Any other code but 0 counts for nothing."""

_NEGATED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_ACROSS_BOUND: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
}


@dataclass(frozen=True)
class Mutant:
    """One mutant: the bytes ``start:end`` of the module's source become ``new``."""

    key: str
    """``function: operator change``, unique in the module, stable while the code around
    it stays (line numbers are not part of it)."""
    line: int
    start: int
    end: int
    new: str

    def apply(self, source: bytes) -> bytes:
        """Return ``source`` with this mutant planted."""
        return source[: self.start] + self.new.encode("utf-8") + source[self.end :]


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


class _Planter(ast.NodeVisitor):
    """Walk a module's tree and collect a mutant for each place an operator fits."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.line_starts = [0]
        for line in source.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.scope: list[str] = []
        self.bound: list[dict[str, int]] = [{}]
        """Per scope, the first line each name is bound on (parameters: line 0)."""
        self.found: list[tuple[str, int, int, int, str]] = []

    # -- positions (ast gives UTF-8 byte columns)

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.line_starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        end = self.line_starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        return start, end

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end].decode("utf-8")

    def add(self, node: ast.AST, operator: str, new: str, shown: str | None = None) -> None:
        """Record ``node``'s source replaced by ``new``; the key shows ``shown`` or ``new``."""
        start, end = self.span(node)
        where = ".".join(self.scope) or "<module>"
        change = f"`{_short(self.text(node))}` -> `{_short(shown or new)}`"
        self.found.append((f"{where}: {operator} {change}", node.lineno, start, end, new))  # type: ignore[attr-defined]

    def expression(self, node: ast.expr, operator: str, new: ast.expr) -> None:
        text = ast.unparse(new)
        self.add(node, operator, f"({text})", text)

    # -- what is left alone

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """Leave f-strings alone: the columns of the expressions in them are not reliable."""

    def visit_arg(self, node: ast.arg) -> None:
        """Leave annotations alone."""

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            if isinstance(node.target, ast.Attribute | ast.Subscript):
                self.add(node, "delete", "pass")
            self.bind(node.target, node.lineno)
            self.visit(node.value)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):  # a docstring
            return
        self.add(node, "delete", "pass")
        self.generic_visit(node)

    # -- scopes: names bound before an assignment, for the ``delete`` operator

    def bind(self, target: ast.AST, line: int) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.bound[-1].setdefault(node.id, line)

    def in_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.scope.append(node.name)
        self.bound.append({})
        if not isinstance(node, ast.ClassDef):
            arguments = node.args
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                self.bound[-1][arg.arg] = 0
            for arg in (arguments.vararg, arguments.kwarg):
                if arg is not None:
                    self.bound[-1][arg.arg] = 0
            for default in [*arguments.defaults, *arguments.kw_defaults]:
                if default is not None:
                    self.visit(default)
        else:
            for base in node.bases:
                self.visit(base)
        for statement in node.body:
            self.visit(statement)
        self.bound.pop()
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.in_scope(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.in_scope(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.in_scope(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.body)

    def visit_Assign(self, node: ast.Assign) -> None:
        (target, *more) = node.targets
        bound_before = (
            not more
            and isinstance(target, ast.Name)
            and self.bound[-1].get(target.id, node.lineno) < node.lineno
        )
        if bound_before or isinstance(target, ast.Attribute | ast.Subscript):
            self.add(node, "delete", "pass")
        for each in node.targets:
            self.bind(each, node.lineno)
        self.visit(node.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.bind(node.target, node.lineno)
        self.visit(node.value)

    def visit_For(self, node: ast.For) -> None:
        self.bind(node.target, node.lineno)
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self.bind(item.optional_vars, node.lineno)
        self.generic_visit(node)

    # -- the operators

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.add(node, "delete", "pass")
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self.add(node, "delete", "pass")
        self.generic_visit(node)

    def visit_Continue(self, node: ast.Continue) -> None:
        self.add(node, "delete", "pass")

    def visit_Break(self, node: ast.Break) -> None:
        self.add(node, "delete", "pass")

    def visit_If(self, node: ast.If) -> None:
        if not node.orelse:
            self.add(node, "delete", "pass", "pass  # the whole if")
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        value = node.value
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                new = f"return {not value.value}"
            elif isinstance(value, ast.JoinedStr) or (
                isinstance(value, ast.Constant) and isinstance(value.value, str)
            ):
                new = 'return ""'
            elif isinstance(value, ast.List | ast.ListComp):
                new = "return []"
            elif isinstance(value, ast.Dict | ast.DictComp):
                new = "return {}"
            else:
                new = "return None"
            self.add(node, "return", new)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for index, op in enumerate(node.ops):
            for table in (_NEGATED, _ACROSS_BOUND):
                if type(op) in table:
                    ops = list(node.ops)
                    ops[index] = table[type(op)]()
                    self.expression(node, "compare", ast.Compare(node.left, ops, node.comparators))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self.expression(node, "boolop", ast.BoolOp(other, node.values))
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            operand = self.text(node.operand)
            self.add(node, "not", f"({operand})", operand)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            self.add(node, "int", f"({node.value + 1})", str(node.value + 1))


def mutants_of(source: bytes) -> list[Mutant]:
    """Return every mutant of ``source`` that compiles, in source order."""
    planter = _Planter(source)
    planter.visit(ast.parse(source))
    mutants: list[Mutant] = []
    seen: dict[str, int] = {}
    for key, line, start, end, new in sorted(planter.found, key=lambda m: (m[2], m[3], m[0])):
        seen[key] = seen.get(key, 0) + 1
        mutant = Mutant(key if seen[key] == 1 else f"{key} #{seen[key]}", line, start, end, new)
        try:
            compile(mutant.apply(source), "<mutant>", "exec")
        except SyntaxError:
            continue  # a replacement that does not fit its place: no mutant there
        mutants.append(mutant)
    return mutants


def copy_project(into: Path) -> Path:
    """Copy what the fast tests need into ``into``; return the copy's root."""
    root = into / "project"
    root.mkdir()
    for name in ("newscrawl", "tests", "fixtures"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "scrapy.cfg"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, root / name)
    return root


def run_tests(root: Path, tests: tuple[str, ...], timeout: float) -> int | None:
    """Run ``tests`` in the copy at ``root``; return pytest's exit code, None on a timeout."""
    # No bytecode: two mutants of one size written in the same second would otherwise share
    # a stale .pyc (its check is the source's size and modification time, to the second).
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        result = subprocess.run(
            command, cwd=root, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    return result.returncode


def verdicts(
    module: str, mutants: list[Mutant], tests: tuple[str, ...]
) -> Iterator[tuple[Mutant, str, float]]:
    """Yield each mutant with ``killed``, ``timeout``, ``survived`` or ``error`` and the
    seconds its tests took. Raises RuntimeError when the tests fail without a mutant."""
    with tempfile.TemporaryDirectory(prefix="newscrawl-ast-mutants-") as scratch:
        root = copy_project(Path(scratch))
        started = time.monotonic()
        if run_tests(root, tests, timeout=900) != 0:
            raise RuntimeError(f"the tests {' '.join(tests)} fail without any mutant")
        # A mutant that makes a loop endless is caught by the time limit.
        timeout = max(30.0, 10 * (time.monotonic() - started))
        path = root / module
        source = path.read_bytes()
        try:
            for mutant in mutants:
                path.write_bytes(mutant.apply(source))
                started = time.monotonic()
                code = run_tests(root, tests, timeout)
                took = time.monotonic() - started
                if code is None:
                    yield mutant, "timeout", took
                elif code in KILLED_CODES:
                    yield mutant, "killed", took
                else:
                    yield mutant, "survived" if code == 0 else "error", took
        finally:
            path.write_bytes(source)


def main(argv: list[str] | None = None) -> int:
    """Plant the module's mutants; print one line each and the score."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="the module to mutate, e.g. newscrawl/identity.py")
    parser.add_argument("--tests", nargs="+", help="the tests to run (default: TESTS)")
    parser.add_argument("--only", action="append", default=[], metavar="KEY")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--min-score", type=float, default=0.9)
    args = parser.parse_args(argv)
    module = Path(args.module).as_posix()
    tests = tuple(args.tests or TESTS.get(module, ()))
    if not tests:
        print(f"no known tests for {module}: give --tests", file=sys.stderr)
        return 2
    mutants = mutants_of((ROOT / module).read_bytes())
    if args.only:
        mutants = [m for m in mutants if m.key in args.only]
    if args.list:
        for mutant in mutants:
            print(f"L{mutant.line:<4} {mutant.key}")
        print(f"{len(mutants)} mutants")
        return 0
    equivalent = EQUIVALENT.get(module, {})
    counts = dict.fromkeys(("killed", "timeout", "survived", "equivalent", "error"), 0)
    survivors: list[Mutant] = []
    try:
        for mutant, verdict, took in verdicts(module, mutants, tests):
            if verdict == "survived" and mutant.key in equivalent:
                verdict = "equivalent"
            elif verdict == "survived":
                survivors.append(mutant)
            elif mutant.key in equivalent and verdict in ("killed", "timeout"):
                print(f"note: listed as equivalent but {verdict}: {mutant.key}")
            counts[verdict] += 1
            print(f"{verdict:<10} L{mutant.line:<4} {mutant.key} ({took:.1f} s)", flush=True)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    killed = counts["killed"] + counts["timeout"]
    counted = killed + counts["survived"]
    score = killed / counted if counted else 1.0
    print(
        f"{module}: {len(mutants)} mutants, {killed} killed ({counts['timeout']} by timeout), "
        f"{counts['survived']} survived, {counts['equivalent']} equivalent, "
        f"{counts['error']} not run; score {killed}/{counted} = {score:.0%}"
    )
    for mutant in survivors:
        print(f"SURVIVED  L{mutant.line:<4} {mutant.key}")
    return 0 if score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
