"""Components an operator adds to a crawl (`-s ITEM_PIPELINES=...`,
`-s SPIDER_MIDDLEWARES=...`) that fail: their own code, with an error newscrawl
cannot foresee. The tests check that a crawl that lost articles to them says so
in its exit code."""

from __future__ import annotations

from typing import Any

# The article page the failing components fail on (tests/test_exit_codes.py's SmallSite).
FAILING_PAGE = "/report-3-"


class FailingPipeline:
    """An item pipeline that fails on one article with an unexpected error."""

    def process_item(self, item: Any) -> Any:
        if FAILING_PAGE in item.url:
            raise RuntimeError("the operator's pipeline failed")
        return item


class FailingSpiderMiddleware:
    """A spider middleware that fails on what the spider made of one article page."""

    async def process_spider_output(self, response: Any, result: Any) -> Any:
        async for output in result:
            if FAILING_PAGE in response.url:
                raise RuntimeError("the operator's spider middleware failed")
            yield output
