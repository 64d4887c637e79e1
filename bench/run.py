"""Throughput benchmark of newscrawl: the full crawl pipeline next to a bare Scrapy spider.

What it runs, all on 127.0.0.1 (``bench/README.md`` describes the portal and the results):

1. **throughput** — starts ``bench/portal.py`` (a generated Sahifa portal of ``--articles``
   posts) and crawls it ``--repeat`` times with each of, alternately:
   - the full pipeline: ``python -m newscrawl.cli crawl jmn --base-url ...`` (fresh output and
     state folders every time), and
   - ``bench/bare_spider.py``: a plain Scrapy spider that follows the same links and drops
     every page.

   Both get the same throughput settings (``-s``), both run as a subprocess pinned to one
   CPU while the portal has the other (``--no-pin``: nothing pinned), and both report
   their Scrapy stats through ``bare_spider.JsonStatsCollector``. Pages/s is
   ``response_received_count / elapsed_time_seconds``; peak memory is the crawler's
   ``ru_maxrss`` from ``os.wait4`` and the sampled peak RSS summed over its process tree
   (extraction workers included).
2. **profile** — one more full-pipeline crawl under cProfile: the top functions by
   cumulative time, and where the time goes (extraction, validation, writing, Scrapy).
3. **extract** — ``newscrawl extract --manifest`` over the article fixtures of
   ``fixtures/jmn`` and over ``--extract-pages`` pages of the portal, ``--extract-repeat``
   times each: milliseconds per page.

The measured newscrawl is a copy of the package at ``HEAD`` made at start (``--source``),
because others edit the repository while a run lasts half an hour. The results go to
``bench/results/throughput-<date>.json`` (or ``--output``) and a short table to stdout.
Usage::

    python bench/run.py --articles 10000 --repeat 3     # what `make bench` runs
    python bench/run.py --articles 500 --repeat 1       # a quick check
    python bench/run.py --articles 500 --throughput     # only part 1
    python bench/run.py --throughput --no-pin           # let newscrawl use extraction workers
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import inspect
import io
import json
import os
import platform
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = sys.executable
SITE = "jmn"
PORTAL_ORIGIN = "https://jmn.info"
"""Where the generated portal's pages claim to live (the ``jmn`` profile's domain)."""
STATS_CLASS = "bare_spider.JsonStatsCollector"
SOURCE = {"root": ROOT}
"""Where measured processes import newscrawl from: the repository, or a snapshot of it."""
MEMORY_GOAL_MB = 300.0
RATIO_GOAL = 0.80
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


# --- processes -----------------------------------------------------------------------


@dataclass
class Measured:
    """What one finished subprocess cost."""

    returncode: int
    """Exit code (negative: killed by that signal)."""
    wall_seconds: float
    """From start to exit, interpreter start-up included."""
    peak_rss_mb: float
    """Peak resident set size of the process itself (``ru_maxrss``), in MiB."""
    tree_peak_rss_mb: float
    """Peak of the summed RSS of the process and its descendants (sampled), in MiB."""
    max_processes: int
    """Most processes seen at once in its tree (1: it started no worker)."""
    cpu_seconds: float
    """User plus system CPU time."""
    timed_out: bool
    """Whether it was killed for running past its time limit."""


def _parents() -> dict[int, int]:
    """Return ``{pid: parent pid}`` of every process visible in ``/proc``."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _rss_kib(pid: int) -> int:
    """Return the resident set size of ``pid`` in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMemory:
    """Sample the summed RSS of a process and all its descendants in a background thread."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        """Watch ``pid`` every ``interval`` seconds once started."""
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.max_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        """Take one sample: the tree's summed RSS and its number of processes."""
        children: dict[int, list[int]] = {}
        for pid, parent in _parents().items():
            children.setdefault(parent, []).append(pid)
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        self.peak_kib = max(self.peak_kib, sum(_rss_kib(pid) for pid in tree))
        self.max_processes = max(self.max_processes, len(tree))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        """Start sampling (only where ``/proc`` exists)."""
        if Path("/proc/self/status").exists():
            self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def run_measured(
    command: Sequence[str], log_path: Path, *, env: dict[str, str] | None = None, timeout: float
) -> Measured:
    """Run ``command`` in the project root, stdout and stderr to ``log_path``; measure it.

    The process is killed after ``timeout`` seconds (``timed_out`` then is true). CPU time
    and ``peak_rss_mb`` come from ``os.wait4``: CPU time includes the descendants it
    waited for, ``ru_maxrss`` is the largest single process. ``tree_peak_rss_mb`` is the
    sampled peak of the RSS summed over the process and its descendants (extraction
    workers included), ``max_processes`` the most of them seen at once.
    """
    started = time.perf_counter()
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            command, cwd=SOURCE["root"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            child.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        tree = TreeMemory(child.pid)
        tree.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            child.kill()
            child.wait()
            raise
        finally:
            timer.cancel()
            tree.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    return Measured(
        returncode=child.returncode,
        wall_seconds=time.perf_counter() - started,
        peak_rss_mb=peak,
        tree_peak_rss_mb=max(tree.peak_kib / 1024, peak),
        max_processes=max(tree.max_processes, 1),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        timed_out=expired.is_set(),
    )


@dataclass(frozen=True)
class Placement:
    """Which CPU the portal and the measured processes run on."""

    server_cpu: int | None
    """CPU the portal is pinned to (None: not pinned)."""
    client_cpu: int | None
    """CPU the crawlers and extractors are pinned to (None: not pinned)."""
    prefix: tuple[str, ...]
    """Command prefix that pins a measured process (``taskset -c N``), or empty."""

    @classmethod
    def detect(cls, pin: bool = True) -> Placement:
        """Return the server on the first usable CPU and clients on the second, when possible.

        With ``pin`` false, one CPU, or no ``taskset``, nothing is pinned.
        """
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        taskset = shutil.which("taskset")
        if not pin or len(cpus) < 2 or not taskset:
            return cls(None, None, ())
        return cls(cpus[0], cpus[1], (taskset, "-c", str(cpus[1])))


def snapshot_source(target: Path, worktree: bool = False) -> Path:
    """Copy the ``newscrawl`` package to ``target`` and measure that copy from now on.

    The copy is the package as committed (``git archive HEAD``), or with ``worktree`` as it
    is on disk. Others edit the repository while a benchmark runs for half an hour; the copy
    keeps every run on the same code. Returns ``target``; raises RuntimeError without git.
    """
    target.mkdir(parents=True, exist_ok=True)
    if worktree:
        shutil.copytree(
            ROOT / "newscrawl", target / "newscrawl", ignore=shutil.ignore_patterns("__pycache__")
        )
    else:
        try:
            archive = subprocess.run(
                ["git", "archive", "HEAD", "newscrawl"], cwd=ROOT, capture_output=True, check=True
            ).stdout
        except (OSError, subprocess.CalledProcessError) as exc:
            raise RuntimeError(f"cannot snapshot HEAD with git archive: {exc}") from exc
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    SOURCE["root"] = target
    return target


def bench_env() -> dict[str, str]:
    """Return the environment of measured processes: ours, with the measured source and
    ``bench/`` importable (before the installed package)."""
    env = dict(os.environ)
    paths = (str(SOURCE["root"]), str(BENCH_DIR), env.get("PYTHONPATH"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


# --- the portal ----------------------------------------------------------------------


class Portal:
    """``bench/portal.py`` running as a child process; use as a context manager."""

    def __init__(
        self, articles: int, seed: int, cpu: int | None, log_path: Path, timeout: float = 300.0
    ) -> None:
        """Describe the portal to start (it starts on ``__enter__``)."""
        self.command = [
            PYTHON,
            str(BENCH_DIR / "portal.py"),
            "--articles",
            str(articles),
            "--seed",
            str(seed),
            "--port",
            "0",
        ]
        if cpu is not None:
            self.command += ["--cpu", str(cpu)]
        self.log_path = log_path
        self.timeout = timeout
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.startup_seconds = 0.0

    def __enter__(self) -> Portal:
        """Start the portal and wait until it prints ``READY <url>``; raise RuntimeError if not."""
        started = time.perf_counter()
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True
            )
        timer = threading.Timer(self.timeout, self.process.kill)
        timer.start()
        try:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                if line.startswith("READY "):
                    self.base_url = line.removeprefix("READY ").strip()
                    break
        finally:
            timer.cancel()
        if not self.base_url:
            self.__exit__(None, None, None)
            raise RuntimeError(f"the portal did not start; see {self.log_path}")
        self.startup_seconds = time.perf_counter() - started
        return self

    def get(self, path_or_url: str) -> bytes:
        """Return the body of a page of the portal (a path, or a full URL on the portal)."""
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()

    def counters(self) -> dict[str, Any]:
        """Return the portal's request counters (``/__stats__``)."""
        return json.loads(self.get("/__stats__"))

    def __exit__(self, *exc_info: object) -> None:
        """Stop the portal (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- throughput ----------------------------------------------------------------------


def throughput_settings(concurrency: int) -> list[str]:
    """Return the ``-s NAME=VALUE`` options given to both crawlers, as a flat argument list."""
    values = {
        "LOG_LEVEL": "WARNING",
        "ROBOTSTXT_OBEY": "True",
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS": str(concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "STATS_CLASS": STATS_CLASS,
    }
    return [arg for name, value in values.items() for arg in ("-s", f"{name}={value}")]


def full_command(base_url: str, run_dir: Path, settings: Sequence[str]) -> list[str]:
    """Return the arguments (after ``python``) of a full newscrawl crawl into ``run_dir``."""
    return [
        "-m",
        "newscrawl.cli",
        "crawl",
        SITE,
        "--base-url",
        base_url,
        "-o",
        str(run_dir / "out"),
        "--state",
        str(run_dir / "state"),
        *settings,
        "-s",
        f"BENCH_STATS_FILE={run_dir / 'stats.json'}",
    ]


def bare_command(base_url: str, run_dir: Path, settings: Sequence[str]) -> list[str]:
    """Return the arguments (after ``python``) of a bare-spider crawl."""
    return [
        str(BENCH_DIR / "bare_spider.py"),
        "--base-url",
        base_url,
        *settings,
        "-s",
        f"BENCH_STATS_FILE={run_dir / 'stats.json'}",
    ]


def count_lines(path: Path) -> int:
    """Return the number of non-empty lines of a JSON Lines file (``.gz`` read through gzip)."""
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def log_problems(log_path: Path, limit: int = 5) -> tuple[int, list[str]]:
    """Return how many WARNING/ERROR/CRITICAL lines a crawl log has, and the first ``limit``."""
    lines = [
        line.rstrip()
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        if re.search(r"\b(WARNING|ERROR|CRITICAL|Traceback)\b", line)
    ]
    return len(lines), lines[:limit]


def crawl_once(
    kind: str,
    index: int,
    base_url: str,
    work: Path,
    settings: Sequence[str],
    placement: Placement,
    timeout: float,
    keep: bool,
) -> dict[str, Any]:
    """Run one ``full`` or ``bare`` crawl of the portal and return what it measured.

    The result has the Scrapy-stats figures (``pages``, ``elapsed_seconds``,
    ``pages_per_second``), the process figures (``peak_rss_mb``, ``tree_peak_rss_mb``,
    ``max_processes``, ``wall_seconds``, ``cpu_seconds``, ``exit_code``),
    ``pages_per_cpu_second`` (less sensitive to other load on the machine), and for
    ``full`` the run report's figures and the number of lines in its output files. Each
    run gets fresh folders under ``work``.
    """
    run_dir = work / f"{kind}-{index}"
    run_dir.mkdir(parents=True)
    build = full_command if kind == "full" else bare_command
    log_path = run_dir / "crawl.log"
    measured = run_measured(
        [*placement.prefix, PYTHON, *build(base_url, run_dir, settings)],
        log_path,
        env=bench_env(),
        timeout=timeout,
    )
    stats_path = run_dir / "stats.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    pages = int(stats.get("response_received_count", 0))
    elapsed = float(stats.get("elapsed_time_seconds", 0.0))
    warnings, first_warnings = log_problems(log_path)
    result: dict[str, Any] = {
        "kind": kind,
        "index": index,
        "pages": pages,
        "elapsed_seconds": round(elapsed, 3),
        "pages_per_second": round(pages / elapsed, 2) if elapsed else None,
        "pages_per_cpu_second": (
            round(pages / measured.cpu_seconds, 2) if measured.cpu_seconds else None
        ),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "tree_peak_rss_mb": round(measured.tree_peak_rss_mb, 1),
        "max_processes": measured.max_processes,
        "wall_seconds": round(measured.wall_seconds, 2),
        "cpu_seconds": round(measured.cpu_seconds, 2),
        "exit_code": measured.returncode,
        "timed_out": measured.timed_out,
        "finish_reason": stats.get("finish_reason"),
        "statuses": {
            key.rsplit("/", 1)[-1]: value
            for key, value in stats.items()
            if key.startswith("downloader/response_status_count/")
        },
        "requests_filtered_as_duplicates": stats.get("dupefilter/filtered", 0),
        "retries": stats.get("retry/count", 0),
        "log_warnings": warnings,
        "log_first_warnings": first_warnings,
    }
    if kind == "full":
        result.update(full_run_report(run_dir / "out"))
    if keep:
        result["folder"] = str(run_dir)
    else:
        shutil.rmtree(run_dir / "out", ignore_errors=True)
        shutil.rmtree(run_dir / "state", ignore_errors=True)
    return result


def full_run_report(out_dir: Path) -> dict[str, Any]:
    """Return the interesting parts of the run report a full crawl wrote under ``out_dir``.

    Adds ``output_lines``, the records actually found in the published files.
    """
    reports = sorted(out_dir.glob(f"{SITE}/*/*.report.json"))
    if not reports:
        return {"report": None}
    report = json.loads(reports[-1].read_text(encoding="utf-8"))
    record_files = [
        Path(p) for p in report.get("output_files", []) if "rejects" not in Path(p).name
    ]
    return {
        "report": {
            key: report.get(key)
            for key in (
                "status",
                "exit_code",
                "failures",
                "finish_reason",
                "duration_seconds",
                "pages_fetched",
                "pages_per_second",
                "articles_fetched",
                "records_written",
                "rejects",
                "rejects_by_kind",
                "duplicates_skipped",
                "duplicates_flagged",
                "skipped",
                "retries",
                "errors",
                "error_rate",
            )
        },
        "output_files": [p.name for p in record_files],
        "output_lines": sum(count_lines(p) for p in record_files if p.exists()),
    }


def spread(values: Sequence[float]) -> dict[str, float | None]:
    """Return the median, min and max of ``values`` (None each when there are none)."""
    if not values:
        return {"median": None, "min": None, "max": None}
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def summarize_throughput(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Return medians and extremes per kind, the full/bare ratio and the verdict on the goals."""
    summary: dict[str, Any] = {}
    for kind in ("full", "bare"):
        mine = [r for r in runs if r["kind"] == kind and r["pages_per_second"]]
        summary[kind] = {
            "runs": len(mine),
            "pages": spread([r["pages"] for r in mine]),
            "pages_per_second": spread([r["pages_per_second"] for r in mine]),
            "elapsed_seconds": spread([r["elapsed_seconds"] for r in mine]),
            "peak_rss_mb": spread([r["peak_rss_mb"] for r in mine]),
            "tree_peak_rss_mb": spread([r["tree_peak_rss_mb"] for r in mine]),
            "max_processes": max((r["max_processes"] for r in mine), default=None),
            "cpu_seconds": spread([r["cpu_seconds"] for r in mine]),
            "pages_per_cpu_second": spread([r["pages_per_cpu_second"] for r in mine]),
        }
    full = summary["full"]["pages_per_second"]["median"]
    bare = summary["bare"]["pages_per_second"]["median"]
    ratio = round(full / bare, 3) if full and bare else None
    peak = summary["full"]["tree_peak_rss_mb"]["max"]
    summary["ratio_full_to_bare"] = ratio
    full_cpu = summary["full"]["pages_per_cpu_second"]["median"]
    bare_cpu = summary["bare"]["pages_per_cpu_second"]["median"]
    summary["ratio_full_to_bare_per_cpu_second"] = (
        round(full_cpu / bare_cpu, 3) if full_cpu and bare_cpu else None
    )
    summary["goals"] = {
        "ratio_at_least": RATIO_GOAL,
        "ratio_met": ratio is not None and ratio >= RATIO_GOAL,
        "peak_rss_mb_below": MEMORY_GOAL_MB,
        "peak_rss_mb_full": peak,
        "peak_rss_is": "the full crawl's process tree (workers included), summed",
        "memory_met": peak is not None and peak < MEMORY_GOAL_MB,
    }
    return summary


def throughput_problems(runs: Sequence[dict[str, Any]], articles: int) -> list[str]:
    """Return what looked wrong in the crawls: failed runs, missing records, errors."""
    problems: list[str] = []
    pages_by_kind: dict[str, set[int]] = {}
    for run in runs:
        name = f"{run['kind']} run {run['index']}"
        pages_by_kind.setdefault(run["kind"], set()).add(run["pages"])
        if run["exit_code"] != 0 or run["timed_out"]:
            problems.append(f"{name}: exit code {run['exit_code']}, timed out {run['timed_out']}")
        if run["finish_reason"] != "finished":
            problems.append(f"{name}: finish reason {run['finish_reason']!r}")
        if not_ok := {k: v for k, v in run["statuses"].items() if k != "200"}:
            problems.append(f"{name}: non-200 responses {not_ok}")
        if run["log_warnings"]:
            problems.append(f"{name}: {run['log_warnings']} warning/error log lines")
        if run["kind"] != "full":
            continue
        report = run.get("report")
        if not report:
            problems.append(f"{name}: no run report was written")
            continue
        if report["status"] != "ok" or report["failures"]:
            problems.append(f"{name}: report status {report['status']}: {report['failures']}")
        if report["records_written"] != articles:
            problems.append(f"{name}: {report['records_written']} records for {articles} articles")
        if run["output_lines"] != report["records_written"]:
            problems.append(
                f"{name}: {run['output_lines']} lines in the output files, "
                f"{report['records_written']} records reported"
            )
        if known := (report.get("skipped") or {}).get("known"):
            problems.append(
                f"{name}: the report counts {known} known articles not fetched, "
                "though the run started with an empty state folder"
            )
        if report["rejects"] or report["errors"]:
            problems.append(
                f"{name}: rejects {report['rejects_by_kind']}, errors {report['errors']}"
            )
        if report["pages_fetched"] != run["pages"]:
            problems.append(
                f"{name}: report says {report['pages_fetched']} pages, stats {run['pages']}"
            )
    all_pages = set().union(*pages_by_kind.values()) if pages_by_kind else set()
    if len(all_pages) > 1:
        problems.append(f"the crawls received different page counts: {pages_by_kind}")
    return problems


# --- profile -------------------------------------------------------------------------


def short_name(func: tuple[str, int, str]) -> str:
    """Return ``path:line(function)`` for a pstats key, paths relative to the venv or repo."""
    filename, line, name = func
    if filename == "~":
        return name
    for marker in ("site-packages/", f"{SOURCE['root']}/", "/lib/python3."):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            if marker == "/lib/python3.":
                filename = "stdlib/" + filename.split("/", 1)[-1]
            break
    return f"{filename}:{line}({name})"


def code_key(func: Callable[..., Any]) -> tuple[str, int, str]:
    """Return the pstats key (file, first line, name) of a Python function."""
    code = inspect.unwrap(func).__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def code_key_of(name: str) -> tuple[str, int, str] | None:
    """Return the pstats key of ``"module:Class.function"``, or None when it does not exist."""
    module_name, _, qualname = name.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        return code_key(target)
    except (ImportError, AttributeError):
        return None


def package_of(func: tuple[str, int, str]) -> str:
    """Return the package a profiled function belongs to, for grouping its own time."""
    filename, _, name = func
    if filename == "~":
        for marker in ("lxml", "sqlite3", "json", "zlib", "hashlib"):
            if marker in name:
                return f"{marker} (C)"
        if "re.Pattern" in name or "_sre" in name:
            return "re (C)"
        if "select" in name or "epoll" in name:
            return "epoll wait (idle)"
        return "other built-ins"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    package = f"{SOURCE['root']}/newscrawl/"
    if package in filename:
        return "newscrawl." + filename.split(package, 1)[1].removesuffix(".py")
    if "/lib/python3." in filename:
        module = filename.split("/lib/python3.", 1)[1].split("/", 1)[-1]
        return "stdlib." + module.split("/", 1)[0].removesuffix(".py")
    return filename


DRIVERS = re.compile(
    r"runpy|cProfile|newscrawl/cli|scrapy/crawler|twisted/internet/(base|asyncioreactor)"
    r"|asyncio/(base_events|events)|builtins\.exec|<module>|<frozen importlib|_contextvars\.Context"
    r"|scrapy/utils/(asyncio|asyncgen|defer|python|decorators)|scrapy/core/spidermw"
    r"|scrapy/spidermiddlewares/"
)
"""Frames left out of the top list: start-up, the reactor and event loop, and Scrapy's
wrappers around spider callbacks and their output, whose cumulative time is mostly the
callbacks' own (``parse_article`` and so on), not overhead."""


def analyze_profile(path: Path, top: int = 15) -> dict[str, Any]:
    """Return the top functions of a cProfile file and a breakdown of where the time went.

    ``top_cumulative`` is the top ``top`` by cumulative time without the frames that only
    drive the run (:data:`DRIVERS`); ``top_cumulative_raw`` keeps them. ``breakdown`` gives
    the cumulative seconds of the pipeline's stages, ``own_time_by_package`` the own
    (exclusive) seconds summed per package.
    """
    from scrapy.crawler import CrawlerProcess

    if str(SOURCE["root"]) not in sys.path:  # the code keys must be those of the measured copy
        sys.path.insert(0, str(SOURCE["root"]))
    stats = pstats.Stats(str(path))
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values())

    def row(func: tuple[str, int, str]) -> dict[str, Any]:
        _, calls, own, cumulative, _ = entries[func]
        return {
            "function": short_name(func),
            "calls": calls,
            "own_seconds": round(own, 2),
            "cumulative_seconds": round(cumulative, 2),
            "cumulative_share": round(cumulative / total, 3) if total else None,
        }

    ranked = sorted(entries, key=lambda f: entries[f][3], reverse=True)
    inside = [f for f in ranked if not DRIVERS.search(short_name(f))]
    stages = {
        "extraction (extract_article)": ["newscrawl.extract:extract_article"],
        "record to dict (items.to_dict)": ["newscrawl.items:to_dict"],
        "validation pipeline": ["newscrawl.pipelines:ValidationPipeline.process_item"],
        "dedup pipeline (+ state store)": ["newscrawl.pipelines:DedupPipeline.process_item"],
        "writer pipeline": ["newscrawl.pipelines:JsonLinesWriterPipeline.process_item"],
        "writer close (publish batches)": [
            "newscrawl.pipelines:JsonLinesWriterPipeline.close_spider"
        ],
        "discovery (listing, feed, sitemap filter)": [
            "newscrawl.spiders.portal:PortalSpider.parse_listing",
            "newscrawl.spiders.portal:PortalSpider.parse_feed",
            "newscrawl.spiders.portal:PortalSpider.sitemap_filter",
        ],
    }
    breakdown = {}
    for label, names in stages.items():
        keys = [key for key in map(code_key_of, names) if key is not None]
        breakdown[label] = round(sum(entries[k][3] for k in keys if k in entries), 2)
    by_package: dict[str, float] = {}
    for func, entry in entries.items():
        name = package_of(func)
        by_package[name] = by_package.get(name, 0.0) + entry[2]
    packages = sorted(by_package.items(), key=lambda item: item[1], reverse=True)
    plumbing = ("scrapy", "twisted", "stdlib.asyncio", "other built-ins")
    breakdown["own time of scrapy, twisted, asyncio (+ built-ins)"] = round(
        sum(seconds for name, seconds in by_package.items() if name.startswith(plumbing)), 2
    )
    breakdown["idle (waiting in epoll)"] = round(by_package.get("epoll wait (idle)", 0.0), 2)
    crawl = code_key(CrawlerProcess.start)
    if crawl in entries:
        breakdown["start-up before the crawl (imports, settings)"] = round(
            total - entries[crawl][3], 2
        )
    return {
        "total_seconds": round(total, 2),
        "top_cumulative": [row(f) for f in inside[:top]],
        "top_cumulative_raw": [row(f) for f in ranked[:top]],
        "top_own": [row(f) for f in sorted(entries, key=lambda f: entries[f][2], reverse=True)][
            :top
        ],
        "breakdown": breakdown,
        "own_time_by_package": {name: round(seconds, 2) for name, seconds in packages[:20]},
    }


def profile_once(
    base_url: str,
    work: Path,
    settings: Sequence[str],
    placement: Placement,
    timeout: float,
    articles: int,
) -> dict[str, Any]:
    """Run one full crawl under cProfile and return its figures and :func:`analyze_profile`."""
    run_dir = work / "profile"
    run_dir.mkdir(parents=True)
    profile_path = run_dir / "crawl.prof"
    command = [
        *placement.prefix,
        PYTHON,
        "-m",
        "cProfile",
        "-o",
        str(profile_path),
        *full_command(base_url, run_dir, settings),
    ]
    measured = run_measured(command, run_dir / "crawl.log", env=bench_env(), timeout=timeout)
    stats_path = run_dir / "stats.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    result: dict[str, Any] = {
        "exit_code": measured.returncode,
        "wall_seconds": round(measured.wall_seconds, 2),
        "pages": stats.get("response_received_count"),
        "elapsed_seconds": stats.get("elapsed_time_seconds"),
        **full_run_report(run_dir / "out"),
    }
    if profile_path.exists():
        result.update(analyze_profile(profile_path))
    shutil.rmtree(run_dir / "out", ignore_errors=True)
    return result


