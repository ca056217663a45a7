"""What a cluster worker's end leaves in Redis: real Redis and PostgreSQL servers,
a real worker process, a local site."""

from collections.abc import Iterator

import pytest

from newscrawl.cluster.keys import KEY_LIFETIME, RunKeys
from newscrawl.cluster.writerlock import LOCK_SECONDS

from .multisite import MultiSite
from .servers import postgres_server, redis_server  # noqa: F401  (fixtures)
from .test_cluster import finish, worker


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
