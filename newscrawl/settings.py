"""Scrapy settings for newscrawl: polite defaults for crawling other people's sites.

`scrapy crawl` reads this module through scrapy.cfg; the `newscrawl` command
loads the same module, so both front doors crawl alike.
"""

from __future__ import annotations

from scrapy.settings import default_settings as _scrapy_defaults

from newscrawl import __version__
from newscrawl.items import ARTICLE_FIELDS

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

# An honest user agent: sites can see who is crawling and find the project.
USER_AGENT = f"newscrawl/{__version__} (open-source news text crawler; Scrapy)"

# Politeness.
ROBOTSTXT_OBEY = True

# Scrapy's components that newscrawl does not use are left out of Scrapy's base
# lists, not set to None in EXTENSIONS or DOWNLOADER_MIDDLEWARES: Scrapy imports
# every class named in those (None or not) and every one in its base lists before
# it can learn that a component is off. The remote control's import (aiohttp's
# web server) cost every crawl about 0.15 s of CPU. Anything a later Scrapy adds
# to its base lists is kept.
_NOT_USED = {
    # Off below (no listening sockets).
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl",
    # newscrawl.robots.RobotsTxt reads robots.txt instead.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware",
    # newscrawl.metarefresh.HeadMetaRefresh (same place) reads a page's head instead.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware",
    # newscrawl.compression.WholeStreamCompression (same place) refuses a body cut short.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware",
    # The cookie middleware stays, though COOKIES_ENABLED is False above: a user's
    # `-s COOKIES_ENABLED=True` must still work.
}
# newscrawl's own components go into Scrapy's base lists, beside Scrapy's: a
# user's DOWNLOADER_MIDDLEWARES, EXTENSIONS or ITEM_PIPELINES (in a settings
# module, with -s, or scrapyd's -d setting=) then adds to them, as it adds to
# Scrapy's, instead of replacing them. In the lists themselves, `-s
# DOWNLOADER_MIDDLEWARES='{"my.Proxy": 400}'` turned off the address guard,
# robots.txt and the page budget without a word, and a user's EXTENSIONS left the
# crawl without its page workers. To turn one off, name it with None, as for
# Scrapy's own.
DOWNLOADER_MIDDLEWARES_BASE = {
    **{
        name: order
        for name, order in _scrapy_defaults.DOWNLOADER_MIDDLEWARES_BASE.items()
        if name not in _NOT_USED
    },
    # First: a request is charged to its site's page budget as it is sent, in the
    # scheduler's order of priority, or refused when the budget is spent.
    "newscrawl.budget.BudgetGate": 10,
    # Then: a request to an internal address or a non-HTTP scheme goes nowhere,
    # not even to fetch that host's robots.txt.
    "newscrawl.netguard.AddressGuard": 50,
    # robots.txt read by newscrawl (RFC 9309, fail closed, every request waits for
    # its origin's verdict), in place of Scrapy's middleware (_NOT_USED).
    "newscrawl.robots.RobotsTxt": 100,
    # Sees a 3xx before RedirectMiddleware (600) follows it: no redirect to user:password@.
    "newscrawl.netguard.RedirectGuard": 650,
    # Before RetryMiddleware (550) sees a 429/503: honour its Retry-After.
    "newscrawl.backoff.RetryAfterBackoff": 560,
    # Before RetryMiddleware (550) too: no retry once the crawl is stopping.
    "newscrawl.stopwatch.NoRetryWhileStopping": 555,
    # Sees every answer, retried ones included; a site failing again and again is dropped.
    "newscrawl.circuit.SiteCircuitBreaker": 570,
    # Where Scrapy's MetaRefreshMiddleware was (_NOT_USED): the same redirects,
    # without decoding the whole page on the event loop.
    "newscrawl.metarefresh.HeadMetaRefresh": 580,
    # Before the decompression: a 206 to a request for no range is a part of the
    # page, retried then failed as a body cut short, never read as the page.
    "newscrawl.partial.PartialContentRefusal": 595,
    # Where Scrapy's HttpCompressionMiddleware was (_NOT_USED): the same decompression,
    # and a body whose compressed stream ends early is a page cut short, not a page.
    "newscrawl.compression.WholeStreamCompression": 590,
    # Next to the downloader: each response as the site sent it (before decompression
    # and redirects) and its request as it went out, as WARC records (only with an
    # archive: NEWSCRAWL_ARCHIVE_DIR, --archive, or a site's `archive`).
    "newscrawl.archive.WarcArchive": 950,
}
# Scrapy's UrlLengthMiddleware logged every request past URLLENGTH_LIMIT with its
# whole URL; newscrawl's counts them instead (newscrawl/urllength.py). Scrapy's
# DepthMiddleware dropped a deep sitemap's or feed's entries unsaid; newscrawl's
# applies DEPTH_LIMIT to links only (newscrawl/listdepth.py).
_REPLACED_SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware",
    "scrapy.spidermiddlewares.depth.DepthMiddleware",
}
SPIDER_MIDDLEWARES_BASE = {
    **{
        name: order
        for name, order in _scrapy_defaults.SPIDER_MIDDLEWARES_BASE.items()
        if name not in _REPLACED_SPIDER_MIDDLEWARES
    },
    "newscrawl.urllength.QuietUrlLength": 800,
    "newscrawl.listdepth.ListedDepth": 900,
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
# Requests waiting in the scheduler are kept packed (about 0.2 KB each, not 2.1):
# a crawl through links knows thousands of addresses before it fetches them
# (newscrawl/compactqueue.py). First in, first out within a priority (Scrapy's
# default is last in, first out): a sitemap's articles are sent in the order the
# spider lists them, newest first. Last in first out, a site's budget of 5 went to
# the 10th to 14th newest of its sitemap's 20, the newest left for the next run.
SCHEDULER_MEMORY_QUEUE = "newscrawl.compactqueue.CompactFifoMemoryQueue"
# The duplicate filter, which also tells the spider which URLs it has seen: a link
# to one of them is not made into a request (newscrawl/dupefilter.py).
DUPEFILTER_CLASS = "newscrawl.dupefilter.URLDupeFilter"
# CONCURRENT_ITEMS stays Scrapy's 100, though Scrapy starts that many asyncio tasks
# for every response (0.7 ms of the crawler's CPU a page): it also sets how many of
# a callback's requests reach the scheduler before the event loop turns (twice as
# many), and a sitemap's 1,165 articles 8 at a time let the hub pages' links to the
# same pages come first: read as undeclared pages, 73 of them were classified as
# hubs and not stored (the benchmark's link crawl, CONCURRENT_ITEMS = 4).
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

ITEM_PIPELINES_BASE = {
    **_scrapy_defaults.ITEM_PIPELINES_BASE,
    "newscrawl.pipelines.CleaningPipeline": 200,
    # Only with a store (NEWSCRAWL_SQLITE_PATH or NEWSCRAWL_DATABASE_URL).
    "newscrawl.pipelines.StorePipeline": 300,
}
EXTENSIONS_BASE = {
    **{
        name: order
        for name, order in _scrapy_defaults.EXTENSIONS_BASE.items()
        if name not in _NOT_USED
    },
    # The store's one owner: opens, migrates and locks it before the first request;
    # after the pipelines, re-cleans the run's sites, writes the run record, closes it.
    "newscrawl.runstore.RunStore": 0,
    # One worker of a cluster (NEWSCRAWL_CLUSTER_URL): its Redis client and the run's keys.
    "newscrawl.cluster.ClusterExtension": 0,
    # A progress line on a terminal (NEWSCRAWL_PROGRESS; the newscrawl command sets it).
    "newscrawl.progress.ProgressLine": 0,
    # A response's header section is capped (256 KiB), as its body is by DOWNLOAD_MAXSIZE.
    "newscrawl.headerlimit.HeaderLimit": 0,
    # A body that ends with its connection is cut, not whole, if the connection was.
    "newscrawl.connectionend.CutConnections": 0,
    # The page workers: every page, sitemap and feed is read in one of these processes.
    "newscrawl.pagereader.PageReader": 0,
    # Network errors (refused, timed out, unknown host) logged as one line, no traceback.
    "newscrawl.logformatter.QuietNetworkErrors": 0,
    # A stop (Ctrl-C, SIGTERM) that takes over NEWSCRAWL_STOP_TIMEOUT ends the process.
    "newscrawl.stopwatch.StopWatchdog": 0,
    # The longest the event loop went without turning: stat newscrawl/loop/max_lag_ms.
    "newscrawl.looplag.LoopLag": 0,
    # A callback's output handled with a task per element, not 100 per response.
    "newscrawl.spideroutput.TasksPerElement": 0,
}
# Scrapy's in-memory stats without its hook on every attribute read (runlog.py).
STATS_CLASS = "newscrawl.runlog.RunStats"
LOG_FORMATTER = "newscrawl.logformatter.NewscrawlLogFormatter"
LOG_LEVEL = "INFO"

FEED_EXPORT_ENCODING = "utf-8"
# Local feed files: a torn last line (from a killed run) is cut before appending.
FEED_STORAGES = {
    "": "newscrawl.feeds.JsonLinesSafeFileStorage",
    "file": "newscrawl.feeds.JsonLinesSafeFileStorage",
    # A reader gone (`| head`) stops the crawl in one line, as a full disk does.
    "stdout": "newscrawl.feeds.GuardedStdoutStorage",
}
FEED_EXPORT_FIELDS = list(ARTICLE_FIELDS)
# A JSON Lines file whose records wait in a spool (feeds.FeedSpool) gets no record
# made of each item that would be dropped unwritten.
FEED_EXPORTERS = dict.fromkeys(
    ("jsonlines", "jsonl", "jl"), "newscrawl.feeds.SpoolAwareJsonLinesExporter"
)

# newscrawl's own settings (NEWSCRAWL_*) are declared, with their defaults and
# checks, in newscrawl/config.py (NewscrawlConfig) and listed in the README; set
# them here, with -s NAME=VALUE, or in your own settings module. A NEWSCRAWL_*
# name that config.py does not know is an error.

# Project commands: `scrapy crawl` checks newscrawl's spider arguments first.
COMMANDS_MODULE = "newscrawl.commands"
