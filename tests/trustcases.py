"""The trust boundary between sites, attacked (issue 13): F27-F35; and pages too big
for one process beside a healthy site (issue 15): F36-F39.

Each scenario runs the real `newscrawl` command against tests/trustsite.py (with
127.0.0.2 as the forbidden internal host) and judges what reached the servers,
what was stored and what was printed. tests/test_trust.py asserts the verdicts;
bench/faults.py reports them with the fault suite.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newscrawl.cleaning.cleaner import PARAGRAPH_LIMIT
from newscrawl.pageworker import MAX_PAGE_LINKS, MAX_TEXT_CHARS
from newscrawl.vocabulary import (
    DROPPED,
    LINKS_CUT,
    LOOP_MAX_HELD_MS,
    LOOP_MAX_LAG_MS,
    PAGES_TRUNCATED,
    RUN_TOTALS,
    SITE_STATS,
)

from .faultcases import BIN, REPO, Run, Verdict, Verdicts, crawl
from .trustsite import (
    GRIND_PAGES,
    HEALTHY_PAGES,
    HUB_LINKS,
    IDN_ARTICLES,
    IDN_HOST,
    MENU_PAGES,
    TrustSite,
)

__all__ = [
    "budget_scenario",
    "canonical_scenario",
    "credentials_scenario",
    "grind_scenario",
    "heavy_scenario",
    "idn_scenario",
    "internal_scenario",
    "robots_scenario",
    "sibling_scenario",
    "starvation_scenario",
    "trust_site",
]


@contextmanager
def trust_site() -> Iterator[TrustSite]:
    site = TrustSite()
    try:
        yield site
    finally:
        site.close()


def _sites_file(path: Path, sites: dict[str, dict[str, list[str]]]) -> Path:
    lines = []
    for name, keys in sites.items():
        lines.append(f'[[site]]\nname = "{name}"')
        lines.extend(f"{key} = {json.dumps(values)}" for key, values in keys.items())
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _rows(
    workdir: Path, sql: str = "SELECT site, canonical_url, text, version FROM articles"
) -> list[dict[str, Any]]:
    with sqlite3.connect(workdir / "crawl.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql)]


def robots_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F27: every request to a host waits for the same robots.txt verdict (the
    disallowed page third of four). F28: a robots.txt redirect newscrawl refuses
    (internal address, file:, a numeric spelling of an internal address, a loop)
    disallows the host; more than five redirects is "no robots.txt"."""
    u = site.url
    four = [u("/a/1.html", "robots4.test"), u("/a/2.html", "robots4.test"),
            u("/private/p.html", "robots4.test"), u("/a/3.html", "robots4.test")]  # fmt: skip
    refused_hosts = ["robots-internal.test", "robots-file.test", "robots-numeric.test",
                     "robots-loop.test"]  # fmt: skip
    others = [u("/a/5.html", host) for host in [*refused_hosts, "robots-chain.test"]]
    scrape = crawl(workdir / "scrape", ["scrape", *four, *others])
    three = [u("/a/1.html", "robots3.test"), u("/a/2.html", "robots3.test"),
             u("/private/p.html", "robots3.test")]  # fmt: skip
    crawled = crawl(workdir / "crawl", ["crawl", *three])

    verdicts = Verdicts(crawled)
    v = verdicts.new("F27", "robots.txt for every request to a host, the third and later too")
    for host, run in (("robots4.test", scrape), ("robots3.test", crawled)):
        private = [p for p in site.paths(host) if p.startswith("/private/")]
        v.expect(not private, f"{host}: robots-disallowed page fetched {private}")
        v.expect(not any("/private/" in str(i.get("url")) for i in run.items),
                 f"{host}: a disallowed page stored")  # fmt: skip
        v.figures[f"{host} robots.txt fetches"] = site.paths(host).count("/robots.txt")
    v.expect(
        scrape.failures.get(four[2]) == "robots_txt", f"scrape: {scrape.failures.get(four[2])}"
    )
    v.expect(
        all(url in _stored(scrape) for url in (four[0], four[1], four[3])), "allowed pages lost"
    )

    v = verdicts.new("F28", "robots.txt redirects newscrawl refuses disallow the host")
    for host in refused_hosts:
        pages = [p for p in site.paths(host) if p != "/robots.txt" and not p.startswith("/robots")]
        v.expect(not pages, f"{host}: pages fetched despite a refused robots.txt: {pages}")
        v.expect(scrape.failures.get(u("/a/5.html", host)) == "unreachable",
                 f"{host}: {scrape.failures.get(u('/a/5.html', host))}")  # fmt: skip
    v.expect(not site.intranet_hits, f"the internal host was reached: {site.intranet_hits}")
    v.expect(u("/a/5.html", "robots-chain.test") in _stored(scrape),
             "more than five robots.txt redirects (unavailable: allow) stopped the host")  # fmt: skip
    v.expect("Traceback" not in scrape.stderr + crawled.stderr, "a traceback")
    v.figures["robots.txt unreachable"] = scrape.stats.get("newscrawl/robots_unreachable")
    return list(verdicts)


