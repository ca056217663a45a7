"""The crawl's components in this process, with Scrapy's test helpers: the spider,
the store's owner, the pipelines, the frontier. No subprocess, no network: each
test builds a crawler with newscrawl's settings (scrapy.utils.test.get_crawler)
and drives one component the way Scrapy would."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

import newscrawl.settings as newscrawl_settings
from newscrawl.budget import BUDGET_QUEUED, BudgetGate
from newscrawl.config import ConfigError, NewscrawlConfig
from newscrawl.frontier import MAX_ATTEMPTS, NOT_TRIED, Frontier
from newscrawl.items import ArticleItem
from newscrawl.metarefresh import HeadMetaRefresh
from newscrawl.pagereader import PageReader
from newscrawl.pipelines import CleaningPipeline, NoArticle, StorePipeline
from newscrawl.runstore import RunStore, StoppingURLStates, url_states
from newscrawl.sites import SiteConfig
from newscrawl.spiders._base import apply_site_settings
from newscrawl.spiders.news import NewsSpider
from newscrawl.storage import ArticleStore
from newscrawl.vocabulary import STORE_ERROR, STORE_UNAVAILABLE

SITE = "http://news.test/"


def crawler_for(**settings: Any) -> Crawler:
    """A crawler with newscrawl's settings module and `settings`, its extensions
    built; pages are read in this process (no worker pool)."""
    values = {name: getattr(newscrawl_settings, name) for name in dir(newscrawl_settings)
              if name.isupper()}  # fmt: skip
    return get_crawler(NewsSpider, {**values, "NEWSCRAWL_WORKERS": 0, **settings})


def collect(results: Any) -> list[Any]:
    """Everything an async generator callback yields."""

    async def drain() -> list[Any]:
        return [item async for item in results]

    return asyncio.run(drain())


def html(url: str, body: str, **meta: Any) -> HtmlResponse:
    request = Request(url, meta=meta)
    return HtmlResponse(url, body=body.encode(), encoding="utf-8", request=request)


def story(number: int, extra: str = "") -> ArticleItem:
    text = "\n".join(
        f"Story {number}, part {part}: the ferry committee agreed a new timetable for the"
        " summer crossings after a long debate."
        for part in (1, 2)
    )
    if extra:
        text += "\n" + extra
    return ArticleItem(
        url=f"{SITE}a/{number}.html", canonical_url=f"{SITE}a/{number}.html", site="news.test",
        title=f"Story {number}", authors=[], published=None, language="en", description=None,
        text=text, word_count=len(text.split()), fetched_at="2026-11-30T10:00:00Z",
    )  # fmt: skip


# -- the spider ----------------------------------------------------------------------


def test_the_spider_follows_its_own_sites_links_and_charges_its_budget() -> None:
    crawler = crawler_for(NEWSCRAWL_MAX_PAGES_PER_SITE=3)
    spider = NewsSpider.from_crawler(crawler, urls=SITE)
    hub = html(SITE, (
        "<a href='/2026/11/ferry-timetable-changes.html'>Ferry</a>"
        "<a href='http://cdn.news.test/2026/11/harbour-wall-repairs-finish.html'>Wall</a>"
        "<a href='http://other.test/2026/11/another-site-story-here.html'>Other</a>"
        "<a href='http://user:pw@news.test/2026/11/secret-members-story.html'>Members</a>"
    ), site="news.test")  # fmt: skip
    out = collect(spider.parse(hub))
    requests = [r for r in out if isinstance(r, Request)]
    # Its own host and sub-domain; never another site's page or a URL with credentials.
    assert sorted(r.url for r in requests) == [
        "http://cdn.news.test/2026/11/harbour-wall-repairs-finish.html",
        "http://news.test/2026/11/ferry-timetable-changes.html",
    ]
    assert (
        {r.meta["site"] for r in requests}
        == {r.meta["download_slot"] for r in requests}
        == {"news.test"}
    )
    # They wait once the scheduler takes them; a duplicate the filter drops costs nothing.
    for request in requests:
        crawler.signals.send_catch_log(signals.request_scheduled, request=request, spider=spider)
    assert spider.budget.waiting["news.test"] == 2
    crawler.signals.send_catch_log(signals.request_dropped, request=requests[0], spider=spider)
    assert spider.budget.waiting["news.test"] == 1 and BUDGET_QUEUED not in requests[0].meta
    # Charged as it is sent; past the budget (3) a request is not sent.
    gate = BudgetGate.from_crawler(crawler)
    crawler.spider = spider
    gate.process_request(requests[1])
    assert spider.budget.sent["news.test"] == 1 and spider.budget.waiting["news.test"] == 0
    spider.budget.sent["news.test"] = 3
    late = spider.make_request(f"{SITE}late.html", "news.test")
    crawler.signals.send_catch_log(signals.request_scheduled, request=late, spider=spider)
    with pytest.raises(IgnoreRequest):
        gate.process_request(late)


def test_an_article_page_is_read_once_into_an_item_with_its_sites_keys() -> None:
    crawler = crawler_for()
    spider = NewsSpider.from_crawler(crawler, urls=SITE)
    crawler.spider = spider
    paragraphs = "".join(
        f"<p>Part {n}: the ferry committee agreed a new timetable for the summer crossings.</p>"
        for n in range(3)
    )
    page = html(f"{SITE}2026/11/ferry.html", "<html><head><meta property='og:type' "
                f"content='article'><title>Ferry</title></head><body><article>{paragraphs}"
                "<a href='/2026/11/more-ferry-news-today.html'>more</a></article></body></html>",
                site="news.test")  # fmt: skip
    out = collect(spider.parse(page))
    (item,) = [i for i in out if isinstance(i, ArticleItem)]
    assert item.hints["site"] == "news.test" and item.hints["site_keys"] == ["news.test"]
    assert item.text.count("ferry committee") == 3
    # The worker's fingerprints: of every extracted paragraph, and of those kept.
    assert item.raw_fingerprints is not None and item.kept_fingerprints is not None
    assert len(item.kept_fingerprints) == len(item.text.split("\n")) >= 3
    assert set(item.kept_fingerprints) <= set(item.raw_fingerprints)
    # Links found on an article come after everything else of its site.
    (link,) = [r for r in out if isinstance(r, Request)]
    assert link.priority < 0


def test_a_sites_files_settings_reach_the_settings_of_either_door() -> None:
    settings = Settings({"DOWNLOAD_SLOTS": {"given": {"delay": 9}}})
    sites = [
        SiteConfig("courier", ("http://courier.test/",), delay=2.0, concurrency=1,
                   boilerplate=("from the archive",)),
        SiteConfig("plain", ("http://plain.test/",)),
    ]  # fmt: skip
    apply_site_settings(sites, settings)
    assert settings.getdict("DOWNLOAD_SLOTS") == {
        "courier": {"delay": 2.0, "concurrency": 1},
        "given": {"delay": 9},
    }
    config = NewscrawlConfig.from_settings(settings)
    assert config.site_fragment_patterns == {"courier": ("from the archive",)}
    assert config.make_cleaner("courier").fragments.matches("From the archive")
    assert not config.make_cleaner("plain").fragments.matches("From the archive")


def test_an_unknown_newscrawl_setting_is_an_error() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown setting NEWSCRAWL_MIN_WORD .*NEWSCRAWL_MIN_WORDS"
    ):
        NewscrawlConfig.from_settings(Settings({"NEWSCRAWL_MIN_WORD": 500}))


# -- the store's owner and the pipelines ------------------------------------------------


def test_the_store_is_opened_locked_and_recorded_when_the_spider_opens(tmp_path: Path) -> None:
    db = tmp_path / "news.sqlite"
    crawler = crawler_for(NEWSCRAWL_SQLITE_PATH=str(db))
    spider = NewsSpider.from_crawler(crawler, urls=SITE)
    store = RunStore.of(crawler)
    assert store is not None and store.frontier is None  # nothing opened yet
    store.spider_opened(spider)
    states = url_states(crawler)  # the frontier, its failed writes stopping the crawl
    assert isinstance(states, StoppingURLStates) and states.frontier is store.frontier
    with sqlite3.connect(db) as reader:
        assert reader.execute("SELECT spider, ended_at FROM runs").fetchall() == [("news", None)]

    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    assert pipeline.process_item(story(1)) is not None
    pipeline.finish()  # what close_spider runs on a thread
    crawler.stats.set_value("newscrawl/site/news.test/stored", 1)
    store.finish("finished")  # what spider_closed runs on a thread
    assert store.articles is None and store.lock is None
    reopened = ArticleStore.open(db)
    assert reopened.count_articles("news.test") == 1
    assert Frontier(reopened).last_run_counts()[0][3] == {"stored": 1}
    reopened.close()


def test_a_store_that_cannot_be_opened_closes_the_spider_before_any_request(tmp_path: Path):
    db = tmp_path / "notes.sqlite"
    db.write_text("these are my notes, not a database\n" * 100)
    crawler = crawler_for(NEWSCRAWL_SQLITE_PATH=str(db))
    spider = NewsSpider.from_crawler(crawler, urls=SITE)
    store = RunStore.of(crawler)
    assert store is not None
    with pytest.raises(CloseSpider) as stopped:
        store.spider_opened(spider)
    assert stopped.value.reason == STORE_UNAVAILABLE
    assert "file is not a database" in crawler.stats.get_value(STORE_ERROR)
    assert store.lock is None  # released


def test_cleaning_drops_a_sites_furniture_and_too_short_pages() -> None:
    crawler = crawler_for(NEWSCRAWL_FRAGMENT_PATTERNS=["from the archive"])
    pipeline = CleaningPipeline.from_crawler(crawler)
    cleaned = pipeline.process_item(story(1, extra="From the archive"))
    assert isinstance(cleaned, ArticleItem)
    assert "archive" not in cleaned.text and cleaned.cleaning["fragment"] == 1
    short = story(2)
    short.text = short.raw_text = "Too short to be an article."
    with pytest.raises(NoArticle) as dropped:
        pipeline.process_item(short)
    assert dropped.value.reason == "too_short"


# -- the frontier -----------------------------------------------------------------------


def test_the_frontier_remembers_what_each_url_became(tmp_path: Path) -> None:
    store = ArticleStore.open(tmp_path / "f.sqlite")
    frontier = Frontier(store)
    frontier.add_pending("news.test", f"{SITE}a/1.html", "2026-11-29", "Story 1")
    frontier.add_pending("news.test", f"{SITE}a/2.html", None, None)
    frontier.store_article(story(1))
    frontier.mark_failed("news.test", f"{SITE}a/2.html", "http_500")
    frontier.mark_not_article("news.test", f"{SITE}tag/x", "not_article")
    store.commit()
    assert frontier.url_state_counts("news.test") == {"done": 1, "failed": 1, "skipped": 1}
    assert [p.url for p in frontier.pending("news.test")] == [f"{SITE}a/2.html"]
    assert set(frontier.known_articles("news.test")) == {f"{SITE}a/1.html", f"{SITE}tag/x"}
    # A failure never undoes an article's "done".
    frontier.mark_failed("news.test", f"{SITE}a/1.html", "http_500")
    assert frontier.url_state_counts("news.test")["done"] == 1
    assert store.known_sites() == {"news.test"}
    store.close()


def test_a_page_too_old_for_one_runs_window_is_read_again_by_the_next_runs(
    tmp_path: Path,
) -> None:
    """ "Too old" is the verdict of one run's window (--max-age, --since, a site's
    max_age), not of the URL: an operator's quick check with --max-age 1d settled
    every older sitemap article as skipped, and no later run fetched them (found
    by a hostile-operator review). Such a URL is read again, MAX_ATTEMPTS times."""
    store = ArticleStore.open(tmp_path / "f.sqlite")
    frontier = Frontier(store)
    old = f"{SITE}a/old.html"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        frontier.mark_not_article("news.test", old, "too_old")
        known = old in frontier.known_articles("news.test")
        assert known == (attempt >= MAX_ATTEMPTS), attempt
    store.close()


def test_a_page_that_was_not_read_costs_its_url_no_attempt(tmp_path: Path) -> None:
    """A page fetched and never read (the run stopped while it waited for a worker,
    or its site's pages kept outlasting the workers) was marked failed with an
    attempt counted: after MAX_ATTEMPTS such runs its URL was given up, never
    read (found by a review). It stays to fetch; a real failure still counts."""
    from newscrawl.workers import EXTRACTION_INTERRUPTED, EXTRACTION_SKIPPED

    assert set(NOT_TRIED) == {EXTRACTION_INTERRUPTED, EXTRACTION_SKIPPED}
    store = ArticleStore.open(tmp_path / "f.sqlite")
    frontier = Frontier(store)
    unread, dead = f"{SITE}a/unread.html", f"{SITE}a/dead.html"
    for reason in [*NOT_TRIED] * MAX_ATTEMPTS:
        frontier.mark_failed("news.test", unread, reason)
        frontier.mark_failed("news.test", dead, "http_500")
    pending = {row.url for row in frontier.pending("news.test")}
    assert pending == {unread}
    store.close()


# -- the page workers ----------------------------------------------------------------


def test_the_page_workers_stop_without_holding_the_event_loop() -> None:
    """Stopping the pool joins its threads and waits for its workers to end: the
    event loop turns meanwhile (the store's closing work waits on it)."""
    crawler = crawler_for(NEWSCRAWL_WORKERS=1)
    reader = PageReader.of(crawler)

    async def close_while_ticking() -> tuple[int, bool]:
        await reader.spider_opened(None)
        assert reader.pool is not None
        ticks = 0
        stopping = True

        async def tick() -> None:
            nonlocal ticks
            while stopping:
                ticks += 1
                await asyncio.sleep(0)

        ticker = asyncio.ensure_future(tick())
        await asyncio.sleep(0)
        before = ticks
        closed = reader.spider_closed(None)
        awaited = inspect.isawaitable(closed)
        if awaited:
            await closed
        stopping = False
        await ticker
        return ticks - before, awaited

    try:
        ticks, awaited = asyncio.run(close_while_ticking())
    finally:
        if reader.pool is not None:  # a failed check must not leave workers behind
            reader.pool.stop()
    assert awaited, "spider_closed stopped the workers on the event loop"
    assert ticks > 1 and reader.pool is None


# -- meta refresh --------------------------------------------------------------------


def _meta_refresh_middleware() -> Any:
    crawler = crawler_for()
    crawler._apply_settings()
    return HeadMetaRefresh.from_crawler(crawler)


def test_a_meta_refresh_is_followed_without_decoding_the_whole_page() -> None:
    middleware = _meta_refresh_middleware()
    filler = "<p>" + "Ferry timetable for the summer crossings. " * 50_000 + "</p>"  # 2 MB
    head = "<head><meta http-equiv='refresh' content='0; url=/moved.html'></head>"
    request = Request(f"{SITE}old.html")
    page = HtmlResponse(f"{SITE}old.html", body=f"<html>{head}<body>{filler}</body></html>".encode(),
                        encoding="utf-8", request=request)  # fmt: skip
    redirected = middleware.process_response(request, page)
    assert isinstance(redirected, Request) and redirected.url == f"{SITE}moved.html"
    plain = HtmlResponse(f"{SITE}a.html", body=f"<html><body>{filler}</body></html>".encode(),
                         encoding="utf-8", request=Request(f"{SITE}a.html"))  # fmt: skip
    assert middleware.process_response(plain.request, plain) is plain
    # A page that declares no encoding: Scrapy's guess would read the whole body.
    undeclared = HtmlResponse(f"{SITE}b.html", body=f"<html>{head}<body>{filler}</body></html>".encode(),
                              request=Request(f"{SITE}b.html"))  # fmt: skip
    redirected = middleware.process_response(undeclared.request, undeclared)
    assert isinstance(redirected, Request) and redirected.url == f"{SITE}moved.html"
    # Scrapy's own middleware decodes the whole body (and keeps it) to read 4,096 characters.
    for response in (page, plain, undeclared):
        assert getattr(response, "_cached_ubody", None) is None
        assert getattr(response, "_cached_benc", None) is None


def test_a_meta_refresh_in_any_case_or_in_utf_16_is_still_followed() -> None:
    """Pages with no "refresh" in their head skip Scrapy's search; these must not."""
    middleware = _meta_refresh_middleware()
    for name, head, encoding in (
        ("upper", "<HEAD><META HTTP-EQUIV='REFRESH' CONTENT='0;URL=/moved.html'></HEAD>", "utf-8"),
        (
            "utf16",
            "<head><meta http-equiv='refresh' content='0; url=/moved.html'></head>",
            "utf-16",
        ),
    ):
        body = f"<html>{head}<body><p>Tide tables.</p></body></html>".encode(encoding)
        request = Request(f"{SITE}{name}.html")
        page = HtmlResponse(request.url, body=body, request=request,
                            headers={"Content-Type": f"text/html; charset={encoding}"})  # fmt: skip
        redirected = middleware.process_response(request, page)
        assert isinstance(redirected, Request), name
        assert redirected.url == f"{SITE}moved.html", name


@pytest.mark.parametrize(
    "target", [f"{SITE}news/live.html", "/news/live.html", "live.html#top", "./live.html"]
)
def test_a_page_that_refreshes_to_itself_is_read_not_redirected(target: str) -> None:
    """A live page that reloads itself every minute (`content="60; url=<its own
    URL>"`) was taken for a redirect to itself: the duplicate filter dropped it
    as a redirect loop, and the article was lost, counted as redirect_limit,
    exit 0 (found by a hostile-site session). A browser shows such a page."""
    middleware = _meta_refresh_middleware()
    head = f"<head><meta http-equiv='refresh' content='60; url={target}'></head>"
    request = Request(f"{SITE}news/live.html")
    page = HtmlResponse(request.url, body=f"<html>{head}<body><p>Storm.</p></body></html>".encode(),
                        encoding="utf-8", request=request)  # fmt: skip
    assert middleware.process_response(request, page) is page
    # A refresh to another page is still followed.
    elsewhere = HtmlResponse(
        request.url, request=request, encoding="utf-8",
        body=f"<html>{head.replace('live.html', 'moved.html')}</html>".encode(),
    )  # fmt: skip
    redirected = middleware.process_response(request, elsewhere)
    assert isinstance(redirected, Request) and "/news/moved.html" in redirected.url


def test_scrapys_meta_refresh_middleware_is_replaced() -> None:
    crawler = crawler_for()
    crawler._apply_settings()
    base = crawler.settings.getdict("DOWNLOADER_MIDDLEWARES_BASE")
    ours = crawler.settings.getdict("DOWNLOADER_MIDDLEWARES_BASE")
    assert "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware" not in base
    assert ours["newscrawl.metarefresh.HeadMetaRefresh"] == 580
