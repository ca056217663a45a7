"""The words a run is told in: stats keys, finish reasons, counters, reasons.

Every component counts and reports with these names, and every reader (the
summary, the progress line, the stats file, `newscrawl stats`, the cluster)
reads them from here, so that a name is spelled once.
"""

from __future__ import annotations

__all__ = [
    "ADDRESS_REFUSED",
    "ADDRESS_REFUSED_STAT",
    "ARCHIVED",
    "ARCHIVE_ERROR",
    "ARCHIVE_UNAVAILABLE",
    "ARTICLES",
    "BLOCKED",
    "BREAKER_OPENED",
    "CANONICAL_REFUSED",
    "CIRCUIT_OPEN",
    "CIRCUIT_OPENED",
    "CLEANED_AWAY",
    "CLUSTER_ERROR",
    "CLUSTER_INCOMPLETE",
    "CLUSTER_LOST",
    "CLUSTER_REQUEUED",
    "CLUSTER_UNREADABLE",
    "CPU_MS",
    "DISCOVERY_CUT_SHORT",
    "DISCOVERY_LEFT",
    "DISCOVERY_NOT_FETCHED",
    "DISCOVERY_READ",
    "DISCOVERY_TOO_DEEP",
    "DISCOVERY_UNREADABLE",
    "DROPPED",
    "ENTRIES_CUT",
    "EXTRACTION_ERROR",
    "EXTRACTION_FAILED",
    "FETCHED",
    "FETCH_FAILED",
    "FINISHED",
    "HTTP_ERROR",
    "ITEM_ERRORS",
    "KNOWN",
    "LINKS_CUT",
    "LINKS_TOO_LONG",
    "LOOP_MAX_HELD_MS",
    "LOOP_MAX_LAG_MS",
    "MAX_PAGES_REACHED",
    "MEMUSAGE_EXCEEDED",
    "NETWORK_ERROR",
    "NOT_ARTICLE",
    "NOT_HTML",
    "NOT_MODIFIED",
    "NOT_WANTED",
    "NO_TEXT",
    "OFFSITE",
    "OFFSITE_REDIRECT",
    "OUTPUT_ERROR",
    "OUTPUT_ERROR_MESSAGE",
    "OUTPUT_WRITTEN",
    "OVER_BUDGET",
    "PAGES",
    "PAGES_DROPPED",
    "PAGES_OVER_SITE_CAP",
    "PAGES_SKIPPED",
    "PAGES_TRUNCATED",
    "PATTERN_TIMEOUTS",
    "PREFIX",
    "RECLEANED",
    "REQUESTS_SENT",
    "RETRY_AFTER_PAUSES",
    "ROBOTS",
    "ROBOTS_TOO_COSTLY",
    "ROBOTS_UNAVAILABLE",
    "ROBOTS_UNREACHABLE_STAT",
    "RUN_TOTALS",
    "SENT_TO_WRITER",
    "SHUTDOWN",
    "SITE_STATS",
    "SPIDER_ERRORS",
    "START_ERROR",
    "START_FAILED",
    "STATS_COLUMNS",
    "STORAGE_ERROR",
    "STORE",
    "STORED",
    "STORE_ERROR",
    "STORE_UNAVAILABLE",
    "TAKEN_BACK",
    "TOO_LARGE",
    "TOO_OLD",
    "TOO_SHORT",
    "UNCHANGED",
    "UNREACHABLE",
    "URL_PATTERN_TIMEOUTS",
    "WRITE_ERRORS",
]

# -- finish reasons (Scrapy's, and newscrawl's own) --------------------------------------

FINISHED = "finished"
SHUTDOWN = "shutdown"  # Ctrl-C or SIGTERM
MEMUSAGE_EXCEEDED = "memusage_exceeded"  # Scrapy's MEMUSAGE_LIMIT_MB
# The store could not be written during the crawl.
STORAGE_ERROR = "storage_error"
# The store could not be opened (a lock held by another run, not a database, ...):
# nothing was fetched.
STORE_UNAVAILABLE = "store_unavailable"
# An archive folder could not be written when the crawl opened: nothing was fetched.
ARCHIVE_UNAVAILABLE = "archive_unavailable"
# The JSON Lines output could not be written (a full disk, a deleted file).
OUTPUT_ERROR = "output_error"
# The extraction workers could not start, or kept dying.
EXTRACTION_FAILED = "extraction_failed"
# A cluster worker that lost its Redis, or waited in vain for other shards' workers.
CLUSTER_LOST = "cluster_unreachable"
CLUSTER_INCOMPLETE = "cluster_incomplete"
# The crawler or its engine raised while it started (a class path that does not
# import, a component whose constructor raises): nothing was fetched. Scrapy itself
# says "shutdown" or nothing for it, which read as a Ctrl-C.
START_FAILED = "start_failed"

