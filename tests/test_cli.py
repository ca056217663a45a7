"""The `newscrawl` command: its output contracts and its errors."""

import contextlib
import json
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import trafilatura

from .conftest import BIN, FAST, SITE, SITE_HITS, run, serving

FERRY = SITE / "news/2026/03/ferry-timetable-changes-for-spring.html"
SHORT = SITE / "news/2026/03/short-notice-road-closure-on-quay-street.html"


def lines(output: bytes) -> list[dict]:
    return [json.loads(line) for line in output.decode().splitlines()]


def assert_one_line_error(result, *fragments: str) -> None:
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("newscrawl: error: "), err
    for fragment in fragments:
        assert fragment in err


def test_extract_prints_one_object_per_input_in_order(tmp_path: Path):
    missing = tmp_path / "missing.html"
    result = run(
        "newscrawl", "extract", str(FERRY), str(missing), str(SHORT), "-", stdin=FERRY.read_bytes()
    )
    rows = lines(result.stdout)
    assert [row["source"] for row in rows] == [str(FERRY), str(missing), str(SHORT), "-"]
    ferry, gone, short, piped = rows
    assert ferry["reason"] is None and ferry["text"].startswith("The Lowmoor island ferry")
    assert "Advertisement" not in ferry["text"].split("\n")
    assert gone["text"] == "" and gone["reason"].startswith("unreadable")
    assert short["text"] == "" and short["reason"] == "too_short"
    assert short["word_count"] == 0  # was the dropped text's count, beside an empty text
    assert piped["text"] == ferry["text"]
    # A missing file is reported on stderr and makes the exit code non-zero.
    assert result.returncode == 1
    assert (
        result.stderr.decode() == f"newscrawl: {missing}: unreadable: No such file or directory\n"
    )


def test_a_closed_standard_input_is_unreadable_not_a_traceback():
    """`<&-` (a daemon's closed descriptor): Python has no sys.stdin, and `extract -`
    and `scrape -i -` ended in an AttributeError traceback. For extract it is
    an input that cannot be read; for scrape, a list that cannot be read."""
    newscrawl = str(BIN / "newscrawl")

    def closed_stdin(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["sh", "-c", 'exec "$@" <&-', "sh", newscrawl, *args],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip

    extracted = closed_stdin("extract", "-", "--workers", "0")
    assert extracted.returncode == 1, extracted.stderr.decode()
    assert extracted.stderr.decode() == "newscrawl: -: unreadable: standard input is closed\n"
    (row,) = lines(extracted.stdout)
    assert row["source"] == "-" and row["reason"] == "unreadable: standard input is closed"
    assert_one_line_error(
        closed_stdin("scrape", "-i", "-"), "cannot read -: standard input is closed"
    )


def test_extract_reads_a_page_up_to_the_download_cap(tmp_path: Path):
    """A saved page was read whole: 1.5 GB took 4.6 GB of memory, /dev/zero grew
    until killed. Past 32 MB (the crawl's download cap) it is `too_large`, the
    rest unread; the other inputs are read as usual."""
    huge = tmp_path / "huge.html"
    with huge.open("wb") as handle:
        handle.truncate(33 * 1024 * 1024)  # sparse: no disk taken
    result = run("newscrawl", "extract", str(huge), "/dev/zero", str(FERRY), "--workers", "0")
    rows = lines(result.stdout)
    assert [row["reason"] for row in rows] == ["too_large: more than 32 MB"] * 2 + [None]
    assert result.returncode == 1
    assert f"newscrawl: {huge}: too_large: more than 32 MB" in result.stderr.decode()


def test_extract_bounds_the_time_of_a_single_page_as_a_crawl_does(tmp_path: Path):
    """Before: one page (or `--workers 1`) was read in the command's own process,
    with no worker's time bound: a page whose JSON-LD, not valid JSON, names
    40,000 people (trafilatura's fallback search for authors is quadratic) kept
    `extract` busy for about a minute; 200,000, for hours. A crawl's worker gives
    it up after NEWSCRAWL_EXTRACT_TIMEOUT, and so does `extract` now."""
    # (Since the author search is bounded, a page of one element with 150,000
    # attributes, which libxml2 parses in time that grows with their square.)
    attributes = " ".join(f"data-a{n}='x'" for n in range(150_000))
    paragraphs = "".join(
        f"<p>Part {n}: the tram depot opened its doors and the old cars ran again.</p>"
        for n in range(6)
    )
    page = tmp_path / "attributes.html"
    page.write_text(
        f"<html><head><title>Tram day</title></head><body><article><div {attributes}>x</div>"
        f"{paragraphs}</article></body></html>"
    )
    for workers in ("1", "2"):
        result = run("newscrawl", "extract", str(page), "--workers", workers)
        (row,) = lines(result.stdout)
        assert row["reason"] == "extraction_timeout", (workers, row)
        assert "Traceback" not in result.stderr.decode()


def test_extract_no_clean_gives_trafilatura_text_untouched():
    result = run("newscrawl", "extract", "--no-clean", str(FERRY))
    assert result.returncode == 0
    (row,) = lines(result.stdout)
    assert row["text"] == trafilatura.extract(FERRY.read_bytes(), include_comments=False)


def test_extract_of_the_seed_page_gives_the_expected_body(seed_dir: Path):
    result = run("newscrawl", "extract", str(seed_dir / "seed-article.html"))
    assert result.returncode == 0
    (row,) = lines(result.stdout)
    expected = [
        p for p in (seed_dir / "expected-body.txt").read_text(encoding="utf-8").split("\n") if p
    ]
    paragraphs = row["text"].split("\n")
    assert paragraphs[: len(expected)] == expected
    assert len(paragraphs) <= len(expected) + 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("news.example/today", "add http:// or https://"),
        ("http://exa mple.test/", "malformed URL"),
        ("http://[::1", "malformed URL: 'http://[::1' (Invalid IPv6 URL)"),
        # Before: "could not be reached", "no page could be fetched", exit 1.
        ("http://%zz/", "malformed URL: 'http://%zz/'"),
        ("http://news<desk.test/", "malformed URL"),
        ("http://127.0.0.1:0/", "bad port in URL: 'http://127.0.0.1:0/'"),
    ],
)
def test_malformed_url_is_a_one_line_error(url: str, message: str):
    assert_one_line_error(run("newscrawl", "crawl", url), message)
    assert_one_line_error(run("newscrawl", "scrape", url), message)


