"""One check of a spider's arguments, for both front doors.

`newscrawl crawl`/`scrape` and `scrapy crawl` (scrapyd too) pass the same
arguments to the same spiders; this builds the spider from them once, without
crawling, so that a bad URL, sites file or date is a usage error with one line
before anything starts, instead of a traceback from inside Scrapy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SpiderArgumentError", "check_spider_arguments"]


class SpiderArgumentError(ValueError):
    """A spider argument newscrawl cannot use; the message says which and why."""


def check_spider_arguments(spider: str, arguments: Mapping[str, Any], url_limit: int = 0) -> None:
    """Raise SpiderArgumentError if newscrawl's spider `spider` cannot start with
    `arguments` (other spiders are not checked), or one of its start URLs is
    longer than `url_limit` characters (URLLENGTH_LIMIT; 0: no limit), which
    Scrapy would drop without a word."""
    from newscrawl.spiders.article import ArticleSpider
    from newscrawl.spiders.news import NewsSpider

    spiders = {NewsSpider.name: NewsSpider, ArticleSpider.name: ArticleSpider}
    if spider not in spiders:
        return
    from newscrawl.archive import ArchiveError, check_archive_dir

    try:
        built = spiders[spider](**arguments)
    except ValueError as exc:  # InvalidURLError, SitesFileError, a bad date or age
        raise SpiderArgumentError(str(exc)) from None
    except TypeError as exc:  # an argument the spider does not take
        raise SpiderArgumentError(f"{spider}: {exc}") from None
    for url in built.start_urls if url_limit > 0 else ():
        if len(url) > url_limit:
            raise SpiderArgumentError(
                f"URL longer than {url_limit} characters (URLLENGTH_LIMIT): {url[:80]}..."
            )
    try:
        for site in built.sites:  # a site's own WARC folder (sites file `archive`)
            if site.archive is not None:
                check_archive_dir(site.archive)
    except ArchiveError as exc:
        raise SpiderArgumentError(str(exc)) from None
