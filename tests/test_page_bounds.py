"""Issue 15: what one page may cost is bounded, and the cut is counted; links of
article pages wait for their site's sitemaps and feeds."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime

from newscrawl.heldlinks import HeldLinks
from newscrawl.pageworker import (
    MAX_PAGE_BYTES,
    MAX_PAGE_LINKS,
    MAX_PARAGRAPH_CHARS,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    bounded_markup,
    bounded_text,
    read_page,
)
from newscrawl.spiders.news import older_than


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


def test_links_to_files_that_are_no_pages_are_not_followed() -> None:
    hrefs = ["/a.PDF", "/b.jpg?w=300", "/c.docm", "/d.tar.gz", "/e.html", "/f/", "/g.aspx",
             "/h.mp4#t=3", "/pdf-of-the-week"]  # fmt: skip
    anchors = "".join(f"<a href='{href}'>x</a>" for href in hrefs)
    page = f"<html><body>{anchors}</body></html>".encode()
    reading = read_page(page, "http://hub.test/", "text/html", read_links=True)
    assert reading.links == [
        "http://hub.test/e.html",
        "http://hub.test/f/",
        "http://hub.test/g.aspx",
        "http://hub.test/pdf-of-the-week",
    ]


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


def test_a_page_past_the_byte_bound_keeps_its_first_8_mb_whole_characters() -> None:
    # One paragraph of 9 MB: the last tag before the bound is at the start.
    page = ("<html><body><p>" + "é word " * (MAX_PAGE_BYTES // 8 + 200_000) + "</p>").encode()
    kept, tags_cut, _ = bounded_markup(page)
    assert MAX_PAGE_BYTES - 1 <= len(kept) <= MAX_PAGE_BYTES < len(page)
    kept.decode("utf-8")  # not cut inside the two bytes of an é
    assert tags_cut == 1  # the closing </p>


def test_a_text_past_the_bound_is_cut_at_a_paragraph_break_and_counted() -> None:
    paragraphs = [f"Paragraph {n} of the report, with its own words." for n in range(100)]
    text = "\n".join(paragraphs)
    assert bounded_text(text, len(text)) == (text, 0)
    kept, cut = bounded_text(text, 1_000)
    assert kept.split("\n") == paragraphs[: len(kept.split("\n"))]  # whole paragraphs
    assert 1_000 - len(paragraphs[0]) <= len(kept) <= 1_000
    assert len(kept) + cut == len(text)
    # A paragraph longer than half the bound is cut inside, not dropped whole.
    long_one = "Title\n" + "word " * 1_000
    assert bounded_text(long_one, 100)[0] == "Title\n" + " ".join(["word"] * 19)


def test_one_paragraph_past_the_bound_is_cut_at_a_space() -> None:
    kept, cut = bounded_text("word " * 1_000, 102)
    assert kept == " ".join(["word"] * 20) and cut == 5_000 - len(kept)
    kept, cut = bounded_text("x" * 1_000, 100)  # no space at all: at the bound
    assert (kept, cut) == ("x" * 100, 900)
    # An early space, then a script written without spaces: not cut to a word.
    kept, cut = bounded_text("北京 " + "新闻" * 500, 100)
    assert len(kept) == 100 and cut == 903


def test_an_article_of_a_wall_of_text_keeps_its_first_characters() -> None:
    # Three paragraphs of 400 KB: every character of them would go on to the
    # crawler's event loop (signed, stored, indexed) without the bound.
    wall = " ".join(f"word{n % 997} berth" for n in range(30_000))
    body = "".join(f"<p>Part {part}: {wall}</p>" for part in range(3))
    page = ("<html lang='en'><head><title>The wall</title></head>"
            f"<body><article><h1>The wall</h1>{body}</article></body></html>").encode()  # fmt: skip
    reading = read_page(page, "http://wall.test/a/1.html", "text/html; charset=utf-8",
                        declared_article=True)  # fmt: skip
    assert reading.article is not None
    assert len(reading.article.extraction.text) <= MAX_TEXT_CHARS
    assert len(reading.article.text) <= MAX_TEXT_CHARS
    assert reading.text_cut >= 3 * len(wall) - MAX_TEXT_CHARS
    assert "Part 0: word0 berth word1 berth" in reading.article.text


def test_only_what_opens_a_tag_counts_as_one() -> None:
    script = "<script type='application/json'>" + "[1<2, 3 < 4]" * 60_000 + "</script>"
    page = f"<html><head>{script}</head><body><article><p>Text.</p></article></body></html>"
    assert bounded_markup(page.encode()) == (page.encode(), 0, 0)
    cyrillic = ("<html><body><p>" + "м" * 60_000 + "</p></body></html>").encode("utf-16-le")
    assert bounded_markup(cyrillic)[1] == 0  # U+043C is the bytes 3C 04 in UTF-16-LE


def test_held_links_are_bounded_across_sites() -> None:
    held: HeldLinks[str] = HeldLinks(limit=10, limit_all=3)
    for site in "abcd":
        held.asked(site)
    assert [held.hold(site, f"{site}-link") for site in "abcd"] == [True, True, True, False]
    assert held.done("a") == ["a-link"]
    assert held.hold("d", "d-link")  # room again


def test_a_date_alone_is_its_whole_day_for_the_age_window() -> None:
    window = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert not older_than("2026-11-30", window)  # today, time unknown: not older
    assert older_than("2026-11-29", window)
    assert older_than("2026-11-30T09:59:00+00:00", window)
    assert not older_than("2026-11-30T11:00:00+01:00", window)  # 10:00 UTC
    assert not older_than(None, window) and not older_than("someday", window)


def test_a_worker_keeps_nothing_of_the_paragraphs_of_pages_it_has_read() -> None:
    """The caches of paragraphs' words and fingerprints held up to 8,192 and 16,384
    paragraphs of earlier pages: 13.6 MB kept after these 100 pages, against 0.9 MB
    without them (trafilatura's own caches, of at most 1,024 lines each)."""

    def article(number: int) -> bytes:
        paragraphs = "".join(
            f"<p>Paragraph {line} of report {number} tells of the harbour board meeting, "
            f"the ferry timetable and the storm warning {number * 100 + line} times.</p>"
            for line in range(40)
        )
        return f"<html><body><article><h1>Report {number}</h1>{paragraphs}</article></body></html>".encode()

    read_page(article(0), "http://news.test/0.html", "text/html", declared_article=True)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(1, 101):
            read_page(article(number), f"http://news.test/{number}.html", "text/html",
                      declared_article=True, explain=False)  # fmt: skip
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 2_500_000, f"{kept} bytes kept after 100 pages"


def test_one_huge_paragraph_is_cut_and_the_others_kept() -> None:
    # A headline of a million characters before the story: cut at the text's
    # bound alone, it was all that was kept, and the story was lost.
    story = [f"Paragraph {n} of the story, with words of its own." for n in range(4)]
    text = "\n".join(["T" * 1_000_000, *story])
    kept, cut = bounded_text(text)
    lines = kept.split("\n")
    assert lines[1:] == story
    assert lines[0] == "T" * MAX_PARAGRAPH_CHARS
    assert len(kept) + cut == len(text)
    # Within the bounds, nothing changes.
    assert bounded_text("\n".join(story), 1_000, 100) == ("\n".join(story), 0)
    # Each paragraph at a space, then the whole at a break.
    kept, cut = bounded_text("word " * 100 + "\nshort\n" + "word " * 100, 300, 102)
    assert kept == " ".join(["word"] * 20) + "\nshort\n" + " ".join(["word"] * 20)
    assert cut == 2 * (500 - 99)


def test_a_page_with_a_huge_headline_keeps_its_story() -> None:
    story = [
        f"The harbour board met on day {n} to weigh the plans for the new quay, and "
        "the fishermen who work from the old one said what they thought of them."
        for n in range(4)
    ]
    page = (
        "<html><head><title>Quay plans</title></head><body><article>"
        f"<h1>{'T' * 1_000_000}</h1>" + "".join(f"<p>{p}</p>" for p in story) + "</article>"
        "</body></html>"
    ).encode()
    reading = read_page(page, "http://127.0.0.1/news/quay", "text/html", declared_article=True)
    assert reading.article is not None, reading.failure
    assert all(p in reading.article.text for p in story)
    assert reading.text_cut == 1_000_000 - MAX_PARAGRAPH_CHARS


def test_a_page_naming_thousands_of_authors_keeps_the_first_and_counts_the_rest() -> None:
    """A page's JSON-LD named 150,000 authors: each article's row and JSON Lines
    record held 2.7 MB of names (the text keeps 200,000 characters), and the
    crawler's process rose from 84 to 204 MB on five such pages."""
    import json

    from newscrawl.pageworker import MAX_AUTHOR_CHARS, MAX_AUTHORS, bounded_authors

    names = [f"Ann Smith{n}" for n in range(10_000)]
    document = {"@type": "NewsArticle", "headline": "Quay plans",
                "author": [{"@type": "Person", "name": name} for name in names]}  # fmt: skip
    story = "".join(
        f"<p>The harbour board met on day {n} to weigh the plans for the new quay, and the"
        " fishermen who work from the old one said what they thought of them.</p>"
        for n in range(4)
    )
    page = (
        "<html><head><title>Quay plans</title><script type='application/ld+json'>"
        f"{json.dumps(document)}</script></head><body><article>{story}</article></body></html>"
    ).encode()
    reading = read_page(page, "http://127.0.0.1/news/quay", "text/html", declared_article=True)
    assert reading.article is not None, reading.failure
    authors = reading.article.extraction.authors
    assert authors[:2] == ["Ann Smith0", "Ann Smith1"]
    assert len(authors) == MAX_AUTHORS
    assert reading.authors_cut == len(names) - MAX_AUTHORS
    # A name past its bound is cut, and counted too.
    assert bounded_authors(["R" * 5_000, "Ann Lee"]) == (["R" * MAX_AUTHOR_CHARS, "Ann Lee"], 1)
