"""The duplicate filter, and the URLs it has seen: a link to one of them is not
made into a request at all.

A page's links lead mostly to pages the crawl has found already (a site's menus,
its related stories): in the benchmark's link crawl, eleven links a page of every
twelve. Each would become a Request, pass the spider middlewares, the scheduler's
request_scheduled and request_dropped signals and the computing of its fingerprint,
only to be dropped here. `URLDupeFilter` is Scrapy's RFPDupeFilter that also keeps
the URLs of the GET requests without a body it has looked at: such a request for
one of those URLs has a fingerprint the filter has seen (the fingerprint is the
method, the canonical URL and the body), so the spider asks `seen(url)` before it
makes one. With another fingerprinter (REQUEST_FINGERPRINTER_CLASS) the URLs are
not kept and `seen` is always False. `newscrawl crawl` refuses a DUPEFILTER_CLASS
that is not this class or a subclass (newscrawl/scrapyvalues.py); under `scrapy
crawl` with another one, or in a cluster worker (its scheduler's filter is in
Redis), there is no URLDupeFilter, and `URLDupeFilter.of` is None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.request import RequestFingerprinter

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler

__all__ = ["URLDupeFilter"]

_FILTERS: WeakKeyDictionary[Crawler, URLDupeFilter] = WeakKeyDictionary()


class URLDupeFilter(RFPDupeFilter):
    """DUPEFILTER_CLASS: RFPDupeFilter, and the URLs it has seen (see the module's
    docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls: set[str] | None = None  # None: URLs say nothing of fingerprints

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        dupefilter = super().from_crawler(crawler)
        if type(crawler.request_fingerprinter) is RequestFingerprinter:
            dupefilter.urls = set()
        _FILTERS[crawler] = dupefilter
        return dupefilter

    @classmethod
    def of(cls, crawler: Crawler) -> URLDupeFilter | None:
        """The crawl's URLDupeFilter, once its scheduler has one, else None."""
        return _FILTERS.get(crawler)

    def request_seen(self, request: Request) -> bool:
        seen = super().request_seen(request)
        # Seen or not, its fingerprint is the filter's now.
        if self.urls is not None and request.method == "GET" and not request.body:
            self.urls.add(request.url)
        return seen

    def seen(self, url: str) -> bool:
        """Whether a GET request for `url` would be dropped as a duplicate."""
        return self.urls is not None and url in self.urls
