"""`news`: crawl the sites of the start URLs, store the pages that are articles."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse, Request, Response
from scrapy.linkextractors import LinkExtractor

from newscrawl.items import PageItem
from newscrawl.pagetype import ARTICLE, classify_page
from newscrawl.spiders._base import BaseNewsSpider, ld_json_types

__all__ = ["NewsSpider"]


class NewsSpider(BaseNewsSpider):
    """scrapy crawl news -a urls=URL[,URL...] -O out.jsonl

    Follows links within the start URLs' hosts, up to DEPTH_LIMIT links deep and
    NEWSCRAWL_MAX_PAGES requests. Article pages are handed on; hubs (home,
    section, tag, author pages) are only followed.
    """

    name = "news"

    def __init__(self, urls: str | Iterable[str] = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(urls, *args, **kwargs)
        self.allowed_domains = sorted({urlsplit(url).hostname or "" for url in self.start_urls})
        # LinkExtractor compares domains with the whole netloc, port included, so
        # a site on a non-default port (a local server) is named with its port.
        netlocs = sorted({urlsplit(url).netloc.lower() for url in self.start_urls})
        self.links = LinkExtractor(allow_domains=netlocs, unique=True)

    def parse(self, response: Response) -> Iterator[PageItem | Request]:
        if not self.is_html(response):
            return
        assert isinstance(response, HtmlResponse) and self.crawler.stats is not None
        og_type = response.xpath('//meta[@property="og:type"]/@content').get()
        kind = classify_page(response.url, og_type, ld_json_types(response))
        self.crawler.stats.inc_value(f"newscrawl/pages/{kind}")
        if kind == ARTICLE:
            yield self.page_item(response)
        for link in self.links.extract_links(response):
            if not self.may_request():
                self.crawler.stats.set_value("newscrawl/max_pages_reached", True)
                return
            yield self.make_request(link.url, callback=self.parse)
