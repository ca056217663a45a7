"""A 206 Partial Content answer to a request that asked for no range is a page
cut short, not a page.

newscrawl never sends a Range header, yet a broken server or cache may answer
206 with a part of the page (its Content-Range says which). Scrapy takes any
2xx as the page: newscrawl stored the first third of an article as the whole
(and an article once stored is not fetched again), and obeyed the first line of
a robots.txt as all of it, fetching a page its missing Disallow line forbids.
Such an answer is now what a body cut short by its Content-Length is: retried,
then a ResponseDataLossError (for a robots.txt, RFC 9309's unreachable file: its
host is not crawled this run). A 206 whose Content-Range is all of the page (a
server that answers every request so) is the page.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import ResponseDataLossError

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

__all__ = ["PartialContentRefusal", "cut_short", "part_of_the_whole"]

# RFC 9110's byte range of a complete length: "bytes 0-499/1234".
_BYTE_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+)", re.IGNORECASE)


def cut_short(crawler: Crawler, request: Request, url: str, reason: str) -> Request:
    """What a page cut short becomes, as Scrapy makes one cut short by its
    Content-Length: `request` retried (within RETRY_TIMES, unless its meta says
    dont_retry), then a ResponseDataLossError, counted under that name."""
    if not request.meta.get("dont_retry") and crawler.spider is not None:
        retry = get_retry_request(request, spider=crawler.spider, reason=reason)
        if retry is not None:
            return retry
    raise ResponseDataLossError(f"{url}: {reason}")


def part_of_the_whole(content_range: str | None) -> bool:
    """Whether a 206's `content_range` leaves part of the page out: anything but a
    byte range from the first byte to the last of a complete length it names
    (no range, another unit, an unknown length "*" vouch for nothing)."""
    match = _BYTE_RANGE.fullmatch(content_range.strip()) if content_range else None
    if match is None:
        return True
    first, last, length = (int(group) for group in match.groups())
    return not (first == 0 and last + 1 == length)


class PartialContentRefusal:
    """Refuses a 206 to a request without a Range header that holds a part only."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if response.status != 206 or b"Range" in request.headers:
            return response  # the whole page, or the part that was asked for
        content_range = response.headers.get(b"Content-Range")
        if not part_of_the_whole(content_range.decode("latin-1") if content_range else None):
            return response
        return cut_short(
            self.crawler, request, response.url, "a 206 answer holds a part of the page only"
        )
