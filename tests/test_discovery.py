import gzip
import json
from datetime import UTC, datetime

import pytest

from newscrawl.discovery import (
    ends_whole,
    feed_links,
    maybe_gunzip,
    parse_date,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
)
from newscrawl.pageworker import read_feed, read_sitemap

BASE = "http://n.test/"


def test_robots_sitemap_lines_are_resolved():
    robots = "User-agent: *\nDisallow: /x\nSitemap: /a.xml\nsitemap:   http://n.test/b.xml.gz\nSitemap: ftp://n.test/c"
    assert robots_sitemaps(robots, BASE) == ["http://n.test/a.xml", "http://n.test/b.xml.gz"]


def test_dates_in_the_forms_sitemaps_and_feeds_use():
    assert parse_date("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_date("2026-11-01T10:00:00+02:00") == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert parse_date("Tue, 10 Nov 2026 10:00:00 GMT") == datetime(2026, 11, 10, 10, tzinfo=UTC)
    assert parse_date("soon") is None and parse_date("") is None
    # In its own zone: the day an article is stored under is its feed's day.
    assert parse_date("Tue, 01 Dec 2026 23:30:00 -0500").isoformat()[:10] == "2026-12-01"
    assert parse_date("2026-12-01T23:30:00-05:00").isoformat()[:10] == "2026-12-01"


def test_a_gzipped_sitemap_index():
    index = b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>/s1.xml</loc></sitemap></sitemapindex>'
    kind, entries = parse_sitemap(gzip.compress(index), BASE)
    assert kind == "index" and [e.url for e in entries] == ["http://n.test/s1.xml"]


@pytest.mark.parametrize("compress", [False, True])
def test_a_sitemap_cut_short_keeps_its_whole_entries_only(compress: bool):
    """A sitemap cut short (its gzip stream ends early, a download lost its end)
    was read to the cut, and the entry the cut went through was requested with
    its URL half written (found by a hostile-site review)."""
    listed = [f"http://n.test/a/{n}-{n * 7919 % 1000}.html" for n in range(3000)]
    urls = "".join(f"<url><loc>{url}</loc></url>" for url in listed)
    whole = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
    packed = gzip.compress(whole)
    body = packed[: len(packed) // 2] if compress else whole[: whole.index(b".html", 5000) + 3]
    kind, entries = parse_sitemap(body, BASE)
    found = [e.url for e in entries]
    assert kind == "urlset" and 10 < len(found) < len(listed)
    assert found == listed[: len(found)]


def test_a_compressed_sitemap_that_expands_too_far_is_refused():
    with pytest.raises(ValueError, match="expands past 1000 bytes"):
        maybe_gunzip(gzip.compress(b"<" * 5000), limit=1000)


def test_entities_are_not_expanded():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://n.test/&b;&x;</loc></url></urlset>'
    )
    kind, entries = parse_sitemap(bomb, BASE)
    assert kind == "urlset"
    assert all("aaaa" not in e.url for e in entries)


def test_rss_atom_and_json_feeds():
    rss = b"<rss version='2.0'><channel><item><title>T</title><link>/a</link><pubDate>Tue, 10 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"
    atom = b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>U</title><link href='http://n.test/b'/><updated>2026-11-11T00:00:00Z</updated></entry></feed>"
    jsonfeed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"url": "http://n.test/c", "title": "V", "date_published": "2026-11-12T00:00:00Z"}]}).encode()  # fmt: skip
    (a,) = parse_feed(rss, BASE)
    (b,) = parse_feed(atom, BASE)
    (c,) = parse_feed(jsonfeed, BASE)
    assert (a.url, a.title, a.published) == (
        "http://n.test/a",
        "T",
        datetime(2026, 11, 10, 10, tzinfo=UTC),
    )
    assert (b.url, b.published) == ("http://n.test/b", datetime(2026, 11, 11, tzinfo=UTC))
    assert (c.url, c.title) == ("http://n.test/c", "V")


