"""The names of a cluster run: its id, its shards, its Redis keys.

Pure functions and values, without Redis: the configuration checks a run id and
a shard here, and every part of the cluster spells its keys here.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from newscrawl.urls import site_of

__all__ = [
    "KEY_LIFETIME",
    "MAX_SHARDS",
    "ClusterError",
    "RunKeys",
    "Shard",
    "parse_run_id",
    "shard_of_site_or_url",
    "site_shard",
]

# Run keys outlive the run by this long (seconds), for `newscrawl stats`-style
# inspection and late restarts, then Redis drops them.
KEY_LIFETIME = 7 * 24 * 3600

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


# Workers of one run, at most: each idle poll asks Redis about every shard, and a
# typo (0/100000) made that 200,000 commands a poll, its error line 600 KB long.
MAX_SHARDS = 1024


class ClusterError(ValueError):
    """A cluster option or the Redis server is not usable; the message says which."""


@dataclass(frozen=True)
class Shard:
    """This worker's share of the sites: index `index` of `count` (0-based)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
        if match is None:
            raise ClusterError(f"shard: expected INDEX/COUNT such as 0/2, got {text!r}")
        index, count = int(match[1]), int(match[2])
        if count < 1 or index >= count:
            raise ClusterError(f"shard: index must be 0 to COUNT-1 and COUNT at least 1: {text!r}")
        if count > MAX_SHARDS:
            raise ClusterError(f"shard: COUNT may be at most {MAX_SHARDS}: {text!r}")
        return cls(index, count)

    def owns(self, site: str) -> bool:
        """Whether this shard crawls (and seeds) `site`."""
        return site_shard(site, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_run_id(text: str) -> str:
    if not _RUN_ID.fullmatch(text or ""):
        raise ClusterError(
            f"run id: 1 to 64 letters, digits, '.', '_' or '-' (e.g. 2026-11-27T10), got {text!r}"
        )
    return text


def site_shard(site: str, count: int) -> int:
    """The shard that crawls `site`. crc32, not hash(): every worker must agree."""
    return zlib.crc32(site.encode("utf-8")) % count


def shard_of_site_or_url(site: str | None, url: str, count: int) -> int:
    """The shard that crawls a request: its site's (the spider's name for it), else
    its host's."""
    return site_shard(str(site or site_of(url)), count)


@dataclass(frozen=True)
class RunKeys:
    """Every Redis key of one run of one spider, spelled once."""

    prefix: str  # newscrawl:<run>:<spider>

    @classmethod
    def of(cls, run: str, spider: str) -> RunKeys:
        return cls(f"newscrawl:{run}:{spider}")

    @property
    def run(self) -> str:
        """The run's id."""
        return self.prefix.split(":")[1]

    @property
    def pattern(self) -> str:
        """Matches every key of the run (SCAN)."""
        return f"{self.prefix}:*"

    @property
    def queue_base(self) -> str:
        return f"{self.prefix}:queue"

    def queue(self, shard: int) -> str:
        """The sorted set of a shard's waiting requests."""
        return f"{self.prefix}:queue:{shard}"

    @staticmethod
    def inflight(queue: str) -> str:
        """The hash of the requests taken from `queue` and not yet finished."""
        return f"{queue}:inflight"

    @staticmethod
    def rejected_requests(queue: str) -> str:
        """The requests popped from `queue` that could not be read, set aside."""
        return f"{queue}:rejected"

    @staticmethod
    def arrivals(queue: str) -> str:
        """The counter that numbers the requests pushed onto `queue`."""
        return f"{queue}:arrivals"

    @property
    def seen(self) -> str:
        """The run's duplicate filter: the fingerprints of the requests queued."""
        return f"{self.prefix}:seen"

    @property
    def seeded(self) -> str:
        """The shards whose worker has sent its seeds."""
        return f"{self.prefix}:seeded"

    @property
    def closed(self) -> str:
        """The shards whose worker has closed."""
        return f"{self.prefix}:closed"

    def alive(self, shard: int) -> str:
        """The heartbeat of a shard's worker: set with an expiry, refreshed while the
        worker runs, deleted when it closes. Gone: its worker is dead or stopped."""
        return f"{self.prefix}:alive:{shard}"

    @property
    def epoch(self) -> str:
        """A token the run's first worker sets: a worker that finds another, or none,
        knows Redis lost the run's keys (restarted without persistence)."""
        return f"{self.prefix}:epoch"

    @property
    def configuration(self) -> str:
        """What every worker of the run must share (run.run_configuration), as its
        first worker set it."""
        return f"{self.prefix}:configuration"

    @property
    def shards(self) -> str:
        """The run's shard count (for `newscrawl writer` and `stats --cluster`)."""
        return f"{self.prefix}:shards"

    @property
    def articles(self) -> str:
        """Articles the workers of a writer cluster send to `newscrawl writer`."""
        return f"{self.prefix}:articles"

    @property
    def articles_writing(self) -> str:
        """Articles the writer has taken and not yet committed."""
        return f"{self.prefix}:articles:writing"

    @property
    def writing_batch(self) -> str:
        """The token of the batch in the "writing" lists, set before the writer's
        store commits it (cluster/writerbatches.py)."""
        return f"{self.prefix}:writing:batch"

    @property
    def url_states(self) -> str:
        """URL states (pending, failed, skipped) the workers send to the writer."""
        return f"{self.prefix}:urlstates"

    @property
    def url_states_writing(self) -> str:
        return f"{self.prefix}:urlstates:writing"

    @property
    def rejected(self) -> str:
        """Messages from the workers the writer could not read, set aside."""
        return f"{self.prefix}:rejected"

    @property
    def counts(self) -> str:
        """The workers' per-site counts for the writer's run record."""
        return f"{self.prefix}:counts"

    def known(self, site: str) -> str:
        """The settled URLs of `site` the writer publishes for the workers."""
        return f"{self.prefix}:known:{site}"

    def pending(self, site: str) -> str:
        """The URLs of `site` an earlier run left to fetch."""
        return f"{self.prefix}:pending:{site}"

    @property
    def writer_lock(self) -> str:
        """Held by the run's one writer (cluster/writerlock.py)."""
        return f"{self.prefix}:writer"

    @property
    def last_writer(self) -> str:
        """The lock's value of the writer that took the run's lock last."""
        return f"{self.prefix}:last-writer"

    @property
    def stored(self) -> str:
        """Set by the writer that stored the run, once its run record is written."""
        return f"{self.prefix}:stored"

    @property
    def recording(self) -> str:
        """Set by the writer about to record the run: its store and the record's id,
        so that a successor can tell whether the record was written."""
        return f"{self.prefix}:recording"

    @property
    def known_ready(self) -> str:
        """Set once the writer has published what it knows."""
        return f"{self.prefix}:known-ready"
