"""Scheduled crawls: discovery through robots.txt, sitemaps, news sitemaps, feeds and
links; incremental second runs; a per-site record of every run."""

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawl.demo.server import QuietHandler
from newscrawl.readings import MAX_FEED_ENTRIES
from newscrawl.runlog import site_counts
from newscrawl.vocabulary import CANONICAL_REFUSED, DISCOVERY_NOT_FETCHED

from .conftest import FAST, FolderSite, run, serving
from .discovery_site import (
    LINKED,
    NEWS_NS,
    TOPICS,
    article_page,
    hub_page,
    news_entry,
    write_article,
    write_feed_site,
    write_link_site,
)
from .faultsite import article_html


def serve_sites(tmp_path: Path) -> Iterator[dict[str, FolderSite]]:
    (tmp_path / "feed").mkdir()
    (tmp_path / "links").mkdir()
    (tmp_path / "blocked").mkdir()
    servers = {
        "feed": FolderSite(tmp_path / "feed"),
        "links": FolderSite(tmp_path / "links"),
        "blocked": FolderSite(tmp_path / "blocked", status=403),
    }
    feed = servers["feed"]
    news = [
        (slug, TOPICS[slug][1] or "2026-11-01T07:30:00+00:00", TOPICS[slug][0])
        for slug in ("a1", "a2")
    ]
    write_feed_site(feed.root, feed.url, news, {"a3": "2026-11-03", "a4": "2026-11-04"})
    for slug, (title, published) in TOPICS.items():
        write_article(feed.root, slug, title, published)
    write_link_site(servers["links"].root)
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture()
def sites(tmp_path: Path) -> Iterator[dict[str, FolderSite]]:
    yield from serve_sites(tmp_path)


@pytest.fixture(scope="module")
def shared_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FolderSite]]:
    """The sites for the tests that only read a first crawl of them (first_crawl):
    no test changes their pages."""
    yield from serve_sites(tmp_path_factory.mktemp("sites"))


# The "blocked" site answers 403 to everything: a run that includes it finished
# with a site refusing it, which needs a person: exit code 1.
BLOCKED_EXIT = 1


def crawl(sites: dict[str, FolderSite], db: Path, *extra: str):
    urls = [sites[name].url for name in ("feed", "links", "blocked")]
    for server in sites.values():
        server.hits.clear()
    return run("newscrawl", "crawl", *urls, "--db", str(db), *FAST, *extra)


def article_hits(site: FolderSite) -> list[str]:
    return sorted(path for path in site.hits if path.startswith("/news/"))


@pytest.fixture(scope="module")
def first_crawl(
    shared_sites: dict[str, FolderSite], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Path, Path, list[str]]:
    """A first crawl of the three sites into a new store, with -O: its result, the
    store, the JSON Lines file, and the paths the feed site served. Tests read
    them; none changes them (a test that does makes its own)."""
    folder = tmp_path_factory.mktemp("first-crawl")
    out, db = folder / "out.jsonl", folder / "db.sqlite"
    result = crawl(shared_sites, db, "-O", str(out))
    return result, db, out, list(shared_sites["feed"].hits)


def test_every_article_is_found_no_hub_stored_dates_from_the_sitemap(first_crawl):
    result, db, out, feed_hits = first_crawl
    assert result.returncode == BLOCKED_EXIT, result.stderr.decode()
    items = {
        item["url"].rsplit("/", 1)[-1]: item
        for item in map(json.loads, out.read_text().splitlines())
    }
    assert sorted(items) == sorted(f"{slug}.html" for slug in [*TOPICS, *LINKED])
    # a1's page states no date; its news sitemap entry does.
    assert items["a1.html"]["published"] == "2026-11-01"
    assert items["a2.html"]["published"] == "2026-11-02T08:00:00+00:00"  # as the page states it
    # Discovery went through robots.txt, the index, both sitemaps and both feeds.
    for path in ("/robots.txt", "/sitemap_index.xml", "/news_sitemap.xml", "/pages_sitemap.xml.gz",
                 "/rss.xml", "/atom.xml"):  # fmt: skip
        assert path in feed_hits
    rows = sqlite3.connect(db).execute("SELECT url FROM articles").fetchall()
    assert len(rows) == len(TOPICS) + len(LINKED)
    assert not [u for (u,) in rows if "/section/" in u or "/tag/" in u or u.endswith(":/")]


def test_second_run_fetches_only_new_and_changed_articles(sites, tmp_path: Path):
    db = tmp_path / "db.sqlite"
    assert crawl(sites, db).returncode == BLOCKED_EXIT
    second = crawl(sites, db)
    assert second.returncode == BLOCKED_EXIT, second.stderr.decode()
    assert article_hits(sites["feed"]) == [] and article_hits(sites["links"]) == []
    assert (
        "/rss.xml" in sites["feed"].hits and "/tag/farming.html" in sites["links"].hits
    )  # hubs again

    # One article added (news sitemap), one changed (newer lastmod in the plain
    # sitemap), one with a lastmod in the future: no change yet (it was fetched
    # again on every run, for ever).
    changed = datetime.now(UTC).isoformat(timespec="seconds")
    feed = sites["feed"]
    news = [
        (slug, TOPICS[slug][1] or "2026-11-01T07:30:00+00:00", TOPICS[slug][0])
        for slug in ("a1", "a2")
    ]
    news.append(("a7", "2026-11-08T08:00:00+00:00", "Harbour cranes painted in their old colours"))
    write_feed_site(feed.root, feed.url, news, {"a3": changed, "a4": "9999-12-31"})
    write_article(feed.root, "a7", "Harbour cranes painted in their old colours", None)
    write_article(
        feed.root,
        "a3",
        TOPICS["a3"][0],
        TOPICS["a3"][1],
        "<p>Update: the council confirmed the date.</p>",
    )
    third = crawl(sites, db)
    assert third.returncode == BLOCKED_EXIT, third.stderr.decode()
    assert article_hits(feed) == ["/news/a3.html", "/news/a7.html"]
    connection = sqlite3.connect(db)
    (version,) = connection.execute(
        "SELECT version FROM articles WHERE url LIKE '%/a3.html'"
    ).fetchone()
    assert version == 2
    (text,) = connection.execute("SELECT text FROM articles WHERE url LIKE '%/a3.html'").fetchone()
    assert text.endswith("Update: the council confirmed the date.")

    # --refresh fetches everything again.
    crawl(sites, db, "--refresh")
    assert len(article_hits(feed)) == len(TOPICS) + 1


def test_stats_show_each_site_and_a_blocked_one(first_crawl, shared_sites):
    first, db, _, _ = first_crawl
    assert first.returncode == BLOCKED_EXIT, first.stderr.decode()
    result = run("newscrawl", "stats", "--db", str(db))
    assert result.returncode == 0, result.stderr.decode()
    table = result.stdout.decode().splitlines()
    assert table[0].split()[:3] == ["site", "run", "started"]
    by_site = {line.split()[0]: line.split() for line in table[1:]}
    feed_site = shared_sites["feed"].url.split("/")[2]
    fetched, stored = int(by_site[feed_site][3]), int(by_site[feed_site][4])
    assert stored == len(TOPICS)
    assert fetched >= len(TOPICS) + 2  # the articles, the home page, the section page
    blocked_site = shared_sites["blocked"].url.split("/")[2]
    # Only the site that needs a person is warned about: not the healthy ones, and
    # not for a page or two that failed.
    assert result.stderr.decode() == (
        f"newscrawl: warning: {blocked_site} (run 1): blocked: 1 answers 401/403/429 and no page\n"
    )