def test_a_feed_entrys_update_time_is_its_lastmod_and_not_its_date():
    atom = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>U</title>"
        b"<link href='http://n.test/b'/><published>2026-11-11T00:00:00Z</published>"
        b"<updated>2026-11-13T09:30:00Z</updated></entry></feed>"
    )
    jsonfeed = json.dumps({"items": [{"url": "http://n.test/c", "date_published":
        "2026-11-12T00:00:00Z", "date_modified": "2026-11-14T00:00:00Z"}]}).encode()  # fmt: skip
    (b,) = parse_feed(atom, BASE)
    (c,) = parse_feed(jsonfeed, BASE)
    assert (b.published, b.lastmod) == (
        datetime(2026, 11, 11, tzinfo=UTC),
        datetime(2026, 11, 13, 9, 30, tzinfo=UTC),
    )
    assert (c.published, c.lastmod) == (
        datetime(2026, 11, 12, tzinfo=UTC),
        datetime(2026, 11, 14, tzinfo=UTC),
    )


def test_json_feed_items_whose_url_or_date_is_no_string_are_left_out():
    """`"url": 5` was requested as the relative URL /5, and a list as a path made
    of its printed form (found by a hostile-site review)."""
    items = [{"url": 5}, {"url": ["http://n.test/x"]}, {"url": None},
             {"url": "http://n.test/d", "date_published": 20261112, "title": ["t"]}]  # fmt: skip
    jsonfeed = json.dumps({"items": items}).encode()
    (d,) = parse_feed(jsonfeed, BASE)
    assert (d.url, d.published, d.title) == ("http://n.test/d", None, None)
    assert parse_feed(json.dumps({"items": {"url": "http://n.test/e"}}).encode(), BASE) == []


def test_a_truncated_feed_keeps_the_items_before_the_cut():
    rss = b"<rss version='2.0'><channel><item><link>http://n.test/a</link></item><item><link>http://n.test/b</li"
    assert [e.url for e in parse_feed(rss, BASE)][:1] == ["http://n.test/a"]


def test_feed_autodiscovery():
    page = ('<html><head><link rel="alternate" type="application/rss+xml" href="/rss">'
            '<link rel="alternate" type="text/html" href="/fr/"><link rel="stylesheet" href="/s.css"></head></html>')  # fmt: skip
    assert feed_links(page, BASE) == ["http://n.test/rss"]


def test_a_date_past_the_calendar_costs_its_entry_its_date_not_the_sitemap_its_entries():
    """`9999-12-31T23:59:59-12:00` is past the calendar's end in UTC: it raised
    OverflowError and the sitemap (or JSON Feed) lost every entry; a JSON Feed's
    numeric date lost the feed without a word; a JSON Feed nested 100,000 deep
    raised RecursionError."""
    from newscrawl.backoff import retry_after_seconds
    from newscrawl.discovery import parse_date, parse_feed, parse_sitemap

    for odd in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", 20261130, None,
                "Fri, 31 Dec 9999 23:59:59 -1200"):  # fmt: skip
        assert parse_date(odd) is None
    urls = "".join(
        f"<url><loc>http://a.test/{n}.html</loc><lastmod>{day}</lastmod></url>"
        for n, day in enumerate(["2026-11-30", "9999-12-31T23:59:59-12:00", "2026-11-29"])
    )
    kind, entries = parse_sitemap(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
        "http://a.test/",
    )
    assert kind == "urlset" and [e.url for e in entries] == [
        f"http://a.test/{n}.html" for n in range(3)
    ]
    assert entries[1].lastmod is None and entries[0].lastmod is not None
    feed = b'{"items": [{"url": "/a", "date_published": 20261130}, {"url": "/b"}]}'
    assert [e.url for e in parse_feed(feed, "http://a.test/")] == [
        "http://a.test/a",
        "http://a.test/b",
    ]
    assert (
        parse_feed(b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "http://a.test/") == []
    )
    assert retry_after_seconds("\u00b2") is None  # "²".isdigit(), but no number


