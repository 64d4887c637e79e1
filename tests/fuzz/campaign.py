"""The long fuzzing campaign (``make fuzz``): many mutated pages, counted.

Usage::

    .venv/bin/python -m tests.fuzz.campaign --inputs 200000 --processes 2

Prints the inputs run, the outcomes by kind, the inputs that raised anything but an
ExtractionError (uncaught), the records that fail the schema (split by the fields that
fail), and the inputs over ``--budget`` seconds. A record is what a crawl would write or
reject as ``invalid``: a cut page, or a whole page without body text, is a reject of its
own kind (``truncated``, ``no-body``; see ``tests.fuzz.mutate.check``).

Time is the CPU time of the extracting thread, which other processes on the machine
change far less than wall-clock time (the wall-clock count is printed too). An input
over budget runs a second time in its process, to tell what a process loads once from
a slow page. What is still over budget is timed again after the campaign, alone (the
pool closed, nothing else of the campaign running), as the least of three runs; only
what stays over budget alone fails the campaign. Every count is printed, with the load
average at the start and the end. Each uncaught or slow input is saved as
``<seed>.html`` in ``--save`` to reproduce it (``tests.fuzz.mutate.mutated(seed)``
gives the same page). Exits 1 when any input was uncaught or over budget alone, or a
record with body and headline failed the schema.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

from tests.fuzz.mutate import Outcome, check_twice_if_slow, mutated, time_alone, warm_up

CHUNK = 500


def _run_chunk(task: tuple[int, float]) -> list[Outcome]:
    start, budget = task
    warm_up()
    seeds = range(start, start + CHUNK)
    return [check_twice_if_slow(seed, mutated(seed), budget) for seed in seeds]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Run the campaign; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=200_000)
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--budget", type=float, default=1.0, help="CPU seconds per input")
    parser.add_argument("--save", type=Path, default=Path("out/fuzz"))
    args = parser.parse_args(argv)
    tasks = [(start, args.budget) for start in range(args.start, args.start + args.inputs, CHUNK)]
    kinds: Counter[str] = Counter()
    uncaught: list[Outcome] = []
    slow: list[Outcome] = []
    slow_first: list[Outcome] = []
    slow_wall: list[Outcome] = []
    schema_failing: list[Outcome] = []
    records = 0
    slowest = 0.0
    load_at_start = _load()
    started = time.perf_counter()
    with Pool(args.processes) as pool:
        for done, outcomes in enumerate(pool.imap_unordered(_run_chunk, tasks), 1):
            for outcome in outcomes:
                kinds[outcome.kind] += 1
                slowest = max(slowest, outcome.seconds)
                if outcome.kind.startswith("uncaught"):
                    uncaught.append(outcome)
                if outcome.seconds > args.budget:
                    slow.append(outcome)
                elif outcome.first_seconds is not None:
                    slow_first.append(outcome)
                if outcome.wall_seconds > args.budget:
                    slow_wall.append(outcome)
                if outcome.kind == "record":
                    records += 1
                    if outcome.schema_fields:
                        schema_failing.append(outcome)
            if done % 10 == 0:
                print(
                    f"{sum(kinds.values())} inputs, {time.perf_counter() - started:.0f} s: "
                    f"{len(uncaught)} uncaught, {len(slow)} over budget, "
                    f"{len(schema_failing)} of {records} records failing the schema",
                    file=sys.stderr,
                    flush=True,
                )
    load_at_end = _load()
    elapsed = time.perf_counter() - started
    warm_up()
    alone = {o.seed: time_alone(o.seed) for o in slow}
    slow_alone = [o for o in slow if alone[o.seed] > args.budget]
    args.save.mkdir(parents=True, exist_ok=True)
    for outcome in uncaught + slow:
        (args.save / f"{outcome.seed}.html").write_bytes(mutated(outcome.seed))
    total = sum(kinds.values())
    sunk = [o for o in schema_failing if not o.empty_body_or_headline]
    breakdown = Counter(
        ("+".join(o.schema_fields), "empty body or headline" if o.empty_body_or_headline else "")
        for o in schema_failing
    )
    share = len(schema_failing) / records if records else 0.0
    print(f"inputs: {total} in {elapsed:.0f} s ({args.processes} processes)")
    print(f"load average (1, 5, 15 min): {load_at_start} at the start, {load_at_end} at the end")
    print(f"outcomes: {dict(kinds.most_common())}")
    print(f"uncaught exceptions: {len(uncaught)}")
    for outcome in uncaught[:20]:
        print(f"  seed {outcome.seed}: {outcome.kind}: {outcome.detail}")
    print(
        f"inputs over {args.budget} s of CPU, twice in a row in the campaign: {len(slow)} "
        f"(slowest {slowest:.2f} s); on their first run only: {len(slow_first)}; "
        f"over {args.budget} s of wall-clock time: {len(slow_wall)}"
    )
    print(f"inputs over {args.budget} s of CPU timed alone (least of 3 runs): {len(slow_alone)}")
    for outcome in sorted(slow, key=lambda o: -o.seconds)[:20]:
        print(
            f"  seed {outcome.seed}: {outcome.seconds:.2f} s in the campaign "
            f"({outcome.wall_seconds:.2f} s wall), {alone[outcome.seed]:.2f} s alone "
            f"({outcome.kind}, {len(mutated(outcome.seed))} bytes)"
        )
    print(
        f"records: {records}; failing the schema: {len(schema_failing)} ({share:.2%}), "
        f"of which with a body and a headline: {len(sunk)}"
    )
    print("  failing records by fields failing (and whether body or headline is empty):")
    for (fields, empty), count in breakdown.most_common():
        share_of_records = f"{count / records:.2%} of records"
        print(f"    {fields} ({empty or 'both present'}): {count} ({share_of_records})")
    return 1 if uncaught or slow_alone or sunk else 0


if __name__ == "__main__":
    sys.exit(main())
