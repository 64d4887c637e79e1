"""The real Redis at 127.0.0.1:6379 for the distributed-mode tests: own database, own
prefix, cleaned up; tests that need it are skipped, saying how to start one, when none
answers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
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
