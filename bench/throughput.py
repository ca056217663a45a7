#!/usr/bin/env python3
"""Throughput benchmark: plain trafilatura vs `newscrawl extract` vs `newscrawl crawl`.

    .venv/bin/python bench/throughput.py [--pages-dir DIR ...] [--sizes 2000,10000]

Serves a folder of saved HTML pages (by default ../shared/data/*/html), repeated
under distinct URLs to reach any page count, from a separate process on
127.0.0.1, with a news sitemap and link pages. Then, on the same pages:

1. the baseline: plain trafilatura.extract() in a loop in one process;
2. the ceiling: the same loop shared out over one process per core, the most
   the machine gives trafilatura alone;
3. `newscrawl extract` over the files (all workers);
4. `newscrawl crawl` of the served site into SQLite, at each size of --sizes;
5. a crawl with --workers 0 and one with the pool on the same pages, compared
   item for item;
6. what issue 18's features cost: the first size crawled again with --archive
   (WARC of every response), and the store's writes of the same articles with
   the full-text index (FTS5 triggers) and without, and a story signature
   (MinHash) a text.

It prints pages/s, the ratio to the baseline, CPU seconds (in all and per page)
and peak memory (the
whole process tree, and the crawler's main process alone), and the CPU that
cleaning and storage take next to extraction. A script, not a test: the figures
depend on the machine and on what else runs on it; read the ratios.
"""

from __future__ import annotations

import argparse
import http.server
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
from tests.proctree import process_tree, status_fields

BIN = Path(sys.executable).parent
DEFAULT_PAGES = str(ROOT.parent / "shared" / "data" / "*" / "html")
# A page's own canonical link would fold the copies together; the server drops it.
CANONICAL = re.compile(
    rb"<link[^>]+rel=[\"']?canonical[^>]*>|<meta[^>]+og:url[^>]*>", re.IGNORECASE
)
LINKS_PER_HUB = 100


# -- the site ------------------------------------------------------------------