# --- extraction ----------------------------------------------------------------------

EXTRACT_LINE = re.compile(
    r"(?P<pages>\d+) pages, (?P<failed>\d+) failed, (?P<seconds>[\d.]+) s "
    r"\(median (?P<median>[\d.]+) ms/page\)"
)


def fixture_manifest(target: Path) -> int:
    """Write a manifest of every article fixture of ``fixtures/jmn``; return how many.

    An article fixture is a ``<case>.html`` whose ``<case>.json`` has a record; its URL is
    the JSON's ``meta.url``.
    """
    lines = []
    for page in sorted((ROOT / "fixtures" / SITE).glob("*.html")):
        case = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        if case.get("record") is None:
            continue
        lines.append(json.dumps({"path": str(page), "url": case["meta"]["url"]}))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def sitemap_locs(document: bytes) -> list[str]:
    """Return the ``<loc>`` URLs of a sitemap or sitemap index, in document order."""
    root = ElementTree.fromstring(document)
    return [(loc.text or "").strip() for loc in root.iter(f"{SITEMAP_NS}loc")]


def portal_manifest(portal: Portal, folder: Path, pages: int) -> int:
    """Save up to ``pages`` article pages of the portal under ``folder`` and write a manifest.

    Articles are taken in post-sitemap order; each manifest URL is the page's jmn.info URL,
    as a crawl would record it. Returns how many pages were saved.
    """
    folder.mkdir(parents=True, exist_ok=True)
    urls: list[str] = []
    for sitemap in sitemap_locs(portal.get("/sitemap_index.xml")):
        if "post-sitemap" in sitemap and len(urls) < pages:
            urls += sitemap_locs(portal.get(sitemap))
    lines = []
    for number, url in enumerate(urls[:pages]):
        path = folder / f"{number:05d}.html"
        path.write_bytes(portal.get(url))
        parts = urlsplit(url)
        page_url = PORTAL_ORIGIN + parts.path + (f"?{parts.query}" if parts.query else "")
        lines.append(json.dumps({"path": path.name, "url": page_url}))
    (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def extract_bench(
    name: str, manifest: Path, work: Path, repeat: int, placement: Placement, timeout: float
) -> dict[str, Any]:
    """Run ``newscrawl extract --manifest`` ``repeat`` times; return per-run and median figures.

    ``median_ms_per_page`` is the command's own per-page median; ``mean_ms_per_page`` is its
    extraction time divided by the pages; ``wall_seconds`` includes start-up and imports.
    """
    runs = []
    for index in range(repeat):
        out = work / f"extract-{name}-{index}.jsonl"
        log = work / f"extract-{name}-{index}.log"
        command = [
            *placement.prefix,
            PYTHON,
            "-m",
            "newscrawl.cli",
            "extract",
            "--manifest",
            str(manifest),
            "-o",
            str(out),
        ]
        measured = run_measured(command, log, env=bench_env(), timeout=timeout)
        match = EXTRACT_LINE.search(log.read_text(encoding="utf-8", errors="replace"))
        run: dict[str, Any] = {
            "exit_code": measured.returncode,
            "wall_seconds": round(measured.wall_seconds, 2),
            "peak_rss_mb": round(measured.peak_rss_mb, 1),
        }
        if match:
            pages = int(match["pages"])
            run.update(
                pages=pages,
                failed=int(match["failed"]),
                extract_seconds=float(match["seconds"]),
                median_ms_per_page=float(match["median"]),
                mean_ms_per_page=round(float(match["seconds"]) * 1000 / pages, 2)
                if pages
                else None,
            )
        if out.exists():
            errors = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            run["error_pages"] = [e["path"] for e in errors if "error" in e][:10]
        runs.append(run)
    ok = [r for r in runs if "median_ms_per_page" in r]
    return {
        "pages": ok[0]["pages"] if ok else None,
        "repeat": repeat,
        "median_ms_per_page": spread([r["median_ms_per_page"] for r in ok]),
        "mean_ms_per_page": spread([r["mean_ms_per_page"] for r in ok if r["mean_ms_per_page"]]),
        "runs": runs,
    }


# --- reporting -----------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """Return what the numbers depend on: CPUs, memory, Python, Scrapy, load average."""
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        memory = round(int(meminfo[0].split()[1]) / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        pass
    import scrapy

    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": memory,
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def source_info() -> dict[str, Any]:
    """Return the git commit measured and the files that differed from it (others edit too)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return ""
        return done.stdout

    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {"commit": git("rev-parse", "HEAD").strip() or None, "uncommitted": changed}


def fmt(value: float | None, digits: int = 1) -> str:
    """Return ``value`` with ``digits`` decimals and thousands separators, or ``-``."""
    return "-" if value is None else f"{value:,.{digits}f}"


def print_report(result: dict[str, Any]) -> None:
    """Print a short human-readable table of ``result`` to stdout."""
    throughput = result.get("throughput")
    if throughput:
        summary = throughput["summary"]
        placement = result["placement"]
        pinned = (
            f"portal on CPU {placement['server_cpu']}, crawlers on CPU {placement['client_cpu']}"
            if placement["client_cpu"] is not None
            else "nothing pinned"
        )
        print(f"\nthroughput: {result['portal']['articles']:,}-article portal, "
              f"concurrency {result['concurrency']}, {result['repeat']} run(s) each")  # fmt: skip
        print(f"({pinned})")
        print(f"{'crawler':<8} {'pages':>7} {'pages/s median [min-max]':>26} "
              f"{'elapsed s':>10} {'peak RSS MiB':>13} {'processes':>10}")  # fmt: skip
        for kind in ("full", "bare"):
            s = summary[kind]
            pps = s["pages_per_second"]
            print(
                f"{kind:<8} {fmt(s['pages']['median'], 0):>7} "
                f"{fmt(pps['median']):>8} [{fmt(pps['min'])}-{fmt(pps['max'])}]".ljust(44)
                + f"{fmt(s['elapsed_seconds']['median']):>10} "
                f"{fmt(s['tree_peak_rss_mb']['max']):>13} {s['max_processes'] or '-':>10}"
            )
        goals = summary["goals"]
        print(
            f"ratio full/bare (medians): {fmt(summary['ratio_full_to_bare'], 3)} "
            f"(goal >= {RATIO_GOAL}: {'met' if goals['ratio_met'] else 'MISSED'}); "
            f"full peak RSS {fmt(goals['peak_rss_mb_full'])} MiB "
            f"(goal < {MEMORY_GOAL_MB:.0f} MB: {'met' if goals['memory_met'] else 'MISSED'})"
        )
    profile = result.get("profile")
    if profile and "breakdown" in profile:
        print(f"\nprofile (cProfile, one full crawl, {fmt(profile['total_seconds'])} s profiled):")
        for label, seconds in profile["breakdown"].items():
            print(f"  {label:<52} {fmt(seconds):>8} s")
        print("  own time by package:")
        for name, seconds in list(profile["own_time_by_package"].items())[:10]:
            print(f"  {name:<52} {fmt(seconds):>8} s")
        print("  top functions by cumulative time (start-up, loop and callback wrappers left out):")
        for row in profile["top_cumulative"]:
            print(f"  {fmt(row['cumulative_seconds']):>8} s  {row['function']}")
    extract_results = result.get("extract")
    if extract_results:
        print("\nextract --manifest (median of runs; ms per page):")
        for name, figures in extract_results.items():
            median = figures["median_ms_per_page"]
            print(
                f"  {name:<10} {figures['pages'] or 0:>5} pages: median {fmt(median['median'], 2)} "
                f"[{fmt(median['min'], 2)}-{fmt(median['max'], 2)}], "
                f"mean {fmt(figures['mean_ms_per_page']['median'], 2)}"
            )
    if result.get("problems"):
        print("\nproblems:")
        for problem in result["problems"]:
            print(f"  - {problem}")
    print(f"\nresults: {result['output']}")


@contextmanager
def work_folder(keep: bool) -> Iterator[Path]:
    """Yield a temporary folder, removed afterwards unless ``keep``."""
    path = Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    try:
        yield path
    finally:
        if keep:
            print(f"kept {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def progress(message: str) -> None:
    """Print a progress line on stderr."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen parts of the benchmark and return the result document."""
    everything = not (args.throughput or args.profile or args.extract)
    placement = Placement.detect(pin=not args.no_pin)
    now = datetime.now(UTC)
    output = Path(args.output) if args.output else RESULTS_DIR / f"throughput-{now:%Y-%m-%d}.json"
    settings = throughput_settings(args.concurrency)
    for item in args.set:
        settings += ["-s", item]
    result: dict[str, Any] = {
        "date": now.isoformat(timespec="seconds"),
        "command": " ".join([Path(PYTHON).name, *sys.argv]),
        "machine": machine_info(),
        "source": source_info(),
        "placement": {"server_cpu": placement.server_cpu, "client_cpu": placement.client_cpu},
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "crawler_settings": settings[1::2],
        "output": str(output),
        "problems": [],
    }
    with work_folder(args.keep) as work:
        if args.source != "live":
            snapshot_source(work / "src", worktree=args.source == "worktree")
            result["source"]["measured"] = (
                "the working tree at start" if args.source == "worktree" else "HEAD"
            )
        else:
            result["source"]["measured"] = "the working tree, live"
        progress(f"starting the portal ({args.articles} articles)")
        with Portal(args.articles, args.seed, placement.server_cpu, work / "portal.log") as portal:
            result["portal"] = {
                "articles": args.articles,
                "seed": args.seed,
                "startup_seconds": round(portal.startup_seconds, 1),
            }
            if everything or args.throughput:
                runs = []
                for index in range(args.repeat):
                    for kind in ("full", "bare"):
                        progress(f"{kind} crawl {index + 1}/{args.repeat}")
                        one = crawl_once(
                            kind,
                            index,
                            portal.base_url,
                            work,
                            settings,
                            placement,
                            args.timeout,
                            args.keep,
                        )
                        progress(
                            f"  {one['pages']} pages in {one['elapsed_seconds']} s: "
                            f"{one['pages_per_second']} pages/s, peak {one['peak_rss_mb']} MiB"
                        )
                        runs.append(one)
                result["throughput"] = {"runs": runs, "summary": summarize_throughput(runs)}
                result["problems"] += throughput_problems(runs, args.articles)
            if everything or args.profile:
                progress("full crawl under cProfile")
                result["profile"] = profile_once(
                    portal.base_url, work, settings, placement, args.timeout * 3, args.articles
                )
            if everything or args.extract:
                progress("extraction: fixtures")
                manifest = work / "fixtures.jsonl"
                fixture_manifest(manifest)
                extract_results = {
                    "fixtures": extract_bench(
                        "fixtures", manifest, work, args.extract_repeat, placement, args.timeout
                    )
                }
                progress(f"extraction: fetching {args.extract_pages} portal pages")
                pages_dir = work / "pages"
                portal_manifest(portal, pages_dir, args.extract_pages)
                progress("extraction: portal pages")
                extract_results["portal"] = extract_bench(
                    "portal",
                    pages_dir / "manifest.jsonl",
                    work,
                    args.extract_repeat,
                    placement,
                    args.timeout,
                )
                for name, figures in extract_results.items():
                    for index, one in enumerate(figures["runs"]):
                        if one["exit_code"] != 0 or one.get("failed"):
                            result["problems"].append(
                                f"extract {name} run {index}: exit code {one['exit_code']}, "
                                f"{one.get('failed')} failed pages {one.get('error_pages')}"
                            )
                result["extract"] = extract_results
            result["portal"]["counters"] = portal.counters()
    result["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["source_after"] = source_info()
    changed = {k: v for k, v in result["source_after"].items() if result["source"].get(k) != v}
    if changed and args.source == "live":
        result["problems"].append(
            "the source tree changed while the benchmark ran (see source and source_after)"
        )
    return result


def _interrupt(signum: int, frame: object) -> None:
    """Turn a signal into KeyboardInterrupt, so that child processes get stopped."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, write the JSON result and print the table; 1 if a crawl broke."""
    parser = argparse.ArgumentParser(
        description="Benchmark newscrawl's crawl pipeline against a bare Scrapy spider."
    )
    parser.add_argument("--articles", type=int, default=10_000, help="posts on the portal")
    parser.add_argument("--seed", type=int, default=1, help="portal generation seed")
    parser.add_argument("--repeat", type=int, default=3, help="crawls of each kind")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN)"
    )
    parser.add_argument("--throughput", action="store_true", help="run the crawl comparison")
    parser.add_argument("--profile", action="store_true", help="run the profiled crawl")
    parser.add_argument("--extract", action="store_true", help="run the extraction benchmark")
    parser.add_argument("--extract-repeat", type=int, default=5, help="runs of each manifest")
    parser.add_argument("--extract-pages", type=int, default=1000, help="portal pages to extract")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per crawl")
    parser.add_argument(
        "--output", help="result JSON (default: bench/results/throughput-DATE.json)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument(
        "--source",
        choices=("head", "worktree", "live"),
        default="head",
        help="newscrawl code to measure: a copy of HEAD (default), a copy of the working "
        "tree made at start, or the working tree live (changes mid-run count)",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="pin neither the portal nor the crawlers (lets newscrawl use extraction workers)",
    )
    parser.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one more Scrapy setting for both crawlers (the bare spider ignores NEWSCRAWL_*)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # stop the portal and the crawl on SIGTERM too
    if args.articles < 1 or args.repeat < 1 or args.extract_repeat < 1:
        parser.error("--articles, --repeat and --extract-repeat must be at least 1")
    result = run(args)
    output = Path(result["output"])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_report(result)
    broken = [
        r
        for r in result.get("throughput", {}).get("runs", [])
        if r["exit_code"] != 0 or r["finish_reason"] != "finished"
    ]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
