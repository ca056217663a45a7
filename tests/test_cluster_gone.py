"""A cluster run that loses a part for good: a worker killed and not restarted, a
Redis restarted without its data. The other workers must not wait for ever, nor
report a finished crawl; real Redis, PostgreSQL and worker processes, as in
tests/test_cluster.py."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from newscrawl.cluster.keys import site_shard
from newscrawl.storage import ArticleStore

from .gatedsite import Gate
from .multisite import MultiSite
from .servers import postgres_server, redis_server  # noqa: F401  (fixtures)
from .test_cluster import (  # noqa: F401  (a fixture)
    finish,
    held,
    no_worker_outlives_its_test,
    sites_on_both_shards,
    stored,
    wait_for_a_held_article,
    worker,
)

# A short heartbeat, so that a killed worker is seen gone within seconds. Its
# refresh (a quarter of it) must still outlast the stalls of a busy machine.
HEARTBEAT = ("-s", "NEWSCRAWL_CLUSTER_HEARTBEAT=3")


def kill_mid_run(sites: MultiSite, workers: list, victim: int) -> None:
    """SIGKILL worker `victim` of two once one of its sites holds an article back
    (its requests are in flight then), and open every site's gate."""
    its_sites = [s for s in sites.sites if site_shard(s.name, 2) == victim]
    wait_for_a_held_article(its_sites, workers)
    workers[victim].send_signal(signal.SIGKILL)
    workers[victim].communicate(timeout=30)
    for site in sites.sites:
        site.gate.open()


def gated_sites() -> MultiSite:
    sites = sites_on_both_shards(articles=8, delay=0.02)
    for site in sites.sites:
        site.gate = Gate("/news/", 2)
    return sites


