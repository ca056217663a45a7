"""A site on an IPv6 literal host: its name, its keys and a crawl of it on [::1]."""

from __future__ import annotations

import socket
import sqlite3
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newscrawl.article import trusted_canonical
from newscrawl.hosts import site_key
from newscrawl.netguard import AddressPolicy
from newscrawl.robots import origin_of
from newscrawl.sites import SiteDirectory, sites_from_urls
from newscrawl.urls import canonicalize, site_of, without_password

from .conftest import FAST, run, serving
from .faultsite import article_html


def test_an_ipv6_site_is_named_as_its_urls_netloc_writes_it() -> None:
    """Before: "::1:8080", which is also the name of the host ::1:8080 on port 80."""
    assert site_of("http://[::1]:8080/a") == "[::1]:8080"
    assert site_of("http://[::1:8080]/a") == "[::1:8080]"
    assert site_key("http://[2a00:1450::1]:8080/") == "[2a00:1450::1]:8080"
    assert site_key("http://[2a00:1450::1:8080]/") == "[2a00:1450::1:8080]"
    assert origin_of("http://[::1]:8080/a") == "http://[::1]:8080"


def test_two_spellings_of_one_ipv6_address_are_one_site_and_one_key() -> None:
    assert site_of("http://[0:0::1]:8080/a") == site_of("http://[::1]:8080/b") == "[::1]:8080"
    assert canonicalize("http://[0:0:0:0:0:0:0:1]:8080/a") == "http://[::1]:8080/a"
    assert origin_of("http://[0::1]:8080/a") == origin_of("http://[::1]:8080/b")


def test_an_ipv6_host_whose_address_ends_in_the_port_is_another_site() -> None:
    """Before: the page at [2a00:1450::1]:8080 could declare an article of the
    host 2a00:1450::1:8080 as its canonical URL, and a link there was its own."""
    seed = "http://[2a00:1450::1]:8080/"
    other = "http://[2a00:1450::1:8080]/a/1.html"
    assert not trusted_canonical(other, f"{seed}a/1.html", {})
    directory = SiteDirectory(sites_from_urls([seed]))
    assert directory.site_for(f"{seed}a/2.html") is not None
    assert directory.site_for(other) is None


def test_two_ipv6_sites_that_differ_by_where_the_port_is_are_two_sites() -> None:
    sites = sites_from_urls(["http://[2a00:1450::1]:8080/", "http://[2a00:1450::1:8080]/"])
    assert sorted(site.name for site in sites) == ["[2a00:1450::1:8080]", "[2a00:1450::1]:8080"]


def test_a_password_is_hidden_in_an_ipv6_url_and_the_host_kept_whole() -> None:
    assert without_password("http://u:p@[::1]:8080/x") == "http://u:***@[::1]:8080/x"


def test_the_address_guard_lets_an_ipv6_seed_reach_its_own_port_only() -> None:
    policy = AddressPolicy()
    policy.reset(["http://[::1]:8080/"])
    site = site_of("http://[::1]:8080/")
    assert policy.url_refusal("http://[0::1]:8080/a.html", site=site) is None
    assert policy.url_refusal("http://[::1]:6379/", site=site)
    assert policy.url_refusal("http://[::1]:8080/", site="[::1:8080]")


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_a_site_on_the_ipv6_loopback_is_crawled_under_its_bracketed_name(tmp_path: Path) -> None:
    """Before: Scrapy's resolver looked "::1" up with gethostbyname (IPv4 only),
    the robots.txt was "unreachable" and not one page was fetched (exit 1).
    Article 1 names, as its canonical URL, the host whose address ends in the
    site's port: another host, whose key it must not take."""

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            port = self.server.server_address[1]
            if self.path == "/robots.txt":
                body, kind = "User-agent: *\nAllow: /\n", "text/plain"
            elif self.path == "/":
                body, kind = "<a href='/a/1.html'>1</a> <a href='/a/2.html'>2</a>", "text/html"
            elif self.path in ("/a/1.html", "/a/2.html"):
                number = int(self.path[3])
                foreign = f"<link rel='canonical' href='http://[::1:{port}]/a/{number}.html'>"
                body, kind = article_html(number, extra_head=foreign), "text/html"
            else:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    db = tmp_path / "news.sqlite"
    with serving(Site, _IPv6Server, host="::1") as base:
        result = run("newscrawl", "crawl", f"{base}/", "--db", str(db), "--workers", "1", *FAST)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    with sqlite3.connect(db) as conn:
        rows = sorted(conn.execute("SELECT site, url, canonical_url FROM articles"))
    name = base.removeprefix("http://")
    assert rows == [(name, f"{base}/a/{n}.html", f"{base}/a/{n}.html") for n in (1, 2)], err