def _stored(run: Run) -> set[str]:
    return {str(item.get("url")) for item in run.items}


CANONICAL_REFUSED_STAT = "newscrawl/canonical_refused"


def canonical_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F29: a page of one site declaring another site's article as its canonical
    URL (link rel=canonical, og:url) neither replaces nor shadows that article."""
    u = site.url
    victim = _sites_file(
        workdir / "victim.toml", {"victim": {"start_urls": [u("/a/10.html", "victim.test")]}}
    )
    poison = _sites_file(workdir / "poison.toml", {"poison": {
        "start_urls": [u("/a/11.html", "poison.test"), u("/a/12.html", "poison.test")]}})  # fmt: skip
    first = crawl(workdir, ["crawl", "--sites", str(victim)])
    forged = crawl(workdir, ["crawl", "--sites", str(poison)])
    again = crawl(workdir, ["crawl", "--sites", str(victim), "--refresh"])
    verdicts = Verdicts(forged)
    v = verdicts.new("F29", "canonical poisoning: another site's article as canonical URL")
    target = u("/a/10.html", "victim.test")
    rows = {row["canonical_url"]: row for row in _rows(workdir)}
    row = rows.get(target)
    v.expect(row is not None and row["site"] == "victim", f"victim's row: {row}")
    v.expect(row is not None and "Report 10, part 1" in row["text"], "victim's text replaced")
    v.expect(
        row is not None and row["version"] == 1, f"victim's row version {row and row['version']}"
    )
    for path in ("/a/11.html", "/a/12.html"):
        own = rows.get(u(path, "poison.test"))
        v.expect(
            own is not None and own["site"] == "poison", f"{path} not stored under its own URL"
        )
    v.expect(forged.stats.get("newscrawl/canonical_refused") == 2,
             f"canonical_refused {forged.stats.get('newscrawl/canonical_refused')}")  # fmt: skip
    states = _rows(workdir, "SELECT url, site FROM urls WHERE state = 'done'")
    v.expect({"url": target, "site": "victim"} in states and
             not any(s["url"] == target and s["site"] != "victim" for s in states),
             f"victim's URL state: {states}")  # fmt: skip
    v.expect(first.returncode == 0 and again.returncode == 0, "the victim's crawls failed")
    return list(verdicts)


def sibling_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F40: two sites of one sites file on one registrable domain (a.shared.test and
    b.shared.test). a's pages name b's articles as their canonical URL and
    redirect to them: crawled alone (`--site`) or together, a takes none of b's
    rows, and b's articles are stored as b's."""
    u = site.url
    sites = _sites_file(workdir / "sites.toml", {
        "alpha": {"start_urls": [u("/a/1.html", "a.shared.test"), u("/a/2.html", "a.shared.test"),
                                 u("/go/3", "a.shared.test")]},
        "beta": {"start_urls": [u("/", "b.shared.test")]},
    })  # fmt: skip
    alone = crawl(workdir, ["crawl", "--sites", str(sites), "--site", "alpha"])
    beta = crawl(workdir, ["crawl", "--sites", str(sites), "--site", "beta"])
    both = crawl(workdir, ["crawl", "--sites", str(sites), "--refresh"])
    verdicts = Verdicts(both)
    v = verdicts.new("F40", "a sibling site on the same registrable domain")
    rows = {row["canonical_url"]: row for row in _rows(workdir)}
    for n in (1, 2, 3):
        row = rows.get(u(f"/a/{n}.html", "b.shared.test"))
        v.expect(row is not None and row["site"] == "beta", f"b's article {n}: {row}")
        v.expect(row is not None and "Borrowed" not in row["text"], f"b's article {n} is a's text")
    for n in (1, 2):
        own = rows.get(u(f"/a/{n}.html", "a.shared.test"))
        v.expect(own is not None and own["site"] == "alpha", f"a's article {n} not under its URL")
    v.figures["canonical_refused (alpha alone)"] = alone.stats.get(CANONICAL_REFUSED_STAT, 0)
    v.expect(alone.stats.get(CANONICAL_REFUSED_STAT) == 2, "a's canonical URLs were not refused")
    for run in (alone, beta, both):
        v.expect(run.returncode == 0, f"a crawl exited {run.returncode}")
    return list(verdicts)


