"""Several workers, one crawl: real Redis and PostgreSQL servers on loopback, real
`newscrawl crawl --cluster` processes, local sites that count what they serve."""

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import scrapy
from scrapy import Request

from newscrawl.cluster.keys import (
    MAX_SHARDS,
    ClusterError,
    Shard,
    parse_run_id,
    site_shard,
)
from newscrawl.cluster.run import configuration_mismatch, run_configuration
from newscrawl.cluster.scheduler import JsonRequests, ShardQueue, shard_of
from newscrawl.storage import ArticleStore

from .conftest import BIN, FAST, REPO, run
from .discovery_site import article_page, hub_page
from .gatedsite import Gate
from .multisite import MultiSite, NewsSite
from .servers import postgres_server, redis_server  # noqa: F401  (fixtures)

PER_SITE = 2  # CONCURRENT_REQUESTS_PER_DOMAIN the workers run with
STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def no_worker_outlives_its_test() -> Iterator[None]:
    """A failed test must not leave workers crawling (they wait for their cluster)."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.communicate()


def worker(
    redis_url: str, database: str, run_id: str, shard: str, urls: list[str], *extra: str
) -> subprocess.Popen[bytes]:
    """One worker of the cluster, as a user starts it."""
    process = subprocess.Popen(
        [
            str(BIN / "newscrawl"), "crawl", *urls, "--cluster", redis_url, "--run", run_id,
            "--shard", shard, *(["--db", database] if database else []), "--workers", "0",
            "-s", "DOWNLOAD_DELAY=0.01", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={PER_SITE}", *extra,
        ],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    STARTED.append(process)
    return process


def finish(process: subprocess.Popen[bytes], timeout: float = 180) -> tuple[int, str, float]:
    """Exit code, stderr, and when (time.monotonic()) the worker was seen to end."""
    _, stderr = process.communicate(timeout=timeout)
    return process.returncode, stderr.decode(), time.monotonic()


def stored(database: str) -> list[str]:
    with psycopg.connect(database) as db:
        return sorted(url for (url,) in db.execute("SELECT canonical_url FROM articles"))


def sites_on_both_shards(articles: int, delay: float) -> MultiSite:
    """Sites enough that each of two shards has some (their ports are random)."""
    sites = MultiSite(3, articles, delay)
    while len({site_shard(s.name, 2) for s in sites.sites}) < 2:
        sites.add(articles, delay)
    return sites


@pytest.fixture()
def sites() -> Iterator[MultiSite]:
    sites = sites_on_both_shards(articles=12, delay=0.02)
    yield sites
    sites.close()


def test_two_workers_fetch_every_url_once_keep_per_site_limits_and_stop_together(
    sites: MultiSite,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    database = postgres_server.new_database()
    workers = [worker(redis_server.url, database, "run-1", f"{i}/2", sites.urls) for i in (0, 1)]
    ends = [finish(w) for w in workers]
    for code, stderr, _ in ends:
        assert code == 0, stderr[-3000:]
        assert "Traceback" not in stderr
        assert "WARNING" not in stderr, stderr  # no deprecation, nothing unexpected
        assert redis_server.password not in stderr and "test-secret" not in stderr
    for site in sites.sites:
        fetched_twice = {p: n for p, n in site.hits.items() if n > 1 and p != "/robots.txt"}
        assert fetched_twice == {}, site.name
        assert set(site.hits) == set(site.pages), site.name  # every page fetched
        assert site.max_in_flight <= PER_SITE, site.name
    assert stored(database) == sites.articles
    progress = run("newscrawl", "stats", "--cluster", redis_server.url, "--run", "run-1")
    assert progress.returncode == 0, progress.stderr
    # robots.txt is read by each worker's robots middleware, outside the shared queue.
    pages = sum(len(set(site.pages) - {"/robots.txt"}) for site in sites.sites)
    assert progress.stdout.decode().startswith(
        f"cluster run run-1: over; 2 shards, 2 seeded, 2 stopped; {pages} distinct requests;"
    ), progress.stdout
    # Both stop once the cluster is idle: the first does not leave early (its
    # sites would be missing above), and neither waits long for the other.
    assert abs(ends[0][2] - ends[1][2]) < 10

    # The next run has its own keys: hubs are fetched again, stored articles are not.
    for site in sites.sites:
        site.hits.clear()
    workers = [worker(redis_server.url, database, "run-2", f"{i}/2", sites.urls) for i in (0, 1)]
    for code, stderr, _ in (finish(w) for w in workers):
        assert code == 0, stderr[-3000:]
    for site in sites.sites:
        assert site.hits["/"] == 1 and all(site.hits[f"/section/{s}.html"] == 1 for s in range(3))
        assert not [p for p in site.hits if p.startswith("/news/")], site.name
    assert stored(database) == sites.articles


def test_a_start_page_asked_again_later_is_fetched_again_not_filtered(
    sites: MultiSite,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    for site in sites.sites:
        site.busy_once.add("/")  # 503 with Retry-After: the seed comes back as a retry
    database = postgres_server.new_database()
    code, stderr, _ = finish(worker(redis_server.url, database, "run-busy", "0/1", sites.urls))
    assert code == 0, stderr[-3000:]
    assert all(site.hits["/"] == 2 for site in sites.sites)
    assert stored(database) == sites.articles


def test_a_worker_waits_for_the_workers_still_to_come(
    sites: MultiSite,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    database = postgres_server.new_database()
    ArticleStore.open(database).close()
    first = worker(redis_server.url, database, "run-late", "0/2", sites.urls)
    own = [s for s in sites.sites if site_shard(s.name, 2) == 0]
    others = [s for s in sites.sites if s not in own]
    deadline = time.monotonic() + 120
    while not all(set(s.hits) == set(s.pages) for s in own) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)  # far beyond the quarter-second idle check
    assert first.poll() is None  # its share is done, but the run is not
    assert not any(s.hits for s in others)  # seeds of shard 1 wait for their worker
    second = worker(redis_server.url, database, "run-late", "1/2", sites.urls)
    for code, stderr, _ in (finish(first), finish(second)):
        assert code == 0, stderr[-3000:]
    assert stored(database) == sites.articles


def test_a_worker_whose_partner_never_starts_stops_after_its_wait_and_says_so(
    sites: MultiSite,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    database = postgres_server.new_database()
    alone = worker(
        redis_server.url, database, "run-alone", "0/2", sites.urls, "-s", "NEWSCRAWL_CLUSTER_WAIT=2"
    )
    code, stderr, _ = finish(alone)
    assert code == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "newscrawl: error: this worker stopped: shard(s) 1 had no worker within 2 s:"
        " their sites were not crawled"
    )
    own = {s.name for s in sites.sites if site_shard(s.name, 2) == 0}
    mine = sorted(url for s in sites.sites if s.name in own for url in s.articles)
    assert stored(database) == mine  # its own share is done and stored


def test_a_worker_unlike_its_runs_first_is_refused_in_one_line(
    sites: MultiSite,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """A worker started with another shard count, other sites or another store
    than its run's first worker joined the run: half the sites were crawled by
    nobody (or twice, at once), every worker exited 0, and the run's shard count
    was overwritten (found by a cluster review). It is refused before it writes
    anything of the run, in one line, exit 2."""
    import redis

    database = postgres_server.new_database()
    first = worker(redis_server.url, database, "run-mixed", "0/2", sites.urls)
    client = redis.Redis.from_url(redis_server.url)
    deadline = time.monotonic() + 60
    while not client.exists("newscrawl:run-mixed:news:configuration"):
        assert time.monotonic() < deadline and first.poll() is None, finish(first)[1][-3000:]
        time.sleep(0.1)
    unlike = {
        "the run has 2 shards, this worker 3": ("1/3", sites.urls, database),
        "this worker's sites (2) are not the run's": ("1/2", sites.urls[:2], database),
        "this worker stores to no store, the run's workers to postgresql://": (
            "1/2", sites.urls, "",
        ),
    }  # fmt: skip
    for expected, (shard, urls, store) in unlike.items():
        code, stderr, _ = finish(worker(redis_server.url, store, "run-mixed", shard, urls))
        assert code == 2, stderr[-3000:]
        assert "Traceback" not in stderr
        last = stderr.strip().splitlines()[-1]
        assert last.startswith("newscrawl: error: ") and expected in last, last
        assert "start a new run (--run)" in last, last
    assert client.get("newscrawl:run-mixed:news:shards") == b"2"
    second = worker(redis_server.url, database, "run-mixed", "1/2", sites.urls)
    for code, stderr, _ in (finish(first), finish(second)):
        assert code == 0, stderr[-3000:]
    assert stored(database) == sites.articles


def test_a_worker_killed_mid_run_loses_nothing_once_restarted(
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    sites = sites_on_both_shards(articles=20, delay=0.02)
    # Each site serves OPEN of its articles at once and holds the others back until
    # the kill: it lands mid-run, with the victim's requests in flight.
    for site in sites.sites:
        site.gate = Gate("/news/", OPEN)
    try:
        database = postgres_server.new_database()
        ArticleStore.open(database).close()  # the tables, for counting while they crawl
        args = (redis_server.url, database, "run-kill")
        workers = [worker(*args, f"{i}/2", sites.urls) for i in (0, 1)]
        # Kill the worker with the most sites, mid-run: no chance to clean up.
        shards = [site_shard(s.name, 2) for s in sites.sites]
        victim = max((0, 1), key=shards.count)
        its_sites = [s for s, shard in zip(sites.sites, shards, strict=True) if shard == victim]
        # Mid-run: one of the victim's sites has served its OPEN articles (stored,
        # perhaps not yet committed: a batch waits up to NEWSCRAWL_SQLITE_COMMIT_SECONDS)
        # and the victim waits for the next one at its gate. (Only one site need
        # get that far: requests queued behind a gate may hold the others back.)
        wait_for_a_held_article(its_sites, workers)
        workers[victim].send_signal(signal.SIGKILL)
        workers[victim].communicate(timeout=30)
        before = len(stored(database))
        assert before < len(sites.articles), "the kill came after the work was done"
        for site in sites.sites:
            site.gate.open()
        workers[victim] = worker(*args, f"{victim}/2", sites.urls)
        ends = [finish(w) for w in workers]
        for code, stderr, _ in ends:
            assert code == 0, stderr[-3000:]
        assert stored(database) == sites.articles
        assert "go back in the queue" in ends[victim][1]
    finally:
        sites.close()


OPEN = 4  # articles a gated site serves at once; the others wait for the test


def held(site: NewsSite) -> bool:
    """Whether a request for one of `site`'s articles is held back at its gate."""
    return site.gate is not None and len(site.gate.asked) > site.gate.open_count


