"""The scheduler's memory queue keeps a waiting request packed, and hands back the
request it was (newscrawl/compactqueue.py). Built as Scrapy builds it: from the
SCHEDULER_MEMORY_QUEUE of newscrawl's settings, for a crawler of the news spider."""

from __future__ import annotations

import gc
import threading
import tracemalloc
from collections.abc import Callable
from typing import Any

from scrapy import FormRequest, Request
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.test import get_crawler

import newscrawl.settings as newscrawl_settings
from newscrawl.spiders.news import NewsSpider

SITE = "http://news.test/"


class Tally:
    """A meta value with an identity of its own: a copy would count apart."""

    def __init__(self) -> None:
        self.count = 0


def unwrapped(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return method(*args, **kwargs)

    return wrapper


class UnusualSpider(NewsSpider):
    """Callbacks that are the spider's methods but not reached by their names."""

    name = "unusual"

    def __private(self, response: Any) -> None:
        pass

    @unwrapped
    def wrapped(self, response: Any) -> None:
        pass

    def private(self) -> Callable[..., Any]:
        return self.__private


def queue_and_spider(spider_class: type[NewsSpider] = NewsSpider) -> tuple[Any, Any]:
    values = {name: getattr(newscrawl_settings, name) for name in dir(newscrawl_settings)
              if name.isupper()}  # fmt: skip
    crawler = get_crawler(spider_class, {**values, "NEWSCRAWL_WORKERS": 0})
    spider = spider_class.from_crawler(crawler, urls=SITE)
    crawler.spider = spider
    queue_class = load_object(crawler.settings["SCHEDULER_MEMORY_QUEUE"])
    return build_from_crawler(queue_class, crawler, "news.test/0"), spider


def link_request(spider: NewsSpider, number: int) -> Request:
    """A request as the spider makes one for a link of an article page."""
    request = spider.make_request(
        f"{SITE}2026/11/{number}/a-story-of-the-day.html", "news.test", callback=spider.parse,
        priority=-1, headers={"Referer": f"{SITE}2026/11/{number + 7}/another-story.html"},
    )  # fmt: skip
    request.meta["depth"] = 2
    return request


def test_a_waiting_request_takes_a_fraction_of_its_object_size() -> None:
    """In Scrapy's memory queues, 5,000 requests for links held 1,551 bytes each
    (traced by Python); packed, 301."""
    queue, spider = queue_and_spider()
    link_request(spider, 0)  # what a first request builds once
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(5000):
            queue.push(link_request(spider, number))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(queue) == 5000
    assert held / 5000 < 500, f"{held / 5000:.0f} bytes a waiting request"


def test_a_request_comes_back_as_it_went_in_and_in_the_order_it_went_in() -> None:
    queue, spider = queue_and_spider()
    first, second = link_request(spider, 1), link_request(spider, 2)
    second.meta["published"] = "2026-11-02T08:00:00+01:00"
    second.cb_kwargs["note"] = "listed"
    second.flags.append("from-sitemap")
    second.dont_filter = True
    queue.push(second)
    queue.push(first)
    # First in, first out (newscrawl/settings.py: a sitemap's order kept).
    assert queue.peek().url == second.url
    back = queue.pop()
    assert back is not second  # it was packed
    for field in ("url", "method", "body", "meta", "priority", "dont_filter", "flags",
                  "cb_kwargs", "encoding", "cookies"):  # fmt: skip
        assert getattr(back, field) == getattr(second, field), field
    assert back.headers.to_unicode_dict() == second.headers.to_unicode_dict()
    assert back.callback == spider.parse and back.callback.__self__ is spider
    assert back.errback == spider.on_error
    assert queue.pop().url == first.url
    assert queue.pop() is None and queue.peek() is None and len(queue) == 0


def test_a_request_that_cannot_be_packed_waits_as_it_is() -> None:
    queue, spider = queue_and_spider(UnusualSpider)
    deep: list[Any] = []
    for _ in range(2000):  # deeper than pickle can go
        deep = [deep]
    unusual = [
        FormRequest(f"{SITE}search", formdata={"q": "harbour"}, callback=spider.parse),
        Request(f"{SITE}a.html", callback=lambda response: None),
        Request(f"{SITE}b.html", callback=spider.parse, meta={"lock": threading.Lock()}),
        Request(f"{SITE}c.html", callback=spider.parse, cookies={"session": "1"}),
        Request(f"{SITE}d.html", method="HEAD", callback=spider.parse),
        Request(f"{SITE}e.html", callback=spider.private()),
        Request(f"{SITE}f.html", callback=spider.wrapped),
        Request(f"{SITE}g.html", callback=spider.parse, meta={"tally": Tally()}),
        Request(f"{SITE}h.html", callback=spider.parse, cb_kwargs={"tally": Tally()}),
        Request(f"{SITE}i.html", callback=spider.parse, meta={"deep": deep}),
    ]
    for request in unusual:
        queue.push(request)
    assert [queue.pop() for _ in unusual] == unusual  # the very objects, in order
