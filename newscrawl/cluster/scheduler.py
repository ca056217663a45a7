"""One worker's share of a cluster crawl: Scrapy's scheduler over Redis.

scrapy-redis shares Scrapy's request queue and duplicate filter through Redis.
Used as it comes, it does not fit a scheduled news crawl (see the README's
"Running on several machines"); this keeps its scheduler, queue base and
duplicate filter and changes what they do:

- Keys are scoped to a run id (newscrawl/cluster/keys.py), so the next
  scheduled run starts clean instead of finding every hub "seen".
- Requests go to the queue of a shard, chosen from the request's site (or
  host): each site is crawled by one worker at a time, so its politeness
  limits (delay, concurrency) hold across the cluster.
- Requests are stored as JSON, never pickle: whoever can write to Redis can
  only ask for URLs, not run code in the workers.
- A popped request moves, in one Redis step, to its shard's in-flight hash,
  and leaves it only once Scrapy has finished with it (downloaded, parsed, its
  items through the pipelines). A worker that dies leaves its requests there;
  the next worker of that shard puts them back in the queue: at least once,
  and the store's upsert makes a repeat harmless.
- Each worker seeds its own shard's sites; seeds go through the shared
  duplicate filter, so a restarted worker does not fetch them again.
- A worker closes only when the whole cluster is idle: every worker has sent
  its seeds, every queue and every in-flight hash is empty. Idle workers look
  again every quarter second.
- Each worker keeps a heartbeat in Redis (a key with an expiry, refreshed every
  few seconds). A shard with work left and no heartbeat has lost its worker
  (killed, its machine gone): the others wait NEWSCRAWL_CLUSTER_WAIT for it to
  be restarted, then stop, as for a shard whose worker never started.
- A Redis that comes back without the run's keys (restarted without
  persistence) has lost its queue and duplicate filter: the workers see the
  run's token gone (keys.epoch) and stop with exit 1, rather than take the
  empty Redis for a finished run.
- A Redis that does not answer (down, restarting, stopped) is waited for up to
  NEWSCRAWL_CLUSTER_TIMEOUT; a Redis that answers with a refusal (full, a
  read-only replica, a failed save, an ACL) stops the worker at once: waiting
  would not change its answer.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import time
from base64 import b64decode, b64encode
from collections import deque
from typing import TYPE_CHECKING, Any

from redis.exceptions import (
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
)
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base as RedisQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet.task import LoopingCall

from newscrawl.cluster.keys import KEY_LIFETIME, RunKeys, shard_of_site_or_url
from newscrawl.cluster.outage import is_outage
from newscrawl.cluster.run import RunProgress, run_progress
from newscrawl.cluster.worker import ClusterWorker
from newscrawl.stopwatch import stop_crawl
from newscrawl.vocabulary import (
    CLUSTER_ERROR,
    CLUSTER_INCOMPLETE,
    CLUSTER_LOST,
    CLUSTER_REQUEUED,
    CLUSTER_UNREADABLE,
    FINISHED,
    SHUTDOWN,
    START_ERROR,
    START_FAILED,
    WRITE_ERRORS,
)

if TYPE_CHECKING:
    from collections.abc import Container

    import redis
    from scrapy import Spider
    from scrapy.crawler import Crawler

__all__ = ["ClusterScheduler", "JsonRequests", "ShardQueue", "shard_of"]

logger = logging.getLogger(__name__)

# How often an idle worker looks at the cluster again (seconds).
IDLE_POLL = 0.25
# How often a worker refreshes its heartbeat, at most (seconds): a quarter of its
# lifetime when that is shorter, so that a stalled loop or two does not lose it.
BEAT_EVERY = 5.0
# Requests a worker keeps in memory while Redis does not answer (see
# enqueue_request): few in practice, since it takes no new page meanwhile.
MAX_UNSENT = 10_000


def refusal(error: RedisError) -> str:
    """What a Redis that answered `error` does, for the worker's last line."""
    text = str(error)
    code = getattr(error, "status_code", None)
    if code and not text.startswith(code):
        text = f"{code} {text}"  # redis-py drops "OOM", "READONLY" from the text
    if isinstance(error, OutOfMemoryError | ReadOnlyError) or text.startswith("MISCONF"):
        return f"refuses writes: {text}"
    return f"refused a command: {text}"


