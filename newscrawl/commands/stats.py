"""``newscrawl stats``: per site and day, what the output holds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from newscrawl.cli import CommandError, dumps
from newscrawl.commands.export import (
    EXIT_BAD_INPUT,
    add_selection,
    analysis_modules,
    print_problem,
    selection,
)


def _share(value: float) -> str:
    return f"{value:.0%}" if value in (0, 1) else f"{value:.1%}"


def format_day(day: dict[str, Any]) -> list[str]:
    """Return the lines ``stats`` prints for one site and day."""
    rejects = sum(day["rejects"].values())
    kinds = ", ".join(f"{kind} {n}" for kind, n in day["rejects"].items())
    lines = [
        f"{day['site']} {day['day']}: {day['records']} records, {day['revisions']} revisions, "
        f"{rejects} rejects" + (f" ({kinds})" if kinds else "")
    ]
    if day["languages"]:
        lines.append(
            "  languages: " + ", ".join(f"{k} {_share(v)}" for k, v in day["languages"].items())
        )
    if day["sections"]:
        lines.append("  top sections: " + ", ".join(f"{name} {n}" for name, n in day["sections"]))
    if day["coverage"]:
        low = {k: v for k, v in day["coverage"].items() if v < 1}
        lines.append(
            "  coverage under 100%: "
            + (", ".join(f"{k} {_share(v)}" for k, v in low.items()) or "none")
        )
    for run in day["runs"]:
        times = [
            f"{k.removesuffix('_at')} {run[k]}" for k in ("started_at", "finished_at") if run.get(k)
        ]
        lines.append(f"  run {run.get('run_id')}: " + ", ".join([str(run.get("status")), *times]))
    return lines


def cmd_stats(args: argparse.Namespace) -> int:
    """Print per site and day: records, revisions, rejects, coverage, languages, sections."""
    analysis = analysis_modules()
    from newscrawl.analysis.stats import compute_stats

    chosen = selection(args)
    if not Path(args.out_root).is_dir():
        raise CommandError(f"{args.out_root}: no such output folder")
    try:
        days = compute_stats(args.out_root, chosen, strict=args.strict, on_problem=print_problem)
    except analysis.BadInput as exc:
        for problem in exc.problems:
            print_problem(problem)
        print(f"newscrawl: {len(exc.problems)} bad lines (--strict)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except analysis.AnalysisError as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(dumps({"root": str(args.out_root), "days": days}, indent=2))
    else:
        for day in days:
            print("\n".join(format_day(day)))
    if not any(day["records"] for day in days):
        print(f"newscrawl: {args.out_root}: no records", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def register(sub: Any) -> None:
    """Add the ``stats`` command to the subcommands ``sub``."""
    stats = sub.add_parser("stats", help="per site and day: records, rejects, coverage, languages")
    stats.add_argument("out_root", metavar="OUT_ROOT", help="output folder of crawls (out)")
    stats.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_selection(stats)
    stats.add_argument(
        "--strict", action="store_true", help="fail (exit 1) on a line that cannot be read"
    )
    stats.set_defaults(func=cmd_stats)
