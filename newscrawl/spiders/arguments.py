"""One check of a spider's arguments, for both front doors.

`newscrawl crawl`/`scrape` and `scrapy crawl` (scrapyd too) pass the same
arguments to the same spiders; this builds the spider from them once, without
crawling, so that a bad URL, sites file or date is a usage error with one line
before anything starts, instead of a traceback from inside Scrapy.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Mapping
from typing import Any

__all__ = ["SpiderArgumentError", "check_spider_arguments"]


class SpiderArgumentError(ValueError):
    """A spider argument newscrawl cannot use; the message says which and why."""


# How alike an unknown argument's name must be to one of the spider's own to be
# taken for a misspelling of it: "sitemap", "feed", "url" and "refesh" are
# (0.86-0.93). Scrapy makes any other argument an attribute of the spider, and
# reads some of those itself (`-a user_agent=...`, `-a download_delay=2`,
# `-a http_user=...`): far from every name of newscrawl's, they are left alone.
_MISSPELT = 0.8


def argument_names(spider_class: type) -> set[str]:
    """The arguments `spider_class` and the classes it is built on name."""
    return {
        name
        for cls in spider_class.__mro__
        if "__init__" in vars(cls)
        for name, parameter in inspect.signature(vars(cls)["__init__"]).parameters.items()
        if name != "self" and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
    }


def misspelt_argument(name: str, known: set[str]) -> str | None:
    """The spider's argument that `name`, not one of them, misspells (`max-age`,
    `sitemap`), or None. A `-a sitemap=URL` was made an attribute of the spider
    by Scrapy, and the crawl went on without the sitemap, exit 0. Names that
    start with "_" (scrapyd's `_job`) are never taken for one."""
    if name in known or name.startswith("_"):
        return None
    if name.replace("-", "_") in known:
        return name.replace("-", "_")
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=_MISSPELT)
    return close[0] if close else None


def check_spider_arguments(spider: str, arguments: Mapping[str, Any], url_limit: int = 0) -> None:
    """Raise SpiderArgumentError if newscrawl's spider `spider` cannot start with
    `arguments` (other spiders are not checked), or one of its start URLs is
    longer than `url_limit` characters (URLLENGTH_LIMIT; 0: no limit), which
    Scrapy would drop without a word. An argument that misspells one of the
    spider's own is refused too (misspelt_argument)."""
    from newscrawl.spiders.article import ArticleSpider
    from newscrawl.spiders.news import NewsSpider

    spiders = {NewsSpider.name: NewsSpider, ArticleSpider.name: ArticleSpider}
    if spider not in spiders:
        return
    for name in arguments:
        meant = misspelt_argument(name, argument_names(spiders[spider]))
        if meant is not None:
            raise SpiderArgumentError(f"{spider}: unknown argument {name} (did you mean {meant}?)")
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