def wait_for_a_held_article(
    sites: list[NewsSite], workers: list[subprocess.Popen[bytes]], timeout: float = 120
) -> None:
    """Wait until one of `sites` holds a request for an article back at its gate:
    the crawl is then surely mid-run. Fails if a worker ends first, or if none
    gets there within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not any(held(site) for site in sites):
        for process in workers:
            assert process.poll() is None, f"a worker ended:\n{finish(process)[1][-3000:]}"
        assert time.monotonic() < deadline, "no worker asked for a held article"
        time.sleep(0.1)


def test_a_worker_that_loses_redis_stops_with_one_line_and_keeps_its_pages_in_flight(
    postgres_server,  # noqa: F811
):
    import redis

    from .servers import RedisServer

    sites = sites_on_both_shards(articles=30, delay=0.02)
    # Three articles a site at once, the others held back until Redis is gone: the
    # worker certainly has requests in flight then.
    for site in sites.sites:
        site.gate = Gate("/news/", 3)
    own_redis = RedisServer()
    try:
        database = postgres_server.new_database()
        ArticleStore.open(database).close()
        process = worker(
            own_redis.url, database, "run-lost", "0/1", sites.urls,
            "-s", "NEWSCRAWL_CLUSTER_TIMEOUT=2",
        )  # fmt: skip
        # Once a site has served its three articles and the worker waits for the next.
        wait_for_a_held_article(sites.sites, [process])
        client = redis.Redis.from_url(own_redis.url)
        held_in_redis = client.hlen("newscrawl:run-lost:news:queue:0:inflight")
        own_redis.process.send_signal(signal.SIGSTOP)  # no answer, as a dead host gives
        for site in sites.sites:
            site.gate.open()
        code, stderr, _ = finish(process, timeout=120)
        own_redis.process.send_signal(signal.SIGCONT)
        assert code == 1, stderr[-3000:]
        assert "Traceback" not in stderr
        last = stderr.strip().splitlines()[-1]
        assert last.startswith("newscrawl: error: this worker stopped: the cluster's Redis")
        assert "stay in Redis for the next worker of its shard" in last
        assert held_in_redis > 0  # it had requests in flight; they were not acknowledged:
        assert client.hlen("newscrawl:run-lost:news:queue:0:inflight") >= 1
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
        own_redis.stop()
        sites.close()


@pytest.mark.parametrize("refusal", ["OOM", "READONLY"])
def test_a_redis_that_answers_but_refuses_writes_stops_the_worker_at_once(
    refusal: str,
    postgres_server,  # noqa: F811
):
    """A full Redis (maxmemory, noeviction) or a read-only one (a replica after a
    failover) still answers PING but refuses writes. The worker took a refused
    write for an outage and the next quarter-second PING for its end: it hung
    forever, logging "unreachable" and "reachable again" four times a second,
    never reaching NEWSCRAWL_CLUSTER_TIMEOUT (found by an attack session). It
    stops at once, in one line, exit 1; its pages wait in Redis for the next
    worker of its shard, which finishes the run."""
    import redis

    from .servers import RedisServer, free_port

    sites = MultiSite(2, articles=6)
    for site in sites.sites:
        site.gate = Gate("/news/", 2)  # mid-run when Redis turns: the others wait
    own_redis = RedisServer()
    try:
        database = postgres_server.new_database()
        ArticleStore.open(database).close()
        args = (own_redis.url, database, "run-refused", "0/1", sites.urls)
        process = worker(*args, "-s", "NEWSCRAWL_CLUSTER_TIMEOUT=600")
        wait_for_a_held_article(sites.sites, [process], timeout=60)
        client = redis.Redis.from_url(own_redis.url)
        if refusal == "OOM":
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("maxmemory", 1)  # full: every command that may grow it fails
        else:
            client.replicaof("127.0.0.1", free_port())  # of a master that is not there
        for site in sites.sites:
            site.gate.open()
        code, stderr, _ = finish(process, timeout=25)  # it hung here, however long
        assert code == 1, stderr[-3000:]
        assert "Traceback" not in stderr and "reachable again" not in stderr, stderr[-3000:]
        last = stderr.strip().splitlines()[-1]
        assert last.startswith(
            f"newscrawl: error: this worker stopped: the cluster's Redis refuses writes: {refusal} "
        ), last
        assert last.endswith("stay in Redis for the next worker of its shard"), last
        if refusal == "OOM":
            client.config_set("maxmemory", 0)
        else:
            client.replicaof("NO", "ONE")
        code, stderr, _ = finish(worker(*args), timeout=60)
        assert code == 0, stderr[-3000:]
        assert stored(database) == sites.articles
    finally:
        own_redis.stop()
        sites.close()


def test_a_redis_down_while_a_worker_queues_links_is_waited_for_and_nothing_is_lost(
    postgres_server,  # noqa: F811
):
    """A Redis restarted (with what it saved) while a worker queued the links of a
    page: the worker took the failed push for a refused write and stopped at
    once, exit 1, although NEWSCRAWL_CLUSTER_TIMEOUT promises it a minute
    (found by an attack session). It keeps such requests, takes no new page
    meanwhile, queues them once Redis answers, and finishes the run."""
    import threading

    import redis

    from .servers import RedisServer

    sites = MultiSite(1, articles=9)
    site = sites.sites[0]
    site.gate = Gate("/section/", 0)  # each section waits: its links come while Redis is down
    own_redis = RedisServer()
    try:
        database = postgres_server.new_database()
        ArticleStore.open(database).close()
        process = worker(own_redis.url, database, "run-blip", "0/1", sites.urls)
        deadline = time.monotonic() + 60
        while not site.gate.asked:
            assert process.poll() is None, finish(process)[1][-3000:]
            assert time.monotonic() < deadline, "the worker never asked for a section"
            time.sleep(0.1)
        redis.Redis.from_url(own_redis.url).shutdown(save=True)
        own_redis.process.wait(10)
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda: lines.extend(line.decode() for line in process.stderr or ())
        )
        reader.start()
        site.gate.open()
        deadline = time.monotonic() + 30
        while not any("keeps the requests it finds" in line for line in lines):
            if process.poll() is not None or time.monotonic() > deadline:
                break  # the assertions below say what happened
            time.sleep(0.1)
        # On its port again (the window for another test to take it is a second).
        own_redis.start_again()
        process.wait(60)
        reader.join(10)
        process.communicate(timeout=10)  # closes its pipes
        stderr = "".join(lines)
        assert process.returncode == 0, stderr[-3000:]
        assert "keeps the requests it finds until Redis answers" in stderr
        assert "Traceback" not in stderr
        assert stored(database) == sites.articles
        assert max(site.hits.values()) == 1, site.hits  # nothing done twice
    finally:
        own_redis.stop()
        sites.close()


def test_a_pop_whose_answer_never_came_is_done_and_the_run_still_ends(
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """A pop that times out (Redis stopped for longer than the worker's socket
    timeout) still runs once Redis answers again, and redis-py sends it again on
    its retries: the requests moved to the shard's in-flight hash, but the worker
    never got them. They were fetched by nobody and the run was never idle: every
    worker waited for ever (found by a review of the Redis-outage fixes). The test
    runs that pop itself, mid-run, as Redis would; the worker takes the requests
    back when it is idle, fetches them and stops."""
    import redis

    # More articles than Scrapy takes at once (CONCURRENT_REQUESTS, 16): some wait
    # in Redis's queue while the gate holds the others.
    sites = MultiSite(1, articles=30)
    site = sites.sites[0]
    site.gate = Gate("/news/", 2)
    try:
        database = postgres_server.new_database()
        ArticleStore.open(database).close()
        process = worker(redis_server.url, database, "run-lost-pop", "0/1", sites.urls)
        wait_for_a_held_article([site], [process], timeout=60)
        client = redis.Redis.from_url(redis_server.url)
        queue = "newscrawl:run-lost-pop:news:queue:0"
        lost = client.eval(
            "local p = redis.call('ZPOPMIN', KEYS[1])"
            " if p[1] then redis.call('HSET', KEYS[2], p[1], p[2]) end return p[1]",
            2, queue, f"{queue}:inflight",
        )  # fmt: skip
        assert lost is not None, "the queue was empty"
        site.gate.open()
        code, stderr, _ = finish(process, timeout=25)  # it waited for ever here
        assert code == 0, stderr[-3000:]
        assert "1 requests taken while Redis did not answer go back in the queue" in stderr
        assert stored(database) == sites.articles
        assert client.hlen(f"{queue}:inflight") == 0
    finally:
        sites.close()


def test_pages_finished_while_redis_is_down_are_acknowledged_once_it_is_back(
    postgres_server,  # noqa: F811
):
    """A page that finished while Redis was down: the worker forgot it before
    Redis had taken its acknowledgement, so it stayed in flight; fetched again
    at best, and the run never idle at worst (found by a review of the
    Redis-outage fixes). It is acknowledged once Redis answers: no page twice."""
    import redis

    from .servers import RedisServer

    sites = MultiSite(1, articles=6)
    site = sites.sites[0]
    site.gate = Gate("/news/", 2)  # the held articles finish while Redis is down
    own_redis = RedisServer()
    try:
        database = postgres_server.new_database()
        ArticleStore.open(database).close()
        process = worker(own_redis.url, database, "run-ack", "0/1", sites.urls)
        wait_for_a_held_article([site], [process], timeout=60)
        redis.Redis.from_url(own_redis.url).shutdown(save=True)
        own_redis.process.wait(10)
        site.gate.open()
        deadline = time.monotonic() + 30
        while len(stored(database)) < len(site.gate.asked) and time.monotonic() < deadline:
            time.sleep(0.1)  # the pages it had are done, and their acknowledgements fail
        time.sleep(1)
        own_redis.start_again()
        code, stderr, _ = finish(process, timeout=60)
        assert code == 0, stderr[-3000:]
        assert stored(database) == sites.articles
        assert max(site.hits.values()) == 1, site.hits
    finally:
        own_redis.stop()
        sites.close()


def test_requests_travel_as_json_with_their_bytes_and_meta():
    request = Request(
        "http://example.test/a?b=1", method="POST", body=b"\x00\xffdata",
        headers={"X-Token": "t"}, meta={"site": "example.test", "depth": 2, "allow_offsite": True},
        priority=3, dont_filter=True,
    )  # fmt: skip
    text = JsonRequests.dumps(request.to_dict())
    assert text.startswith("{")  # JSON, not a pickle
    back = JsonRequests.loads(text)
    assert back["body"] == b"\x00\xffdata"
    assert back["headers"][b"X-Token".decode()] == [b"t"]
    assert back["meta"] == {"site": "example.test", "depth": 2, "allow_offsite": True}
    assert (back["priority"], back["dont_filter"], back["method"]) == (3, True, "POST")


def test_a_request_whose_meta_json_cannot_hold_is_refused_not_pickled():
    request = Request("http://example.test/", meta={"when": datetime.now(UTC)})
    with pytest.raises(TypeError, match="cannot carry datetime"):
        JsonRequests.dumps(request.to_dict())


def test_shards_and_run_ids_are_checked():
    assert Shard.parse("1/4") == Shard(1, 4)
    # A shard count past MAX_SHARDS (a typo: 0/100000) made each idle poll send
    # 200,000 Redis commands and its error line 600 KB long (found by a review).
    assert Shard.parse(f"0/{MAX_SHARDS}") == Shard(0, MAX_SHARDS)
    for bad in ("4/4", "1", "-1/2", "a/b", "0/0", f"0/{MAX_SHARDS + 1}", "0/" + "9" * 20):
        with pytest.raises(ClusterError, match="shard"):
            Shard.parse(bad)
    assert parse_run_id("2026-11-27T10") == "2026-11-27T10"
    for bad in ("", "a b", "x" * 65, "../x", "a:b"):
        with pytest.raises(ClusterError, match="run id"):
            parse_run_id(bad)


def test_a_run_configuration_unlike_a_workers_says_what_differs():
    """An unreadable record of the run said "the run has None shards" (found by a
    review)."""
    ours = run_configuration(2, [("a", ["http://a.test/"])], "writer")
    assert configuration_mismatch(ours, ours) is None
    same_sites = run_configuration(2, [("a", ["http://a.test/"])], "writer")
    assert configuration_mismatch(same_sites, ours) is None
    assert "cannot be read" in str(configuration_mismatch({}, ours))
    assert "cannot be read" in str(configuration_mismatch({"sites": "x"}, ours))
    other = run_configuration(3, [("a", ["http://a.test/"])], "writer")
    assert "the run has 3 shards, this worker 2" in str(configuration_mismatch(other, ours))
    other = run_configuration(2, [("a", ["http://a.test/x"])], "writer")
    assert "are not the run's" in str(configuration_mismatch(other, ours))
    other = run_configuration(2, [("a", ["http://a.test/"])], "")
    assert "the run's workers to no store" in str(configuration_mismatch(other, ours))


def test_a_site_keeps_its_shard_whichever_url_of_it_is_asked():
    home = Request("http://a.test/", meta={"site": "a.test"})
    deep = Request("http://a.test/news/1.html?x=2", meta={"site": "a.test"})
    assert shard_of(home, 7) == shard_of(deep, 7)
    spread = {shard_of(Request(f"http://s{n}.test/"), 4) for n in range(40)}
    assert spread == {0, 1, 2, 3}


def test_cluster_options_errors_are_one_line_and_exit_2(
    site_url: str,
    redis_server,  # noqa: F811
):
    cases = {
        "needs --run": ["--cluster", redis_server.url],
        "not a SQLite file": ["--cluster", redis_server.url, "--run", "r", "--db", "x.sqlite"],
        "shard": ["--cluster", redis_server.url, "--run", "r", "--shard", "2/2"],
        "cannot reach the cluster's Redis at redis://:***@127.0.0.1:1/0": [
            "--cluster", "redis://:secret@127.0.0.1:1/0", "--run", "r",
        ],
        "are options of a --cluster crawl": ["--run", "r", "--shard", "1/2"],
        "invalid username-password pair": [
            "--cluster", redis_server.url.replace("test-secret", "nope"), "--run", "r",
        ],
    }  # fmt: skip
    for expected, args in cases.items():
        result = run("newscrawl", "crawl", site_url, *args)
        stderr = result.stderr.decode()
        assert result.returncode == 2, (expected, stderr)
        assert stderr.count("\n") == 1 and expected.split(" at ")[0] in stderr, stderr
        assert "secret" not in stderr and "nope" not in stderr
        assert "Traceback" not in stderr


def test_a_queue_holds_json_pops_into_in_flight_and_requeues_it(redis_server):  # noqa: F811
    import redis

    class Spider(scrapy.Spider):
        name = "probe"

        def parse(self, response):
            pass

    client = redis.Redis.from_url(redis_server.url)
    spider = Spider()
    queue = ShardQueue(client, spider, "newscrawl:probe:queue:0", JsonRequests)
    queue.clear()
    queue.push(Request("http://a.test/1", callback=spider.parse, meta={"site": "a.test"}))
    queue.push(Request("http://a.test/2", callback=spider.parse, priority=5))
    raw = client.zrange(queue.key, 0, -1)
    assert [json.loads(member)["url"] for member in raw] == ["http://a.test/2", "http://a.test/1"]
    popped = queue.pop()
    assert popped is not None
    request, member = popped
    assert (request.url, request.callback) == ("http://a.test/2", spider.parse)
    assert client.hkeys(queue.inflight_key) == [member]  # taken, not yet done
    assert queue.requeue_inflight() == 1  # what a restarted worker of the shard does
    assert len(queue) == 2 and client.hlen(queue.inflight_key) == 0
    request, member = queue.pop()
    queue.acknowledge([member])
    assert client.hlen(queue.inflight_key) == 0 and len(queue) == 1
    queue.clear()


def test_a_finished_run_leaves_keys_that_expire(
    sites: MultiSite,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    import redis

    database = postgres_server.new_database()
    code, stderr, _ = finish(worker(redis_server.url, database, "run-keys", "0/1", sites.urls))
    assert code == 0, stderr[-3000:]
    client = redis.Redis.from_url(redis_server.url)
    keys = sorted(k.decode() for k in client.scan_iter("newscrawl:run-keys:*"))
    assert "newscrawl:run-keys:news:seen" in keys
    assert all(0 < client.ttl(key) <= 7 * 24 * 3600 for key in keys)
    # The run id used again (a timer that fired twice in its hour): the worker
    # fetched nothing and exited 0 (found by a cluster review). It is refused.
    for site in sites.sites:
        site.hits.clear()
    code, stderr, _ = finish(worker(redis_server.url, database, "run-keys", "0/1", sites.urls))
    assert code == 2, stderr[-3000:]
    assert not any(site.hits for site in sites.sites)
    last = stderr.strip().splitlines()[-1]
    assert "cluster run run-keys is over" in last and "start a new run (--run)" in last, last
    assert "Traceback" not in stderr


def writer(redis_url: str, run_id: str, db: Path, *extra: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(BIN / "newscrawl"), "writer", "--cluster", redis_url, "--run", run_id, "--db", str(db),
         *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    STARTED.append(process)
    return process


def texts_of(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT canonical_url, text FROM articles"))


def test_a_writer_whose_run_lacks_workers_gives_it_up_and_records_it_incomplete(
    sites: MultiSite,
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    """A writer waited for ever when no worker of its run started (a typo in
    --run), or when a shard never got one and the others gave up: its run was
    never recorded, and a scheduled writer never ended (found by a cluster
    review). After --wait seconds with no worker at work, it gives the run up:
    exit 1, one line, the run recorded as incomplete."""
    alone = tmp_path / "alone.sqlite"
    code, stderr, _ = finish(writer(redis_server.url, "run-nobody", alone, "--wait", "1"), 60)
    assert code == 1, stderr
    assert stderr.strip().splitlines()[-1] == (
        "newscrawl: error: no worker of run run-nobody started within 1 s (is the run id"
        " right?); the run is recorded as incomplete"
    )
    shared = tmp_path / "half.sqlite"
    # The writer waits longer than a worker takes to start on a busy machine (at a
    # load of 7, over 2 s: the writer gave the run up before its one worker began).
    store = writer(redis_server.url, "run-half", shared, "--wait", "10")
    half = worker(redis_server.url, "", "run-half", "0/2", sites.urls, "--writer",
                  "-s", "NEWSCRAWL_CLUSTER_WAIT=2")  # fmt: skip
    assert finish(half)[0] == 1
    code, stderr, _ = finish(store, 120)
    assert code == 1, stderr
    assert "1 of the run's 2 shards had no worker within 10 s" in stderr.strip().splitlines()[-1]
    own = {s.name for s in sites.sites if site_shard(s.name, 2) == 0}
    mine = sorted(url for s in sites.sites if s.name in own for url in s.articles)
    assert sorted(texts_of(shared)) == mine  # what the one worker crawled is stored
    for db in (alone, shared):
        with sqlite3.connect(db) as connection:
            assert connection.execute("SELECT finish_reason FROM runs").fetchall() == [
                ("cluster_incomplete",)
            ]


def test_workers_with_a_writer_fill_one_sqlite_file_as_a_single_crawl_would(
    sites: MultiSite,
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    single = tmp_path / "single.sqlite"
    result = run("newscrawl", "crawl", *sites.urls, "--db", str(single), *FAST)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    shared = tmp_path / "cluster.sqlite"
    store = writer(redis_server.url, "run-w", shared)  # may start before the workers
    workers = [
        worker(redis_server.url, "", "run-w", f"{i}/2", sites.urls, "--writer") for i in (0, 1)
    ]
    for code, stderr, _ in [finish(w) for w in workers]:
        assert code == 0, stderr[-3000:]
    code, stderr, _ = finish(store)
    assert code == 0, stderr
    assert f"{len(sites.articles)} articles (new {len(sites.articles)})" in stderr
    assert texts_of(shared) == texts_of(single)
    assert sorted(texts_of(shared)) == sites.articles
    with sqlite3.connect(shared) as connection:
        states = dict(connection.execute("SELECT state, count(*) FROM urls GROUP BY state"))
        counts = dict(
            connection.execute("SELECT counter, sum(value) FROM run_counts GROUP BY counter")
        )
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert states["done"] >= len(sites.articles)
    assert counts["stored"] == len(sites.articles)  # the writer's count
    assert counts["pages_fetched"] >= len(sites.articles)  # the workers' counts

    # The next run: the writer tells the workers what is stored; only hubs are fetched.
    for site in sites.sites:
        site.hits.clear()
    store = writer(redis_server.url, "run-w2", shared)
    workers = [
        worker(redis_server.url, "", "run-w2", f"{i}/2", sites.urls, "--writer") for i in (0, 1)
    ]
    for code, stderr, _ in [finish(w) for w in workers]:
        assert code == 0, stderr[-3000:]
        assert "WARNING" not in stderr, stderr[-3000:]
    code, stderr, _ = finish(store)
    assert code == 0 and "run run-w2: 0 articles" in stderr, stderr
    for site in sites.sites:
        assert site.hits["/"] == 1, site.name
        assert not [p for p in site.hits if p.startswith("/news/")], site.name


def test_a_writer_whose_articles_are_another_sites_rows_exits_1(
    sites: MultiSite,
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    """The store holds the sites' articles under the names a sites file gave them;
    a cluster run names the sites after their hosts. The writer counted each
    article it could not store as stored, and exited 0."""
    shared = tmp_path / "cluster.sqlite"
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text("".join(
        f'[[site]]\nname = "old-{n}"\nstart_urls = ["{url}"]\n' for n, url in enumerate(sites.urls)
    ))  # fmt: skip
    first = run("newscrawl", "crawl", "--sites", str(sites_file), "--db", str(shared), *FAST)
    assert first.returncode == 0, first.stderr.decode()[-2000:]
    store = writer(redis_server.url, "run-renamed", shared)
    workers = [
        worker(redis_server.url, "", "run-renamed", f"{i}/2", sites.urls, "--writer", "--refresh")
        for i in (0, 1)
    ]
    for process in workers:
        finish(process)
    code, stderr, _ = finish(store)
    assert code == 1, stderr
    assert f"{len(sites.articles)} articles not stored" in stderr, stderr
    with sqlite3.connect(shared) as connection:
        counts = dict(
            connection.execute(
                "SELECT counter, sum(value) FROM run_counts WHERE run_id ="
                " (SELECT max(id) FROM runs) GROUP BY counter"
            )
        )
    assert counts.get("other_site") == len(sites.articles) and not counts.get("stored"), counts


def test_a_restarted_writer_stores_what_its_killed_predecessor_had_not_committed(
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    import redis

    from newscrawl.cluster.worker import encode_article
    from newscrawl.cluster.writer import write_run
    from newscrawl.config import NewscrawlConfig
    from newscrawl.items import ArticleItem

    client = redis.Redis.from_url(redis_server.url)
    prefix = "newscrawl:run-restart:news"
    articles = [
        ArticleItem(
            url=f"http://a.test/{n}", canonical_url=f"http://a.test/{n}", site="a.test",
            title=f"Story {n}", authors=[], published=None, language="en", description=None,
            text=f"The text of story number {n}.", word_count=6, fetched_at="2026-11-27T10:00:00Z",
        )
        for n in range(3)
    ]  # fmt: skip
    client.lpush(f"{prefix}:articles", encode_article(articles[0]), encode_article(articles[1]))
    client.lpush(f"{prefix}:articles:writing", encode_article(articles[2]))  # taken, not committed
    client.set(f"{prefix}:shards", 1)
    client.sadd(f"{prefix}:seeded", 0)
    client.sadd(f"{prefix}:closed", 0)
    store = ArticleStore.open(tmp_path / "w.sqlite")
    report = write_run(client, "run-restart", store, NewscrawlConfig().cleaners(), poll=0.01)
    store.close()
    assert report.outcomes == {"new": 3}
    assert sorted(texts_of(tmp_path / "w.sqlite")) == [a.canonical_url for a in articles]
    assert client.llen(f"{prefix}:articles:writing") == 0


def news_sitemap(site: NewsSite, paths: list[str]) -> bytes:
    entries = "".join(
        f"<url><loc>{site.url}{path.lstrip('/')}</loc><news:news><news:publication_date>"
        "2026-11-20</news:publication_date></news:news></url>"
        for path in paths
    )
    return (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>'
    ).encode()


def test_a_writer_cluster_retries_failed_urls_and_skips_non_articles_on_the_next_run(
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    # What a single crawl's frontier remembers, a writer cluster must too: a URL
    # its sitemap listed that failed is fetched again next run, even once the
    # sitemap has dropped it; a listed page that held too little text for an
    # article is read again while listed, up to MAX_ATTEMPTS runs (a stub may
    # become an article), and is then settled.
    sites = MultiSite(1, articles=3)
    site = sites.sites[0]
    late, listing = "/news/late.html", "/news/listing.html"
    site.pages[listing] = hub_page("Every story", ["/news/0.html", "/news/1.html"]).encode()
    site.pages["/robots.txt"] = f"User-agent: *\nSitemap: {site.url}sitemap.xml\n".encode()
    site.pages["/sitemap.xml"] = news_sitemap(site, ["/news/0.html", late, listing])
    database = tmp_path / "w.sqlite"
    try:
        for run_id in ("run-f1", "run-f2"):
            store = writer(redis_server.url, run_id, database)
            code, stderr, _ = finish(
                worker(redis_server.url, "", run_id, "0/1", [site.url], "--writer")
            )
            assert code == 0, stderr[-3000:]
            code, stderr, _ = finish(store)
            assert code == 0, stderr
            with sqlite3.connect(database) as connection:
                states = dict(connection.execute("SELECT url, state FROM urls"))
            if run_id == "run-f1":
                assert states[site.url + late.lstrip("/")] == "failed"
                assert states[site.url + listing.lstrip("/")] == "skipped"
                # Next run: the page is up, the sitemap no longer lists it.
                site.pages[late] = article_page(
                    "A late story", "2026-11-20T09:00:00+00:00"
                ).encode()
                site.pages["/sitemap.xml"] = news_sitemap(site, ["/news/0.html", listing])
                site.hits.clear()
        assert states[site.url + late.lstrip("/")] == "done"
        assert site.url + late.lstrip("/") in texts_of(database)
        assert site.hits[late] == 1
        assert site.hits[listing] == 1  # its second attempt
        with sqlite3.connect(database) as connection:
            (attempts,) = connection.execute(
                "SELECT attempts FROM urls WHERE url = ?", (site.url + listing.lstrip("/"),)
            ).fetchone()
        assert attempts == 2
    finally:
        sites.close()


def test_an_article_crosses_redis_without_the_workers_signed_copy_of_its_text():
    """A page worker's signed copy of the text (duplicates.SignedText) stays with the
    cluster worker: JSON would turn it into a dict the writer's store cannot use,
    and it would double the message. The writer signs what it stores."""
    from newscrawl.cluster.worker import decode_article, encode_article
    from newscrawl.duplicates import sign_text
    from newscrawl.items import ArticleItem

    text = " ".join(f"word{n}" for n in range(60))
    item = ArticleItem(
        url="http://a.test/1", canonical_url="http://a.test/1", site="a.test", title="t",
        authors=[], published=None, language="en", description=None, text=text,
        word_count=60, fetched_at="2026-11-27T10:00:00Z",
    )  # fmt: skip
    item.signed = sign_text(text)
    message = encode_article(item)
    assert "word59" in message and message.count("word59") == 1
    decoded = decode_article(message)
    assert decoded.signed is None and decoded.text == text
    assert item.signed is not None  # the worker's own item is left as it was


def test_a_writer_given_a_postgresql_url_refuses_it_without_printing_its_password(
    tmp_path: Path,
):
    """`writer --db postgresql://user:PASSWORD@host/db` folded the URL's "//" as a
    path does, wrote the run's articles into a SQLite file of that name under the
    working folder and printed the password (found by a review of cluster mode).
    One line, exit 2, nothing made."""
    url = "postgresql://newscrawl:S3cretPG@127.0.0.1:5999/news"
    result = run("newscrawl", "writer", "--cluster", "redis://127.0.0.1:1/0", "--run", "r1",
                 "--db", url, cwd=tmp_path)  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == 2 and "S3cretPG" not in err, err
    assert err.count("\n") == 1 and "the writer stores into SQLite" in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_message_the_writer_cannot_read_is_set_aside_and_counted(
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    """One message on the writer's lists that it could not read (not JSON, a field
    a newer newscrawl's worker sends, a URL state short of a field) stopped it
    with a traceback, and every restart died on the same message: nothing behind
    it was stored, and the run got no record (found by a review of cluster mode).
    It is set aside on the run's `rejected` list, counted, and the writer goes
    on; its exit code then says so."""
    import redis

    from newscrawl.cluster.worker import encode_article
    from newscrawl.items import ArticleItem

    client = redis.Redis.from_url(redis_server.url)
    prefix = "newscrawl:run-poison:news"
    good = ArticleItem(
        url="http://a.test/1", canonical_url="http://a.test/1", site="a.test", title="Story",
        authors=[], published=None, language="en", description=None,
        text="The text of the one good story.", word_count=7, fetched_at="2026-11-27T10:00:00Z",
    )  # fmt: skip
    newer = json.dumps({"url": "http://a.test/2", "field_of_a_newer_version": 1})
    client.lpush(f"{prefix}:articles", "not json at all", newer, encode_article(good))
    client.lpush(f"{prefix}:urlstates", json.dumps(["failed", "a.test", "http://a.test/3"]))
    client.set(f"{prefix}:shards", 1)
    client.sadd(f"{prefix}:seeded", 0)
    client.sadd(f"{prefix}:closed", 0)
    db = tmp_path / "w.sqlite"
    result = run("newscrawl", "writer", "--cluster", redis_server.url, "--run", "run-poison",
                 "--db", str(db))  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in err, err
    assert "3 messages from the workers could not be read" in err, err
    assert sorted(texts_of(db)) == ["http://a.test/1"]
    assert client.llen(f"{prefix}:rejected") == 3
    assert client.llen(f"{prefix}:articles:writing") == 0
    assert client.llen(f"{prefix}:urlstates:writing") == 0


def one_article(n: int) -> str:
    """A worker's message for article `n` of site a.test."""
    from newscrawl.cluster.worker import encode_article
    from newscrawl.items import ArticleItem

    return encode_article(
        ArticleItem(
            url=f"http://a.test/{n}", canonical_url=f"http://a.test/{n}", site="a.test",
            title=f"Story {n}", authors=[], published=None, language="en", description=None,
            text=f"The text of story number {n}.", word_count=6,
            fetched_at="2026-11-27T10:00:00Z",
        )
    )  # fmt: skip