def internal_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F30: an intranet site (seed on 127.0.0.2) beside an outside site that links,
    redirects and lists URLs to it: the intranet is crawled as its own site, and
    the outside site reaches none of it."""
    u = site.url
    sites = _sites_file(workdir / "sites.toml", {
        "intranet": {"start_urls": [site.intranet_url("/intranet/")]},
        "outside": {"start_urls": [u("/", "outside.test")],
                    "sitemaps": [u("/sitemap.xml", "outside.test")]},
    })  # fmt: skip
    run = crawl(workdir, ["crawl", "--sites", str(sites)])
    verdicts = Verdicts(run)
    v = verdicts.new("F30", "an internal address is allowed to the site whose seed it is, only")
    secret = [p for p in site.intranet_hits if p.startswith("/intranet/secret/")]
    v.expect(not secret, f"the outside site reached the intranet: {secret}")
    rows = _rows(workdir)
    internal_rows = [r for r in rows if "127.0.0.2" in r["canonical_url"]]
    v.expect(all(r["site"] == "intranet" for r in internal_rows), f"rows: {internal_rows}")
    v.expect(len(internal_rows) == 2, f"intranet memos stored: {len(internal_rows)}")
    # The redirect leaves its site: dropped as it is scheduled (offsite_redirect),
    # or else by the address guard; the link and the sitemap entry are not even
    # asked for, being another site's URLs.
    refused = run.stats.get("newscrawl/address_refused", 0) + run.stats.get(
        "newscrawl/fetch_failed/offsite_redirect", 0
    )
    v.expect(refused >= 1, "the redirect not refused")
    v.expect(run.stats.get("newscrawl/site/outside/offsite", 0) >= 1, "offsite entries not counted")
    v.figures["refused"] = refused
    return list(verdicts)


def _beside_healthy(
    site: TrustSite,
    workdir: Path,
    others: dict[str, dict[str, list[str]]],
    fault: str,
    title: str,
    settings: dict[str, str] | None = None,
    timeout: float = 240,
) -> tuple[Run, Verdicts, Verdict]:
    """Crawl the healthy site alone, then beside `others`: the second run, its
    verdicts, and the first verdict, which already judges the healthy site's
    articles and pace (it keeps 80% of it)."""
    u = site.url
    healthy = {
        "start_urls": [u("/", "healthy.test")],
        "sitemaps": [u("/sitemap.xml", "healthy.test")],
    }
    alone = _sites_file(workdir / "alone.toml", {"healthy": healthy})
    beside = _sites_file(workdir / "beside.toml", {"healthy": healthy, **others})
    # A politeness delay paces the healthy site: its pace, not the machine's load,
    # sets how long its pages take.
    settings = {"DOWNLOAD_DELAY": "0.25", "AUTOTHROTTLE_ENABLED": "False", **(settings or {})}
    with site.lock:
        site.hits.clear()
    first = crawl(workdir / "alone", ["crawl", "--sites", str(alone)], settings)
    times_alone = site.times("healthy.test")
    span_alone = _span(times_alone, first)
    with site.lock:
        site.hits.clear()
    second = crawl(workdir / "beside", ["crawl", "--sites", str(beside)], settings, timeout=timeout)
    times_beside = site.times("healthy.test")
    span_beside = _span(times_beside, second)
    verdicts = Verdicts(second)
    v = verdicts.new(fault, title)
    pages = HEALTHY_PAGES + 1  # its articles and its start page
    rate_alone, rate_beside = pages / span_alone * 60, pages / span_beside * 60
    v.figures["healthy pages/min alone"] = round(rate_alone)
    v.figures["healthy pages/min beside"] = round(rate_beside)
    v.figures["share kept"] = round(rate_beside / rate_alone, 2)
    v.figures["loop's CPU waits s alone, beside"] = [
        round(run.cpu_wait_between(min(times), max(times)), 1) if times else 0.0
        for run, times in ((first, times_alone), (second, times_beside))
    ]
    stored = sum(1 for i in second.items if "healthy.test" in str(i.get("url")))
    v.expect(len(first.items) == HEALTHY_PAGES and stored == HEALTHY_PAGES,
             f"healthy articles: {len(first.items)} alone, {stored} beside")  # fmt: skip
    # Starved, the healthy site waited for the other (minutes); a margin absorbs a
    # busy machine's noise in a crawl of a few seconds. The spans leave out what
    # the machine's load cost them: the time the crawler's event loop, which sends
    # every request, waited for a CPU meanwhile (a busy 2-core machine gives it
    # less beside the bad pages' workers than alone; that is not starvation).
    v.expect(rate_beside >= 0.8 * rate_alone or span_beside <= span_alone + 3,
             f"healthy site slowed from {rate_alone:.0f} to {rate_beside:.0f} pages/min")  # fmt: skip
    return second, verdicts, v


def starvation_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F31: a site whose sitemap lists 200 sub-domains, each answering a byte every
    half second, beside a healthy site: the healthy site keeps its pace, and the
    slow site's sub-domains open one circuit breaker."""
    slow = {"slow": {"sitemaps": [site.url("/sitemap.xml", "slow.test")]}}
    second, verdicts, v = _beside_healthy(
        site, workdir, slow, "F31", "200 slow sub-domains of one site beside a healthy site"
    )
    v.expect(
        second.stats.get("newscrawl/circuit_open", 0) >= 1, "the slow site's breaker stayed shut"
    )
    slow_hosts = {h.host for h in site.hits if h.host.endswith(".slow.test")}
    v.figures["slow sub-domains reached"] = len(slow_hosts)
    return list(verdicts)