def test_a_url_urllib_cannot_split_is_named_wherever_it_is_given(tmp_path: Path):
    """Before: "Invalid IPv6 URL", urllib's words, without the URL; for the store's
    and the cluster's URL a traceback (exit 1)."""
    bad = "http://[::1"
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[[site]]\nname = "x"\nstart_urls = ["{bad}"]\n')
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{bad}\n")
    db = str(tmp_path / "n.sqlite")
    named = f"malformed URL: '{bad}'"
    for args in (["--sitemap", bad], ["--feed", bad], ["--sites", str(sites), "--db", db]):
        assert_one_line_error(run("newscrawl", "crawl", *args), named)
    assert_one_line_error(run("newscrawl", "scrape", "-i", str(urls)), named)
    for args, shown in (
        (["--db", "postgresql://crawler:secret@[::1/news"], "postgresql://***@[::1/news"),
        (["--cluster", "redis://:secret@[::1", "--run", "r"], "redis://***@[::1"),
    ):
        result = run("newscrawl", "crawl", "http://127.0.0.1:1/", *args)
        assert_one_line_error(result, shown)
        assert "secret" not in result.stderr.decode()


def test_more_workers_than_the_machine_can_use_are_refused_before_any_start(
    tmp_path: Path, site_url: str
):
    """Before: `--workers 100000` forked extraction processes until the machine's
    memory was gone and the kernel killed other programs' processes. One past the
    bound is enough to show the check (max_workers() is 4 a core)."""
    from newscrawl.config import max_workers

    past = str(max_workers() + 1)
    db = str(tmp_path / "n.sqlite")
    for command in (
        ["crawl", site_url, "--db", db, "--workers", past],
        ["extract", "--workers", past, str(FERRY)],
    ):
        result = run("newscrawl", *command)
        err = result.stderr.decode()
        assert result.returncode == 2 and "Traceback" not in err, err
        assert f"at most {max_workers()} on this machine" in err
    assert_one_line_error(
        run("newscrawl", "crawl", site_url, "--db", db, "-s", f"NEWSCRAWL_WORKERS={past}"),
        f"at most {max_workers()}",
    )
    assert not Path(db).exists()


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["state", "--site", "x"],
        ["reclean"],
        ["search", "ferry"],
        ["export", "-o", "out.jsonl"],
        ["reextract", "--archive", "."],
    ],
)
def test_a_store_url_that_cannot_be_split_keeps_its_password_out_of_the_error(
    command: list[str], tmp_path: Path
):
    """Before: "cannot open database postgresql://***@[::1/news: ... in URI:
    "postgresql://crawler:secret@[::1/news"": the driver's own words quoted the
    whole URL, password and all, in every command that reads a store."""
    result = run(
        "newscrawl", *command, "--db", "postgresql://crawler:secret@[::1/news", cwd=tmp_path
    )
    assert_one_line_error(result, "cannot open database postgresql://***@[::1/news")
    assert "secret" not in result.stderr.decode()


