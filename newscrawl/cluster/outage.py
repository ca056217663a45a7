"""A Redis that cannot be reached, told from one that refuses, and the patience a
writer gives the first.

A Redis restarted, failed over or briefly cut off refuses connections, resets
them or answers late for a few seconds: waiting (up to the workers'
NEWSCRAWL_CLUSTER_TIMEOUT) loses nothing. A Redis that answers with an error
(OOM, READONLY, MISCONF, NOPERM) or refuses the password will answer the same
way in a minute: waiting only hides it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.exceptions import (
    AuthenticationError,
    AuthorizationError,
    ConnectionError,
    TimeoutError,
)

from newscrawl.cluster.keys import ClusterError

__all__ = ["Patience", "RedisLost", "is_outage"]

logger = logging.getLogger(__name__)


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says Redis could not be reached (refused, reset, timed out,
    still loading its data after a restart), rather than that it refused."""
    refusals = (AuthenticationError, AuthorizationError)  # ConnectionErrors in redis-py
    return isinstance(exc, ConnectionError | TimeoutError) and not isinstance(exc, refusals)


class RedisLost(ClusterError):
    """Redis stayed unreachable longer than the writer's patience."""


class Patience:
    """How long Redis has been unreachable: a warning when it first fails, one when
    it answers again, RedisLost once it failed for longer than `timeout` seconds."""

    def __init__(self, timeout: float, warn: Callable[..., None] = logger.warning) -> None:
        self.timeout = timeout
        self.warn = warn
        self.lost_since: float | None = None

    def failed(self, exc: Exception) -> None:
        """Note a failed call; re-raise `exc` if it is no outage, RedisLost if the
        outage lasted too long."""
        if not is_outage(exc):
            raise exc
        now = time.monotonic()
        if self.lost_since is None:
            self.lost_since = now
            self.warn("the cluster's Redis is unreachable (%s); waiting up to %g s", exc,
                      self.timeout)  # fmt: skip
        if now - self.lost_since >= self.timeout:
            raise RedisLost(f"the cluster's Redis was unreachable for {self.timeout:g} s ({exc})")

    def ok(self) -> None:
        """Note a call that worked."""
        if self.lost_since is not None:
            self.lost_since = None
            self.warn("the cluster's Redis is reachable again")
