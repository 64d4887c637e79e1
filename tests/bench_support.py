"""Loading the benchmark scripts of ``bench/`` in tests (bench/ is not a package).

The loader is ``bench/bench_scripts.py``, the one the scripts use among themselves; this puts
``bench/`` on ``sys.path`` (last, so that it shadows nothing) to import it.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))

from bench_scripts import load_bench  # noqa: E402  (bench/ is on sys.path only from here)

__all__ = ["BENCH", "load_bench"]
