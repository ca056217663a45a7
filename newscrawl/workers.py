"""Extraction in a pool of worker processes, off the crawler's event loop.

trafilatura costs tens of milliseconds of CPU per page and holds the GIL: run in
the crawler's process it blocks downloads and caps a crawl at one core. Workers
take the page (text or bytes) and return plain data. A page that takes longer
than the time limit is abandoned and its worker replaced; a worker that dies is
replaced too; either way the page gets a failure reason and the crawl goes on.
`newscrawl extract` and `newscrawl reextract` read their pages in the same pool.

The time limit counts the worker's CPU time, not the clock: on a machine busy
with other work a page's CPU second can take many seconds of wall time, and a
worker's first hard date costs ~3 s of CPU (dateparser loads every locale), so a
wall-clock limit lost ordinary pages on a loaded machine. The kernel enforces it
(ITIMER_PROF, whose signal kills the worker, also inside one long C call such as
a regular expression that backtracks); a wall-clock limit WALL_LIMIT_FACTOR
times longer stays as a backstop for a worker that stops without using CPU.

pebble's ProcessPool does the process management (per-task timeouts, replacing
workers); workers are forked from a clean forkserver process, not from the
crawler with its threads and sockets.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import functools
import gc
import logging
import multiprocessing
import multiprocessing.synchronize
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar, cast

from pebble import ProcessExpired, ProcessPool

from newscrawl.config import default_workers
from newscrawl.readings import EXTRACTION_MEMORY, DiscoveryReading, PageReading

__all__ = [
    "EXTRACTION_CRASHED",
    "EXTRACTION_INTERRUPTED",
    "EXTRACTION_MEMORY",
    "EXTRACTION_SKIPPED",
    "EXTRACTION_TIMEOUT",
    "TASK_FAILURES",
    "TRIM_EVERY",
    "WORKER_GC_THRESHOLD",
    "WORKER_MAX_TASKS",
    "ExtractionPool",
    "WorkersFailed",
    "default_workers",
    "failure_of",
    "feed_in_worker",
    "page_in_worker",
    "quiet_abandoned_worker",
    "sitemap_in_worker",
    "warm_up",
]

T = TypeVar("T")

logger = logging.getLogger(__name__)

EXTRACTION_TIMEOUT = "extraction_timeout"
EXTRACTION_CRASHED = "extraction_crashed"
# The worker was ended by a stop signal from outside: SIGTERM to the crawl's whole
# process group (`timeout`, `kill -- -PGID`) reaches the workers too, which ignore
# only SIGINT. The page is not at fault; it is read again by the next run.
EXTRACTION_INTERRUPTED = "extraction_interrupted"
# Not sent to a worker: the site's pages ran out of time or memory on
# NEWSCRAWL_SITE_FAILURE_LIMIT pages in a row (newscrawl/pagereader.py). Read again
# by the next run.
EXTRACTION_SKIPPED = "extraction_skipped"
# Exit codes of a worker ended by SIGTERM: pebble's handler exits with the signal's
# number, a worker without it dies of the signal (minus its number). Not SIGHUP's:
# its number, 1, is also what a worker whose loop raised exits with. Other ends
# of a worker while the crawl stops count too (pagereader.py).
_STOPPED_BY_SIGNAL = frozenset({signal.SIGTERM, -signal.SIGTERM})
MIB = 1024 * 1024
# What a task's future may raise instead of returning: the page took too long, its
# worker died, or the whole pool broke. `failure_of` turns each into a failure
# reason.
TASK_FAILURES = (concurrent.futures.TimeoutError, ProcessExpired, BrokenProcessPool)
# The wall-clock backstop of a task, as a multiple of its CPU limit (plus
# WALL_LIMIT_SLACK seconds): a worker sharing a core with three other busy
# processes gets a quarter of it.
WALL_LIMIT_FACTOR = 4
WALL_LIMIT_SLACK = 30.0
# A pool with tasks waiting that has finished none for this many times a task's
# wall-clock limit has stopped answering. A working pool ends a task at least
# that often (its wall-clock limit ends any task), but a task that no worker has
# taken has no limit: with every worker stopped (SIGSTOP, a frozen cgroup), or
# pebble's thread that hands tasks out stuck writing to their pipe (pebble issue
# 97, seen once under memory exhaustion), every task waited for ever, and so did
# the crawl. Its waiting tasks then fail, as on a broken pool.
STALL_FACTOR = 2
# Until its first task ends, a pool is starting: the fork server imports
# trafilatura and the first worker warms up, seconds on a quiet machine and a
# minute or more on a loaded one. Its stall limit is then at least this long.
FIRST_ANSWER_SECONDS = 120.0
# How long stopping the pool may take. pebble ends the workers (SIGTERM, SIGKILL
# after 3 s) and joins its threads; one of them stuck (handing a task to a worker,
# or asking a stopped fork server for a new worker) would hold the crawl's end for
# ever, so after this long it is left behind (pebble's threads are daemons).
STOP_SECONDS = 15.0
# The cyclic garbage collector's thresholds in a worker. A page makes few reference
# cycles (none were left to collect after the 1,165 dev pages) but hundreds of
# thousands of short-lived objects, and at Python's default (700, 10, 10) the
# collector ran every 700 of them: 4-5% of a worker's CPU (in one process over the
# dev pages, interleaved, 2026-12-01: 38.7 ms a page against 36.7 at these
# thresholds and 37.7 at the crawler's (10_000, 20, 20)). The collector still runs,
# so a page that does make cycles cannot grow a worker far.
WORKER_GC_THRESHOLD = (50_000, 20, 100)
# Tasks (pages, sitemaps, feeds) after which a worker is replaced by a new one,
# forked from the fork server: a worker's memory grows with the pages it has read
# (caches, and a heap that pages leave fragmented), from 110-120 MiB of PSS to
# 150-161 over a 5,000-page crawl, most of it in its first 1,500 pages. A new
# worker costs a fork and, if it meets one, its first hard date again (0.7 s).
WORKER_MAX_TASKS = 1000
# Tasks between two returns of a worker's free heap memory to the system (glibc's
# malloc_trim). A page's lxml tree and strings are freed when it is done, but
# in pieces between blocks still in use, which the heap keeps: in one process
# over 400 dev pages, RSS grew from 164 to 226-250 MiB, and to 211-212 with a
# trim every 10 pages, at the same CPU (12.9-13.6 s against 12.9-13.0 s).
TRIM_EVERY = 10


def failure_of(exc: BaseException) -> str:
    """The failure reason of a task whose future raised `exc` (one of TASK_FAILURES):
    killed at its CPU limit or past the wall-clock backstop is a timeout, any
    other end of its worker a crash."""
    if isinstance(exc, concurrent.futures.TimeoutError):
        return EXTRACTION_TIMEOUT
    if isinstance(exc, ProcessExpired) and exc.exitcode == -signal.SIGPROF:
        return EXTRACTION_TIMEOUT
    if isinstance(exc, ProcessExpired) and exc.exitcode in _STOPPED_BY_SIGNAL:
        return EXTRACTION_INTERRUPTED
    return EXTRACTION_CRASHED


def within_cpu_time(cpu_seconds: float, function: Callable[..., T], *args: Any,
                    **kwargs: Any) -> T:  # fmt: skip
    """`function(*args, **kwargs)`, the worker killed by SIGPROF (its default action)
    once the call has used `cpu_seconds` of CPU (a worker's entry point)."""
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        return function(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        _tasks_done()


_tasks_since_trim = 0


def _tasks_done() -> None:
    """Count a task; every TRIM_EVERY, give the heap's free memory back."""
    global _tasks_since_trim
    _tasks_since_trim += 1
    if _tasks_since_trim >= TRIM_EVERY:
        _tasks_since_trim = 0
        trim = _malloc_trim()
        if trim is not None:
            trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None (another C library: nothing to do)."""
    try:
        return cast("Callable[[int], int]", ctypes.CDLL("libc.so.6").malloc_trim)
    except (OSError, AttributeError):
        return None


def warm_up() -> None:
    """Import trafilatura's models and compile its expressions before the first page.

    Imported here, not at the top: the crawler's process imports this module for
    the pool, and never extracts a page itself (unless NEWSCRAWL_WORKERS = 0)."""
    from newscrawl.extract import extract_article

    extract_article("<html><body><p>warm up</p></body></html>", None)


def quiet_abandoned_worker(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    """The fork server's sys.excepthook: silent for a worker that its pool gave up
    on while it was starting, Python's own traceback for anything else.

    pebble unlinks a pool's semaphores before it stops the workers, so a worker
    still reading what the pool sent it when the pool stops (a crawl that ends a
    second or two after it starts, on a busy machine) fails to open them again:
    FileNotFoundError raised where multiprocessing rebuilds a semaphore. Nothing
    is lost, and the pool is gone, so there is nothing to say. Any other failure
    to start is not expected, and its traceback is what finds the cause."""
    innermost = traceback
    while innermost is not None and innermost.tb_next is not None:
        innermost = innermost.tb_next
    code = innermost.tb_frame.f_code if innermost is not None else None
    if (
        issubclass(kind, FileNotFoundError)
        and code is not None
        and code.co_name == "__setstate__"
        and code.co_filename == multiprocessing.synchronize.__file__
    ):
        return
    sys.__excepthook__(kind, value, traceback)


# Only tests set this: a worker then exits as it starts, as one would that cannot
# start at all (tests/test_exit_codes.py).
TEST_WORKER_START_FAILS = "NEWSCRAWL_TEST_WORKER_START_FAILS"


def _start_worker(memory_mb: int) -> None:
    """Limit the worker's address space (a page of millions of elements can take
    gigabytes), set its garbage collector's thresholds, then warm up (a no-op when
    the fork server has, see preload.py)."""
    if os.environ.get(TEST_WORKER_START_FAILS):
        os._exit(70)
    if memory_mb:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_mb * MIB if hard == resource.RLIM_INFINITY else min(hard, memory_mb * MIB)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    # The CPU limit's signal must end the worker (within_cpu_time), whatever a
    # library may have set.
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    # A hangup reaches the whole process group; the crawl's process stops the
    # crawl on it (stopwatch.py) and then its workers.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    gc.set_threshold(*WORKER_GC_THRESHOLD)
    warm_up()


class WorkersFailed(RuntimeError):
    """The pool broke (every worker died) or stopped answering: the pages still to
    read would only fail one by one."""


class ExtractionPool:
    """A pool of `workers` extraction processes with a per-page `timeout` in
    seconds of CPU time (and WALL_LIMIT_FACTOR times that of wall time), each
    limited to `memory_mb` MiB of address space (0: no limit) and replaced after
    `max_tasks` tasks. A pool that finishes no task in `stall_seconds` (default:
    STALL_FACTOR times the wall-clock limit) while tasks wait breaks (`stalled`
    says why)."""

    def __init__(
        self,
        workers: int,
        timeout: float,
        memory_mb: int = 0,
        max_tasks: int = WORKER_MAX_TASKS,
        stall_seconds: float | None = None,
    ) -> None:
        self.timeout = timeout
        self.wall_timeout = timeout * WALL_LIMIT_FACTOR + WALL_LIMIT_SLACK
        if stall_seconds is not None and not stall_seconds > 0:
            raise ValueError(f"stall_seconds must be above 0, not {stall_seconds}")
        self.stall_seconds = stall_seconds or STALL_FACTOR * self.wall_timeout
        context = multiprocessing.get_context("forkserver")
        # Takes effect when the fork server starts, at the first pool of the process.
        context.set_forkserver_preload(["newscrawl.preload"])
        self.pool = ProcessPool(
            max_workers=workers,
            max_tasks=max_tasks,
            context=context,
            initializer=_start_worker,
            initargs=(memory_mb,),
        )
        # Tasks given and not done: pebble's future of each, and the future its
        # caller holds. pebble breaks the pool when a worker dies with no task it
        # knows to be running (killed while it took its next page from the pipe:
        # out of memory, the kernel's OOM killer), fails the tasks it had handed
        # out, and leaves the ones still queued pending for ever: a crawl awaited
        # them, never ended, and outlived its stop timeout. The callers' futures
        # are newscrawl's own, so that they can be failed here without pebble's
        # threads later finding them done (its thread died of that).
        self.waiting: dict[concurrent.futures.Future[Any], concurrent.futures.Future[Any]] = {}
        self.broken: BaseException | None = None
        self.stalled: str | None = None  # why the pool broke, if it stopped answering
        self.answered = False  # a task has ended: the pool has started
        self.lock = threading.Lock()
        # When a task last ended, or the first of the waiting ones was given.
        self.progress_at = time.monotonic()
        self.stopping = threading.Event()
        self.watchdog = threading.Thread(
            target=self._watch_for_stall, name="newscrawl-pool-watchdog", daemon=True
        )
        self.watchdog.start()

    def call(
        self, function: Callable[..., T], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        """`function(*args, **kwargs)` in a worker, within the pool's time limit. A
        pool that has broken (every worker died) gives a future that has failed
        with BrokenProcessPool, as its tasks do."""
        given: concurrent.futures.Future[T] = concurrent.futures.Future()
        if self.broken is not None:
            given.set_exception(BrokenProcessPool(f"the pool broke: {self.broken}"))
            return given
        try:
            task = self.pool.schedule(
                within_cpu_time,
                args=(self.timeout, function, *args),
                kwargs=kwargs,
                timeout=self.wall_timeout,
            )
        except RuntimeError as exc:  # pebble: "the pool is not running"
            with self.lock:
                self.broken = self.broken or BrokenProcessPool(str(exc))
            given.set_exception(BrokenProcessPool(str(exc)))
            return given
        with self.lock:
            broken = self.broken
            if broken is None:
                if not self.waiting:
                    self.progress_at = time.monotonic()
                self.waiting[task] = given
        if broken is not None:  # it broke as the task went in: it would wait for ever
            given.set_exception(BrokenProcessPool(f"the pool broke: {broken}"))
            return given
        task.add_done_callback(self._done)
        return given

    def _done(self, task: concurrent.futures.Future[Any]) -> None:
        """A task is done (in one of pebble's threads): its caller's future gets its
        outcome; if the outcome is a broken pool, every task still waiting fails
        as it did, and the pool takes no more."""
        error = None if task.cancelled() else task.exception()
        with self.lock:
            self.progress_at = time.monotonic()
            self.answered = True
            given = self.waiting.pop(task, None)
            others = self._break(error) if isinstance(error, BrokenProcessPool) else []
        if given is not None:
            with contextlib.suppress(concurrent.futures.InvalidStateError):  # failed above
                if task.cancelled():
                    given.cancel()
                elif error is not None:
                    given.set_exception(error)
                else:
                    given.set_result(task.result())
        _fail(others, BrokenProcessPool(f"another task found the pool broken: {error}"))

    def _break(self, error: BaseException) -> list[concurrent.futures.Future[Any]]:
        """With the lock held: the pool broke (`error`, unless it had already) and
        takes no more tasks; the callers' futures still waiting, to fail once the
        lock is released."""
        self.broken = self.broken or error
        waiting = list(self.waiting.values())
        self.waiting.clear()
        return waiting

    def check(self) -> None:
        """Raise WorkersFailed if the pool broke or stopped answering."""
        if self.stalled is not None:
            raise WorkersFailed(f"the extraction workers stopped answering: {self.stalled}")
        if self.broken is not None:
            raise WorkersFailed(f"the extraction workers died: {self.broken}")

    def _watch_for_stall(self) -> None:
        """A thread: if tasks wait and none has ended for `stall_seconds`, the pool
        breaks and they fail (see STALL_FACTOR)."""
        tick = min(1.0, self.stall_seconds / 4)
        last = time.monotonic()
        while not self.stopping.wait(tick):
            now = time.monotonic()
            slept, last = now - last, now
            with self.lock:
                if slept > 2 * tick + 1.0:
                    # This thread did not run for a while: the whole process was
                    # stopped (Ctrl-Z, a paused container) and its workers with
                    # it, most likely. The time they did not run is not theirs
                    # to answer for: the count starts again.
                    self.progress_at = max(self.progress_at, now)
                    continue
                if self.broken is not None or not self.waiting:
                    continue
                idle = now - self.progress_at
                if not self.pool.active:
                    # pebble gave up on its workers (all died as they started)
                    # without failing the tasks still in its queue: none has
                    # told us, and they would wait for the stall limit.
                    error = BrokenProcessPool("All workers expired")
                elif idle >= (
                    self.stall_seconds
                    if self.answered
                    else max(self.stall_seconds, FIRST_ANSWER_SECONDS)
                ):
                    self.stalled = f"no page done in {idle:.0f} s while {len(self.waiting)} waited"
                    error = BrokenProcessPool(f"the workers stopped answering: {self.stalled}")
                else:
                    continue
                others = self._break(error)
            _fail(others, error)
            return

    def close(self) -> None:
        """Finish the pages already given, then stop the workers."""
        self.pool.close()  # type: ignore[no-untyped-call]
        self.pool.join()
        self.stopping.set()

    def stop(self) -> None:
        """Stop at once, abandoning pages in progress; within STOP_SECONDS."""
        self.stopping.set()
        stopper = threading.Thread(target=self._stop_now, name="newscrawl-pool-stop", daemon=True)
        stopper.start()
        stopper.join(STOP_SECONDS)
        if stopper.is_alive():
            logger.warning(
                "the extraction workers did not stop within %g s: left behind", STOP_SECONDS
            )

    def _stop_now(self) -> None:
        self.pool.stop()  # type: ignore[no-untyped-call]
        self.pool.join()


def _fail(futures: list[concurrent.futures.Future[Any]], error: BaseException) -> None:
    """Fail each of `futures` with `error` (one failed already stays as it is)."""
    for future in futures:
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            future.set_exception(error)


# -- what the workers run -------------------------------------------------------
# The entry points for a page, a sitemap and a feed (module level: they are pickled
# by name, and a worker imports this module to find them). They import the page
# worker when called: a worker's fork server has imported it already (preload.py),
# and the crawler's process never has to (trafilatura's import, for every crawl)
# unless it reads pages itself (NEWSCRAWL_WORKERS = 0). Neither this module nor the
# page worker imports Scrapy, which the workers would otherwise each import.


def _safely(function: Callable[..., T], failed: Callable[[str], T]) -> Callable[..., T]:
    """`function`, in a worker, with a MemoryError (the worker's address space is
    limited) as a failure reason rather than a dead task."""

    def call(*args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except MemoryError:
            return failed(EXTRACTION_MEMORY)

    return call


def page_in_worker(*args: Any, **kwargs: Any) -> PageReading:
    from newscrawl.pageworker import read_page

    return _safely(read_page, lambda why: PageReading(failure=why))(*args, **kwargs)


def sitemap_in_worker(body: bytes, url: str) -> DiscoveryReading:
    from newscrawl.pageworker import read_sitemap

    return _safely(read_sitemap, lambda why: DiscoveryReading("", failure=why))(body, url)


def feed_in_worker(body: bytes, url: str) -> DiscoveryReading:
    from newscrawl.pageworker import read_feed

    return _safely(read_feed, lambda why: DiscoveryReading("", failure=why))(body, url)