def test_a_worker_killed_and_not_restarted_stops_the_others_after_their_wait(
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """A worker killed mid-run (its machine lost, an OOM kill) and never restarted:
    the others waited for ever without a word, since a scheduled run's next start
    is a new run (found by a cluster review). They warn once, wait
    NEWSCRAWL_CLUSTER_WAIT, and stop with exit 1 naming the shard; its requests
    stay in Redis, and a worker of the shard started later does them."""
    import redis

    sites = gated_sites()
    try:
        database = postgres_server.new_database()
        ArticleStore.open(database).close()
        args = (redis_server.url, database, "run-gone")
        wait = ("-s", "NEWSCRAWL_CLUSTER_WAIT=4")
        workers = [worker(*args, f"{i}/2", sites.urls, *HEARTBEAT, *wait) for i in (0, 1)]
        shards = [site_shard(s.name, 2) for s in sites.sites]
        victim = max((0, 1), key=shards.count)
        kill_mid_run(sites, workers, victim)
        code, stderr, _ = finish(workers[1 - victim], timeout=90)  # it waited for ever
        assert code == 1, stderr[-3000:]
        assert "Traceback" not in stderr
        assert stderr.count(f"shard {victim}'s worker is gone with ") == 1, stderr[-3000:]
        assert "waiting up to 4 s for it to be restarted" in stderr
        last = stderr.strip().splitlines()[-1]
        assert last.startswith(
            f"newscrawl: error: this worker stopped: shard {victim}'s worker was gone for 4 s"
        ), last
        assert last.endswith(
            f"they stay in Redis for a worker of shard {victim}/2 started with this --run id"
        ), last
        client = redis.Redis.from_url(redis_server.url)
        queue = f"newscrawl:run-gone:news:queue:{victim}"
        assert client.zcard(queue) + client.hlen(f"{queue}:inflight") > 0
        assert len(stored(database)) < len(sites.articles)
        # Started later with the run's id, a worker of that shard does the rest.
        late = worker(*args, f"{victim}/2", sites.urls, *HEARTBEAT, *wait)
        code, stderr, _ = finish(late, timeout=90)
        assert code == 0, stderr[-3000:]
        assert stored(database) == sites.articles
    finally:
        sites.close()


def test_a_killed_worker_restarted_while_the_others_wait_lets_the_run_go_on(
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """The others see the killed worker gone and say so; restarted within their
    wait, it takes its shard's requests back and every worker ends with exit 0."""
    sites = gated_sites()
    try:
        database = postgres_server.new_database()
        ArticleStore.open(database).close()
        args = (redis_server.url, database, "run-back")
        wait = ("-s", "NEWSCRAWL_CLUSTER_WAIT=120")
        workers = [worker(*args, f"{i}/2", sites.urls, *HEARTBEAT, *wait) for i in (0, 1)]
        shards = [site_shard(s.name, 2) for s in sites.sites]
        victim = max((0, 1), key=shards.count)
        survivor = workers[1 - victim]
        kill_mid_run(sites, workers, victim)
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda: lines.extend(line.decode() for line in survivor.stderr or ())
        )
        reader.start()
        deadline = time.monotonic() + 60
        while not any(f"shard {victim}'s worker is gone" in line for line in lines):
            assert survivor.poll() is None, "".join(lines)[-3000:]
            assert time.monotonic() < deadline, "the survivor never said the worker is gone"
            time.sleep(0.2)
        workers[victim] = worker(*args, f"{victim}/2", sites.urls, *HEARTBEAT, *wait)
        code, stderr, _ = finish(workers[victim], timeout=90)
        assert code == 0, stderr[-3000:]
        survivor.wait(60)
        reader.join(10)
        survivor.communicate(timeout=10)
        said = "".join(lines)
        assert survivor.returncode == 0, said[-3000:]
        assert f"shard {victim} has a worker again" in said
        assert "Traceback" not in said + stderr
        assert stored(database) == sites.articles
    finally:
        sites.close()


def test_a_redis_restarted_without_its_data_stops_the_workers_with_exit_1(
    postgres_server,  # noqa: F811
):
    """Redis restarted without persistence mid-run: the run's queue and duplicate
    filter were gone, the workers found an empty run, took it for finished and
    exited 0 with pages never fetched (found by a cluster review). They see the
    run's token gone and stop with exit 1 and one line."""
    from .servers import RedisServer

    sites = gated_sites()
    own_redis = RedisServer()  # no persistence: a restart loses everything
    try:
        database = postgres_server.new_database()
        ArticleStore.open(database).close()
        args = (own_redis.url, database, "run-wiped")
        workers = [worker(*args, f"{i}/2", sites.urls, *HEARTBEAT) for i in (0, 1)]
        deadline = time.monotonic() + 120
        while not all(
            any(held(s) for s in sites.sites if site_shard(s.name, 2) == i) for i in (0, 1)
        ):
            assert all(w.poll() is None for w in workers), "a worker ended before the restart"
            assert time.monotonic() < deadline, "the workers never asked for a held article"
            time.sleep(0.2)
        own_redis.process.kill()  # no save on the way down
        own_redis.process.wait(10)
        time.sleep(1)
        own_redis.start_again()
        for site in sites.sites:
            site.gate.open()
        for process in workers:
            code, stderr, _ = finish(process, timeout=90)
            assert code == 1, stderr[-3000:]
            assert "Traceback" not in stderr
            assert stderr.strip().splitlines()[-1] == (
                "newscrawl: error: this worker stopped: the cluster's Redis lost this run's"
                " queue (restarted without persistence?): pages may be missing; run again"
                " with a new --run id"
            ), stderr[-3000:]
    finally:
        own_redis.stop()
        sites.close()


@pytest.mark.parametrize("refused", ["-@scripting", "-scan", "-srem"])
def test_a_redis_user_refused_a_command_the_worker_needs_gets_one_line_and_exit_2(
    refused: str,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """An ACL user without a command the worker needs: refused while the scheduler
    opened, Scrapy printed two tracebacks above the last line; without SCAN
    (used at its close) the worker exited 0, the run's keys left without expiry
    (found by a cluster review). Each is one line, exit 2, before any page."""
    import redis

    user = f"worker{refused.strip('-@')}"
    client = redis.Redis.from_url(redis_server.url)
    client.execute_command("ACL", "SETUSER", user, "on", ">pw", "~*", "+@all", refused)
    url = f"redis://{user}:pw@127.0.0.1:{redis_server.port}/0"
    sites = MultiSite(1, articles=2)
    try:
        database = postgres_server.new_database()
        code, stderr, _ = finish(worker(url, database, f"run-acl{user}", "0/1", sites.urls), 60)
        assert code == 2, stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]
        last = stderr.strip().splitlines()[-1]
        assert last.startswith("newscrawl: error: the crawl could not start:"), last
        assert "no permissions to run the" in last, last
        assert not sites.sites[0].hits  # refused before any page
        # Nor a run of one shard for `newscrawl stats --cluster` and the writer.
        assert not client.exists(f"newscrawl:run-acl{user}:news:shards")
    finally:
        sites.close()


def test_a_writer_whose_worker_was_killed_gives_the_run_up_after_its_wait(
    redis_server,  # noqa: F811
    tmp_path,
):
    """A writer cluster whose worker was killed mid-run and not restarted: the
    writer waited while any shard had pages in flight or a worker had not
    closed, so for ever (found by two cluster reviews). It counts a worker at
    work while its heartbeat lasts: after --wait it gives the run up, exit 1,
    naming the shard, what was sent to it stored."""
    from .test_cluster import texts_of, writer

    sites = gated_sites()
    try:
        db = tmp_path / "w.sqlite"
        store = writer(redis_server.url, "run-wgone", db, "--wait", "3")
        args = (redis_server.url, "", "run-wgone")
        wait = ("-s", "NEWSCRAWL_CLUSTER_WAIT=3")
        workers = [
            worker(*args, f"{i}/2", sites.urls, "--writer", *HEARTBEAT, *wait) for i in (0, 1)
        ]
        shards = [site_shard(s.name, 2) for s in sites.sites]
        victim = max((0, 1), key=shards.count)
        kill_mid_run(sites, workers, victim)
        assert finish(workers[1 - victim], timeout=90)[0] == 1
        code, stderr, _ = finish(store, timeout=90)  # it waited for ever
        assert code == 1, stderr[-3000:]
        assert (
            stderr.strip()
            .splitlines()[-1]
            .startswith(
                f"newscrawl: error: the worker of shard {victim} was gone (killed, or cut off"
                " from Redis) for 3 s with pages left"
            )
        ), stderr[-2000:]
        survivor = {s.name for s in sites.sites if site_shard(s.name, 2) != victim}
        theirs = sorted(url for s in sites.sites if s.name in survivor for url in s.articles)
        assert [url for url in sorted(texts_of(db)) if url in theirs] == theirs
    finally:
        sites.close()