def heavy_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F36-F39 (issue 15): a hub page of 300,000 links, a 30 MB page of tiny elements,
    an article of 50,000 short paragraphs and one of 4 MB of text in three
    paragraphs, each on its own site beside a healthy one. The crawler's process parses none of them: the healthy site keeps its pace,
    the event loop keeps turning, the crawl ends by itself with each bad page counted,
    and the process tree stays under 1 GB."""
    heavy = {host.split(".")[0]: {"start_urls": [site.url("/", host)]}
             for host in ("hub.test", "huge.test", "paras.test", "wall.test")}  # fmt: skip
    # The healthy site paced at two pages a second (20 s alone): the bad pages cost
    # their workers a few seconds of CPU, which on a busy 2-core machine the healthy
    # site's crawl shares; over a crawl of a few seconds that alone would be 20%.
    settings = {"NEWSCRAWL_MAX_PAGES_PER_SITE": "60", "NEWSCRAWL_EXTRACT_TIMEOUT": "20",
                "DOWNLOAD_DELAY": "0.5"}  # fmt: skip
    second, verdicts, shared = _beside_healthy(
        site, workdir, heavy, "F36-F39",
        "four pages too big for one process, beside a healthy site", settings, timeout=300,
    )  # fmt: skip
    stats = second.stats
    shared.figures["longest loop stall ms"] = stats.get(LOOP_MAX_LAG_MS)
    shared.figures["longest loop stall ms, less CPU waits"] = stats.get(LOOP_MAX_HELD_MS)
    shared.figures["peak MiB (tree PSS)"] = second.peak_rss_mib["tree"]
    shared.figures["seconds"] = round(second.seconds, 1)
    shared.expect(second.finish_reason == "finished", f"finish reason {second.finish_reason}")
    shared.expect(second.returncode is not None, "the crawl did not end by itself")
    # What the crawler's own work held the loop: the time its threads waited for a
    # CPU (a busy machine) is not counted (newscrawl/looplag.py).
    held = stats.get(LOOP_MAX_HELD_MS)
    shared.expect(held is not None and held <= 500, f"the event loop was held {held} ms")
    shared.expect(second.peak_rss_mib["tree"] < 1024,
                  f"process tree peaked at {second.peak_rss_mib['tree']} MiB")  # fmt: skip
    hub = verdicts.new("F36", "a hub page of 300,000 links")
    cut = stats.get(RUN_TOTALS + LINKS_CUT, 0)
    hub.figures["links cut"] = cut
    hub.figures["hub.test requests"] = len(site.paths("hub.test"))
    hub.expect(cut >= HUB_LINKS - MAX_PAGE_LINKS, f"{cut} links counted as cut")
    for name in ("hub", "huge", "paras", "wall"):
        truncated = stats.get(f"{SITE_STATS}{name}/{PAGES_TRUNCATED}", 0)
        hub.figures[f"{name}: pages truncated"] = truncated
        hub.expect(truncated == 1, f"{name}: {truncated} pages counted as truncated, not 1")
    huge = verdicts.new("F37", "a 30 MB page of tiny elements")
    huge.figures["huge.test requests"] = len(site.paths("huge.test"))
    huge.expect(site.paths("huge.test").count("/") == 1, "the 30 MB page was not fetched once")
    long_read = verdicts.new("F38", "an article of 50,000 short paragraphs")
    over = stats.get(DROPPED + PARAGRAPH_LIMIT, 0)
    long_read.figures["paragraphs over the limit"] = over
    stored = [i for i in second.items if "paras.test" in str(i.get("url"))]
    long_read.figures["words stored"] = sum(int(i.get("word_count") or 0) for i in stored)
    long_read.expect(len(stored) == 1, f"{len(stored)} long-read articles stored, not 1")
    # Cut to its first MAX_TEXT_CHARS characters (the page counted truncated above),
    # or to the cleaner's first paragraphs, whichever bound it meets first.
    long_read.expect(
        all(len(str(i.get("text") or "")) <= MAX_TEXT_CHARS for i in stored),
        "the long read was not kept to its first MAX_TEXT_CHARS characters",
    )
    wall = verdicts.new("F39", "an article of 4 MB of text in three paragraphs")
    walls = [i for i in second.items if "wall.test" in str(i.get("url"))]
    wall.figures["characters stored"] = sum(len(str(i.get("text") or "")) for i in walls)
    wall.expect(len(walls) == 1, f"{len(walls)} wall-of-text articles stored, not 1")
    wall.expect(
        all(0 < len(str(i.get("text") or "")) <= MAX_TEXT_CHARS for i in walls),
        "the wall of text was not kept to its first MAX_TEXT_CHARS characters",
    )
    return list(verdicts)


def grind_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F40: a site whose articles each cost a worker seconds of CPU, all under the
    time bound, beside a healthy site: the healthy site keeps its pace (its pages
    are not queued behind the dear ones, and these do not fill Scrapy's bound on
    held responses), and every dear article is still read and stored."""
    grind = {"grind": {"sitemaps": [site.url("/sitemap.xml", "grind.test")]}}
    settings = {"NEWSCRAWL_EXTRACT_TIMEOUT": "60"}  # under the bound, on any machine
    second, verdicts, v = _beside_healthy(
        site, workdir, grind, "F40", "a site of dear articles beside a healthy site", settings,
        timeout=300,
    )  # fmt: skip
    stored = [i for i in second.items if "grind.test" in str(i.get("url"))]
    v.figures["dear articles stored"] = len(stored)
    v.expect(len(stored) == GRIND_PAGES, f"{len(stored)} of {GRIND_PAGES} dear articles stored")
    v.expect(second.finish_reason == "finished", f"finish reason {second.finish_reason}")
    return list(verdicts)


