"""What a blocking Redis round trip costs in CPU inside a loop of other work.

``.venv/bin/python bench/redis_wait.py [--rounds 5] [--iterations 150]`` runs a loop that
stands for a crawl worker's page: four chunks of pure Python work (about 3 ms in all), then
a 50 ms sleep (the portal's latency). It runs the loop with no Redis read, with one ``GET``
after the work, and with one ``GET`` after each chunk (four a page, as a distributed worker
makes about four round trips a new page), in alternating rounds, and prints the user +
system CPU per iteration of each (``getrusage``) and the medians of the differences. For
comparison it also times ``GET`` in a tight loop of reads alone.

The machine's other work moves each figure; the differences are taken within a round.
Keys: ``bench-redis-wait:<random>`` in database ``--redis`` (default 12), deleted at the end.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import uuid
from collections.abc import Sequence

CHUNKS = 4
"""Work chunks a page; with ``trips=4`` a read follows each."""


def work(steps: int = 15_000) -> int:
    """Some pure Python work (about 0.7 ms here)."""
    total = 0
    for i in range(steps):
        total += i * i
    return total


def cpu_ms() -> float:
    """User + system CPU of this process so far, in ms."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def loop(client: object, key: str, trips: int, iterations: int, sleep: float) -> float:
    """Run the page loop with ``trips`` (0, 1 or 4) reads a page; return CPU ms a page."""
    get = client.get  # type: ignore[attr-defined]
    started = cpu_ms()
    for _ in range(iterations):
        for _chunk in range(CHUNKS):
            work()
            if trips == CHUNKS:
                get(key)
        if trips == 1:
            get(key)
        time.sleep(sleep)
    return (cpu_ms() - started) / iterations


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=150, help="pages a loop (150)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args(argv)

    import redis

    client = redis.Redis.from_url(args.redis, socket_connect_timeout=2)
    key = f"bench-redis-wait:{uuid.uuid4().hex[:10]}"
    client.set(key, "1")
    try:
        figures: dict[int, list[float]] = {0: [], 1: [], CHUNKS: []}
        for _round in range(args.rounds):
            for trips in figures:
                figures[trips].append(loop(client, key, trips, args.iterations, 0.05))
        started = cpu_ms()
        for _ in range(5000):
            client.get(key)
        alone = (cpu_ms() - started) / 5000
    finally:
        client.delete(key)
    for trips, values in figures.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"{trips} reads a page: median {statistics.median(values):.3f} ms CPU ({shown})")
    for trips in (1, CHUNKS):
        extra = statistics.median(b - a for a, b in zip(figures[0], figures[trips], strict=True))
        print(f"{trips} reads a page add {extra:.3f} ms CPU a page ({extra / trips:.3f} a read)")
    print(f"one read in a loop of reads alone: {alone:.3f} ms CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
