"""One `newscrawl writer` a run: a lock in Redis, and the writer's changes to the
run's shared lists made only while it holds it.

Two writers of one run (a writer unit restarted on another host while the old
one still ran, two schedules) split the articles between two databases, each
recording a complete run; worse, they shared the run's one "writing" list, so a
starting writer moved the other's uncommitted batch back to the queue and each
commit emptied the whole list: a writer that died after the other's commit lost
its batch for good (found by a cluster review).

The lock is a key set with NX and a short expiry, refreshed by a thread while the
writer runs and deleted at its end: a writer killed with -9 holds its run for
LOCK_SECONDS at most. Each change to the lists is a script that first checks
the lock (Redis runs a script alone), so a writer whose lock expired while it
was stalled, and was taken by another, changes nothing of that writer's: it
stops before its next commit (WriterLockLost), and its uncommitted articles,
already moved back to the queue by the new writer, are stored there.

A writer that finds its own lock expired, and no other writer having taken it
since (the run's last writer is still itself, or is gone with the rest of a
Redis restarted without its data), takes it again: nobody touched the lists
meanwhile, and its uncommitted batch may be all that is left of those articles.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from newscrawl.cluster.keys import KEY_LIFETIME, ClusterError, RunKeys

if TYPE_CHECKING:
    import redis

__all__ = [
    "LOCK_SECONDS",
    "REFRESH_SECONDS",
    "RunStored",
    "WriterBusy",
    "WriterLock",
    "WriterLockLost",
    "as_text",
    "run_stored",
]

logger = logging.getLogger(__name__)

# Short, as a restarted writer waits that long for a killed one's lock; refreshed
# often enough that a busy machine's stalls of some seconds do not lose it.
LOCK_SECONDS = 30
REFRESH_SECONDS = 5


class WriterBusy(ClusterError):
    """The run already has a writer; the message names it."""


class RunStored(ClusterError):
    """A writer has stored the run and recorded it; the message says where."""


def run_stored(keys: RunKeys, where: str) -> RunStored:
    return RunStored(
        f"run {keys.run} is stored already ({where}): a writer started again would record it"
        " twice; start a new run (--run)"
    )


class WriterLockLost(ClusterError):
    """Another writer took the run while this one was stalled."""


# KEYS[1] the lock, KEYS[2] the run's last writer; ARGV[1] this writer's token,
# ARGV[2] the last writer's lifetime in s, ARGV[3] the lock's expiry in ms.
_TAKE = """
local function take()
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[3])
  redis.call('set', KEYS[2], ARGV[1], 'EX', ARGV[2])
end
"""

# True if this writer holds the lock (taken again if it expired and no other
# writer took it since).
_OWNED = """
local function owned()
  local holder = redis.call('get', KEYS[1])
  if holder == ARGV[1] then
    redis.call('pexpire', KEYS[1], ARGV[3])
    return true
  end
  local last = redis.call('get', KEYS[2])
  if holder or (last and last ~= ARGV[1]) then
    return false
  end
  take()
  return true
end
"""

# {1} when the lock was free, else {0, its holder}; {2, what it says} when a
# writer has stored the run (KEYS[3]).
_ACQUIRE = """
local stored = redis.call('get', KEYS[3])
if stored then
  return {2, stored}
end
local holder = redis.call('get', KEYS[1])
if holder then
  return {0, holder}
end
take()
return {1}
"""

# Each returns {0} when the lock is another writer's, else {1, result}.
_SCRIPTS = {
    "refresh": "return {1}",
    # KEYS[3] from, KEYS[4] to: one message moved, nil when `from` is empty.
    "take": "return {1, redis.call('lmove', KEYS[3], KEYS[4], ARGV[4], ARGV[5])}",
    # KEYS[3] from, KEYS[4] to: every message moved back (a predecessor's batch).
    "restore": """
local moved = 0
while redis.call('lmove', KEYS[3], KEYS[4], 'LEFT', 'RIGHT') do moved = moved + 1 end
return {1, moved}""",
    # KEYS[3], KEYS[4]: the "writing" lists, emptied once their batch is committed,
    # and KEYS[6] its token; KEYS[5] the run's counts, which get the batch's
    # (ARGV[4], ARGV[5]: a field and what to add, and so on) in the same step,
    # once: a clear whose answer was lost is sent again, and then finds its
    # articles' list gone.
    "clear": """
if redis.call('exists', KEYS[3]) == 1 then
  for i = 4, #ARGV, 2 do redis.call('hincrby', KEYS[5], ARGV[i], ARGV[i + 1]) end
  if #ARGV > 3 and redis.call('ttl', KEYS[5]) == -1 then
    redis.call('expire', KEYS[5], ARGV[2])  -- as the run's other keys (after its workers)
  end