def test_sites_file_crawl_and_state_reset(sites, tmp_path: Path):
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text(
        f'[[site]]\nname = "valley"\nstart_urls = ["{sites["links"].url}"]\ndelay = 0.01\n\n'
        f'[[site]]\nname = "tidewater"\nsitemaps = ["{sites["feed"].url}news_sitemap.xml"]\n'
        'deny = ["/a2"]\n'
    )
    db = tmp_path / "db.sqlite"
    result = run("newscrawl", "crawl", "--sites", str(sites_file), "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr.decode()
    stored = dict(sqlite3.connect(db).execute("SELECT url, site FROM articles").fetchall())
    # tidewater: a1 from its news sitemap, a3 and a4 through robots.txt's sitemap
    # index; a2 is denied; the feeds are neither configured nor announced to it.
    assert sorted(stored.values()) == ["tidewater"] * 3 + ["valley"] * 2
    assert not [url for url in stored if url.endswith("/a2.html")]
    only = run(
        "newscrawl", "crawl", "--sites", str(sites_file), "--site", "valley", "--db", str(db), *FAST
    )
    assert only.returncode == 0
    reset = run("newscrawl", "state", "--db", str(db), "--site", "valley", "--reset")
    assert reset.returncode == 0 and "forgot" in reset.stdout.decode()
    for server in sites.values():
        server.hits.clear()
    again = run(
        "newscrawl", "crawl", "--sites", str(sites_file), "--site", "valley", "--db", str(db), *FAST
    )
    assert again.returncode == 0
    assert article_hits(sites["links"]) == [f"/news/{slug}.html" for slug in sorted(LINKED)]


def test_a_broken_sites_file_names_file_line_and_key(tmp_path: Path):
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text('[[site]]\nname = "a"\nfeeds = ["a.example/rss"]\n')
    result = run("newscrawl", "crawl", "--sites", str(sites_file))
    assert result.returncode == 2
    assert result.stderr.decode() == (
        f"newscrawl: error: {sites_file}:3: key 'feeds': not an http(s) URL: 'a.example/rss'"
        " (add http:// or https://)\n"
    )


def test_since_skips_older_entries_before_fetching_them(sites, tmp_path: Path):
    result = crawl(sites, tmp_path / "db.sqlite", "--since", "2026-11-04")
    assert result.returncode == BLOCKED_EXIT, result.stderr.decode()
    assert article_hits(sites["feed"]) == ["/news/a4.html", "/news/a5.html", "/news/a6.html"]


def test_the_example_sites_file_is_valid():
    from newscrawl.sites import load_sites

    from .conftest import REPO

    names = [site.name for site in load_sites(REPO / "sites.example.toml")]
    assert names == ["courier", "gazette"]


def test_a_sites_boilerplate_patterns_apply_to_that_site_only(sites, tmp_path: Path):
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text(
        f'[[site]]\nname = "valley"\nstart_urls = ["{sites["links"].url}"]\n'
        "boilerplate = ['paragraph 1 of the story about .*']\n\n"
        f'[[site]]\nname = "tidewater"\nsitemaps = ["{sites["feed"].url}news_sitemap.xml"]\n'
    )
    db = tmp_path / "db.sqlite"
    result = run("newscrawl", "crawl", "--sites", str(sites_file), "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr.decode()
    rows = sqlite3.connect(db).execute("SELECT site, text FROM articles").fetchall()
    firsts = {
        site: [t.split("\n")[0] for s, t in rows if s == site] for site in ("valley", "tidewater")
    }
    assert firsts["valley"] and all(line.startswith("Paragraph 2") for line in firsts["valley"])
    assert firsts["tidewater"] and all(
        line.startswith("Paragraph 1") for line in firsts["tidewater"]
    )
    # Re-cleaning with the same sites file changes nothing.
    assert run("newscrawl", "reclean", "--db", str(db), "--sites", str(sites_file)).returncode == 0
    assert sqlite3.connect(db).execute("SELECT site, text FROM articles").fetchall() == rows


def test_scrapy_crawl_news_with_a_sites_file(sites, tmp_path: Path):
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text(f'[[site]]\nname = "valley"\nstart_urls = ["{sites["links"].url}"]\n')
    out = tmp_path / "out.jsonl"
    result = run("scrapy", "crawl", "news", "-a", f"sites={sites_file}", "-O", str(out), *FAST)
    assert result.returncode == 0, result.stderr.decode()
    assert sorted(json.loads(line)["site"] for line in out.read_text().splitlines()) == [
        "valley",
        "valley",
    ]
    broken = tmp_path / "broken.toml"
    broken.write_text("[[site]]\nname = 3\n")
    bad = run("scrapy", "crawl", "news", "-a", f"sites={broken}")
    assert bad.returncode == 2 and f"scrapy: error: {broken}:2: key 'name'" in bad.stderr.decode()


def test_sitemap_articles_come_before_links_found_on_articles(tmp_path: Path) -> None:
    """Issue 15: a home page links to two articles the sitemap does not list, each
    linking on to 6 more stories; the sitemap lists 12 articles and is slow to
    come. Every listed article is fetched before the stories found on article
    pages, and with a budget that holds just the pages before those, no linked
    story takes a listed one's place."""
    root = tmp_path / "site"
    for folder in ("news", "more"):
        (root / folder).mkdir(parents=True)
    # The sitemap takes a while: meanwhile the home page's stories and their links
    # would have the downloader to themselves.
    site = FolderSite(root, delays={"/sitemap.xml": 1.5})
    published = "2026-11-01T07:30:00+00:00"
    try:
        listed = [f"s{n}" for n in range(12)]
        for number, slug in enumerate(listed):
            write_article(root, slug, f"Harbour story number {number} of the week", published)
        for number in range(2):
            links = "".join(f"<li><a href='/more/m{number}-{k}.html'>More {k}</a></li>"
                            for k in range(6))  # fmt: skip
            write_article(root, f"h{number}", f"Home story {number} about the tide", published,
                          extra=f"<ul>{links}</ul>")  # fmt: skip
            for k in range(6):
                (root / "more" / f"m{number}-{k}.html").write_text(
                    article_page(f"Linked story {number} {k} about the ferry", published), "utf-8"
                )
        (root / "index.html").write_text(hub_page("Home", ["/news/h0.html", "/news/h1.html"]))
        entries = "".join(news_entry(site.url, slug, published, f"Story {slug}") for slug in listed)
        (root / "sitemap.xml").write_text(f"{NEWS_NS}{entries}</urlset>", "utf-8")
        (root / "robots.txt").write_text(f"User-agent: *\nSitemap: {site.url}sitemap.xml\n")
        # Two at a time: one slot waits for the sitemap, the other is free.
        two_at_a_time = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
        result = run("newscrawl", "crawl", site.url, "--db", str(tmp_path / "all.sqlite"),
                     *FAST, *two_at_a_time)  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        order = [path for path in site.hits if path.startswith(("/news/s", "/more/"))]
        assert len(order) == 12 + 12, site.hits
        # Requests leave in priority order, 10 ms apart; the last listed article and
        # the first linked story may still arrive in either order.
        assert all(path.startswith("/news/s") for path in order[:11]), order

        site.hits.clear()
        # The home page, the sitemap, the two stories it links to and the 12 listed.
        result = run("newscrawl", "crawl", site.url, "--db", str(tmp_path / "budget.sqlite"),
                     "--max-pages", "16", *FAST, *two_at_a_time)  # fmt: skip
        assert result.returncode in (0, 1), result.stderr.decode()
        assert {p for p in site.hits if p.startswith("/news/s")} == {
            f"/news/s{n}.html" for n in range(12)
        }, site.hits
        assert not [p for p in site.hits if p.startswith("/more/")], site.hits
    finally:
        site.close()


def test_since_and_max_age_leave_out_articles_whose_own_date_is_older(tmp_path: Path) -> None:
    """Issue 17: a plain sitemap gives no dates; the pages do. --max-age and --since
    leave out the article the page dates to 2019, counted as too old."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    site = FolderSite(root)
    try:
        recent = (datetime.now(UTC) - timedelta(hours=6)).isoformat(timespec="seconds")
        write_article(
            root, "old", "Harbour wall rebuilt after the winter storms", "2019-03-02T09:00:00+00:00"
        )
        write_article(root, "new", "Ferry timetable changes for the spring season", recent)
        entries = "".join(
            f"<url><loc>{site.url}news/{slug}.html</loc></url>" for slug in ("old", "new")
        )
        (root / "sitemap.xml").write_text(f"{NEWS_NS}{entries}</urlset>", "utf-8")
        for name, window in (("age", ["--max-age", "3d"]), ("since", ["--since", "2026-01-01"])):
            db, stats = tmp_path / f"{name}.sqlite", tmp_path / f"{name}.json"
            result = run("newscrawl", "crawl", "--sitemap", f"{site.url}sitemap.xml", "--db", str(db),
                         *window, *FAST, "-s", f"NEWSCRAWL_STATS_FILE={stats}")  # fmt: skip
            assert result.returncode == 0, result.stderr.decode()
            with sqlite3.connect(db) as connection:
                stored = [u for (u,) in connection.execute("SELECT url FROM articles")]
            assert stored == [f"{site.url}news/new.html"], (name, stored)
            counts = json.loads(stats.read_text())["stats"]
            assert counts.get("newscrawl/run/too_old") == 1, (name, counts)
    finally:
        site.close()


def test_a_date_only_guessed_from_the_page_does_not_leave_an_article_out(tmp_path: Path) -> None:
    """A page that states no date got htmldate's guess from its text, and --since
    left out new articles as too old: a script's build number "19950101", a
    picture in the folder /media/2019/05/ (found by a hostile-site session). Only
    a date the page states, or its sitemap or feed gives, leaves one out."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    site = FolderSite(root)
    try:
        write_article(
            root, "old", "Harbour wall rebuilt after the winter storms", "2019-03-02T09:00:00+00:00"
        )
        pages = {
            "build": article_page("Council votes on the harbour plan", None,
                                  '<script>window.cfg={"build":"19950101","v":2}</script>'),
            "photo": article_page("Berth repair starts next week", None,
                                  '<p><img src="/media/2019/05/archive-photo.jpg" alt="The berth"></p>'),
        }  # fmt: skip
        for slug, page in pages.items():
            (root / "news" / f"{slug}.html").write_text(page, "utf-8")
        entries = "".join(
            f"<url><loc>{site.url}news/{slug}.html</loc></url>" for slug in ("old", *pages)
        )
        (root / "sitemap.xml").write_text(f"{NEWS_NS}{entries}</urlset>", "utf-8")
        db = tmp_path / "since.sqlite"
        result = run("newscrawl", "crawl", "--sitemap", f"{site.url}sitemap.xml", "--db", str(db),
                     "--since", "2026-01-01", *FAST)  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()[-2000:]
        with sqlite3.connect(db) as connection:
            stored = sorted(u for (u,) in connection.execute("SELECT url FROM articles"))
        assert stored == [f"{site.url}news/build.html", f"{site.url}news/photo.html"]
    finally:
        site.close()


def test_links_held_for_a_feed_still_obey_the_depth_limit(tmp_path: Path) -> None:
    """A chain of articles, each linking to the next and announcing the site's feed:
    the feed found on the deepest page is dropped by the depth limit, and the links
    held meanwhile must not come back past the limit (they did, depth reset to 0)."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    site = FolderSite(root)
    published = "2026-11-01T07:30:00+00:00"
    feed = "<link rel='alternate' type='application/rss+xml' href='/feed.xml'>"
    try:
        for number in range(12):
            article = article_page(f"Chain story number {number} about the tide", published,
                                   f"<a href='/news/c{number + 1}.html'>Next story</a>")  # fmt: skip
            (root / "news" / f"c{number}.html").write_text(
                article.replace("</head>", f"{feed}</head>")
            )
        (root / "index.html").write_text(hub_page("Home", ["/news/c0.html"]))
        (root / "feed.xml").write_text(
            "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>"
        )
        result = run("newscrawl", "crawl", site.url, "--db", str(tmp_path / "db.sqlite"), *FAST,
                     "-s", "DEPTH_LIMIT=3")  # fmt: skip
        assert result.returncode in (0, 1), result.stderr.decode()
        chain = sorted(p for p in site.hits if p.startswith("/news/c"))
        # The home page is depth 0: c0 is 1, c1 2, c2 3.
        assert chain == ["/news/c0.html", "/news/c1.html", "/news/c2.html"], site.hits
    finally:
        site.close()


def test_what_a_deep_sitemap_or_feed_lists_is_fetched_whatever_the_depth_limit(
    tmp_path: Path,
) -> None:
    """A sitemap index nested four deep (year, month, day) and a feed announced by
    a section page two links from the home page list articles past DEPTH_LIMIT
    (3) counted as links. Scrapy's depth limit dropped them without a word: the
    run stored 0 of 4 listed articles and exited 0 (found by a hostile-site
    session). A listing is no link: its entries are fetched; their own links
    still obey the limit."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "sport").mkdir()
    site = FolderSite(root)
    base = site.url
    published = "2026-11-01T07:30:00+00:00"

    def index(child: str) -> str:
        return (
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}{child}</loc></sitemap></sitemapindex>"
        )

    try:
        (root / "sitemap.xml").write_text(index("y2026.xml"))
        (root / "y2026.xml").write_text(index("m11.xml"))
        (root / "m11.xml").write_text(index("d01.xml"))
        (root / "d01.xml").write_text(
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{base}news/s1.html</loc></url><url><loc>{base}news/s2.html</loc></url>"
            "</urlset>"
        )
        feed = "<link rel='alternate' type='application/rss+xml' href='/sport/feed.xml'>"
        (root / "index.html").write_text(hub_page("Home", ["/sections.html"]))
        (root / "sections.html").write_text(hub_page("Sections", ["/sport/index.html"]))
        (root / "sport" / "index.html").write_text(hub_page("Sport", [], feed))
        items = "".join(
            f"<item><title>Rowing story {n}</title><link>{base}sport/r{n}.html</link>"
            "<pubDate>Sun, 01 Nov 2026 07:30:00 GMT</pubDate></item>"
            for n in (1, 2)
        )
        (root / "sport" / "feed.xml").write_text(
            f"<?xml version='1.0'?><rss version='2.0'><channel><title>Sport</title>{items}"
            "</channel></rss>"
        )
        for number in (1, 2):
            write_article(root, f"s{number}", f"Harbour story number {number} about the tide",
                          published, f"<a href='/news/deeper{number}.html'>More</a>")  # fmt: skip
            (root / "sport" / f"r{number}.html").write_text(
                article_page(f"Rowing story {number} from the regatta on the river", published)
            )
        out = tmp_path / "out.jsonl"
        result = run("newscrawl", "crawl", base, "--sitemap", f"{base}sitemap.xml",
                     "-o", str(out), *FAST, "-s", "DEPTH_LIMIT=3")  # fmt: skip
        err = result.stderr.decode()
        stored = sorted(json.loads(line)["url"].removeprefix(base)
                        for line in out.read_text().splitlines())  # fmt: skip
        assert stored == ["news/s1.html", "news/s2.html", "sport/r1.html", "sport/r2.html"], err
        assert result.returncode == 0, err
        # The listed pages are as deep as the limit: the links they hold are not followed.
        assert not [p for p in site.hits if "deeper" in p], site.hits
    finally:
        site.close()


def test_links_to_pages_already_requested_are_not_made_into_requests(tmp_path: Path) -> None:
    """Issue 15's crawler target: a home page links to five articles, and each article
    links to all five and to the home page. Every page is fetched once, and none of
    the articles' links reaches the duplicate filter: the spider knows the filter
    has seen those URLs (newscrawl/dupefilter.py) and makes no request of them."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    site = FolderSite(root)
    published = "2026-11-01T07:30:00+00:00"
    slugs = [f"d{n}" for n in range(5)]
    links = "".join(f"<li><a href='/news/{slug}.html'>{slug}</a></li>" for slug in slugs)
    try:
        for number, slug in enumerate(slugs):
            write_article(root, slug, f"Dockside story number {number} about the cranes",
                          published, extra=f"<ul>{links}<li><a href='/'>Home</a></li></ul>")  # fmt: skip
        (root / "index.html").write_text(hub_page("Home", [f"/news/{s}.html" for s in slugs]))
        stats = tmp_path / "stats.json"
        result = run("newscrawl", "crawl", site.url, "--db", str(tmp_path / "db.sqlite"), *FAST,
                     "-s", f"NEWSCRAWL_STATS_FILE={stats}")  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        assert sorted(site.hits) == sorted(
            ["/robots.txt", "/", *[f"/news/{s}.html" for s in slugs]]
        )
        counts = json.loads(stats.read_text())["stats"]
        assert counts.get("newscrawl/articles") == 5, counts
        assert counts.get("dupefilter/filtered", 0) == 0, counts
    finally:
        site.close()


def test_a_feed_that_cannot_be_read_in_time_is_skipped_and_said(tmp_path: Path):
    """A feed whose items (cut at MAX_FEED_ENTRIES) take its worker seconds of CPU
    (feedparser's cost grows with the elements an item has): past the page limit it
    is skipped with a warning that says why, as a sitemap is, and the crawl goes on
    with the site's other start URLs."""
    rss = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    categories = "".join(f"<category>topic {c}</category>" for c in range(20))
    items = "".join(
        f"<item><title>n{n}</title><link>/news/a1.html#{n}</link>{categories}</item>"
        for n in range(2 * MAX_FEED_ENTRIES)
    )
    (tmp_path / "feed.xml").write_text(rss + items + "</channel></rss>")
    (tmp_path / "news").mkdir()
    write_article(tmp_path, "a1", *TOPICS["a1"])
    site = FolderSite(tmp_path)
    try:
        result = run("newscrawl", "crawl", f"{site.url}news/a1.html", "--feed",
                     f"{site.url}feed.xml", "-s", "NEWSCRAWL_EXTRACT_TIMEOUT=1", *FAST)  # fmt: skip
    finally:
        site.close()
    err = result.stderr.decode()
    assert f"feed skipped: {site.url}feed.xml: extraction_timeout" in err
    assert "articles: 1 " in err and "Traceback" not in err


@pytest.mark.parametrize("start", ["sitemap_index.xml", "rss.xml"])
def test_a_sitemap_or_feed_given_as_a_start_url_is_read_as_one(
    sites: dict[str, FolderSite], tmp_path: Path, start: str
):
    """People give a sitemap's or a feed's URL to crawl. It was fetched as a start
    page, skipped as "not an HTML page", and the run ended with "no page could
    be fetched", exit 1."""
    feed = sites["feed"]
    out = tmp_path / "out.jsonl"
    result = run("newscrawl", "crawl", feed.url + start, "-o", str(out), *FAST)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "not_html" not in err
    stored = {
        json.loads(line)["url"].removeprefix(feed.url) for line in out.read_text().splitlines()
    }
    assert len(stored) >= 2 and all(url.startswith("news/") for url in stored), stored


@pytest.mark.parametrize("start", ["--sitemap", "--feed"])
def test_a_quiet_rerun_of_a_sitemap_or_feed_site_with_nothing_new_exits_0(
    sites: dict[str, FolderSite], tmp_path: Path, start: str
):
    """A scheduled run of a site read through its sitemap or feed alone, with
    every entry stored before, fetched no page: it ended "error: no page could be
    fetched", exit 1, every quiet hour (found by a hostile-operator review). A
    sitemap or feed that was read is a run that worked."""
    feed = sites["feed"]
    document = feed.url + ("news_sitemap.xml" if start == "--sitemap" else "rss.xml")
    db = tmp_path / "db.sqlite"
    for attempt in range(2):
        result = run("newscrawl", "crawl", start, document, "--db", str(db), *FAST)
        err = result.stderr.decode()
        assert result.returncode == 0, (attempt, err)
    assert "0 pages fetched" in err and "no page could be fetched" not in err, err
    feed.close()  # nothing answers: that run did fail
    gone = run("newscrawl", "crawl", start, document, "--db", str(db), *FAST)
    assert gone.returncode == 1 and "no page could be fetched" in gone.stderr.decode()


def test_a_feed_that_lists_nothing_is_said_and_counted(tmp_path: Path):
    """A feed answered with an HTML page (a bot challenge) or with bytes that are
    no feed gave no entries and no word: a sitemap's is said and counted."""
    (tmp_path / "challenge").write_text("<html><body><p>Just a moment...</p></body></html>")
    (tmp_path / "news").mkdir()
    write_article(tmp_path, "a1", *TOPICS["a1"])
    stats = tmp_path / "stats.json"
    site = FolderSite(tmp_path)
    try:
        result = run("newscrawl", "crawl", f"{site.url}news/a1.html", "--feed",
                     f"{site.url}challenge", "-s", f"NEWSCRAWL_STATS_FILE={stats}",
                     *FAST)  # fmt: skip
    finally:
        site.close()
    err = result.stderr.decode()
    assert f"no entries in feed {site.url}challenge" in err, err
    counts = json.loads(stats.read_text())["stats"]
    assert any(key.endswith("/empty_feeds") and value == 1 for key, value in counts.items())


def test_a_listed_article_that_once_gave_no_article_is_read_again_next_runs(tmp_path: Path):
    """A feed's article that answered once with an empty page (a CDN hiccup) or a
    two-line stub was settled for good: no later run fetched it again, and the
    store kept 1 of 3 articles (found by a hostile-site review). Such a page is
    read again when its sitemap or feed lists it, up to MAX_ATTEMPTS times."""
    from newscrawl.frontier import MAX_ATTEMPTS

    (tmp_path / "news").mkdir()
    slugs = ("a1", "a2", "a3")
    items = "".join(
        f"<item><title>{TOPICS[slug][0]}</title><link>/news/{slug}.html</link></item>"
        for slug in slugs
    )
    (tmp_path / "rss.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )
    write_article(tmp_path, "a1", *TOPICS["a1"])
    (tmp_path / "news" / "a2.html").write_text("")
    (tmp_path / "news" / "a3.html").write_text(
        "<html><body><p>Fire at the harbour. More to follow.</p></body></html>"
    )
    db = tmp_path / "db.sqlite"
    site = FolderSite(tmp_path)
    try:
        crawl = ("newscrawl", "crawl", "--feed", f"{site.url}rss.xml", "--db", str(db), *FAST)
        first = run(*crawl)
        assert "1 stored" in first.stderr.decode(), first.stderr.decode()
        runs = 1
        while runs < MAX_ATTEMPTS:  # still broken: read again each run, then settled
            site.hits.clear()
            run(*crawl)
            runs += 1
            assert {"/news/a2.html", "/news/a3.html"} <= set(site.hits), site.hits
        site.hits.clear()
        run(*crawl)
        assert not {"/news/a2.html", "/news/a3.html"} & set(site.hits), site.hits
        # Fixed before the attempts ran out: stored.
        (tmp_path / "db.sqlite").unlink()
        first = run(*crawl)
        for slug in ("a2", "a3"):
            write_article(tmp_path, slug, *TOPICS[slug])
        again = run(*crawl)
    finally:
        site.close()
    assert again.returncode == 0, again.stderr.decode()
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (3,)


def test_a_lone_surrogate_in_a_pages_or_a_feeds_json_loses_nothing(tmp_path: Path):
    """JSON may write a lone UTF-16 surrogate ("\\ud800"), which json.loads keeps
    and no UTF-8 store takes: one in a JSON-LD author name lost the article with
    a traceback at its write, and one in a JSON Feed title lost the whole feed,
    exit 0 both (found by a review of cluster mode, in every mode). It is read as
    U+FFFD."""
    (tmp_path / "news").mkdir()
    author = '<script type="application/ld+json">{"@type": "NewsArticle", "author":' \
             ' {"@type": "Person", "name": "Jane \\ud800 Roe"}}</script>'  # fmt: skip
    write_article(tmp_path, "a1", *TOPICS["a1"], extra=author)
    write_article(tmp_path, "a2", *TOPICS["a2"])
    items = [
        {"url": "/news/a1.html", "title": "Bad \ud800 title"},
        {"url": "/news/a2.html", "title": TOPICS["a2"][0]},
    ]
    (tmp_path / "feed.json").write_text(
        json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items})
    )
    db, out = tmp_path / "db.sqlite", tmp_path / "out.jsonl"
    site = FolderSite(tmp_path)
    try:
        result = run("newscrawl", "crawl", "--feed", f"{site.url}feed.json", "--db", str(db),
                     "-o", str(out), *FAST)  # fmt: skip
    finally:
        site.close()
    err = result.stderr.decode()
    assert result.returncode == 0 and "Traceback" not in err, err
    with sqlite3.connect(db) as connection:
        authors = {a for (a,) in connection.execute("SELECT authors FROM articles")}
    assert len(authors) == 2 and '["Jane \ufffd Roe"]' in authors, authors
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_a_run_whose_listed_articles_all_fail_exits_1_and_a_failed_sitemap_is_said(
    tmp_path: Path,
):
    """afb7da5 made a run that read a sitemap with entries exit 0 though it fetched
    no page; so a sitemap whose every article failed (404) exited 0 too, and a
    sitemap answering 503 was silent at -L WARNING once retries were logged at
    INFO (found by the review of both commits). Fetched nothing and something
    failed: exit 1; a sitemap or feed not fetched is a warning."""
    entries = "".join(
        f"<url><loc>/news/gone-{n}.html</loc><news:news><news:publication_date>"
        f"2026-11-0{n}</news:publication_date></news:news></url>"
        for n in range(1, 3)
    )
    (tmp_path / "news_sitemap.xml").write_text(NEWS_NS + entries + "</urlset>")
    site = FolderSite(tmp_path)
    try:
        gone = run("newscrawl", "crawl", "--sitemap", f"{site.url}news_sitemap.xml",
                   "-L", "WARNING", *FAST)  # fmt: skip
        missing = run("newscrawl", "crawl", "--sitemap", f"{site.url}no_sitemap.xml",
                      "-L", "WARNING", "-s", "RETRY_TIMES=0", *FAST)  # fmt: skip
    finally:
        site.close()
    err = gone.stderr.decode()
    assert gone.returncode == 1 and "no page could be fetched" in err, err
    err = missing.stderr.decode()
    assert missing.returncode == 1, err
    assert f"sitemap or feed not fetched: {site.url}no_sitemap.xml: http_404" in err, err


def test_different_stories_naming_one_canonical_url_in_a_run_stay_apart(tmp_path: Path):
    """A template whose canonical link is wired to a section's home ("/news/")
    made every article of the section one row, each overwriting the one before,
    "3 stored", exit 0 (found by a review; the front page alone is refused by its
    URL, and a section's home cannot be told from an article's permalink by its
    URL). Pages of one run naming one canonical URL are one article only if
    their texts are one story: a later page whose text is another story is
    keyed by its own URL."""
    (tmp_path / "news").mkdir()
    canonical = '<link rel="canonical" href="/news/">'
    slugs = ("a1", "a2", "a3")
    bodies = {
        "a1": "The new tram line reached the airport terminal on Monday, and the first cars"
        " carried commuters, pilots and a brass band through the tunnel under the runway.",
        "a2": "Judges praised the lighthouse museum for its restored lens room, its archive of"
        " keepers' diaries and the volunteers who rebuilt the spiral stair by hand.",
        "a3": "Drivers crossing the estuary will pay nothing from April, after the council"
        " agreed to buy out the bridge company's lease with money from the port fund.",
    }
    for slug in slugs:
        title, published = TOPICS[slug]
        text = "".join(f"<p>{bodies[slug]} ({n})</p>" for n in range(1, 4))
        page = (
            f"<html><head>{canonical}<title>{title}</title>"
            f'<meta property="article:published_time" content="{published or "2026-11-01"}">'
            f"</head><body><article><h1>{title}</h1>{text}</article></body></html>"
        )
        (tmp_path / "news" / f"{slug}.html").write_text(page)
    (tmp_path / "news_sitemap.xml").write_text(
        NEWS_NS
        + "".join(news_entry("/", s, "2026-11-03", TOPICS[s][0]) for s in slugs)
        + "</urlset>"
    )
    db, out = tmp_path / "db.sqlite", tmp_path / "out.jsonl"
    site = FolderSite(tmp_path)
    try:
        result = run("newscrawl", "crawl", "--sitemap", f"{site.url}news_sitemap.xml",
                     "--db", str(db), "-o", str(out), *FAST)  # fmt: skip
    finally:
        site.close()
    assert result.returncode == 0, result.stderr.decode()
    with sqlite3.connect(db) as connection:
        titles = {title for (title,) in connection.execute("SELECT title FROM articles")}
    assert titles == {TOPICS[slug][0] for slug in slugs}
    assert len(out.read_text().splitlines()) == len(slugs)


def test_a_new_page_naming_a_stored_articles_url_as_canonical_does_not_replace_it(
    tmp_path: Path,
):
    """A run stored the lighthouse article; the next run found a page about cycle
    lanes whose canonical link names the lighthouse article's URL (a template
    wired to the wrong page). The cycle lanes replaced the lighthouse story in
    its row, version 2, and the story was gone from the store (found by a
    hostile-site session): the check that keeps different stories apart knew
    only the pages of its own run. A stored article is the first claim on its
    URL; a copy of the same story (a print page) is still that article."""
    (tmp_path / "news").mkdir()
    (tmp_path / "print").mkdir()
    stories = {
        "lighthouse": "Judges praised the lighthouse museum for its restored lens room, its"
        " archive of keepers' diaries and the volunteers who rebuilt the spiral stair by hand.",
        "lanes": "The council approved painted cycle lanes along the seafront road, with a"
        " kerb between bikes and buses, after two winters of complaints from commuters.",
    }

    def page(title: str, story: str, canonical: str = "") -> str:
        text = "".join(f"<p>{story} ({n})</p>" for n in range(1, 5))
        link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
        return (
            f"<html><head>{link}<title>{title}</title>"
            '<meta property="article:published_time" content="2026-11-03">'
            f"</head><body><article><h1>{title}</h1>{text}</article></body></html>"
        )

    def sitemap(paths: list[str]) -> None:
        # A news sitemap: its entries are articles, whatever their URLs look like.
        (tmp_path / "sitemap.xml").write_text(
            NEWS_NS
            + "".join(
                f"<url><loc>{site.url}{path}</loc><news:news><news:publication_date>2026-11-03"
                f"</news:publication_date><news:title>{path}</news:title></news:news></url>"
                for path in paths
            )
            + "</urlset>"
        )

    lighthouse = "Lighthouse museum wins heritage award"
    (tmp_path / "news" / "lighthouse.html").write_text(page(lighthouse, stories["lighthouse"]))
    (tmp_path / "news" / "lanes.html").write_text(
        page("Seafront gets cycle lanes", stories["lanes"], "/news/lighthouse.html")
    )
    (tmp_path / "print" / "lighthouse.html").write_text(
        page(lighthouse, stories["lighthouse"], "/news/lighthouse.html")
    )
    db = tmp_path / "db.sqlite"
    site = FolderSite(tmp_path)
    try:
        sitemap(["news/lighthouse.html"])
        first = run("newscrawl", "crawl", "--sitemap", f"{site.url}sitemap.xml",
                    "--db", str(db), *FAST)  # fmt: skip
        assert first.returncode == 0, first.stderr.decode()
        refused = []
        for listed in ("news/lanes.html", "print/lighthouse.html"):
            sitemap(["news/lighthouse.html", listed])
            stats = tmp_path / "stats.json"
            later = run("newscrawl", "crawl", "--sitemap", f"{site.url}sitemap.xml",
                        "--db", str(db), *FAST, "-s", f"NEWSCRAWL_STATS_FILE={stats}")  # fmt: skip
            assert later.returncode == 0, later.stderr.decode()
            refused.append(json.loads(stats.read_text())["stats"].get(CANONICAL_REFUSED, 0))
            with sqlite3.connect(db) as connection:
                rows = dict(connection.execute("SELECT canonical_url, title FROM articles"))
            assert rows == {
                f"{site.url}news/lighthouse.html": lighthouse,
                f"{site.url}news/lanes.html": "Seafront gets cycle lanes",
            }, later.stderr.decode()
    finally:
        site.close()
    assert refused == [1, 0]  # the print page is the lighthouse article


def test_a_page_read_after_one_naming_its_url_as_canonical_keeps_both_stories(
    tmp_path: Path,
):
    """The cycle-lanes page names the lighthouse article's URL as its canonical
    and links to it, so it is read first: it was stored under the lighthouse URL,
    then the lighthouse page itself wrote over that row (version 2), and the run
    said "2 stored" with one row and one JSON Lines record, exit 0 (found by a
    hostile-site session). The page at the URL keeps it; the other story is read
    again and stored under its own URL, its canonical refused."""
    lanes, lighthouse = _lanes_naming_the_lighthouse(tmp_path, lanes_first=True)
    site = FolderSite(tmp_path)
    try:
        for store in (True, False):
            out, stats = tmp_path / f"out{store}.jsonl", tmp_path / f"stats{store}.json"
            db = ("--db", str(tmp_path / "db.sqlite")) if store else ()
            result = run("newscrawl", "crawl", site.url, *db, "-o", str(out), *FAST,
                         "-s", f"NEWSCRAWL_STATS_FILE={stats}")  # fmt: skip
            assert result.returncode == 0, result.stderr.decode()
            records = {
                json.loads(line)["canonical_url"]: json.loads(line)["title"]
                for line in out.read_text().splitlines()
            }
            assert records == {
                f"{site.url}news/lighthouse.html": lighthouse,
                f"{site.url}news/lanes.html": lanes,
            }, result.stderr.decode()
            assert json.loads(stats.read_text())["stats"].get(CANONICAL_REFUSED) == 1
            if store:
                with sqlite3.connect(tmp_path / "db.sqlite") as connection:
                    rows = dict(connection.execute("SELECT canonical_url, title FROM articles"))
                assert rows == records
                # Two articles, as the rows (helper-111 D6: "3 stored", the row the
                # lighthouse page took back counted as one more).
                assert b"articles: 2 stored from" in result.stderr, result.stderr.decode()
    finally:
        site.close()


def test_a_page_naming_the_url_of_an_article_read_before_it_does_not_replace_it(
    tmp_path: Path,
):
    """The other order of the test above: the lighthouse page, at its own URL, is
    read first and links to the cycle-lanes page, which names the lighthouse URL
    as its canonical. Without a store nothing held the URL for the page at it, so
    the cycle lanes took it: one JSON Lines record, the lighthouse story's, titled
    "Seafront gets cycle lanes", and exit 0. The cycle lanes are stored under
    their own URL, their canonical refused, and no page is fetched twice."""
    lanes, lighthouse = _lanes_naming_the_lighthouse(tmp_path, lanes_first=False)
    site = FolderSite(tmp_path)
    try:
        for store in (False, True):
            out, stats = tmp_path / f"out{store}.jsonl", tmp_path / f"stats{store}.json"
            db = ("--db", str(tmp_path / "db.sqlite")) if store else ()
            site.hits.clear()
            result = run("newscrawl", "crawl", site.url, *db, "-o", str(out), *FAST,
                         "-s", f"NEWSCRAWL_STATS_FILE={stats}")  # fmt: skip
            assert result.returncode == 0, result.stderr.decode()
            records = [
                (json.loads(line)["canonical_url"], json.loads(line)["title"])
                for line in out.read_text().splitlines()
            ]
            assert sorted(records) == [
                (f"{site.url}news/lanes.html", lanes),
                (f"{site.url}news/lighthouse.html", lighthouse),
            ], result.stderr.decode()
            assert json.loads(stats.read_text())["stats"].get(CANONICAL_REFUSED) == 1
            assert sorted(site.hits).count("/news/lanes.html") == 1
            if store:
                with sqlite3.connect(tmp_path / "db.sqlite") as connection:
                    rows = sorted(connection.execute("SELECT canonical_url, title FROM articles"))
                assert rows == sorted(records)
    finally:
        site.close()


def test_a_page_whose_row_was_taken_back_past_the_budget_is_read_the_next_run(
    tmp_path: Path,
):
    """As in the tests above, the cycle-lanes page is stored under the lighthouse
    URL it names, then the lighthouse page takes its row back; with --max-pages 3
    there is no room to read the cycle lanes again. Left "for the next run", its
    URL stayed done (its item had marked it so), and no later run fetched it: the
    story was never stored, while the run said "2 stored"."""
    lanes, lighthouse = _lanes_naming_the_lighthouse(tmp_path, lanes_first=True)
    db = tmp_path / "db.sqlite"
    site = FolderSite(tmp_path)
    try:
        for _ in range(2):
            run("newscrawl", "crawl", site.url, "--db", str(db), "--max-pages", "3", *FAST)
        with sqlite3.connect(db) as connection:
            rows = dict(connection.execute("SELECT canonical_url, title FROM articles"))
    finally:
        site.close()
    assert rows == {
        f"{site.url}news/lighthouse.html": lighthouse,
        f"{site.url}news/lanes.html": lanes,
    }


def test_an_article_listed_inside_the_window_is_not_left_out_by_its_listed_day(
    tmp_path: Path,
) -> None:
    """A feed west of UTC lists an article at 21:30 on 1 March (02:30 UTC on 2 March)
    and the page states no date: inside `--since 2026-03-02` when listed, it was
    then left out as too old, its listed day (1 March, in its own zone) judged as
    UTC's (found by a review). A listing's date is judged once, to the minute."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    site = FolderSite(root)
    try:
        write_article(root, "late", "Evening ferry cancelled after the storm", None)
        entry = news_entry(site.url, "late", "2026-03-01T21:30:00-05:00", "Evening ferry")
        (root / "sitemap.xml").write_text(f"{NEWS_NS}{entry}</urlset>", "utf-8")
        db = tmp_path / "since.sqlite"
        result = run("newscrawl", "crawl", "--sitemap", f"{site.url}sitemap.xml", "--db", str(db),
                     "--since", "2026-03-02", *FAST)  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()[-2000:]
        with sqlite3.connect(db) as connection:
            stored = connection.execute("SELECT url, published FROM articles").fetchall()
        assert stored == [(f"{site.url}news/late.html", "2026-03-01")]
    finally:
        site.close()


def test_an_article_a_feed_says_was_updated_is_fetched_again(tmp_path: Path):
    """Found by an attack on scheduled crawls: a site whose articles only its Atom
    feed lists announces a correction with the entry's <updated>; only a sitemap's
    lastmod was read as a change, so the store kept the first version for good.
    (The entry's <published> stays the article's date.)"""
    (tmp_path / "news").mkdir()
    title, published = TOPICS["a3"]

    def write_feed(updated: str) -> None:
        (tmp_path / "atom.xml").write_text(
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            f"<entry><title>{title}</title><link href='/news/a3.html'/><id>a3</id>"
            f"<published>{published}</published><updated>{updated}</updated></entry></feed>"
        )

    write_feed(published or "")
    write_article(tmp_path, "a3", title, published)
    db = tmp_path / "db.sqlite"
    site = FolderSite(tmp_path)
    try:
        crawl = ("newscrawl", "crawl", "--feed", f"{site.url}atom.xml", "--db", str(db), *FAST)
        assert run(*crawl).returncode == 0
        site.hits.clear()
        assert run(*crawl).returncode == 0
        assert "/news/a3.html" not in site.hits  # an entry not updated: not fetched again
        correction = "<p>Correction: the tolls end in April, not in March as first reported.</p>"
        write_article(tmp_path, "a3", title, published, correction)
        write_feed(datetime.now(UTC).isoformat(timespec="seconds"))
        updated = run(*crawl)
    finally:
        site.close()
    assert updated.returncode == 0, updated.stderr.decode()
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT version, text, published FROM articles").fetchall()
    assert len(rows) == 1, rows
    version, text, stored_date = rows[0]
    assert version == 2 and text.endswith("not in March as first reported."), text
    assert stored_date == published


def test_a_run_keeps_a_bounded_number_of_articles_own_claims(monkeypatch: pytest.MonkeyPatch):
    """Every article's claim on its own URL is kept (b4a3cdc), 0.9 KB each: a run
    of a million pages held a million. The most recent OWN_CLAIMS_KEPT stay; a
    claim another page made on a URL is never dropped for them."""
    from newscrawl.spiders import _base
    from newscrawl.spiders.news import NewsSpider

    monkeypatch.setattr(_base, "OWN_CLAIMS_KEPT", 2)
    spider = NewsSpider(urls="http://127.0.0.1:9/")
    named = "http://127.0.0.1:9/news/named.html"
    spider.canonical_claims[named] = ("http://127.0.0.1:9/news/print.html", "hash")
    pages = [f"http://127.0.0.1:9/news/{n}.html" for n in range(4)]
    for number, page in enumerate(pages):
        spider._take_back_claim(page, (number, 1, 2), "127.0.0.1")
    assert set(spider.canonical_claims) == {named, *pages[2:]}
    assert list(spider.own_claims) == pages[2:]


LANES, LIGHTHOUSE = "Seafront gets cycle lanes", "Lighthouse museum wins heritage award"


def _lanes_naming_the_lighthouse(root: Path, lanes_first: bool) -> tuple[str, str]:
    """A site in `root` of two stories: the cycle-lanes page names the lighthouse
    article's URL as its canonical. The home page links to the first (the cycle
    lanes, with `lanes_first`), which links to the other, so that one is read
    first. Returns the two titles (cycle lanes, lighthouse)."""
    (root / "news").mkdir()
    lanes_story = (
        "The council approved painted cycle lanes along the seafront road, with a kerb"
        " between bikes and buses, after two winters of complaints from commuters."
    )
    lighthouse_story = (
        "Judges praised the lighthouse museum for its restored lens room, its archive of"
        " keepers' diaries and the volunteers who rebuilt the spiral stair by hand."
    )

    def page(title: str, story: str, extra_head: str, linked: str) -> str:
        text = "".join(f"<p>{story} ({n})</p>" for n in range(1, 5))
        link = f'<a href="/news/{linked}.html">{LANES if linked == "lanes" else LIGHTHOUSE}</a>'
        return (
            f"<html><head>{extra_head}<title>{title}</title>"
            '<meta property="og:type" content="article">'
            '<meta property="article:published_time" content="2026-11-03">'
            f"</head><body><article><h1>{title}</h1>{text}</article>"
            f"{link if linked else ''}</body></html>"
        )

    canonical = '<link rel="canonical" href="/news/lighthouse.html">'
    first = "lanes" if lanes_first else "lighthouse"
    (root / "news" / "lanes.html").write_text(
        page(LANES, lanes_story, canonical, "lighthouse" if lanes_first else "")
    )
    (root / "news" / "lighthouse.html").write_text(
        page(LIGHTHOUSE, lighthouse_story, "", "" if lanes_first else "lanes")
    )
    (root / "index.html").write_text(
        f'<html><body><a href="/news/{first}.html">{LANES if lanes_first else LIGHTHOUSE}</a>'
        "</body></html>"
    )
    return LANES, LIGHTHOUSE


@pytest.mark.parametrize(("status", "exit_code"), [(503, 1), (429, 1), (404, 0), (403, 0)])
def test_a_sitemap_that_fails_for_the_moment_is_a_loss_and_one_that_is_gone_is_not(
    tmp_path: Path, status: int, exit_code: int
):
    """A sitemap answering 503 to every try, beside an article fetched whole: what
    it lists was not asked for, yet the run said "sitemap or feed not fetched" and
    exited 0, as if nothing was lost. It is now counted for its site and the run
    exits 1. A sitemap that is gone (404), or that the site refuses us (403), is
    the site's standing answer: a warning each run, exit 0 (a 403 sitemap beside
    a site's articles exited 1 every run, "a timeout, a server error")."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            if self.path == "/news/story.html":
                self.send_page(article_html(7).encode())
            elif self.path == "/sitemap.xml":
                self.send_error(status)
            else:
                self.send_error(404)

    stats = tmp_path / "stats.json"
    with serving(Handler) as base:
        result = run("newscrawl", "crawl", f"{base}/news/story.html", "--sitemap",
                     f"{base}/sitemap.xml", "-s", "RETRY_TIMES=0", *FAST,
                     "-s", f"NEWSCRAWL_STATS_FILE={stats}")  # fmt: skip
    err = result.stderr.decode()
    assert "articles: 1 found" in err, err
    assert f"sitemap or feed not fetched: {base}/sitemap.xml: http_{status}" in err, err
    assert result.returncode == exit_code, err
    counts = site_counts(json.loads(stats.read_text())["stats"])
    not_fetched = sum(c.get(DISCOVERY_NOT_FETCHED, 0) for c in counts.values())
    assert not_fetched == (1 if exit_code else 0), counts
    assert ("could not be fetched" in err) == bool(exit_code), err


