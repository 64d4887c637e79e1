# ruff: noqa: E501 - the snippets must match the code exactly
"""Plant realistic mistakes in the pipelines, output and state; count how many tests catch.

Each mutant replaces one snippet of one module with a plausible wrong version (a
mistake a maintainer could make). For each, the runner copies the project to a scratch
folder, applies the mutant there (the worktree is never touched), runs the fast tests
(``FAST_TESTS``, no e2e, no slow) and calls the mutant *killed* when a test fails and
*survived* when all pass. Run it from the project root::

    .venv/bin/python -m tests.mutation.storage_mutants            # all, with a summary
    .venv/bin/python -m tests.mutation.storage_mutants --only fsync-skipped
    .venv/bin/python -m tests.mutation.storage_mutants --list

Exit status 0 when the score (killed / all) is at least ``--min-score`` (default 0.9).
``tests/mutation/test_storage_mutants.py`` checks that every snippet still occurs exactly
once, so the list cannot silently drift from the code.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAST_TESTS = (
    "tests/test_pipelines.py",
    "tests/storage",
    "tests/test_identity.py",
    "tests/spiders",
)
"""The tests each mutant runs against (only those not marked e2e or slow)."""


@dataclass(frozen=True)
class Mutant:
    """One planted mistake: in ``path``, ``old`` (occurring once) becomes ``new``."""

    name: str
    path: str
    old: str
    new: str
    why: str
    tests: tuple[str, ...] = FAST_TESTS
    """The tests the mutant runs against."""


FRONTIER_TESTS = ("tests/test_redis_frontier.py",)
"""The frontier's tests that need no crawl (a real Redis, as every Redis test here)."""

P = "newscrawl/pipelines.py"
E = "newscrawl/extensions.py"
O = "newscrawl/storage/output.py"  # noqa: E741 - a file, not a number
S = "newscrawl/storage/state.py"
B = "newscrawl/storage/backend.py"
SP = "newscrawl/spiders/portal.py"
R = "newscrawl/storage/redis_state.py"
F = "newscrawl/frontier.py"