def test_extract_names_a_url_urllib_cannot_split():
    """Through parse_url, as crawl and scrape: not urllib's traceback."""
    result = run("newscrawl", "extract", "--url", "http://[::1", str(FERRY))
    assert_one_line_error(result, "malformed URL: 'http://[::1' (Invalid IPv6 URL)")


def test_a_url_past_scrapys_length_limit_is_a_one_line_error(site_url: str):
    """Scrapy drops a request for a URL longer than URLLENGTH_LIMIT (2,083) without
    a word: `scrape` printed nothing at all and exited 1."""
    url = site_url + "news/" + "a" * 2100 + ".html"
    for command in ("crawl", "scrape"):
        assert_one_line_error(run("newscrawl", command, url), "URLLENGTH_LIMIT")


def test_unwritable_output_is_a_one_line_error(tmp_path: Path, site_url: str):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run("newscrawl", "crawl", site_url, "-o", str(blocker / "out.jsonl"))
    assert_one_line_error(result, f"cannot write {blocker / 'out.jsonl'}")


def test_an_unwritable_feed_uri_or_stats_file_is_a_one_line_error(tmp_path: Path, site_url: str):
    """Before: the crawl ran, every record was lost with a traceback each, and the
    exit code was 0; and `-O file:///...` made a folder named "file:" where the
    command ran."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    feeds = json.dumps({f"file://{blocker}/out.jsonl": {"format": "jsonlines"}})
    result = run("newscrawl", "crawl", site_url, "-s", f"FEEDS={feeds}", cwd=tmp_path)
    assert_one_line_error(result, f"cannot write {blocker / 'out.jsonl'}")
    stats = f"NEWSCRAWL_STATS_FILE={blocker / 'stats.json'}"  # was an error line and exit 0
    result = run("newscrawl", "crawl", site_url, "-s", stats, cwd=tmp_path)
    assert_one_line_error(result, f"cannot write {blocker / 'stats.json'}")
    out = tmp_path / "out" / "articles.jsonl"
    result = run("newscrawl", "crawl", site_url, "-O", f"file://{out}", *FAST, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert out.read_text().count("\n") == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file", "out"]


def test_a_folder_as_the_output_is_a_one_line_error_before_any_fetch(tmp_path: Path, site_url: str):
    """Before: the crawl ran, every record was lost with a traceback each, and the
    exit code was 0 (a folder was passed over as a device or a pipe is)."""
    folder = tmp_path / "articles.jsonl"
    folder.mkdir()
    link = tmp_path / "link.jsonl"
    link.symlink_to(folder)
    feeds = json.dumps({f"file://{folder}": {"format": "jsonlines"}})
    ferry = site_url + "news/2026/03/ferry-timetable-changes-for-spring.html"
    for command, shown in (
        (["crawl", site_url, "-o", str(folder)], folder),
        (["crawl", site_url, "-O", str(folder)], folder),
        (["crawl", site_url, "-o", str(link)], link),
        (["crawl", site_url, "-s", f"FEEDS={feeds}"], folder),
        (["scrape", ferry, "-s", f"FEEDS={feeds}"], folder),
    ):
        SITE_HITS.clear()
        result = run("newscrawl", *command, *FAST)
        assert_one_line_error(result, f"cannot write {shown}: Is a directory")
        assert not SITE_HITS
    assert list(folder.iterdir()) == []


def test_database_that_is_not_sqlite_is_a_one_line_error(tmp_path: Path, site_url: str):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("not a database\n" * 200)
    assert_one_line_error(
        run("newscrawl", "crawl", site_url, "--db", str(notes)), "cannot open database"
    )
    assert notes.read_text().startswith("not a database")  # and left untouched


def test_bad_setting_is_a_one_line_error(site_url: str):
    result = run("newscrawl", "crawl", site_url, "-s", "NEWSCRAWL_FRAGMENT_PATTERNS=(oops")
    assert_one_line_error(result, "NEWSCRAWL_FRAGMENT_PATTERNS", "(oops")


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("CONCURRENT_REQUESTS=abc", "is not a number"),
        ("DEPTH_LIMIT=2.5", "is not a whole number"),
        ("ROBOTSTXT_OBEY=maybe", "is not true or false"),
        ("DOWNLOADER_MIDDLEWARES=notjson", "is not a dict"),
        ("FEEDS=[1, 2]", "is not a dict"),
        ("LOG_LEVEL=LOUD", "is not a log level"),
        ("CONCURRENT_REQUESTS_PER_DOMAIN=0", "must be at least 1"),
        ("DOWNLOAD_MAXSIZE=-5", "must be at least 0"),
        ("CONCURRENT_REQUESTS_PER_IP=-1", "CONCURRENT_REQUESTS_PER_DOMAIN"),
    ],
)
def test_a_bad_value_of_a_scrapy_setting_is_a_one_line_error(
    site_url: str, setting: str, said: str
):
    """Before: tracebacks from inside the crawl's start, and exit code 130
    (interrupted) or 1; a per-site concurrency of 0 waited for ever."""
    result = run("newscrawl", "crawl", site_url, "-s", setting, timeout=60)
    assert_one_line_error(result, setting.split("=")[0], said)


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        (
            'DOWNLOADER_MIDDLEWARES_BASE={"scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600}',
            "leaves out newscrawl.budget.BudgetGate",
        ),
        ('DOWNLOADER_MIDDLEWARES={"newscrawl.robots.RobotsTxt": null}', "ROBOTSTXT_OBEY=False"),
        ("ITEM_PIPELINES_BASE={}", "leaves out newscrawl.pipelines.CleaningPipeline"),
        ("TWISTED_DNS_RESOLVER=scrapy.resolver.CachingThreadedResolver", "GuardedResolver"),
        ("DNS_RESOLVER=scrapy.resolver.CachingThreadedResolver", "GuardedResolver"),
    ],
)
def test_a_setting_that_would_turn_a_guard_off_stops_the_crawl(
    site_url: str, setting: str, said: str
):
    """Before: the crawl ran without the guard (the internal host reached, robots.txt
    not read, the budget not kept, or nothing stored), and said nothing."""
    SITE_HITS.clear()
    result = run("newscrawl", "crawl", site_url, "-s", setting)
    assert_one_line_error(result, said)
    assert not SITE_HITS


def test_a_duplicate_filter_not_newscrawls_stops_the_crawl(site_url: str, tmp_path: Path):
    """Before: with Scrapy's BaseDupeFilter (which lets every request through) a page
    linked from two pages was fetched twice and written twice to -o, exit code 0
    (the store kept one row)."""
    out = tmp_path / "out.jsonl"
    SITE_HITS.clear()
    result = run("newscrawl", "crawl", site_url, "-o", str(out),
                 "-s", "DUPEFILTER_CLASS=scrapy.dupefilters.BaseDupeFilter", *FAST)  # fmt: skip
    assert_one_line_error(result, "DUPEFILTER_CLASS", "newscrawl.dupefilter.URLDupeFilter")
    assert not SITE_HITS and not out.exists()
    result = run("newscrawl", "crawl", site_url, "-o", str(out),
                 "-s", "DUPEFILTER_CLASS=newscrawl.dupefilter.URLDupeFilter", *FAST)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    urls = [record["canonical_url"] for record in lines(out.read_bytes())]
    assert urls and len(urls) == len(set(urls))


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        # A class path that does not import, found as the engine is made...
        ("SCHEDULER=nowhere.Scheduler", "No module named 'nowhere'"),
        ('SPIDER_MIDDLEWARES={"nowhere.Middleware": 1}', "No module named 'nowhere'"),
        # ... and once it is made (Scrapy then closes the spider: "shutdown").
        ("SCHEDULER_PRIORITY_QUEUE=nowhere.Queue", "No module named 'nowhere'"),
        # A component whose constructor raises: the scheduler's duplicate filter.
        ("JOBDIR=/dev/null/jobs", "Not a directory: '/dev/null/jobs'"),
    ],
)
def test_a_crawl_that_cannot_start_is_a_one_line_error_not_an_interruption(
    site_url: str, setting: str, said: str
):
    """Before: two tracebacks, and exit code 130 (stopped by Ctrl-C or SIGTERM)
    for a crawl nobody stopped."""
    SITE_HITS.clear()
    for command in ("crawl", "scrape"):
        result = run("newscrawl", command, site_url, "-s", setting, timeout=60)
        assert_one_line_error(result, "the crawl could not start", said)
    assert not SITE_HITS


def test_scrape_prints_articles_and_reports_pages_without_one(site_url: str):
    ok = site_url + "news/2026/03/ferry-timetable-changes-for-spring.html"
    absent = site_url + "news/2026/03/no-such-story.html"
    short = site_url + "news/2026/03/short-notice-road-closure-on-quay-street.html"
    result = run("newscrawl", "scrape", ok, absent, short, *FAST)
    (row,) = lines(result.stdout)
    assert row["url"] == ok
    err = result.stderr.decode()
    assert f"no article from {absent}: http_404" in err
    assert f"no article from {short}: too_short" in err
    assert result.returncode == 1


@contextlib.contextmanager
def redirecting_site(targets: dict[str, str], meta_refresh: bool = False) -> Iterator[str]:
    """A server on 127.0.0.1 that answers each path of `targets` with a 302 to its
    target ("{port}" in it: the server's port), or with `meta_refresh` a page whose
    meta refresh names it, and others with a 404; its base URL."""
    from http.server import BaseHTTPRequestHandler

    class Redirects(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in targets:
                self.send_response(404)
                self.end_headers()
                return
            target = targets[self.path].replace("{port}", str(self.server.server_address[1]))
            if not meta_refresh:
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()
                return
            body = f"<html><head><meta http-equiv='refresh' content='0; url={target}'></head>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(f"{body}<body>This page has moved.</body></html>".encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Redirects) as base:
        yield base


def test_scrape_names_each_url_it_was_given_when_a_redirect_fails():
    """Before: the reasons were said of the redirects' targets ("no article from
    http://127.0.0.2:.../news/x.html"), and the URLs given were named nowhere."""
    targets = {"/to-internal.html": "http://127.0.0.2:{port}/news/x.html",
               "/to-missing.html": "/missing.html"}  # fmt: skip
    with redirecting_site(targets) as base:
        result = run("newscrawl", "scrape", *(base + path for path in targets), *FAST)
    err = result.stderr.decode()
    assert f"no article from {base}/to-internal.html: address_refused" in err, err
    assert f"no article from {base}/to-missing.html: http_404" in err, err
    assert "no article from http://127.0.0.2" not in err and "/missing.html:" not in err
    assert result.returncode == 1


def test_a_redirect_to_no_http_url_is_refused_with_a_reason_that_says_so():
    """Before: "ValueError" for javascript:, mailto:, a bad port or "http://[::1",
    and "http_302" for data: and file:."""
    targets = {f"/{n}.html": target for n, target in enumerate([
        "javascript:alert(1)", "mailto:desk@example.com", "http://[::1",
        "http://127.0.0.1:99999/x", "data:text/html,hi", "file:///etc/hostname",
    ])}  # fmt: skip
    with redirecting_site(targets) as base:
        result = run("newscrawl", "scrape", *(base + path for path in targets), *FAST)
    err = result.stderr.decode()
    for path in targets:
        assert f"no article from {base}{path}: redirect_refused" in err, err
    assert "Traceback" not in err and result.returncode == 1
    # Followed, as Scrapy follows them (to a 404 here): a space, raw UTF-8 bytes.
    ordinary = {
        "/space.html": "/a b.html",
        "/utf8.html": "/à-la-une.html".encode().decode("latin-1"),
    }
    with redirecting_site(ordinary) as base:
        result = run("newscrawl", "scrape", *(base + path for path in ordinary), *FAST)
    err = result.stderr.decode()
    for path in ordinary:
        assert f"no article from {base}{path}: http_404" in err, err


def test_a_meta_refresh_to_no_http_url_is_refused_as_a_redirect_is():
    """Before: "ValueError" for javascript:, mailto:, a bad port or "http://[::1",
    "unreachable" for a host with a space (its robots.txt "could not be read"), the
    page itself read for data: and file:, and the password of a URL with
    credentials in the debug log."""
    refused = {f"/{n}.html": target for n, target in enumerate([
        "javascript:alert(1)", "mailto:desk@example.com", "http://[::1",
        "http://127.0.0.1:99999/x", "data:text/html,hi", "file:///etc/hostname",
        "http://exa mple.test/",
    ])}  # fmt: skip
    credentials = {"/creds.html": "http://desk:hunter2@127.0.0.1:{port}/x.html"}
    with redirecting_site({**refused, **credentials}, meta_refresh=True) as base:
        urls = [base + path for path in [*refused, *credentials]]
        result = run("newscrawl", "scrape", *urls, "-L", "DEBUG", *FAST)
    err = result.stderr.decode()
    for path in refused:
        assert f"no article from {base}{path}: redirect_refused" in err, err
    assert f"no article from {base}/creds.html: address_refused" in err, err
    assert "hunter2" not in err
    assert "Traceback" not in err and result.returncode == 1
    # Followed as before: a meta refresh within the site (to a 404 here).
    with redirecting_site({"/old.html": "/new.html"}, meta_refresh=True) as base:
        result = run("newscrawl", "scrape", f"{base}/old.html", *FAST)
    assert f"no article from {base}/old.html: http_404" in result.stderr.decode()


def test_a_redirect_past_the_url_length_limit_is_refused_as_a_long_link_is():
    """A link past URLLENGTH_LIMIT is never requested, nor a canonical URL past it
    kept, but a Location (or a meta refresh) to one was followed, and the page
    stored under that address: three pages redirected to 15,000 characters of
    their own site made a 259 MB store, the key in every site_paragraphs row."""
    long_target = "/news/2026/12/01/story-" + "a" * 3000 + ".html"
    for meta_refresh in (False, True):
        with redirecting_site({"/long.html": long_target}, meta_refresh=meta_refresh) as base:
            result = run("newscrawl", "scrape", f"{base}/long.html", *FAST)
        err = result.stderr.decode()
        assert f"no article from {base}/long.html: redirect_refused" in err, (meta_refresh, err)
        assert "Traceback" not in err and result.returncode == 1
    # Within the limit (to a 404 here), and with no limit, it is followed.
    with redirecting_site({"/long.html": long_target}) as base:
        result = run("newscrawl", "scrape", f"{base}/long.html", *FAST,
                     "-s", "URLLENGTH_LIMIT=0")  # fmt: skip
    assert f"no article from {base}/long.html: http_404" in result.stderr.decode()


def test_articles_the_store_keeps_under_another_site_are_counted_in_the_summary(
    site_url: str, tmp_path: Path
):
    """A site renamed in the sites file: its pages' rows are the old name's, which
    the store keeps (a row never moves to another site). Before, the summary said
    "0 stored" of the pages it fetched again, and nothing of why."""
    db = str(tmp_path / "n.sqlite")
    sites = tmp_path / "sites.toml"
    for name, extra in (("courier", ()), ("renamed", ("--refresh",))):
        sites.write_text(f'[[site]]\nname = "{name}"\nstart_urls = ["{site_url}"]\n')
        result = run("newscrawl", "crawl", "--sites", str(sites), "--db", db, *extra, *FAST)
    err = result.stderr.decode()
    assert re.search(r"articles: 0 stored, \d+ not stored \(another site's row\)", err), err
    # Articles the run could not store: a loss, which exit code 0 hid.
    assert result.returncode == 1, err
    assert re.search(r"warning: renamed: \d+ articles not stored, the store holds", err), err


def test_a_url_list_with_a_byte_order_mark_is_read(site_url: str, tmp_path: Path):
    """Before: exit 2, "not an http(s) URL: '\\ufeffhttp://...'" for the first URL."""
    ok = site_url + "news/2026/03/ferry-timetable-changes-for-spring.html"
    urls = tmp_path / "urls.txt"
    urls.write_bytes(b"\xef\xbb\xbf" + f"{ok}\n".encode())
    result = run("newscrawl", "scrape", "-i", str(urls), *FAST)
    assert result.returncode == 0, result.stderr.decode()
    assert [row["url"] for row in lines(result.stdout)] == [ok]


def test_demo_writes_both_outputs_with_clean_text(tmp_path: Path):
    result = run("newscrawl", "demo", "--output-dir", str(tmp_path), *FAST)
    assert result.returncode == 0, result.stderr.decode()
    items = [json.loads(line) for line in (tmp_path / "articles.jsonl").read_text().splitlines()]
    assert len(items) >= 15
    for item in items:
        paragraphs = item["text"].split("\n")
        assert len(paragraphs) == len(set(paragraphs))
        assert "More From This Section" not in paragraphs
    (count,) = (
        sqlite3.connect(tmp_path / "newscrawl.sqlite")
        .execute("SELECT count(*) FROM articles")
        .fetchone()
    )
    assert count == len(items)
    summary = result.stdout.decode()
    assert f"articles: {len(items)} stored" in summary
    # The raw pages too, as WARC: a response record for every article, at least.
    from warcio.archiveiterator import ArchiveIterator

    responses = set()
    for path in (tmp_path / "archive").glob("*.warc.gz"):
        with path.open("rb") as stream:
            responses |= {r.rec_headers.get_header("WARC-Target-URI")
                          for r in ArchiveIterator(stream) if r.rec_type == "response"}  # fmt: skip
    assert {item["url"] for item in items} <= responses
    # A second demo shows the whole job again (it does not skip what the first stored).
    again = run("newscrawl", "demo", "--output-dir", str(tmp_path), *FAST)
    assert again.returncode == 0, again.stderr.decode()
    assert len((tmp_path / "articles.jsonl").read_text().splitlines()) == len(items)
    assert "paragraphs dropped:" in summary and "repeated" in summary and "fragment" in summary


def test_demo_stores_into_the_db_it_is_given(tmp_path: Path):
    """`demo --db FILE` was accepted and ignored: the store went to the folder."""
    store = tmp_path / "mine.sqlite"
    result = run("newscrawl", "demo", "--output-dir", str(tmp_path / "out"), "--db", str(store),
                 *FAST)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert not (tmp_path / "out" / "newscrawl.sqlite").exists()
    (count,) = sqlite3.connect(store).execute("SELECT count(*) FROM articles").fetchone()
    assert count >= 15
    assert str(store) in result.stdout.decode()


def test_extract_explain_lists_each_dropped_paragraph_and_its_rule():
    result = run("newscrawl", "extract", "--explain", str(FERRY))
    assert result.returncode == 0
    out = result.stdout.decode().splitlines()
    assert out[0].startswith(f"== {FERRY}: ") and "4 paragraphs kept, 4 dropped" in out[0]
    assert any("headline" in line and "Ferry timetable changes for spring" in line for line in out)
    assert any("fragment:advertisement" in line and "Advertisement" in line for line in out)
    assert any("fragment:share" in line and "Share this article" in line for line in out)
    assert any("fragment:related" in line and "More From This Section" in line for line in out)


def test_eval_scores_a_folder_in_the_shared_layout(tmp_path: Path):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "ferry.html").write_bytes(FERRY.read_bytes())
    body = trafilatura.extract(FERRY.read_bytes())
    truth = "\n".join(p for p in body.split("\n") if p not in {
        "Ferry timetable changes for spring", "Advertisement", "Share this article", "More From This Section"})  # fmt: skip
    (tmp_path / "ground-truth.json").write_text(json.dumps({"ferry": {"articleBody": truth}}))
    result = run("newscrawl", "eval", str(tmp_path))
    assert result.returncode == 0, result.stderr.decode()
    ours, plain = result.stdout.decode().splitlines()[1:]
    assert ours.split()[1:3] == ["newscrawl", "1"] and plain.split()[1] == "trafilatura"
    # newscrawl's cleaned text is the truth exactly; trafilatura's has four extra lines.
    assert ours.split()[3:6] == ["1.0000", "1.0000", "1.0000"]
    assert float(plain.split()[3]) < 1.0


