"""Scrapy settings of newscrawl. Every NEWSCRAWL_* setting can be overridden with -s."""

from __future__ import annotations

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
SPIDER_LOADER_CLASS = "newscrawl.spiders.ProfileSpiderLoader"
# `scrapy crawl` (and so scrapyd) checks a crawl before it starts, as `newscrawl crawl` does.
COMMANDS_MODULE = "newscrawl.scrapy_commands"

# Who we are: the User-Agent is "newscrawl/<version> (+<contact URL>)". Set the contact
# URL to a page that tells site owners who runs the crawler and how to reach them.
NEWSCRAWL_CONTACT_URL = "https://github.com/newscrawl/newscrawl"

# Politeness.
ROBOTSTXT_OBEY = True
# The first 500 KiB of a robots.txt, as RFC 9309 allows (newscrawl/robotstxt.py).
ROBOTSTXT_PARSER = "newscrawl.middlewares.CappedRobotParser"
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Retries wait: exponential backoff with jitter, or the server's Retry-After (see middlewares.py).
NEWSCRAWL_RETRY_BACKOFF_BASE = 1.0
NEWSCRAWL_RETRY_BACKOFF_MAX = 60.0
NEWSCRAWL_RETRY_AFTER_MAX = 300.0
# The longest robots.txt Crawl-delay kept to (seconds); a longer one is cut to this.
NEWSCRAWL_MAX_CRAWL_DELAY = 30.0
DOWNLOADER_MIDDLEWARES = {
    # Outside retries and redirects: counts each request once, by its final outcome, for
    # the report's error rate (see report.py).
    "newscrawl.report.RequestOutcomes": 25,
    # Innermost: marks a request whose response came, for errors raised over it later.
    "newscrawl.report.ResponseArrivals": 990,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.middlewares.BackoffRetryMiddleware": 550,
    # Sees 3xx before RedirectMiddleware (600): a redirect back into its own chain would
    # otherwise be dropped by the duplicate filter and the page would vanish unrecorded.
    "newscrawl.middlewares.RedirectLoopMiddleware": 610,
    # Also before RedirectMiddleware: a redirect off the site becomes an `offsite-redirect`
    # reject; Scrapy's offsite filter would drop it unseen as it is scheduled.
    "newscrawl.middlewares.OffsiteRedirectMiddleware": 620,
    # Before RedirectMiddleware and the meta refresh one too: a sitemap's or feed's redirect
    # to a page asked for already (a moved sitemap or feed sent to the home page) would
    # otherwise be dropped by the duplicate filter, and the entry point lost unrecorded.
    "newscrawl.middlewares.FeedAndSitemapRedirectMiddleware": 605,
    # Off-site means off-origin: with --base-url only that scheme, host and port.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "newscrawl.middlewares.OriginOffsiteMiddleware": 50,
    # Same meta refreshes as Scrapy's, without decoding every page in the crawl process.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newscrawl.middlewares.SkimMetaRefreshMiddleware": 580,
    # robots.txt read as RFC 9309 says: a 5xx or no answer disallows the host for the run.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newscrawl.middlewares.RfcRobotsTxtMiddleware": 100,
}
# Pages downloaded but not yet extracted are held to 2 MB (Scrapy: 5 MB). With extraction
# workers that is still dozens of pages ahead of them, and it keeps the crawl process's
# peak memory about 15 MiB lower (bench/README.md).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 2_000_000
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response, however few items it
# gives (scrapy/scrapy#5182). Our pipelines never wait, so 100 (Scrapy's default) buys
# nothing; 32 cut the bare benchmark spider's CPU by a quarter. Lower values made the
# sitemaps drain into the scheduler at once and the crawl process grow (bench/README.md).
CONCURRENT_ITEMS = 32
# A crawl by URL stops following listing links after this many pages in a row that were no
# article and linked no page the run had not met (a calendar or pagination without end,
# search filters combined without end); 0: no limit (docs/operations.md).
NEWSCRAWL_MAX_BARREN_LISTINGS = 3
# Requests are one page when their canonical URL is (newscrawl.identity), not Scrapy's fingerprint.
DUPEFILTER_CLASS = "newscrawl.dupefilters.CanonicalUrlDupeFilter"
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Output: records are written by our pipelines, not feed exports (see pipelines.py).
FEED_EXPORT_ENCODING = "utf-8"
ITEM_PIPELINES = {
    "newscrawl.pipelines.ValidationPipeline": 100,
    "newscrawl.pipelines.DedupPipeline": 200,
    "newscrawl.pipelines.RecordsWriterPipeline": 900,
    "newscrawl.pipelines.RejectsWriterPipeline": 910,
}
# Extraction runs in this many worker processes ("auto": one per spare CPU, at most 4;
# 0: in the crawl process). A worker costs 130-145 MiB (mostly the language model) and
# pays off only when extraction, not the sites' politeness limits, bounds the crawl: see
# docs/operations.md and bench/README.md.
NEWSCRAWL_EXTRACT_PROCESSES = 0
# Seconds of CPU extraction may spend on one page (0: no limit); a slower page is a reject of
# kind too-slow (see newscrawl/extraction/limits.py).
NEWSCRAWL_EXTRACT_TIMEOUT = 5.0
# Garbage collector (see extensions.py): a young collection every N allocations instead of
# CPython's 700, objects alive at start-up never rescanned, and a full collection every N
# seconds. 0, False and 0: as CPython does.
NEWSCRAWL_GC_THRESHOLD = 5000
NEWSCRAWL_GC_FREEZE = True
NEWSCRAWL_GC_COLLECT_EVERY = 5.0
NEWSCRAWL_OUTPUT_DIR = "out"
NEWSCRAWL_BATCH_RECORDS = 5000
NEWSCRAWL_BATCH_SECONDS = 600
NEWSCRAWL_GZIP = False
# Test hook for the kill campaign: seconds each writer blocks between publishing a batch and
# registering it in the state. Never set it in production.
NEWSCRAWL_TEST_PAUSE_BEFORE_REGISTER = 0

