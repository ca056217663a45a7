#!/usr/bin/env python3
"""Scaling benchmark: one cluster worker against two, on a CPU-bound load.

    .venv/bin/python bench/scaling.py [--sites 8] [--pages-per-site 250] [--pages-dir DIR]

Serves the saved pages (by default ../shared/data/*/html) as `--sites` news
sites, each on its own loopback port from its own process, with a news sitemap;
starts a real redis-server (the frontier) and PostgreSQL (the store) on free
loopback ports; then crawls every site with 1 worker, and again (a new run id, a
new database) with 2, all through `newscrawl crawl --cluster`. Prints pages/s of
each and their ratio.

Each worker extracts in its own process (`--workers 0`): a worker is one core's
worth of crawler, as on a machine of one core. (With its extraction pool, one
worker already uses every core of this 2-core machine, and a second on the same
machine has nothing left to scale into.) Politeness is set aside (a 1 ms delay,
4 requests per site at once) so that the load is extraction, not waiting.

Sites are split between workers by a hash of their name; with few sites the
split can be uneven, and the slower worker then sets the pace. The benchmark
takes sites whose split is even, and prints it, so that it measures the
workers and not the luck of the hash.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg
from throughput import serve

from newscrawl.cluster.keys import site_shard
from tests.servers import PostgresServer, RedisServer

BIN = Path(sys.executable).parent
SETTINGS = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0.001",
    "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4",
    "-s", "ROBOTSTXT_OBEY=False",
]  # fmt: skip


def start_site(files: list[str], pages: int) -> tuple[multiprocessing.Process, str]:
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(files, pages, ready), daemon=True)
    server.start()
    return server, f"http://127.0.0.1:{ready.get(timeout=30)}/"


def balanced_sites(files: list[str], count: int, pages: int) -> list[tuple[object, str]]:
    """`count` sites, half of them on each of two shards."""
    chosen: dict[int, list[tuple[object, str]]] = {0: [], 1: []}
    while len(chosen[0]) + len(chosen[1]) < count:
        server, url = start_site(files, pages)
        site = url.split("//")[1].rstrip("/")
        shard = site_shard(site, 2)
        if len(chosen[shard]) < count // 2 + count % 2 * shard:
            chosen[shard].append((server, url))
        else:
            server.terminate()
    return chosen[0] + chosen[1]


def crawl(workers: int, urls: list[str], redis_url: str, database: str) -> dict[str, float]:
    run_id = f"scale-{workers}-{int(time.time())}"
    sitemaps = [arg for url in urls for arg in ("--sitemap", f"{url}sitemap.xml")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    processes = []
    for i in range(workers):
        command = [
            str(BIN / "newscrawl"), "crawl", *sitemaps, "--cluster", redis_url, "--run", run_id,
            "--shard", f"{i}/{workers}", "--db", database, "--workers", "0", "-L", "WARNING",
            *SETTINGS,
        ]  # fmt: skip
        processes.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )
    per_worker = []
    for process in processes:
        _, stderr = process.communicate()
        if process.returncode != 0:
            sys.exit(f"bench: a worker failed ({process.returncode}):\n{stderr.decode()[-2000:]}")
        summary = [line for line in stderr.decode().splitlines() if "articles:" in line]
        per_worker.append(summary[-1].split("articles: ")[1] if summary else "?")
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with psycopg.connect(database) as db:
        (stored,) = db.execute("SELECT count(*) FROM articles").fetchone()  # type: ignore[misc]
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    for n, line in enumerate(per_worker):
        print(f"  worker {n}/{workers}: {line}", flush=True)
    return {"pages": stored, "seconds": seconds, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=8, help="sites to serve (default 8)")
    parser.add_argument("--pages-per-site", type=int, default=250, help="default 250")
    parser.add_argument("--pages-dir", action="append", help="folders of .html pages")
    args = parser.parse_args()
    shared = ROOT.parent / "shared" / "data"
    folders = [Path(f) for f in args.pages_dir] if args.pages_dir else sorted(shared.glob("*/html"))
    files = sorted(str(f) for folder in folders for f in folder.glob("*.html"))
    if not files:
        sys.exit("bench: no .html pages (../shared/data/*/html, or --pages-dir)")
    redis, postgres = RedisServer(), PostgresServer()
    sites = balanced_sites(files, args.sites, args.pages_per_site)
    try:
        urls = [url for _, url in sites]
        print(
            f"{len(files)} distinct pages; {os.cpu_count()} cores; {len(urls)} sites x "
            f"{args.pages_per_site} pages, {len(urls) // 2 + len(urls) % 2} and {len(urls) // 2} "
            "sites on the two shards",
            flush=True,
        )
        results = {}
        for workers in (1, 2):
            print(f"crawling with {workers} worker(s) ...", flush=True)
            results[workers] = crawl(workers, urls, redis.url, postgres.new_database())
        base = results[1]["pages"] / results[1]["seconds"]
        print(f"\n{'workers':>7} {'pages':>6} {'secs':>7} {'pages/s':>8} {'ratio':>6} {'CPU s':>7}")
        for workers, r in results.items():
            rate = r["pages"] / r["seconds"]
            print(
                f"{workers:>7} {r['pages']:>6.0f} {r['seconds']:>7.1f} {rate:>8.1f} "
                f"{rate / base:>6.2f} {r['cpu']:>7.1f}"
            )
        print("(CPU s: the workers' own; the page servers, Redis and PostgreSQL run beside them)")
    finally:
        for server, _ in sites:
            server.terminate()  # type: ignore[attr-defined]
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