MUTANTS: tuple[Mutant, ...] = (
    # -- pipelines: validation, dedup, coverage, writers ---------------------------------
    Mutant(
        "validation-skipped",
        P,
        '        if not errors:\n            self.stats.inc_value("newscrawl/validation/valid")',
        '        if True:\n            self.stats.inc_value("newscrawl/validation/valid")',
        "invalid records pass as valid",
    ),
    Mutant(
        "dedup-canonical-key-dropped",
        P,
        "                keys.add(canonical)",
        "                pass",
        "a page reached under two URLs is written twice",
    ),
    Mutant(
        "dedup-keys-not-remembered",
        P,
        "            self.seen_texts.setdefault(claimed, fingerprint)",
        '            self.seen_texts.setdefault(item["url"], fingerprint)',
        "the run remembers the raw URL, not the page keys",
    ),
    Mutant(
        "canonical-claim-trusted-over-text",
        P,
        "            if self.seen_texts.get(canonical, fingerprint) == fingerprint:",
        "            if True:",
        "pages of different texts that name one canonical page are dropped as one page",
    ),
    Mutant(
        "site-root-canonical-is-a-key",
        "newscrawl/identity.py",
        '    return None if parts.path in ("", "/") and not parts.query else key',
        "    return key",
        "a template's canonical link to the home page makes every later article a duplicate",
    ),
    Mutant(
        "page-key-not-canonical",
        P,
        '    return canonicalize_url(record["url"])',
        '    return record["url"]',
        "records are keyed on the raw URL",
    ),
    Mutant(
        "unchanged-not-dropped",
        P,
        '            if status == "unchanged":',
        '            if status == "unchanged" and revision > 1:',
        "an unchanged page of revision 1 is written again",
    ),
    Mutant(
        "note-seen-skipped",
        P,
        "                note=True,\n",
        "                note=False,\n",
        "an unchanged page's new lastmod is never stored",
    ),
    Mutant(
        "revision-not-set",
        P,
        '            item["revision"] = revision',
        '            item["revision"] = 1',
        "a changed page keeps revision 1",
    ),
    Mutant(
        "revision-not-counted",
        P,
        '                self.stats.inc_value("newscrawl/revisions")',
        "                pass",
        "revisions go uncounted",
    ),
    Mutant(
        "syndication-across-runs-ignored",
        P,
        '        if first == item["url"] and state is not None:',
        '        if first == item["url"] and state is None:',
        "copies of articles from earlier runs are not flagged",
    ),
    Mutant(
        "coverage-counts-empties",
        P,
        'if v not in (None, [], ""))',
        "if v is not None)",
        "empty lists count as present fields",
    ),
    Mutant(
        "rejects-written-as-records",
        P,
        '        """Records are every item but a Reject."""\n        return not isinstance(item, Reject)',
        '        """Records are every item but a Reject."""\n        return True',
        "rejects land in the records files",
    ),
    Mutant(
        "output-error-swallowed",
        P,
        '            self._stop(exc)\n            raise DropItem(f"not written: {exc}") from exc',
        "            self._stop(exc)",
        "an item that was not written goes on as if it had been",
    ),
    Mutant(
        "writer-close-publishes-nothing",
        P,
        "        self._guarded(BatchWriter.close)",
        "        self._guarded(BatchWriter.abort)",
        "the last batch is discarded at the end of the run",
    ),
    Mutant(
        "failed-again-not-counted",
        P,
        "        if self.failed_before(item):\n            self.crawler.stats.inc_value(FAILED_AGAIN)",
        "        if False:\n            self.crawler.stats.inc_value(FAILED_AGAIN)",
        "a page the portal always serves cut fails every run",
    ),
    # -- the state's registration and lock (extension) ------------------------------------
    Mutant(
        "failed-download-remembered",
        B,
        'CONTENT_REJECTS: Final = frozenset({"invalid", "not-article", "no-body"})',
        'CONTENT_REJECTS: Final = frozenset({"invalid", "not-article", "no-body", "download-error"})',
        "a page that failed to download is never fetched again",
    ),
    Mutant(
        "empty-200-final",
        B,
        'CONTENT_REJECTS: Final = frozenset({"invalid", "not-article", "no-body"})',
        'CONTENT_REJECTS: Final = frozenset({"invalid", "not-article", "no-body", "empty"})',
        "a momentary empty 200 keeps the page out of later runs",
    ),
    Mutant(
        "latest-lastmod-ignored",
        E,
        'metas = [{**m, "lastmod": lastmods.get(m["url"], m["lastmod"])} for m in batch.records_meta]',
        "metas = batch.records_meta",
        "a date learnt after the page was written is not stored",
    ),
    Mutant(
        "reject-lastmod-lost",
        E,
        '[{**m, "lastmod": lastmods.get(m["url"], m.get("lastmod"))} for m in pages]',
        "pages",
        "a date learnt after a page was rejected is not stored: fetched again next run",
    ),
    Mutant(
        "lock-never-released",
        E,
        "            if lock is not None:\n                lock.release()",
        "            pass",
        "the next run finds the lock held",
    ),
    # -- output: batches -------------------------------------------------------------------
    Mutant(
        "fsync-skipped",
        O,
        "            os.fsync(batch.raw.fileno())\n",
        "",
        "a power loss can leave a published file empty",
    ),
    Mutant(
        "folder-fsync-skipped",
        O,
        "        try:\n            _fsync_folder(self.folder)\n        except OSError as exc:",
        "        try:\n            pass\n        except OSError as exc:",
        "a power loss can lose a published name",
    ),
    Mutant(
        "rename-skipped",
        O,
        "            os.replace(batch.temp, batch.final)",
        "            shutil.copyfile(batch.temp, batch.final)",
        "the file is copied, not renamed: the temp file stays",
    ),
    Mutant(
        "written-under-final-name",
        O,
        '    return "." + final_name.replace(".jsonl", "", 1) + TEMP_SUFFIX',
        "    return final_name",
        "readers can see a half-written batch under its final name",
    ),
    Mutant(
        "rotation-off-by-one",
        O,
        "        if batch.count >= self.max_records:",
        "        if batch.count > self.max_records:",
        "a batch holds one record too many",
    ),
    Mutant(
        "age-never-due",
        O,
        "self._clock() - batch.started < self.max_seconds:",
        "self._clock() - batch.started < self.max_seconds * 2:",
        "a batch is published late",
    ),
    Mutant(
        "ascii-escaped",
        O,
        "ensure_ascii=False",
        "ensure_ascii=True",
        "Cyrillic text is written as \\u escapes",
    ),
    Mutant(
        "nan-allowed",
        O,
        "allow_nan=False",
        "allow_nan=True",
        "NaN is written, which is not JSON",
    ),
    Mutant(
        "failed-batch-kept",
        O,
        "        with suppress(OSError):\n            os.unlink(batch.temp)",
        "        pass",
        "a failed batch's temp file stays behind",
    ),
    Mutant(
        "recover-too-greedy",
        O,
        "        if not (_TEMP_NAME.fullmatch(path.name) and path.is_file()):\n            continue\n",
        "",
        "recovery removes hidden files it does not own",
    ),
    Mutant(
        "unpublished-not-reported",
        O,
        "        self.published.append(published)\n",
        "",
        "published files go missing from the report",
    ),
    # -- state ----------------------------------------------------------------------------
    Mutant(
        "state-sync-normal",
        S,
        'conn.execute("PRAGMA synchronous = FULL")',
        'conn.execute("PRAGMA synchronous = NORMAL")',
        "a registration can be lost on power loss",
    ),
    Mutant(
        "unknown-url-skipped",
        B,
        "            return Verdict.DEFERRED\n    return Verdict.FETCH",
        "            return Verdict.DEFERRED\n    return Verdict.KNOWN",
        "new pages are never fetched",
    ),
    Mutant(
        "cut-page-remembered-as-final",
        B,
        "    if facts.known or (kind is not None and not failed):",
        "    if facts.known or kind is not None:",
        "a page served cut once is never fetched again",
    ),
    Mutant(
        "same-lastmod-refetched",
        B,
        "        return after > before",
        "        return after >= before",
        "a page with an unchanged lastmod is fetched again",
    ),
    Mutant(
        "known-without-lastmod-refetched",
        B,
        "        if lastmod is None or not lastmod_changed(stored, lastmod):",
        "        if lastmod is not None and not lastmod_changed(stored, lastmod):",
        "every known page is fetched again when no date is given",
    ),
    Mutant(
        "verdict-article-by-the-asked-url",
        S,
        "LEFT JOIN articles ON articles.url = aliases.url",
        "LEFT JOIN articles ON articles.url = asked.page",
        "a page known only under its canonical URL is fetched again",
    ),
    Mutant(
        "verdict-reject-of-the-article",
        S,
        "LEFT JOIN rejected ON rejected.url = asked.page",
        "LEFT JOIN rejected ON rejected.url = articles.url",
        "a rejected page (no article) is fetched every run",
    ),
    Mutant(
        "redis-verdict-reject-only-when-unknown",
        R,
        "  found[2 * i] = redis.call('hget', KEYS[3], ARGV[i])",
        "  found[2 * i] = (not article) and redis.call('hget', KEYS[3], ARGV[i])",
        "a written page that then fails every run is never deferred in distributed mode",
    ),
    Mutant(
        "revision-not-incremented",
        B,
        '    return ("revision", stored[1] + 1)',
        '    return ("revision", stored[1])',
        "a revision gets the number of the version it replaces",
    ),
    Mutant(
        "file-registered-twice",
        S,
        '            if self._db.execute("SELECT 1 FROM files WHERE path = ?", (key,)).fetchone():\n                return',
        "            if False:\n                return",
        "registering a file again re-counts its articles",
    ),
    Mutant(
        "older-revision-wins",
        S,
        "            if revision >= existing.revision:",
        "            if True:",
        "an older version replaces a newer one",
    ),
    Mutant(
        "canonical-alias-dropped",
        S,
        "        for alias in (record.url, record.canonical_url):",
        "        for alias in (record.url,):",
        "an article is not known under its canonical URL",
    ),
    Mutant(
        "copy-of-itself",
        S,
        '"SELECT url FROM articles WHERE fingerprint = ? AND url IS NOT ? "',
        '"SELECT url FROM articles WHERE fingerprint = ? AND url IS NOT NULL OR ? IS NULL "',
        "a page is reported as a copy of itself",
    ),
    Mutant(
        "reject-lastmod-overwritten",
        S,
        'lastmod = coalesce(excluded.lastmod, "\n                    "lastmod), kind',
        'lastmod = excluded.lastmod, "\n                    "kind',
        "a later reject without a date forgets the page's known date",
    ),
    Mutant(
        "newest-owner",
        S,
        "ORDER BY first_seen, rowid LIMIT 1",
        "ORDER BY first_seen DESC, rowid DESC LIMIT 1",
        "a syndicated copy points at the latest copy, not the original",
    ),
    Mutant(
        "transaction-never-committed",
        S,
        '        db.execute("COMMIT")',
        "        pass",
        "registrations are rolled back when the store closes",
    ),
    Mutant(
        "rejects-files-reconciled",
        S,
        '        and ".rejects-" not in path.name\n',
        "",
        "rejects files of the older layout are registered as records",
    ),
    Mutant(
        "history-rejects-forgotten",
        S,
        "            store.register_rejects(pages, path=path)\n            rejects",
        "            rejects",
        "a rebuilt state forgets the rejects: content rejects are fetched again",
    ),
    Mutant(
        "reconcile-leaves-dead-rejects",
        S,
        "            store.register_rejects(read_rejects(path), path=path)",
        "            continue",
        "the rejects of a run that died before registering them are lost",
    ),
    Mutant(
        "rejects-file-registered-twice",
        S,
        '                    "SELECT 1 FROM rejects_files WHERE path = ?", (key,)\n                ).fetchone():\n                    return',
        '                    "SELECT 1 FROM rejects_files WHERE path = ?", (key,)\n                ).fetchone():\n                    pass',
        "a rejects file registered again counts its failures twice",
    ),
    Mutant(
        "older-rejects-files-not-adopted",
        S,
        "        store.adopt_rejects_files(published_rejects(root, site))",
        "        store.adopt_rejects_files([])",
        "after an upgrade every old rejects file counts its failures again",
    ),
    Mutant(
        "redis-rejects-file-registered-twice",
        R,
        "if ARGV[1] ~= '' and redis.call('hexists', KEYS[2], ARGV[1]) == 1 then return 0 end\n",
        "",
        "a rejects file registered again counts its failures twice (distributed mode)",
    ),
    Mutant(
        "redis-failure-streak-not-counted",
        R,
        "    failures = (tonumber(prior['failures']) or 1) + 1",
        "    failures = 1",
        "a page that always fails never backs off (distributed mode)",
    ),
    Mutant(
        "read-back-page-dated-by-its-own-date",
        S,
        '        record["lastmod"] = record_lastmod(obj, started)',
        '        record["lastmod"] = None',
        "after a rebuild a page whose sitemap date is later than its own is fetched once more",
    ),
    Mutant(
        "read-back-page-never-dated-by-its-own-date",
        S,
        "    if moment is not None and moment > fetched:",
        "    if False:",
        "a page dated after its fetch is taken as unchanged when the sitemap says so",
    ),
    Mutant(
        "read-back-page-dated-by-its-run-not-its-fetch",
        S,
        "    fetched = as_aware(crawled) if isinstance(crawled, str) else None",
        "    fetched = None",
        "after a rebuild a page whose sitemap date falls between its run's start and its "
        "fetch is fetched once more",
    ),
    Mutant(
        "history-records-before-rejects",
        S,
        '0 if kind == "rejects" else 1',
        '1 if kind == "rejects" else 0',
        "a page rejected and written in one run ends rejected after a rebuild",
    ),
    Mutant(
        "failure-streak-not-counted",
        S,
        '"failures = rejected.failures + 1",',
        '"failures = 1",',
        "a page that always fails never backs off",
    ),
    # -- the failed-page backoff -----------------------------------------------------------------
    Mutant(
        "first-retry-deferred",
        B,
        "    if streak.failures < 2 or base <= 0 or cap <= 0:",
        "    if streak.failures < 1 or base <= 0 or cap <= 0:",
        "a page that failed once waits instead of being fetched by the next run",
    ),
    Mutant(
        "dedup-asks-under-its-url-only",
        P,
        "                [key, *sorted(keys - {key})],\n",
        "                [key],\n",
        "a page reached under another URL than the one written is written again",
    ),
    Mutant(
        "sqlite-dedup-first-key-only",
        S,
        "                for key in keys:\n                    article = self._find(key)",
        "                for key in keys[:1]:\n                    article = self._find(key)",
        "a page known under its canonical URL only is written again as new",
    ),
    Mutant(
        "sqlite-dedup-no-owner",
        S,
        "                    owner = self._owner(fingerprint, keys[0])",
        "                    owner = None",
        "copies of articles from earlier runs are not flagged",
    ),
    Mutant(
        "redis-dedup-first-key-only",
        R,
        "for i = first, #ARGV do\n  local key = redis.call('hget', KEYS[1], ARGV[i])",
        "for i = first, first do\n  local key = redis.call('hget', KEYS[1], ARGV[i])",
        "a page known under its canonical URL only is written again (distributed mode)",
    ),
    Mutant(
        "redis-dedup-claims-a-live-workers-page",
        R,
        "  if owner and owner ~= ARGV[2] and redis.call('exists', ARGV[3] .. owner) == 1 then\n    return {article, 0, false, 0}",
        "  if false then\n    return {article, 0, false, 0}",
        "two live workers write the same article",
    ),
    Mutant(
        "redis-dedup-claim-not-kept",
        R,
        "for i = first, #ARGV do redis.call('hset', KEYS[3], ARGV[i], ARGV[2]) end\n",
        "",
        "the worker that writes a page does not reserve it: a second worker writes it too",
    ),
    Mutant(
        "redis-dedup-dead-worker-keeps-its-pages",
        R,
        " and redis.call('exists', ARGV[3] .. owner) == 1 then",
        " then",
        "a page taken by a worker that died is never written",
    ),
    Mutant(
        "redis-dedup-no-owner",
        R,
        "  if member ~= excluded then return {article, 1, member, 0} end\n",
        "",
        "copies of articles from earlier runs are not flagged (distributed mode)",
    ),
    Mutant(
        "redis-dedup-unchanged-not-recognised",
        R,
        "if article and cjson.decode(article)['fingerprint'] == ARGV[1] then\n",
        "if article and cjson.decode(article)['fingerprint'] == ARGV[2] then\n",
        "an unchanged page is claimed and asked its owner (distributed mode)",
    ),
    Mutant(
        "redis-note-not-written",
        R,
        "  redis.call('hset', articles, redis.call('hget', aliases, first_key), cjson.encode(article))\n",
        "",
        "an unchanged page's new lastmod is never stored (distributed mode)",
    ),
    Mutant(
        "redis-note-any-later-string",
        R,
        "        changed = given_s > seconds or (given_s == seconds and given_us > micros)",
        "        changed = ARGV[7] > trimmed",
        "a sitemap date in another time zone replaces a later stored one (distributed mode)",
    ),
    Mutant(
        "redis-note-micros-ignored",
        R,
        "        changed = given_s > seconds or (given_s == seconds and given_us > micros)",
        "        changed = given_s > seconds",
        "a date later by a fraction of a second is not stored (distributed mode)",
    ),
    Mutant(
        "redis-note-offset-sign",
        R,
        "    if sign == '-' then offset = -offset end\n",
        "",
        "dates west of Greenwich are read hours off (distributed mode)",
    ),
    Mutant(
        "redis-note-ignores-the-writer-lock",
        R,
        "  if redis.call('exists', writer) == 1 then return -1 end\n",
        "",
        "a note races a registration under way and is lost or undoes it (distributed mode)",
    ),
    Mutant(
        "redis-note-under-any-key",
        R,
        "  if not under_first then return 0 end\n",
        "",
        "a page known under another of its keys is noted, unlike note_seen (distributed mode)",
    ),
    Mutant(
        "redis-note-not-handed-back",
        R,
        "        if int(noted) < 0:\n            self.note_seen(keys[0], lastmod)\n",
        "",
        "a page whose date the script cannot read is not noted (distributed mode)",
    ),
    Mutant(
        "sqlite-note-skipped",
        S,
        '        if note and status == "unchanged":\n            self.note_seen(keys[0], lastmod)\n',
        "",
        "an unchanged page's new lastmod is never stored",
    ),
    Mutant(
        "redis-prefetch-rejects-unread",
        R,
        "  found[2 * i] = redis.call('hget', KEYS[3], ARGV[i])\n",
        "  found[2 * i] = false\n",
        "a page rejected for its content is fetched again when its sitemap is read (distributed mode)",
    ),
    Mutant(
        "redis-prefetch-read-forever",
        R,
        "        found = self._prefetched.pop(url, None) if prefetched else None",
        "        found = self._prefetched.get(url) if prefetched else None",
        "a page's verdict stays what a sitemap read long ago (distributed mode)",
    ),
    Mutant(
        "redis-prefetch-not-forgotten",
        R,
        "        ordered = list(dict.fromkeys(urls))\n        self._prefetched = {}\n",
        "        ordered = list(dict.fromkeys(urls))\n",
        "what an earlier sitemap read answers verdicts later (distributed mode)",
    ),
    Mutant(
        "prefetch-first-page-only",
        SP,
        "            self.state.prefetch(page for page in pages if page not in self.requested)",
        "            self.state.prefetch([page for page in pages if page not in self.requested][:1])",
        "a sitemap costs Redis a round trip a page again (distributed mode)",
    ),
    Mutant(
        "prefetch-not-for-listings",
        SP,
        "        self.prefetch_state([url for url, _node in links])\n",
        "",
        "a listing page costs Redis a round trip an article link (distributed mode)",
    ),
    Mutant(
        "prefetch-not-for-feeds",
        SP,
        "        self.prefetch_state([url for url, _date in entries])\n",
        "",
        "a feed costs Redis a round trip an item (distributed mode)",
    ),
    Mutant(
        "backoff-uncapped",
        B,
        "    wait = min(base * 2.0 ** min(streak.failures - 1, 64), cap)",
        "    wait = base * 2.0 ** min(streak.failures - 1, 64)",
        "a page that failed for weeks waits for years",
    ),
    Mutant(
        "backoff-ignored-by-the-spider",
        SP,
        "            verdict = self.state.verdict(page, lastmod, self.failed_page_backoff)",
        "            verdict = self.state.verdict(page, lastmod)",
        "a page that always fails is fetched every run forever",
    ),
    Mutant(
        "deferred-counted-as-known",
        SP,
        "                self.count_skip(verdict.value, page)  # known, deferred",
        '                self.count_skip("known", page)  # known, deferred',
        "the report says known for pages the backoff holds back",
    ),
    Mutant(
        "backoff-deadline-reversed",
        B,
        "        if due is not None and (now or datetime.now(UTC)) < due:",
        "        if due is not None and (now or datetime.now(UTC)) > due:",
        "a failing page is fetched while it should wait, and waits when due",
    ),
    Mutant(
        "note-seen-keeps-old-lastmod",
        S,
        "            if lastmod is not None and lastmod_changed(stored, lastmod):\n                stored = lastmod",
        "            if lastmod is not None and lastmod_changed(stored, lastmod):\n                pass",
        "an unchanged page is fetched again for the same date next run",
    ),
    Mutant(
        "withheld-batch-published-anyway",
        P,
        "        if failed and self.writer is not None and self.distributed:",
        "        if failed and self.writer is not None and not self.distributed:",
        "a distributed worker stopped by an error publishes what it cannot register",
    ),
    Mutant(
        "frontier-page-seen-elsewhere-not-dropped",
        F,
        "            self.crawler.signals.send_catch_log(\n                signals.request_dropped, request=new, spider=self.spider\n            )",
        "            pass",
        "a request another worker queued is neither queued nor reported dropped",
        FRONTIER_TESTS,
    ),
    Mutant(
        "frontier-new-requests-not-pending",
        F,
        "        if self._pending:\n            return True\n",
        "",
        "a worker holding new requests asks Redis whether any wait (or goes idle)",
        FRONTIER_TESTS,
    ),
    Mutant(
        "frontier-new-requests-kept-at-close",
        F,
        "            self._push_and_take(take=False)  # new requests still here go to the others",
        "            pass",
        "a closing worker loses the new requests it had not sent",
        FRONTIER_TESTS,
    ),
    Mutant(
        "frontier-new-requests-never-sent-alone",
        F,
        "                self._push_call = call_later(PUSH_WAIT, self._push_later)",
        "                pass",
        "new requests wait for a take that may not come",
        FRONTIER_TESTS,
    ),
    Mutant(
        "frontier-lease-ahead-any-host",
        F,
        "            and _host(request) == lease.host\n",
        "",
        "a slot leased at one host is used by a request to another",
        FRONTIER_TESTS,
    ),
    Mutant(
        "frontier-lease-ahead-short-for-timeout",
        F,
        "            and self._timeout(request) <= self.timeout\n",
        "",
        "a lease shorter than the request's download timeout holds its slot",
        FRONTIER_TESTS,
    ),
    Mutant(
        "frontier-lease-ahead-swept-at-once",
        F,
        "            if request not in active and leased < stale:",
        "            if request not in active:",
        "a slot leased with the take goes back before its request reaches the downloader",
        FRONTIER_TESTS,
    ),
    Mutant(
        "frontier-dropped-ahead-lease-kept",
        F,
        "            held = ahead[:2]\n        self._give_back(held)",
        "            return\n        self._give_back(held)",
        "a request dropped before the middleware keeps the slot leased with its take",
        FRONTIER_TESTS,
    ),
    Mutant(
        "listing-markup-unchecked",
        SP,
        "        if not isinstance(response, TextResponse) or self.markup_refused(response):",
        "        if not isinstance(response, TextResponse):",
        "a listing with an attribute flood holds the crawl for minutes while lxml parses it",
    ),
    Mutant(
        "url-listing-markup-unchecked",
        "newscrawl/spiders/url.py",
        "            return [] if self.markup_refused(response) else list(self.follow_links(response))",
        "            return list(self.follow_links(response))",
        "crawling by URL, a listing with an attribute flood holds the crawl while it parses",
    ),
    Mutant(
        "refused-listing-counted-ok",
        SP,
        "            count_as_failed(self.crawler.stats, response.request)\n",
        "",
        "a portal whose only entry point is refused passes its run with nothing read",
    ),
    Mutant(
        "robots-txt-read-whole",
        "newscrawl/robotstxt.py",
        "    if len(body) <= MAX_ROBOTS_BYTES:",
        "    if True:",
        "a robots.txt of many rules makes every request of the crawl dear",
        ("tests/test_robotstxt.py",),
    ),
    Mutant(
        "robots-txt-cut-mid-line",
        "newscrawl/robotstxt.py",
        "    return head[:end]",
        "    return head",
        "a rule cut by the limit reads as a shorter rule and disallows more",
        ("tests/test_robotstxt.py",),
    ),
    Mutant(
        "crawl-delay-jittered-when-slot-remade",
        "newscrawl/middlewares.py",
        '        entry["jitter"] = 0.0  # a jittered delay starts some requests sooner than asked\n',
        "",
        "a slot made again after idling starts requests up to half the Crawl-delay early",
        ("tests/test_middlewares.py",),
    ),
    Mutant(
        "crawl-delay-jittered-live-slot",
        "newscrawl/middlewares.py",
        "            slot.jitter = 0.0\n",
        "",
        "the host's live slot keeps Scrapy's ±50% jitter under a Crawl-delay",
        ("tests/test_middlewares.py",),
    ),
    Mutant(
        "damaged-sitemap-not-counted",
        "newscrawl/spiders/portal.py",
        '        self.crawler.stats.inc_value(f"newscrawl/errors/{kind}-damaged")\n',
        "",
        "a damaged or hostile sitemap or feed is logged but not in the report's errors",
    ),
    Mutant(
        "hostile-xml-not-read-past-entities",
        "newscrawl/xmlread.py",
        "    if fault is not None and fault.entities and (safe := without_internal_subset(body, encoding)):",
        "    if False and (safe := without_internal_subset(body, encoding)):",
        "the entries after a billion-laughs entity's first use are lost",
    ),
    Mutant(
        "unregistered-batch-drops-its-record",
        P,
        "        try:\n            self.on_publish(batch)\n        except StateError as exc:\n            self._stop(exc)",
        "        self.on_publish(batch)",
        "a record whose write published a batch the state failed to register is dropped as not written",
    ),
    Mutant(
        "state-opened-before-output-lock",
        B,
        "    try:\n        if before_open is not None:\n            before_open()\n        store = StateStore.for_site(Path(state_dir), site)",
        "    try:\n        store = StateStore.for_site(Path(state_dir), site)\n        if before_open is not None:\n            before_open()",
        "a run the output lock refuses has opened (created) its state first",
    ),
    Mutant(
        "withdrawn-batch-forgotten-before-counted",
        O,
        '            self._fail(exc, "publish", batch.final)\n        try:\n            _fsync_folder(self.folder)',
        '            self._fail(exc, "publish", batch.final)\n        self._batch = None\n        try:\n            _fsync_folder(self.folder)',
        "a batch withdrawn after its folder failed to sync is not counted as lost",
    ),
)


