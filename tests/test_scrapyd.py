"""Deploying to scrapyd: a real scrapyd on 127.0.0.1 receives the project's egg
from `scrapyd-deploy`, runs a crawl scheduled through its HTTP API, and the
articles arrive."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import BIN, REPO
from .servers import (  # noqa: F401  (fixtures)
    ServerExited,
    postgres_server,
    redis_server,
    start_on_a_free_port,
)
from .test_cluster import sites_on_both_shards

# Seconds scrapyd has to answer: listspiders.json starts `scrapy list` in a new
# process, which imports the project (seconds of CPU on a busy machine).
API_TIMEOUT = 120


def _api(base: str, action: str, data: dict[str, object] | None = None) -> dict[str, object]:
    body = urllib.parse.urlencode(data or {}, doseq=True).encode() if data is not None else None
    with urllib.request.urlopen(base + action, data=body, timeout=API_TIMEOUT) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


@pytest.fixture()
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """scrapyd on a free loopback port, its eggs, logs and items under tmp_path."""

    def launch(port: int) -> subprocess.Popen[bytes]:
        (tmp_path / "scrapyd.conf").write_text(
            f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
            "eggs_dir = eggs\nlogs_dir = logs\nitems_dir = items\ndbs_dir = dbs\n"
            # Two at once: the workers of a cluster run together.
            "max_proc = 2\npoll_interval = 0.5\n"
        )
        return subprocess.Popen([str(BIN / "scrapyd")], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def wait(port: int, server: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise ServerExited(f"scrapyd exited with {server.returncode}")
            try:
                _api(f"http://127.0.0.1:{port}/", "daemonstatus.json")
                return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("scrapyd did not start")
                time.sleep(0.2)

    port, server = start_on_a_free_port(launch, wait)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


# What scrapyd-deploy builds the egg from.
PROJECT_FILES = ("scrapy.cfg", "setup.py", "pyproject.toml", "README.md")


def _deploy(scrapyd: str, workdir: Path) -> None:
    """scrapyd-deploy from a copy of the project: it builds in the project's folder
    (build/, *.egg-info), which two tests running at once would share."""
    project = workdir / "project"
    shutil.copytree(REPO / "newscrawl", project / "newscrawl",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, project / name)
    deploy = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "env"], cwd=project, capture_output=True, timeout=120,
        env={**os.environ, "SCRAPYD_URL": scrapyd}, check=False,
    )  # fmt: skip
    assert deploy.returncode == 0, deploy.stderr.decode()[-2000:]
    assert _api(scrapyd, "listspiders.json?project=newscrawl")["spiders"] == ["article", "news"]


def _wait_for(scrapyd: str, jobs: list[str]) -> None:
    deadline = time.monotonic() + 300  # a hung crawl, not a slow machine
    while True:
        finished = {j["id"] for j in _api(scrapyd, "listjobs.json?project=newscrawl")["finished"]}  # type: ignore[union-attr]
        if set(jobs) <= finished:
            return
        assert time.monotonic() < deadline, "the scheduled crawl did not finish"
        time.sleep(0.5)


def test_scrapyd_deploy_then_a_scheduled_crawl_stores_the_articles(
    scrapyd: str, site_url: str, tmp_path: Path
) -> None:
    _deploy(scrapyd, tmp_path)

    pages = [
        site_url + "news/2026/03/ferry-timetable-changes-for-spring.html",
        site_url + "harbour/boatyard-reopens-after-fire.html",
    ]
    db = tmp_path / "scrapyd.sqlite"
    job = _api(scrapyd, "schedule.json", {
        "project": "newscrawl", "spider": "article", "urls": ",".join(pages),
        "setting": ["DOWNLOAD_DELAY=0.01", f"NEWSCRAWL_SQLITE_PATH={db}"],
    })["jobid"]  # fmt: skip
    _wait_for(scrapyd, [str(job)])

    items_file = tmp_path / "items" / "newscrawl" / "article" / f"{job}.jl"
    items = [json.loads(line) for line in items_file.read_text().splitlines()]
    assert sorted(item["url"] for item in items) == sorted(pages)
    assert all(item["text"] and item["word_count"] >= 15 for item in items)
    import sqlite3

    with sqlite3.connect(db) as stored:
        assert stored.execute("SELECT count(*) FROM articles").fetchone() == (2,)


def test_scrapyd_runs_the_two_workers_of_a_cluster_crawl(
    scrapyd: str,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The README's scrapyd lines for a cluster: one job per shard, settings only."""
    import psycopg

    _deploy(scrapyd, tmp_path)
    sites = sites_on_both_shards(articles=6, delay=0.01)
    try:
        database = postgres_server.new_database()
        jobs = [
            _api(scrapyd, "schedule.json", {
                "project": "newscrawl", "spider": "news", "urls": ",".join(sites.urls),
                "setting": [
                    "SCHEDULER=newscrawl.cluster.scheduler.ClusterScheduler",
                    f"NEWSCRAWL_CLUSTER_URL={redis_server.url}", "NEWSCRAWL_CLUSTER_RUN=scrapyd-1",
                    f"NEWSCRAWL_SHARD={shard}/2", f"NEWSCRAWL_DATABASE_URL={database}",
                    "NEWSCRAWL_SQLITE_COMMIT_EVERY=1", "DOWNLOAD_DELAY=0.01",
                ],
            })["jobid"]
            for shard in (0, 1)
        ]  # fmt: skip
        _wait_for(scrapyd, [str(job) for job in jobs])
        with psycopg.connect(database) as db:
            stored = sorted(url for (url,) in db.execute("SELECT canonical_url FROM articles"))
        assert stored == sites.articles
        twice = [p for site in sites.sites for p, n in site.hits.items() if n > 1]
        assert set(twice) <= {"/robots.txt"}  # (read by Scrapy's middleware and for sitemaps)
    finally:
        sites.close()
