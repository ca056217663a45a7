"""The words a run is told in: stats keys, finish reasons, counters, reasons.

Every component counts and reports with these names, and every reader (the
summary, the progress line, the stats file, `newscrawl stats`, the cluster)
reads them from here, so that a name is spelled once.
"""

from __future__ import annotations

__all__ = [
    "ADDRESS_REFUSED_STAT",
    "ARTICLES",
    "CANONICAL_REFUSED",
    "CIRCUIT_OPENED",
    "CLUSTER_ERROR",
    "CLUSTER_INCOMPLETE",
    "CLUSTER_LOST",
    "CLUSTER_REQUEUED",
    "CPU_MS",
    "DROPPED",
    "FETCH_FAILED",
    "FINISHED",
    "MAX_PAGES_REACHED",
    "MEMUSAGE_EXCEEDED",
    "PAGES",
    "PAGES_DROPPED",
    "PAGES_OVER_SITE_CAP",
    "PAGES_SKIPPED",
    "RECLEANED",
    "RETRY_AFTER_PAUSES",
    "ROBOTS_UNAVAILABLE",
    "ROBOTS_UNREACHABLE_STAT",
    "SHUTDOWN",
    "SITE_STATS",
    "STORAGE_ERROR",
    "STORE",
    "STORE_ERROR",
    "STORE_UNAVAILABLE",
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
# A cluster worker that lost its Redis, or waited in vain for other shards' workers.
CLUSTER_LOST = "cluster_unreachable"
CLUSTER_INCOMPLETE = "cluster_incomplete"

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
RECLEANED = "newscrawl/store/recleaned"  # rows the end-of-run re-clean changed
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
# + <site>/<counter>: the run record's counts of each site (newscrawl/runlog.py).
SITE_STATS = "newscrawl/site/"
