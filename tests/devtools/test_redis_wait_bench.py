"""``bench/redis_wait.py`` runs, prints its figures and leaves no key behind (against the
real Redis; skipped, saying how to start one, when none answers)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.bench_support import load_bench
from tests.redis_support import REDIS_URL, redis_client


def test_prints_the_cost_of_each_kind_of_loop_and_cleans_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    client: Any = redis_client()
    bench = load_bench("redis_wait")
    before = set(client.scan_iter(match="bench-redis-wait:*"))
    assert bench.main(["--rounds", "2", "--iterations", "2", "--redis", REDIS_URL]) == 0
    out = capsys.readouterr().out
    for reads in (0, 1, 4):
        assert re.search(rf"^{reads} reads a page: median \d+\.\d{{3}} ms CPU \(", out, re.M)
    assert re.search(
        r"^4 reads a page add -?\d+\.\d{3} ms CPU a page \(-?\d+\.\d{3} a read\)", out, re.M
    )
    assert re.search(r"^one read in a loop of reads alone: \d+\.\d{3} ms CPU$", out, re.M)
    assert set(client.scan_iter(match="bench-redis-wait:*")) == before