def test_eval_of_a_folder_without_ground_truth_is_a_one_line_error(tmp_path: Path):
    """It said "x/ground-truth.json: [Errno 2] No such file or directory:
    'x/ground-truth.json'": the path twice, the errno, and not judgments.json."""
    result = run("newscrawl", "eval", str(tmp_path))
    assert_one_line_error(
        result, f"{tmp_path}: neither ground-truth.json nor judgments.json (and html/<id>.html)"
    )
    assert "Errno" not in result.stderr.decode()
    assert_one_line_error(run("newscrawl", "eval", str(tmp_path / "nope")), "nope: not a folder")


def test_progress_line_reports_pages_articles_rate_and_sites():
    from newscrawl.progress import progress_text

    stats = {
        "response_received_count": 130,  # robots.txt and 404s too: not pages fetched
        "newscrawl/articles": 80,
        "newscrawl/site/a.test/pages_fetched": 70,
        "newscrawl/site/b.test/pages_fetched": 50,
        "newscrawl/run/pages_fetched": 120,
        "newscrawl/run/stored": 75,  # committed; 80 came through cleaning
    }
    assert (
        progress_text(stats, elapsed=60)
        == "pages fetched 120 | stored 75 | 120 pages/min | a.test 70, b.test 50"
    )


def test_an_unreachable_site_is_one_line_per_failure_not_a_traceback():
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    # Without robots.txt (which, unreachable, would keep the crawl off the site).
    result = run(
        "newscrawl", "crawl", url, "-s", "RETRY_TIMES=0", "-s", "ROBOTSTXT_OBEY=False", *FAST
    )
    err = result.stderr.decode()
    assert result.returncode == 1
    assert "Traceback" not in err
    assert f"not fetched: {url}: DownloadConnectionRefusedError" in err
    assert "newscrawl: error: no page could be fetched" in err
    assert "Remote control" not in err and "Telnet console listening" not in err  # no open ports


