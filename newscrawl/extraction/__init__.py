"""Extraction: one article page in, one record out. No Scrapy, no Twisted, no I/O.

The public entry point is :func:`extract_article`; the spider, the ``extract`` command,
the extraction workers and the tests all call it. :func:`parse_page` and
:func:`extract_page` split it in two for callers that look at the parsed page first.
Code outside extraction that reads a fetched page's markup (a listing's links, a page's
declared URL) parses it with :func:`parse_html`, or checks it with :func:`check_source`
before handing it to another parser, so that every page gets the same limits.
Every way a page can fail to give a record is an :class:`ExtractionError` with a
``kind`` (``errors``); ``limits`` bounds what one page may cost (size, time).

Inside: ``page`` decodes and parses, ``selectors`` runs profile selectors on the parsed
tree, ``fields`` reads each field, ``metadata`` reads JSON-LD, ``loaders`` and
``processors`` clean values.
"""

from __future__ import annotations

from newscrawl.extraction.errors import (
    EmptyPage,
    ExtractionError,
    NoBody,
    NotAnArticle,
    TooLarge,
    TooSlow,
    Truncated,
    Undecodable,
)
from newscrawl.extraction.fields import extract_article, extract_page
from newscrawl.extraction.limits import check_source, time_budget
from newscrawl.extraction.page import (
    Page,
    check_complete,
    check_outcome,
    declared_url,
    decode_html,
    not_html_page,
    parse_html,
    parse_page,
)

__all__ = [
    "EmptyPage",
    "ExtractionError",
    "NoBody",
    "NotAnArticle",
    "Page",
    "TooLarge",
    "TooSlow",
    "Truncated",
    "Undecodable",
    "check_complete",
    "check_outcome",
    "check_source",
    "declared_url",
    "decode_html",
    "extract_article",
    "extract_page",
    "not_html_page",
    "parse_html",
    "parse_page",
    "time_budget",
]
