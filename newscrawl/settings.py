"""Scrapy settings for newscrawl: polite defaults for crawling other people's sites.

`scrapy crawl` reads this module through scrapy.cfg; the `newscrawl` command
loads the same module, so both front doors crawl alike.
"""

from __future__ import annotations

from newscrawl import __version__
from newscrawl.cleaning import DEFAULT_MIN_WORDS
from newscrawl.items import ARTICLE_FIELDS

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

# An honest user agent: sites can see who is crawling and find the project.
USER_AGENT = f"newscrawl/{__version__} (open-source news text crawler; Scrapy)"

# Politeness.
ROBOTSTXT_OBEY = True
DOWNLOADER_MIDDLEWARES = {
    # First: a request to an internal address or a non-HTTP scheme goes nowhere,
    # not even to fetch that host's robots.txt.
    "newscrawl.netguard.AddressGuard": 50,
    # robots.txt read by newscrawl (RFC 9309, fail closed, every request waits for
    # its origin's verdict), in place of Scrapy's middleware.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newscrawl.robots.RobotsTxt": 100,
    # Sees a 3xx before RedirectMiddleware (600) follows it: no redirect to user:password@.
    "newscrawl.netguard.RedirectGuard": 650,
    # Before RetryMiddleware (550) sees a 429/503: honour its Retry-After.
    "newscrawl.backoff.RetryAfterBackoff": 560,
    # Sees every answer, retried ones included; a site failing again and again is dropped.
    "newscrawl.circuit.SiteCircuitBreaker": 570,
}
COOKIES_ENABLED = False
CONCURRENT_REQUESTS = 16
# Per download slot, which is the site (the spider sets request.meta["download_slot"]):
# a site's sub-domains share it.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# The scheduler hands out requests of the site with the fewest in the downloader
# first, counting those waiting for robots.txt: one slow site cannot fill
# CONCURRENT_REQUESTS and starve the others.
SCHEDULER_PRIORITY_QUEUE = "newscrawl.fairness.SiteFairQueue"
# Never zero: Scrapy's per-site concurrency limit is not enforced without a delay.
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# News pages are rarely over 2 MB; a 32 MB cap stops a runaway body early.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
# Recursive crawls (the `news` spider) go this many links deep from their start pages.
DEPTH_LIMIT = 3
# The crawler's own process (not the extraction workers): stop cleanly, storage
# committed, with finish reason memusage_exceeded, rather than be killed by the OS.
MEMUSAGE_LIMIT_MB = 2048
MEMUSAGE_CHECK_INTERVAL_SECONDS = 5
# Only http and https: a link or redirect to file://, data:, ftp:// or s3:// must not
# make the crawler read local files or other services.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
# DNS answers that point inside (loopback, private, link-local, metadata) are refused;
# see newscrawl/netguard.py. The start URLs' own hosts are allowed.
TWISTED_DNS_RESOLVER = "newscrawl.netguard.GuardedResolver"
# Send other sites only our origin, never the full URL of the page linking to them.
REFERRER_POLICY = "strict-origin-when-cross-origin"
# No listening sockets: neither the telnet console nor Scrapy's remote control.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

ITEM_PIPELINES = {
    "newscrawl.pipelines.ExtractionPipeline": 100,
    "newscrawl.pipelines.CleaningPipeline": 200,
    "newscrawl.pipelines.SqlitePipeline": 300,  # only with NEWSCRAWL_SQLITE_PATH
}
EXTENSIONS = {
    # Closes the SQLite store after the pipelines: re-cleans, writes the run record.
    "newscrawl.crawlstore.CrawlStoreExtension": 0,
    # A progress line on a terminal (NEWSCRAWL_PROGRESS; the newscrawl command sets it).
    "newscrawl.progress.ProgressLine": 0,
    # Network errors (refused, timed out, unknown host) logged as one line, no traceback.
    "newscrawl.logformatter.QuietNetworkErrors": 0,
    # A stop (Ctrl-C, SIGTERM) that takes over NEWSCRAWL_STOP_TIMEOUT ends the process.
    "newscrawl.stopwatch.StopWatchdog": 0,
}
LOG_FORMATTER = "newscrawl.logformatter.NewscrawlLogFormatter"
LOG_LEVEL = "INFO"

