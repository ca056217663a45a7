"""A `--writer` worker (its articles go to `newscrawl writer` through Redis) whose
Redis stalls: real redis-server (stopped with SIGSTOP, as a host that drops
packets leaves it), real worker and writer processes, local sites."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .gatedsite import Gate
from .multisite import MultiSite, NewsSite
from .servers import RedisServer
from .test_cluster import (  # noqa: F401  (an autouse fixture: no worker outlives a test)
    finish,
    held,
    news_sitemap,
    no_worker_outlives_its_test,
    texts_of,
    worker,
    writer,
)

# The client's socket timeout (newscrawl/cluster/run.py): what one call to a
# stalled Redis blocks the crawl for.
SOCKET_TIMEOUT = 5


@pytest.fixture()
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, since it stops it."""
    server = RedisServer()
    yield server
    server.process.send_signal(signal.SIGCONT)  # a failed test may leave it stopped
    server.stop()


def wait_until(condition: object, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, f"the worker ended before {what}"
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)


class Lines:
    """A process's stderr as it comes (a thread reads it)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        # Its stdout too: a full pipe would block it.
        assert process.stdout is not None
        self.drain = threading.Thread(target=process.stdout.read, daemon=True)
        self.drain.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace"))

    def wait_for(self, text: str, seconds: float) -> None:
        """Until a line holds `text`, the process ends, or `seconds` pass."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            if any(text in line for line in list(self.lines)):
                return
            time.sleep(0.1)

    def finish(self, timeout: float) -> tuple[int, str]:
        code = self.process.wait(timeout)
        self.reader.join(10)
        self.drain.join(10)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        return code, "".join(self.lines)


def counts_of(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(
            connection.execute("SELECT counter, sum(value) FROM run_counts GROUP BY counter")
        )


def test_a_writer_worker_waits_out_a_redis_stall_while_it_sends_articles(
    own_redis: RedisServer, tmp_path: Path
):
    """A 20 s stall stopped a `--writer` worker at its first article: exit 1, "could
    not send an article to the writer: Timeout reading from socket", although
    the README promises NEWSCRAWL_CLUSTER_TIMEOUT of patience (found by a cluster
    review). The articles answered while Redis is stopped wait in the worker;
    each reaches the writer once, and the run ends as if nothing happened."""
    sites = MultiSite(1, articles=10)
    site = sites.sites[0]
    site.gate = Gate("/news/", 3)  # the others are answered while Redis is stopped
    db = tmp_path / "w.sqlite"
    try:
        store = writer(own_redis.url, "run-stall", db)
        process = worker(
            own_redis.url, "", "run-stall", "0/1", sites.urls, "--writer",
            "-s", "NEWSCRAWL_CLUSTER_TIMEOUT=30",
        )  # fmt: skip
        wait_until(lambda: held(site), process, "an article was held back")
        lines = Lines(process)
        own_redis.process.send_signal(signal.SIGSTOP)
        try:
            site.gate.open()  # their articles go to a Redis that does not answer
            # Until an article has found Redis stopped: the worker's calls of its
            # own block it 5 s each meanwhile, so a fixed stall may pass first.
            lines.wait_for("the articles and URL states for the writer wait in memory", 45)
        finally:
            own_redis.process.send_signal(signal.SIGCONT)
        code, stderr = lines.finish(120)
        assert code == 0, stderr[-3000:]
        assert "the articles and URL states for the writer wait in memory" in stderr, stderr
        assert "could not send" not in stderr, stderr[-3000:]
        assert "Traceback" not in stderr
        code, written, _ = finish(store, 120)
        assert code == 0, written[-3000:]
        articles = len(site.articles)
        # Each once: an article pushed twice would count "unchanged" beside "new".
        assert f"{articles} articles (new {articles})" in written, written[-2000:]
        assert sorted(texts_of(db)) == sorted(site.articles)
        counts = counts_of(db)
        assert counts["stored"] == counts["sent_to_writer"] == articles
    finally:
        sites.close()


def sitemap_site(urls: int) -> tuple[MultiSite, NewsSite]:
    """A site whose sitemap lists `urls` articles, held back until the test opens it."""
    sites = MultiSite(1, articles=urls)
    site = sites.sites[0]
    site.pages["/robots.txt"] = f"User-agent: *\nSitemap: {site.url}sitemap.xml\n".encode()
    site.pages["/sitemap.xml"] = news_sitemap(
        site, ["/" + url.removeprefix(site.url) for url in site.articles]
    )
    site.gate = Gate("/sitemap.xml", 0)
    return sites, site


def test_a_writer_worker_reading_a_sitemap_while_redis_stalls_stops_within_its_timeout(
    own_redis: RedisServer, tmp_path: Path
):
    """While Redis stalled, each URL of a sitemap blocked the worker for the socket
    timeout (5 s) before its state was dropped: NEWSCRAWL_CLUSTER_TIMEOUT=10 and a
    sitemap of 40 URLs took 221 s, and the last line said "did not answer for 10 s"
    (found by a cluster review). The states wait in memory; the worker stops
    about its timeout after Redis stopped answering, with the sitemap's page
    still in flight, and the shard's next worker does it again: nothing lost."""
    sites, site = sitemap_site(40)
    db = tmp_path / "w.sqlite"
    try:
        store = writer(own_redis.url, "run-relay", db)  # waits 60 s for Redis
        process = worker(
            own_redis.url, "", "run-relay", "0/1", sites.urls, "--writer",
            "-s", "NEWSCRAWL_CLUSTER_TIMEOUT=4",
        )  # fmt: skip
        assert site.gate is not None
        wait_until(lambda: site.gate and site.gate.asked, process, "the sitemap was asked for")
        own_redis.process.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        site.gate.open()
        try:
            code, stderr, ended = finish(process, 60)
        finally:
            own_redis.process.send_signal(signal.SIGCONT)
        # The timeout and a few blocking calls of SOCKET_TIMEOUT each (the scheduler's
        # first, the outbox's first, a last one): not one per URL (40).
        assert ended - stopped < 4 + 5 * SOCKET_TIMEOUT, stderr
        assert code == 1, stderr[-3000:]
        assert "Traceback" not in stderr
        last = stderr.strip().splitlines()[-1]
        assert last.startswith(
            "newscrawl: error: this worker stopped: the cluster's Redis did not answer for 4 s"
        ), last
        assert stderr.count("could not send a URL's state") == 0, stderr[-3000:]

        # Redis is back: the shard's next worker finds the sitemap in flight, and
        # every URL it lists is settled.
        code, stderr, _ = finish(
            worker(own_redis.url, "", "run-relay", "0/1", sites.urls, "--writer"), 120
        )
        assert code == 0, stderr[-3000:]
        code, written, _ = finish(store, 120)
        assert code == 0, written[-3000:]
        listed = sorted(site.articles)
        assert sorted(texts_of(db)) == listed
        with sqlite3.connect(db) as connection:
            states = dict(connection.execute("SELECT url, state FROM urls"))
        assert all(states.get(url) == "done" for url in listed), states
    finally:
        sites.close()
