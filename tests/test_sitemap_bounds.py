"""Issue 15: a sitemap listing far more than the protocol's 50,000 URLs is read to
MAX_ENTRIES, and a feed to MAX_FEED_ENTRIES, within a worker's CPU limit, and the
rest is counted, not lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawl.config import NewscrawlConfig
from newscrawl.discovery import feed_head, read_sitemap_entries
from newscrawl.readings import MAX_ENTRIES, MAX_FEED_ENTRIES
from newscrawl.runlog import site_counts
from newscrawl.vocabulary import DISCOVERY_UNREADABLE
from newscrawl.workers import ExtractionPool, feed_in_worker, sitemap_in_worker

from .conftest import BIN, FolderSite
from .faultcases import crawl, fault_site
from .faultsite import zeros_compressed

BASE = "http://127.0.0.1:9/"


def _urlset(count: int) -> bytes:
    entries = "".join(f"<url><loc>{BASE}news/{n}.html</loc></url>" for n in range(count))
    return (
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"{entries}</urlset>"
    ).encode()


@pytest.fixture()
def pool() -> Iterator[ExtractionPool]:
    """One worker whose tasks may use 4 s of CPU: its first 50,000 entries take
    about 1 s, the whole of the sitemap below about 12."""
    pool = ExtractionPool(1, 4.0)
    yield pool
    pool.stop()


def test_a_sitemap_of_ten_times_the_protocols_urls_keeps_its_first_and_counts_the_rest(
    pool: ExtractionPool,
) -> None:
    listed = 10 * MAX_ENTRIES
    reading = pool.call(sitemap_in_worker, _urlset(listed), BASE + "sitemap.xml").result()
    assert reading.failure is None
    assert reading.kind == "urlset"
    assert len(reading.entries) == MAX_ENTRIES
    assert reading.entries[0].url == BASE + "news/0.html"
    assert reading.entries[-1].url == BASE + f"news/{MAX_ENTRIES - 1}.html"
    assert reading.cut == listed - MAX_ENTRIES


def test_entries_past_the_limit_are_counted_whether_or_not_they_give_a_url() -> None:
    body = _urlset(12).replace(b"</urlset>", b"<url><lastmod>2026-12-01</lastmod></url></urlset>")
    kind, kept, cut, whole = read_sitemap_entries(body, BASE, 10)
    assert (kind, len(kept), cut, whole) == ("urlset", 10, 3, True)
    assert read_sitemap_entries(_urlset(10), BASE, 10)[2] == 0


def test_a_sitemap_no_worker_could_read_is_counted_for_its_site(tmp_path: Path) -> None:
    """A gzipped sitemap that inflates past 50 MiB is given up: counted in the run
    record with its site, as a page past a limit is, not only logged; and the run,
    which lost what the sitemap lists, says so and exits 1, though it fetched a page."""
    # Made before the crawl asks for it: the sitemap must arrive within the
    # scenario's DOWNLOAD_TIMEOUT (4 s) to be read, even on a busy machine.
    zeros_compressed("gzip")
    with fault_site() as site:
        command = ["crawl", site.url("/a/30.html"), "--sitemap", site.url("/sitemap-bomb.xml.gz")]
        run = crawl(tmp_path, command, timeout=90)
    assert len(run.items) == 1
    assert "sitemap skipped" in run.stderr
    assert "1 of its sitemaps or feeds could not be read" in run.stderr
    assert run.returncode == 1
    counts = site_counts(run.stats)
    assert sum(c.get(DISCOVERY_UNREADABLE, 0) for c in counts.values()) == 1, counts


def _rss(count: int, summary: str = "") -> bytes:
    items = "".join(
        f"<item><title>n{n}</title><link>{BASE}news/{n}.html</link>"
        "<pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate>"
        + (
            f"<guid>{BASE}news/{n}.html</guid><description>{summary}</description>"
            if summary
            else ""
        )
        + "</item>"
        for n in range(count)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()


def test_a_feed_of_more_items_than_a_sitemap_may_list_is_read_within_the_default_limit() -> None:
    """feedparser costs about 0.18 ms of CPU an item: a feed cut at a sitemap's
    50,000 entries took 9 s, past a worker's default 8 s, and was lost whole. It
    keeps its first MAX_FEED_ENTRIES items, and the rest are counted."""
    listed = MAX_ENTRIES + MAX_FEED_ENTRIES
    pool = ExtractionPool(1, NewscrawlConfig().extract_timeout)
    try:
        body = _rss(listed, summary="A few words on the story, as feeds give them.")
        reading = pool.call(feed_in_worker, body, BASE + "feed.xml").result()
    finally:
        pool.stop()
    assert reading.failure is None
    assert len(reading.entries) == MAX_FEED_ENTRIES
    assert reading.entries[-1].url == BASE + f"news/{MAX_FEED_ENTRIES - 1}.html"
    assert reading.cut == listed - MAX_FEED_ENTRIES


def test_a_feed_cut_after_its_items_keeps_what_closes_it() -> None:
    head, following = feed_head(_rss(5), 3)
    assert following == 2
    assert head.endswith(
        b"news/2.html</link><pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    assert feed_head(_rss(3), 3) == (_rss(3), 0)
    assert feed_head(b'{"items": []}', 0) == (b'{"items": []}', 0)


def test_a_feed_whose_reading_a_stop_interrupted_is_not_counted_unreadable(tmp_path: Path) -> None:
    """SIGTERM to the crawl's process group (`kill -- -PGID`, a service manager)
    while a worker reads a big feed (seconds of CPU): the worker ends too, the
    feed is not at fault and is read again next run. It was counted as a feed
    that could not be read, and the summary said so."""
    (tmp_path / "feed.xml").write_bytes(_rss(2 * MAX_ENTRIES))
    site = FolderSite(tmp_path)
    args = [str(BIN / "newscrawl"), "crawl", "--feed", site.url + "feed.xml",
            "--db", str(tmp_path / "crawl.sqlite"), "-s", "NEWSCRAWL_EXTRACT_TIMEOUT=60",
            "-s", f"NEWSCRAWL_STATS_FILE={tmp_path / 'stats.json'}"]  # fmt: skip
    lines: list[bytes] = []
    try:
        process = subprocess.Popen([*args, "-L", "DEBUG"], cwd=tmp_path,
                                   stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
        assert process.stderr is not None
        reader = threading.Thread(target=lambda: lines.extend(process.stderr or ()), daemon=True)
        reader.start()
        # Once the feed's answer is in (Scrapy's "Crawled (200)" line), not once it
        # was asked for: on a loaded machine a second after the request the answer
        # had not reached a worker, and the stop found nothing to interrupt (CI).
        deadline = time.monotonic() + 60  # a hang guard
        while time.monotonic() < deadline and process.poll() is None:
            if any(b"Crawled (200)" in line and b"feed.xml" in line for line in list(lines)):
                break
            time.sleep(0.05)
        # Handed to a worker in the same turn of the event loop; its worker reads
        # it for about a second of CPU, longer on a loaded machine.
        time.sleep(0.3)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=90)  # a hang guard
        reader.join(timeout=30)
        process.stderr.close()
    finally:
        site.close()
    stderr = b"".join(lines).decode()
    stats = json.loads((tmp_path / "stats.json").read_text())["stats"]
    assert "feed skipped" in stderr and "extraction_interrupted" in stderr
    assert not any(c.get(DISCOVERY_UNREADABLE) for c in site_counts(stats).values())
    assert "could not be read" not in stderr
