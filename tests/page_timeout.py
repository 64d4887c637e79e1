"""A downloader middleware for crawls run by tests: one path gets a short download timeout.

Scrapy's ``DOWNLOAD_TIMEOUT`` holds for every request of a crawl, so a test that makes one
page time out with a crawl-wide timeout of a second also bets that no other request takes a
second, which a loaded machine loses. This gives the short timeout to that page alone
(``download_timeout`` in its request's meta, which Scrapy's own timeout middleware leaves
as it is and retries copy) and leaves every other request the crawl's timeout.

Settings: ``TESTS_TIMEOUT_PATH`` (the URL path) and ``TESTS_TIMEOUT_SECONDS``. Use
:func:`crawl_settings` to add it to a crawl's ``-s`` options.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from newscrawl import settings as project_settings

ORDER = 340
"""Before Scrapy's ``DownloadTimeoutMiddleware`` (350), which only sets a missing timeout."""


class OnePageTimeout:
    """Set ``download_timeout`` on the requests of one path."""

    def __init__(self, path: str, seconds: float) -> None:
        self.path = path
        self.seconds = seconds

    @classmethod
    def from_crawler(cls, crawler: Any) -> OnePageTimeout:
        settings = crawler.settings
        return cls(settings.get("TESTS_TIMEOUT_PATH"), settings.getfloat("TESTS_TIMEOUT_SECONDS"))

    def process_request(self, request: Any) -> None:
        if urlsplit(request.url).path == self.path:
            request.meta["download_timeout"] = self.seconds


def crawl_settings(path: str, seconds: float) -> list[str]:
    """Return the ``-s NAME=VALUE`` values that give ``path`` alone a timeout of ``seconds``:
    the project's downloader middlewares with this one added (a ``-s`` value replaces the
    project's whole dict)."""
    middlewares = {**project_settings.DOWNLOADER_MIDDLEWARES, f"{__name__}.OnePageTimeout": ORDER}
    return [
        f"DOWNLOADER_MIDDLEWARES={json.dumps(middlewares)}",
        f"TESTS_TIMEOUT_PATH={path}",
        f"TESTS_TIMEOUT_SECONDS={seconds}",
    ]