def test_a_run_has_one_writer_and_one_that_lost_its_run_commits_nothing(
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    """Two writers of one run (a writer unit restarted elsewhere while the old one
    ran) both ran and exited 0, each database recording a complete run with part
    of its articles; sharing the run's "writing" list, each undid or deleted the
    other's uncommitted batch (found by a cluster review). The second is refused
    before it makes anything: one line, exit 2. A writer whose lock was taken by
    another while it was stalled stops without touching the lists; one killed
    with -9 holds the run no longer than the lock's expiry."""
    import socket

    import redis

    client = redis.Redis.from_url(redis_server.url)
    prefix = "newscrawl:run-writers:news"
    first = writer(redis_server.url, "run-writers", tmp_path / "a.sqlite")
    deadline = time.monotonic() + 60
    while not client.exists(f"{prefix}:known-ready"):  # it has started
        assert time.monotonic() < deadline and first.poll() is None, finish(first)[1]
        time.sleep(0.1)
    second = tmp_path / "b.sqlite"
    code, stderr, _ = finish(writer(redis_server.url, "run-writers", second, "--wait", "1"), 60)
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith(
        "newscrawl: error: run run-writers already has a writer"
        f" (pid {first.pid} on host {socket.gethostname()}); "
    ), stderr
    assert not second.exists()
    assert 0 < client.pttl(f"{prefix}:writer") <= 30_000  # it expires if `first` dies

    # `first` stalled past its lock's expiry, and another writer took the run: the
    # new article is that writer's to store, not `first`'s.
    other = json.dumps({"pid": 1, "host": "elsewhere", "id": "x"})
    client.set(f"{prefix}:writer", other)
    client.set(f"{prefix}:last-writer", other)
    client.lpush(f"{prefix}:articles", one_article(1))
    code, stderr, _ = finish(first, 60)
    assert code == 1 and "Traceback" not in stderr, stderr
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith(
            "newscrawl: error: this writer lost run run-writers to another writer"
            " (pid 1 on host elsewhere)"
        )
    ), stderr
    assert client.llen(f"{prefix}:articles") == 1 and not client.exists(
        f"{prefix}:articles:writing"
    )
    assert texts_of(tmp_path / "a.sqlite") == {}

    # A writer killed with -9 mid-batch: its lock expires (brought forward here)
    # and the next writer stores the batch.
    prefix = "newscrawl:run-killed:news"
    killed = writer(redis_server.url, "run-killed", tmp_path / "k.sqlite")
    while not client.exists(f"{prefix}:known-ready"):
        assert time.monotonic() < deadline + 60 and killed.poll() is None, finish(killed)[1]
        time.sleep(0.1)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=30)
    assert 0 < client.pttl(f"{prefix}:writer") <= 30_000
    client.lpush(f"{prefix}:articles:writing", one_article(2))  # taken, not committed
    client.set(f"{prefix}:shards", 1)  # and the run is over
    client.sadd(f"{prefix}:seeded", 0)
    client.sadd(f"{prefix}:closed", 0)
    client.pexpire(f"{prefix}:writer", 1)
    time.sleep(0.1)
    code, stderr, _ = finish(writer(redis_server.url, "run-killed", tmp_path / "k.sqlite"), 60)
    assert code == 0, stderr
    assert sorted(texts_of(tmp_path / "k.sqlite")) == ["http://a.test/2"]
    assert not client.exists(f"{prefix}:writer")  # released at its end


