"""``scrapy crawl``, with newscrawl's checks before the crawl and one line per refusal.

Scrapy's own command is kept; before it starts the crawl of a portal spider, this one runs
:func:`newscrawl.preflight.check_crawl` (portal profile, ``-a base_url``, ``-s`` values,
writable output and state folders) and reads ``-a since``. A crawl that cannot start
for a known reason (a usage problem, an unusable state file, another run holding the lock)
is one line on stderr and an exit code: 2 for usage and state problems, 75 for the lock
(that run's report, with status ``skipped``, is written by the spider). Scrapyd runs jobs
through this command too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from scrapy.commands import crawl
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from newscrawl.preflight import UsageError, check_crawl
from newscrawl.profiles import ProfileError, portal_names
from newscrawl.spiders.portal import PortalSpider
from newscrawl.storage.runlock import AlreadyRunning
from newscrawl.storage.state import StateError, parse_since

logger = logging.getLogger(__name__)

EXIT_USAGE = 2


class Command(crawl.Command):
    """Scrapy's ``crawl`` command with newscrawl's checks (see the module docstring)."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Check the crawl, then run it as Scrapy does; refusals end with one line."""
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage message
            return
        problem = self.problem(args[0], opts.spargs)
        if problem:
            print(f"scrapy crawl: {problem}", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        assert self.crawler_process
        started = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        if isinstance(started, Deferred):  # CrawlerProcess
            started.addErrback(self.not_started)
        else:  # AsyncCrawlerProcess (the asyncio reactor) gives an asyncio task
            started.add_done_callback(self.task_done)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed and not self.exitcode:
            self.exitcode = 1

    def problem(self, name: str, spargs: dict[str, Any]) -> str | None:
        """Return why the crawl of spider ``name`` with ``spargs`` cannot start, or None."""
        assert self.crawler_process
        try:
            spidercls = self.crawler_process.spider_loader.load(name)
        except KeyError:
            return None  # Scrapy says "Spider not found" itself
        if not issubclass(spidercls, PortalSpider):
            return None
        site = spargs.get("site") or spidercls.site
        if not site:
            return (
                f"spider {name!r} needs a portal: scrapy crawl {name} -a site=NAME "
                f"(portals: {', '.join(portal_names())}), or scrapy crawl NAME"
            )
        try:
            check_crawl(
                site,
                self.settings,
                profile=spargs.get("profile"),
                base_url=spargs.get("base_url"),
            )
        except UsageError as exc:
            return str(exc)
        if isinstance(since := spargs.get("since"), str):  # as `newscrawl crawl --since`
            try:
                parse_since(since, datetime.now(UTC))
            except ValueError as exc:
                return f"-a since: {exc}"
        return None

    def refused(self, exc: BaseException) -> bool:
        """Tell whether ``exc`` stopped the crawl for a known reason; if so, log it as one
        error line and set the exit code (75 for the lock, 2 for the rest)."""
        if isinstance(exc, AlreadyRunning):
            self.exitcode = exc.exit_code
        elif isinstance(exc, StateError | ProfileError | UsageError):
            self.exitcode = EXIT_USAGE
        else:
            return False
        logger.error("The crawl did not start: %s", exc)
        return True

    def not_started(self, failure: Failure) -> Failure | None:
        """Errback of the crawl's Deferred: a known refusal ends here, anything else goes on
        to Scrapy."""
        return None if self.refused(failure.value) else failure

    def task_done(self, task: asyncio.Future[Any]) -> None:
        """Done-callback of the crawl's asyncio task: a known refusal is one line; anything
        else is logged with its traceback, as Scrapy would."""
        if task.cancelled() or (exc := task.exception()) is None:
            return
        if not self.refused(exc):
            logger.error("The crawl failed", exc_info=exc)