# Distributed mode (docs/operations.md): with a Redis URL (`newscrawl crawl SITE --redis URL`)
# the request queue, duplicate filter, state and run lease live in Redis, shared by workers.
ADDONS = {"newscrawl.extensions.RedisMode": 0}
NEWSCRAWL_REDIS_URL = ""
NEWSCRAWL_REDIS_PREFIX = "newscrawl"
# This worker's name (default: the host name); one live run per site and worker name.
NEWSCRAWL_WORKER = ""
# Seconds after which the requests of a worker that stopped renewing its lease go back.
NEWSCRAWL_REDIS_VISIBILITY_TIMEOUT = 30.0
# Tries again of a Redis command after a lost connection, 0.5 s, 1 s, 2 s... apart (8 s at
# most); then the worker stops with exit 1 and a report, its requests kept for the others.
NEWSCRAWL_REDIS_RETRIES = 6
# Requests in flight at once per portal from all workers together (a lease per request in
# Redis); 0: CONCURRENT_REQUESTS_PER_DOMAIN, which also still bounds each worker.
NEWSCRAWL_GLOBAL_CONCURRENCY = 0

# Run report, progress and verdict (see report.py).
EXTENSIONS = {
    # Takes the site's run lock, then the output folder's lock (one run writes
    # <NEWSCRAWL_OUTPUT_DIR>/<site>/), then opens its state (NEWSCRAWL_STATE_DIR).
    "newscrawl.extensions.SiteState": 100,
    # The output folder's lock of a crawl without a state (SiteState took it otherwise).
    "newscrawl.extensions.OutputLock": 110,
    "newscrawl.report.RunReport": 500,
    "newscrawl.report.Progress": 510,
    "newscrawl.extensions.GcTuning": 520,
    # AutoThrottle that keeps each host's delay at or above its robots.txt Crawl-delay.
    "scrapy.extensions.throttle.AutoThrottle": None,
    "newscrawl.extensions.CrawlDelayAutoThrottle": 0,
}
LOGSTATS_INTERVAL = 30.0
NEWSCRAWL_STATE_DIR = ".state"
# A run fails when more than this share of its requests (of any kind) failed.
NEWSCRAWL_MAX_ERROR_RATE = 0.2
# Backoff of an article that failed (download error, cut page...) in runs in a row: the
# next run tries it again; after n failures in a row it waits
# min(NEWSCRAWL_FAILED_PAGE_BACKOFF * 2 ** (n - 1), NEWSCRAWL_FAILED_PAGE_BACKOFF_MAX)
# seconds from its last try (docs/operations.md, "Pages that fail again"). 0 turns it off.
# (Not the retries of a request within a run: NEWSCRAWL_RETRY_BACKOFF_BASE and _MAX.)
NEWSCRAWL_FAILED_PAGE_BACKOFF = 3600.0
NEWSCRAWL_FAILED_PAGE_BACKOFF_MAX = 604800.0
# Log the run summary at the end (`newscrawl crawl` prints it on stdout instead).
NEWSCRAWL_LOG_SUMMARY = True
# The one-line progress display, drawn only when stderr is a terminal.
NEWSCRAWL_PROGRESS = True
NEWSCRAWL_PROGRESS_INTERVAL = 1.0
# The run's id, used in file names; empty: the UTC start time, 20160325T090000Z.
NEWSCRAWL_RUN_ID = ""
NEWSCRAWL_COVERAGE_THRESHOLDS = {"headline": 1.0, "body": 1.0, "published_at": 0.95}

LOG_FORMATTER = "newscrawl.pipelines.DropLogFormatter"
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
LOG_LEVEL = "INFO"
