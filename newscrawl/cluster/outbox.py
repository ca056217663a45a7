"""What a `--writer` worker sends its run's writer through Redis (articles, URL
states), kept in memory while Redis does not answer.

Each message was one blocking LPUSH or RPUSH. A Redis that stalled for a few
seconds then stopped the worker at its first article (exit 1, although the
README promises NEWSCRAWL_CLUSTER_TIMEOUT of patience), and blocked the crawl
for a socket timeout (5 s) per URL of a sitemap read meanwhile: 221 s for 40
URLs with a timeout of 10 s (both found by a cluster review).

Now the first message that finds Redis unreachable, and every later one, waits
in order in memory; one retry at a time, a few times a second, sends them once
Redis answers. An article's page is not acknowledged meanwhile: its item is
through the pipelines only once the article is in Redis. Redis unreachable for
longer than NEWSCRAWL_CLUSTER_TIMEOUT (or too many messages waiting) stops the
worker (finish reason CLUSTER_LOST), and nothing is acknowledged from then on:
the pages whose articles had not reached Redis are done again by the shard's
next worker. A Redis that answers with a refusal (OOM, READONLY, NOPERM) stops
the worker at its first article, as before.

A push that timed out may still run once Redis wakes up: each message carries
this worker's number for it, and a script pushes it only if this worker's last
pushed number is lower, so a retry never puts an article on the list twice.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall

from newscrawl.cluster.outage import Patience, RedisLost, is_outage
from newscrawl.runlog import count_write_error, stop_on_write_error
from newscrawl.stopwatch import stop_crawl
from newscrawl.vocabulary import CLUSTER_ERROR, CLUSTER_LOST

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler

    from newscrawl.cluster.keys import RunKeys

__all__ = ["MAX_WAITING", "RETRY_EVERY", "Outbox"]

logger = logging.getLogger(__name__)

# Messages a worker keeps while Redis does not answer: a sitemap's URLs and the
# articles in flight (CONCURRENT_REQUESTS at most), far fewer in practice.
MAX_WAITING = 50_000
# Seconds between two attempts to send what waits: each blocks the crawl for up
# to the client's socket timeout while Redis stalls.
RETRY_EVERY = 0.5

# Pushes ARGV[3] onto KEYS[1] (LPUSH if ARGV[4] is 'L', else RPUSH) unless this
# sender (ARGV[1]) pushed message number ARGV[2] or a later one already: a push
# that timed out ran once Redis woke up, and its retry must not add it again.
_PUSH_ONCE = """
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if last >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[4] == 'L' then redis.call('LPUSH', KEYS[1], ARGV[3])
else redis.call('RPUSH', KEYS[1], ARGV[3]) end
return 1
"""


@dataclass
class Message:
    key: str  # the run's list
    side: str  # "L" or "R": the end of the list it goes on (the writer's order)
    text: str
    number: int  # this worker's number for it, in the order sent
    what: str  # for messages: "an article", "a URL's state"
    done: Deferred[bool] | None = field(default=None)  # fired with True once in Redis


class Outbox:
    """One `--writer` worker's messages to its run's writer (see the module's docstring)."""

    def __init__(
        self, server: redis.Redis, keys: RunKeys, crawler: Crawler, timeout: float
    ) -> None:
        self.server = server
        self.crawler = crawler
        self.senders_key = f"{keys.prefix}:senders"  # expires with the run's keys
        self.sender = uuid.uuid4().hex[:16]
        self.numbered = 0
        self.waiting: deque[Message] = deque()
        self.lock = threading.RLock()  # a message settled may lead to the next one
        self.patience = Patience(timeout, self._warn)
        self.push = server.register_script(_PUSH_ONCE)
        self.retry: LoopingCall | None = None
        self.given_up = False

    # -- sending ------------------------------------------------------------------

    def send(self, key: str, side: str, text: str, what: str) -> Deferred[bool] | bool:
        """Send one message. True: in Redis. False: not sent and never will be (the
        worker stops, or Redis refused a URL's state). A Deferred: waiting for
        Redis, fired with one of those.

        RedisError only for an article that Redis refused: the caller stops."""
        with self.lock:
            self.numbered += 1
            message = Message(key, side, text, self.numbered, what)
            if self.given_up:
                return False
            if self.waiting:
                # Redis did not answer a moment ago: asking again would block the
                # crawl for its socket timeout per message.
                return self._keep(message)
            try:
                self._push(message)
            except RedisError as exc:
                if not is_outage(exc):
                    return self._refused(message, exc)
                self._failed(exc)
                return self._keep(message)
            self.patience.ok()
            return True

    def _push(self, message: Message) -> None:
        self.push(
            keys=[message.key, self.senders_key],
            args=[self.sender, message.number, message.text, message.side],
        )

    def _refused(self, message: Message, exc: RedisError) -> bool:
        """Redis answered with a refusal: waiting would not change it."""
        if message.what == "an article":
            raise exc
        logger.error("could not send %s to the writer: %s", message.what, exc)
        return False

    def _keep(self, message: Message) -> Deferred[bool] | bool:
        if self.given_up:
            return False
        if len(self.waiting) >= MAX_WAITING:
            self._give_up(f"did not answer while this worker kept {MAX_WAITING} messages for it")
            return False
        message.done = Deferred()
        self.waiting.append(message)
        self._start_retrying()
        return message.done

    def _start_retrying(self) -> None:
        if self.retry is not None:
            return
        from twisted.internet import reactor

        self.retry = LoopingCall(self.send_waiting)
        # From the reactor's thread, whichever thread found Redis unreachable.
        reactor.callFromThread(self.retry.start, RETRY_EVERY, False)

    def send_waiting(self) -> None:
        """Send what waits, in order, until Redis fails again."""
        with self.lock:
            while self.waiting and not self.given_up:
                message = self.waiting[0]
                try:
                    self._push(message)
                except RedisError as exc:
                    if is_outage(exc):
                        self._failed(exc)
                        return
                    self.waiting.popleft()
                    self._settle(message, self._refused_waiting(message, exc))
                    continue
                self.patience.ok()
                self.waiting.popleft()
                self._settle(message, True)

    def _refused_waiting(self, message: Message, exc: RedisError) -> bool:
        if message.what == "an article":
            stop_on_write_error(self.crawler, f"could not send an article to the writer: {exc}")
            self._drop_all()
            return False
        return self._refused(message, exc)

    def _settle(self, message: Message, sent: bool) -> None:
        if message.done is not None and not message.done.called:
            message.done.callback(sent)

    # -- the outage's clock ---------------------------------------------------------

    def _failed(self, exc: RedisError) -> None:
        stats = self.crawler.stats
        if stats is not None and stats.get_value(CLUSTER_ERROR):
            # The worker stops already (its scheduler gave Redis up, or a shard had
            # no worker): waiting would only hold its end back by a timeout more.
            self._give_up(f"did not answer ({exc})")
            return
        try:
            self.patience.failed(exc)
        except RedisLost:
            self._give_up(f"did not answer for {self.patience.timeout:g} s ({exc})")

    @property
    def unreachable(self) -> bool:
        """Whether Redis did not answer this outbox's last call."""
        return self.patience.lost_since is not None

    def _warn(self, text: str, *args: object) -> None:
        if text.startswith("the cluster's Redis is unreachable"):
            text += "; the articles and URL states for the writer wait in memory"
        logger.warning(text, *args)

    def _give_up(self, why: str) -> None:
        """Stop the worker; acknowledge nothing more, so that the pages whose
        messages are dropped here are done again by the shard's next worker."""
        if self.given_up:
            return
        self.given_up = True
        message = f"the cluster's Redis {why}"
        # A write error: the scheduler acknowledges nothing once one is counted.
        count_write_error(self.crawler, message, "stopping this worker: ")
        stats = self.crawler.stats
        if stats is not None and not stats.get_value(CLUSTER_ERROR):
            stats.set_value(CLUSTER_ERROR, message)
        self._drop_all()
        stop_crawl(self.crawler, CLUSTER_LOST)

    def _drop_all(self) -> None:
        self.given_up = True
        dropped, self.waiting = self.waiting, deque()
        if dropped:
            logger.error(
                "%d messages for the writer were not sent; the pages they came from stay"
                " in flight in Redis for the shard's next worker",
                len(dropped),
            )
        for message in dropped:
            self._settle(message, False)

    def close(self) -> None:
        """At the crawl's end: one last attempt for what still waits."""
        if self.retry is not None and self.retry.running:
            self.retry.stop()
        self.send_waiting()
        if self.waiting and not self.given_up:
            # Before the scheduler's close, which acknowledges the finished pages
            # unless a write error was counted: those these messages came from
            # must stay in flight.
            count_write_error(
                self.crawler, "the cluster's Redis did not answer as the crawl ended",
                "stopping this worker: ",
            )  # fmt: skip
            self._drop_all()