def serve(files: list[str], count: int, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Serve `count` pages (copies of `files`) with a sitemap and hub pages; runs in
    its own process so that serving does not compete with the measured one's GIL."""
    bodies = [CANONICAL.sub(b"", Path(f).read_bytes()) for f in files]

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path.startswith("/p/") and path.endswith(".html"):
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


def _pss(pid: int) -> int:
    """Proportional set size of `pid` in bytes: its private pages, plus its share
    of the pages it shares (the extraction workers share what their fork server
    loaded); summed over processes, every page counts once."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    line = next((x for x in rollup.splitlines() if x.startswith("Pss:")), "Pss: 0 kB")
    return int(line.split()[1]) * 1024


def tree_rss(pid: int) -> tuple[int, int, int]:
    """(RSS of pid, RSS summed over pid and all its descendants, PSS of the same), in
    bytes. The RSS sum counts a page shared by several processes once per process."""
    family = process_tree(pid)
    rss = {p: int(status_fields(p).get("VmRSS", "0 kB").split()[0]) * 1024 for p in family}
    return rss[pid], sum(rss.values()), sum(_pss(p) for p in family)


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
    """The store's writes of the crawl's articles, timed with its full-text index
    and without (its FTS5 triggers dropped), each into a new SQLite file; and the
    MinHash signature of a text (newscrawl/duplicates.py), on its own."""
    import json

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
    texts = [record["text"] for record in records]
    started = time.perf_counter()
    for text in texts:
        signature(text)
    found["signature_ms"] = 1000 * (time.perf_counter() - started) / max(len(texts), 1)
    return found


def mib(n: object) -> str:
    return f"{int(n) / 2**20:,.0f}"  # type: ignore[call-overload]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pages-dir", action="append", help=f"folders of .html pages (default {DEFAULT_PAGES})"
    )
    parser.add_argument("--sizes", default="2000,10000", help="crawl sizes, comma-separated")
    parser.add_argument(
        "--baseline-pages", type=int, default=700, help="pages for the two offline runs"
    )
    parser.add_argument(
        "--compare-pages", type=int, default=400, help="pages for the pool/inline comparison"
    )
    parser.add_argument(
        "--discover", choices=["sitemap", "links"], default="sitemap",
        help="how the crawl finds the pages: the news sitemap, or the home page's link pages",
    )  # fmt: skip
    args = parser.parse_args()
    shared = ROOT.parent / "shared" / "data"
    folders = [Path(f) for f in args.pages_dir] if args.pages_dir else sorted(shared.glob("*/html"))
    files = sorted(str(f) for folder in folders for f in folder.glob("*.html"))
    if not files:
        sys.exit(f"bench: no .html pages in {', '.join(map(str, folders)) or DEFAULT_PAGES}")
    sizes = [int(s) for s in args.sizes.split(",")]
    newscrawl = str(BIN / "newscrawl")
    rows: list[tuple[str, int, dict[str, object]]] = []

    offline = [files[i % len(files)] for i in range(args.baseline_pages)]
    print(f"{len(files)} distinct pages; {os.cpu_count()} cores; sizes {sizes}", flush=True)
    rows.append(
        (
            "trafilatura loop (baseline)",
            len(offline),
            measured([sys.executable, "-c", BASELINE, *offline]),
        )
    )
    rows.append(
        (
            "trafilatura pool (ceiling)",
            len(offline),
            measured([sys.executable, "-c", CEILING, *offline]),
        )
    )
    rows.append(("newscrawl extract (*)", len(offline), measured([newscrawl, "extract", *offline])))
    offline_rows = len(rows)  # the crawls' rows follow these

    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    shares = []
    compare: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        runs = [(size, "") for size in sizes] + [(sizes[0], "archive")]
        runs += [(args.compare_pages, "compare")] * 2
        for size, kind in runs:
            server = multiprocessing.Process(target=serve, args=(files, size, ready), daemon=True)
            server.start()
            url = f"http://127.0.0.1:{ready.get(timeout=30)}/"
            comparing = kind == "compare"
            workers = ["--workers", "0"] if comparing and not compare else []
            run_name = f"bench-{size}-{len(rows)}-{len(compare)}"
            db, out = Path(scratch) / f"{run_name}.sqlite", Path(scratch) / f"{run_name}.jsonl"
            warc = Path(scratch) / f"{run_name}-warc"
            if kind == "archive":
                workers += ["--archive", str(warc)]
            # The saved pages link to their own sites' paths, which only answer 404
            # here: by default the crawl finds the pages through the sitemap alone.
            start = [url] if args.discover == "links" else ["--sitemap", f"{url}sitemap.xml"]
            command = [
                newscrawl, "crawl", *start, "--db", str(db), "-O", str(out), "-L", "INFO", *workers,
                "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
                "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
                "-s", "ROBOTSTXT_OBEY=False", "-s", "DEPTH_LIMIT=0",
            ]  # fmt: skip
            result = measured(command)
            server.terminate()
            stats = result["stderr"].decode()  # type: ignore[attr-defined]
            fetched = int(re.search(r"'newscrawl/pages/article': (\d+)", stats).group(1))  # type: ignore[union-attr]
            if comparing:
                # The store's texts: the JSON Lines records of a first crawl depend on
                # the order pages arrived in (site boilerplate is learned as they come).
                with sqlite3.connect(db) as connection:
                    rows_ = connection.execute("SELECT url, text FROM articles")
                    compare.append({url_.split("/", 3)[3]: text for url_, text in rows_})
                continue
            cpu = {k: int(v) for k, v in re.findall(r"'newscrawl/cpu_ms/(\w+)': (\d+)", stats)}
            shares.append((size, cpu))
            # Workers are children of the forkserver, which never reaps them into our
            # rusage: add the CPU they report.
            result["cpu"] = float(result["cpu"]) + cpu.get("extract", 0) / 1000  # type: ignore[arg-type]
            if kind == "archive":
                archived = sum(f.stat().st_size for f in warc.glob("*.warc.gz"))
                archive_cost = (size, fetched, result, archived)
                rows.append((f"crawl ({size} pages) --archive", fetched, result))
                features = store_costs(out)
                continue
            rows.append((f"newscrawl crawl ({size} pages)", fetched, result))

    base_rate = rows[0][1] / float(rows[0][2]["wall"])  # type: ignore[arg-type]
    print()
    print(
        f"{'run':32} {'pages':>6} {'secs':>7} {'pages/s':>8} {'ratio':>6} {'CPU s':>7} {'ms/page':>7}"
        f" {'peak MiB: PSS all':>17} {'RSS all':>8} {'main':>6}"
    )
    for name, pages, r in rows:
        rate = pages / float(r["wall"])  # type: ignore[arg-type]
        print(
            f"{name:32} {pages:6} {float(r['wall']):7.1f} {rate:8.1f} {rate / base_rate:6.2f}"  # type: ignore[arg-type]
            f" {float(r['cpu']):7.1f} {1000 * float(r['cpu']) / pages:7.1f} {mib(r['pss_peak']):>17} {mib(r['tree_peak']):>8} {mib(r['main_peak']):>6}"
        )  # type: ignore[arg-type]
    if len(sizes) >= 2:
        small, large = rows[offline_rows], rows[-1]
        print(
            f"\nfrom {sizes[0]} to {sizes[-1]} pages: throughput x{(large[1] / float(large[2]['wall'])) / (small[1] / float(small[2]['wall'])):.2f}, "  # type: ignore[arg-type]
            f"peak memory (PSS) x{int(large[2]['pss_peak']) / int(small[2]['pss_peak']):.2f}"
        )  # type: ignore[call-overload]
    for size, cpu in shares:
        extract = cpu.get("extract", 0) or 1
        print(
            f"crawl of {size}: CPU ms extract {cpu.get('extract', 0)}, clean {cpu.get('clean', 0)}, store {cpu.get('store', 0)}"
            f" -> cleaning + storage = {100 * (cpu.get('clean', 0) + cpu.get('store', 0)) / extract:.1f}% of extraction"
        )
    # What the CPU a page allows: with every core busy, a run that spends c ms of
    # CPU a page reaches at most cores x baseline ms / c times the baseline's rate.
    cores = len(os.sched_getaffinity(0))
    base_ms = 1000 * float(rows[0][2]["cpu"]) / rows[0][1]  # type: ignore[arg-type]
    for size, cpu in shares:
        extract_ms = cpu.get("extract", 0) / size
        print(
            f"ceiling from CPU a page, crawl of {size}: extraction alone {extract_ms:.1f} ms against the"
            f" baseline's {base_ms:.1f} -> at most {cores * base_ms / extract_ms:.2f}x on {cores} cores"
            " for any run that extracts as newscrawl does"
        )
    for name, pages, r in rows[offline_rows:]:
        page_ms = 1000 * float(r["cpu"]) / pages  # type: ignore[arg-type]
        print(
            f"ceiling from CPU a page, {name}: {page_ms:.1f} ms -> at most {cores * base_ms / page_ms:.2f}x"
        )
    print("(*) CPU of the main process only: its workers' CPU is not reported back.")
    print("PSS all: the whole process tree's memory, each shared page counted once;")
    print("RSS all: the same summed per process, shared pages counted in every process.")
    plain = next(r for name, _, r in rows if name == f"newscrawl crawl ({sizes[0]} pages)")
    size, fetched, with_archive, archived = archive_cost
    print(
        f"archive on vs off, crawl of {size}: wall {float(plain['wall']):.1f} -> {float(with_archive['wall']):.1f} s"  # type: ignore[arg-type]
        f" ({100 * (float(with_archive['wall']) / float(plain['wall']) - 1):+.0f}%), CPU {float(plain['cpu']):.1f} -> {float(with_archive['cpu']):.1f} s"  # type: ignore[arg-type]
        f" ({100 * (float(with_archive['cpu']) / float(plain['cpu']) - 1):+.0f}%); WARC {archived / 2**20:.1f} MiB, {archived / 1024 / max(fetched, 1):.1f} KiB an article"  # type: ignore[arg-type]
    )
    print(
        f"store writes of {features['articles']} articles: index off {features['off']:.2f} s,"
        f" on {features['on']:.2f} s -> the FTS5 index costs {1000 * (features['on'] - features['off']) / features['articles']:.2f} ms an article"
        f" ({100 * (features['on'] / features['off'] - 1):+.0f}% of a write); database {features['off_mib']:.1f} -> {features['on_mib']:.1f} MiB;"
        f" a story signature (MinHash) {features['signature_ms']:.2f} ms a text"
    )
    if len(compare) == 2:
        same = compare[0] == compare[1]
        print(
            f"--workers 0 vs pool on {args.compare_pages} pages: {len(compare[0])} and {len(compare[1])} items, "
            f"{'identical texts' if same else 'DIFFERENT'}"
        )


if __name__ == "__main__":
    main()
