"""Several workers, one crawl: newscrawl's layer over scrapy-redis.

- keys.py       a run's id, its shards and its Redis keys (pure: no Redis needed)
- run.py        reaching the run's Redis, where the run stands, a worker's settings
- worker.py     this process as one worker: its Redis client, and what it sends to
                and learns from `newscrawl writer`
- scheduler.py  Scrapy's scheduler over the run's shared queues
- writer.py     `newscrawl writer`: a cluster's articles into one SQLite store
- writerbatches.py  which of the writer's batches its store has committed

Everything but keys.py needs the cluster extra (pip install 'newscrawl[cluster]').
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["ClusterExtension"]


class ClusterExtension:
    """EXTENSIONS' entry for worker.ClusterWorker, importing it (and redis) only in a
    cluster's crawl: Scrapy imports every extension it is given, and redis's import
    cost every crawl about 0.15 s before it learnt the cluster was off."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        from scrapy.exceptions import NotConfigured

        from newscrawl.config import NewscrawlConfig

        config = NewscrawlConfig.of(crawler)
        if config.cluster_url is None or config.cluster_run is None:
            raise NotConfigured  # off: nothing to log, it is the default
        from newscrawl.cluster.worker import ClusterWorker

        return ClusterWorker.from_crawler(crawler)
