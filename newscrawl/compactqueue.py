"""The scheduler's memory queues: a pending request kept as a few hundred bytes.

A crawl learns of most of a site's addresses long before it fetches them: in the
benchmark's 10,000-page crawl through links, some 9,600 requests waited in the
scheduler through most of the run, and the sitemap crawl schedules every listed
article at its start. As Scrapy Request objects (their headers, meta and the
weak reference of Scrapy's fingerprint cache) they took about 2.1 KB each, 20 MB
of the crawler's process for 10,000 pages.

Here a plain GET request whose callbacks are the spider's own methods and whose
meta and cb_kwargs hold plain values (strings, numbers, and lists, sets and
dicts of them: every request newscrawl's spiders schedule) waits as one pickled
tuple of its fields, about 0.2 KB, and is built again when the scheduler hands
it on: 35 us of CPU for both steps, against 150 for Scrapy's own form
(`Request.to_dict`, as its disk queues keep it). Any other request waits as the
object it is, as with Scrapy's queues: a POST, a Request subclass, a callback
the spider does not reach by its name (a lambda, a wrapper, a private method),
and a meta value that is an object of its own (a Deferred, an Event, a counter),
which must come back as that very object, not a copy. A plain dict or list in
meta comes back as an equal copy, as it does from Scrapy's disk queues and from
the cluster's Redis queue.

SCHEDULER_MEMORY_QUEUE names CompactFifoMemoryQueue: within a priority, requests
are sent in the order the spider made them (newscrawl/settings.py says why);
CompactLifoMemoryQueue is there for a crawl that wants Scrapy's default order.
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any, Self

from queuelib.queue import FifoMemoryQueue, LifoMemoryQueue
from scrapy import Request

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Spider
    from scrapy.crawler import Crawler

__all__ = ["CompactFifoMemoryQueue", "CompactLifoMemoryQueue", "pack", "unpack"]

# The fields a packed request keeps; any other must have its default value.
_KEPT = ("url", "callback", "errback", "headers", "meta", "priority", "dont_filter", "flags",
         "cb_kwargs")  # fmt: skip
_DEFAULTS: dict[str, object] = {"method": "GET", "body": b"", "encoding": "utf-8"}
# A later Scrapy whose requests have fields this module does not know: keep objects.
_PACKABLE = set(Request.attributes) <= {*_KEPT, *_DEFAULTS, "cookies"}
# What meta and cb_kwargs may hold for a request to be packed.
_PLAIN_VALUES = {str, bytes, int, float, bool, type(None)}
_PLAIN_COLLECTIONS = {list, tuple, set, frozenset}
_PLAIN_MAX_DEPTH = 16


def _plain(value: object, depth: int = 0) -> bool:
    """True if `value` is a plain value, or a collection of them (not nested past
    _PLAIN_MAX_DEPTH): what pickles and unpickles to an equal value, with no
    identity of its own that a copy would lose."""
    kind = type(value)
    if kind in _PLAIN_VALUES:
        return True
    if depth >= _PLAIN_MAX_DEPTH:
        return False
    if kind in _PLAIN_COLLECTIONS:
        return all(_plain(item, depth + 1) for item in value)  # type: ignore[attr-defined]
    if kind is dict:
        return all(
            _plain(key, depth + 1) and _plain(item, depth + 1)
            for key, item in value.items()  # type: ignore[attr-defined]
        )
    return False


def _method_name(spider: Spider, function: Callable[..., Any] | None) -> str | None:
    """The name of the spider's method `function` (None for no callback), or raise
    ValueError if it is something else (a lambda, another object's method)."""
    if function is None:
        return None
    name = getattr(function, "__name__", None)
    if getattr(function, "__self__", None) is not spider or not isinstance(name, str):
        raise ValueError("not a method of the spider")
    if getattr(spider, name, None) != function:  # a wrapper, a private or renamed method
        raise ValueError("not reached by its name")
    return name


def pack(request: Request, spider: Spider) -> bytes | Request:
    """`request` as the bytes `unpack` builds it again from, or the request itself
    when its kind or its fields cannot be packed."""
    if not _PACKABLE or type(request) is not Request or request.cookies:
        return request
    if any(getattr(request, field) != value for field, value in _DEFAULTS.items()):
        return request
    if not (_plain(request.meta) and _plain(request.cb_kwargs) and _plain(request.flags)):
        return request
    try:
        callback = _method_name(spider, request.callback)
        errback = _method_name(spider, request.errback)
    except ValueError:  # a callback that is not the spider's
        return request
    headers = list(request.headers.items()) if request.headers else None
    fields = (request.url, callback, errback, headers, request.meta, request.priority,
              request.dont_filter, request.flags, request.cb_kwargs)  # fmt: skip
    return pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(item: bytes | Request | None, spider: Spider) -> Request | None:
    """The request `pack` made `item` of (None stays None)."""
    if not isinstance(item, bytes):
        return item
    fields = pickle.loads(item)
    url, callback, errback, headers, meta, priority, dont_filter, flags, cb_kwargs = fields
    return Request(
        url,
        callback=getattr(spider, callback) if callback else None,
        errback=getattr(spider, errback) if errback else None,
        headers=headers,
        meta=meta,
        priority=priority,
        dont_filter=dont_filter,
        flags=flags,
        cb_kwargs=cb_kwargs,
    )


class _Compact:
    """A queuelib memory queue of requests that holds them packed."""

    spider: Spider

    def __init__(self, crawler: Crawler, key: str) -> None:
        super().__init__()
        assert crawler.spider is not None  # the scheduler opens its queues for a spider
        self.spider = crawler.spider

    @classmethod
    def from_crawler(cls, crawler: Crawler, key: str, *args: Any, **kwargs: Any) -> Self:
        return cls(crawler, key)

    def push(self, request: Request) -> None:
        super().push(pack(request, self.spider))  # type: ignore[misc]

    def pop(self) -> Request | None:
        return unpack(super().pop(), self.spider)  # type: ignore[misc]

    def peek(self) -> Request | None:
        return unpack(super().peek(), self.spider)  # type: ignore[misc]


class CompactLifoMemoryQueue(_Compact, LifoMemoryQueue):
    """Last in, first out (Scrapy's default order), requests packed."""


class CompactFifoMemoryQueue(_Compact, FifoMemoryQueue):
    """First in, first out, requests packed."""