def committed(db: Path) -> int:
    """Articles in `db`, 0 while the writer has not made its tables."""
    try:
        return len(texts_of(db)) if db.exists() else 0
    except sqlite3.OperationalError:
        return 0


def test_a_writer_waits_out_a_redis_restart_and_stops_at_once_when_redis_refuses(
    tmp_path: Path,
):
    """A Redis restarted for a second (with its data kept) ended the writer: "lost
    the cluster's Redis: ... Connection refused", exit 1, while the workers wait
    NEWSCRAWL_CLUSTER_TIMEOUT for it (found by a cluster review). The writer waits
    as long (--timeout): its batch in the making is dropped and taken again, so
    nothing is lost or counted twice. A Redis that answers with an error (here
    OOM) is no outage: exit 1 at once, one line."""
    import redis

    from .servers import RedisServer

    own_redis = RedisServer(persistent=True)
    try:
        client = redis.Redis.from_url(own_redis.url)
        prefix = "newscrawl:run-blip:news"
        client.set(f"{prefix}:shards", 1)
        client.sadd(f"{prefix}:seeded", 0)
        client.set(f"{prefix}:alive:0", 1, ex=600)  # a worker at work: the run goes on
        articles = 400  # several batches of 100: the restart lands mid-run
        client.lpush(f"{prefix}:articles", *(one_article(n) for n in range(articles)))
        db = tmp_path / "w.sqlite"
        store = writer(own_redis.url, "run-blip", db)  # --timeout 60
        deadline = time.monotonic() + 60
        while not committed(db):  # its first batch
            assert time.monotonic() < deadline and store.poll() is None, finish(store)[1]
            time.sleep(0.05)
        own_redis.restart(down=2)
        client.sadd(f"{prefix}:closed", 0)  # the worker is done: the run is over
        client.delete(f"{prefix}:alive:0")
        code, stderr, _ = finish(store, 60)
        assert code == 0 and "Traceback" not in stderr, stderr
        assert stderr.count("the cluster's Redis is unreachable") == 1, stderr
        assert "the cluster's Redis is reachable again" in stderr, stderr
        assert f"{articles} articles (new {articles})" in stderr, stderr
        assert len(texts_of(db)) == articles
        assert client.llen(f"{prefix}:articles") == 0
        assert not client.exists(f"{prefix}:articles:writing")

        # Redis out of memory refuses every write: waiting would not help.
        prefix = "newscrawl:run-full:news"
        client.set(f"{prefix}:shards", 1)
        client.sadd(f"{prefix}:seeded", 0)
        client.set(f"{prefix}:alive:0", 1, ex=600)
        store = writer(own_redis.url, "run-full", tmp_path / "f.sqlite")
        while not client.exists(f"{prefix}:known-ready"):
            assert time.monotonic() < deadline + 60 and store.poll() is None, finish(store)[1]
            time.sleep(0.05)
        client.config_set("maxmemory", 1)
        started = time.monotonic()
        code, stderr, _ = finish(store, 60)
        assert code == 1 and "Traceback" not in stderr, stderr
        assert time.monotonic() - started < 30  # not the 60 s of an outage
        last = stderr.strip().splitlines()[-1]
        assert last.startswith("newscrawl: error: the cluster's Redis refused the writer: ")
        assert "command not allowed when used memory" in last, last
        assert "unreachable" not in stderr, stderr
    finally:
        own_redis.stop()


