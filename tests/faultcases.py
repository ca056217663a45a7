"""The fault suite: the reliability plan's faults, injected, and what correct is.

Each scenario runs the real `newscrawl` command in a subprocess against the
hostile site of tests/faultsite.py (127.0.0.1, with 127.0.0.2 as the forbidden
internal host, names from tests/stub_resolver.py), then judges each fault it
injected from the server's records, the crawl's stats (NEWSCRAWL_STATS_FILE)
and what was stored. `tests/test_faults.py` asserts the verdicts; the report
script `bench/faults.py` prints them with the plan's figures.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawl.demo.server import QuietHandler

from .conftest import serving
from .faultsite import ENCODED, LOCAL_FILE, SECRET, FaultSite, QuietServer, article_html
from .proctree import process_tree, pss_bytes, status_fields

__all__ = [
    "KillTrials",
    "Run",
    "Verdict",
    "crawl",
    "discovery_scenario",
    "disk_full_scenario",
    "fault_site",
    "kill_trials",
    "memory_scenario",
    "overlap_scenario",
    "scrape_scenario",
    "shutdown_scenario",
    "start_url_scenario",
    "stop_watchdog_scenario",
    "torn_jsonl_scenario",
    "trap_cap_scenario",
]

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Settings of every scenario: quick on loopback, our DNS, short network deadlines.
BASE_SETTINGS = {
    "TWISTED_DNS_RESOLVER": "tests.stub_resolver.StubResolver",
    "DOWNLOAD_DELAY": "0.01",
    "AUTOTHROTTLE_START_DELAY": "0.01",
    "DOWNLOAD_TIMEOUT": "4",
    "RETRY_TIMES": "1",
    "NEWSCRAWL_EXTRACT_TIMEOUT": "5",
}


@dataclass
class Verdict:
    """What one fault did to one run."""

    fault: str  # "F01"
    title: str
    survived: bool  # the crawler ran to its end by itself (no crash, no hang)
    problems: list[str] = field(default_factory=list)  # empty: correct
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.survived and not self.problems

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)


class Verdicts(list[Verdict]):
    """The verdicts on the faults of one run; each starts as survived if the run
    finished by itself."""

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.survived = run.returncode in (0, 1) and run.finish_reason == "finished"

    def new(self, fault: str, title: str) -> Verdict:
        verdict = Verdict(fault, title, self.survived)
        self.append(verdict)
        return verdict


@dataclass
class Run:
    """One finished `newscrawl` run: exit code, stderr, stats, stored articles."""

    returncode: int | None  # None: killed by the suite
    stderr: str
    seconds: float
    # "main", "workers" (the largest worker) and "tree": the largest proportional
    # set size of the whole tree sampled (every shared page counted once)
    peak_rss_mib: dict[str, float]
    stats: dict[str, Any]
    failures: dict[str, str]
    items: list[dict[str, Any]]  # the JSON Lines output
    rows: list[dict[str, Any]]  # the SQLite articles
    integrity: str | None
    # (time.monotonic(), seconds the crawler's main thread, its event loop, had
    # waited for a CPU by then), sampled every 0.1 s: what the machine's load, not
    # the crawler, cost its loop over a span of the run (see cpu_wait_between).
    cpu_waits: list[tuple[float, float]] = field(default_factory=list)
    # time.monotonic() when the suite saw the process end: a stop's duration is
    # measured to here, not to when the suite has also read the outputs.
    ended: float = 0.0

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "none"))

    def cpu_wait_between(self, start: float, end: float) -> float:
        """Seconds the crawler's event loop waited for a CPU between two moments of
        the run (time.monotonic()), as sampled: 0 where the kernel does not say."""

        def at(moment: float) -> float:
            before = [wait for sampled, wait in self.cpu_waits if sampled <= moment]
            return before[-1] if before else 0.0

        return max(at(end) - at(start), 0.0)

    def text_of(self, needle: str) -> bool:
        """Whether any stored text (JSON Lines or SQLite) contains `needle`."""
        everything = json.dumps(self.items) + json.dumps(self.rows)
        return needle in everything


# -- running the crawler ------------------------------------------------------------


def _cpu_wait(pid: int) -> float | None:
    """Seconds the main thread of process `pid` has waited for a CPU while runnable
    (Linux schedstat's run delay); None where the kernel does not say."""
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_bytes().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _tree_hwm(family: list[int]) -> dict[int, float]:
    """VmHWM (peak resident memory, MiB) of each process of `family`."""
    peaks: dict[int, float] = {}
    for pid in family:
        if hwm := status_fields(pid).get("VmHWM"):
            peaks[pid] = int(hwm.split()[0]) / 1024
    return peaks


def crawl(
    workdir: Path,
    command: list[str],
    settings: dict[str, str] | None = None,
    timeout: float = 150,
    stop: Callable[[subprocess.Popen[bytes], float], bool] | None = None,
    extra_env: dict[str, str] | None = None,
    jsonl: bool = True,
) -> Run:
    """Run `newscrawl <command>` with the suite's settings, watching its memory;
    `stop(process, seconds)` may signal it (and returns True once it has)."""
    workdir.mkdir(parents=True, exist_ok=True)
    stats_file = workdir / "stats.json"
    stats_file.unlink(missing_ok=True)
    db, out = workdir / "crawl.sqlite", workdir / "out.jsonl"
    args = [str(BIN / "newscrawl"), *command, "--db", str(db)]
    # `scrape` writes its JSON Lines to standard output, `crawl` to -o.
    scrape = command[0] == "scrape"
    if jsonl and not scrape:
        args += ["-o", str(out)]
    for name, value in {**BASE_SETTINGS, **(settings or {}),
                        "NEWSCRAWL_STATS_FILE": str(stats_file)}.items():  # fmt: skip
        args += ["-s", f"{name}={value}"]
    env = {**os.environ, "PYTHONPATH": str(REPO), **(extra_env or {})}
    started = time.monotonic()
    sink = out.open("ab") if jsonl and scrape else subprocess.DEVNULL
    process = subprocess.Popen(args, cwd=workdir, env=env, stderr=subprocess.PIPE, stdout=sink)
    stderr: list[bytes] = []

    def read_stderr() -> None:
        assert process.stderr is not None
        with process.stderr:
            stderr.append(process.stderr.read())

    reader = threading.Thread(target=read_stderr)
    reader.start()
    peaks: dict[int, float] = {}
    tree_pss = 0.0
    stopped = False
    samples = 0
    cpu_waits: list[tuple[float, float]] = []
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if (waited := _cpu_wait(process.pid)) is not None:
            cpu_waits.append((time.monotonic(), waited))
        family = process_tree(process.pid)
        for pid, peak in _tree_hwm(family).items():
            peaks[pid] = max(peaks.get(pid, 0.0), peak)
        if samples % 3 == 0:  # PSS is dearer to read: every 0.3 s
            tree_pss = max(tree_pss, sum(pss_bytes(pid) for pid in family) / 2**20)
        samples += 1
        if stop is not None and not stopped:
            stopped = stop(process, elapsed)
        if elapsed > timeout:
            process.kill()
            break
        time.sleep(0.1)
    process.wait()
    ended = time.monotonic()
    reader.join()
    if not isinstance(sink, int):
        sink.close()
    seconds = ended - started
    record = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return Run(
        returncode=None if process.returncode < 0 else process.returncode,
        stderr=b"".join(stderr).decode("utf-8", "replace"),
        seconds=seconds,
        peak_rss_mib={
            "main": round(peaks.get(process.pid, 0.0), 1),
            "workers": round(
                max((v for k, v in peaks.items() if k != process.pid), default=0.0), 1
            ),
            "tree": round(tree_pss, 1),
        },
        stats=record.get("stats", {}),
        failures=record.get("failures", {}),
        items=_read_jsonl(out),
        rows=_read_rows(db),
        integrity=_integrity(db),
        cpu_waits=cpu_waits,
        ended=ended,
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute("SELECT url, canonical_url, text FROM articles")]
        except sqlite3.Error:
            return []


def _integrity(path: Path) -> str | None:
    if not path.exists():
        return None
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


@contextmanager
def fault_site() -> Iterator[FaultSite]:
    site = FaultSite()
    try:
        yield site
    finally:
        site.close()


def _stored_urls(run: Run) -> set[str]:
    return {str(item.get("url")) for item in run.items}


def _known_urls(workdir: Path) -> set[str]:
    """Every URL the run's store knows: stored, pending or failed."""
    with sqlite3.connect(workdir / "crawl.sqlite") as db:
        return {url for (url,) in db.execute("SELECT url FROM urls")}


# -- scenario 1: one-off scrape of hostile URLs ----------------------------------------


def scrape_scenario(site: FaultSite, workdir: Path) -> tuple[Run, list[Verdict]]:
    """`newscrawl scrape` of a list of hostile URLs: transport faults, redirects,
    SSRF, rebinding, leaks, hostile HTML, duplicates. Faults F01-F06, F10-F14, F18, F20."""
    closed_port = _closed_port()
    u = site.url
    good = [u(f"/a/{n}.html") for n in range(1, 6)]
    html = [u(f"/html/{name}") for name in site.pages]
    dups = [u("/dup/1?utm_source=feed&utm_medium=rss"), u("/dup/1"), u("/amp/dup/1"),
            u("/dup/1", "dup.test")]  # fmt: skip
    urls = [*good,
            u("/bomb/gzip"), u("/bomb/deflate"), u("/huge-length"), u("/endless"), u("/drip"),
            u("/truncated"), u("/reset"), u("/reset-unsized"), u("/unsized"),
            f"http://127.0.0.1:{closed_port}/a/1.html",
            u("/a/1.html", "nowhere.invalid"), u("/loop/a"), u("/chain/0"), u("/meta-loop"),
            u("/to-file"), u("/to-data"), u("/to-ftp"), u("/to-internal"), u("/to-mapped"),
            u("/to-metadata"), u("/to-rebind/11"), u("/to-rebind/12"),
            u("/leak"), *html, *dups]  # fmt: skip
    # other.test (F14's other origin) is internal, as every name here is: allowed
    # crawl-wide, since its check is about headers, not addresses.
    run = crawl(workdir, ["scrape", *urls], {"CONCURRENT_REQUESTS_PER_DOMAIN": "8",
                                             "NEWSCRAWL_ALLOW_HOSTS": "other.test"})  # fmt: skip
    stored = _stored_urls(run)
    hits = site.paths()
    verdicts = Verdicts(run)
    verdict = verdicts.new

    v = verdict("F00", "good pages beside the faults are stored")
    v.expect(all(g in stored for g in good), f"good pages missing: {set(good) - stored}")

    for fault, title, paths in (
        ("F01", "gzip bomb", ["/bomb/gzip"]),
        ("F02", "deflate bomb", ["/bomb/deflate"]),
        ("F03", "oversized body: 2 GiB Content-Length, endless chunks", ["/huge-length", "/endless"]),
    ):  # fmt: skip
        v = verdict(fault, title)
        for path in paths:
            v.expect(u(path) not in stored, f"{path} stored")
            v.expect(u(path) in run.failures, f"{path} not counted as failed")
        v.expect(run.peak_rss_mib["main"] < 300, f"crawler peak {run.peak_rss_mib['main']} MiB")
        v.figures["crawler peak MiB"] = run.peak_rss_mib["main"]
    v = verdict("F04", "slow drip: headers, then a byte a second")
    drips = [h.at for h in site.hits if h.path == "/drip"]
    v.expect(u("/drip") not in stored, "/drip stored")
    v.expect(1 <= len(drips) <= 2, f"/drip requested {len(drips)} times (RETRY_TIMES 1)")
    # Each attempt is given up at DOWNLOAD_TIMEOUT (4 s), not before, and long before
    # the drip would end (60 s); the server sees the client hang up (a byte a second,
    # and a busy machine's event loop, make the moment approximate).
    deadline = time.monotonic() + 3  # the server notices at its next byte, within 1 s
    while len(site.drip_abandoned) < len(drips) and time.monotonic() < deadline:
        time.sleep(0.1)
    held = site.drip_abandoned[:]
    v.figures["seconds each attempt held on"] = [round(h, 1) for h in held]
    v.expect(len(held) == len(drips), f"attempts {len(drips)}, hang-ups seen {len(held)}")
    v.expect(all(3.5 <= h <= 20 for h in held), f"not given up at the deadline: {held}")
    v = verdict("F05", "truncated body and reset connection, with or without a length")
    for path in ("/truncated", "/reset", "/reset-unsized"):
        v.expect(u(path) not in stored, f"partial {path} stored")
        v.expect(
            hits.count(path) == 2, f"{path} requested {hits.count(path)} times, not retried once"
        )
    # A body without a length that its server ends cleanly is the page.
    v.expect(u("/unsized") in stored, "the page ended by a clean close was not stored")
    v = verdict("F06", "connection refused and unknown host")
    # Their robots.txt is unreachable first, so (RFC 9309) their pages are not asked for.
    for origin in (f"http://127.0.0.1:{closed_port}", u("", "nowhere.invalid")):
        url = origin + "/a/1.html"
        v.expect(url in run.failures, f"{url} not counted")
        v.expect(f"not crawling {origin} this run" in run.stderr, f"{origin} not reported")
    v.figures["robots unreachable"] = run.stats.get("newscrawl/robots_unreachable", 0)
    v = verdict("F10", "redirect loops and chains")
    for path in ("/loop/a", "/chain/0", "/meta-loop"):
        v.expect(u(path) not in stored, f"{path} stored")
    chain = [p for p in hits if p.startswith("/chain/")]
    v.figures["chain requests"] = len(chain)
    v.expect(len(chain) <= 21, f"{len(chain)} requests along the chain")
    v.expect(hits.count("/meta-loop") <= 21, "meta refresh loop not bounded")
    v = verdict("F11", "redirects to file:, data:, ftp:")
    hostname = Path(LOCAL_FILE).read_text().strip() if Path(LOCAL_FILE).exists() else None
    v.expect(
        not (hostname and len(hostname) > 3 and run.text_of(hostname)), "local file content stored"
    )
    v.expect(not run.text_of("from a data url"), "data: URL content stored")
    for path in ("/to-file", "/to-data", "/to-ftp"):
        v.expect(u(path) not in stored, f"{path} followed")
    v = verdict("F12", "SSRF through redirects: 127.0.0.2, ::ffff:127.0.0.2, 169.254.169.254")
    v.figures["internal hits"] = len(site.internal_hits)
    v.figures["refused"] = run.stats.get("newscrawl/address_refused", 0)
    v.expect(not site.internal_hits, f"internal host hit: {site.internal_hits}")
    v.expect(not run.text_of(SECRET), "internal content stored")
    v.expect(run.stats.get("newscrawl/address_refused", 0) >= 3, "refusals not counted")
    v = verdict("F13", "DNS rebinding")
    v.expect(not site.internal_hits, "rebound name reached 127.0.0.2")
    rebound = [
        url for url, why in run.failures.items() if "rebind" in url and why == "address_refused"
    ]
    v.expect(bool(rebound), "the second answer for rebind.test was not refused")
    v = verdict("F14", "cookie and referrer across origins")
    echo = [h for h in site.hits if h.path == "/echo"]
    v.expect(bool(echo), "redirect target not reached")
    leaked = [h.headers for h in echo if "Cookie" in h.headers or "Authorization" in h.headers]
    v.figures["header leaks"] = len(leaked)
    v.expect(not leaked, f"headers leaked to another origin: {leaked}")
    referers = [h.headers.get("Referer", "") for h in echo]
    v.expect(all(r in ("", u("/")) for r in referers), f"full referrer leaked: {referers}")
    v = verdict("F18", "hostile HTML for the extractor")
    accounted = [p for p in html if p in stored or p in run.failures]
    v.expect(
        len(accounted) == len(html),
        f"pages neither stored nor failed: {set(html) - set(accounted)}",
    )
    texts = {item["url"]: item.get("text") or "" for item in run.items}
    for name in ("bom", "gb18030", "latin1-as-utf8", "utf8-as-latin1"):
        v.expect(ENCODED in texts.get(u(f"/html/{name}"), ""), f"{name}: text not decoded right")
    stored_html = [p for p in html if p in stored]
    v.figures["pages stored / failed"] = f"{len(stored_html)} / {len(html) - len(stored_html)}"
    v.figures["extraction timeouts"] = run.stats.get(
        "newscrawl/pages_dropped/extraction_timeout", 0
    )
    v = verdict("F20", "one article under 4 URLs")
    canonical = [r for r in run.rows if r["canonical_url"] == u("/dup/1")]
    v.expect(len(canonical) == 1, f"{len(canonical)} rows for one article")
    return run, verdicts


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- scenario 2: a scheduled crawl of hostile sites ------------------------------------


def discovery_scenario(site: FaultSite, workdir: Path) -> tuple[Run, list[Verdict]]:
    """`newscrawl crawl` of several hostile sites with sitemaps and feeds: robots.txt
    faults, sitemap and feed bombs, spider traps, 429 and 5xx storms. Faults F07-F09,
    F12 (sitemap links), F15-F17, F19."""
    u = site.url
    start = [u("/", "robots503.test"), u("/", "robotsreset.test"), u("/", "robots404.test"),
             u("/", "robotsbig.test"), u("/cal?d=0", "trap.test"), u("/", "ratelimit.test"),
             u("/", "storm.test")]  # fmt: skip
    sitemaps = [u("/sitemap-bomb.xml"), u("/sitemap-bomb.xml.gz"), u("/sitemap-links.xml")]
    feeds = [
        u("/feed-truncated.xml"),
        u("/feed-bomb.xml"),
        u("/feed-badbytes.xml"),
        u("/feed-huge.xml"),
    ]
    args = ["crawl", *start]
    for s in sitemaps:
        args += ["--sitemap", s]
    for f in feeds:
        args += ["--feed", f]
    run = crawl(workdir, args, {"NEWSCRAWL_MAX_PAGES_PER_SITE": "40", "NEWSCRAWL_SITE_FAILURE_LIMIT": "4",
                                "RETRY_TIMES": "2"})  # fmt: skip
    verdicts = Verdicts(run)
    verdict = verdicts.new

    def host_pages(host: str) -> list[str]:
        return [p for p in site.paths(host) if p != "/robots.txt"]

    v = verdict("F07", "429 with Retry-After on one site")
    # Each page of the limited site answers 429 "Retry-After: 3" the first time.
    asked: dict[str, list[float]] = {}
    for h in site.hits:
        if h.host == "ratelimit.test" and h.path != "/robots.txt":
            asked.setdefault(h.path, []).append(h.at)
    waits = [times[1] - times[0] for times in asked.values() if len(times) > 1]
    v.figures["ratelimit.test requests"] = sum(len(t) for t in asked.values())
    v.figures["shortest wait before a retry s"] = round(min(waits), 2) if waits else None
    v.expect(bool(waits), "the limited site was not retried")
    v.expect(all(w >= 2.95 for w in waits), f"retried before Retry-After (3 s): {waits}")
    v.expect(
        any("ratelimit.test" in str(i.get("url")) for i in run.items),
        "the limited site's article not stored",
    )
    v = verdict("F08", "5xx storm on one site")
    storm = host_pages("storm.test")
    v.figures["storm.test requests"] = len(storm)
    v.expect(len(storm) <= 4 + 16, f"{len(storm)} requests to a failing site")
    v = verdict("F09", "robots.txt: 503, reset, 404, 10 MB, Disallow")
    v.figures["page requests to fail-closed hosts"] = len(
        host_pages("robots503.test") + host_pages("robotsreset.test")
    )
    v.expect(
        not host_pages("robots503.test"),
        f"pages fetched despite a 503 robots.txt: {host_pages('robots503.test')}",
    )
    v.expect(not host_pages("robotsreset.test"), "pages fetched despite a reset robots.txt")
    v.expect("/" in host_pages("robots404.test"), "a 404 robots.txt stopped the crawl")
    v.expect("/" in host_pages("robotsbig.test"), "a 10 MB robots.txt stopped the crawl")
    # Every host but robots404.test (no robots.txt: no rules) disallows /private/.
    private = [(h.host, h.path) for h in site.hits
               if h.path.startswith("/private/") and h.host != "robots404.test"]  # fmt: skip
    v.figures["robots-disallowed hits"] = len(private)
    v.expect(not private, f"robots-disallowed paths fetched: {private}")
    v = verdict("F12", "SSRF through sitemap and feed links")
    v.expect(not site.internal_hits, f"internal host hit: {site.internal_hits}")
    v = verdict("F15", "sitemap with an entity bomb and an external entity")
    v.expect(not run.text_of(SECRET), "internal content stored")
    hostname = Path(LOCAL_FILE).read_text().strip() if Path(LOCAL_FILE).exists() else ""
    v.expect(not (len(hostname) > 3 and run.text_of(hostname)), "local file content stored")
    v.expect(site.url("/a/30.html") in _stored_urls(run) or "no URLs in sitemap" in run.stderr
             or "sitemap skipped" in run.stderr, "the sitemap's plain URL neither read nor reported")  # fmt: skip
    v = verdict("F16", "gzip sitemap that inflates to 1 GiB")
    v.expect(run.peak_rss_mib["main"] < 400, f"crawler peak {run.peak_rss_mib['main']} MiB")
    v.figures["crawler peak MiB"] = run.peak_rss_mib["main"]
    v = verdict("F17", "malformed feeds: truncated, entity bomb, bad bytes, 100k items")
    feed_items = [i for i in run.items if "/a/2" in str(i.get("url"))]
    v.expect(
        any(str(i.get("url")).endswith("/a/21.html") for i in feed_items),
        "items before the truncation lost",
    )
    v.expect(not run.text_of("lollollol"), "an entity of the feed bomb was expanded")
    # Read from the feed: stored, or (when the 100k-item feed was read first and
    # filled the site's budget of 40) kept pending for the next run.
    v.expect(site.url("/a/24.html") in _stored_urls(run) | _known_urls(workdir),
             "the bomb feed's plain item was lost")  # fmt: skip
    v = verdict("F19", "spider traps: calendar, session ids, tracking variants")
    trap = host_pages("trap.test")
    v.figures["trap.test requests"] = len(trap)
    v.expect(len(trap) <= 40, f"{len(trap)} requests to a trap site (cap 40)")
    return run, verdicts


# -- scenario 3: kill -9 and re-run -----------------------------------------------------


class _ArticleSite(QuietHandler):
    pages = 500
    hits: list[str] = []  # noqa: RUF012 - one site per trial run

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        if self.path == "/sitemap.xml":
            base = f"http://{self.headers['Host']}"
            entries = "".join(
                f"<url><loc>{base}/a/{n}.html</loc><news:news><news:publication_date>"
                "2026-11-20</news:publication_date></news:news></url>"
                for n in range(self.pages)
            )
            body = ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                    f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>')  # fmt: skip
            self.send_page(body.encode(), "application/xml")
        elif self.path.startswith("/a/"):
            time.sleep(0.01)
            self.send_page(article_html(int(self.path[3:].split(".")[0])).encode())
        else:
            self.send_error(404)


@contextmanager
def article_site(pages: int = 500) -> Iterator[str]:
    """A news sitemap of `pages` articles, served on 127.0.0.1."""
    handler = type("ArticleSite", (_ArticleSite,), {"pages": pages})
    # QuietServer: a killed crawler hangs up mid-answer.
    with serving(handler, QuietServer) as base:
        yield f"{base}/sitemap.xml"


@dataclass
class KillTrials:
    trials: int = 0
    killed_at: list[float] = field(default_factory=list)
    integrity_ok: int = 0
    checks: int = 0
    lost: int = 0  # acknowledged (committed) articles missing after a kill
    duplicates: int = 0
    final_counts: list[int] = field(default_factory=list)
    jsonl_valid: int = 0
    # Articles fetched before the kill but not yet committed, so fetched again by the
    # re-run: at-least-once at work (the upsert makes the repeat harmless).
    refetched: int = 0
    # JSON Lines output is appended as items come: an item written before the kill
    # but not committed to SQLite is fetched again and written again.
    jsonl_repeats: int = 0


def kill_trials(trials: int, workdir: Path, seed: int = 7, pages: int = 500) -> KillTrials:
    """F21/F22: SIGKILL at a random moment of a crawl of `pages` articles, then the
    same command again; after each re-run all `pages` are stored exactly once."""
    rng = random.Random(seed)
    result = KillTrials()
    with article_site(pages) as sitemap:
        for trial in range(trials):
            folder = workdir / f"trial-{trial}"
            moment = rng.uniform(0.5, 10.0)
            settings = {
                "NEWSCRAWL_SQLITE_COMMIT_EVERY": "20",
                "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
            }

            def kill_at(
                process: subprocess.Popen[bytes], seconds: float, moment: float = moment
            ) -> bool:
                if seconds >= moment:
                    process.send_signal(signal.SIGKILL)
                    return True
                return False

            _ArticleSite.hits.clear()
            first = crawl(folder, ["crawl", "--sitemap", sitemap], settings, stop=kill_at)
            fetched_first = {p for p in _ArticleSite.hits if p.startswith("/a/")}
            _ArticleSite.hits.clear()
            result.killed_at.append(round(moment, 1))
            result.checks += 1
            result.integrity_ok += first.integrity in ("ok", None)
            before = {r["canonical_url"] for r in first.rows}
            second = crawl(folder, ["crawl", "--sitemap", sitemap], settings)
            result.refetched += len(
                fetched_first & {p for p in _ArticleSite.hits if p.startswith("/a/")}
            )
            urls = [str(item.get("url")) for item in second.items]
            result.jsonl_repeats += len(urls) - len(set(urls))
            result.checks += 1
            result.integrity_ok += second.integrity == "ok"
            after = [r["canonical_url"] for r in second.rows]
            result.lost += len(before - set(after))
            result.duplicates += len(after) - len(set(after))
            result.final_counts.append(len(set(after)))
            result.jsonl_valid += _jsonl_valid(folder / "out.jsonl")
            result.trials += 1
    return result


def _jsonl_valid(path: Path) -> bool:
    if not path.exists():
        return True
    for line in path.read_text("utf-8").splitlines():
        try:
            json.loads(line)
        except ValueError:
            return False
    return True


# -- scenario 4: stop, disk, lock, memory -----------------------------------------------


def trap_cap_scenario(site: FaultSite, workdir: Path) -> Verdict:
    """F19 without a depth limit: the per-site page cap alone ends a crawl of a
    site that links on for ever."""
    run = crawl(workdir, ["crawl", site.url("/cal?d=100", "captrap.test")],
                {"DEPTH_LIMIT": "0", "NEWSCRAWL_MAX_PAGES_PER_SITE": "12"})  # fmt: skip
    pages = [p for p in site.paths("captrap.test") if p != "/robots.txt"]
    v = Verdict(
        "F19", "spider trap with no depth limit, per-site cap 12", run.finish_reason == "finished"
    )
    v.figures["captrap.test requests"] = len(pages)
    v.expect(len(pages) <= 12, f"{len(pages)} requests (cap 12)")
    v.expect(run.stats.get("newscrawl/pages_over_site_cap", 0) > 0, "the cap was never reached")
    return v


def torn_jsonl_scenario(site: FaultSite, workdir: Path) -> Verdict:
    """F22 (by hand): a JSON Lines file whose last line a killed run tore is
    repaired by the next run, which appends after the last complete line."""
    workdir.mkdir(parents=True, exist_ok=True)
    kept = json.dumps({"url": "http://example.invalid/kept", "text": "kept"})
    (workdir / "out.jsonl").write_text(kept + "\n" + '{"url": "http://example.inv', "utf-8")
    run = crawl(workdir, ["crawl", site.url("/a/50.html")], {"NEWSCRAWL_MAX_PAGES": "1"})
    lines = (workdir / "out.jsonl").read_text("utf-8").splitlines()
    v = Verdict("F22", "torn last line of a JSON Lines output", run.finish_reason == "finished")
    v.figures["torn lines repaired"] = int("torn line" in run.stderr)
    v.expect(_jsonl_valid(workdir / "out.jsonl"), "an invalid line is left")
    v.expect(lines[:1] == [kept], "the complete line before the tear was lost")
    v.expect(len(lines) == 2, f"{len(lines)} lines after the re-run")
    return v


def _sigterm_during_drip(
    site: FaultSite, sent: list[float]
) -> Callable[[subprocess.Popen[bytes], float], bool]:
    """A `stop` for `crawl`: SIGTERM once this run's drip is being fetched, noting
    when. An earlier scenario's fetch of /drip does not count: on a busy machine
    the run may not have reached its own yet (then nothing waits for the stop)."""
    earlier = len(site.hits)

    def terminate(process: subprocess.Popen[bytes], seconds: float) -> bool:
        if seconds >= 4 and any(h.path == "/drip" for h in site.hits[earlier:]):
            process.send_signal(signal.SIGTERM)
            sent.append(time.monotonic())
            return True
        return False

    return terminate


def shutdown_scenario(site: FaultSite, workdir: Path) -> Verdict:
    """F23: SIGTERM while a download drips: the run ends within DOWNLOAD_TIMEOUT plus
    a margin, with finish reason shutdown and storage consistent."""
    sent: list[float] = []
    terminate = _sigterm_during_drip(site, sent)

    run = crawl(workdir, ["scrape", site.url("/a/1.html"), site.url("/drip"), site.url("/a/2.html")],
                {"DOWNLOAD_TIMEOUT": "10"}, stop=terminate)  # fmt: skip
    took = run.ended - sent[0] if sent else None
    v = Verdict(
        "F23", "SIGTERM with a slow download in flight", survived=run.returncode is not None
    )
    v.figures["stop seconds"] = round(took, 1) if took is not None else None
    v.expect(bool(sent), "the drip was never requested")
    v.expect(took is not None and took <= 10 + 5, f"stopped after {took} s (DOWNLOAD_TIMEOUT 10)")
    v.expect(run.finish_reason == "shutdown", f"finish reason {run.finish_reason}")
    v.expect(run.integrity == "ok", f"integrity {run.integrity}")
    return v


def stop_watchdog_scenario(site: FaultSite, workdir: Path) -> Verdict:
    """F23, the other half: a stop that would take long (a download allowed 60 s)
    is cut at NEWSCRAWL_STOP_TIMEOUT (3 s) with a clear message; what was
    committed stays, the database is consistent."""
    sent: list[float] = []
    terminate = _sigterm_during_drip(site, sent)

    run = crawl(workdir, ["scrape", site.url("/a/61.html"), site.url("/drip"), site.url("/a/62.html")],
                {"DOWNLOAD_TIMEOUT": "60", "NEWSCRAWL_STOP_TIMEOUT": "3",
                 "NEWSCRAWL_SQLITE_COMMIT_SECONDS": "0.5"}, stop=terminate)  # fmt: skip
    took = run.ended - sent[0] if sent else None
    v = Verdict(
        "F23", "a stop that would wait 60 s for a download", survived=run.returncode is not None
    )
    v.figures["stop seconds"] = round(took, 1) if took is not None else None
    v.expect(bool(sent), "the drip was never requested")
    v.expect(
        took is not None and took <= 3 + 2, f"stopped after {took} s (NEWSCRAWL_STOP_TIMEOUT 3)"
    )
    v.expect(run.returncode == 3, f"exit {run.returncode}")
    v.expect("did not stop within NEWSCRAWL_STOP_TIMEOUT" in run.stderr, "no message")
    v.expect(run.integrity == "ok", f"integrity {run.integrity}")
    return v


def disk_full_scenario(site: FaultSite, workdir: Path) -> Verdict:
    """F24: the database cannot grow (RLIMIT_FSIZE, as on a full disk): a distinct
    finish reason, one clear error, exit 1, a clean database that keeps what was
    committed."""
    import resource

    from newscrawl.storage import ArticleStore

    urls = [site.url(f"/a/{n}.html") for n in range(100, 160)]
    workdir.mkdir(parents=True, exist_ok=True)
    db, stats = workdir / "crawl.sqlite", workdir / "stats.json"
    ArticleStore.open(db).close()  # an existing database, which then runs out of room
    # No file may grow past the empty store's size and 64 KB: room for a few
    # articles, not for 60. (The empty store alone is past 64 KB since the
    # full-text index and the story tables.)
    room = db.stat().st_size + 64_000

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    args = [str(BIN / "newscrawl"), "scrape", *urls, "--db", str(db)]
    for name, value in {**BASE_SETTINGS, "NEWSCRAWL_STATS_FILE": str(stats),
                        "NEWSCRAWL_SQLITE_COMMIT_EVERY": "1"}.items():  # fmt: skip
        args += ["-s", f"{name}={value}"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(args, env=env, capture_output=True, preexec_fn=small_files,
                          timeout=120, check=False, stdout=None)  # fmt: skip
    err = done.stderr.decode()
    record = json.loads(stats.read_text()) if stats.exists() else {}
    v = Verdict("F24", "disk full while storing", survived=done.returncode in (0, 1))
    reason = record.get("stats", {}).get("finish_reason")
    stored = len(_read_rows(db))
    v.figures.update({"finish reason": reason, "rows kept": stored})
    v.expect(reason == "storage_error", f"finish reason {reason}")
    v.expect(done.returncode == 1, f"exit {done.returncode}")
    v.expect("Traceback" not in err, "a traceback on stderr")
    v.expect("newscrawl: error: the crawl stopped: cannot" in err, "no clear error")
    v.expect(err.count("stopping the crawl") == 1, "the error repeated")
    v.expect(_integrity(db) == "ok", "database not consistent")
    v.expect(0 < stored < len(urls), f"{stored} rows kept")
    return v


def overlap_scenario(site: FaultSite, workdir: Path) -> Verdict:
    """F25: a second run while the first holds the database: refused with a clear
    message; a reader meanwhile is never blocked (WAL)."""
    held, first_ended = threading.Event(), threading.Event()
    # The first run's request for /held waits until the second run is done: the
    # first certainly holds the database meanwhile, however slow the machine
    # (a download timed out on a drip gave the second run a few seconds to start).
    site.held_until.clear()
    asked_before = sum(h.path == "/held" for h in site.hits)

    def hold(process: subprocess.Popen[bytes], seconds: float) -> bool:
        if sum(h.path == "/held" for h in site.hits) > asked_before:
            held.set()
            return True
        return False

    result: dict[str, Any] = {}

    def second_run() -> None:
        try:
            while not held.wait(0.1):
                if first_ended.is_set():
                    return  # it never asked for /held: no second run
            time.sleep(0.5)
            db = workdir / "crawl.sqlite"
            try:
                with sqlite3.connect(db, timeout=1) as reader:
                    reader.execute("SELECT count(*) FROM articles").fetchone()
                result["reader"] = "ok"
            except sqlite3.Error as exc:
                result["reader"] = str(exc)
            args = [str(BIN / "newscrawl"), "scrape", site.url("/a/3.html"), "--db", str(db)]
            result["second"] = subprocess.run(args, capture_output=True, timeout=60, check=False)
        finally:
            site.held_until.set()  # the first run gets its page and ends

    other = threading.Thread(target=second_run)
    other.start()
    run = crawl(workdir, ["scrape", site.url("/a/1.html"), site.url("/held")],
                {"DOWNLOAD_TIMEOUT": "150"}, jsonl=False, stop=hold)  # fmt: skip
    first_ended.set()
    other.join()
    second = result.get("second")
    v = Verdict("F25", "overlapping runs on one database", survived=run.returncode in (0, 1))
    v.expect(second is not None and second.returncode == 2, "the second run was not refused")
    message = second.stderr.decode() if second is not None else ""
    v.expect(
        "is using" in message and "this one stops" in message, f"unclear message: {message[-200:]}"
    )
    v.expect("Traceback" not in message, "a traceback")
    v.expect(result.get("reader") == "ok", f"reader blocked: {result.get('reader')}")
    return v


def memory_scenario(site: FaultSite, workdir: Path) -> list[Verdict]:
    """F26: an extraction worker limited to 450 MiB of address space (its fork server
    alone maps about 320) meets a page of 7 MB of text
    (within what a worker parses of a page: a page of a million elements is cut
    before it, see newscrawl/pageworker.py); the crawler with a tiny MEMUSAGE
    limit stops cleanly."""
    run = crawl(workdir / "worker", ["scrape", site.url("/a/1.html"), site.url("/html/wordy")],
                {"NEWSCRAWL_WORKER_MEMORY_MB": "450", "NEWSCRAWL_EXTRACT_TIMEOUT": "60"})  # fmt: skip
    worker = Verdict(
        "F26", "memory ceiling of an extraction worker", run.finish_reason == "finished"
    )
    reason = run.failures.get(site.url("/html/wordy"))
    worker.figures["worker failure"] = reason
    worker.figures["worker peak MiB"] = run.peak_rss_mib["workers"]
    worker.expect(reason in ("extraction_memory", "extraction_crashed"), f"7 MB page: {reason}")
    worker.expect(site.url("/a/1.html") in _stored_urls(run), "the good page was lost")
    slow = [site.url(f"/a/{n}.html") for n in range(200, 230)] + [site.url("/drip")]
    run = crawl(workdir / "crawler", ["scrape", *slow],
                {"MEMUSAGE_LIMIT_MB": "60", "MEMUSAGE_CHECK_INTERVAL_SECONDS": "1", "DOWNLOAD_TIMEOUT": "8"})  # fmt: skip
    crawler = Verdict("F26", "memory ceiling of the crawler", run.returncode is not None)
    crawler.figures["finish reason"] = run.finish_reason
    crawler.expect(run.finish_reason == "memusage_exceeded", f"finish reason {run.finish_reason}")
    crawler.expect(run.integrity == "ok", f"integrity {run.integrity}")
    return [worker, crawler]


def start_url_scenario(workdir: Path) -> Verdict:
    """F11 (second half): a file:// start URL is refused before anything runs."""
    done = subprocess.run([str(BIN / "newscrawl"), "scrape", f"file://{LOCAL_FILE}"],
                          capture_output=True, timeout=60, check=False, cwd=workdir)  # fmt: skip
    v = Verdict("F11", "a file:// start URL", survived=True)
    err = done.stderr.decode()
    v.expect(done.returncode == 2, f"exit {done.returncode}")
    v.expect(
        "Traceback" not in err and len(err.strip().splitlines()) == 1, f"not one line: {err!r}"
    )
    return v