def _span(times: list[float], run: Run) -> float:
    """Seconds from the first request in `times` to the last, less the time the
    crawler's event loop waited for a CPU between them."""
    if len(times) < 2:
        return 1.0
    start, end = min(times), max(times)
    return max(end - start - run.cpu_wait_between(start, end), 1.0)


def budget_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F32: a sitemap index fanning out to a billion entries costs its site its page
    budget and ends by itself. F33: a menu of 50 links on every page costs one
    request per link, not one per sighting."""
    u = site.url
    fan = crawl(workdir / "fanout", ["crawl", "--sitemap", u("/sitemap.xml", "fanout.test")],
                {"NEWSCRAWL_MAX_PAGES_PER_SITE": "50"}, timeout=120)  # fmt: skip
    verdicts = Verdicts(fan)
    v = verdicts.new("F32", "a sitemap index fanning out past the site's budget")
    asked = [p for p in site.paths("fanout.test") if p != "/robots.txt"]
    v.figures["requests"] = len(asked)
    v.figures["seconds"] = round(fan.seconds, 1)
    v.expect(len(asked) <= 50, f"{len(asked)} requests with a budget of 50")
    v.expect(fan.finish_reason == "finished", f"finish reason {fan.finish_reason}")
    menu = crawl(workdir / "menu", ["crawl", u("/p/0", "menu.test"), "--max-pages", "100"],
                 {"DEPTH_LIMIT": "0"})  # fmt: skip
    v = verdicts.new("F33", "the page budget counts requests sent, after the duplicate filter")
    fetched = [p for p in site.paths("menu.test") if p != "/robots.txt"]
    v.figures["pages fetched of 101 with --max-pages 100"] = len(fetched)
    v.expect(len(fetched) == MENU_PAGES - 1, f"{len(fetched)} pages fetched, not 100")
    v.expect(len(set(fetched)) == len(fetched), "a page fetched twice")
    v.expect(menu.finish_reason == "finished", f"finish reason {menu.finish_reason}")
    return list(verdicts)


def idn_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F34: a site with an internationalised host name crawls like its ASCII twin."""
    u = site.url
    sites = _sites_file(workdir / "sites.toml", {
        name: {"start_urls": [u("/", host)], "sitemaps": [u("/sitemap.xml", host)]}
        for name, host in (("books-idn", IDN_HOST), ("books-ascii", "buecher.test"))
    })  # fmt: skip
    run = crawl(workdir, ["crawl", "--sites", str(sites)])
    verdicts = Verdicts(run)
    v = verdicts.new("F34", "an internationalised host name (bücher.test)")
    counts = {
        r["site"]: r["n"]
        for r in _rows(workdir, "SELECT site, count(*) n FROM articles GROUP BY site")
    }
    v.figures["articles"] = counts
    v.expect(counts.get("books-idn") == IDN_ARTICLES, f"IDN site stored {counts.get('books-idn')}")
    v.expect(
        counts.get("books-ascii") == IDN_ARTICLES, f"ASCII site stored {counts.get('books-ascii')}"
    )
    return list(verdicts)


