"""Cheaper refreshes: conditional requests for stored articles, and their 304s.

A stored article is fetched again only when its sitemap `lastmod` (or its feed
entry's updated time) is newer than its last fetch, or with `--refresh`. Such a
request carries the ETag and
Last-Modified the store kept from the last fetch (If-None-Match,
If-Modified-Since); a site that answers 304 Not Modified costs one small
response and no extraction: the page counts as `unchanged`, as a refetched page
with the same text does, and its URL's fetch time moves on.

Hubs (start, section, tag pages) are not asked conditionally. A hub is fetched
for its links, and what it links to (other hubs, their new articles) changes
without the hub's own bytes changing in a way its server would report: a 304
would end discovery at that hub for the run. Its articles are few and cheap to
fetch next to what a missed section costs; the store keeps no ETag for hubs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newscrawl.runlog import count_site
from newscrawl.runstore import StoppingURLStates, url_states
from newscrawl.vocabulary import NOT_MODIFIED, UNCHANGED

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

    from newscrawl.frontier import KnownURL

__all__ = ["conditional_headers", "listed_as_changed", "not_modified"]


def conditional_headers(known: KnownURL | None) -> dict[str, str]:
    """The headers that ask for a stored article only if it changed: none for a
    URL that is not a stored article (hubs included) or whose site gave neither."""
    if known is None or known.state != "done":
        return {}
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers


def listed_as_changed(
    lastmod: datetime | None, fetched: datetime | None, now: datetime | None = None
) -> bool:
    """Whether a sitemap's `lastmod` says that an article stored at `fetched` changed
    since: a stamp after that fetch, and not in the future. A stamp in the future
    (9999-12-31, a CMS writing its next scheduled update, a wrong time zone) is no
    change yet: taken for one, it had the article fetched again on every run, for
    ever. Once its time has come, it is compared as any other.

    A fetch time in the future is no time at all: a clock that ran ahead (set to
    a wrong year, then put right) stamped it, and compared as it stands it hid
    every change the sitemap listed until that date came, a year of updates lost
    for a clock wrong for a day. Such an article is listed as changed: fetched
    once more, it gets a true fetch time."""
    now = now or datetime.now(UTC)
    if lastmod is None or fetched is None or lastmod > now:
        return False
    return fetched < lastmod or fetched > now


def not_modified(crawler: Crawler, failure: Failure) -> bool:
    """For a spider's errback: True, after counting it, when `failure` is a 304
    answer to a conditional request (the page is unchanged, nothing to extract);
    False for any other failure, a 304 to a plain request included."""
    from scrapy.spidermiddlewares.httperror import HttpError

    error: Any = failure.value
    if not isinstance(error, HttpError) or error.response.status != 304:
        return False
    request = error.response.request
    if request is None or not _conditional(request.headers):
        # Nothing was asked conditionally, so nothing stored can be "unchanged":
        # a 304 to a plain request is a failed fetch, http_304, for the caller.
        return False
    site = request.meta.get("site") if request is not None else None
    if crawler.stats is not None:
        crawler.stats.inc_value(NOT_MODIFIED)
    count_site(crawler, site, UNCHANGED)
    # Fetched now, unchanged: the next sitemap `lastmod` is compared with this time.
    # (A writer cluster's relay does not carry it: the writer keeps the older time.)
    states = url_states(crawler)
    if isinstance(states, StoppingURLStates) and request is not None:
        states.mark_unchanged(request.url)
    return True


def _conditional(headers: Any) -> bool:
    return bool(headers.get(b"If-None-Match") or headers.get(b"If-Modified-Since"))
