"""Does blocking Scrapy in an extraction worker still pay? Memory and start-up, side by side.

A worker (``python -m newscrawl.workers PROFILE``) sets ``sys.modules["scrapy"] = None``
before its imports, so that itemadapter (under itemloaders) does not import Scrapy to
recognise ``scrapy.Item``. This runs the same worker entry point with and without that
line, alternating, and reports for each: the start-up time (imports and warm-up, stdin
closed at once), and the peak RSS after extracting every fixture page ``--rounds`` times.

    .venv/bin/python bench/worker_scrapy_block.py [--runs 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
PREFIX = {
    "blocked": "import sys; sys.modules['scrapy'] = None; ",
    "not blocked": "import sys; ",
}
RUN_WORKER = "from newscrawl.workers import main; sys.argv = ['worker', 'jmn']; sys.exit(main())"


def pages_input(rounds: int) -> bytes:
    """Return the worker's stdin for every jmn fixture page, ``rounds`` times."""
    from newscrawl.workers import FRAME, PICKLE_PROTOCOL

    frames = []
    for json_path in sorted((FIXTURES / "jmn").glob("*.json")):
        meta = json.loads(json_path.read_text(encoding="utf-8"))["meta"]
        body = json_path.with_suffix(".html").read_bytes()
        now = datetime.fromisoformat(meta["now"])
        message = pickle.dumps((meta["url"], body, None, now), PICKLE_PROTOCOL)
        frames.append(FRAME.pack(len(message)) + message)
    return b"".join(frames) * rounds


def run(variant: str, stdin_path: str) -> tuple[float, int, bool]:
    """Run one worker on ``stdin_path``; return (seconds, peak RSS in KiB, scrapy loaded)."""
    code = PREFIX[variant] + "import atexit; atexit.register(lambda: print('scrapy' in sys.modules"
    code += " and sys.modules['scrapy'] is not None, file=sys.stderr)); " + RUN_WORKER
    with open(stdin_path, "rb") as stdin:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    assert process.stderr is not None
    loaded = process.stderr.read().decode().strip().splitlines()[-1] == "True"
    assert os.waitstatus_to_exitcode(status) == 0
    return elapsed, usage.ru_maxrss, loaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        empty, pages = Path(folder, "empty"), Path(folder, "pages")
        empty.write_bytes(b"")
        pages.write_bytes(pages_input(args.rounds))
        results: dict[str, dict[str, list[float]]] = {v: {"start": [], "rss": []} for v in PREFIX}
        loaded: dict[str, bool] = {}
        for _ in range(args.runs):
            for variant in PREFIX:
                seconds, _, loaded[variant] = run(variant, str(empty))
                results[variant]["start"].append(seconds)
                results[variant]["rss"].append(run(variant, str(pages))[1] / 1024)
    for variant, found in results.items():
        print(
            f"{variant:>12}: start-up median {statistics.median(found['start']):.3f} s, "
            f"peak RSS median {statistics.median(found['rss']):.1f} MiB "
            f"(scrapy imported: {loaded[variant]})"
        )
    blocked, open_ = (results[v] for v in PREFIX)
    print(
        f"not blocked / blocked: start-up "
        f"{statistics.median(open_['start']) / statistics.median(blocked['start']):.2f}x, "
        f"RSS {statistics.median(open_['rss']) / statistics.median(blocked['rss']):.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
