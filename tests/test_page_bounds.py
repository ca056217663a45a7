"""Issue 15: what one page may cost is bounded, and the cut is counted; links of
article pages wait for their site's sitemaps and feeds."""

from __future__ import annotations

from newscrawl.heldlinks import HeldLinks
from newscrawl.pageworker import (
    MAX_PAGE_BYTES,
    MAX_PAGE_LINKS,
    MAX_TAGS,
    bounded_markup,
    read_page,
)


def _hub(links: int) -> bytes:
    anchors = "".join(f"<a href='/s/{n}.html'>Story {n}</a>" for n in range(links))
    return f"<html><body>{anchors}</body></html>".encode()


def test_a_page_within_the_tag_bound_is_read_whole() -> None:
    page = _hub(1_000)
    assert bounded_markup(page) == (page, 0, 0)


def test_a_page_past_the_tag_bound_is_cut_on_a_tag_and_its_unread_links_counted() -> None:
    links = MAX_TAGS  # two tags each: half of them past the bound
    page = _hub(links)
    kept, tags_cut, links_unread = bounded_markup(page)
    assert kept.count(b"<") == MAX_TAGS
    assert page.startswith(kept) and page[len(kept) : len(kept) + 1] == b"<"
    assert tags_cut == page.count(b"<") - MAX_TAGS
    # The <a> tags of the unread part, give or take the one the cut falls in.
    assert abs(links_unread - links // 2) <= 2


def test_a_huge_hub_gives_its_first_links_and_counts_the_rest() -> None:
    links = MAX_TAGS
    reading = read_page(_hub(links), "http://hub.test/", "text/html; charset=utf-8")
    assert len(reading.links) == MAX_PAGE_LINKS
    assert reading.links[0] == "http://hub.test/s/0.html"
    assert reading.tags_cut > 0
    assert abs(len(reading.links) + reading.links_cut - links) <= 2


def test_a_page_of_tiny_elements_is_read_in_bounded_memory_and_time() -> None:
    page = b"<html><body><div>" + b"<i></i>" * 2_000_000  # 14 MB, 4 million tags
    reading = read_page(page, "http://huge.test/", "text/html; charset=utf-8")
    assert reading.tags_cut == page.count(b"<") - MAX_TAGS
    assert reading.cpu_seconds < 5  # about 0.1 s; unbounded it took seconds and 700 MB


def test_links_wait_while_their_site_reads_a_sitemap() -> None:
    held: HeldLinks[str] = HeldLinks(limit=3)
    assert not held.hold("a", "link-0")  # nothing being read: goes on at once
    held.asked("a")
    held.asked("a")
    assert held.hold("a", "link-1") and held.hold("a", "link-2")
    assert not held.hold("b", "other-site")  # another site's links do not wait
    assert held.done("a") == []  # one document still being read
    assert held.hold("a", "link-3")
    assert not held.hold("a", "link-4")  # past the limit: on at once
    assert held.done("a") == ["link-1", "link-2", "link-3"]
    assert not held.hold("a", "link-5")


def test_an_idle_crawl_gets_every_held_link() -> None:
    held: HeldLinks[str] = HeldLinks()
    held.asked("a")
    held.hold("a", "link")
    assert held.release_all() == ["link"]
    assert not held.hold("a", "later")  # nothing is being read any more


def test_a_page_past_the_byte_bound_is_cut_before_a_tag_within_it() -> None:
    paragraph = "<p>" + "word " * 200 + "</p>"  # 1,007 bytes
    page = ("<html><body>" + paragraph * (MAX_PAGE_BYTES // len(paragraph) + 500)).encode()
    kept, tags_cut, _ = bounded_markup(page)
    assert len(kept) <= MAX_PAGE_BYTES < len(page)
    assert page[len(kept) : len(kept) + 1] == b"<"
    assert tags_cut == page.count(b"<") - kept.count(b"<") > 0
