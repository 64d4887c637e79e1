"""A short fuzzing round in every test run: hostile pages give a record or an
ExtractionError, each in bounded time, and only a record without body or headline may
fail the schema. ``make fuzz`` runs the long campaign (tests/fuzz/campaign.py)."""

from __future__ import annotations

import time
from collections import Counter

from newscrawl.extraction.limits import DEFAULT_TIMEOUT
from tests.fuzz.mutate import check_twice_if_slow, inputs, warm_up

ROUND_SECONDS = 25.0
"""Wall time of the round: it stops at the first input that starts after this."""
MAX_INPUTS = 5000
START_SEED = 1_000_000
"""The CI round's inputs (the campaign starts at 0): the same pages in every run."""
SECONDS_PER_INPUT = DEFAULT_TIMEOUT
"""No input may take the crawl's time budget, twice in a row. The goal is 1 s per page of
1 MB or less (``make fuzz`` counts those); this bound holds on a busy shared machine."""


def test_fuzz_round() -> None:
    warm_up()
    started = time.perf_counter()
    kinds: Counter[str] = Counter()
    uncaught, slow, sunk = [], [], []
    for seed, body in inputs(START_SEED, MAX_INPUTS):
        if time.perf_counter() - started > ROUND_SECONDS:
            break
        outcome = check_twice_if_slow(seed, body, SECONDS_PER_INPUT)
        kinds[outcome.kind] += 1
        if outcome.kind.startswith("uncaught"):
            uncaught.append((seed, outcome.kind, outcome.detail))
        if outcome.seconds > SECONDS_PER_INPUT:
            slow.append((seed, round(outcome.seconds, 2)))
        if outcome.schema_fields and not outcome.empty_body_or_headline:
            sunk.append((seed, outcome.schema_fields))
    total = sum(kinds.values())
    summary = f"{total} inputs: {dict(kinds)}"
    assert total >= 100, summary
    assert uncaught == [], summary
    assert slow == [], summary
    assert sunk == [], summary
