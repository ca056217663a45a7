"""Several workers, one crawl: newscrawl's layer over scrapy-redis.

- keys.py       a run's id, its shards and its Redis keys (pure: no Redis needed)
- run.py        reaching the run's Redis, where the run stands, a worker's settings
- worker.py     this process as one worker: its Redis client, and what it sends to
                and learns from `newscrawl writer`
- scheduler.py  Scrapy's scheduler over the run's shared queues
- writer.py     `newscrawl writer`: a cluster's articles into one SQLite store

Everything but keys.py needs the cluster extra (pip install 'newscrawl[cluster]').
"""
