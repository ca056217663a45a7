"""Which robots.txt group is newscrawl's: its product token, in any case, with
or without a version, however the line is spelled or broken; never a group for a
word of its User-Agent header (newscrawl/robots.py). Judged by Scrapy's parser
(Protego), as a crawl judges them."""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from protego import Protego

from newscrawl.robots import (
    MAX_PATTERN_RULES,
    MAX_ROBOTS_BYTES,
    MAX_SITE_ROBOTS_BYTES,
    applicable_groups,
    gunzipped,
    only_own_groups,
    pattern_rules,
    robots_names,
    robots_text,
    whole_lines,
)
from newscrawl.settings import USER_AGENT

from .conftest import FAST, REPO, FolderSite, run

ALL_BUT = "User-agent: *\nDisallow: /\n\n"  # everyone is kept out, but the group after
NONE_BUT = "User-agent: *\nAllow: /\n\n"  # everyone is let in, but the group after


def allowed(robots_txt: str, user_agent: str = USER_AGENT, explicit: str | None = None) -> bool:
    names = robots_names(explicit, user_agent)
    rules = only_own_groups(robots_txt, names)
    parser = Protego.parse(rules)
    verdict = bool(parser.can_fetch("http://courier.test/news/1.html", names[0]))
    # What newscrawl parses (the groups that may apply) gives the same verdict.
    applicable = Protego.parse(applicable_groups(rules, names[0]))
    assert applicable.can_fetch("http://courier.test/news/1.html", names[0]) == verdict
    return verdict


@pytest.mark.parametrize(
    "group",
    [
        "User-agent: newscrawl",
        "User-agent: NewsCrawl",
        "User-agent: newscrawl/0.1.0",  # as the header writes it: was not ours
        "User-agent: newscrawl/",
        "User-agent: newscrawl*",
        "User-agent: newscrawl # the news text crawler",
        "Useragent: newscrawl",
        "User agent: newscrawl",
        "User-agent newscrawl",
        "User-agent: googlebot\nUser-agent: newscrawl",  # one group, two names
    ],
)
def test_a_group_that_names_newscrawl_is_obeyed(group: str) -> None:
    assert not allowed(f"{NONE_BUT}{group}\nDisallow: /\n")
    assert allowed(f"{ALL_BUT}{group}\nAllow: /\n")


@pytest.mark.parametrize(
    "robots_txt",
    [
        f"{ALL_BUT}User-agent: crawler\nAllow: /\n",  # a word of the header's comment
        f"{ALL_BUT}User-agent: Scrapy\nAllow: /\n",
        f"{ALL_BUT}User-agent: news\nAllow: /\n",  # a prefix of "newscrawl"
        f"{ALL_BUT}Useragent: news\nAllow: /\n",
        f"{ALL_BUT}User-agent news\nAllow: /\n",
        f"{ALL_BUT}User agent: news\nAllow: /\n",
        "User-agent: *\rDisallow: /\r\rUser-agent: news\rAllow: /\r",  # CR alone
        "User-agent: *\x85Disallow: /\x85\x85User-agent: news\x85Allow: /",
        "User-agent: *\u2028Disallow: /\u2028\u2028User-agent: news\u2028Allow: /",
        "\ufeffUser-agent: newscrawl\nDisallow: /\n",  # a byte-order mark
        "User-agent: newscrawl\nDisallow: /x\n\nUser-agent: newscrawl/2\nDisallow: /\n",
    ],
)
def test_no_other_group_lets_newscrawl_in(robots_txt: str) -> None:
    assert not allowed(robots_txt)


def test_the_names_are_the_headers_products_not_its_words() -> None:
    assert robots_names(None, USER_AGENT) == ["newscrawl"]
    browser_style = "Mozilla/5.0 (compatible; MyNewsBot/1.0; +https://example.org/2024/bot)"
    assert robots_names(None, browser_style) == ["mozilla", "mynewsbot"]
    assert not allowed(f"{NONE_BUT}User-agent: MyNewsBot\nDisallow: /\n", browser_style)
    assert robots_names("MyBot/2", USER_AGENT) == ["mybot"]  # ROBOTSTXT_USER_AGENT
    assert not allowed(f"{NONE_BUT}User-agent: mybot\nDisallow: /\n", explicit="MyBot")