class EndlessChains(QuietHandler):
    """A site whose every sitemap index lists the next one (and a sitemap of one
    article), and whose feed's first item is the next feed, without end."""

    hits: list[str] = []  # noqa: RUF012 - one list per test, set by the test

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        base = f"http://{self.headers['Host']}"
        parts = self.path.strip("/").split("/")
        if self.path == "/robots.txt":
            self.send_page(
                f"User-agent: *\nAllow: /\nSitemap: {base}/smi/0\n".encode(), "text/plain"
            )
        elif parts[0] == "smi":
            n = int(parts[1])
            self.send_page(
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{base}/smi/{n + 1}</loc></sitemap>"
                f"<sitemap><loc>{base}/sm/{n}</loc></sitemap></sitemapindex>".encode(),
                "application/xml",
            )
        elif parts[0] == "sm":
            self.send_page(
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
                f"<loc>{base}/news/c{parts[1]}.html</loc></url></urlset>".encode(),
                "application/xml",
            )
        elif parts[0] == "feed":
            n = int(parts[1])
            self.send_page(
                f"<?xml version='1.0'?><rss version='2.0'><channel><title>Harbour</title>"
                f"<item><title>More</title><link>{base}/feed/{n + 1}</link></item>"
                f"<item><title>Story {n}</title><link>{base}/news/f{n}.html</link></item>"
                "</channel></rss>".encode(),
                "application/rss+xml",
            )
        elif self.path == "/":
            feed = "<link rel='alternate' type='application/rss+xml' href='/feed/0'>"
            self.send_page(hub_page("Home", [], feed).encode())
        elif parts[0] == "news":
            self.send_page(article_html(len(type(self).hits)).encode())
        else:
            self.send_error(404)


