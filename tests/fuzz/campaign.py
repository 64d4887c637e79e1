"""The long fuzzing campaign (``make fuzz``): many mutated pages, counted.

Usage::

    .venv/bin/python -m tests.fuzz.campaign --inputs 200000 --processes 2

Prints the inputs run, the outcomes by kind, the inputs that raised anything but an
ExtractionError (uncaught), those that took over ``--budget`` seconds, and the records
that fail the schema (with those that do although they have a body and a headline).
An input over budget runs a second time, to tell what a process loads once from a slow
page (both counts are printed; only the second fails the campaign). Each uncaught or
slow input is saved as ``<seed>.html`` in ``--save`` to reproduce it
(``tests.fuzz.mutate.mutated(seed)`` gives the same page). Exits 1 when any input was
uncaught or over budget, or a record with body and headline failed the schema.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

from tests.fuzz.mutate import Outcome, check_twice_if_slow, mutated, warm_up

CHUNK = 500


def _run_chunk(task: tuple[int, float]) -> list[Outcome]:
    start, budget = task
    warm_up()
    seeds = range(start, start + CHUNK)
    return [check_twice_if_slow(seed, mutated(seed), budget) for seed in seeds]


def main(argv: list[str] | None = None) -> int:
    """Run the campaign; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=200_000)
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per input")
    parser.add_argument("--save", type=Path, default=Path("out/fuzz"))
    args = parser.parse_args(argv)
    tasks = [(start, args.budget) for start in range(args.start, args.start + args.inputs, CHUNK)]
    kinds: Counter[str] = Counter()
    uncaught: list[Outcome] = []
    slow: list[Outcome] = []
    slow_first: list[Outcome] = []
    schema_failing: list[Outcome] = []
    records = 0
    slowest = 0.0
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
    args.save.mkdir(parents=True, exist_ok=True)
    for outcome in uncaught + slow:
        (args.save / f"{outcome.seed}.html").write_bytes(mutated(outcome.seed))
    total = sum(kinds.values())
    sunk = [o for o in schema_failing if not o.empty_body_or_headline]
    fields = Counter(f for o in schema_failing for f in o.schema_fields)
    share = len(schema_failing) / records if records else 0.0
    print(f"inputs: {total} in {time.perf_counter() - started:.0f} s ({args.processes} processes)")
    print(f"outcomes: {dict(kinds.most_common())}")
    print(f"uncaught exceptions: {len(uncaught)}")
    for outcome in uncaught[:20]:
        print(f"  seed {outcome.seed}: {outcome.kind}: {outcome.detail}")
    print(f"inputs over {args.budget} s, twice in a row: {len(slow)} (slowest {slowest:.2f} s)")
    for outcome in sorted(slow, key=lambda o: -o.seconds)[:20]:
        print(f"  seed {outcome.seed}: {outcome.seconds:.2f} s ({outcome.kind})")
    print(f"inputs over {args.budget} s on their first run only: {len(slow_first)}")
    for outcome in sorted(slow_first, key=lambda o: -(o.first_seconds or 0))[:10]:
        print(f"  seed {outcome.seed}: {outcome.first_seconds:.2f} s, then {outcome.seconds:.2f} s")
    print(
        f"records: {records}; failing the schema: {len(schema_failing)} ({share:.2%}), "
        f"of which with a body and a headline: {len(sunk)}; fields: {dict(fields)}"
    )
    return 1 if uncaught or slow or sunk else 0


if __name__ == "__main__":
    sys.exit(main())
