"""Throughput benchmark of newscrawl: the full crawl pipeline next to a bare Scrapy spider.

What it runs, all on 127.0.0.1 (``bench/README.md`` describes the portal and the results):

1. **throughput** — starts ``bench/portal.py`` (a generated Sahifa portal of ``--articles``
   posts) and crawls it ``--repeat`` times with each crawler kind of ``--kinds``, the kinds
   alternating within each repeat (full, full-workers, bare, bare-tuned, full, ...):
   - ``full``: the full pipeline, ``python -m newscrawl.cli crawl jmn --base-url ...``
     (fresh output and state folders every time), extracting in the crawl process
     (``-s NEWSCRAWL_EXTRACT_PROCESSES=0``);
   - ``full-workers``: the same with ``-s NEWSCRAWL_EXTRACT_PROCESSES=1``: one extraction
     worker process (``python -m newscrawl.workers jmn``), started by the crawl process;
   - ``full-baseline`` (only with ``--baseline REV``): ``full`` with the package of git
     revision ``REV``, to compare a change with the code before it in the same run;
   - ``bare``: ``bench/bare_spider.py``, a plain Scrapy spider that follows the same links
     and drops every page;
   - ``bare-tuned``: the bare spider with the Scrapy-level tuning newscrawl applies to its
     crawl process: its ``newscrawl.extensions.GcTuning`` extension with the measured
     newscrawl's ``NEWSCRAWL_GC_*`` settings, its ``CONCURRENT_ITEMS``, and its downloader
     middlewares that stand in for Scrapy's own for speed alone (``SPEED_MIDDLEWARES``:
     ``SkimMetaRefreshMiddleware``, Scrapy's meta refreshes without decoding every page).
     Such tuning would speed up any Scrapy spider, so the ratio against ``bare-tuned`` is
     what the pipeline itself costs.

   All get the same throughput settings (``-s``, plus ``--set``) and report their Scrapy
   stats through ``bare_spider.JsonStatsCollector``. The portal is pinned to the first CPU;
   the crawlers, and the workers they start, may run on any CPU (``--pin-crawlers``: on the
   second CPU only, ``--no-pin``: nothing pinned). Pages/s is
   ``response_received_count / elapsed_time_seconds``. Every crawl's process tree (the crawl
   and its workers) is sampled every 0.25 s for its summed RSS and summed PSS: RSS counts a
   page shared by several processes (libpython, lxml, numpy) once per process, PSS splits
   it among them, so the PSS sum is the tree's real footprint. ``cpu_seconds`` is the crawl
   process's CPU time from ``os.wait4``; ``tree_cpu_seconds`` adds its workers' (the
   benchmark becomes their subreaper and waits for those the crawl leaves behind) and gives
   ``pages_per_cpu_second``. Each full kind is compared with ``bare`` and ``bare-tuned``
   (ratios of the medians of pages/s, and of pages per CPU second); the goals are a ratio
   of at least 0.8 against ``bare`` and a peak below 300 MB, checked on the summed RSS
   (conservative) and, separately, on the summed PSS.
2. **profile** — one more full-pipeline crawl (extraction as newscrawl's settings say)
   under cProfile: the top functions by cumulative time, and where the time goes
   (extraction, validation, writing, Scrapy).
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
    python bench/run.py --throughput --kinds full,bare  # only these crawlers
    python bench/run.py --throughput --pin-crawlers     # all crawl processes on one CPU
    python bench/run.py --throughput --kinds full,full-baseline,bare-tuned --baseline main
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import functools
import gzip
import importlib
import importlib.util
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
BASELINE: dict[str, Path] = {}
"""``root``: where the ``--baseline`` revision's package was copied."""
"""Where measured processes import newscrawl from: the repository, or a snapshot of it."""
MEMORY_GOAL_MB = 300.0
MEMORY_GOAL_MIB = MEMORY_GOAL_MB * 1e6 / 2**20
"""The memory goal is 300 MB (10^6 bytes), 286.1 MiB; memory figures are in MiB."""
RATIO_GOAL = 0.80
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
KINDS = ("full", "full-workers", "bare", "bare-tuned", "full-baseline")
"""The crawlers the throughput part can run (``--kinds``)."""
DEFAULT_KINDS = KINDS[:4]
"""The crawlers run when ``--kinds`` is not given, in order."""
BASELINE_KIND = "full-baseline"
"""``full`` with the package of another git revision (``--baseline REV``)."""
FULL_KINDS = ("full", "full-workers", BASELINE_KIND)
"""The kinds that run the full newscrawl crawl (the others run ``bench/bare_spider.py``)."""
BARE_KINDS = ("bare", "bare-tuned")
"""The baselines the full kinds are compared with."""
GC_EXTENSION = "newscrawl.extensions.GcTuning"
GC_SETTINGS = ("NEWSCRAWL_GC_THRESHOLD", "NEWSCRAWL_GC_FREEZE")
"""GC settings the measured newscrawl must have for bare-tuned; bare-tuned gets every one of
``GC_PREFIX``, and the measured newscrawl's ``SCRAPY_TUNING`` settings that it defines."""
GC_PREFIX = "NEWSCRAWL_GC_"
SCRAPY_TUNING = ("CONCURRENT_ITEMS",)
"""Scrapy settings newscrawl sets for speed alone, which bare-tuned takes over."""
SPEED_MIDDLEWARES = {
    "newscrawl.middlewares.SkimMetaRefreshMiddleware": (
        "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"
    ),
}
"""newscrawl's downloader middlewares that do what a Scrapy one does, faster, and the Scrapy
one each replaces: bare-tuned takes over those the measured newscrawl enables, with the
Scrapy one off, as ``DOWNLOADER_MIDDLEWARES``."""


