"""`newscrawl reclean`, `state` and `stats`: what a store holds, through its API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from newscrawl.cli.common import (
    DEFAULT_DB,
    EXIT_OK,
    CommandError,
    check_site,
    config_with_sites,
    database_arg,
    open_store,
    shown,
)

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    reclean = commands.add_parser(
        "reclean", help="clean stored articles again with the current rules"
    )
    reclean.add_argument("--db", type=database_arg, required=True, metavar="FILE.sqlite|URL")
    reclean.add_argument(
        "--site", action="append", metavar="SITE", help="only this site (repeatable)"
    )
    reclean.add_argument(
        "--sites", type=Path, metavar="FILE.toml", help="apply its sites' own boilerplate patterns"
    )
    reclean.set_defaults(handler=cmd_reclean)

    state = commands.add_parser("state", help="what the store remembers of a site's URLs")
    state.add_argument("--db", type=database_arg, default=DEFAULT_DB, metavar="FILE.sqlite|URL")
    state.add_argument("--site", required=True, metavar="NAME")
    state.add_argument(
        "--reset", action="store_true", help="forget the site's URLs (articles stay)"
    )
    state.set_defaults(handler=cmd_state)

    stats = commands.add_parser(
        "stats", help="per-site results of the last runs; with --cluster, a cluster run's progress"
    )
    stats.add_argument("--db", type=database_arg, default=DEFAULT_DB, metavar="FILE.sqlite|URL")
    stats.add_argument("--site", metavar="NAME")
    stats.add_argument("--cluster", metavar="redis://...", help="the cluster's Redis")
    stats.add_argument("--run", metavar="ID", help="the cluster run to show (with --cluster)")
    stats.set_defaults(handler=cmd_stats)


def cmd_reclean(args: argparse.Namespace) -> int:
    from newscrawl.cleaning.fragments import PatternTimeouts
    from newscrawl.reclean import reclean, warn_of_timeouts

    config = config_with_sites(args.sites)
    timeouts = PatternTimeouts()
    # At once, not at the end: a re-clean of many rows with a pattern that
    # backtracks is long, and the pattern is to be fixed.
    timed_out = warn_of_timeouts(
        timeouts,
        lambda warning: print(f"newscrawl: warning: {warning}", file=sys.stderr, flush=True),
    )
    with open_store(args.db, writes=True) as store:
        for site in args.site or ():
            check_site(store, site)
        sites = args.site or None
        changed = reclean(store, config.cleaners(), sites, timed_out=timed_out)
        total = (
            sum(store.count_articles(site) for site in sites) if sites else store.count_articles()
        )
    what = f"{total} articles of {', '.join(sites)}" if sites else f"{total} articles"
    slow = (
        f"; a fragment pattern ran out of time on {timeouts.total} (their paragraphs kept)"
        if timeouts.total
        else ""
    )
    print(
        f"newscrawl: recleaned {shown(args.db)}: {changed} of {what} changed{slow}",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_state(args: argparse.Namespace) -> int:
    from newscrawl.frontier import Frontier

    with open_store(args.db, writes=args.reset) as store:
        check_site(store, args.site)
        frontier = Frontier(store)
        if args.reset:
            forgotten = frontier.forget_site(args.site)
            print(
                f"newscrawl: {args.site}: forgot {forgotten} URLs;"
                f" its articles stay in {shown(args.db)}"
            )
            return EXIT_OK
        rows = frontier.url_state_counts(args.site)
    if not rows:
        print(f"newscrawl: {args.site}: no URLs remembered")
    for state, count in rows.items():
        print(f"{state:8} {count:7}")
    return EXIT_OK


# Runs without a new article, after runs that had some, before `stats` says so.
QUIET_RUNS = 3


def needs_attention(counts: dict[str, int], earlier: list[dict[str, int]]) -> str | None:
    """Why a site's last run needs a person, or None: blocked, unreachable,
    failing, robots.txt forbidding everything, or nothing new for QUIET_RUNS runs
    when it used to have news. One dead link, or a quiet run, is not a reason."""
    from newscrawl import vocabulary as v
    from newscrawl.runlog import failing

    fetched = counts.get(v.FETCHED, 0)
    if counts.get(v.BLOCKED) and not fetched:
        return f"blocked: {counts[v.BLOCKED]} answers 401/403/429 and no page"
    if counts.get(v.UNREACHABLE) and not fetched:
        return "unreachable: its robots.txt could not be read"
    if counts.get(v.CIRCUIT_OPEN):
        return "kept failing: the crawl stopped asking it for pages"
    if counts.get(v.BREAKER_OPENED):
        return "kept failing: its circuit breaker opened"
    if counts.get(v.ROBOTS) and not fetched:
        return "robots.txt forbids the pages"
    if verdict := failing(counts):
        return verdict
    history = [counts, *earlier]
    quiet = history[:QUIET_RUNS]
    if len(quiet) == QUIET_RUNS and not any(r.get(v.STORED) for r in quiet):
        before = sum(r.get(v.STORED, 0) for r in history[QUIET_RUNS:])
        if before:
            return f"no new article in its last {QUIET_RUNS} runs ({before} before them)"
    return None


def cmd_stats(args: argparse.Namespace) -> int:
    from newscrawl.frontier import Frontier
    from newscrawl.vocabulary import STATS_COLUMNS

    if args.cluster is not None:
        from newscrawl.cli.cluster import cluster_run_stats

        return cluster_run_stats(args.cluster, args.run)
    if args.run:
        raise CommandError("stats --run shows a cluster run: give its --cluster redis://...")

    with open_store(args.db, writes=False) as store:
        check_site(store, args.site)
        frontier = Frontier(store)
        rows = frontier.last_run_counts(args.site)
        history = {site: frontier.run_history(site, QUIET_RUNS * 3) for site, *_ in rows}
    if not rows:
        print(
            f"newscrawl: no runs recorded in {shown(args.db)}"
            + (f" for {args.site}" if args.site else "")
        )
        return EXIT_OK
    width = max(12, *(len(site) for site, *_ in rows))
    print(
        f"{'site':{width}} {'run':>4} {'started':20} "
        + " ".join(f"{h:>10}" for h in STATS_COLUMNS.values())
    )
    warnings = []
    for site, run_id, started, counts in rows:
        cells = " ".join(f"{counts.get(counter, 0):>10}" for counter in STATS_COLUMNS)
        print(f"{site:{width}} {run_id:>4} {started:20} {cells}")
        why = needs_attention(counts, history[site][1:])
        if why is not None:
            warnings.append(f"newscrawl: warning: {site} (run {run_id}): {why}")
    for warning in warnings:
        print(warning, file=sys.stderr)
    return EXIT_OK
