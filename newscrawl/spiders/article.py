"""`article`: fetch exactly the URLs given, for one-off scraping."""

from __future__ import annotations

from collections.abc import AsyncIterator

from scrapy.http import Request, Response

from newscrawl.items import ArticleItem
from newscrawl.runlog import count_site
from newscrawl.spiders._base import BaseNewsSpider
from newscrawl.urls import site_of
from newscrawl.vocabulary import FETCHED

__all__ = ["ArticleSpider"]


class ArticleSpider(BaseNewsSpider):
    """scrapy crawl article -a urls=URL[,URL...] -O out.jsonl

    Every page given is treated as an article: no link is followed, and whether
    it holds an article is left to extraction and cleaning.
    """

    name = "article"

    async def parse(self, response: Response) -> AsyncIterator[ArticleItem | Request]:
        site = response.meta.get("site") or site_of(response.url)
        count_site(self.crawler, site, FETCHED)
        if not self.is_html(response):
            return
        reading = await self.read(response, site, declared=True)
        item = self.article_from(response, reading)
        if item is not None:
            yield item
            for request in self.take_rereads():
                yield request