# --- processes -----------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
"""Clock ticks per second: the unit of the CPU times in ``/proc/<pid>/stat``."""
PR_SET_CHILD_SUBREAPER = 36
ORPHAN_GRACE_SECONDS = 10.0
"""How long the processes a measured process leaves behind may take to end before SIGKILL."""


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
    tree_peak_pss_mb: float | None
    """Peak of the summed PSS of the process and its descendants (sampled), in MiB; None
    when ``/proc/<pid>/smaps_rollup`` could never be read."""
    max_processes: int
    """Most processes seen at once in its tree (1: it started no worker)."""
    cpu_seconds: float
    """User plus system CPU time from ``os.wait4``: the process and the descendants it
    waited for itself."""
    tree_cpu_seconds: float
    """User plus system CPU time of the process and all its descendants (see
    :func:`run_measured` for how descendants that it did not wait for are counted)."""
    tree_cpu_sampled_seconds: float
    """``cpu_seconds`` plus the last sampled CPU time of every descendant (the sampled
    estimate; too low by what a descendant spent after its last sample, and too high by the
    CPU of descendants the process waited for itself, which ``cpu_seconds`` has already)."""
    tree_cpu_exact: bool
    """Whether ``tree_cpu_seconds`` comes from ``os.wait4`` alone (this process was the
    subreaper of the tree) rather than from ``tree_cpu_sampled_seconds``."""
    orphans: int
    """Processes of its tree that outlived it (this process waited for them)."""
    timed_out: bool
    """Whether it was killed for running past its time limit."""


@dataclass(frozen=True)
class ProcStat:
    """The parts of ``/proc/<pid>/stat`` that the sampler uses."""

    pid: int
    parent: int
    """Parent pid (field 4)."""
    cpu_seconds: float
    """User plus system CPU time of the process itself (fields 14 and 15), in seconds."""
    start: int
    """Start time in clock ticks after boot (field 22): with the pid, names one process."""