def test_a_number_past_what_sqlite_takes_is_a_usage_error(tmp_path: Path):
    """`search --limit 99999999999999999999` was an OverflowError traceback."""
    result = run("newscrawl", "search", "harbour", "--db", str(tmp_path / "n.db"),
                 "--limit", "99999999999999999999")  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err
    assert "--limit: must be at most 9223372036854775807" in err


def test_a_crawl_with_no_output_and_no_store_says_its_articles_go_nowhere(
    site_url: str, tmp_path: Path
):
    """`newscrawl crawl URL` without -o or --db fetched every page, said "3 kept",
    exited 0 and wrote nothing: a person found out only by looking for the file."""
    result = run("newscrawl", "crawl", site_url, "-L", "WARNING", *FAST, cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert err.endswith("newscrawl: warning: no -o, -O or --db: the articles found are"
                        " written nowhere\n"), err  # fmt: skip
    assert "articles: 3 found from" in err and "kept" not in err
    assert list(tmp_path.iterdir()) == []
    # With an output, nothing of the kind (and at -L WARNING, a normal run is silent).
    out = tmp_path / "out.jsonl"
    result = run("newscrawl", "crawl", site_url, "-o", str(out), "-L", "WARNING", *FAST)
    assert result.returncode == 0 and result.stderr.decode() == ""
    assert out.read_text().count("\n") == 3


def test_demo_help_says_where_it_stores_not_that_it_stores_also():
    """`demo --help` said `--db`: "also upsert articles into this SQLite file" and
    `--archive`: "keep every fetched page": the demo always stores and archives,
    and these options move the store and the archive out of --output-dir."""
    text = " ".join(run("newscrawl", "demo", "--help").stdout.decode().split())
    assert "also upsert" not in text
    assert "(default: DIR/newscrawl.sqlite)" in text and "(default: DIR/archive)" in text
    text = " ".join(run("newscrawl", "crawl", "--help").stdout.decode().split())
    assert "(with --sites, by default output/newscrawl.sqlite)" in text


def test_a_file_where_a_folder_of_the_output_or_store_should_be_is_named(
    tmp_path: Path, site_url: str
):
    """`--db data/news.sqlite` with `data` a file said "[Errno 17] File exists:
    '.../data'", and `-o data/out.jsonl` "File exists": as if the database or the
    output were the trouble, not the file standing where their folder goes."""
    data = tmp_path / "data"
    data.write_text("x")
    said = f"{data} is a file, not a folder"
    for option, target in (
        ("--db", data / "news.sqlite"),
        ("--db", data / "2026" / "news.sqlite"),
        ("-o", data / "out.jsonl"),
        ("-O", data / "2026" / "out.jsonl"),
    ):
        result = run("newscrawl", "crawl", site_url, option, str(target))
        assert_one_line_error(result, f"{target}: {said}")
        assert "Errno" not in result.stderr.decode()
    assert data.read_text() == "x"


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("download_delay", "DOWNLOAD_DELAY"),
        ("DOWNLOAD_DELAYS", "DOWNLOAD_DELAY"),
        ("ROBOTSTXT_OBEYS", "ROBOTSTXT_OBEY"),
        ("Concurrent_Requests_Per_Domain", "CONCURRENT_REQUESTS_PER_DOMAIN"),
    ],
)
def test_a_misspelt_scrapy_setting_is_refused_at_both_front_doors(
    site_url: str, given: str, meant: str
):
    """Scrapy takes any name: `-s download_delay=5` crawled at full speed, `-s
    ROBOTSTXT_OBEYS=False` as if not given, without a word, and exit 0."""
    SITE_HITS.clear()
    result = run("newscrawl", "crawl", site_url, "-s", f"{given}=1")
    assert_one_line_error(result, f"unknown setting {given} (did you mean {meant}?)")
    result = run("scrapy", "crawl", "news", "-a", f"urls={site_url}", "-s", f"{given}=1")
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err
    assert err.endswith(f"scrapy: error: unknown setting {given} (did you mean {meant}?)\n"), err
    assert not SITE_HITS