# -- stats keys -------------------------------------------------------------------------

PREFIX = "newscrawl/"
ARTICLES = "newscrawl/articles"  # articles that came through cleaning
PAGES = "newscrawl/pages/"  # + article | hub: pages by kind
DROPPED = "newscrawl/dropped/"  # + rule: paragraphs cleaning dropped
PAGES_DROPPED = "newscrawl/pages_dropped/"  # + reason: fetched pages without an article
PAGES_SKIPPED = "newscrawl/pages_skipped/"  # + reason: pages not extracted (not HTML)
FETCH_FAILED = "newscrawl/fetch_failed/"  # + reason: requests that got no page
CPU_MS = "newscrawl/cpu_ms/"  # + extract | clean | store: CPU milliseconds
STORE = "newscrawl/store/"  # + new | changed | unchanged | other_site: store outcomes
STORE_ERROR = "newscrawl/store/error"  # the message of the write that stopped the crawl
# Failed store writes. A cluster worker acknowledges no request once it is set:
# their articles may not be stored.
WRITE_ERRORS = "newscrawl/store/write_errors"
# Articles an item pipeline failed on with an unexpected error (an operator's own
# pipeline among them): Scrapy logs each and counts none, and a crawl whose every
# article was lost that way exited 0.
ITEM_ERRORS = "newscrawl/item_errors"
# Pages whose callback raised an unexpected error: Scrapy's own count.
SPIDER_ERRORS = "spider_exceptions/count"
RECLEANED = "newscrawl/store/recleaned"  # rows the end-of-run re-clean changed
# Sitemaps and feeds read with entries: a run that fetched no page but read them
# found nothing new, which is no failure.
DISCOVERY_READ = "newscrawl/discovery_read"
CANONICAL_REFUSED = "newscrawl/canonical_refused"  # another site's canonical URL ignored
ADDRESS_REFUSED_STAT = "newscrawl/address_refused"
ROBOTS_UNREACHABLE_STAT = "newscrawl/robots_unreachable"
ROBOTS_UNAVAILABLE = "newscrawl/robots/unavailable"  # 4xx or too many redirects: no rules
CIRCUIT_OPENED = "newscrawl/circuit_open"
RETRY_AFTER_PAUSES = "newscrawl/retry_after/pauses"
MAX_PAGES_REACHED = "newscrawl/max_pages_reached"
PAGES_OVER_SITE_CAP = "newscrawl/pages_over_site_cap"
CLUSTER_ERROR = "newscrawl/cluster/error"
CLUSTER_REQUEUED = "newscrawl/cluster/requeued"
CLUSTER_UNREADABLE = "newscrawl/cluster/unreadable"  # queued requests set aside
# + <site>/<counter>: the run record's counts of each site (newscrawl/runlog.py).
SITE_STATS = "newscrawl/site/"
# + <counter>: the same counts for the whole run.
RUN_TOTALS = "newscrawl/run/"
ARCHIVED = "newscrawl/archive/records"  # responses written to the WARC archive
ARCHIVE_ERROR = "newscrawl/archive/error"  # why an archive folder could not be used
# Re-fetches answered 304 Not Modified: counted as unchanged, nothing extracted.
NOT_MODIFIED = "newscrawl/not_modified"
OUTPUT_ERROR_MESSAGE = "newscrawl/output/error"  # the write that stopped the crawl
# JSON Lines records written at the end of the run, with their final text (newscrawl/feeds.py).
OUTPUT_WRITTEN = "newscrawl/output/records"
EXTRACTION_ERROR = "newscrawl/extraction/error"  # why the extraction workers failed
START_ERROR = "newscrawl/start/error"  # why the crawl could not start (START_FAILED)
# The longest the event loop went without turning, in ms (newscrawl/looplag.py).
LOOP_MAX_LAG_MS = "newscrawl/loop/max_lag_ms"
# The same, less the time the loop's thread waited for a CPU: what the crawler's own
# work held it (Linux; elsewhere the stall itself).
LOOP_MAX_HELD_MS = "newscrawl/loop/max_held_ms"

# -- the run's counters, per site and in all -------------------------------------------
# One set of names for the run record, `newscrawl stats`, the summary, the progress
# line and the stats file.

