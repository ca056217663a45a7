"""The page workers' share per site (newscrawl/workershare.py): a site whose pages
cost seconds takes one place in the pool at a time, beside other sites."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newscrawl.workershare import HEAVY_PAGE_SECONDS, HEAVY_SITE_PAGES, WorkerShare

from .faultcases import Run, crawl
from .trustcases import trust_site
from .trustsite import BULK_PAGES, TrustSite


def _read(share: WorkerShare, site: str, seconds: float | None) -> None:
    share.arrived(site)
    share.entered(site)
    share.left(site, seconds, entered=True)


def test_a_dear_site_beside_another_waits_for_its_page_in_the_pool() -> None:
    share = WorkerShare()
    _read(share, "cheap", 0.02)
    _read(share, "dear", 3 * HEAVY_PAGE_SECONDS)
    assert share.heavy("dear") and not share.heavy("cheap")
    for _ in range(HEAVY_SITE_PAGES):
        share.arrived("dear")
        share.entered("dear")
    share.arrived("dear")
    assert share.must_wait("dear")
    # Its pages waiting and in the pool count as held by it, for the scheduler.
    assert share.held("dear") == HEAVY_SITE_PAGES + 1
    share.arrived("cheap")
    assert not share.must_wait("cheap") and share.held("cheap") == 0
    share.left("dear", 2 * HEAVY_PAGE_SECONDS, entered=True)
    assert not share.must_wait("dear")


def test_a_crawl_of_one_dear_site_is_not_held_back() -> None:
    share = WorkerShare()
    _read(share, "dear", 3 * HEAVY_PAGE_SECONDS)
    for _ in range(4):
        share.arrived("dear")
        share.entered("dear")
    share.arrived("dear")
    assert not share.must_wait("dear")


def test_a_site_read_first_beside_others_is_read_one_page_at_a_time() -> None:
    """Until one of its pages is read, a site's cost is not known: the pages a dear
    site sent before its first was read would have taken the whole pool."""
    share = WorkerShare()
    _read(share, "cheap", 0.02)
    share.arrived("new")
    share.entered("new")
    share.arrived("new")
    assert share.must_wait("new")
    share.left("new", 0.03, entered=True)
    assert not share.must_wait("new") and not share.heavy("new")


def test_a_site_alternating_cheap_and_dear_pages_stays_heavy() -> None:
    share = WorkerShare()
    _read(share, "other", 0.02)
    for seconds in [0.01, 4 * HEAVY_PAGE_SECONDS] * 4:
        _read(share, "mixed", seconds)
        assert share.heavy("mixed") or seconds < HEAVY_PAGE_SECONDS


def test_a_dear_site_whose_neighbours_are_done_is_not_held_back() -> None:
    """A site read once counted as crawled to the end: a dear site beside a small
    one kept one worker to the end of the crawl, at half its pace alone."""
    waiting = {"cheap": True}
    share = WorkerShare(lambda site: any(w for s, w in waiting.items() if s != site))
    _read(share, "cheap", 0.02)
    _read(share, "dear", 3 * HEAVY_PAGE_SECONDS)
    for _ in range(HEAVY_SITE_PAGES):
        share.arrived("dear")
        share.entered("dear")
    share.arrived("dear")
    assert share.must_wait("dear")  # the cheap site's requests wait to be sent
    waiting["cheap"] = False
    assert not share.must_wait("dear")
    share.arrived("cheap")  # a page of the cheap site is read: it is crawled still
    assert share.must_wait("dear")


def test_a_page_not_read_tells_nothing_of_its_sites_cost() -> None:
    share = WorkerShare()
    _read(share, "site", 0.02)
    _read(share, "site", None)
    assert not share.heavy("site")
    assert share.reading == {} and share.in_pool == {}


@pytest.fixture(scope="module")
def site() -> Iterator[TrustSite]:
    with trust_site() as hostile:
        yield hostile


def _crawl_beside_bulk(site: TrustSite, tmp_path: Path, other: str) -> tuple[Run, dict[str, Any]]:
    """Crawl bulk.test's heavy sitemap articles beside the site the sites-file block
    `other` names, watched in the crawler (tests/backoutwatch.py): the run, and
    what the watch saw. Each run bulk.test's articles are all stored."""
    sites = tmp_path / "sites.toml"
    sites.write_text(
        f'{other}[[site]]\nname = "bulk"\nsitemaps = ["{site.url("/sitemap.xml", "bulk.test")}"]\n',
        "utf-8",
    )
    watched = tmp_path / "watch.json"
    settings = {
        "NEWSCRAWL_EXTRACT_TIMEOUT": "60",  # under the bound, on any machine
        # Paced: another site's articles come while bulk.test's are read (a small
        # site's after its home page is read, not at once).
        "DOWNLOAD_DELAY": "0.25",
        "EXTENSIONS": json.dumps({"tests.backoutwatch.BackoutWatch": 900}),
        "BACKOUT_WATCH_FILE": str(watched),
    }
    run = crawl(tmp_path / "run", ["crawl", "--sites", str(sites)], settings, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sum(1 for i in run.items if "bulk.test" in str(i.get("url"))) == BULK_PAGES
    return run, json.loads(watched.read_text("utf-8"))


def test_a_heavy_sites_big_pages_waiting_their_turn_hold_back_no_download(
    site: TrustSite, tmp_path: Path
) -> None:
    """Pages of a heavy site waiting for their turn with the workers counted against
    Scrapy's 5 MB bound on the responses its callbacks hold: two of 2.8 MB passed
    it, and no site got a download until they were read (a healthy site beside
    them kept 21% of its pace). Watched in the crawler (tests/backoutwatch.py)."""
    healthy = (
        f'[[site]]\nname = "healthy"\nsitemaps = ["{site.url("/sitemap.xml", "healthy.test")}"]\n'
    )
    _, counts = _crawl_beside_bulk(site, tmp_path, healthy)
    assert counts["waiting"] > 0, counts  # the bulk site's pages did wait their turn
    assert counts["backed_out_while_waiting"] == 0, counts


def test_a_heavy_site_has_the_workers_once_the_other_sites_are_done(
    site: TrustSite, tmp_path: Path
) -> None:
    """A site read once counted as crawled to the end: a heavy site beside a site
    of four pages kept one page in the pool to the end of the crawl (55.6 s
    against 28.7 alone for grind.test's 16 articles). Watched in the crawler
    (tests/backoutwatch.py): once the small site is done, the heavy site has
    more than one page in the pool."""
    small = f'[[site]]\nname = "small"\nstart_urls = ["{site.url("/", "small.test")}"]\n'
    run, counts = _crawl_beside_bulk(site, tmp_path, small)
    assert sum(1 for i in run.items if "small.test" in str(i.get("url"))) == 3
    rise = counts["alone_rise"]
    assert rise.get("bulk", 0) > 0, rise