def test_a_writer_stopped_with_sigterm_lets_its_successor_start_at_once(
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    """`systemctl restart` of a writer: SIGTERM killed it without its end, so its
    run's lock stayed until its expiry and the restarted writer was refused (exit
    2) meanwhile. SIGTERM now ends it as Ctrl-C does: lock released, its batch not
    committed but left in Redis for the next writer."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    prefix = "newscrawl:run-term:news"
    db = tmp_path / "t.sqlite"
    first = writer(redis_server.url, "run-term", db)
    deadline = time.monotonic() + 60
    while not client.exists(f"{prefix}:known-ready"):
        assert time.monotonic() < deadline and first.poll() is None, finish(first)[1]
        time.sleep(0.1)
    first.send_signal(signal.SIGTERM)
    code, stderr, _ = finish(first, 60)
    assert code == 130 and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == "newscrawl: interrupted", stderr
    assert not client.exists(f"{prefix}:writer")
    client.lpush(f"{prefix}:articles", one_article(3))
    client.set(f"{prefix}:shards", 1)  # the run is over once its article is stored
    client.sadd(f"{prefix}:seeded", 0)
    client.sadd(f"{prefix}:closed", 0)
    code, stderr, _ = finish(writer(redis_server.url, "run-term", db), 60)
    assert code == 0, stderr
    assert sorted(texts_of(db)) == ["http://a.test/3"]


def test_a_writer_goes_on_when_redis_comes_back_without_its_data(tmp_path: Path):
    """A Redis restarted without persistence loses the run's keys, the writer's
    lock with them: the writer stopped, "lost run to another writer (unknown)",
    dropping the batch it had not committed, the last copy of those articles.
    With no other writer having taken the run since, it takes its lock again and
    goes on."""
    import redis

    from .servers import RedisServer

    own_redis = RedisServer()
    try:
        client = redis.Redis.from_url(own_redis.url)
        prefix = "newscrawl:run-wiped:news"
        db = tmp_path / "w.sqlite"
        store = writer(own_redis.url, "run-wiped", db)
        deadline = time.monotonic() + 60
        while not client.exists(f"{prefix}:known-ready"):
            assert time.monotonic() < deadline and store.poll() is None, finish(store)[1]
            time.sleep(0.1)
        own_redis.restart(down=1)  # its lock gone with the rest
        client.lpush(f"{prefix}:articles", one_article(4))
        client.set(f"{prefix}:shards", 1)
        client.sadd(f"{prefix}:seeded", 0)
        client.sadd(f"{prefix}:closed", 0)
        code, stderr, _ = finish(store, 60)
        assert code == 0 and "Traceback" not in stderr, stderr
        assert sorted(texts_of(db)) == ["http://a.test/4"]
        assert not client.exists(f"{prefix}:writer")
    finally:
        own_redis.stop()


def test_a_writer_started_again_on_a_stored_run_is_refused(
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    """A writer started again on a run its writer had stored (a timer firing twice,
    a restart after the end) recorded it a second time, with the workers' counts
    again: the sites' run history counted their pages twice. It is refused, one
    line, exit 2, as a worker of a run that is over is."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    prefix = "newscrawl:run-again:news"
    client.lpush(f"{prefix}:articles", one_article(5))
    client.hset(f"{prefix}:counts", "a.test\tpages_fetched", 5)
    client.set(f"{prefix}:shards", 1)
    client.sadd(f"{prefix}:seeded", 0)
    client.sadd(f"{prefix}:closed", 0)
    db = tmp_path / "a.sqlite"
    first = writer(redis_server.url, "run-again", db)
    code, stderr, _ = finish(first, 60)
    assert code == 0, stderr
    code, stderr, _ = finish(writer(redis_server.url, "run-again", db), 60)
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith(
        f"newscrawl: error: run run-again is stored already (pid {first.pid} on host "
    ), stderr
    assert f"run record 1 in {db}): " in stderr and "start a new run (--run)" in stderr, stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT id, finish_reason FROM runs").fetchall() == [
            (1, "finished")
        ]


