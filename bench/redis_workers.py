"""Distributed mode on one Redis: 1, 2 and 4 workers against a local crawl, side by side.

``make bench-redis`` (or ``.venv/bin/python bench/redis_workers.py``) serves the generated
portal (``bench/portal.py``, 10,000 articles by default) with ``--latency-ms`` (50) added to
every response, then crawls it, in one run and in turn:

- **local**: one ``newscrawl crawl jmn`` process with SQLite state (no Redis);
- **N workers** (``--workers``, default ``1,2,4``): N ``newscrawl crawl jmn --redis URL``
  processes started together, each with its own output folder and worker name, on a
  fresh key prefix (an empty frontier and state, so every article is new).

Every crawl gets the same settings (:func:`crawl_settings`): ``--concurrency`` requests at
a time per process (default 1: one connection to the portal per worker, the way a polite
crawler works a far-away site) and a global ``--delay`` (default 0.005 s: at most 200
requests a second reach the portal from all workers together; in distributed mode this
delay is kept in Redis across workers), and a global cap of ``--global-concurrency``
requests in flight per portal from all workers together (default 8,
``NEWSCRAWL_GLOBAL_CONCURRENCY``; a local crawl has one process, so it is not bound by
it). The cap must be at least workers x ``--concurrency``, or it, not the number of
workers, would set the throughput: with the project's default (the global cap is
``CONCURRENT_REQUESTS_PER_DOMAIN``, here 1) every N-worker crawl would be one request at a
time. So each process waits on the portal's latency, and more workers mean more requests
in flight: the work is latency-bound, which is what distributed mode is for. The
comparison of 1 and N workers is at the same per-worker and global settings.

For each crawl it reports pages per second (pages fetched, from the run reports, over the
crawl's span from the first worker's start to the last one's end, and over the wall time
that includes interpreter start-up), CPU per page (user + system CPU of the crawl
processes, from ``wait4``, start-up included, over the pages fetched) and checks that the
records add up to the articles, each written once. Then it measures Redis memory per
1,000 queued requests: it pushes ``--memory-requests`` article requests, built as the
spider builds them, through the adapter's queue and filter on a fresh prefix, and reads
``MEMORY USAGE`` of those keys (and the ``INFO`` ``used_memory`` delta, which other
clients of a shared Redis disturb); then moves them to a worker's taken hash, as workers
do, and measures that too. During the one-worker crawl it also samples the real queue.

Keys go under ``bench-redis-<random>:`` in database ``--redis`` (default 12) and are
deleted at the end, also after a failure. ``--profile`` runs one extra one-worker crawl
under cProfile, timed in CPU time (``time.process_time``: a wall-clock profile charges the
waits for Redis's replies, and the time the process is not scheduled, to ``recv`` and
``sendall``), and prints the functions with the most cumulative time in newscrawl's and
scrapy-redis's code, to find the adapter's overhead, and the worker's Redis round trips
per page, by command.

``--trips`` also counts one worker's round trips to Redis (every send of a command or a
pipeline) in a crawl without a profiler: the profiler slows the worker enough to change
them (a request that reaches the politeness middleware late takes a new turn).

``--instructions N`` also counts, with valgrind's callgrind, the instructions per page of a
local and a one-worker crawl of an N-article portal, each less a crawl stopped after its
first page: a count that the machine's other work does not move, where CPU time on this
shared machine moves by 10-20% between runs (it leaves out the kernel and the caches).

``--baseline REV`` (a git revision) measures another version beside this one, in the same
run: the package of REV (``git archive``) is copied to the run folder and every crawl kind
also runs on that copy (``local@base``, ``1w@base``...), alternating with this code's, so
both see the same machine. The goals are given for each, and the CPU per page of each
kind of this code against the baseline's. A short A/B of one change, instead of the
40-minute ``make bench-redis``::

    .venv/bin/python bench/redis_workers.py --articles 1000 --workers 1,4 --repeat 3 \\
        --baseline main --memory-requests 0
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
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
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
PYTHON = sys.executable
SITE = "jmn"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
"""Database 12: the tests use 13; the benchmark's keys have a prefix of their own too."""

ADAPTER_CODE = (
    "newscrawl/frontier",
    "newscrawl/storage/redis_state",
    "scrapy_redis/",
    "redis/client",
    "redis/connection",
    "redis/commands",
)
"""The files of distributed mode's own cost, as the profile shows them."""

BASE_SUFFIX = "@base"
"""A crawl kind with this suffix runs the ``--baseline`` revision's package."""

GOAL_TWO = 1.8
GOAL_FOUR = 3.0
GOAL_CPU = 1.2


# --- the portal ----------------------------------------------------------------------