def credentials_scenario(site: TrustSite, workdir: Path) -> list[Verdict]:
    """F35: user:password@ in URLs (given, linked, redirected to) is never sent
    and never printed or stored."""
    import subprocess

    u = site.url
    given = subprocess.run([str(BIN / "newscrawl"), "crawl", u("/", "reader:hunter2@creds.test")],
                           capture_output=True, text=True, cwd=REPO, timeout=60, check=False)  # fmt: skip
    run = crawl(workdir, ["crawl", u("/", "creds.test")])
    verdicts = Verdicts(run)
    v = verdicts.new("F35", "credentials in URLs: refused, never printed or stored")
    v.expect(given.returncode == 2, f"a start URL with credentials: exit {given.returncode}")
    v.expect(len(given.stderr.strip().splitlines()) == 1, f"not one line: {given.stderr!r}")
    stats_text = (workdir / "stats.json").read_text() if (workdir / "stats.json").exists() else ""
    everything = (
        given.stderr + run.stderr + stats_text + json.dumps(run.items) + json.dumps(_rows(workdir))
    )
    v.expect("hunter2" not in everything, "the password was printed or stored")
    sent = [h.path for h in site.hits if h.host == "creds.test" and h.authorization]
    v.expect(not sent, f"credentials sent: {sent}")
    v.expect(u("/a/73.html", "creds.test") in _stored(run), "the plain article was lost")
    return list(verdicts)
