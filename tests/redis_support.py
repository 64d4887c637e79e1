"""The real Redis at 127.0.0.1:6379 for the distributed-mode tests: own database, own
prefix, cleaned up; tests that need it are skipped, saying how to start one, when none
answers."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REDIS_URL = os.environ.get("NEWSCRAWL_TEST_REDIS", "redis://127.0.0.1:6379/13")
"""Database 13: the tests never touch the data of other databases."""

HOW_TO_START = (
    f"no Redis answers at {REDIS_URL}: start one with `redis-server --port 6379 --daemonize "
    "yes` (apt-get install redis-server), or set NEWSCRAWL_TEST_REDIS"
)


def redis_client() -> Any:
    """Return a client of the test database, or skip the test when no Redis answers."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(HOW_TO_START)
    return client


@pytest.fixture
def redis_prefix() -> Iterator[tuple[Any, str]]:
    """Yield ``(client, prefix)``: a prefix no other test uses; its keys go afterwards."""
    client = redis_client()
    prefix = f"nctest-{uuid.uuid4().hex[:10]}"
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(port: int, folder: Path, *options: str) -> subprocess.Popen[bytes]:
    """Start a redis-server of the test's own on 127.0.0.1:``port`` with its files in
    ``folder``, and wait until it answers (skip the test when none is installed)."""
    import shutil

    import redis

    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), *options],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            break
        except redis.RedisError:
            time.sleep(0.05)
    client.close()
    return process


def counting_client() -> Any:
    """Return a client of the test database that lists the commands its connections send
    in ``.sent`` (one entry a round trip: a pipeline adds ``"PIPELINE"``; what a connection
    sends as it connects is left out), or skip the test when no Redis answers. Counting
    on the connections sees the calls made around the client too (``FastScript``)."""
    import redis

    sent: list[str] = []

    class Counting(redis.connection.Connection):  # type: ignore[misc]
        quiet = False

        def on_connect(self) -> None:
            self.quiet = True
            try:
                super().on_connect()
            finally:
                self.quiet = False

        def send_command(self, *args: Any, **kwargs: Any) -> None:
            if not self.quiet:
                sent.append(str(args[0]).upper())
            self.quiet, was = True, self.quiet
            try:
                super().send_command(*args, **kwargs)
            finally:
                self.quiet = was

        def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            if not self.quiet:
                sent.append("PIPELINE")
            super().send_packed_command(command, check_health)

    redis_client().close()  # skips when none answers
    pool = redis.ConnectionPool.from_url(
        REDIS_URL, connection_class=Counting, socket_connect_timeout=1
    )
    client = redis.Redis(connection_pool=pool)
    client.sent = sent
    return client


@contextmanager
def two_live_workers(client: Any, prefix: str) -> Iterator[tuple[Any, Any, list[Any]]]:
    """Yield the ``jmn`` state stores of workers ``w1`` and ``w2`` and their leases, held
    until the block ends (then released)."""
    from newscrawl.storage.redis_state import RedisLease, RedisStateStore

    one = RedisStateStore(client, prefix, "jmn", worker="w1")
    two = RedisStateStore(client, prefix, "jmn", worker="w2")
    leases = [RedisLease(client, prefix, "jmn", w) for w in ("w1", "w2")]
    for lease in leases:
        lease.acquire()
    try:
        yield one, two, leases
    finally:
        for lease in leases:
            lease.release()