def test_a_setting_of_the_operators_own_components_is_left_alone():
    """Names near no setting Scrapy or newscrawl declares are a plugin's or the
    operator's (scrapy-redis, scrapy-playwright, a pipeline's own): not refused."""
    from newscrawl.scrapyvalues import _known_settings, misspelt_setting

    known = _known_settings()
    for name in ("REDIS_URL", "SCHEDULER_PERSIST", "SCHEDULER_QUEUE_CLASS",
                 "PLAYWRIGHT_BROWSER_TYPE", "ZYTE_API_KEY", "MY_PIPELINE_PATH"):  # fmt: skip
        assert misspelt_setting(name, known) is None, name


@pytest.mark.parametrize("name", ["articles.csv", "articles.json", "articles.XML"])
def test_an_output_named_for_another_format_is_refused_before_any_fetch(
    tmp_path: Path, site_url: str, name: str
):
    """`crawl -o articles.csv` (or .json, which a reader opens with json.load)
    wrote JSON Lines under that name without a word: Scrapy's `-o` writes the
    format the suffix names, and a Scrapy user expects it."""
    SITE_HITS.clear()
    for option in ("-o", "-O"):
        result = run("newscrawl", "crawl", site_url, option, str(tmp_path / name))
        assert_one_line_error(
            result,
            f"{option} {tmp_path / name}: newscrawl crawl writes JSON Lines only, not"
            f" {name.rpartition('.')[2].lower()} (name the file .jsonl;",
        )
    assert not SITE_HITS and list(tmp_path.iterdir()) == []
    # Named as JSON Lines in Scrapy's FILE:FORMAT form, it is written as asked.
    result = run("newscrawl", "crawl", site_url, "-o", f"{tmp_path / name}:jsonl", *FAST)
    assert result.returncode == 0, result.stderr.decode()
    assert (tmp_path / name).read_text().count("\n") == 3


def test_a_demo_output_folder_that_cannot_be_made_is_one_line_naming_it(tmp_path: Path):
    """`demo --output-dir FILE` printed the demo site's address, then blamed the
    database: "cannot open database FILE/newscrawl.sqlite: [Errno 17] File exists"."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for folder in (blocker, blocker / "out"):
        result = run("newscrawl", "demo", "--output-dir", str(folder))
        assert_one_line_error(result, f"--output-dir {folder}: {blocker} is a file, not a folder")