def copy_project(into: Path) -> Path:
    """Copy what the fast tests need into ``into``; return the copy's root."""
    root = into / "project"
    root.mkdir()
    for name in ("newscrawl", "tests", "fixtures"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "scrapy.cfg"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, root / name)
    return root


def apply(mutant: Mutant, root: Path) -> str:
    """Write the mutated file into the copy at ``root``; return the original text."""
    path = root / mutant.path
    text = path.read_text(encoding="utf-8")
    count = text.count(mutant.old)
    if count != 1:
        raise ValueError(f"{mutant.name}: snippet found {count} times in {mutant.path}")
    mutated = text.replace(mutant.old, mutant.new)
    if "shutil." in mutant.new and "import shutil" not in mutated:
        mutated = mutated.replace("import os\n", "import os\nimport shutil\n", 1)
    path.write_text(mutated, encoding="utf-8")
    return text


def run_tests(root: Path, tests: tuple[str, ...] = FAST_TESTS) -> bool:
    """Return True when ``tests`` (those not e2e nor slow) pass in the copy at ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "not e2e and not slow",
        *tests,
    ]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, check=False)
    return result.returncode == 0


def main(argv: list[str] | None = None) -> int:
    """Run the mutants; print one line each and the score; 0 when the score is enough."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--min-score", type=float, default=0.9)
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.list:
        for mutant in chosen:
            print(f"{mutant.name:34} {mutant.path:28} {mutant.why}")
        return 0
    if not chosen:
        print(f"no mutant named {', '.join(args.only)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="newscrawl-mutants-") as scratch:
        root = copy_project(Path(scratch))
        if not all(run_tests(root, tests) for tests in dict.fromkeys(m.tests for m in chosen)):
            print("the tests fail without any mutant: fix them first", file=sys.stderr)
            return 1
        survived: list[Mutant] = []
        for mutant in chosen:
            started = time.monotonic()
            original = apply(mutant, root)
            try:
                killed = not run_tests(root, mutant.tests)
            finally:
                (root / mutant.path).write_text(original, encoding="utf-8")
            if not killed:
                survived.append(mutant)
            verdict = "killed  " if killed else "SURVIVED"
            print(f"{verdict} {mutant.name:34} {time.monotonic() - started:5.1f}s  {mutant.why}")
    score = (len(chosen) - len(survived)) / len(chosen)
    print(f"score: {len(chosen) - len(survived)}/{len(chosen)} killed ({score:.0%})")
    return 0 if score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
