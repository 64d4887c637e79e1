"""``newscrawl crawl``: crawl a portal profile into JSON Lines (``demo`` shares its helpers)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from newscrawl.cli import CommandError

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")

logger = logging.getLogger(__name__)


def apply_overrides(settings: Any, overrides: Sequence[str]) -> None:
    """Set each ``-s NAME=VALUE`` of ``overrides`` at command-line priority.

    Raises ValueError naming the first item without ``=`` or with an empty name.
    """
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"-s {item!r}: expected NAME=VALUE")
        settings.set(key.strip(), value, priority="cmdline")


def _settings(overrides: Sequence[str], **values: Any) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    # The command prints the summary on stdout; the log gets a one-line pointer instead.
    settings.set("NEWSCRAWL_LOG_SUMMARY", False, priority="cmdline")
    for key, value in values.items():
        if value is not None:
            settings.set(key, value, priority="cmdline")
    try:
        apply_overrides(settings, overrides)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return settings


def run_crawl(
    site: str, settings: Any, spider_class: type[Any] | None = None, **spider_args: Any
) -> dict[str, Any]:
    """Crawl ``site`` in this process (SiteState holds the run lock); return the run report.

    Everything ``newscrawl.preflight.check_crawl`` checks is checked before the crawl
    starts. Raises CommandError for an unknown site or profile, a bad setting, an
    unwritable folder or an unusable state file, and AlreadyRunning when another run for
    the same site and state folder holds the lock. With ``spider_class`` (a crawl by URL,
    see :func:`url_spider`) ``site`` is the name made from the host and no profile is
    looked for.
    """
    from scrapy.crawler import CrawlerProcess
    from twisted.python.failure import Failure

    from newscrawl.names import BadName, check_name, check_run_id
    from newscrawl.preflight import UsageError, check_crawl, state_hint
    from newscrawl.profiles import ProfileError
    from newscrawl.report import RunReport
    from newscrawl.spiders import portal_spider
    from newscrawl.storage.runlock import AlreadyRunning
    from newscrawl.storage.state import StateError

    try:
        check_name("site", site)
        if run_id := settings.get("NEWSCRAWL_RUN_ID"):
            check_run_id(run_id)
        check_crawl(
            site,
            settings,
            profile=spider_args.get("profile"),
            base_url=spider_args.get("base_url"),
            profiled=spider_class is None,
        )
    except (BadName, UsageError) as exc:
        raise CommandError(str(exc)) from None
    refused: list[Exception] = []

    def not_started(failure: Failure) -> None:
        if failure.check(AlreadyRunning):
            refused.append(failure.value)
        elif failure.check(StateError) and settings.get("NEWSCRAWL_REDIS_URL"):
            refused.append(CommandError(str(failure.value)))  # Redis: no file to rebuild from
        elif failure.check(StateError):
            refused.append(CommandError(f"{failure.value}; or run: {state_hint(site, settings)}"))
        elif failure.check(ProfileError, UsageError):
            refused.append(CommandError(str(failure.value)))
        else:
            logger.error(
                "The crawl could not start",
                exc_info=(failure.type, failure.value, failure.getTracebackObject()),
            )
            refused.append(CommandError(f"the crawl could not start: {failure.value!r}"))

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_class or portal_spider(site))
    # SiteState (newscrawl.extensions) takes the run lock as the crawl starts.
    deferred = process.crawl(crawler, **{k: v for k, v in spider_args.items() if v is not None})
    deferred.addErrback(not_started)
    process.start()
    if refused:
        raise refused[0]
    # A second SIGTERM or Ctrl-C stops the reactor before the spider closes: RunReport
    # writes the report of the interrupted run then, as under `scrapy crawl` and scrapyd.
    reports = [e for e in crawler.extensions.middlewares if isinstance(e, RunReport)]
    if not reports or reports[0].report is None:
        raise CommandError("the crawl ended without a report (see the log above)")
    return reports[0].report


def _run(
    site: str, settings: Any, spider_class: type[Any] | None = None, **spider_args: Any
) -> int:
    from newscrawl.report import summary
    from newscrawl.storage.runlock import AlreadyRunning

    try:
        report = run_crawl(site, settings, spider_class, **spider_args)
    except AlreadyRunning as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return exc.exit_code
    print(summary(report))
    return int(report["exit_code"])


def redis_url(value: str | None) -> str | None:
    """Return ``--redis``'s URL, or raise CommandError when it is not a Redis URL."""
    if value is None:
        return None
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise CommandError(
            f"--redis {value!r}: expected a Redis URL such as redis://127.0.0.1:6379/0"
        )
    database = urlsplit(value).path.strip("/") if value.startswith("redis") else ""
    if database and not (database.isascii() and database.isdigit()):
        # redis-py would connect to database 0 and say nothing
        raise CommandError(f"--redis {value!r}: the database {database!r} is not a number")
    from redis.connection import parse_url

    try:
        parse_url(value)
    except ValueError as exc:
        raise CommandError(f"--redis {value!r}: {exc}") from None
    return value


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl a site profile into JSON Lines under the output folder."""
    settings = _settings(
        args.set,
        NEWSCRAWL_OUTPUT_DIR=args.output,
        NEWSCRAWL_STATE_DIR=args.state,
        NEWSCRAWL_REDIS_URL=redis_url(args.redis),
        LOG_LEVEL=args.log_level,
    )
    since = None
    if args.since:
        from newscrawl.storage.state import parse_since

        try:
            since = parse_since(args.since, datetime.now(UTC)).isoformat()
        except ValueError as exc:
            raise CommandError(f"--since: {exc}") from None
    site = args.site
    if site is not None and _is_url(site):
        return _crawl_url(args, settings, since)
    if args.subdomains or args.max_pages is not None:
        option = "--subdomains" if args.subdomains else "--max-pages"
        raise CommandError(f"{option} applies to a crawl by URL, not to a profile ({site})")
    if args.profile_file:
        from newscrawl.profiles import ProfileError, register_profile_file

        try:
            profile = register_profile_file(args.profile_file)
        except ProfileError as exc:
            raise CommandError(str(exc)) from None
        if site is not None and site != profile.name:
            raise CommandError(
                f"--profile-file {args.profile_file} describes {profile.name!r}, not {site!r}"
            )
        site = profile.name
    if site is None:
        raise CommandError("crawl needs SITE (a profile name or a URL) or --profile-file FILE")
    return _run(site, settings, base_url=args.base_url, profile=args.profile, since=since)


def _is_url(value: str) -> bool:
    from newscrawl.discovery import looks_like_url

    return looks_like_url(value)


def url_spider(url: str) -> tuple[str, type[Any]]:
    """Return the site name made from ``url``'s host and a UrlSpider class of that name;
    raise CommandError when ``url`` is not an http(s) URL of a site."""
    from newscrawl.discovery import BadStartUrl, site_key, start_url
    from newscrawl.spiders.url import UrlSpider

    try:
        site = site_key(start_url(url))
    except BadStartUrl as exc:
        raise CommandError(str(exc)) from None
    return site, type("UrlCrawlSpider", (UrlSpider,), {"name": site})


def _crawl_url(args: argparse.Namespace, settings: Any, since: str | None) -> int:
    """Crawl the portal at ``args.site`` (a URL) with no profile."""
    for option, value in (
        ("--profile-file", args.profile_file),
        ("--profile", args.profile),
        ("--base-url", args.base_url),
        # The page budget and the links already asked for live in one process.
        ("--redis", args.redis),
    ):
        if value:
            raise CommandError(f"{option} applies to a profile, not to a crawl by URL")
    if args.max_pages is not None and args.max_pages < 1:
        raise CommandError(f"--max-pages {args.max_pages}: must be 1 or more")
    site, spider = url_spider(args.site)
    return _run(
        site,
        settings,
        spider,
        url=args.site,
        subdomains=args.subdomains,
        max_pages=args.max_pages,
        since=since,
    )


def register(sub: Any) -> None:
    """Add the ``crawl`` command to the subcommands ``sub``."""
    crawl = sub.add_parser("crawl", help="crawl a portal (by profile or by URL) into JSON Lines")
    crawl.add_argument(
        "site",
        nargs="?",
        help="portal profile name, e.g. jmn, or the URL of a portal that has no profile",
    )
    crawl.add_argument(
        "--subdomains",
        action="store_true",
        help="crawl by URL: also crawl the other hosts of the URL's registrable domain",
    )
    crawl.add_argument(
        "--max-pages",
        type=int,
        metavar="N",
        help="crawl by URL: make at most N requests in this run (default: 5000)",
    )
    crawl.add_argument(
        "--profile-file",
        metavar="FILE",
        help="read the portal's profile from this TOML file (SITE defaults to its name)",
    )
    crawl.add_argument("-o", "--output", default="out", help="output folder (default: out)")
    crawl.add_argument("--base-url", help="fetch the portal from this origin instead")
    crawl.add_argument("--profile", help="extraction profile, when it differs from SITE")
    crawl.add_argument("--state", default=None, help="state folder (default: .state)")
    crawl.add_argument(
        "--redis",
        metavar="URL",
        help="distributed mode: queue, duplicate filter, state and lease in this Redis",
    )
    crawl.add_argument("--since", help="only entries newer than this: 2d, 12h, 2016-03-01")
    add_settings(crawl)
    add_log_level(crawl, default=None)
    crawl.set_defaults(func=cmd_crawl)


def add_settings(parser: Any) -> None:
    """Add ``-s``/``--set NAME=VALUE`` (repeatable) to ``parser``."""
    parser.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy or newscrawl setting for this run (repeat for more), e.g. "
        "-s CLOSESPIDER_PAGECOUNT=500",
    )


def add_log_level(parser: Any, default: str | None) -> None:
    """Add ``--log-level`` (any case) to ``parser``."""
    parser.add_argument(
        "--log-level",
        default=default,
        type=str.upper,
        choices=LOG_LEVELS,
        help=f"{', '.join(LOG_LEVELS)} (default: {default or 'INFO'})",
    )