def _proc_stat(pid: int) -> ProcStat | None:
    """Return the parsed ``/proc/<pid>/stat`` of ``pid``, or None when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return ProcStat(
            pid=pid,
            parent=int(fields[1]),
            cpu_seconds=(int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
            start=int(fields[19]),
        )
    except (OSError, IndexError, ValueError):
        return None


def _proc_stats() -> dict[int, ProcStat]:
    """Return the :class:`ProcStat` of every process visible in ``/proc``, by pid."""
    stats = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            stats[stat.pid] = stat
    return stats


def _rss_kib(pid: int) -> int:
    """Return the resident set size of ``pid`` in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kib(pid: int) -> int | None:
    """Return the proportional set size of ``pid`` in KiB, or None when it cannot be read.

    It is the ``Pss:`` line of ``/proc/<pid>/smaps_rollup`` (Linux 4.14 and later).
    """
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class TreeSampler:
    """Sample a process and all its descendants in a background thread, every 0.25 s.

    Each sample records the tree's summed RSS and summed PSS, its number of processes, and
    for every descendant its CPU time so far (``last_cpu``). RSS summed over processes
    counts each shared page (libpython, the lxml and numpy libraries, pages shared with the
    parent after fork) once per process that maps it, so the sum overstates a tree of
    several Python processes; PSS (proportional set size) splits each shared page among the
    processes that share it, so the sum of PSS is what the tree really occupies. Both are
    peaks of samples: a peak between two samples is missed. A descendant's CPU time is known
    up to its last sample only: what it spent in its last 0.25 s or so before it ended may
    be missed (see :func:`run_measured` for the exact figure).
    """

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        """Watch ``pid`` every ``interval`` seconds once started."""
        self.pid = pid
        self.interval = interval
        self.peak_rss_kib = 0
        self.peak_pss_kib: int | None = None
        """Peak summed PSS; None until the PSS of some process of the tree could be read."""
        self.max_processes = 0
        self.last_cpu: dict[tuple[int, int], float] = {}
        """``(pid, start time)`` of every descendant seen -> its last sampled CPU seconds."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        """Take one sample of the tree: summed RSS and PSS, processes, descendants' CPU."""
        stats = _proc_stats()
        children: dict[int, list[int]] = {}
        for stat in stats.values():
            children.setdefault(stat.parent, []).append(stat.pid)
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        self.peak_rss_kib = max(self.peak_rss_kib, sum(_rss_kib(pid) for pid in tree))
        pss = [kib for kib in map(_pss_kib, tree) if kib is not None]
        if pss:
            self.peak_pss_kib = max(self.peak_pss_kib or 0, sum(pss))
        self.max_processes = max(self.max_processes, len(tree))
        for pid in tree:
            if pid != self.pid and (stat := stats.get(pid)) is not None:
                self.last_cpu[(pid, stat.start)] = stat.cpu_seconds

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        """Start sampling (only where ``/proc`` exists)."""
        if Path("/proc/self/status").exists():
            self._thread.start()

    def stop(self) -> None:
        """Stop sampling; the figures no longer change once this returns."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


@functools.cache
def become_subreaper() -> bool:
    """Make this process the subreaper of its descendants; return whether that worked.

    Then a process whose parent ends before it is handed to us instead of to init, so that
    :func:`run_measured` can wait for it and count its CPU time (Linux 3.4 and later).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def reap_orphans(since: int, grace: float = ORPHAN_GRACE_SECONDS) -> dict[int, float]:
    """Wait for the processes a finished measured process left behind; return their CPU.

    They are this process's children (as subreaper, see :func:`become_subreaper`) started
    at or after clock tick ``since``, the measured process's start: no other child of ours
    starts while one is measured. Those still running after ``grace`` seconds are killed.
    Returns ``{pid: user plus system CPU seconds}`` from ``os.wait4``, which includes the
    descendants each of them waited for.
    """
    me = os.getpid()
    cpu: dict[int, float] = {}
    deadline = time.monotonic() + grace
    while True:
        left = [
            s.pid
            for s in _proc_stats().values()
            if s.parent == me and s.start >= since and s.pid not in cpu
        ]
        if not left:
            return cpu
        for pid in left:
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            try:
                done, _, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:  # not ours after all, or already waited for
                cpu[pid] = 0.0
                continue
            if done:
                cpu[pid] = usage.ru_utime + usage.ru_stime
        time.sleep(0.05)