def test_endless_chains_of_sitemap_indexes_and_feeds_stop_at_the_nesting_limit(tmp_path: Path):
    """Each index listing the next, each feed's item the next feed: the crawl read
    them until the site's page budget was spent (one request per politeness
    delay, for hours by default; here the budget of 200 ran out, exit 1). Now
    an index's sitemaps past 8 deep are not asked for, a feed that deep (known
    for one once fetched) is not read, a warning each, and the crawl ends by
    itself, exit 0: the same each run, as a gone sitemap."""
    handler = type("Handler", (EndlessChains,), {"hits": []})
    with serving(handler) as base:
        result = run("newscrawl", "crawl", f"{base}/", "--db", str(tmp_path / "c.sqlite"),
                     "--max-pages", "200", *FAST)  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == 0, err
    # The ninth nested index is not asked for: index 8 is read, its sitemaps are not.
    assert f"sitemap index {base}/smi/8 is nested 8 deep: its 2 sitemaps, past 8" in err
    assert sorted(int(p.rsplit("/", 1)[1]) for p in handler.hits if p.startswith("/smi/")) == [
        *range(9)
    ]
    assert sorted(int(p.rsplit("/", 1)[1]) for p in handler.hits if p.startswith("/sm/")) == [
        *range(8)
    ]
    # The feed listed as an article is known for one only once it is fetched.
    assert f"feed {base}/feed/9 is nested 9 deep, past 8 (an endless chain?)" in err
    assert sorted(int(p.rsplit("/", 1)[1]) for p in handler.hits if p.startswith("/feed/")) == [
        *range(10)
    ]
    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    # Feeds 0 to 8 list an article each; the sitemaps of indexes 0 to 7 one each.
    assert stored == 9 + 8
    assert "Traceback" not in err