@contextlib.contextmanager
def portal(articles: int, latency_ms: float, log_path: Path) -> Iterator[str]:
    """Serve the generated portal; yield its base URL; stop it (SIGTERM) afterwards."""
    command = [
        PYTHON,
        str(BENCH_DIR / "portal.py"),
        "--articles",
        str(articles),
        "--port",
        "0",
        "--latency-ms",
        str(latency_ms),
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"the portal did not start; see {log_path}")
        yield line.removeprefix("READY ").strip()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def snapshot_package(revision: str, target: Path) -> Path:
    """Copy the ``newscrawl`` package of git ``revision`` into ``target`` (``git archive``);
    return ``target``, the folder to run that version's crawls in. Raises RuntimeError for
    an unknown revision or without git."""
    try:
        archive = subprocess.run(
            ["git", "archive", revision, "newscrawl"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RuntimeError(f"cannot copy the package of {revision!r}: {exc}") from exc
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def split_kind(kind: str) -> tuple[str, bool]:
    """Return a crawl kind without its baseline suffix, and whether it had one."""
    return kind.removesuffix(BASE_SUFFIX), kind.endswith(BASE_SUFFIX)


# --- crawls --------------------------------------------------------------------------


def crawl_settings(concurrency: int, delay: float, global_concurrency: int) -> list[str]:
    """Return the ``-s NAME=VALUE`` options every crawl gets, local and distributed alike."""
    values = {
        "NEWSCRAWL_GLOBAL_CONCURRENCY": str(global_concurrency),
        "LOG_LEVEL": "WARNING",
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": f"{delay:g}",
        "DOWNLOAD_DELAY_JITTER": "0",
        "CONCURRENT_REQUESTS": str(concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "NEWSCRAWL_EXTRACT_PROCESSES": "0",
    }
    return [arg for name, value in values.items() for arg in ("-s", f"{name}={value}")]


def crawl_command(base_url: str, out: Path, settings: Sequence[str]) -> list[str]:
    """Return the arguments (after ``python``) of one ``newscrawl crawl`` process."""
    return ["-m", "newscrawl.cli", "crawl", SITE, "--base-url", base_url, "-o", str(out), *settings]


@dataclass
class Process:
    """One crawl process: what it ran, when it ended, its CPU, its exit code."""

    popen: subprocess.Popen[bytes]
    log: Path
    out: Path
    ended: float = 0.0
    cpu: float = 0.0
    returncode: int | None = None

    def wait(self) -> None:
        """Wait for the process (``wait4``), keeping its end time and user + system CPU."""
        _, status, usage = os.wait4(self.popen.pid, 0)
        self.ended = time.monotonic()
        self.cpu = usage.ru_utime + usage.ru_stime
        self.returncode = os.waitstatus_to_exitcode(status)
        self.popen.returncode = self.returncode


@dataclass
class Crawl:
    """The figures of one crawl (one process, or N workers together)."""

    kind: str
    processes: int
    pages: int = 0
    records: int = 0
    unique_urls: int = 0
    wall: float = 0.0
    span: float = 0.0
    cpu: float = 0.0
    failures: list[str] = field(default_factory=list)
    queue_samples: list[tuple[int, int]] = field(default_factory=list)
    state_bytes: int = 0
    """``MEMORY USAGE`` of the site's state keys in Redis after the crawl (distributed)."""
    fixed_cpu: float = 0.0
    """CPU seconds one process of this kind spends whatever it crawls (start-up and
    shutdown), measured apart (:func:`fixed_cpu`)."""

    @property
    def pages_per_second(self) -> float:
        """Pages fetched per second of the crawl's span (start-up left out)."""
        return self.pages / self.span if self.span else 0.0

    @property
    def wall_pages_per_second(self) -> float:
        """Pages fetched per second of wall time, interpreter start-up included."""
        return self.pages / self.wall if self.wall else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        """User + system CPU of the crawl processes per page fetched, in milliseconds."""
        return 1000 * self.cpu / self.pages if self.pages else 0.0

    @property
    def net_cpu_ms_per_page(self) -> float:
        """As :attr:`cpu_ms_per_page`, less each process's fixed start-up and shutdown CPU."""
        net = self.cpu - self.processes * self.fixed_cpu
        return 1000 * net / self.pages if self.pages else 0.0


def read_report(out: Path) -> dict[str, Any]:
    """Return the run report a crawl wrote under ``out`` ({} when none)."""
    reports = sorted(out.glob(f"{SITE}/*/*.report.json"))
    return json.loads(reports[-1].read_text(encoding="utf-8")) if reports else {}


def written_urls(out: Path) -> list[str]:
    """Return the URL of every record a crawl published under ``out``."""
    return [
        json.loads(line)["url"]
        for path in sorted(out.glob(f"{SITE}/*/*.jsonl"))
        if "rejects" not in path.name
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


class QueueSampler:
    """Samples a frontier's queue (length and ``MEMORY USAGE``) every ``interval`` seconds."""

    def __init__(self, client: Any, key: str, interval: float = 2.0) -> None:
        self.client = client
        self.key = key
        self.interval = interval
        self.samples: list[tuple[int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(Exception):
                length = int(self.client.zcard(self.key))
                if length:
                    usage = int(self.client.memory_usage(self.key, samples=0) or 0)
                    self.samples.append((length, usage))

    def __enter__(self) -> QueueSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def run_crawl(
    kind: str,
    commands: Sequence[tuple[list[str], Path]],
    run_dir: Path,
    articles: int | None,
    timeout: float,
    copies: int = 1,
    cwd: Path = ROOT,
) -> Crawl:
    """Start every command at once (each with its output folder), wait for all, and
    return the crawl's figures; a process still running after ``timeout`` s is killed.

    With ``articles`` None (the fixed-cost crawls) an unfinished run is no failure.
    ``copies``: how many times the processes together crawl the whole portal (each
    local copy crawls all of it; workers share one crawl). ``cwd``: the folder the
    processes run in, whose ``newscrawl`` package they import (``python -m`` puts it first
    on the path): the repository's, or a ``--baseline`` copy."""
    crawl = Crawl(kind=kind, processes=len(commands))
    started = time.monotonic()
    processes: list[Process] = []
    for n, (args, out) in enumerate(commands):
        log = run_dir / f"{kind}-{n}.log"
        with log.open("wb") as handle:
            popen = subprocess.Popen(
                [PYTHON, *args], cwd=cwd, stdout=handle, stderr=subprocess.STDOUT
            )
        processes.append(Process(popen, log, out))
    waiters = [threading.Thread(target=p.wait) for p in processes]
    for waiter in waiters:
        waiter.start()
    deadline = started + timeout
    for waiter, process in zip(waiters, processes, strict=True):
        waiter.join(max(deadline - time.monotonic(), 0))
        if waiter.is_alive():
            crawl.failures.append(f"{process.log.name}: still running after {timeout:g} s")
            process.popen.kill()
            waiter.join()
    crawl.wall = max(p.ended for p in processes) - started
    crawl.cpu = sum(p.cpu for p in processes)
    urls: list[str] = []
    crawl_starts: list[float] = []
    for process in processes:
        report = read_report(process.out)
        if articles is not None and (process.returncode != 0 or report.get("status") != "ok"):
            tail = process.log.read_text(encoding="utf-8", errors="replace")[-1500:]
            crawl.failures.append(
                f"{process.log.name}: exit {process.returncode}, report "
                f"{report.get('status')} {report.get('failures')}\n{tail}"
            )
        crawl.pages += int(report.get("pages_fetched") or 0)
        crawl.records += int(report.get("records_written") or 0)
        crawl_starts.append(process.ended - float(report.get("duration_seconds") or 0.0))
        urls += written_urls(process.out)
    crawl.span = max(p.ended for p in processes) - min(crawl_starts)
    crawl.unique_urls = len(set(urls))
    complete = len(urls) == crawl.records == copies * (articles or 0)
    if articles is not None and not (complete and crawl.unique_urls == articles):
        crawl.failures.append(
            f"{len(urls)} records published ({crawl.unique_urls} URLs, {crawl.records} "
            f"reported) for {articles} articles x {copies}"
        )
    return crawl


def delete_prefix(client: Any, prefix: str) -> int:
    """Delete every key under ``prefix:``; return how many went."""
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    return len(keys)


def state_memory(client: Any, base: str) -> int:
    """Return the ``MEMORY USAGE`` sum of the state keys under ``base:`` (not the
    frontier's, nor the leases)."""
    keys = [
        key
        for key in client.scan_iter(match=f"{base}:*", count=1000)
        if not key.decode().removeprefix(f"{base}:").startswith(("frontier", "lease"))
    ]
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=0)
    return sum(int(n or 0) for n in pipe.execute())


def local_crawl(
    base_url: str, run_dir: Path, settings: Sequence[str], copies: int = 1, **kw: Any
) -> Crawl:
    """Crawl the portal with one process and SQLite state; with ``copies`` above 1, that
    many such crawls at once (each its own state and output, each the whole portal), so
    that as many processes share the machine's cores as in a crawl of that many workers."""
    commands = []
    for n in range(copies):
        out = run_dir / f"local-out{n}"
        state = ["--state", str(run_dir / f"local-state{n}")]
        commands.append((crawl_command(base_url, out, [*state, *settings]), out))
    kind = "local" if copies == 1 else f"{copies}local"
    return run_crawl(kind, commands, run_dir, copies=copies, **kw)


def distributed_crawl(
    base_url: str,
    run_dir: Path,
    settings: Sequence[str],
    workers: int,
    redis_url: str,
    client: Any,
    *,
    sample_queue: bool = False,
    **kw: Any,
) -> Crawl:
    """Crawl the portal with ``workers`` processes on one Redis, on a fresh key prefix
    (deleted afterwards)."""
    prefix = f"bench-redis-{uuid.uuid4().hex[:10]}"
    kind = f"{workers}w"
    commands = []
    for n in range(workers):
        out = run_dir / f"{kind}-out{n}"
        redis = ["--redis", redis_url, "-s", f"NEWSCRAWL_REDIS_PREFIX={prefix}"]
        worker = ["-s", f"NEWSCRAWL_WORKER=bench-w{n}"]
        commands.append((crawl_command(base_url, out, [*redis, *worker, *settings]), out))
    try:
        sampler = QueueSampler(client, f"{prefix}:{SITE}:frontier:queue")
        with sampler if sample_queue else contextlib.nullcontext():
            crawl = run_crawl(kind, commands, run_dir, **kw)
        crawl.queue_samples = sampler.samples
        crawl.state_bytes = state_memory(client, f"{prefix}:{SITE}")
    finally:
        delete_prefix(client, prefix)
    return crawl


def fixed_cpu(
    base_url: str,
    run_dir: Path,
    redis_url: str,
    client: Any,
    settings: Sequence[str],
    cwd: Path = ROOT,
) -> dict[str, float]:
    """Return the CPU seconds of a crawl process that stops after its first page, local
    and distributed (median of 3 each): interpreter start-up, imports, opening the state
    or the frontier, and shutdown, which every process pays whatever it crawls. ``cwd``:
    as in :func:`run_crawl`."""
    stop = [*settings, "-s", "CLOSESPIDER_PAGECOUNT=1"]
    figures: dict[str, list[float]] = {"local": [], "distributed": []}
    for n in range(3):
        folder = run_dir / f"fixed-{n}"
        folder.mkdir()
        kw: dict[str, Any] = {"articles": None, "timeout": 300.0, "cwd": cwd}
        figures["local"].append(local_crawl(base_url, folder, stop, **kw).cpu)
        crawl = distributed_crawl(base_url, folder, stop, 1, redis_url, client, **kw)
        figures["distributed"].append(crawl.cpu)
    return {kind: statistics.median(values) for kind, values in figures.items()}


# --- Redis memory --------------------------------------------------------------------


def article_urls(base_url: str, limit: int) -> list[tuple[str, str | None]]:
    """Return up to ``limit`` ``(article URL, lastmod)`` pairs from the portal's sitemaps."""
    pairs: list[tuple[str, str | None]] = []
    with urllib.request.urlopen(f"{base_url}/sitemap_index.xml", timeout=30) as response:
        index = response.read().decode()
    for sitemap in re.findall(r"<loc>([^<]*post-sitemap[^<]*)</loc>", index):
        with urllib.request.urlopen(sitemap, timeout=30) as response:
            text = response.read().decode()
        for block in re.findall(r"<url>(.*?)</url>", text, flags=re.S):
            loc = re.search(r"<loc>([^<]*)</loc>", block)
            lastmod = re.search(r"<lastmod>([^<]*)</lastmod>", block)
            if loc:
                pairs.append((loc.group(1), lastmod.group(1) if lastmod else None))
        if len(pairs) >= limit:
            break
    return pairs[:limit]


def used_memory(client: Any) -> int:
    """Return Redis's ``used_memory`` in bytes."""
    return int(client.info("memory")["used_memory"])


def queue_memory(client: Any, base_url: str, requests: int) -> dict[str, Any]:
    """Push ``requests`` article requests (as the spider builds them) through the
    adapter's filter and queue on a fresh prefix; measure their memory queued, then
    taken by one worker; delete them."""
    from scrapy import Request

    from newscrawl.frontier import CanonicalRedisDupeFilter, Frontier, TakingQueue
    from newscrawl.spiders import portal_spider
    from newscrawl.spiders.portal import LASTMOD_META

    prefix = f"bench-redis-{uuid.uuid4().hex[:10]}"
    frontier = Frontier(client, prefix, SITE)
    spider = portal_spider(SITE)(base_url=base_url)
    queue = TakingQueue(client, spider, frontier.queue, frontier.taken("bench"), "bench")
    seen = CanonicalRedisDupeFilter(client, key=frontier.seen)
    pairs = article_urls(base_url, requests)
    try:
        before = used_memory(client)
        for url, lastmod in pairs:
            request = Request(
                url,
                callback=spider.parse_article,
                errback=spider.on_error,
                meta={LASTMOD_META: lastmod},
            )
            if not seen.request_seen(request):
                queue.push(request)
        after = used_memory(client)
        queued = int(client.zcard(frontier.queue))
        queue_bytes = int(client.memory_usage(frontier.queue, samples=0) or 0)
        seen_bytes = int(client.memory_usage(frontier.seen, samples=0) or 0)
        while queue.take() is not None:
            pass
        taken_bytes = int(client.memory_usage(frontier.taken("bench"), samples=0) or 0)
        taken = int(client.hlen(frontier.taken("bench")))
    finally:
        delete_prefix(client, prefix)
    per_k = 1000 / queued if queued else 0.0
    return {
        "requests": queued,
        "queue_bytes_per_1000": round(queue_bytes * per_k),
        "seen_bytes_per_1000": round(seen_bytes * per_k),
        "queued_bytes_per_1000": round((queue_bytes + seen_bytes) * per_k),
        "used_memory_delta_per_1000": round((after - before) * per_k),
        "taken_bytes_per_1000": round(taken_bytes * 1000 / taken) if taken else 0,
    }


# --- instructions --------------------------------------------------------------------


def count_instructions(
    articles: int, latency_ms: float, run_dir: Path, redis_url: str, client: Any,
    settings: Sequence[str],
) -> list[str]:  # fmt: skip
    """Count, with valgrind's callgrind, the instructions of a local crawl and of a
    one-worker crawl of a portal of ``articles`` articles, and of each kind stopped after
    its first page; return the lines that give the instructions per page after the first
    (each crawl less its one-page run) and the fixed count of each kind.

    callgrind counts the instructions the process runs in user space: the same count for
    the same work whatever else the machine does, where CPU time on a shared machine moves
    by 10-20% between runs. It leaves out the kernel (system calls, context switches) and
    what the caches and the other processes cost, which the CPU figures include."""
    if shutil.which("valgrind") is None:
        return ["instructions: not counted (valgrind is not installed)"]
    counts: dict[tuple[str, bool], tuple[int, int]] = {}
    folder = run_dir / "instructions"
    folder.mkdir()
    # Under callgrind a crawl runs some 50 times slower: no lease may expire meanwhile.
    slow = [*settings, "-s", "NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT=3600"]
    with portal(articles, latency_ms, folder / "portal.log") as base_url:
        for one_page in (True, False):
            for kind in ("local", "distributed"):
                tag = f"{kind}-{'one' if one_page else 'all'}"
                out = folder / f"{tag}-out"
                prefix = f"bench-redis-{uuid.uuid4().hex[:10]}"
                if kind == "local":
                    where = ["--state", str(folder / f"{tag}-state")]
                else:
                    where = ["--redis", redis_url, "-s", f"NEWSCRAWL_REDIS_PREFIX={prefix}"]
                stop = ["-s", "CLOSESPIDER_PAGECOUNT=1"] if one_page else []
                log = folder / f"{tag}.valgrind.log"
                command = [
                    "valgrind", "--tool=callgrind", f"--log-file={log}",
                    f"--callgrind-out-file={folder / f'{tag}.callgrind'}", PYTHON,
                    *crawl_command(base_url, out, [*where, *slow, *stop]),
                ]  # fmt: skip
                try:
                    subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
                finally:
                    delete_prefix(client, prefix)
                found = re.search(r"Collected : (\d+)", log.read_text(encoding="utf-8"))
                pages = int(read_report(out).get("pages_fetched") or 0)
                if found is None or pages < (1 if one_page else 2):
                    return [f"instructions: the {tag} crawl under callgrind failed (see {log})"]
                counts[kind, one_page] = (int(found.group(1)), pages)
    per_page = {}
    for kind in ("local", "distributed"):
        (whole, pages), (fixed, first) = counts[kind, False], counts[kind, True]
        per_page[kind] = (whole - fixed) / (pages - first)
    local, distributed = per_page["local"], per_page["distributed"]
    return [
        f"instructions per page after the first (callgrind, user space, {articles} articles, "
        f"{counts['local', False][1]} pages): local {local / 1e6:.2f} M, one worker "
        f"{distributed / 1e6:.2f} M: {distributed / local:.3f}x; a crawl stopped after its "
        f"first page: local {counts['local', True][0] / 1e9:.2f} G, distributed "
        f"{counts['distributed', True][0] / 1e9:.2f} G"
    ]


# --- profile -------------------------------------------------------------------------


def run_worker_with(
    wrap: str,
    out: Path,
    base_url: str,
    settings: Sequence[str],
    redis_url: str,
    client: Any,
) -> None:
    """Crawl with one worker whose ``newscrawl.cli`` runs as ``wrap`` says: Python code
    that calls ``run()`` (the crawl) where it wants it, given ``sys.argv`` set."""
    prefix = f"bench-redis-{uuid.uuid4().hex[:10]}"
    redis = ["--redis", redis_url, "-s", f"NEWSCRAWL_REDIS_PREFIX={prefix}"]
    args = [*crawl_command(base_url, out, [*redis, "-s", "NEWSCRAWL_WORKER=bench-p", *settings])]
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['newscrawl', *{args[2:]!r}]\n"
        "def run():\n"
        "    runpy.run_module('newscrawl.cli', run_name='__main__')\n"
        f"{wrap}"
    )
    try:
        subprocess.run(
            [PYTHON, "-c", code],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    finally:
        delete_prefix(client, prefix)


def count_trips(
    base_url: str, run_dir: Path, settings: Sequence[str], redis_url: str, client: Any
) -> list[str]:
    """Crawl with one worker, no profiler, counting each send to Redis (a command or a
    pipeline: one round trip); return the line of round trips per page."""
    out = run_dir / "trips-out"
    counts = run_dir / "trips.json"
    wrap = (
        "import json\n"
        "from redis.connection import AbstractConnection\n"
        "send, sent = AbstractConnection.send_packed_command, [0]\n"
        "def counted(self, *args, **kwargs):\n"
        "    sent[0] += 1\n"
        "    return send(self, *args, **kwargs)\n"
        "AbstractConnection.send_packed_command = counted\n"
        "try:\n"
        "    run()\n"
        "finally:\n"
        f"    open({str(counts)!r}, 'w').write(json.dumps(sent[0]))\n"
    )
    run_worker_with(wrap, out, base_url, settings, redis_url, client)
    pages = int(read_report(out).get("pages_fetched") or 0)
    trips = int(json.loads(counts.read_text(encoding="utf-8")))
    if not pages:
        return [f"Redis round trips of the worker (no profiler): {trips}, no page fetched"]
    return [
        f"Redis round trips of the worker (no profiler): {trips / pages:.2f} per page "
        f"({trips} for {pages} pages)"
    ]


def profile_worker(
    base_url: str, run_dir: Path, settings: Sequence[str], redis_url: str, client: Any
) -> list[str]:
    """Crawl with one worker under cProfile (CPU time); return the top lines by cumulative
    time of newscrawl's and scrapy-redis's functions, and the Redis round trips per page."""
    out = run_dir / "profile-out"
    stats_path = run_dir / "worker.prof"
    wrap = (
        "import cProfile, time\n"
        "profile = cProfile.Profile(time.process_time)\n"
        "try:\n"
        "    profile.runcall(run)\n"
        "finally:\n"
        f"    profile.dump_stats({str(stats_path)!r})\n"
    )
    run_worker_with(wrap, out, base_url, settings, redis_url, client)
    stats = pstats.Stats(str(stats_path))
    rows = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (file, line, name), (_, calls, own, cumulative, _) in raw.items():
        if any(part in file for part in ADAPTER_CODE):
            where = f"{Path(file).parent.name}/{Path(file).name}:{line}({name})"
            rows.append((cumulative, own, calls, where))
    rows.sort(reverse=True)
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = [f"profile: {total:.1f} s in all; cumulative s, own s, calls, function"]
    lines += [f"  {c:7.2f} {o:7.2f} {n:8d}  {name}" for c, o, n, name in rows[:25]]
    pages = int(read_report(out).get("pages_fetched") or 0)
    trips, commands = redis_round_trips(raw)
    if pages:
        by_command = ", ".join(f"{name} {n / pages:.2f}" for name, n in commands[:12])
        lines.append(
            f"Redis round trips of the worker: {trips / pages:.2f} per page ({trips} for "
            f"{pages} pages); per page by command: {by_command}"
        )
    return lines


def redis_round_trips(raw: dict[Any, Any]) -> tuple[int, list[tuple[str, int]]]:
    """Return the Redis round trips a profiled process made (single commands and pipeline
    executions, from the call counts of redis-py's functions) and the calls of each
    command method, most first."""
    trips = 0
    commands: dict[str, int] = {}
    for (file, _, name), (_, calls, *_rest) in raw.items():
        path = file.replace("\\", "/")
        if path.endswith("redis/client.py") and name in ("_execute_command", "execute"):
            trips += calls  # Redis._execute_command; Pipeline.execute
        elif "redis/commands/" in path and not name.startswith("_") and name != "__call__":
            commands[name] = commands.get(name, 0) + calls
    return trips, sorted(commands.items(), key=lambda item: -item[1])


# --- report --------------------------------------------------------------------------


def describe(crawls: Sequence[Crawl]) -> list[str]:
    """Return the table of the crawls, one line each."""
    lines = [
        f"{'crawl':<10} {'procs':>5} {'pages':>6} {'records':>7} {'span s':>8} {'pages/s':>8} "
        f"{'wall p/s':>8} {'CPU s':>7} {'CPU ms/page':>11} {'net ms/page':>11}"
    ]
    for c in crawls:
        lines.append(
            f"{c.kind:<10} {c.processes:>5} {c.pages:>6} {c.records:>7} {c.span:>8.1f} "
            f"{c.pages_per_second:>8.2f} {c.wall_pages_per_second:>8.2f} {c.cpu:>7.1f} "
            f"{c.cpu_ms_per_page:>11.2f} {c.net_cpu_ms_per_page:>11.2f}"
        )
    return lines


def median_of(crawls: Sequence[Crawl], kind: str, attribute: str) -> float | None:
    """Return the median of ``attribute`` over the crawls of ``kind``, or None."""
    values = [getattr(c, attribute) for c in crawls if c.kind == kind and not c.failures]
    return statistics.median(values) if values else None


def goals(crawls: Sequence[Crawl]) -> list[str]:
    """Return one line per goal of issue 15: the measured ratio, met or missed."""
    lines = []
    one = median_of(crawls, "1w", "pages_per_second")
    for workers, goal in ((2, GOAL_TWO), (4, GOAL_FOUR)):
        n = median_of(crawls, f"{workers}w", "pages_per_second")
        if one and n:
            verdict = "met" if n / one >= goal else "MISSED"
            lines.append(
                f"{workers} workers / 1: {n / one:.2f}x pages/s (goal >= {goal}x): {verdict}"
            )
    for attribute, what in (("cpu_ms_per_page", "all-in"), ("net_cpu_ms_per_page", "net")):
        for suffix in sorted({split_kind(c.kind)[1] for c in crawls}):
            tag = BASE_SUFFIX if suffix else ""
            local = median_of(crawls, f"local{tag}", attribute)
            for kind in sorted({c.kind for c in crawls if c.kind.endswith(f"w{tag}")}):
                cpu = median_of(crawls, kind, attribute)
                if local and cpu:
                    verdict = "met" if cpu / local <= GOAL_CPU else "MISSED"
                    lines.append(
                        f"CPU per page ({what}), {kind} / local{tag}: {cpu / local:.2f}x "
                        f"(goal <= {GOAL_CPU}x): {verdict}"
                    )
                shared_kind = kind.replace("w", "local", 1)
                shared = median_of(crawls, shared_kind, attribute)
                if cpu and shared:
                    lines.append(
                        f"  beside {shared_kind} ({split_kind(kind)[0][:-1]} local crawls at "
                        f"once, the cores shared alike): {cpu / shared:.2f}x"
                    )
    for kind in sorted({c.kind for c in crawls if not split_kind(c.kind)[1]}):
        ours = median_of(crawls, kind, "cpu_ms_per_page")
        theirs = median_of(crawls, f"{kind}{BASE_SUFFIX}", "cpu_ms_per_page")
        if ours and theirs:
            lines.append(
                f"A/B {kind}: {ours:.2f} ms/page, {kind}{BASE_SUFFIX} {theirs:.2f}: "
                f"{ours / theirs:.3f}x the baseline's CPU per page"
            )
    return lines


def rotated(kinds: Sequence[str], round_: int, paired: bool = False) -> list[str]:
    """Return the crawl order of round ``round_``: ``kinds`` rotated by one each round,
    so that no kind always runs first. ``paired`` (each kind followed by its baseline
    twin): the pairs rotate, kept together, and the twin runs first every other round.

    >>> rotated(["a", "b", "c"], 1)
    ['b', 'c', 'a']
    >>> rotated(["a", "a@base", "b", "b@base"], 1, paired=True)
    ['b@base', 'b', 'a@base', 'a']
    """
    if not paired:
        shift = round_ % len(kinds)
        return [*kinds[shift:], *kinds[:shift]]
    pairs = [list(pair) for pair in zip(kinds[::2], kinds[1::2], strict=True)]
    shift = round_ % len(pairs)
    order = pairs[shift:] + pairs[:shift]
    return [k for pair in order for k in (reversed(pair) if round_ % 2 else pair)]


def parse_workers(text: str) -> list[int]:
    """Return the worker counts of a comma-separated list (each at least 1)."""
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"--workers {text!r}: counts of 1 or more, e.g. 1,2,4")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 0 when every crawl was complete and clean, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000, help="articles of the portal")
    parser.add_argument("--workers", type=parse_workers, default=[1, 2, 4], help="e.g. 1,2,4")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="per response (50)")
    parser.add_argument("--concurrency", type=int, default=1, help="per process (1)")
    parser.add_argument("--delay", type=float, default=0.005, help="global delay, s (0.005)")
    parser.add_argument(
        "--global-concurrency", type=int, default=8, help="in flight per portal, all workers (8)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all crawls (1)")
    parser.add_argument("--redis", default=DEFAULT_REDIS, help=f"Redis URL ({DEFAULT_REDIS})")
    parser.add_argument(
        "--memory-requests", type=int, default=10_000, help="queued (10000; 0: not measured)"
    )
    parser.add_argument("--no-local", action="store_true", help="leave the local crawl out")
    parser.add_argument(
        "--local-copies",
        type=parse_workers,
        default=[],
        help="also run N local crawls at once, for each N given (e.g. 4): the CPU per page "
        "of N processes sharing the cores, beside N workers",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run every crawl on the package of this git revision, alternating (A/B)",
    )
    parser.add_argument("--profile", action="store_true", help="also profile one worker")
    parser.add_argument(
        "--trips", action="store_true", help="also count one worker's Redis round trips"
    )
    parser.add_argument(
        "--instructions",
        type=int,
        default=0,
        metavar="N",
        help="also count instructions per page (valgrind) of a local and a one-worker crawl "
        "of an N-article portal (0: not counted; 300 take about 13 minutes)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="per crawl, s (3600)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the run folder")
    args = parser.parse_args(argv)

    import redis

    client = redis.Redis.from_url(args.redis, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        print(f"redis_workers: no Redis at {args.redis} ({exc}); start one", file=sys.stderr)
        return 2
    most = max(args.workers) * args.concurrency
    if args.global_concurrency < most:
        print(
            f"redis_workers: --global-concurrency {args.global_concurrency} is below workers x "
            f"concurrency ({most}): the cap, not the workers, would set the throughput",
            file=sys.stderr,
        )
        return 2
    run_dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    settings = crawl_settings(args.concurrency, args.delay, args.global_concurrency)
    kinds = (["local"] if not args.no_local else []) + [f"{n}w" for n in args.workers]
    kinds += [f"{n}local" for n in args.local_copies if n > 1]
    baseline_root: Path | None = None
    if args.baseline:
        baseline_root = snapshot_package(args.baseline, run_dir / "baseline")
        kinds = [k for kind in kinds for k in (kind, f"{kind}{BASE_SUFFIX}")]
    print(
        f"portal: {args.articles} articles, {args.latency_ms:g} ms latency; every crawl: "
        f"{args.concurrency} request(s) at a time per process, global delay {args.delay:g} s, "
        f"at most {args.global_concurrency} in flight per portal from all workers; "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; run folder {run_dir}",
        flush=True,
    )
    crawls: list[Crawl] = []
    redis_cpu_before = client.info("cpu")
    try:
        with portal(args.articles, args.latency_ms, run_dir / "portal.log") as base_url:
            for round_ in range(args.repeat):
                order = rotated(kinds, round_, paired=baseline_root is not None)
                for kind in order:
                    folder = run_dir / f"r{round_}-{kind}"
                    folder.mkdir()
                    plain, base = split_kind(kind)
                    cwd = baseline_root if base and baseline_root is not None else ROOT
                    kw = {"articles": args.articles, "timeout": args.timeout, "cwd": cwd}
                    if plain.endswith("local"):
                        copies = int(plain.removesuffix("local") or 1)
                        crawl = local_crawl(base_url, folder, settings, copies, **kw)
                    else:
                        workers = int(plain.removesuffix("w"))
                        crawl = distributed_crawl(
                            base_url,
                            folder,
                            settings,
                            workers,
                            args.redis,
                            client,
                            sample_queue=workers == 1,
                            **kw,
                        )
                    crawl.kind = kind
                    crawls.append(crawl)
                    print(describe([crawl])[-1], f"(load {os.getloadavg()[0]:.1f})", flush=True)
                    for failure in crawl.failures:
                        print(f"  FAILED: {failure}", flush=True)
            fixed = fixed_cpu(base_url, run_dir, args.redis, client, settings)
            fixed_base = fixed
            if baseline_root is not None:
                folder = run_dir / "fixed-base"
                folder.mkdir()
                fixed_base = fixed_cpu(
                    base_url, folder, args.redis, client, settings, cwd=baseline_root
                )
            for crawl in crawls:
                plain, base = split_kind(crawl.kind)
                figures = fixed_base if base else fixed
                crawl.fixed_cpu = figures["local" if plain.endswith("local") else "distributed"]
            memory = (
                queue_memory(client, base_url, args.memory_requests)
                if args.memory_requests > 0
                else {}
            )
            profile = (
                profile_worker(base_url, run_dir, settings, args.redis, client)
                if args.profile
                else []
            )
            if args.trips:
                profile += count_trips(base_url, run_dir, settings, args.redis, client)
        instructions = (
            count_instructions(
                args.instructions, args.latency_ms, run_dir, args.redis, client, settings
            )
            if args.instructions > 0
            else []
        )
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    redis_cpu_after = client.info("cpu")
    print()
    print("\n".join(describe(crawls)))
    print(
        f"fixed CPU per process (a crawl stopped after its first page, median of 3): local "
        f"{fixed['local']:.2f} s, distributed {fixed['distributed']:.2f} s; 'net' leaves it out"
    )
    if baseline_root is not None:
        print(
            f"  baseline {args.baseline}: local {fixed_base['local']:.2f} s, distributed "
            f"{fixed_base['distributed']:.2f} s"
        )
    print()
    for line in goals(crawls):
        print(line)
    if memory:
        print(
            f"Redis memory per 1,000 queued requests ({memory['requests']} article requests): "
            f"{memory['queued_bytes_per_1000']:,} bytes (queue "
            f"{memory['queue_bytes_per_1000']:,} + filter {memory['seen_bytes_per_1000']:,}; "
            f"MEMORY USAGE); used_memory delta {memory['used_memory_delta_per_1000']:,}; "
            f"taken by a worker: {memory['taken_bytes_per_1000']:,} per 1,000"
        )
    states = [c.state_bytes / c.records for c in crawls if c.state_bytes and c.records]
    if states:
        print(
            f"Redis state per 1,000 articles crawled (MEMORY USAGE, median over the "
            f"distributed crawls): {round(statistics.median(states) * 1000):,} bytes"
        )
    samples = [s for c in crawls for s in c.queue_samples]
    if samples:
        length, usage = max(samples)
        print(
            f"real queue of the one-worker crawl at its longest: {length} requests, "
            f"{usage:,} bytes ({round(usage * 1000 / length):,} per 1,000)"
        )
    cpu = sum(
        float(redis_cpu_after[k]) - float(redis_cpu_before[k])
        for k in ("used_cpu_user", "used_cpu_sys")
    )
    print(f"Redis server CPU over the run: {cpu:.1f} s (every client of that server counted)")
    for line in profile:
        print(line)
    for line in instructions:
        print(line)
    if args.json:
        figures = {
            "settings": vars(args) | {"json": str(args.json), "workers": args.workers},
            "crawls": [
                {
                    **{k: v for k, v in c.__dict__.items() if k != "queue_samples"},
                    "pages_per_second": c.pages_per_second,
                    "wall_pages_per_second": c.wall_pages_per_second,
                    "cpu_ms_per_page": c.cpu_ms_per_page,
                    "net_cpu_ms_per_page": c.net_cpu_ms_per_page,
                }
                for c in crawls
            ],
            "goals": goals(crawls),
            "memory": memory,
            "instructions": instructions,
            "fixed_cpu": fixed,
            "fixed_cpu_baseline": fixed_base if baseline_root is not None else None,
        }
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    return 1 if any(c.failures for c in crawls) else 0


if __name__ == "__main__":
    raise SystemExit(main())