def test_a_sitemap_or_feed_is_told_by_its_root_element():
    from newscrawl.discovery import discovery_kind

    assert discovery_kind(b'<?xml version="1.0"?>\n<!-- made -->\n<urlset xmlns="x">') == "sitemap"
    assert discovery_kind(b"<sitemapindex>") == "sitemap"
    assert discovery_kind(b"\x1f\x8b\x08\x00") == "sitemap"  # gzipped
    assert discovery_kind(b'\xef\xbb\xbf<rss version="2.0">') == "feed"
    assert discovery_kind(b'<feed xmlns="http://www.w3.org/2005/Atom">') == "feed"
    assert discovery_kind(b"<rdf:RDF>") == "feed"
    assert discovery_kind(b'{"version": "https://jsonfeed.org/version/1.1"}') == "feed"
    for other in (b'{"a": 1}', b"<html><body><rss>", b"%PDF-1.7", b"<svg>", b""):
        assert discovery_kind(other) is None


def test_a_body_of_many_comments_is_judged_in_linear_time():
    # A pattern for "comments, then the root element" backtracked exponentially:
    # 22 comments took 0.6 s, 40 would take days, on the crawler's event loop.
    import time

    from newscrawl.discovery import discovery_kind

    started = time.process_time()
    assert discovery_kind(b"<!---->" * 40 + b"<x>") is None
    assert discovery_kind(b"<!-- a -->" * 500 + b"<rss>") is None  # past the 4 KiB looked at
    assert discovery_kind(b"<!-- a -->" * 40 + b"<rss>") == "feed"
    assert time.process_time() - started < 1


def test_a_surrogate_character_reference_in_a_feed_or_sitemap_title_is_replaced():
    """9e11946 read lone surrogates out of JSON; "&#55296;" in an RSS or a news
    sitemap title still reached the store, and the whole feed or sitemap was lost
    with a traceback (found by the review of that commit)."""
    rss = (b"<rss version='2.0'><channel><item><title>Bad &#55296; &#x00000000D800; title</title>"
           b"<link>http://n.test/a</link></item></channel></rss>")  # fmt: skip
    sitemap = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>http://n.test/b</loc>'
        b"<news:news><news:title>Bad &#55296; title</news:title></news:news></url></urlset>"
    )
    for entries in (parse_feed(rss, BASE), parse_sitemap(sitemap, BASE)[1]):
        for entry in entries:
            assert entry.title is None or entry.title.encode("utf-8")
            assert entry.url.encode("utf-8")


def test_a_sitemap_or_feed_cut_short_is_known_for_one() -> None:
    """Read up to the cut, as before, and now said: a sitemap whose gzip stream
    ended early, or a feed the server stopped writing, lost the rest of its
    entries every run, exit 0, without a word (helper-113)."""
    urls = "".join(f"<url><loc>http://n.test/news/{n}.html</loc></url>" for n in range(40))
    sitemap = (
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
    )
    items = "".join(
        f"<item><title>S{n}</title><link>http://n.test/f{n}.html</link></item>" for n in range(40)
    )
    feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>{items}</channel></rss>".encode()
    for whole in (sitemap, feed, sitemap + b"\n<!-- built in 3 ms -->\n", b"<a:urlset></a:urlset>"):
        assert ends_whole(whole)
    for cut in (sitemap[: len(sitemap) // 2], feed[: len(feed) // 2], b""):
        assert not ends_whole(cut)
    many = "".join(f"<url><loc>http://n.test/news/{n}.html</loc></url>" for n in range(5000))
    big = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{many}</urlset>'.encode()
    packed = gzip.compress(big)
    reading = read_sitemap(packed[: len(packed) // 2], "http://n.test/sitemap.xml.gz")
    assert reading.cut_short and 0 < len(reading.entries) < 5000
    assert not read_sitemap(gzip.compress(sitemap), "http://n.test/sitemap.xml.gz").cut_short
    cut_feed = read_feed(feed[: len(feed) // 2], "http://n.test/feed.xml")
    assert cut_feed.cut_short and 0 < len(cut_feed.entries) < 40
    assert not read_feed(feed, "http://n.test/feed.xml").cut_short
    assert not read_feed(b'{"items": []', "http://n.test/feed.json").cut_short  # JSON: unread
    # A page that is no feed at all (a bot challenge's) is not one cut short.
    assert not read_feed(
        b"<html><body>Checking your browser</body></html>", "http://n.test/f"
    ).cut_short