class CutSitemap(QuietHandler):
    """A news sitemap of 40 articles cut in the middle (its Content-Length says
    the cut length), and the articles."""

    def do_GET(self) -> None:
        base = f"http://{self.headers['Host']}"
        if self.path == "/sitemap.xml":
            urls = "".join(
                news_entry(f"{base}/", str(n), "2026-11-20T08:00:00+00:00", f"Story {n}")
                for n in range(40)
            )
            body = f"{NEWS_NS}{urls}</urlset>".encode()
            self.send_page(body[: len(body) // 2], "application/xml")
        elif self.path.startswith("/news/"):
            self.send_page(article_html(int(self.path[6:].partition(".")[0])).encode())
        else:
            self.send_error(404)


def test_a_sitemap_cut_short_is_read_to_the_cut_said_and_fails_the_run(tmp_path: Path):
    """Before: its first 20 articles were stored, the other 20 never asked for,
    run after run, exit 0 and no word (helper-113)."""
    with serving(CutSitemap) as base:
        result = run("newscrawl", "crawl", "--sitemap", f"{base}/sitemap.xml",
                     "--db", str(tmp_path / "c.sqlite"), *FAST)  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert f"sitemap {base}/sitemap.xml ended before its end (cut short)" in err
    assert "1 of its sitemaps or feeds ended before their end (cut short)" in err
    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 10 < stored < 40


_CHAIN_STORIES = [
    "The harbour board voted to dredge the eastern channel before the autumn storms arrive",
    "A bakery on Mill Lane won the county prize for its rye loaf and seeded rolls this week",
    "Volunteers counted four hundred puffins on the northern cliffs during the annual survey",
    "The library extended its opening hours and added a weekend reading club for teenagers",
    "Engineers found cracks in the old viaduct and closed the railway line for inspection",
    "The school choir travelled to Vienna and sang at a festival in the cathedral square",
]


@pytest.mark.parametrize("lengths", ["even", "uneven"])
@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_articles_each_naming_the_one_before_as_canonical_keep_every_story(
    tmp_path: Path, order: str, lengths: str
):
    """helper-113 D2: article n names article n-1's URL as its canonical (a chain).
    A page whose canonical was refused was stored under its own URL over the story
    the next article had put there: one story lost, two rows under the wrong URLs,
    and exit 0. Each story is now stored under its own URL, once.

    Uneven: every other story is five times as long. A page taking its URL back
    from a story more than twice its length was taken for a cut-down copy of it
    (SHRUNK) and not stored: one story lost, another stored twice (helper-116 #3)."""
    (tmp_path / "news").mkdir()
    titles = [story.split(" ", 4)[-1][:40].strip().capitalize() for story in _CHAIN_STORIES]
    for number, story in enumerate(_CHAIN_STORIES):
        parts = 4 if lengths == "even" else (2 if number % 2 else 10)
        text = "".join(f"<p>{story}, part {part}.</p>" for part in range(1, parts + 1))
        named = f'<link rel="canonical" href="/news/{number - 1}.html">' if number else ""
        (tmp_path / "news" / f"{number}.html").write_text(
            f"<html><head>{named}<title>{titles[number]}</title>"
            '<meta property="og:type" content="article"></head>'
            f"<body><article><h1>{titles[number]}</h1>{text}</article></body></html>"
        )
    numbers = list(range(len(_CHAIN_STORIES)))
    listed = numbers if order == "oldest first" else numbers[::-1]
    site = FolderSite(tmp_path)
    try:
        (tmp_path / "sitemap.xml").write_text(
            NEWS_NS
            + "".join(
                f"<url><loc>{site.url}news/{n}.html</loc><news:news><news:publication_date>"
                f"2026-11-03</news:publication_date><news:title>{titles[n]}</news:title>"
                "</news:news></url>"
                for n in listed
            )
            + "</urlset>"
        )
        db, out = tmp_path / "db.sqlite", tmp_path / "out.jsonl"
        result = run("newscrawl", "crawl", "--sitemap", f"{site.url}sitemap.xml", "--db", str(db),
                     "-o", str(out), *FAST)  # fmt: skip
    finally:
        site.close()
    err = result.stderr.decode()
    assert result.returncode == 0, err
    with sqlite3.connect(db) as connection:
        rows = dict(connection.execute("SELECT canonical_url, title FROM articles"))
    assert rows == {f"{site.url}news/{n}.html": titles[n] for n in numbers}, err
    records = {
        json.loads(line)["canonical_url"]: json.loads(line)["title"]
        for line in out.read_text().splitlines()
    }
    assert records == rows
    assert f"articles: {len(numbers)} stored from" in err, err


def test_a_row_taken_back_from_a_page_left_out_is_counted_stored(tmp_path: Path):
    """helper-116 #6: the pressroom page names the lighthouse article's URL as its
    canonical and is read first (the home page links to it, it links on), but
    states a date before --since: left out, too old. The lighthouse page then
    "took back" a row nobody stored, and was counted `taken_back`, not stored:
    one row, "0 stored". A row taken back is counted so only where this run
    counted another page stored in it."""
    (tmp_path / "news").mkdir()
    story = (
        "Judges praised the lighthouse museum for its restored lens room, its archive"
        " of keepers' diaries and the volunteers who rebuilt the spiral stair by hand."
    )
    old = (
        "The pressroom archive keeps the harbour board's statements from the year the"
        " ferry terminal opened, with photographs of the first crossing and its crew."
    )

    def page(title: str, text: str, date: str, head: str, link: str) -> str:
        paragraphs = "".join(f"<p>{text} ({n})</p>" for n in range(1, 5))
        return (
            f"<html><head>{head}<title>{title}</title>"
            '<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="{date}">'
            f"</head><body><article><h1>{title}</h1>{paragraphs}</article>{link}</body></html>"
        )

    canonical = '<link rel="canonical" href="/news/lighthouse.html">'
    link = '<a href="/news/lighthouse.html">Lighthouse museum wins award</a>'
    (tmp_path / "news" / "pressroom.html").write_text(
        page("Pressroom archive of the harbour board", old, "2001-05-02", canonical, link)
    )
    (tmp_path / "news" / "lighthouse.html").write_text(
        page("Lighthouse museum wins heritage award", story, "2026-11-03", "", "")
    )
    (tmp_path / "index.html").write_text(
        '<html><body><a href="/news/pressroom.html">Pressroom archive</a></body></html>'
    )
    site = FolderSite(tmp_path)
    try:
        db = tmp_path / "db.sqlite"
        result = run("newscrawl", "crawl", site.url, "--db", str(db), "--since", "2026-01-01",
                     *FAST)  # fmt: skip
    finally:
        site.close()
    err = result.stderr.decode()
    with sqlite3.connect(db) as connection:
        rows = dict(connection.execute("SELECT canonical_url, title FROM articles"))
    assert rows == {f"{site.url}news/lighthouse.html": "Lighthouse museum wins heritage award"}
    assert "articles: 1 stored from" in err, err
    assert result.returncode == 0, err
