"""`newscrawl writer` and `newscrawl stats --cluster`: a cluster run from outside
its workers."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl.cli.common import (
    DEFAULT_DB,
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    config_with_sites,
    database_arg,
    require_cluster_extra,
    shown,
)

if TYPE_CHECKING:
    import redis

    from newscrawl.cluster.writerlock import WriterLock
    from newscrawl.config import NewscrawlConfig

__all__ = ["add_parsers", "cluster_run_stats"]


def _seconds(text: str) -> float:
    """A number of seconds, at least 0 and finite (argparse's message otherwise)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"seconds, 0 or more: {text!r}")
    return seconds


def add_parsers(commands: Any) -> None:
    writer = commands.add_parser(
        "writer", help="store a cluster run's articles (workers with --writer) into SQLite"
    )
    writer.add_argument("--cluster", required=True, metavar="redis://...", help="the run's Redis")
    writer.add_argument("--run", required=True, metavar="ID", help="the run's id")
    # database_arg: a Path folds a URL's "//", and postgresql://user:PASSWORD@...
    # became a SQLite file of that name, its password printed.
    writer.add_argument("--db", type=database_arg, default=DEFAULT_DB, metavar="FILE.sqlite")
    writer.add_argument(
        "--sites", type=Path, metavar="FILE.toml", help="its sites' own boilerplate patterns"
    )
    writer.add_argument(
        "--wait", type=_seconds, default=600.0, metavar="SECONDS",
        help="give the run up after this long with no worker at work and shards without"
        " one (default 600, as the workers' NEWSCRAWL_CLUSTER_WAIT)",
    )  # fmt: skip
    writer.add_argument(
        "--timeout", type=_seconds, default=60.0, metavar="SECONDS",
        help="how long Redis may be unreachable before the writer stops (default 60, as the"
        " workers' NEWSCRAWL_CLUSTER_TIMEOUT)",
    )  # fmt: skip
    writer.set_defaults(handler=cmd_writer)


def cluster_run_stats(url: str, run: str | None) -> int:
    require_cluster_extra("--cluster")
    from redis import RedisError

    from newscrawl.cluster.keys import ClusterError, RunKeys, parse_run_id
    from newscrawl.cluster.run import connect, run_progress

    if not run:
        raise CommandError("stats --cluster needs --run ID")
    try:
        progress = run_progress(connect(url), RunKeys.of(parse_run_id(run), "news"))
    except ClusterError as exc:
        raise CommandError(str(exc)) from None
    except RedisError as exc:
        raise CommandError(f"cannot read the run from Redis: {exc}") from None
    if not progress.shards:
        print(f"newscrawl: cluster run {run}: no worker has started (or its keys expired)")
        return EXIT_OK
    state = "over" if progress.over else "running"
    print(
        f"cluster run {run}: {state}; {progress.shards} shards, {progress.seeded} seeded,"
        f" {progress.closed} stopped; {progress.seen} distinct requests;"
        f" {progress.for_writer} articles waiting for the writer"
    )
    print(f"{'shard':>5} {'queued':>8} {'in flight':>10}")
    for index, (queued, in_flight) in enumerate(
        zip(progress.queued, progress.in_flight, strict=True)
    ):
        print(f"{index:>5} {queued:>8} {in_flight:>10}")
    return EXIT_OK


def cmd_writer(args: argparse.Namespace) -> int:
    require_cluster_extra("writer")
    from redis import RedisError

    from newscrawl.cluster.keys import ClusterError, RunKeys, parse_run_id
    from newscrawl.cluster.run import connect
    from newscrawl.cluster.writerlock import WriterLock

    if not isinstance(args.db, Path):
        raise CommandError(
            f"the writer stores into SQLite (--db FILE.sqlite), not {shown(args.db)}: workers"
            " with a PostgreSQL --db store their articles themselves, with no writer"
        )
    config = config_with_sites(args.sites)
    # SIGTERM (systemctl stop or restart) as Ctrl-C: the writer's end runs, its lock
    # is released and its batch rolled back. Killed outright, it held the run for
    # the lock's expiry, and the restarted writer was refused meanwhile.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run = parse_run_id(args.run)
        server = connect(args.cluster)
        # Before anything else: a second writer of the run (WriterBusy) must not
        # even create its database.
        run_lock = WriterLock.acquire(server, RunKeys.of(run, "news"))
    except ClusterError as exc:
        raise CommandError(str(exc)) from None
    except RedisError as exc:
        raise CommandError(f"cannot take the run's writer lock in Redis: {exc}") from None
    try:
        return _write(args, server, run, run_lock, config)
    finally:
        run_lock.release()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _write(
    args: argparse.Namespace,
    server: redis.Redis,
    run: str,
    run_lock: WriterLock,
    config: NewscrawlConfig,
) -> int:
    """cmd_writer's work, once it holds the run's writer lock."""
    from redis import RedisError

    from newscrawl.cluster.outage import RedisLost
    from newscrawl.cluster.writer import write_run
    from newscrawl.cluster.writerlock import RunStored, WriterLockLost
    from newscrawl.storage import ArticleStore, StorageError
    from newscrawl.storelock import StoreLock

    lock = StoreLock(args.db)
    try:
        lock.acquire()
        store = ArticleStore.open(args.db)
    except StorageError as exc:
        lock.release()
        raise CommandError(str(exc)) from None
    print(f"newscrawl: writer: storing run {run} into {args.db}", file=sys.stderr)
    try:
        report = write_run(
            server, run, store, config.cleaners(), wait=args.wait, lock=run_lock,
            timeout=args.timeout,
        )  # fmt: skip
    except WriterLockLost as exc:
        store.rollback()  # its batch is the other writer's now
        print(f"newscrawl: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except RunStored as exc:  # found in this store (as WriterLock.acquire finds it in Redis)
        raise CommandError(str(exc)) from None
    except KeyboardInterrupt:
        store.rollback()  # as below: its batch waits in Redis
        raise
    except (RedisLost, RedisError) as exc:
        # Its batch waits in Redis: committing it too (as closing the store does)
        # would store it twice once the next writer takes it again.
        store.rollback()
        if isinstance(exc, RedisError):  # Redis answered with an error: waiting won't help
            exc = RedisLost(f"the cluster's Redis refused the writer: {exc}")
        print(
            f"newscrawl: error: {exc}; what was committed stays in {args.db}, the rest waits"
            " in Redis for the next writer",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except StorageError as exc:
        print(f"newscrawl: error: {exc}; the articles wait in Redis", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()
        lock.release()
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items())) or "none"
    print(
        f"newscrawl: writer: run {run}: {sum(report.outcomes.values())} articles ({outcomes}),"
        f" {report.recleaned} re-cleaned; run record {report.run_id} in {args.db}",
        file=sys.stderr,
    )
    from newscrawl.cli.crawling import not_stored_for_another_site
    from newscrawl.storage import OTHER_SITE

    code = EXIT_OK
    if report.outcomes.get(OTHER_SITE):  # a loss, as in a crawl
        warning = not_stored_for_another_site(report.outcomes[OTHER_SITE])
        print(f"newscrawl: warning: {warning}", file=sys.stderr)
        code = EXIT_FAILED
    if report.rejected:
        print(
            f"newscrawl: warning: {report.rejected} messages from the workers could not be read"
            " (another newscrawl version?): set aside in Redis, not stored",
            file=sys.stderr,
        )
        code = EXIT_FAILED
    if report.abandoned is not None:
        shards, seeded, gone = report.abandoned
        if shards == 0:
            why = f"no worker of run {run} started within {args.wait:g} s (is the run id right?)"
        elif gone:
            why = (
                f"the worker of shard {', '.join(map(str, gone))} was gone (killed, or cut"
                f" off from Redis) for {args.wait:g} s with pages left: they stay in Redis"
                " for a worker started with this --run id"
            )
        else:
            why = (
                f"{shards - seeded} of the run's {shards} shards had no worker within"
                f" {args.wait:g} s: their sites were not crawled"
            )
        print(f"newscrawl: error: {why}; the run is recorded as incomplete", file=sys.stderr)
        code = EXIT_FAILED
    return code
