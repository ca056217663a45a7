#!/usr/bin/env python3
"""Throughput benchmark: plain trafilatura vs `newscrawl extract` vs `newscrawl crawl`.

    .venv/bin/python bench/throughput.py [--pages-dir DIR ...] [--sizes distinct,2000,10000]
                                         [--discover sitemap,links] [--gc-compare]
                                         [--archive-compare]

Serves a folder of saved HTML pages (by default ../shared/data/*/html: 1,165
distinct pages), from a separate process on 127.0.0.1, with a news sitemap and
hub pages that link to the pages. Then:

1. the baseline: plain trafilatura.extract() in a loop in one process, over
   every distinct page once;
2. the ceiling: the same loop shared out over one process per core, the most
   the machine gives trafilatura alone;
3. `newscrawl extract` over the same files (all workers);
4. `newscrawl crawl` of the served site into SQLite, found through the news
   sitemap and through links (the home page, hub pages of 100 links, and the
   pages' own links, which lead to other served pages), at each size
   of --sizes. "distinct" is every page once; past that, pages REPEAT under new
   URLs (htmldate's cache then flatters the extraction a little: the distinct
   rows are the honest CPU figures, the larger ones show memory and pace);
5. with --gc-compare, the link-discovered crawl again with Python's default
   garbage-collector settings instead of runner.GC_THRESHOLD and gc.freeze();
6. with --archive-compare, what issue 18's features cost: the first crawl again
   with --archive (a WARC record of every response), and the store's writes of
   that crawl's articles with the full-text index (FTS5 triggers) and without,
   and a story signature (MinHash) a text;
7. a crawl with --workers 0 and one with the pool on the same pages, compared
   item for item.

It prints pages/s, the ratio to the baseline, CPU a page of the whole process
tree and of the crawler's process alone, the longest the crawler's event loop
went without turning (stat newscrawl/loop/max_lag_ms) and how much of that its
own work held it ("held": less the time its thread waited for a CPU, stat
newscrawl/loop/max_held_ms), and peak memory (PSS of the tree). A script, not a
test: the figures depend on the machine and on what else runs on it; read the
ratios.
"""

from __future__ import annotations

import argparse
import http.server
import itertools
import json
import multiprocessing
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newscrawl.demo.server import QuietHandler
from newscrawl.vocabulary import CPU_MS, LOOP_MAX_HELD_MS, LOOP_MAX_LAG_MS, PAGES
from tests.proctree import process_tree, pss_bytes, status_fields

BIN = Path(sys.executable).parent
DEFAULT_PAGES = str(ROOT.parent / "shared" / "data" / "*" / "html")
# A page's own canonical link would fold the copies together; the server drops it.
CANONICAL = re.compile(
    rb"<link[^>]+rel=[\"']?canonical[^>]*>|<meta[^>]+og:url[^>]*>", re.IGNORECASE
)
LINKS_PER_HUB = 100
ANCHOR_HREF = re.compile(rb"(<a\s[^>]*?href=)(\"[^\"]*\"|'[^']*')", re.IGNORECASE)


# -- the site ------------------------------------------------------------------