def _requests_left(queued: int, in_flight: int) -> str:
    """What a shard holds, in words: "3 requests queued and 15 in flight"."""
    if queued and in_flight:
        return f"{queued} requests queued and {in_flight} in flight"
    return f"{queued} requests queued" if queued else f"{in_flight} requests in flight"


def shard_of(request: Request, count: int) -> int:
    """The shard that crawls `request`: its site's (the spider's name for it), else
    its host's."""
    return shard_of_site_or_url(request.meta.get("site"), request.url, count)


class JsonRequests:
    """scrapy-redis's serializer interface (`dumps`, `loads`) in JSON.

    Bytes (headers, bodies) are base64; anything else that JSON cannot hold in a
    request's meta is refused with its key named, rather than pickled.
    """

    @staticmethod
    def _encode(value: Any) -> Any:
        if isinstance(value, bytes):
            return {"$b64": b64encode(value).decode("ascii")}
        if isinstance(value, dict):
            return {
                (k.decode("latin-1") if isinstance(k, bytes) else k): JsonRequests._encode(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [JsonRequests._encode(v) for v in value]
        if value is None or isinstance(value, str | int | float | bool):
            return value
        raise TypeError(f"a request cannot carry {type(value).__name__} to Redis: {value!r}")

    @staticmethod
    def _decode(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$b64"}:
                return b64decode(value["$b64"])
            return {k: JsonRequests._decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [JsonRequests._decode(v) for v in value]
        return value

    @staticmethod
    def dumps(request: dict[str, Any]) -> str:
        return json.dumps(JsonRequests._encode(request), sort_keys=True, separators=(",", ":"))

    @staticmethod
    def loads(text: str | bytes) -> dict[str, Any]:
        decoded: dict[str, Any] = JsonRequests._decode(json.loads(text))
        return decoded


# Pops the first request of a shard's queue into its in-flight hash, in one step:
# a worker killed between the two would otherwise lose it.
_POP_TO_INFLIGHT = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if popped[1] then redis.call('HSET', KEYS[2], popped[1], popped[2]) end
return popped[1]
"""

# Marks a request seen and queues it in one step: a worker that fails between the
# two would leave it seen but never queued. ARGV[3] is empty for a request that
# skips the duplicate filter.
_ENQUEUE = """
if ARGV[3] ~= '' and redis.call('SADD', KEYS[2], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
"""

# Puts a dead worker's in-flight requests back in its shard's queue.
_REQUEUE = """
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do redis.call('ZADD', KEYS[1], entries[i + 1], entries[i]) end
redis.call('DEL', KEYS[2])
return #entries / 2
"""

# Puts back in the queue what a shard's in-flight hash holds beyond ARGV (the
# requests its worker knows it took): pops whose answer never reached it.
_RECLAIM = """
local known = {}
for i = 1, #ARGV do known[ARGV[i]] = true end
local entries = redis.call('HGETALL', KEYS[2])
local back = 0
for i = 1, #entries, 2 do
  if not known[entries[i]] then
    redis.call('ZADD', KEYS[1], entries[i + 1], entries[i])
    redis.call('HDEL', KEYS[2], entries[i])
    back = back + 1
  end
end
return back
"""


class ShardQueue(RedisQueue):  # type: ignore[misc]
    """One shard's requests: a sorted set, highest priority first, then in order of
    arrival. Each member is the request's JSON with its arrival number, so equal
    requests (retries) stay distinct."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any) -> None:
        super().__init__(server, spider, key, serializer)
        self.inflight_key = RunKeys.inflight(self.key)
        self.counter_key = RunKeys.arrivals(self.key)
        self._pop = server.register_script(_POP_TO_INFLIGHT)
        self._enqueue = server.register_script(_ENQUEUE)
        self._requeue = server.register_script(_REQUEUE)
        self._reclaim = server.register_script(_RECLAIM)

    def __len__(self) -> int:
        return int(self.server.zcard(self.key))

    def push(self, request: Request, seen_key: str = "", fingerprint: str = "") -> bool:
        """Queue `request`; with a `fingerprint`, only if the set at `seen_key` does not
        hold it yet (and add it there). False: a duplicate, not queued."""
        arrival = int(self.server.incr(self.counter_key))
        record = request.to_dict(spider=self.spider)
        record["arrival"] = arrival
        # Priorities are small integers; arrivals stay below 2**40 for any real run.
        score = -request.priority * 2**40 + arrival
        member = self.serializer.dumps(record)
        keys = [self.key, seen_key or f"{self.key}:unused"]
        return bool(self._enqueue(keys=keys, args=[member, score, fingerprint]))

    def pop(self, timeout: int = 0) -> tuple[Request, bytes] | None:
        """The next request and its entry in the in-flight hash (to acknowledge).
        One that cannot be read is set aside, and the next one taken."""
        while True:
            member = self._pop(keys=[self.key, self.inflight_key])
            if member is None:
                return None
            try:
                record = self.serializer.loads(member)
                record.pop("arrival", None)
                return request_from_dict(record, spider=self.spider), member
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                # Another newscrawl version's callback, a stray push: it stayed in
                # flight, and an idle worker put it back in the queue, for ever.
                self._set_aside(member, exc)

    def _set_aside(self, member: bytes, error: Exception) -> None:
        with self.server.pipeline() as both:  # MULTI: both, or neither
            both.rpush(RunKeys.rejected_requests(self.key), member)
            both.hdel(self.inflight_key, member)
            both.execute()
        logger.warning("a queued request of %s could not be read (%s: %s); set aside in %s",
                       self.key, type(error).__name__, error,
                       RunKeys.rejected_requests(self.key))  # fmt: skip
        stats = getattr(getattr(self.spider, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value(CLUSTER_UNREADABLE)

    def acknowledge(self, members: list[bytes]) -> None:
        if members:
            self.server.hdel(self.inflight_key, *members)

    def requeue_inflight(self) -> int:
        return int(self._requeue(keys=[self.key, self.inflight_key]))

    def reclaim(self, known: list[bytes]) -> int:
        """Put back in the queue the in-flight requests not in `known`; how many."""
        return int(self._reclaim(keys=[self.key, self.inflight_key], args=known))

    def clear(self) -> None:
        self.server.delete(self.key, self.inflight_key, self.counter_key)


class ClusterScheduler(RedisScheduler):  # type: ignore[misc]
    """Scrapy's scheduler for one worker of a cluster (see the module's docstring).

    Settings: NEWSCRAWL_CLUSTER_URL (redis://...), NEWSCRAWL_CLUSTER_RUN (the run
    id), NEWSCRAWL_SHARD (INDEX/COUNT).
    """

    def __init__(self, worker: ClusterWorker, crawler: Crawler) -> None:
        self.worker = worker
        self.keys = worker.keys
        self.prefix = worker.keys.prefix
        super().__init__(
            worker.server,
            persist=True,  # the run's keys are shared: one worker's end is not the run's
            queue_key=self.keys.queue_base,
            queue_cls=f"{ShardQueue.__module__}.{ShardQueue.__qualname__}",
            dupefilter=RFPDupeFilter(worker.server, key=self.keys.seen),
            serializer=JsonRequests,
        )
        self.crawler = crawler
        self.stats = crawler.stats
        self.shard = worker.shard
        self.queues: list[ShardQueue] = []
        self.inflight: dict[Request, bytes] = {}
        # Requests found while Redis did not answer, to queue once it does.
        self.unsent: deque[Request] = deque()
        self.poll = LoopingCall(self._wake)
        self.timeout = worker.config.cluster_timeout
        self.wait = worker.config.cluster_wait
        self.waiting_since: float | None = None  # when only absent workers held the run
        self.said_waiting = False
        self.heartbeat = worker.config.cluster_heartbeat
        self.beaten_at: float | None = None  # when this worker last refreshed its heartbeat
        self.said_gone: set[int] = set()  # shards whose lost worker it warned about
        self.me = f"{socket.gethostname()} pid {os.getpid()}"  # what its heartbeat holds
        self.epoch: bytes | None = None  # the run's token (keys.epoch), read at open
        self.lost_since: float | None = None  # when Redis stopped answering
        self.holding = False  # True: acknowledge nothing more (see _may_acknowledge)
        self.stopping = False
        self.stop_when_idle: str | None = None  # a stop's reason, for the first idle

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterScheduler:
        return cls(ClusterWorker.of(crawler), crawler)

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queues = [
            ShardQueue(self.server, spider, self.keys.queue(i), JsonRequests)
            for i in range(self.shard.count)
        ]
        self.queue = self.queues[self.shard.index]
        self.crawler.signals.connect(self._spider_idle, signal=signals.spider_idle)
        try:
            self._open_run()
        except RedisError as exc:
            self._not_opened(exc)
            return
        self.poll.start(IDLE_POLL, now=False)
        logger.info("cluster run %s, shard %s", self.prefix, self.shard)

    def _open_run(self) -> None:
        """This worker's part of the run in Redis: the run's shard count and token,
        its heartbeat, and the requests an earlier worker of its shard left."""
        # SCAN is needed only at the close, to give the run's keys their expiry: a
        # user refused it (an ACL) is stopped now, not at the end with exit 0.
        self.server.scan(0, match=self.keys.pattern, count=1)
        # The first script, and the first other command a user may be refused,
        # before the run's records: a worker refused them leaves no sign it ran.
        requeued = self.queue.requeue_inflight()
        self.server.srem(self.keys.closed, self.shard.index)
        # For `newscrawl writer`, which watches the run without being a worker.
        self.server.set(self.keys.shards, self.shard.count)
        # The run's first worker sets the token; each worker checks it is still there.
        self.server.set(self.keys.epoch, secrets.token_hex(8), nx=True)
        self.epoch = self.server.get(self.keys.epoch)
        self._beat()
        if requeued:
            logger.warning(
                "shard %s: %d requests an earlier worker did not finish go back in the queue",
                self.shard, requeued,
            )  # fmt: skip
            self._count(CLUSTER_REQUEUED, requeued)

    def _not_opened(self, error: RedisError) -> None:
        """Stop a worker whose Redis failed it while the crawl opened, in one line
        rather than the tracebacks of a Scrapy whose scheduler raised there: exit 2
        for a refusal (its ACL: a setting to fix), 1 for no answer. Nothing of its
        shard was taken yet."""
        if is_outage(error):
            message, reason, key = (
                f"the cluster's Redis did not answer ({error})",
                CLUSTER_LOST,
                CLUSTER_ERROR,
            )
        else:
            message, reason, key = (
                f"the cluster's Redis {refusal(error)}",
                START_FAILED,
                START_ERROR,
            )
        self.holding = self.stopping = True
        logger.error("stopping this worker: %s", message)
        if self.stats is not None:
            self.stats.set_value(key, message)
        # Stopped at its first idle (_spider_idle), once the spider's start is
        # done: closing the engine while it opens raised in Scrapy, and closing it
        # while the start reads the store raised in the spider.
        self.stop_when_idle = reason

    def close(self, reason: str) -> None:
        if self.poll.running:
            self.poll.stop()
        if self.stopping:
            return  # without Redis: nothing to acknowledge or expire
        try:
            # Scrapy has finished with every request it took (a stop waits for them),
            # unless the crawl ends on a failure: then they are done again.
            if reason in (FINISHED, SHUTDOWN, CLUSTER_INCOMPLETE):
                self._send_unsent()  # else the pages that found them stay in flight
                if self._may_acknowledge():
                    self._acknowledge()
            self.server.sadd(self.keys.closed, self.shard.index)
            self.server.delete(self.keys.alive(self.shard.index))
            self._expire_run_keys()
        except RedisError as exc:
            logger.error("could not reach the cluster's Redis to close the run: %s", exc)

    def _expire_run_keys(self) -> None:
        """Give the run's keys their lifetime, but not those that have their own
        expiry: the other workers' heartbeats (a week: a worker killed now would
        make the others wait for it all that time) and the writer's lock."""
        keys = list(self.server.scan_iter(self.keys.pattern))
        with self.server.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.ttl(key)
            ttls = pipe.execute()
            for key, ttl in zip(keys, ttls, strict=True):
                if ttl == -1:  # no expiry yet
                    pipe.expire(key, KEY_LIFETIME)
            pipe.execute()

    def _beat(self) -> None:
        """Refresh this worker's heartbeat (keys.alive), if it is time. Its lifetime
        (NEWSCRAWL_CLUSTER_HEARTBEAT) must outlast any stall of a busy machine: a
        worker whose heartbeat lapses is taken for gone (see _spider_idle)."""
        now = time.monotonic()
        if self.beaten_at is not None and now - self.beaten_at < self._beat_every():
            return
        with self.server.pipeline(transaction=False) as pipe:
            pipe.set(
                self.keys.alive(self.shard.index), self.me, px=max(1, int(self.heartbeat * 1000))
            )
            pipe.get(self.keys.epoch)
            _, epoch = pipe.execute()
        self.beaten_at = now
        self._check_run_kept(epoch)

    def _check_run_kept(self, epoch: bytes | None) -> None:
        """Stop this worker if Redis no longer holds the run's token: it lost the
        run's keys (restarted without persistence, flushed). Its queues were
        empty then, and every worker took the run for finished and exited 0,
        with pages never fetched (found by a cluster review)."""
        if epoch == self.epoch or self.stopping:
            return
        self._stop(
            "the cluster's Redis lost this run's queue (restarted without persistence?):"
            " pages may be missing; run again with a new --run id",
            CLUSTER_INCOMPLETE,
        )

    def _beat_every(self) -> float:
        return min(BEAT_EVERY, self.heartbeat / 4)

    def enqueue_request(self, request: Request) -> bool:
        if self.stopping:
            return False  # Redis is gone; the request that found this one is done again
        if self.unsent:
            # Redis did not answer a moment ago: asking again would block the crawl
            # for up to its socket timeout per request. next_request sends them.
            return self._keep_unsent(request)
        try:
            return self._push(request)
        except RedisError as exc:
            if not is_outage(exc):
                # The page that found it stays in flight (nothing is acknowledged
                # from now on) and is done again by the shard's next worker.
                self._give_up(refusal(exc))
                return False
            self._redis_failed(exc)
            return self._keep_unsent(request)

    def _push(self, request: Request) -> bool:
        """Queue `request` in its shard's queue; False if the run has seen it."""
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        queue = self.queues[shard_of(request, self.shard.count)]
        if not queue.push(request, self.df.key, fingerprint):
            self.df.log(request, self.spider)
            return False
        self._count("scheduler/enqueued/redis")
        return True

    def _keep_unsent(self, request: Request) -> bool:
        """Keep `request` until Redis answers. The pages that found it are not
        acknowledged meanwhile (see _may_acknowledge): a worker killed now loses
        it, but those pages stay in flight in Redis and find it again."""
        if self.stopping:
            return False  # given up already: the page that found it stays in flight
        if len(self.unsent) >= MAX_UNSENT:
            self._give_up(f"did not answer while this worker held {MAX_UNSENT} requests for it")
            return False
        if not self.unsent:
            logger.warning("this worker keeps the requests it finds until Redis answers")
        self.unsent.append(request)
        return True

    def _send_unsent(self) -> None:
        """Queue the requests kept while Redis did not answer; RedisError if it still
        does not (those not sent stay kept)."""
        while self.unsent:
            self._push(self.unsent[0])
            self.unsent.popleft()

    def next_request(self) -> Request | None:
        if self.stopping:
            return None
        try:
            self._send_unsent()  # first: no new page while they wait
            self._acknowledge_finished()
            popped = self.queue.pop()
        except RedisError as exc:
            self._redis_failed(exc)
            return None
        self._redis_ok()
        if popped is None:
            return None
        request, member = popped
        self.inflight[request] = member
        self._count("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        try:
            return not self.stopping and (bool(self.unsent) or len(self.queue) > 0)
        except RedisError as exc:
            self._redis_failed(exc)
            return False

    # -- acknowledgement and idleness ------------------------------------------------

    def _engine_slot(self) -> Any:
        # Private to Scrapy's engine: read with getattr, so that a Scrapy without it
        # degrades (see _in_progress and _wake) rather than crashes.
        return getattr(self.crawler.engine, "_slot", None)

    def _in_progress(self) -> set[Request] | None:
        """The requests Scrapy is still working on; None if this Scrapy does not say.

        Scrapy keeps a request in its engine slot's `inprogress` from its download
        until its callback's output and items have been processed: the moment it
        may leave Redis. That set is private to Scrapy; tests/test_cluster.py kills
        workers to check that nothing is acknowledged too early, and without it
        nothing is acknowledged before the crawl ends.
        """
        running = getattr(self._engine_slot(), "inprogress", None)
        return running if isinstance(running, set) else None

    def _links_held_for(self) -> Container[Request]:
        """The requests whose pages' links the spider holds back (newscrawl/heldlinks.py):
        they stay in flight until the links are queued, so that a worker stopped
        or killed meanwhile does not lose them with its memory."""
        held = getattr(self.spider, "links_held_for", None)
        return held if held is not None else ()

    def _may_acknowledge(self) -> bool:
        """False once this worker may have lost work: a request it could not queue, or
        an article the store could not write. Its in-flight requests then stay in
        Redis, and the shard's next worker does them again."""
        if self.holding or self.unsent:
            return False  # the pages that found the unsent requests must stay in flight
        outbox = self.worker.outbox
        if outbox is not None and outbox.waiting:
            return False  # nor those whose URL states wait for Redis (cluster/outbox.py)
        return not (self.stats is not None and self.stats.get_value(WRITE_ERRORS))

    def _acknowledge_finished(self) -> None:
        if not self.inflight or not self._may_acknowledge():
            return
        running = self._in_progress()
        if running is None:
            return  # not known: acknowledged when the crawl ends (see close())
        self._acknowledge(running)

    def _acknowledge(self, running: Container[Request] = ()) -> None:
        """Acknowledge the requests in flight that are done: not `running`, and no
        link of their page held back by the spider. Forgotten only once Redis has
        taken the acknowledgement: a failed one left the request in flight,
        unknown to this worker (done twice)."""
        held = self._links_held_for()
        done = [r for r in self.inflight if r not in running and r not in held]
        if done:
            self.queue.acknowledge([self.inflight[request] for request in done])
            for request in done:
                del self.inflight[request]

    def _wake(self) -> None:
        """Let the engine ask for requests (and see whether it is idle) now rather than
        at its next 5-second heartbeat."""
        if self.stopping:
            return
        try:
            if self.lost_since is not None:
                self.server.ping()
            self._beat()
            self._acknowledge_finished()
        except RedisError as exc:
            self._redis_failed(exc)
            return
        self._redis_ok()
        nextcall = getattr(self._engine_slot(), "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _spider_idle(self, spider: Spider) -> None:
        if self.stopping:
            if self.stop_when_idle is not None:
                stop_crawl(self.crawler, self.stop_when_idle)
                self.stop_when_idle = None
            raise DontCloseSpider  # closing already, with its own reason, not "finished"
        try:
            self._send_unsent()  # seeds among them: they must be queued to be sent
            # Idle means this worker has sent its seeds: the start requests are done.
            self.server.sadd(self.keys.seeded, self.shard.index)
            self._acknowledge_finished()
            if self._take_back_lost_pops() or len(self.queue):
                self.waiting_since = None
                raise DontCloseSpider
            progress = run_progress(self.server, self.keys, self.shard.count)
            seeded = {int(index) for index in self.server.smembers(self.keys.seeded)}
            # Last: an empty run that Redis lost is not a finished one.
            self._check_run_kept(self.server.get(self.keys.epoch))
        except RedisError as exc:
            self._redis_failed(exc)
            raise DontCloseSpider from None
        if self.stopping:
            raise DontCloseSpider  # closing already, with the reason it gave
        gone = self._gone_workers(progress, seeded)
        if any(
            (progress.queued[i] or progress.in_flight[i])
            and (progress.alive[i] or i == self.shard.index)
            for i in range(self.shard.count)
        ):
            self.waiting_since = None  # a live worker has work: it may find more for us
            raise DontCloseSpider
        missing = sorted(set(range(self.shard.count)) - seeded - set(gone))
        if missing or gone:
            # Everything is done but what nobody has started or a lost worker left.
            self._wait_for(missing, gone)
            return
        logger.info("cluster run %s: every shard is idle; this worker stops", self.prefix)

    def _gone_workers(self, progress: RunProgress, seeded: set[int]) -> dict[int, str]:
        """The shards whose worker ran and is gone (no heartbeat: killed, its machine
        lost, or stopped) with work left, and what it left; warned about once each.
        A worker ran if its shard has requests in flight (only it takes them) or
        it sent its seeds; `seeded` alone misses one killed before it was first
        idle."""
        gone: dict[int, str] = {}
        for i in range(self.shard.count):
            queued, in_flight = progress.queued[i], progress.in_flight[i]
            if i == self.shard.index or progress.alive[i]:
                if i in self.said_gone:
                    self.said_gone.discard(i)
                    logger.warning("shard %d has a worker again", i)
                continue
            if not (in_flight or (queued and i in seeded)):
                continue  # nothing left, or a shard whose worker never started
            gone[i] = _requests_left(queued, in_flight)
            if i not in self.said_gone:
                self.said_gone.add(i)
                logger.warning(
                    "shard %d's worker is gone with %s; waiting up to %g s for it to be restarted",
                    i, gone[i], self.wait,
                )  # fmt: skip
        return gone

    def _take_back_lost_pops(self) -> bool:
        """Put back in the queue what this shard's in-flight hash holds that this
        worker did not get; True if there was any.

        A pop that timed out (Redis stopped or slow) still runs once Redis answers
        again: its request sat in the in-flight hash, fetched by nobody, and the
        run was never idle (every worker waited for ever). At idle this worker has
        nothing in progress, and only it takes from its shard's queue, so whatever
        else is in flight there is such a pop.
        """
        lost = self.queue.reclaim(list(self.inflight.values()))
        if lost:
            logger.warning(
                "shard %s: %d requests taken while Redis did not answer go back in the queue",
                self.shard, lost,
            )  # fmt: skip
            self._count(CLUSTER_REQUEUED, lost)
        return lost > 0

    def _wait_for(self, missing: list[int], gone: dict[int, str]) -> None:
        """Wait for the workers of shards `missing` to start, and for those of shards
        `gone` to be restarted, up to NEWSCRAWL_CLUSTER_WAIT seconds; then stop, so
        that a scheduled run does not hang on a machine that is down (a worker killed
        mid-run is not restarted by the next hour's timer, which starts a new run)."""
        shards = ", ".join(map(str, missing))
        now = time.monotonic()
        if self.waiting_since is None:
            self.waiting_since = now
        waited = now - self.waiting_since
        if waited <= self.wait:
            # Workers started together see each other within a second: say nothing then.
            if missing and waited > 10 and not self.said_waiting:
                self.said_waiting = True
                logger.warning(
                    "waiting up to %g s for the workers of shard(s) %s to start", self.wait, shards
                )
            raise DontCloseSpider
        reasons = [
            f"shard {i}'s worker was gone for {self.wait:g} s with {left}: they stay in"
            f" Redis for a worker of shard {i}/{self.shard.count} started with this --run id"
            for i, left in gone.items()
        ]
        if missing:
            reasons.insert(
                0,
                f"shard(s) {shards} had no worker within {self.wait:g} s:"
                " their sites were not crawled",
            )
        message = "; ".join(reasons)
        logger.error("stopping this worker: %s", message)
        if self.stats is not None:
            self.stats.set_value(CLUSTER_ERROR, message)
        stop_crawl(self.crawler, CLUSTER_INCOMPLETE)

    # -- Redis outages ------------------------------------------------------------

    def _redis_failed(self, error: RedisError) -> None:
        if not is_outage(error):
            # It answers, with a refusal: waiting would not change it, and the PING
            # of _wake, which a full or read-only Redis still answers, reset the
            # outage's clock every quarter second: the worker hung forever.
            self._give_up(refusal(error))
            return
        self.beaten_at = None  # once it answers, look at once whether it kept the run
        now = time.monotonic()
        if self.lost_since is None:
            self.lost_since = now
            logger.warning(
                "the cluster's Redis is unreachable (%s); waiting up to %g s", error, self.timeout
            )
        elif now - self.lost_since > self.timeout:
            self._give_up(f"did not answer for {self.timeout:g} s ({error})")

    def _redis_ok(self) -> None:
        if self.lost_since is not None:
            logger.warning("the cluster's Redis is reachable again")
            self.lost_since = None

    def _give_up(self, why: str) -> None:
        """Stop this worker; its unfinished requests stay in Redis for the next one."""
        self._stop(f"the cluster's Redis {why}", CLUSTER_LOST)

    def _stop(self, message: str, reason: str) -> None:
        """Stop this worker with `reason`, without another word to Redis: it
        acknowledges nothing more and leaves the run's keys as they are."""
        self.holding = True
        if self.stopping:
            return
        self.stopping = True
        logger.error("stopping this worker: %s", message)
        if self.stats is not None:
            self.stats.set_value(CLUSTER_ERROR, message)
        stop_crawl(self.crawler, reason)

    def _count(self, key: str, value: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, value)