def test_a_writer_restarted_mid_run_records_every_writers_stored_counts(
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    """The per-site "stored" counts lived in the writer's memory until the end of
    the run: a writer restarted mid-run (SIGTERM, as systemctl restart) took its
    committed counts with it, and its successor recorded only its own ("43 stored"
    of 180, exit 0; found by a cluster review). They go to the run's counts in
    Redis with each commit."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    prefix = "newscrawl:run-counts:news"
    db = tmp_path / "c.sqlite"
    client.set(f"{prefix}:shards", 1)
    client.sadd(f"{prefix}:seeded", 0)
    client.set(f"{prefix}:alive:0", 1, ex=300)  # its worker at work: the run is not over
    client.hincrby(f"{prefix}:counts", "a.test\tfetched", 5)
    client.lpush(f"{prefix}:articles", *(one_article(n) for n in range(3)))
    first = writer(redis_server.url, "run-counts", db)
    deadline = time.monotonic() + 60
    while len(_committed(db)) < 3:
        assert time.monotonic() < deadline and first.poll() is None, finish(first)[1]
        time.sleep(0.1)
    first.send_signal(signal.SIGTERM)
    code, stderr, _ = finish(first, 60)
    assert code == 130, stderr
    client.lpush(f"{prefix}:articles", *(one_article(n) for n in range(3, 5)))
    client.sadd(f"{prefix}:closed", 0)  # the worker's end: the run is over once they are stored
    client.delete(f"{prefix}:alive:0")
    code, stderr, _ = finish(writer(redis_server.url, "run-counts", db), 60)
    assert code == 0, stderr
    assert len(texts_of(db)) == 5
    with sqlite3.connect(db) as connection:
        counts = dict(
            connection.execute("SELECT counter, sum(value) FROM run_counts GROUP BY counter")
        )
    assert counts.get("stored") == 5 and counts.get("fetched") == 5, counts
    assert 0 < client.ttl(f"{prefix}:counts") <= 7 * 24 * 3600


def _committed(db: Path) -> dict[str, str]:
    """The articles a writer has committed to `db` so far (none before it made it)."""
    try:
        return texts_of(db) if db.exists() else {}
    except sqlite3.OperationalError:  # its tables not made yet
        return {}


KILLED_AROUND_THE_RUN_RECORD = """
import os, signal, sys
from newscrawl.frontier import Frontier

finish_run = Frontier.finish_run
moment = sys.argv[1]


def killed(self, *args, **kwargs):
    if moment == "after":
        finish_run(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)


Frontier.finish_run = killed
from newscrawl.cli import command

sys.argv = ["newscrawl", "writer", *sys.argv[2:]]
command()
"""


@pytest.mark.parametrize("moment", ["after", "before"])
def test_a_writer_killed_around_its_run_record_leaves_one_record(
    redis_server,  # noqa: F811
    tmp_path: Path,
    moment: str,
):
    """A writer that dies between its run record and the run's "stored" mark let
    the next writer record the run a second time, exit 0, the workers' counts
    doubled (found by a cluster review). The next writer now finds the record and
    is refused; a record the killed writer did not finish is replaced."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    run_id = f"run-record-{moment}"
    prefix = f"newscrawl:{run_id}:news"
    db = tmp_path / "r.sqlite"
    client.set(f"{prefix}:shards", 1)
    client.sadd(f"{prefix}:seeded", 0)
    client.sadd(f"{prefix}:closed", 0)
    client.hincrby(f"{prefix}:counts", "a.test\tfetched", 2)
    client.lpush(f"{prefix}:articles", one_article(1), one_article(2))
    args = ["--cluster", redis_server.url, "--run", run_id, "--db", str(db)]
    killed = subprocess.run(
        [str(BIN / "python"), "-c", KILLED_AROUND_THE_RUN_RECORD, moment, *args],
        check=False, cwd=REPO, capture_output=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    client.delete(f"{prefix}:writer")  # the killed writer's lock, as if it had expired
    code, stderr, _ = finish(writer(redis_server.url, run_id, db), 60)
    with sqlite3.connect(db) as connection:
        runs = connection.execute("SELECT id, finish_reason FROM runs").fetchall()
        fetched = connection.execute(
            "SELECT sum(value) FROM run_counts WHERE counter = 'fetched'"
        ).fetchone()[0]
    assert len(runs) == 1 and runs[0][1] == "finished", (runs, stderr)
    assert fetched == 2
    if moment == "after":
        assert code == 2, stderr
        assert "is stored already" in stderr.strip().splitlines()[-1], stderr
    else:
        assert code == 0, stderr
    assert sorted(texts_of(db)) == ["http://a.test/1", "http://a.test/2"]


REDIS_GONE_AT_THE_RUN_RECORD = """
import sys

import redis

from newscrawl.frontier import Frontier

start_run = Frontier.start_run
url = sys.argv[1]


def then_gone(self, *args, **kwargs):
    run_id = start_run(self, *args, **kwargs)
    redis.Redis.from_url(url).shutdown(save=True)  # down past the writer's --timeout
    return run_id


Frontier.start_run = then_gone
from newscrawl.cli import command

sys.argv = ["newscrawl", "writer", "--cluster", *sys.argv[1:]]
command()
"""


def test_a_writer_that_cannot_mark_its_run_record_leaves_none(tmp_path: Path):
    """A Redis gone (past --timeout) when the writer marks that it is recording
    the run ended the writer with its run record made and never finished: the
    next writer, finding no mark, recorded the run again, and the store listed an
    unfinished run beside the finished one (found by a review). The record the
    mark could not cover is now deleted before the writer stops."""
    import redis

    from .servers import RedisServer

    own_redis = RedisServer(persistent=True)
    try:
        client = redis.Redis.from_url(own_redis.url)
        run_id = "run-unmarked"
        prefix = f"newscrawl:{run_id}:news"
        db = tmp_path / "u.sqlite"
        client.set(f"{prefix}:shards", 1)
        client.sadd(f"{prefix}:seeded", 0)
        client.sadd(f"{prefix}:closed", 0)
        client.lpush(f"{prefix}:articles", one_article(1))
        lost = subprocess.run(
            [str(BIN / "python"), "-c", REDIS_GONE_AT_THE_RUN_RECORD, own_redis.url,
             "--run", run_id, "--db", str(db), "--timeout", "1"],
            check=False, cwd=REPO, capture_output=True, timeout=120,
        )  # fmt: skip
        stderr = lost.stderr.decode()
        assert lost.returncode == 1 and "Traceback" not in stderr, stderr
        assert "Redis" in stderr.strip().splitlines()[-1], stderr
        with sqlite3.connect(db) as connection:
            assert connection.execute("SELECT count(*) FROM runs").fetchone() == (0,)
        own_redis.process.wait(10)
        own_redis.start_again()
        client.delete(f"{prefix}:writer")  # its lock, as if it had expired
        code, stderr, _ = finish(writer(own_redis.url, run_id, db), 60)
        assert code == 0, stderr
        with sqlite3.connect(db) as connection:
            runs = connection.execute("SELECT finish_reason FROM runs").fetchall()
        assert runs == [("finished",)]
        assert list(texts_of(db)) == ["http://a.test/1"]
    finally:
        own_redis.stop()


def test_a_writer_killed_after_its_record_is_found_whatever_the_db_s_spelling(
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    """The mark held --db as typed: killed with `--db news.sqlite`, its successor
    given the absolute path found nothing and recorded the run again (found by a
    review)."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    run_id = "run-spelled"
    prefix = f"newscrawl:{run_id}:news"
    client.set(f"{prefix}:shards", 1)
    client.sadd(f"{prefix}:seeded", 0)
    client.sadd(f"{prefix}:closed", 0)
    client.lpush(f"{prefix}:articles", one_article(1))
    killed = subprocess.run(
        [str(BIN / "python"), "-c", KILLED_AROUND_THE_RUN_RECORD, "after",
         "--cluster", redis_server.url, "--run", run_id, "--db", "news.sqlite"],
        check=False, cwd=tmp_path, capture_output=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    client.delete(f"{prefix}:writer")
    db = tmp_path / "news.sqlite"
    code, stderr, _ = finish(writer(redis_server.url, run_id, db), 60)
    with sqlite3.connect(db) as connection:
        runs = connection.execute("SELECT id, finish_reason FROM runs").fetchall()
    assert code == 2 and runs == [(1, "finished")], (runs, stderr)


def test_a_writer_started_again_on_a_given_up_run_stores_its_late_workers(
    redis_server,  # noqa: F811
    tmp_path: Path,
):
    """A run given up (no worker came within --wait) may still get its late
    workers; the writer's mark of its record must not refuse the next writer
    (found by a review: exit 2, the late articles left in Redis)."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    prefix = "newscrawl:run-given-up:news"
    db = tmp_path / "late.sqlite"
    client.set(f"{prefix}:shards", 1)  # one shard, its worker late: the run is given up
    code, stderr, _ = finish(writer(redis_server.url, "run-given-up", db, "--wait", "1"), 60)
    assert code == 1, stderr
    client.sadd(f"{prefix}:seeded", 0)
    client.lpush(f"{prefix}:articles", one_article(1), one_article(2))
    client.sadd(f"{prefix}:closed", 0)
    code, stderr, _ = finish(writer(redis_server.url, "run-given-up", db, "--wait", "1"), 60)
    assert code == 0, stderr
    assert sorted(texts_of(db)) == ["http://a.test/1", "http://a.test/2"]
    with sqlite3.connect(db) as connection:
        reasons = [r for (r,) in connection.execute("SELECT finish_reason FROM runs ORDER BY id")]
    assert reasons == ["cluster_incomplete", "finished"]
