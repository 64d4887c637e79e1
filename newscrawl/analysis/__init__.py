"""Reading newscrawl output as typed tables: pandas, DuckDB views, file exports, stats.

Needs the ``analysis`` extra (DuckDB and pandas). Nothing here is imported by a crawl.
"""

from __future__ import annotations

from newscrawl.analysis.files import AnalysisError, BadInput, Problem
from newscrawl.analysis.records import RecordsWarning, duckdb_view, read_records

__all__ = [
    "AnalysisError",
    "BadInput",
    "Problem",
    "RecordsWarning",
    "duckdb_view",
    "read_records",
]