end
return {1, redis.call('del', KEYS[3], KEYS[4], KEYS[6])}""",
    # KEYS[3] the token of the batch in "writing", ARGV[4] the token: set before
    # the store commits the batch (cluster/writerbatches.py).
    "seal": "return {1, redis.call('set', KEYS[3], ARGV[4], 'EX', ARGV[2])}",
    # KEYS[3] the run's "stored" (or "recording") mark, ARGV[4] what it says.
    "stored": "return {1, redis.call('set', KEYS[3], ARGV[4], 'EX', ARGV[2])}",
    # KEYS[3] rejected, KEYS[4] writing, ARGV[4] the message set aside.
    "set_aside": """
redis.call('rpush', KEYS[3], ARGV[4])
return {1, redis.call('lrem', KEYS[4], 1, ARGV[4])}""",
}


class WriterLock:
    """The run's writer lock, held by this process (see the module's docstring)."""

    def __init__(self, server: redis.Redis, keys: RunKeys, token: str) -> None:
        self.server = server
        self.keys = keys
        self.token = token
        prelude = _TAKE + _OWNED + "if not owned() then return {0} end\n"
        self._scripts = {
            name: server.register_script(prelude + body) for name, body in _SCRIPTS.items()
        }
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def acquire(cls, server: redis.Redis, keys: RunKeys) -> WriterLock:
        """The run's lock, or WriterBusy naming the writer that holds it."""
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "id": uuid.uuid4().hex}
        token = json.dumps(holder)
        lock = cls(server, keys, token)
        answer = lock._run(server.register_script(_TAKE + _ACQUIRE), (keys.stored,))
        if answer[0] == 2:
            raise run_stored(keys, as_text(answer[1]))
        if answer[0] != 1:
            raise WriterBusy(
                f"run {keys.run} already has a writer ({describe(answer[1])}); a second one would"
                " split its articles between two databases: stop that one first (a writer killed"
                f" without its end holds the run for {LOCK_SECONDS} s at most)"
            )
        lock._start_refreshing()
        return lock

    def call(self, name: str, lists: tuple[str, ...], *args: Any) -> Any:
        """Run script `name` on `lists` if this writer holds the lock; its result.
        WriterLockLost otherwise."""
        answer = self._run(self._scripts[name], lists, *args)
        if not answer or answer[0] != 1:
            raise WriterLockLost(self.lost_message())
        return answer[1] if len(answer) > 1 else None

    def _run(self, script: Any, lists: tuple[str, ...], *args: Any) -> Any:
        keys = [self.keys.writer_lock, self.keys.last_writer, *lists]
        return script(keys=keys, args=[self.token, KEY_LIFETIME, LOCK_SECONDS * 1000, *args])

    def lost_message(self) -> str:
        try:  # the holder, else the last writer, whose lock expired
            other = describe(
                self.server.get(self.keys.writer_lock) or self.server.get(self.keys.last_writer)
            )
        except RedisError:  # only a message: the error it explains matters more
            other = "unknown"
        return (
            f"this writer lost run {self.keys.run} to another writer ({other}) while it was"
            f" stalled for more than {LOCK_SECONDS} s; it stopped without committing its last"
            " batch, which that writer stores"
        )

    def release(self) -> None:
        """Stop refreshing; delete the lock if it is still this writer's."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(REFRESH_SECONDS * 2)
        script = "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end"
        try:
            self.server.eval(script, 1, self.keys.writer_lock, self.token)
        except RedisError as exc:  # it expires anyway; the writer's own end says more
            logger.debug("could not release the run's writer lock (%s); it expires in %d s",
                           exc, LOCK_SECONDS)  # fmt: skip

    def _start_refreshing(self) -> None:
        # A thread, not the writer's loop: re-cleaning or a long commit at the end
        # of a run takes longer than LOCK_SECONDS without a turn of the loop.
        self._thread = threading.Thread(target=self._refresh, name="writer-lock", daemon=True)
        self._thread.start()

    def _refresh(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            try:
                self.call("refresh", ())
            except WriterLockLost:
                return  # the writer's next change to the lists finds out and stops
            except RedisError as exc:  # Redis away: the writer's own calls deal with it
                logger.debug("could not refresh the writer lock: %s", exc)


def describe(token: bytes | str | None) -> str:
    """'pid N on host H' from a lock's value."""
    try:
        holder = json.loads(token or "")
        return f"pid {holder['pid']} on host {holder['host']}"
    except (ValueError, TypeError, KeyError):
        return "unknown" if token is None else repr(token)[:80]


def as_text(value: bytes | str) -> str:
    """A value Redis gave back (bytes) as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
