"""extruct's readers without the rest of extruct.

``import extruct.jsonld`` first runs extruct's package ``__init__``, which imports every
syntax extruct knows: microformats (mf2py, BeautifulSoup), RDFa (pyRdfa, rdflib), Open
Graph. Reading JSON-LD and microdata needs none of them, yet that import cost 0.2 s of CPU
and 26 MiB in every crawl process and extraction worker. :func:`extruct_module` imports
one submodule under a package module whose ``__init__`` has not run yet; the first time
anything asks that package for a name it lacks (``import extruct; extruct.extract``), the
real ``__init__`` runs in it (a module ``__getattr__``, PEP 562), so other users of extruct
get the whole package as usual. The submodules are extruct's own code, unchanged.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

PACKAGE = "extruct"

_lock = threading.Lock()


def _package() -> ModuleType:
    """Return the ``extruct`` package module: the imported one, or a new one whose
    ``__init__`` runs on the first missing attribute."""
    with _lock:
        if (loaded := sys.modules.get(PACKAGE)) is not None:
            return loaded
        spec = importlib.util.find_spec(PACKAGE)
        if spec is None or spec.loader is None:
            raise ModuleNotFoundError(f"No module named {PACKAGE!r}", name=PACKAGE)
        package = importlib.util.module_from_spec(spec)
        loader = spec.loader

        def complete(name: str) -> Any:
            """Run the package's ``__init__`` once, then answer as the package would."""
            namespace = vars(package)
            if namespace.get("__getattr__") is complete:
                del namespace["__getattr__"]
                loader.exec_module(package)
            if name in namespace:
                return namespace[name]
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")

        package.__getattr__ = complete  # type: ignore[method-assign]
        sys.modules[PACKAGE] = package
        return package


def extruct_module(name: str) -> ModuleType:
    """Return ``extruct.<name>`` (such as ``jsonld`` or ``w3cmicrodata``), imported without
    extruct's package ``__init__`` when extruct was not imported yet."""
    full = f"{PACKAGE}.{name}"
    if (loaded := sys.modules.get(full)) is not None:
        return loaded
    _package()
    return importlib.import_module(full)
