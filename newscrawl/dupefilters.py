"""The spider's duplicate filter, keyed on newscrawl's own page identity.

Scrapy's ``RFPDupeFilter`` keys requests on its request fingerprint, built on
``w3lib.url.canonicalize_url``: it keeps tracking parameters and sorts the query, so
``/a/?utm_source=x`` and ``/a/`` are two requests to it but one page to the dedup pipeline
and the state. :class:`CanonicalUrlDupeFilter` keys them on
:func:`newscrawl.identity.request_key` instead, so the crawl, the records and the state
agree on what "the same page" means.
"""

from __future__ import annotations

import hashlib
from typing import Self

from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Request
from scrapy.utils.job import job_dir

from newscrawl.identity import request_key


class CanonicalUrlFingerprinter:
    """A request fingerprinter (Scrapy's ``RequestFingerprinterProtocol``) on ``request_key``.

    Promises: two requests get the same 20-byte fingerprint exactly when their
    ``request_key`` is equal.
    """

    def fingerprint(self, request: Request) -> bytes:
        """Return the SHA-1 of the request's key."""
        key = request_key(request.method, request.url, request.body)
        return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).digest()


class CanonicalUrlDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter (same ``JOBDIR`` file, same logging and
    ``dupefilter/filtered`` stat) with requests keyed on the canonical URL of their page.

    ``REQUEST_FINGERPRINTER_CLASS`` is left alone: the HTTP cache and other components
    keep Scrapy's fingerprint.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the filter with the crawl's ``JOBDIR`` and ``DUPEFILTER_DEBUG``."""
        return cls(
            job_dir(crawler.settings),
            crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=CanonicalUrlFingerprinter(),
        )
