"""robots.txt read as RFC 9309 allows: its first 500 KiB, by the crawl and by ``pagefetch``.

Protego checks a URL against every rule of the file in turn, so a robots.txt of many rules
makes every request of the crawl dearer: 50,000 rules (1.3 MB) cost 25 ms of CPU a URL in
the reactor's thread, and one near ``DOWNLOAD_MAXSIZE`` would cost some 150 ms a URL. RFC
9309 (section 2.5) asks crawlers to read at least 500 KiB and lets them ignore the rest, as
Google does; newscrawl reads that much, up to the last whole line, and logs that it cut.
The crawl reads robots.txt through ``middlewares.CappedRobotParser``; this module imports no
Scrapy, so that ``newscrawl extract URL`` does not load it.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 500 * 1024
"""The most bytes of a robots.txt read (RFC 9309's least parsing limit, 500 KiB)."""
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
"""The rules of a host whose robots.txt could not be read (RFC 9309, section 2.3.1.4)."""
UNAVAILABLE = "newscrawl/robots/unavailable"
"""Stat the crawl sets to one line naming a robots.txt that could not be read (a 5xx, a
failed download), so that nothing was fetched from its host; the report fails the run."""


def capped(body: bytes, url: str | None = None) -> bytes:
    """Return ``body`` when it holds at most MAX_ROBOTS_BYTES, else its first bytes up to the
    last line break within them (a rule cut mid-line would read as another rule), logging
    the cut for ``url``."""
    if len(body) <= MAX_ROBOTS_BYTES:
        return body
    head = body[:MAX_ROBOTS_BYTES]
    end = max(head.rfind(b"\n"), head.rfind(b"\r")) + 1
    logger.warning(
        "robots.txt %sis %d bytes: reading its first %d (RFC 9309 needs no more)",
        f"of {url} " if url else "",
        len(body),
        end,
    )
    return head[:end]
