"""``bench/redis_wait.py`` runs, prints its figures and leaves no key behind (against the
real Redis; skipped, saying how to start one, when none answers)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.bench_support import load_bench
from tests.redis_support import REDIS_URL, redis_client


def test_prints_the_cost_of_each_kind_of_page_and_cleans_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    client: Any = redis_client()
    bench = load_bench("redis_wait")
    before = set(client.scan_iter(match="bench-redis-wait:*"))
    assert bench.main(["--rounds", "2", "--iterations", "2", "--redis", REDIS_URL]) == 0
    out = capsys.readouterr().out
    for kind in ("none", "client", "client x4", "connection"):
        assert re.search(rf"^{kind}: median \d+\.\d{{3}} ms CPU a page \(\S+, \S+\)$", out, re.M)
    for kind in ("client", "client x4", "connection"):
        assert re.search(rf"^{kind} adds -?\d+\.\d{{3}} ms CPU a page$", out, re.M)
    assert not re.search(r"^none adds", out, re.M)
    assert re.search(r"^one client read in a loop of reads alone: \d+\.\d{3} ms CPU$", out, re.M)
    assert set(client.scan_iter(match="bench-redis-wait:*")) == before