# -- a robots.txt past MAX_ROBOTS_BYTES ----------------------------------------------

RULE = "Disallow: /archive/private/{:08d}/\n"
HALF = "Disallow: /"  # what the cut leaves of the next rule


def cut_after_half_rule(end: str = "\n") -> str:
    """A robots.txt past MAX_ROBOTS_BYTES that forbids only /archive/private/...: its
    byte MAX_ROBOTS_BYTES falls just after the "Disallow: /" of a rule."""
    head = "User-agent: *" + end
    rules = []
    size = len(head)
    while True:
        rule = RULE.format(len(rules)).replace("\n", end)
        if size + len(rule) + len("#") + len(end) + len(HALF) > MAX_ROBOTS_BYTES:
            break  # the comment's room
        rules.append(rule)
        size += len(rule)
    pad = MAX_ROBOTS_BYTES - len(HALF) - size  # a comment fills the gap to the byte
    text = head + "".join(rules) + "#" + "x" * (pad - 1 - len(end)) + end
    text += RULE.format(99_999_999).replace("\n", end)
    assert text.encode()[:MAX_ROBOTS_BYTES].endswith(HALF.encode())
    return text


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_the_cut_drops_the_line_it_goes_through(end: str):
    """Before: the half line "Disallow: /" stayed, and forbade every page."""
    text = cut_after_half_rule(end)
    kept = whole_lines(text.encode()).decode()
    assert kept == text[: MAX_ROBOTS_BYTES - len(HALF)]  # every whole line, up to the half
    assert allowed(kept.replace("*", "newscrawl", 1))  # the articles are not forbidden
    assert not allowed(kept.replace("*", "newscrawl", 1) + HALF + end)  # (it can tell)


def test_a_robots_txt_within_the_limit_is_read_whole():
    text = b"User-agent: *\nDisallow: /private"  # no end of line, but no cut either
    assert whole_lines(text) == text
    # A cut between CR and LF: the line it ends is whole.
    head = b"User-agent: *\r\nDisallow: /a/\r\n#"
    kept = head + b"x" * (MAX_ROBOTS_BYTES - len(head) - 1) + b"\r"
    assert whole_lines(kept + b"\nDisallow: /b/\r\n") == kept
    # One line longer than the limit, cut: no rule at all.
    assert whole_lines(b"Disallow: /" + b"x" * MAX_ROBOTS_BYTES) == b""


ARTICLE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Harbour vote</title>'
    '<meta property="og:type" content="article"></head><body><article><h1>Harbour vote</h1>'
    + "".join(
        f"<p>The council voted on the harbour plan for the {n} time this year, and the"
        " fishermen who use the old quay every morning said they would wait and see.</p>"
        for n in ("first", "second", "third", "fourth", "fifth", "sixth")
    )
    + "</article></body></html>"
)


@pytest.fixture()
def long_robots(tmp_path: Path) -> Iterator[FolderSite]:
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "robots.txt").write_text(cut_after_half_rule())
    (root / "news" / "harbour-vote.html").write_text(ARTICLE)
    site = FolderSite(root)
    yield site
    site.close()


def test_a_crawl_reads_the_articles_a_cut_robots_txt_allows(
    long_robots: FolderSite, tmp_path: Path
):
    """Before: exit 1, "pages not fetched: 1 (robots_txt 1)": the cut's half line
    forbade the whole site, though no line of the file does."""
    db = tmp_path / "c.sqlite"
    url = f"{long_robots.url}news/harbour-vote.html"
    result = run("newscrawl", "crawl", url, "--db", str(db), *FAST, "-L", "WARNING", timeout=60)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "robots_txt" not in err
    assert "/news/harbour-vote.html" in long_robots.hits
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (1,)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_robots_txt_with_a_byte_order_mark_is_read_in_its_encoding(encoding: str):
    rules = "\ufeffUser-agent: *\nDisallow: /private/\n"
    assert robots_text(rules.encode(encoding)).removeprefix("\ufeff") == rules[1:]
    assert robots_text(rules.encode("utf-8")) == rules  # (the mark is dropped later)
    assert robots_text(b"Disallow: /caf\xe9/") == "Disallow: /caf\ufffd/"


