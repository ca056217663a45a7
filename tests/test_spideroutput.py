"""A callback's output: a task per element, in order, at most CONCURRENT_ITEMS at once
(newscrawl/spideroutput.py), in place of Scrapy's 100 tasks per response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import scrapy.core.scraper
from scrapy.utils.test import get_crawler

import newscrawl.settings as newscrawl_settings
from newscrawl.spideroutput import parallel_per_element
from newscrawl.spiders.news import NewsSpider


def tasks_started(run: Any) -> tuple[Any, int]:
    """What the coroutine function `run` returns, and how many tasks it started."""
    started = 0

    async def main() -> Any:
        nonlocal started
        loop = asyncio.get_running_loop()

        def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            nonlocal started
            started += 1
            return asyncio.Task(coro, loop=loop, **kwargs)

        loop.set_task_factory(counting)
        try:
            return await run()
        finally:
            loop.set_task_factory(None)  # not asyncio.run's own tasks as it ends

    return asyncio.run(main()), started


def test_a_crawls_scraper_starts_a_task_per_element_not_per_allowed_element() -> None:
    """Built for a crawl with newscrawl's settings, the scraper handles an article's
    output (an item and two links) with three tasks; Scrapy's own function started
    101: CONCURRENT_ITEMS (100) and one to fill their queue."""
    values = {name: getattr(newscrawl_settings, name) for name in dir(newscrawl_settings)
              if name.isupper()}  # fmt: skip
    get_crawler(NewsSpider, {**values, "NEWSCRAWL_WORKERS": 0})  # builds the extensions
    handled: list[str] = []

    async def handle(element: str) -> None:
        handled.append(element)

    async def output() -> None:
        await scrapy.core.scraper._parallel_asyncio(["item", "link 1", "link 2"], 100, handle)

    _, started = tasks_started(output)
    assert handled == ["item", "link 1", "link 2"]
    assert started == 3


def test_elements_are_handled_in_order_at_most_count_at_once() -> None:
    running, most, began, ended = 0, 0, [], []

    async def handle(element: int, pause: float) -> None:
        nonlocal running, most
        began.append(element)
        running += 1
        most = max(most, running)
        await asyncio.sleep(pause * (element % 3))
        running -= 1
        ended.append(element)

    async def elements() -> AsyncIterator[int]:
        for element in range(20):
            await asyncio.sleep(0)
            yield element

    async def both() -> None:
        await parallel_per_element(range(20), 4, handle, 0.002)
        await parallel_per_element(elements(), 4, handle, pause=0.002)

    asyncio.run(both())
    assert began == [*range(20), *range(20)]
    assert sorted(ended) == sorted(began)  # every call ended before it returned
    assert most == 4
