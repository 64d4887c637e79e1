"""``scrapy crawl``, with newscrawl's checks before the crawl and one line per refusal.

Scrapy's own command is kept; before it starts the crawl of a portal spider, this one runs
:func:`newscrawl.preflight.check_crawl` (portal profile, ``-a base_url``, ``-s`` values,
writable output and state folders). A crawl that cannot start for a known reason (a usage
problem, an unusable state file, another run holding the lock) is one line on stderr
and an exit code: 2 for usage and state problems, 75 for the lock (that run's report, with
status ``skipped``, is written by the spider). Scrapyd runs jobs through this command too.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from scrapy.commands import crawl
from twisted.python.failure import Failure

from newscrawl.preflight import UsageError, check_crawl
from newscrawl.profiles import ProfileError, portal_names
from newscrawl.spiders.portal import PortalSpider
from newscrawl.storage.runlock import AlreadyRunning
from newscrawl.storage.state import StateError

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
        deferred = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        deferred.addErrback(self.not_started)
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
        return None

    def not_started(self, failure: Failure) -> Failure | None:
        """Turn a crawl that could not start for a known reason into one error line and an
        exit code; pass any other failure on to Scrapy."""
        if failure.check(AlreadyRunning):
            self.exitcode = failure.value.exit_code
        elif failure.check(StateError, ProfileError, UsageError):
            self.exitcode = EXIT_USAGE
        else:
            return failure
        logger.error("The crawl did not start: %s", failure.value)
        return None