def serve(files: list[str], count: int, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Serve `count` pages (copies of `files`) with a sitemap and hub pages; runs in
    its own process so that serving does not compete with the measured one's GIL."""
    bodies = [CANONICAL.sub(b"", Path(f).read_bytes()) for f in files]
    # Their links lead to their own sites' paths, which would only answer 404 here:
    # they lead to other served pages instead, as an article's links lead on
    # within its site (most to pages the crawl has found already).
    links = itertools.count()
    bodies = [
        ANCHOR_HREF.sub(lambda m: m[1] + f"'/p/{next(links) % count}.html'".encode(), body)
        for body in bodies
    ]

    class Handler(QuietHandler):
        # Keep-alive, as news sites serve: over HTTP/1.0 every page cost the
        # crawler's process a new connection (a socket, Twisted's endpoint and
        # protocol set-up), about 1 ms of its CPU a page (9.3 and 8.8 against 7.1
        # and 8.1 ms, link-discovered crawls of the 1,165 pages, interleaved).
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path.startswith("/p/") and path.endswith(".html") and path[3:-5].isdigit():
                number = int(path[3:-5])
                body, kind = bodies[number % len(bodies)], "text/html; charset=utf-8"
            elif path == "/robots.txt":
                body, kind = b"User-agent: *\nSitemap: /sitemap.xml\n", "text/plain"
            elif path == "/sitemap.xml":
                base = f"http://{self.headers['Host']}"
                entries = "".join(
                    f"<url><loc>{base}/p/{n}.html</loc><news:news><news:publication_date>"
                    f"2026-11-01</news:publication_date></news:news></url>"
                    for n in range(count)
                )
                body = (
                    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                    f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>'
                ).encode()
                kind = "application/xml"
            elif path == "/" or path.startswith("/hub/"):
                page = int(path[5:-5]) if path.startswith("/hub/") else 0
                first = page * LINKS_PER_HUB
                links = "".join(
                    f"<a href='/p/{n}.html'>story {n}</a> "
                    for n in range(first, min(count, first + LINKS_PER_HUB))
                )
                more = (
                    f"<a href='/hub/{page + 1}.html'>next</a>"
                    if first + LINKS_PER_HUB < count
                    else ""
                )
                body = f"<html><body>{links}{more}</body></html>".encode()
                kind = "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_page(body, kind)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ready.put(server.server_address[1])
    server.serve_forever()


# -- measuring -------------------------------------------------------------------


def tree_rss(pid: int) -> tuple[int, int, int]:
    """(RSS of pid, RSS summed over pid and all its descendants, PSS of the same), in
    bytes. The RSS sum counts a page shared by several processes once per process."""
    family = process_tree(pid)
    rss = {p: int(status_fields(p).get("VmRSS", "0 kB").split()[0]) * 1024 for p in family}
    return rss[pid], sum(rss.values()), sum(pss_bytes(p) for p in family)


def measured(command: list[str], **kwargs: object) -> dict[str, object]:
    """Run a command; its wall time, CPU time (with descendants) and peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]
    peaks = [0, 0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for index, value in enumerate(tree_rss(process.pid)):
                peaks[index] = max(peaks[index], value)
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        sys.stderr.write(stderr.decode()[-2000:])
        sys.exit(f"bench: {' '.join(command[:3])} exited {process.returncode}")
    return {
        "wall": wall,
        "cpu": cpu,
        "main_peak": peaks[0],
        "tree_peak": peaks[1],
        "pss_peak": peaks[2],
        "stdout": stdout,
        "stderr": stderr,
    }


BASELINE = """
import sys, trafilatura
files = sys.argv[1:]
for name in files:
    with open(name, "rb") as fh:
        trafilatura.extract(fh.read(), include_comments=False)
"""

# The same loop over one process per core: the most the machine gives trafilatura
# alone, and so the ceiling for the ratios of the runs that do more per page.
CEILING = """
import os, sys, trafilatura
from concurrent.futures import ProcessPoolExecutor
def extract(name):
    with open(name, "rb") as fh:
        trafilatura.extract(fh.read(), include_comments=False)
if __name__ == "__main__":
    with ProcessPoolExecutor(len(os.sched_getaffinity(0))) as pool:
        list(pool.map(extract, sys.argv[1:], chunksize=4))
"""


def store_costs(jsonl: Path) -> dict[str, float]:
    """The store's writes of a crawl's articles, timed with its full-text index
    and without (its FTS5 triggers dropped), each into a new SQLite file; and the
    MinHash signature of a text (newscrawl/duplicates.py), on its own."""
    from newscrawl.duplicates import signature
    from newscrawl.items import ArticleItem
    from newscrawl.storage import ArticleStore

    records = [json.loads(line) for line in jsonl.read_text("utf-8").splitlines()]
    found: dict[str, float] = {"articles": len(records)}
    for mode in ("off", "on"):
        path = jsonl.with_name(f"{jsonl.stem}-index-{mode}.sqlite")
        store = ArticleStore.open(path)
        if mode == "off":
            for trigger in ("articles_ai", "articles_ad", "articles_au"):
                store.connection.execute(f"DROP TRIGGER {trigger}")
        started = time.perf_counter()
        for record in records:
            store.upsert(ArticleItem(**record))
        store.commit()
        found[mode] = time.perf_counter() - started
        store.close()
        found[f"{mode}_mib"] = path.stat().st_size / 2**20
    started = time.perf_counter()
    for record in records:
        signature(record["text"])
    found["signature_ms"] = 1000 * (time.perf_counter() - started) / max(len(records), 1)
    return found


def archive_lines(plain: dict[str, object], archived: dict[str, object], fetched: int,
                  warc_bytes: int, store: dict[str, float]) -> list[str]:  # fmt: skip
    """What --archive-compare prints: the crawl with the archive on vs off, and the
    store's writes with the full-text index on vs off."""
    wall = (float(plain["wall"]), float(archived["wall"]))  # type: ignore[arg-type]
    cpu = (float(plain["cpu"]), float(archived["cpu"]))  # type: ignore[arg-type]
    per_write = 1000 * (store["on"] - store["off"]) / max(store["articles"], 1)
    crawl = (
        f"archive off vs on, the same crawl: wall {wall[0]:.1f} -> {wall[1]:.1f} s"
        f" ({100 * (wall[1] / wall[0] - 1):+.0f}%), CPU {cpu[0]:.1f} -> {cpu[1]:.1f} s"
        f" ({100 * (cpu[1] / cpu[0] - 1):+.0f}%); WARC {warc_bytes / 2**20:.1f} MiB,"
        f" {warc_bytes / 1024 / max(fetched, 1):.1f} KiB an article"
    )
    index = (
        f"store writes of {store['articles']:.0f} articles: index off {store['off']:.2f} s,"
        f" on {store['on']:.2f} s: the FTS5 index costs {per_write:.2f} ms an article"
        f" ({100 * (store['on'] / store['off'] - 1):+.0f}% of a write); database"
        f" {store['off_mib']:.1f} -> {store['on_mib']:.1f} MiB; a story signature (MinHash)"
        f" {store['signature_ms']:.2f} ms a text"
    )
    return [crawl, index]


def mib(n: object) -> str:
    return f"{int(n) / 2**20:,.0f}"  # type: ignore[call-overload]


def crawl_command(url: str, db: Path, out: Path, discover: str, workers: list[str]) -> list[str]:
    """The crawl; its stats go to `db` with .stats.json for a suffix."""
    # The saved pages link to their own sites' paths, which only answer 404 here,
    # and to the served copies' onward links.
    start = [url] if discover == "links" else ["--sitemap", f"{url}sitemap.xml"]
    return [
        str(BIN / "newscrawl"), "crawl", *start, "--db", str(db), "-O", str(out), "-L", "INFO",
        *workers, "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
        "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
        "-s", "ROBOTSTXT_OBEY=False", "-s", "DEPTH_LIMIT=0",
        "-s", f"NEWSCRAWL_STATS_FILE={db.with_suffix('.stats.json')}",
    ]  # fmt: skip


# `newscrawl` with Python's default garbage-collector settings (for --gc-compare).
DEFAULT_GC = """
import gc, sys
import newscrawl.runner as runner
runner.GC_THRESHOLD = runner.DEFAULT_GC_THRESHOLD
gc.freeze = lambda: None
from newscrawl.cli import command
sys.argv[0] = "newscrawl"
command()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pages-dir", action="append", help=f"folders of .html pages (default {DEFAULT_PAGES})"
    )
    parser.add_argument(
        "--sizes", default="distinct,2000,10000",
        help="crawl sizes, comma-separated; distinct: every page once",
    )  # fmt: skip
    parser.add_argument(
        "--discover", default="sitemap,links",
        help="how the crawls find the pages: the news sitemap, links from the home page, or both",
    )  # fmt: skip
    parser.add_argument(
        "--gc-compare", action="store_true",
        help="also crawl through links with Python's default garbage-collector settings",
    )  # fmt: skip
    parser.add_argument(
        "--archive-compare", action="store_true",
        help="also the first crawl with --archive, and the store's writes with and without"
        " the full-text index",
    )  # fmt: skip
    parser.add_argument(
        "--compare-pages",
        type=int,
        default=400,
        help="pages for the pool/inline comparison (0: no comparison)",
    )
    parser.add_argument(
        "--crawls-only", action="store_true",
        help="only the crawls: no baseline, ceiling, `newscrawl extract` or pool/inline"
        " comparison (ratios to the baseline are then left blank)",
    )  # fmt: skip
    args = parser.parse_args()
    shared = ROOT.parent / "shared" / "data"
    folders = [Path(f) for f in args.pages_dir] if args.pages_dir else sorted(shared.glob("*/html"))
    files = sorted(str(f) for folder in folders for f in folder.glob("*.html"))
    if not files:
        sys.exit(f"bench: no .html pages in {', '.join(map(str, folders)) or DEFAULT_PAGES}")
    sizes = [len(files) if s == "distinct" else int(s) for s in args.sizes.split(",")]
    discovers = [d for d in args.discover.split(",") if d]
    if set(discovers) - {"sitemap", "links"}:
        sys.exit(f"bench: --discover: sitemap or links, not {args.discover}")
    newscrawl = str(BIN / "newscrawl")
    rows: list[tuple[str, int, dict[str, object]]] = []

    print(f"{len(files)} distinct pages; {os.cpu_count()} cores; sizes {sizes}", flush=True)
    if not args.crawls_only:
        rows.append(("trafilatura loop (baseline)", len(files),
                     measured([sys.executable, "-c", BASELINE, *files])))  # fmt: skip
        rows.append(("trafilatura pool (ceiling)", len(files),
                     measured([sys.executable, "-c", CEILING, *files])))  # fmt: skip
        rows.append(("newscrawl extract (*)", len(files),
                     measured([newscrawl, "extract", *files])))  # fmt: skip

    # (how pages are found, size, default GC, archive)
    runs = [(d, size, False, False) for d in discovers for size in sizes]
    if args.gc_compare:
        runs += [("links", size, True, False) for size in sizes]
    if args.archive_compare:
        runs.append((discovers[0], sizes[0], False, True))
    archive_report: list[str] = []
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    shares = []
    memory: dict[tuple[str, bool], list[tuple[int, int]]] = {}
    compared: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for discover, size, default_gc, archive in runs:
            server = multiprocessing.Process(target=serve, args=(files, size, ready), daemon=True)
            server.start()
            url = f"http://127.0.0.1:{ready.get(timeout=30)}/"
            name = f"{discover}-{size}{'-defaultgc' if default_gc else ''}"
            name += "-archive" if archive else ""
            db, out = Path(scratch) / f"{name}.sqlite", Path(scratch) / f"{name}.jsonl"
            warc = Path(scratch) / f"{name}-warc"
            command = crawl_command(url, db, out, discover, ["--archive", str(warc)] * archive)
            if default_gc:
                command = [sys.executable, "-c", DEFAULT_GC, *command[1:]]
            result = measured(command)
            server.terminate()
            stats = json.loads(db.with_suffix(".stats.json").read_text())["stats"]
            fetched = int(stats.get(f"{PAGES}article", 0))
            result["lag_ms"] = int(stats.get(LOOP_MAX_LAG_MS, -1))
            result["held_ms"] = int(stats.get(LOOP_MAX_HELD_MS, -1))
            cpu = {k[len(CPU_MS) :]: int(v) for k, v in stats.items() if k.startswith(CPU_MS)}
            shares.append((name, fetched, cpu))
            # Workers are children of the forkserver, which never reaps them into our
            # rusage: their CPU is what they report.
            result["main_cpu"] = float(result["cpu"])  # type: ignore[arg-type]
            result["cpu"] = float(result["cpu"]) + cpu.get("extract", 0) / 1000  # type: ignore[arg-type]
            gc_note = ", default GC" if default_gc else ""
            gc_note += ", --archive" if archive else ""
            rows.append((f"crawl {discover} {size}{gc_note}", fetched, result))
            if archive:  # against the same crawl without, the first row of `runs`
                plain = next(r for n, _, r in rows if n == f"crawl {discover} {size}")
                warc_bytes = sum(f.stat().st_size for f in warc.glob("*.warc.gz"))
                archive_report = archive_lines(plain, result, fetched, warc_bytes,
                                               store_costs(out))  # fmt: skip
                continue
            memory.setdefault((discover, default_gc), []).append((size, int(result["pss_peak"])))  # type: ignore[call-overload]
        compare = not args.crawls_only and args.compare_pages > 0
        for workers in (["--workers", "0"], []) if compare else ():
            server = multiprocessing.Process(
                target=serve, args=(files, args.compare_pages, ready), daemon=True
            )
            server.start()
            url = f"http://127.0.0.1:{ready.get(timeout=30)}/"
            db = Path(scratch) / f"compare{len(workers)}.sqlite"
            out = Path(scratch) / f"compare{len(workers)}.jsonl"
            measured(crawl_command(url, db, out, "sitemap", workers))
            server.terminate()
            # The store's texts: the JSON Lines records of a first crawl depend on
            # the order pages arrived in (site boilerplate is learned as they come).
            with sqlite3.connect(db) as connection:
                texts = connection.execute("SELECT url, text FROM articles")
                compare_rows = {address.split("/", 3)[3]: text for address, text in texts}
            compared.append(compare_rows)

    # Without the baseline's run, its ratios are blank (NaN).
    base = None if args.crawls_only else rows[0]
    base_rate = base[1] / float(base[2]["wall"]) if base else float("nan")  # type: ignore[arg-type]
    base_ms = 1000 * float(base[2]["cpu"]) / base[1] if base else float("nan")  # type: ignore[arg-type]
    print()
    print(
        f"{'run':30} {'pages':>6} {'secs':>7} {'pages/s':>8} {'ratio':>6} {'CPU ms/page':>11}"
        f" {'x loop':>6} {'crawler ms/page':>15} {'max lag ms':>10} {'held ms':>7}"
        f" {'peak PSS MiB':>12}"
    )
    for name, pages, r in rows:
        rate = pages / float(r["wall"])  # type: ignore[arg-type]
        page_ms = 1000 * float(r["cpu"]) / pages  # type: ignore[arg-type]
        crawler = f"{1000 * float(r['main_cpu']) / pages:15.1f}" if "main_cpu" in r else f"{'':15}"  # type: ignore[arg-type]
        lag = f"{r['lag_ms']:10}" if "lag_ms" in r else f"{'':10}"
        lag += f" {r['held_ms']:7}" if "held_ms" in r else f" {'':7}"
        print(
            f"{name:30} {pages:6} {float(r['wall']):7.1f} {rate:8.1f} {rate / base_rate:6.2f}"  # type: ignore[arg-type]
            f" {page_ms:11.1f} {page_ms / base_ms:6.2f} {crawler} {lag} {mib(r['pss_peak']):>12}"
        )
    for (discover, default_gc), points in memory.items():
        if len(points) < 2:
            continue
        (small, small_pss), (large, large_pss) = points[-2], points[-1]
        print(
            f"{discover}{' (default GC)' if default_gc else ''}: peak PSS {mib(small_pss)} MiB at"
            f" {small} pages, {mib(large_pss)} MiB at {large}: x{large_pss / small_pss:.2f}"
        )
    for name, fetched, cpu in shares:
        if not fetched:
            continue
        print(
            f"{name}: CPU ms a page: extract {cpu.get('extract', 0) / fetched:.1f},"
            f" clean {cpu.get('clean', 0) / fetched:.2f}, store {cpu.get('store', 0) / fetched:.2f}"
        )
    for line in archive_report:
        print(line)
    print("(*) CPU of the main process only: its workers' CPU is not reported back.")
    print("CPU ms/page: the whole tree (crawler + the CPU the workers report); x loop: its")
    print("ratio to the baseline's; crawler ms/page: the crawler's process alone.")
    if len(compared) == 2:
        same = compared[0] == compared[1]
        print(
            f"--workers 0 vs pool on {args.compare_pages} pages: "
            f"{'identical texts' if same else 'DIFFERENT texts'}"
        )


if __name__ == "__main__":
    main()
