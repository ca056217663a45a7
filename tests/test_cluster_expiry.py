"""What a cluster worker's end leaves in Redis: real Redis and PostgreSQL servers,
a real worker process, a local site."""

from collections.abc import Iterator

import pytest

from newscrawl.cluster.keys import KEY_LIFETIME, RunKeys
from newscrawl.cluster.writerlock import LOCK_SECONDS

from .multisite import MultiSite
from .servers import postgres_server, redis_server  # noqa: F401  (fixtures)
from .test_cluster import finish, stored, worker


@pytest.fixture()
def one_site() -> Iterator[MultiSite]:
    sites = MultiSite(1, 3, 0.01)
    yield sites
    sites.close()


def test_a_workers_end_leaves_a_killed_writers_lock_its_short_expiry(
    one_site: MultiSite,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """A worker's end gives every key of its run a week to live, and gave it to
    the run's writer lock too: a writer killed with -9 then held its run for a
    week, not LOCK_SECONDS, its successor was refused, and the articles waiting
    for it expired unstored (found by a review)."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    keys = RunKeys.of("run-expiry", "news")
    client.set(keys.writer_lock, '{"pid": 1, "host": "gone"}', px=LOCK_SECONDS * 1000)
    database = postgres_server.new_database()
    code, stderr, _ = finish(worker(redis_server.url, database, "run-expiry", "0/1", one_site.urls))
    assert code == 0, stderr[-2000:]
    assert 0 < client.ttl(keys.closed) <= KEY_LIFETIME  # the run's keys do expire
    assert client.pttl(keys.writer_lock) <= LOCK_SECONDS * 1000  # -2 once expired


def test_a_queued_request_no_worker_can_read_is_set_aside_counted_and_said(
    one_site: MultiSite,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """A queued request this worker cannot turn back into one (another newscrawl
    version's callback, a stray push) gave a traceback and stayed in flight; an
    idle worker then put it back in the queue twice a second, for ever (found by
    a review): it is set aside in Redis, counted, and the run ends with exit 1."""
    import json

    import redis

    client = redis.Redis.from_url(redis_server.url)
    keys = RunKeys.of("run-unreadable", "news")
    record = {
        "url": one_site.urls[0] + "renamed-callback", "callback": "parse_article_v2",
        "errback": None, "method": "GET", "headers": {}, "body": {"$b64": ""}, "cookies": {},
        "meta": {}, "encoding": "utf-8", "priority": 0, "dont_filter": True, "flags": [],
        "cb_kwargs": {}, "arrival": 0,
    }  # fmt: skip
    member = json.dumps(record, sort_keys=True, separators=(",", ":"))
    client.zadd(keys.queue(0), {member: -(10**15)})
    client.zadd(keys.queue(0), {"not json at all": -(10**15) + 1})
    database = postgres_server.new_database()
    process = worker(redis_server.url, database, "run-unreadable", "0/1", one_site.urls)
    code, stderr, _ = finish(process, 90)
    assert code == 1, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "2 queued requests could not be read" in stderr, stderr[-2000:]
    set_aside = client.lrange(RunKeys.rejected_requests(keys.queue(0)), 0, -1)
    assert sorted(set_aside) == sorted([member.encode(), b"not json at all"])
    assert client.hlen(RunKeys.inflight(keys.queue(0))) == 0
    assert len(stored(database)) == 3  # the site's articles, beside them