FEED_EXPORT_ENCODING = "utf-8"
# Local feed files: a torn last line (from a killed run) is cut before appending.
FEED_STORAGES = {
    "": "newscrawl.feeds.JsonLinesSafeFileStorage",
    "file": "newscrawl.feeds.JsonLinesSafeFileStorage",
}
FEED_EXPORT_FIELDS = list(ARTICLE_FIELDS)

# newscrawl's own settings (read by newscrawl.config.NewscrawlConfig).
NEWSCRAWL_MIN_WORDS = DEFAULT_MIN_WORDS  # fewer words left after cleaning: not an article
NEWSCRAWL_FRAGMENT_PATTERNS: list[str] = []  # extra boilerplate regexes (whole paragraph)
NEWSCRAWL_MAX_PAGES = 0  # pages a spider may request; 0: no limit
# Pages one site may cost a run (spider traps: calendars, session ids); 0: no limit.
NEWSCRAWL_MAX_PAGES_PER_SITE = 20_000
NEWSCRAWL_SQLITE_PATH = ""  # e.g. "output/newscrawl.sqlite"; empty: no SQLite storage
NEWSCRAWL_SQLITE_COMMIT_EVERY = 100
NEWSCRAWL_SQLITE_COMMIT_SECONDS = 5.0
NEWSCRAWL_STOP_TIMEOUT = 60.0  # seconds a stop may take before the process just exits; 0: wait
NEWSCRAWL_STATS_FILE = ""  # the newscrawl command writes the crawl's stats here as JSON
NEWSCRAWL_PROGRESS = False  # a progress line on stderr, updated in place
NEWSCRAWL_MAX_RETRY_AFTER = 600.0  # seconds; a longer Retry-After gives the request up
NEWSCRAWL_RETRY_AFTER_TIMES = 3  # Retry-After pauses for one request at most
NEWSCRAWL_SITE_FAILURE_LIMIT = 10  # failures in a row that stop requests to a site; 0: never
NEWSCRAWL_ADDRESS_GUARD = True  # refuse internal addresses not among the start URLs' hosts
NEWSCRAWL_ALLOW_HOSTS: list[str] = []  # further internal hosts or addresses a crawl may reach
NEWSCRAWL_WORKERS = "auto"  # extraction processes: a number, 0 (in-process) or auto (one per core)
NEWSCRAWL_EXTRACT_TIMEOUT = 8.0  # seconds; a page taking longer is abandoned, its worker replaced
NEWSCRAWL_WORKER_MEMORY_MB = 1024  # address space of an extraction worker; 0: no limit
NEWSCRAWL_EXTRACT_QUEUE = 0  # pages waiting for extraction at most; 0: 4 per worker
# One worker of a cluster (newscrawl/cluster.py; `newscrawl crawl --cluster` sets these
# and SCHEDULER = "newscrawl.cluster.ClusterScheduler").
NEWSCRAWL_CLUSTER_URL = ""  # the cluster's Redis, redis://[:password@]host:port/db
NEWSCRAWL_CLUSTER_RUN = ""  # the run id, shared by all its workers; Redis keys are scoped to it
NEWSCRAWL_SHARD = "0/1"  # this worker's share of the sites: INDEX/COUNT
NEWSCRAWL_CLUSTER_TIMEOUT = 60.0  # seconds Redis may not answer before the worker stops
NEWSCRAWL_CLUSTER_WAIT = 600.0  # seconds an idle worker waits for other shards' workers to start
# Send articles to the run's `newscrawl writer` through Redis (--writer); the
# pipeline newscrawl.writer.ArticleQueuePipeline must then be in ITEM_PIPELINES.
NEWSCRAWL_CLUSTER_WRITER = False
NEWSCRAWL_DATABASE_URL = ""  # postgresql://...: store there instead of NEWSCRAWL_SQLITE_PATH

# Project commands: `scrapy crawl` checks newscrawl's spider arguments first.
COMMANDS_MODULE = "newscrawl.commands"