def run_measured(
    command: Sequence[str], log_path: Path, *, env: dict[str, str] | None = None, timeout: float
) -> Measured:
    """Run ``command`` in the project root, stdout and stderr to ``log_path``; measure it.

    The process is killed after ``timeout`` seconds (``timed_out`` then is true).
    ``cpu_seconds`` and ``peak_rss_mb`` come from ``os.wait4``: the CPU time includes the
    descendants the process waited for itself, ``ru_maxrss`` is the largest single process.
    ``tree_peak_rss_mb``, ``tree_peak_pss_mb`` and ``max_processes`` are sampled over the
    process and its descendants (extraction workers included), see :class:`TreeSampler`.

    ``tree_cpu_seconds`` adds the CPU time of the descendants the process did not wait for
    (a crawl does not always wait for its extraction workers before it exits). On Linux this
    process becomes their subreaper, waits for them once the measured process has ended
    (they end then: workers die with their parent) and adds their ``os.wait4`` CPU time:
    every descendant is then counted exactly once, in full. Where that is impossible it
    adds each descendant's last sampled CPU time instead (``tree_cpu_sampled_seconds``,
    which misses a descendant's last moments and counts twice one that the process waited
    for); ``tree_cpu_exact`` says which.
    """
    subreaper = become_subreaper()
    started = time.perf_counter()
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            command, cwd=SOURCE["root"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        root = _proc_stat(child.pid)
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            child.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        tree = TreeSampler(child.pid)
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
    wall_seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    orphans = reap_orphans(root.start) if subreaper and root is not None else {}
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    sampled = cpu + sum(tree.last_cpu.values())
    exact = subreaper and root is not None
    return Measured(
        returncode=child.returncode,
        wall_seconds=wall_seconds,
        peak_rss_mb=peak,
        tree_peak_rss_mb=max(tree.peak_rss_kib / 1024, peak),
        tree_peak_pss_mb=None if tree.peak_pss_kib is None else tree.peak_pss_kib / 1024,
        max_processes=max(tree.max_processes, 1),
        cpu_seconds=cpu,
        tree_cpu_seconds=cpu + sum(orphans.values()) if exact else sampled,
        tree_cpu_sampled_seconds=sampled,
        tree_cpu_exact=exact,
        orphans=len(orphans),
        timed_out=expired.is_set(),
    )


@dataclass(frozen=True)
class Placement:
    """Which CPU the portal and the measured processes run on."""

    server_cpu: int | None
    """CPU the portal is pinned to (None: not pinned)."""
    client_cpu: int | None
    """CPU the crawlers and extractors are pinned to (None: not pinned, any CPU)."""
    prefix: tuple[str, ...]
    """Command prefix that pins a measured process (``taskset -c N``), or empty."""

    @classmethod
    def detect(cls, pin_portal: bool = True, pin_crawlers: bool = False) -> Placement:
        """Return where to run the portal and the measured processes.

        With ``pin_portal``, the portal goes on the first usable CPU; with ``pin_crawlers``
        too, the measured processes (and the workers they start) go on the second. Measured
        processes that are not pinned may run on any CPU, the portal's included. Nothing is
        pinned with one CPU or without ``taskset``.
        """
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        taskset = shutil.which("taskset")
        if not pin_portal or len(cpus) < 2 or not taskset:
            return cls(None, None, ())
        if not pin_crawlers:
            return cls(cpus[0], None, ())
        return cls(cpus[0], cpus[1], (taskset, "-c", str(cpus[1])))

    def describe(self) -> str:
        """Return the placement in words, for the report."""
        portal = (
            "portal not pinned" if self.server_cpu is None else f"portal on CPU {self.server_cpu}"
        )
        crawlers = (
            "crawlers on any CPU"
            if self.client_cpu is None
            else f"crawlers (and their workers) on CPU {self.client_cpu}"
        )
        return f"{portal}, {crawlers}"

    def as_dict(self) -> dict[str, Any]:
        """Return the placement for the result document."""
        return {
            "server_cpu": self.server_cpu,
            "client_cpu": self.client_cpu,
            "description": self.describe(),
        }


def snapshot_source(target: Path, worktree: bool = False, revision: str | None = None) -> Path:
    """Copy the ``newscrawl`` package to ``target`` and measure that copy from now on.

    The copy is the package as committed (``git archive HEAD``), or with ``worktree`` as it
    is on disk. Others edit the repository while a benchmark runs for half an hour; the copy
    keeps every run on the same code. With ``revision``, the package of that git revision
    is copied for the ``full-baseline`` kind instead (:data:`BASELINE`). Returns ``target``;
    raises RuntimeError without git or for an unknown revision.
    """
    target.mkdir(parents=True, exist_ok=True)
    if worktree:
        shutil.copytree(
            ROOT / "newscrawl", target / "newscrawl", ignore=shutil.ignore_patterns("__pycache__")
        )
    else:
        try:
            archive = subprocess.run(
                ["git", "archive", revision or "HEAD", "newscrawl"],
                cwd=ROOT,
                capture_output=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError) as exc:
            raise RuntimeError(
                f"cannot snapshot {revision or 'HEAD'} with git archive: {exc}"
            ) from exc
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    if revision is not None:
        BASELINE["root"] = target
    else:
        SOURCE["root"] = target
    return target


def bench_env(root: Path | None = None) -> dict[str, str]:
    """Return the environment of measured processes: ours, with the measured source (or the
    package at ``root``) and ``bench/`` importable (before the installed package)."""
    env = dict(os.environ)
    paths = (str(root or SOURCE["root"]), str(BENCH_DIR), env.get("PYTHONPATH"))
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
    """Return the ``-s NAME=VALUE`` options given to every crawler, as a flat argument list."""
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


def parse_kinds(text: str) -> list[str]:
    """Return the kinds named in a comma-separated list, in its order, each once.

    Raises ValueError for an unknown kind or an empty list.
    """
    kinds = list(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    if unknown := [k for k in kinds if k not in KINDS]:
        raise ValueError(f"unknown crawler kind(s) {unknown}; choose from {', '.join(KINDS)}")
    if not kinds:
        raise ValueError("no crawler kind given")
    return kinds


def measured_tuning() -> dict[str, Any]:
    """Return the Scrapy-level tuning of the measured newscrawl, as newscrawl applies it.

    Reads ``newscrawl/settings.py`` of the measured source (:data:`SOURCE`) and returns
    ``{"EXTENSIONS": {GcTuning: order}, "DOWNLOADER_MIDDLEWARES": {...},
    "NEWSCRAWL_GC_THRESHOLD": ..., ...}`` with every ``NEWSCRAWL_GC_*`` setting it defines,
    those of :data:`SCRAPY_TUNING`, and in ``DOWNLOADER_MIDDLEWARES`` each of
    :data:`SPEED_MIDDLEWARES` it enables (at its order) with the Scrapy middleware it replaces
    set to None (an empty dict when it enables none). Raises
    RuntimeError when that source has no ``GcTuning`` extension or lacks one of
    ``GC_SETTINGS``.
    """
    package = Path(SOURCE["root"]) / "newscrawl"
    spec = importlib.util.spec_from_file_location(
        "_bench_measured_settings", package / "settings.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot read {package / 'settings.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    extensions = getattr(module, "EXTENSIONS", {})
    extension_file = package / "extensions.py"
    if (
        GC_EXTENSION not in extensions
        or not all(hasattr(module, name) for name in GC_SETTINGS)
        or not extension_file.exists()
        or "class GcTuning" not in extension_file.read_text(encoding="utf-8")
    ):
        raise RuntimeError(
            f"the measured newscrawl ({package}) has no {GC_EXTENSION} with "
            f"{' and '.join(GC_SETTINGS)}; the bare-tuned crawler needs them (commit them, use "
            "--source worktree, or leave bare-tuned out of --kinds)"
        )
    tuning = {
        name: getattr(module, name)
        for name in dir(module)
        if name.startswith(GC_PREFIX) or name in SCRAPY_TUNING
    }
    middlewares: dict[str, int | None] = {}
    enabled = getattr(module, "DOWNLOADER_MIDDLEWARES", {})
    for fast, scrapy_own in SPEED_MIDDLEWARES.items():
        if enabled.get(fast) is not None:
            middlewares[scrapy_own] = None
            middlewares[fast] = enabled[fast]
    return {
        "EXTENSIONS": {GC_EXTENSION: extensions[GC_EXTENSION]},
        "DOWNLOADER_MIDDLEWARES": middlewares,
        **tuning,
    }


def kind_settings(
    kinds: Sequence[str], common: Sequence[str], extra: Sequence[str]
) -> dict[str, list[str]]:
    """Return each kind's ``-s NAME=VALUE`` options, as flat argument lists.

    Every kind gets ``common`` (:func:`throughput_settings`), then ``extra`` (``--set``),
    then what makes it that kind, which ``extra`` cannot override:
    ``NEWSCRAWL_EXTRACT_PROCESSES=0`` for ``full`` and ``=1`` for ``full-workers``; for
    ``bare-tuned``, newscrawl's ``GcTuning`` extension in ``EXTENSIONS`` and its speed-only
    middlewares in ``DOWNLOADER_MIDDLEWARES`` (JSON dicts, which Scrapy merges with its
    defaults; the latter left out when empty). ``bare-tuned`` also gets newscrawl's
    ``NEWSCRAWL_GC_*`` and ``SCRAPY_TUNING`` values (:func:`measured_tuning`) before
    ``extra``, so that ``--set NEWSCRAWL_GC_THRESHOLD=...`` changes the full kinds and
    ``bare-tuned`` alike.
    """

    def options(values: dict[str, Any]) -> list[str]:
        return [arg for name, value in values.items() for arg in ("-s", f"{name}={value}")]

    result: dict[str, list[str]] = {}
    for kind in kinds:
        before: list[str] = []
        after: list[str] = []
        if kind in FULL_KINDS:
            # full-baseline: in-process extraction, as full
            after = options({"NEWSCRAWL_EXTRACT_PROCESSES": 1 if kind == "full-workers" else 0})
        elif kind == "bare-tuned":
            tuning = measured_tuning()
            components = ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES")
            before = options({k: v for k, v in tuning.items() if k not in components})
            after = options({k: json.dumps(tuning[k]) for k in components if tuning[k]})
        result[kind] = [*common, *before, *extra, *after]
    return result


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
    """Run one crawl of the portal by a crawler of ``kind`` and return what it measured.

    ``settings`` are the kind's ``-s`` options (:func:`kind_settings`). The result has the
    Scrapy-stats figures (``pages``, ``elapsed_seconds``, ``pages_per_second``), the process
    figures of :func:`run_measured` (``peak_rss_mb``, ``tree_peak_rss_mb``,
    ``tree_peak_pss_mb``, ``max_processes``, ``wall_seconds``, ``cpu_seconds`` of the crawl
    process, ``tree_cpu_seconds`` of it and its workers, ``orphans``, ``exit_code``),
    ``pages_per_cpu_second`` (pages per second of tree CPU: less sensitive to other load on
    the machine), and for the full kinds the run report's figures and the number of lines in
    its output files. Each run gets fresh folders under ``work``.
    """
    run_dir = work / f"{kind}-{index}"
    run_dir.mkdir(parents=True)
    build = full_command if kind in FULL_KINDS else bare_command
    log_path = run_dir / "crawl.log"
    measured = run_measured(
        [*placement.prefix, PYTHON, *build(base_url, run_dir, settings)],
        log_path,
        env=bench_env(BASELINE["root"] if kind == BASELINE_KIND else None),
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
            round(pages / measured.tree_cpu_seconds, 2) if measured.tree_cpu_seconds else None
        ),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "tree_peak_rss_mb": round(measured.tree_peak_rss_mb, 1),
        "tree_peak_pss_mb": (
            None if measured.tree_peak_pss_mb is None else round(measured.tree_peak_pss_mb, 1)
        ),
        "max_processes": measured.max_processes,
        "wall_seconds": round(measured.wall_seconds, 2),
        "cpu_seconds": round(measured.cpu_seconds, 2),
        "tree_cpu_seconds": round(measured.tree_cpu_seconds, 2),
        "tree_cpu_sampled_seconds": round(measured.tree_cpu_sampled_seconds, 2),
        "tree_cpu_exact": measured.tree_cpu_exact,
        "orphans": measured.orphans,
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
    if kind in FULL_KINDS:
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


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """Return ``numerator / denominator`` to 3 decimals, or None when either is missing."""
    return round(numerator / denominator, 3) if numerator and denominator else None


def summarize_throughput(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Return medians and extremes per kind, the full/bare ratios and the verdict on the goals.

    One entry per kind that ran (in :data:`KINDS` order), counting the runs that received
    pages. ``ratios`` holds, for each full kind against each bare kind that ran
    (``"full/bare"``, ``"full-workers/bare-tuned"``, ...), the ratio of the medians of pages/s;
    ``ratios_per_cpu_second`` the same for pages per second of tree CPU.
    ``ratio_full_to_bare`` and ``ratio_full_to_bare_per_cpu_second`` repeat ``full/bare``.
    ``goals`` gives, per full kind, whether it reaches :data:`RATIO_GOAL` of ``bare`` and
    stays under :data:`MEMORY_GOAL_MB` in peak summed RSS of its tree (conservative: shared
    pages counted once per process) and in peak summed PSS (its real footprint); the
    top-level ``ratio_met``, ``peak_rss_mb_full``, ``peak_pss_mb_full``, ``memory_met`` and
    ``memory_met_pss`` are those of ``full`` (None when ``full`` did not run).
    """
    summary: dict[str, Any] = {}
    ran = {r["kind"] for r in runs}
    kinds = [k for k in KINDS if k in ran]
    for kind in kinds:
        mine = [r for r in runs if r["kind"] == kind and r["pages_per_second"]]
        summary[kind] = {
            "runs": len(mine),
            "pages": spread([r["pages"] for r in mine]),
            "pages_per_second": spread([r["pages_per_second"] for r in mine]),
            "elapsed_seconds": spread([r["elapsed_seconds"] for r in mine]),
            "peak_rss_mb": spread([r["peak_rss_mb"] for r in mine]),
            "tree_peak_rss_mb": spread([r["tree_peak_rss_mb"] for r in mine]),
            "tree_peak_pss_mb": spread(
                [r["tree_peak_pss_mb"] for r in mine if r["tree_peak_pss_mb"] is not None]
            ),
            "max_processes": max((r["max_processes"] for r in mine), default=None),
            "cpu_seconds": spread([r["cpu_seconds"] for r in mine]),
            "tree_cpu_seconds": spread([r["tree_cpu_seconds"] for r in mine]),
            "pages_per_cpu_second": spread(
                [r["pages_per_cpu_second"] for r in mine if r["pages_per_cpu_second"]]
            ),
        }
    ratios: dict[str, float | None] = {}
    per_cpu: dict[str, float | None] = {}
    for full in (k for k in kinds if k in FULL_KINDS):
        for bare in (k for k in kinds if k in BARE_KINDS):
            name = f"{full}/{bare}"
            ratios[name] = ratio(
                summary[full]["pages_per_second"]["median"],
                summary[bare]["pages_per_second"]["median"],
            )
            per_cpu[name] = ratio(
                summary[full]["pages_per_cpu_second"]["median"],
                summary[bare]["pages_per_cpu_second"]["median"],
            )
    summary["ratios"] = ratios
    summary["ratios_per_cpu_second"] = per_cpu
    summary["ratio_full_to_bare"] = ratios.get("full/bare")
    summary["ratio_full_to_bare_per_cpu_second"] = per_cpu.get("full/bare")
    by_kind: dict[str, dict[str, Any]] = {}
    for full in (k for k in kinds if k in FULL_KINDS):
        against_bare = ratios.get(f"{full}/bare")
        rss = summary[full]["tree_peak_rss_mb"]["max"]
        pss = summary[full]["tree_peak_pss_mb"]["max"]
        by_kind[full] = {
            "ratio_to_bare": against_bare,
            "ratio_met": None if against_bare is None else against_bare >= RATIO_GOAL,
            "peak_rss_mb": rss,
            "memory_met": None if rss is None else rss < MEMORY_GOAL_MIB,
            "peak_pss_mb": pss,
            "memory_met_pss": None if pss is None else pss < MEMORY_GOAL_MIB,
        }
    full_goals = by_kind.get("full", {})
    summary["goals"] = {
        "ratio_at_least": RATIO_GOAL,
        "ratio_against": "bare (medians of pages/s)",
        "ratio_met": full_goals.get("ratio_met"),
        "peak_rss_mib_below": round(MEMORY_GOAL_MIB, 1),
        "peak_rss_mb_full": full_goals.get("peak_rss_mb"),
        "peak_pss_mb_full": full_goals.get("peak_pss_mb"),
        "peak_rss_is": "the full crawl's process tree (workers included), RSS summed: "
        "shared pages count once per process (conservative)",
        "peak_pss_is": "the full crawl's process tree (workers included), PSS summed: "
        "shared pages split among the processes sharing them (the real footprint)",
        "memory_met": full_goals.get("memory_met"),
        "memory_met_pss": full_goals.get("memory_met_pss"),
        "by_kind": by_kind,
    }
    return summary


def throughput_problems(runs: Sequence[dict[str, Any]], articles: int) -> list[str]:
    """Return what looked wrong in the crawls: failed runs, missing records, errors.

    Every run must finish with only 200 responses and a quiet log; every full-kind run must
    also write a clean run report with one record per article, and ``full-workers`` must
    have started a worker. All runs must receive the same number of pages.
    """
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
        if run["kind"] not in FULL_KINDS:
            continue
        if run["kind"] == "full-workers" and run["max_processes"] < 2:
            problems.append(f"{name}: no extraction worker process was seen")
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
        "extraction (extract_article)": ["newscrawl.extraction.fields:extract_article"],
        "record to dict (items.to_dict)": ["newscrawl.items:to_dict"],
        "validation pipeline": ["newscrawl.pipelines:ValidationPipeline.process_item"],
        "dedup pipeline (+ state store)": ["newscrawl.pipelines:DedupPipeline.process_item"],
        "writer pipeline": ["newscrawl.pipelines:BatchWriterPipeline.process_item"],
        "writer close (publish batches)": ["newscrawl.pipelines:BatchWriterPipeline.close_spider"],
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
        print(f"\nthroughput: {result['portal']['articles']:,}-article portal, "
              f"concurrency {result['concurrency']}, {result['repeat']} run(s) each")  # fmt: skip
        print(f"({result['placement']['description']})")
        print(f"{'crawler':<12} {'pages':>6} {'pages/s median [min-max]':<26} {'elapsed s':>9} "
              f"{'CPU s':>6} {'tree CPU s':>10} {'pages/CPU s':>11} {'tree RSS MiB':>12} "
              f"{'tree PSS MiB':>12} {'procs':>5}")  # fmt: skip
        for kind in (k for k in KINDS if k in summary):
            s = summary[kind]
            pps = s["pages_per_second"]
            print(
                f"{kind:<12} {fmt(s['pages']['median'], 0):>6} "
                + f"{fmt(pps['median']):>7} [{fmt(pps['min'])}-{fmt(pps['max'])}]".ljust(26)
                + f" {fmt(s['elapsed_seconds']['median']):>9}"
                f" {fmt(s['cpu_seconds']['median']):>6}"
                f" {fmt(s['tree_cpu_seconds']['median']):>10}"
                f" {fmt(s['pages_per_cpu_second']['median']):>11}"
                f" {fmt(s['tree_peak_rss_mb']['max']):>12}"
                f" {fmt(s['tree_peak_pss_mb']['max']):>12}"
                f" {s['max_processes'] or '-':>5}"
            )
        print("(medians; CPU s: the crawl process; tree CPU s: with its workers; "
              "tree RSS and PSS: peaks of the tree's sums)")  # fmt: skip
        for name, value in summary["ratios"].items():
            goal = ""
            if name.endswith("/bare"):
                met = value is not None and value >= RATIO_GOAL
                goal = f" (goal >= {RATIO_GOAL}: {'met' if met else 'MISSED'})"
            per_cpu = summary["ratios_per_cpu_second"][name]
            print(
                f"ratio {name:<21} {fmt(value, 3):>6}{goal:<22} "
                f"per tree CPU second: {fmt(per_cpu, 3)}"
            )
        for kind, goals in summary["goals"]["by_kind"].items():
            verdicts = {
                label: "-" if met is None else ("met" if met else "MISSED")
                for label, met in (("rss", goals["memory_met"]), ("pss", goals["memory_met_pss"]))
            }
            print(
                f"{kind} memory (goal < {MEMORY_GOAL_MB:.0f} MB = {MEMORY_GOAL_MIB:.1f} MiB): "
                f"peak tree RSS {fmt(goals['peak_rss_mb'])} MiB {verdicts['rss']}, "
                f"peak tree PSS {fmt(goals['peak_pss_mb'])} MiB {verdicts['pss']}"
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
    placement = Placement.detect(pin_portal=not args.no_pin, pin_crawlers=args.pin_crawlers)
    now = datetime.now(UTC)
    output = Path(args.output) if args.output else RESULTS_DIR / f"throughput-{now:%Y-%m-%d}.json"
    extra = [arg for item in args.set for arg in ("-s", item)]
    settings = [*throughput_settings(args.concurrency), *extra]
    result: dict[str, Any] = {
        "date": now.isoformat(timespec="seconds"),
        "command": " ".join([Path(PYTHON).name, *sys.argv]),
        "machine": machine_info(),
        "source": source_info(),
        "placement": placement.as_dict(),
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "kinds": args.kinds,
        "crawler_settings": settings[1::2],
        "output": str(output),
        "problems": [],
    }
    with work_folder(args.keep) as work:
        if args.baseline:
            snapshot_source(work / "baseline", revision=args.baseline)
            result["source"]["baseline"] = args.baseline
        if args.source != "live":
            snapshot_source(work / "src", worktree=args.source == "worktree")
            result["source"]["measured"] = (
                "the working tree at start" if args.source == "worktree" else "HEAD"
            )
        else:
            result["source"]["measured"] = "the working tree, live"
        if everything or args.throughput:
            by_kind = kind_settings(args.kinds, throughput_settings(args.concurrency), extra)
            result["kind_settings"] = {kind: options[1::2] for kind, options in by_kind.items()}
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
                    for kind in args.kinds:
                        progress(f"{kind} crawl {index + 1}/{args.repeat}")
                        one = crawl_once(
                            kind,
                            index,
                            portal.base_url,
                            work,
                            by_kind[kind],
                            placement,
                            args.timeout,
                            args.keep,
                        )
                        progress(
                            f"  {one['pages']} pages in {one['elapsed_seconds']} s: "
                            f"{one['pages_per_second']} pages/s, CPU {one['cpu_seconds']} s "
                            f"(tree {one['tree_cpu_seconds']} s), peak tree RSS "
                            f"{one['tree_peak_rss_mb']} MiB, PSS {one['tree_peak_pss_mb']} MiB"
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
    """Run the benchmark, write the JSON result and print the table.

    Returns 0, 1 when a crawl broke, or 2 when the benchmark could not run at all.
    """
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
        "--kinds",
        default=",".join(DEFAULT_KINDS),
        help="comma-separated crawlers to compare, run in this order (default: %(default)s; "
        f"also {BASELINE_KIND}, with --baseline)",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help=f"a git revision whose package the {BASELINE_KIND} kind crawls with (a full "
        "in-process crawl): before and after a change, in the same run",
    )
    pinning = parser.add_mutually_exclusive_group()
    pinning.add_argument(
        "--no-pin",
        action="store_true",
        help="pin nothing (default: the portal on the first CPU, crawlers on any CPU)",
    )
    pinning.add_argument(
        "--pin-crawlers",
        action="store_true",
        help="also pin the crawlers and their workers to the second CPU (one CPU for all "
        "crawl processes, as before worker processes)",
    )
    parser.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one more Scrapy setting for every crawler (bare ignores NEWSCRAWL_*, bare-tuned "
        "honours NEWSCRAWL_GC_*; NEWSCRAWL_EXTRACT_PROCESSES is the full kinds' own)",
    )
    args = parser.parse_args(argv)
    try:
        args.kinds = parse_kinds(args.kinds)
    except ValueError as exc:
        parser.error(str(exc))
    if (BASELINE_KIND in args.kinds) != bool(args.baseline):
        parser.error(f"--baseline REV and the kind {BASELINE_KIND} go together")
    signal.signal(signal.SIGTERM, _interrupt)  # stop the portal and the crawl on SIGTERM too
    if args.articles < 1 or args.repeat < 1 or args.extract_repeat < 1:
        parser.error("--articles, --repeat and --extract-repeat must be at least 1")
    try:
        result = run(args)
    except RuntimeError as exc:  # no snapshot, no portal, no GcTuning for bare-tuned
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
