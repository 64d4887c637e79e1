"""What a Redis round trip costs in CPU inside a loop of other work, by redis-py's client
and by its bare connection.

``.venv/bin/python bench/redis_wait.py [--rounds 5] [--iterations 100]`` runs a loop that
stands for a crawl worker's page: four steps of pure Python work (about 3 ms in all), then
a 50 ms sleep (the portal's latency). It runs the loop

- with no Redis read (``none``);
- with one ``GET`` after the work through redis-py's client (``client``), the way every
  command of a worker goes;
- with one ``GET`` after each of the four steps through the client (``client x4``; a
  distributed worker makes about four round trips a new page);
- with one ``GET`` after the work through the client's connection itself
  (``send_command`` and ``read_response``: ``connection``), which skips the client's own
  code (connection pool, retries, events, metrics) but not the wait for the reply;

one page of each kind in turn (so that the machine's drift over seconds falls on all
alike), and prints the CPU per page of each (``time.process_time``, the wake-up from the
sleep included) for each round, and the median, over the rounds, of each one's difference
from ``none``. For comparison it
also times the client's ``GET`` in a tight loop of reads alone.

The machine's other work moves each figure; the differences are taken within a round, over
pages run in turn.
Keys: ``bench-redis-wait:<random>`` in database ``--redis`` (default 12), deleted at the end.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

STEPS = 4
"""Work steps a page."""


def work(steps: int = 15_000) -> int:
    """Some pure Python work (about 0.7 ms here)."""
    total = 0
    for i in range(steps):
        total += i * i
    return total


def page(
    after_step: Callable[[], Any] | None, after_work: Callable[[], Any] | None, sleep: float
) -> float:
    """Run one page, calling ``after_step`` after each step and ``after_work`` after the
    last, then sleep; return its CPU ms, the sleep's wake-up included."""
    started = time.process_time()
    for _step in range(STEPS):
        work()
        if after_step is not None:
            after_step()
    if after_work is not None:
        after_work()
    time.sleep(sleep)
    return (time.process_time() - started) * 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=100, help="pages of each kind a round")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args(argv)

    import redis

    client = redis.Redis.from_url(args.redis, socket_connect_timeout=2)
    key = f"bench-redis-wait:{uuid.uuid4().hex[:10]}"
    client.set(key, "1")
    connection = client.connection_pool.get_connection()

    def bare_get() -> Any:
        connection.send_command("GET", key)
        return connection.read_response()

    kinds: dict[str, tuple[Callable[[], Any] | None, Callable[[], Any] | None]] = {
        "none": (None, None),
        "client": (None, lambda: client.get(key)),
        f"client x{STEPS}": (lambda: client.get(key), None),
        "connection": (None, bare_get),
    }
    try:
        figures: dict[str, list[float]] = {kind: [] for kind in kinds}
        order = list(kinds)
        for _round in range(args.rounds):
            totals = dict.fromkeys(kinds, 0.0)
            for n in range(args.iterations):
                for kind in order[n % len(order) :] + order[: n % len(order)]:
                    totals[kind] += page(*kinds[kind], sleep=0.05)
            for kind, total in totals.items():
                figures[kind].append(total / args.iterations)
        started = time.process_time()
        for _ in range(5000):
            client.get(key)
        alone = (time.process_time() - started) * 1000 / 5000
    finally:
        client.connection_pool.release(connection)
        client.delete(key)
    for kind, values in figures.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"{kind}: median {statistics.median(values):.3f} ms CPU a page ({shown})")
    for kind in list(kinds)[1:]:
        pairs = zip(figures["none"], figures[kind], strict=True)
        extra = statistics.median(b - a for a, b in pairs)
        print(f"{kind} adds {extra:.3f} ms CPU a page")
    print(f"one client read in a loop of reads alone: {alone:.3f} ms CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
