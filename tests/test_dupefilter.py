"""The duplicate filter that also tells which URLs it has seen (newscrawl/dupefilter.py)."""

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter
from scrapy.utils.test import get_crawler

from newscrawl.dupefilter import URLDupeFilter


class HeadersFingerprinter(RequestFingerprinter):
    """A fingerprinter for which a URL alone does not make a fingerprint."""


def test_a_url_is_seen_once_a_get_request_for_it_passed_the_filter() -> None:
    crawler = get_crawler()
    dupefilter = URLDupeFilter.from_crawler(crawler)
    assert URLDupeFilter.of(crawler) is dupefilter
    url = "http://example.com/news/a.html?b=2&a=1"
    assert not dupefilter.seen(url)
    assert not dupefilter.request_seen(Request(url))
    assert dupefilter.seen(url)
    # The same fingerprint under another spelling: dropped, and seen from now on.
    other = "http://example.com/news/a.html?a=1&b=2"
    assert dupefilter.request_seen(Request(other))
    assert dupefilter.seen(other)
    # A POST's URL says nothing of a GET's fingerprint.
    posted = "http://example.com/form"
    assert not dupefilter.request_seen(Request(posted, method="POST", body=b"x=1"))
    assert not dupefilter.seen(posted)


def test_with_another_fingerprinter_no_url_is_seen() -> None:
    crawler = get_crawler(settings_dict={"REQUEST_FINGERPRINTER_CLASS": HeadersFingerprinter})
    dupefilter = URLDupeFilter.from_crawler(crawler)
    url = "http://example.com/news/a.html"
    assert not dupefilter.request_seen(Request(url))
    assert dupefilter.request_seen(Request(url))  # still Scrapy's filter
    assert not dupefilter.seen(url)