FETCHED = "pages_fetched"  # pages received (2xx), articles and hubs
# Requests the page budget charged (pages, sitemaps, feeds): whom a run served
# (newscrawl/budget.py), so that the next seeds first those it did not.
REQUESTS_SENT = "requests_sent"
STORED = "stored"  # articles committed to the store, new or changed
# The page at a URL another page of the run was stored under (another story; that
# page is read again under its own URL): a row the run counted stored already.
TAKEN_BACK = "taken_back"
UNCHANGED = "unchanged"  # articles fetched again and committed, their text unchanged
SENT_TO_WRITER = "sent_to_writer"  # a writer cluster's worker: articles sent to the writer
KNOWN = "already_stored"  # article URLs found again and not fetched: stored before
NOT_ARTICLE = "not_article"  # pages that are hubs (home, section, tag pages)
# A URL's state: it led to a page the site's allow and deny patterns leave out.
NOT_WANTED = "not_wanted"
TOO_SHORT = "too_short"
CLEANED_AWAY = "cleaned_away"
NO_TEXT = "no_text"
HTTP_ERROR = "http_error"  # 404, 500, ... (not 401/403/429)
NETWORK_ERROR = "network_error"  # timeouts, refused connections, DNS failures
# Answers past DOWNLOAD_MAXSIZE: by their Content-Length, as received, or once
# decompressed (a gzip bomb). The page's doing, not the network's.
TOO_LARGE = "too_large"
ROBOTS = "robots_txt"  # pages robots.txt forbids
UNREACHABLE = "unreachable"  # pages of a host whose robots.txt could not be read
# Hosts of a site whose robots.txt newscrawl would not keep (newscrawl/robots.py:
# too many wildcard rules, or past what one site's files may hold): not crawled.
ROBOTS_TOO_COSTLY = "robots_too_costly"
BLOCKED = "blocked"  # 401, 403, 429 answers
CIRCUIT_OPEN = "circuit_open"  # requests dropped after the site kept failing
# The site's circuit breaker opened (once a run): its failures in a row reached
# the limit, whether or not a request was left to drop.
BREAKER_OPENED = "breaker_opened"
ADDRESS_REFUSED = "address_refused"
OVER_BUDGET = "over_budget"  # URLs left for the next run: the page budget was spent
# Sitemaps, feeds and start pages the page budget had no room for: not read, not kept as
# pending URLs (a pending URL is fetched as an article page); the next run finds
# them again where this one did (robots.txt, the sites file, an index, a home page).
DISCOVERY_LEFT = "discovery_left"
NOT_HTML = "not_html"  # answers that are no HTML page (a PDF, an image): skipped
TOO_OLD = "too_old"
OFFSITE = "offsite"  # another site's URLs found here, left to that site
OFFSITE_REDIRECT = "offsite_redirect"  # pages that redirected to another site's page
LINKS_CUT = "links_cut"  # links past the cap of one page (newscrawl/pageworker.py)
LINKS_TOO_LONG = "links_too_long"  # links longer than URLLENGTH_LIMIT: not followed
ENTRIES_CUT = "entries_cut"  # sitemap or feed entries past the cap of one document
# Sitemaps and feeds fetched but not read: past a worker's time or memory limit, or
# a gzipped sitemap inflating past MAX_SITEMAP_BYTES. Their entries are lost for the
# run: counted, as a page past a limit is, not only logged.
DISCOVERY_UNREADABLE = "discovery_unreadable"
# Sitemaps and feeds that ended before their root element did: read up to the cut,
# the rest of their entries lost (a loss, as an unreadable one is).
DISCOVERY_CUT_SHORT = "discovery_cut_short"
# Sitemaps and feeds nested past MAX_NESTING (spiders/news.py): not read, warned of.
DISCOVERY_TOO_DEEP = "discovery_too_deep"
# Sitemaps and feeds not fetched for a fault of the moment (a timeout, a 5xx, a
# broken connection, a body past DOWNLOAD_MAXSIZE), retries spent: their entries
# are lost for the run, as an unreadable one's are. Not one that is gone (404,
# 410) or that robots.txt or the address guard refuses: those are the site's
# standing answer, said in a warning each run, and a run that met one is no worse
# than the one before.
DISCOVERY_NOT_FETCHED = "discovery_not_fetched"
PAGES_TRUNCATED = "pages_truncated"  # read to MAX_TAGS tags, or text kept to MAX_TEXT_CHARS
# Pages on which a user's fragment pattern ran out of time (cleaning/fragments.py):
# stored with the paragraphs it did not finish.
PATTERN_TIMEOUTS = "pattern_timeouts"
# URLs not followed: a site's allow or deny pattern ran out of time on them (sites.py).
URL_PATTERN_TIMEOUTS = "url_pattern_timeouts"

# Columns of `newscrawl stats`, in order: counter -> heading.
STATS_COLUMNS = {
    FETCHED: "fetched",
    STORED: "stored",
    UNCHANGED: "unchanged",
    KNOWN: "known",
    NOT_ARTICLE: "not article",
    TOO_SHORT: "too short",
    CLEANED_AWAY: "cleaned",
    NO_TEXT: "empty",
    HTTP_ERROR: "http err",
    NETWORK_ERROR: "net err",
    ROBOTS: "robots",
    BLOCKED: "blocked",
    UNREACHABLE: "unreach",
    OVER_BUDGET: "left",
}
