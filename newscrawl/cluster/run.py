"""A cluster run as a whole: reaching its Redis, reading where it stands, and
the settings that make a crawl one of its workers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newscrawl.cluster.keys import ClusterError, RunKeys, Shard, parse_run_id
from newscrawl.urls import without_password

if TYPE_CHECKING:
    import redis

__all__ = [
    "RunProgress",
    "check_cluster",
    "cluster_settings",
    "configuration_mismatch",
    "connect",
    "run_configuration",
    "run_progress",
]


def connect(url: str) -> redis.Redis:
    """A client of the cluster's Redis, checked with a PING; ClusterError if it fails."""
    import redis

    shown = without_password(url)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ClusterError(f"cluster: expected a redis:// URL, got {shown!r}")
    try:
        # Calls block the event loop: a Redis that stops answering must not hang it.
        server = redis.Redis.from_url(
            url, socket_connect_timeout=10, socket_timeout=5, health_check_interval=30
        )
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise ClusterError(f"cannot reach the cluster's Redis at {shown}: {exc}") from None
    return server


@dataclass(frozen=True)
class RunProgress:
    """Where a cluster run stands, read from its Redis keys."""

    shards: int  # 0: no worker has started
    queued: list[int]  # requests waiting, per shard
    in_flight: list[int]  # requests taken by a worker and not finished, per shard
    seen: int  # distinct requests the run has queued
    seeded: int  # workers that have sent their seeds
    closed: int  # workers that have stopped
    for_writer: int  # articles waiting for `newscrawl writer`
    alive: list[bool]  # per shard: its worker's heartbeat is there (keys.alive)

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing in flight, on any shard."""
        return not any(self.queued) and not any(self.in_flight)

    @property
    def over(self) -> bool:
        return (
            self.shards > 0
            and self.closed >= self.seeded >= self.shards
            and self.idle
            and not self.for_writer
        )


def run_progress(server: redis.Redis, keys: RunKeys, shards: int | None = None) -> RunProgress:
    """The run's counts, read in one transaction, so that a request moving from a
    queue to an in-flight hash (or back) cannot be missed between two reads.
    `shards`: the run's shard count, if the caller knows it (else read from Redis)."""
    if shards is None:
        shards = int(server.get(keys.shards) or 0)
    with server.pipeline(transaction=True) as pipe:
        for index in range(shards):
            pipe.zcard(keys.queue(index))
            pipe.hlen(RunKeys.inflight(keys.queue(index)))
            pipe.exists(keys.alive(index))
        for key in (keys.seen, keys.seeded, keys.closed):
            pipe.scard(key)
        pipe.llen(keys.articles)
        *per_shard, seen, seeded, closed, for_writer = pipe.execute()
    queued, in_flight, alive = per_shard[0::3], per_shard[1::3], per_shard[2::3]
    return RunProgress(
        shards, queued, in_flight, seen, seeded, closed, for_writer, [bool(a) for a in alive]
    )


def run_configuration(
    shards: int, sites: Iterable[tuple[str, Iterable[str]]], store: str
) -> dict[str, Any]:
    """What every worker of one run must share: its shard count and its sites (by
    name and entry URLs; a site's shard follows its name), which decide which
    worker crawls which site, and where the articles go (`store`: "writer", a
    database URL without its password, or "" for none). Workers that differ
    split the sites wrongly: a site no worker crawls, or two at once."""
    listed = sorted((name, sorted(urls)) for name, urls in sites)
    digest = hashlib.sha256(json.dumps(listed).encode()).hexdigest()[:16]
    return {"shards": shards, "sites": digest, "site_count": len(listed), "store": store}


def configuration_mismatch(run: dict[str, Any], worker: dict[str, Any]) -> str | None:
    """Why a worker of configuration `worker` cannot join the run of `run` (as
    run_configuration gives them), or None if it can. An empty `run`: its record
    could not be read."""
    if not all(key in run for key in worker):
        return "the run's configuration in Redis cannot be read (another newscrawl version?)"
    if run.get("shards") != worker["shards"]:
        return (
            f"the run has {run.get('shards')} shards, this worker {worker['shards']}"
            f" (--shard N/{worker['shards']}): every worker of a run gives the same count"
        )
    if run.get("sites") != worker["sites"]:
        return (
            f"this worker's sites ({worker['site_count']}) are not the run's"
            f" ({run.get('site_count')}; names or entry URLs differ): every worker of a"
            " run needs the same sites (sites file, start URLs)"
        )
    if run.get("store") != worker["store"]:
        return (
            f"this worker stores to {worker['store'] or 'no store'}, the run's workers"
            f" to {run.get('store') or 'no store'}"
        )
    return None


def check_cluster(url: str, run: str, shard: str) -> None:
    """Every cluster option checked, and Redis reached, before the crawl starts."""
    parse_run_id(run)
    Shard.parse(shard)
    connect(url).close()


def cluster_settings(url: str, run: str, shard: str, writer: bool = False) -> dict[str, Any]:
    """The settings that make a crawl one worker of a cluster; with `writer`, one
    that sends its articles to the run's `newscrawl writer`."""
    extra: dict[str, Any] = {}
    if writer:
        # Beside newscrawl's pipelines, which are in ITEM_PIPELINES_BASE.
        pipelines = {"newscrawl.cluster.worker.ArticleQueuePipeline": 300}
        extra = {"NEWSCRAWL_CLUSTER_WRITER": True, "ITEM_PIPELINES": pipelines}
    return {
        **extra,
        "SCHEDULER": "newscrawl.cluster.scheduler.ClusterScheduler",
        "NEWSCRAWL_CLUSTER_URL": url,
        "NEWSCRAWL_CLUSTER_RUN": run,
        "NEWSCRAWL_SHARD": shard,
        # A request leaves Redis once its items are through the pipelines: they
        # must be committed by then.
        "NEWSCRAWL_SQLITE_COMMIT_EVERY": 1,
    }
