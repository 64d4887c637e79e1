"""Loading one benchmark script of ``bench/`` from another, or from the tests.

``bench/`` is not a package: its scripts run as ``python bench/<name>.py``, which puts this
folder first on ``sys.path`` so that ``from bench_scripts import load_bench`` works in them.
The tests put it there through ``tests/bench_support.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent
"""The ``bench/`` folder."""


def load_bench(name: str) -> ModuleType:
    """Return the module of ``bench/<name>.py``, loaded from its file as ``bench_<name>``.

    Like an import, it runs the file once: the module is registered in ``sys.modules``
    (where dataclasses look their module up) and a later call returns that same module, so
    that two scripts which load a third share its classes. Raises FileNotFoundError when
    there is no such script.
    """
    module_name = f"bench_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = BENCH / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no benchmark script {path}")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]  # a half-run module must not be handed out later
        raise
    return module