FORBIDDING_NEWS = "User-agent: *\r\nDisallow: /news/\r\n"


def _scrape_under(
    robots: bytes, tmp_path: Path
) -> tuple[list[str], subprocess.CompletedProcess[bytes]]:
    """`newscrawl scrape` of an article of a site whose robots.txt is `robots`: the
    paths the site was asked for, and the command's result."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "robots.txt").write_bytes(robots)
    (root / "news" / "harbour-vote.html").write_text(ARTICLE)
    site = FolderSite(root)
    try:
        result = run("newscrawl", "scrape", f"{site.url}news/harbour-vote.html", *FAST, timeout=60)
    finally:
        site.close()
    return site.hits, result


@pytest.mark.parametrize(
    "saved",
    [
        # (Python's utf-16 codec writes the byte order mark, as Notepad does)
        pytest.param(FORBIDDING_NEWS.encode("utf-16"), id="utf-16"),
        # kept gzipped and served without a Content-Encoding
        pytest.param(gzip.compress(FORBIDDING_NEWS.encode()), id="gzipped"),
    ],
)
def test_a_crawl_keeps_out_of_what_an_oddly_saved_robots_txt_forbids(tmp_path: Path, saved: bytes):
    """Before: the file's bytes were read as UTF-8 text, no line of it was a
    rule, and the article it forbids was fetched and stored."""
    hits, result = _scrape_under(saved, tmp_path)
    assert "/robots.txt" in hits
    assert "/news/harbour-vote.html" not in hits
    assert "/news/harbour-vote.html: robots_txt" in result.stderr.decode()


def test_a_gzipped_robots_txt_is_read_to_the_limit_only():
    # A gzip bomb: 50 MB of rules in some KB, read to MAX_ROBOTS_BYTES.
    lines = b"Disallow: /private/\n" * (50 * 1024 * 1024 // 20)
    text = gunzipped(gzip.compress(lines))
    assert len(text) == MAX_ROBOTS_BYTES + 1
    assert len(whole_lines(text)) <= MAX_ROBOTS_BYTES
    assert gunzipped(b"\x1f\x8bnot gzip at all") == b"\x1f\x8bnot gzip at all"


def test_a_gzipped_robots_txt_cut_short_loses_its_cut_line_only():
    # A stream that ends before its gzip trailer (a file stored truncated): its
    # last line was cut, and a cut "Allow: /archive/public-index" allowed all of
    # /archive/p... that the next rule's Disallow: /archive/ forbids.
    whole = b"User-agent: *\nDisallow: /archive/\nAllow: /archive/public-index\n"
    stream = gzip.compress(whole)
    for cut in range(len(stream) - 8, 11, -1):
        text = gunzipped(stream[:cut])
        if text.startswith(b"\x1f\x8b"):
            continue  # not enough to decompress: kept as it came (no rule)
        assert whole.startswith(text) and (not text or text.endswith(b"\n")), (cut, text)
    assert gunzipped(stream) == whole
    assert gunzipped(stream + b"trailing junk") == whole


def test_a_robots_txt_of_several_gzip_members_is_read_whole():
    # `cat a.gz b.gz` is one gzip file to gunzip: its second member's rules count.
    members = gzip.compress(b"User-agent: *\n") + gzip.compress(b"Disallow: /news/\n")
    assert gunzipped(members) == b"User-agent: *\nDisallow: /news/\n"
    # A second "member" that is no gzip: the first one's rules stand.
    broken = gzip.compress(b"Disallow: /news/\n") + b"\x1f\x8bnot gzip"
    assert gunzipped(broken) == b"Disallow: /news/\n"


def test_the_rules_with_wildcards_or_an_end_anchor_are_counted():
    text = (
        "User-agent: googlebot\nUser-agent: *\nDisallow: /*.pdf$\nAllow: /a$\n"
        "Dissallow: /*?s=\nDisallow: /private/ # not */here$\nSitemap: /s.xml\n\n"
        "User-agent: otherbot\nDisallow: /*.doc$\n\nUser-agent: NewsCrawl/2\nDisallow: /*?q=\n"
    )
    rules = only_own_groups(text, ["newscrawl"])
    # The User-agent lines, comments and other crawlers' groups hold none.
    assert pattern_rules(rules, "newscrawl") == 4
    many = "User-agent: *\n" + "Disallow: /*x\r" * MAX_PATTERN_RULES
    assert pattern_rules(many, "newscrawl") == MAX_PATTERN_RULES


def wildcard_rules(size: int = MAX_ROBOTS_BYTES) -> str:
    """A robots.txt of `size` bytes of distinct rules with wildcards, none of
    which forbids /news/: each checked on its own against every URL."""
    lines, total, number = ["User-agent: *"], 14, 0
    while total < size - 40:
        lines.append(f"Disallow: /*q{number}*z*y$")
        total += len(lines[-1]) + 1
        number += 1
    return "\n".join(lines) + "\n"


def test_a_site_whose_robots_txt_holds_too_many_wildcard_rules_is_not_crawled(tmp_path: Path):
    """Before: the file was read, its 21,794 rules took the crawl's event loop
    0.8 s to parse and up to 0.5 s for each URL of the site (every other site's
    downloads waited meanwhile), and the article was fetched."""
    hits, result = _scrape_under(wildcard_rules().encode(), tmp_path)
    err = result.stderr.decode()
    assert "/robots.txt" in hits
    assert "/news/harbour-vote.html" not in hits
    assert "/news/harbour-vote.html: unreachable" in err
    assert f"rules with * or $, more than the {MAX_PATTERN_RULES} newscrawl checks" in err
    assert result.returncode == 1


def crawl_sub_domains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str, hosts: int = 12
) -> tuple[list[str], subprocess.CompletedProcess[bytes]]:
    """Crawl a front page linking to an article on each of `hosts` sub-domains,
    all serving one robots.txt of 500 KiB of distinct rules (a parser keeps
    each) for `group`, none forbidding /news/. Names come from
    tests/stub_resolver.py. The site's hits, and the crawl's result."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    rules, number = [f"User-agent: {group}"], 0
    while sum(len(line) + 1 for line in rules) < MAX_ROBOTS_BYTES - 40:
        rules.append(f"Disallow: /archive/{number}/")
        number += 1
    (root / "robots.txt").write_text("\n".join(rules) + "\n")
    site = FolderSite(root)
    port = site.url.split(":")[-1].strip("/")
    links = "".join(
        f"<a href='http://s{n}.news.test:{port}/news/{n}.html'>{n}</a>" for n in range(hosts)
    )
    (root / "index.html").write_text(f"<html><body>{links}</body></html>")
    for n in range(hosts):
        (root / "news" / f"{n}.html").write_text(ARTICLE.replace("Harbour vote", f"Vote {n}"))
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # for the stub resolver
    try:
        result = run(
            "newscrawl", "crawl", f"http://news.test:{port}/", "--db", str(tmp_path / "c.sqlite"),
            "-s", "TWISTED_DNS_RESOLVER=tests.stub_resolver.StubResolver", *FAST, "-L", "WARNING",
            timeout=120,
        )  # fmt: skip
    finally:
        site.close()
    return site.hits, result


