"""``newscrawl frontier SITE``: the shared crawl frontier of distributed mode, in Redis."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from newscrawl.cli import CommandError, dumps


def _frontier(args: argparse.Namespace) -> Any:
    """Connect to ``--redis`` and return the site's frontier; CommandError when that fails."""
    from newscrawl.commands.crawl import redis_url
    from newscrawl.frontier import Frontier
    from newscrawl.profiles import ProfileError, load_profile
    from newscrawl.storage.redis_state import connect
    from newscrawl.storage.state import StateError

    url = redis_url(args.redis)
    if url is None:
        raise CommandError("--redis URL is required (the Redis of the distributed crawl)")
    try:
        load_profile(args.site)
        return Frontier(connect(url), args.prefix, args.site)
    except (ProfileError, StateError, ValueError) as exc:
        raise CommandError(str(exc)) from None


def seed(frontier: Any, site: str, base_url: str | None) -> int:
    """Enqueue the entry points of ``site`` (listings, feeds, sitemaps) not seen yet in the
    current generation; return how many went in.

    Each one queued is also marked seeded (``frontier:seeded``), before it enters the
    shared filter: a worker that then finds it in the filter keeps it due instead of
    taking it for one another worker queued (``RedisScheduler._fetched_elsewhere``).
    """
    from scrapy import Request

    from newscrawl.frontier import CanonicalRedisDupeFilter, TakingQueue
    from newscrawl.identity import canonicalize_url
    from newscrawl.spiders import portal_spider

    # The same requests as PortalSpider.start() (SitemapSpider's for the sitemaps).
    spider = portal_spider(site)(base_url=base_url)
    errback = spider.on_error
    requests = [
        *(Request(u, callback=spider.parse_listing, errback=errback) for u in spider.start_urls),
        *(Request(u, callback=spider.parse_feed, errback=errback) for u in spider.feed_urls),
        *(Request(u, callback=spider._parse_sitemap) for u in spider.sitemap_urls),
    ]
    queue = TakingQueue(frontier.client, spider, frontier.queue, "", "")
    seen = CanonicalRedisDupeFilter(frontier.client, key=frontier.seen)
    added = 0
    client = frontier.client
    for request in requests:
        if client.sismember(frontier.seen, seen.request_fingerprint(request)):
            continue
        key = canonicalize_url(request.url)
        client.sadd(frontier.seeded, key)
        if seen.request_seen(request):  # a worker queued it meanwhile: it is that worker's
            client.srem(frontier.seeded, key)
            continue
        queue.push(request)
        added += 1
    return added


def _confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise CommandError(f"{question} needs a yes: run it in a terminal or add --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def cmd_frontier(args: argparse.Namespace) -> int:
    """Show, seed or clear the frontier of a site."""
    frontier = _frontier(args)
    if args.clear:
        status = frontier.status()
        what = "the frontier" + (" and the state" if args.state else "")
        question = (
            f"Empty {what} of {args.site} ({status['queue']} queued, {status['seen']} seen, "
            f"{status['in_flight']} in flight)?"
        )
        if not _confirm(question, args.yes):
            print("nothing cleared")
            return 1
        removed = frontier.clear()
        if args.state:
            from newscrawl.storage.redis_state import RedisStateStore

            removed += RedisStateStore(frontier.client, args.prefix, args.site).clear()
        print(f"cleared {removed} keys")
        return 0
    if args.seed:
        print(f"seeded {seed(frontier, args.site, args.base_url)} entry points")
    status = frontier.status(recent_seconds=args.recent)
    if args.json:
        print(dumps(status))
    else:
        workers = ", ".join(status["workers"]) or "none"
        slots = ", ".join(f"{host} {n}" for host, n in status["slots"].items()) or "none"
        print(
            f"{args.site}: {status['queue']} queued, {status['seen']} seen, "
            f"{status['in_flight']} in flight; workers seen in the last {args.recent:g} s: "
            f"{workers}; download slots in use: {slots}"
        )
    return 0


def register(sub: Any) -> None:
    """Add the ``frontier`` command to the subcommands ``sub``."""
    frontier = sub.add_parser("frontier", help="show, seed or clear a distributed crawl's frontier")
    frontier.add_argument("site", help="portal profile name, e.g. jmn")
    frontier.add_argument("--redis", metavar="URL", help="the Redis of the distributed crawl")
    frontier.add_argument(
        "--prefix", default="newscrawl", help="key prefix (NEWSCRAWL_REDIS_PREFIX)"
    )
    action = frontier.add_mutually_exclusive_group()
    action.add_argument("--seed", action="store_true", help="enqueue the entry points")
    action.add_argument("--clear", action="store_true", help="empty the frontier (asks first)")
    frontier.add_argument("--state", action="store_true", help="with --clear: the state too")
    frontier.add_argument("--yes", action="store_true", help="with --clear: do not ask")
    frontier.add_argument("--base-url", help="with --seed: fetch the portal from this origin")
    frontier.add_argument("--recent", type=float, default=60.0, help="seconds (default 60)")
    frontier.add_argument("--json", action="store_true", help="print the status as JSON")
    frontier.set_defaults(func=cmd_frontier)
