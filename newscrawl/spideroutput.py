"""A callback's output handled with a task per element, not CONCURRENT_ITEMS tasks
per response.

Scrapy's scraper hands what a callback yields (items and requests) to the spider
middlewares and the pipelines through `scrapy.utils.asyncio._parallel_asyncio`:
it starts CONCURRENT_ITEMS (100) worker tasks for every response, before the
callback has yielded anything, and they wait on a queue while newscrawl's
callback waits for its page worker. An article yields an item and a few links,
so nearly all of those tasks start, wait and end for nothing: in a 2,000-page
link crawl, 218,000 tasks, 660,000 callbacks scheduled on the event loop, about
a seventh of the crawler's process's CPU, and some 13,000 tasks alive at once
(the benchmark's 10,000-page crawl, sampled).

`parallel_per_element` keeps what that function promises: the elements are
handled in the order they come, by at most `count` calls at once, and it returns
when all are done. It starts one task per element instead, only when the element
is there. TasksPerElement (an extension, so that `scrapy crawl` and `newscrawl
crawl` both have it) puts it in the scraper's place, if the scraper still calls
the function by that name; otherwise it changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["TasksPerElement", "parallel_per_element"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def parallel_per_element(
    iterable: Iterable[T] | AsyncIterator[T],
    count: int,
    callable_: Callable[..., Coroutine[Any, Any, None]],
    *args: Any,
    **kwargs: Any,
) -> None:
    """`callable_(element, *args, **kwargs)` for each element of `iterable`, in its
    order, at most `count` at once; returns when every call has ended."""
    running: set[asyncio.Task[None]] = set()
    elements = iterable if isinstance(iterable, AsyncIterator) else _async(iterable)
    async for element in elements:
        while len(running) >= max(count, 1):
            _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        running.add(asyncio.ensure_future(callable_(element, *args, **kwargs)))
    if running:
        await asyncio.wait(running)


async def _async(iterable: Iterable[T]) -> AsyncIterator[T]:
    for element in iterable:
        yield element


def install() -> bool:
    """Make Scrapy's scraper use `parallel_per_element`; False, changing nothing, if
    it no longer calls `_parallel_asyncio` from its module."""
    from scrapy.core import scraper

    if not callable(getattr(scraper, "_parallel_asyncio", None)):
        return False
    scraper._parallel_asyncio = parallel_per_element  # type: ignore[attr-defined]
    return True


class TasksPerElement:
    """EXTENSIONS: installs `parallel_per_element` for the crawl."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TasksPerElement:
        if not install():
            logger.debug("Scrapy's scraper no longer has _parallel_asyncio: left as it is")
        return cls()