def test_a_site_cannot_fill_the_crawlers_memory_with_its_sub_domains_robots_txt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Before: every sub-domain's robots.txt of 500 KiB was parsed and kept, 4 MB
    each (300 of them: a crawler of 1.3 GB, the whole crawl's limit being 2 GB),
    and all 12 articles were fetched; then, with the rest refused, the crawl
    still ended with exit code 0."""
    hosts = 12
    hits, result = crawl_sub_domains(tmp_path, monkeypatch, "*", hosts)
    err = result.stderr.decode()
    kept = MAX_SITE_ROBOTS_BYTES // MAX_ROBOTS_BYTES  # files: the front page's origin's is one
    assert hits.count("/robots.txt") == hosts + 1
    assert len([hit for hit in hits if hit.startswith("/news/")]) == kept - 1, err
    assert err.count(f"robots.txt files passed {MAX_SITE_ROBOTS_BYTES // 1024} KiB") == (
        hosts + 1 - kept
    ), err
    # Pages lost to newscrawl's own limit: exit 1, and the summary says why.
    assert f"the robots.txt of {hosts + 1 - kept} of its hosts was past" in err
    assert result.returncode == 1, err


def test_sub_domains_robots_txt_for_other_crawlers_cost_the_site_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Another crawler's groups are neither parsed nor kept (applicable_groups).
    Before: the parser was given them all, 500 KiB a file (1.3 s of the event loop
    each for 500 KiB of wildcard rules), counted against MAX_SITE_ROBOTS_BYTES:
    5 of the 12 sub-domains' articles refused, exit 1."""
    hosts = 12
    hits, result = crawl_sub_domains(tmp_path, monkeypatch, "otherbot", hosts)
    err = result.stderr.decode()
    assert len([hit for hit in hits if hit.startswith("/news/")]) == hosts, err
    assert "robots.txt files passed" not in err
    assert result.returncode == 0, err


def test_only_the_groups_that_may_apply_are_given_to_the_parser():
    text = (
        "Disallow: /before-any-group/\nUser-agent: otherbot\nDisallow: /*.doc$\n\n"
        "User-agent: otherbot\nUser-agent: NewsCrawl/2\nDisallow: /shared/\n"
        "User-agent: thirdbot\nCrawl-delay: 9\nUser-agent: *\nDisallow: /*.pdf$\n"
    )
    rules = applicable_groups(only_own_groups(text, ["newscrawl"]), "newscrawl")
    assert rules.splitlines() == [
        "User-agent: newscrawl",
        "Disallow: /shared/",
        "User-agent: *",
        "Disallow: /*.pdf$",
    ]


def test_a_robots_txt_of_many_wildcard_rules_for_other_crawlers_is_obeyed(tmp_path: Path):
    """Before: the 1,500 wildcard rules of the other crawlers' groups, which newscrawl
    never checks, counted against MAX_PATTERN_RULES, and the site was not crawled."""
    groups = "".join(
        f"User-agent: bot{number}\n" + "".join(f"Disallow: /*?{n}=\n" for n in range(150)) + "\n"
        for number in range(10)
    )
    robots = groups + FORBIDDING_NEWS.replace("/news/", "/*.pdf$")
    hits, result = _scrape_under(robots.encode(), tmp_path)
    assert "/news/harbour-vote.html" in hits, result.stderr.decode()
    assert result.returncode == 0, result.stderr.decode()


@pytest.mark.parametrize(
    "between",
    ["Host: courier.test", "Sitemap: http://courier.test/s.xml", "Sitemap http://courier.test/s.xml",
     "noindex /news/"],
)  # fmt: skip
def test_a_site_wide_or_unreadable_line_does_not_end_a_groups_user_agents(between: str):
    """The parser reads a User-agent line after Host, Sitemap or a line it cannot
    read as one group with the User-agent lines before it: the other crawler's
    rule below is newscrawl's too. Before, applicable_groups began a new group
    there and dropped it: the page was allowed (`allowed` compares both)."""
    text = f"User-agent: newscrawl\n{between}\nUser-agent: otherbot\nDisallow: /news/\n"
    assert not allowed(text)
