"""`article`: fetch exactly the URLs given, for one-off scraping."""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Response

from newscrawl.items import PageItem
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

    def parse(self, response: Response) -> Iterator[PageItem]:
        count_site(self.crawler, response.meta.get("site") or site_of(response.url), FETCHED)
        if self.is_html(response):
            yield self.page_item(response)  # type: ignore[arg-type]
