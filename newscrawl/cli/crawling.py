"""`newscrawl crawl`, `scrape` and `demo`: the command line translated into the
spider's arguments and settings, the same crawler `scrapy crawl` runs, and a
summary and exit code a person (or cron) can trust."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newscrawl.cli.common import (
    DEFAULT_DB,
    EXIT_EXTRACTION,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_MEMORY,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    add_crawl_options,
    positive,
    require_cluster_extra,
    require_stdout,
    stdin_bytes,
)
from newscrawl.vocabulary import ARCHIVE_UNAVAILABLE, ARTICLES, START_FAILED, STORE_UNAVAILABLE

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    crawl = commands.add_parser(
        "crawl", help="crawl sites (start URLs or a sites file): sitemaps, feeds, links"
    )
    crawl.add_argument("urls", nargs="*", metavar="URL")
    crawl.add_argument("--sites", type=Path, metavar="FILE.toml", help="the sites to crawl")
    crawl.add_argument(
        "--sitemap", action="append", default=[], metavar="URL",
        help="a sitemap to read (repeatable)",
    )  # fmt: skip
    crawl.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="a feed to read (repeatable)"
    )
    crawl.add_argument("--site", metavar="NAME", help="only this site of the sites file")
    window = crawl.add_mutually_exclusive_group()
    window.add_argument(
        "--since", metavar="DATE", help="skip entries dated before DATE (e.g. 2026-11-01)"
    )
    window.add_argument(
        "--max-age", metavar="AGE", help="skip entries older than AGE (30m, 12h, 2d, 1w)"
    )
    crawl.add_argument(
        "--refresh", action="store_true",
        help="fetch stored articles again (default: only new ones)",
    )  # fmt: skip
    output = crawl.add_mutually_exclusive_group()
    output.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE.jsonl",
        help="append articles as JSON Lines (- for stdout)",
    )
    output.add_argument(
        "-O", "--overwrite-output", type=Path, metavar="FILE.jsonl", help="same, replacing the file"
    )
    crawl.add_argument("--max-pages", type=positive, metavar="N", help="request at most N pages")
    cluster = crawl.add_argument_group(
        "cluster",
        "run as one worker of a crawl shared through Redis (pip install 'newscrawl[cluster]')",
    )
    cluster.add_argument("--cluster", metavar="redis://...", help="the cluster's Redis")
    cluster.add_argument("--run", metavar="ID", help="the run's id, the same for all its workers")
    cluster.add_argument(
        "--shard", metavar="INDEX/COUNT", default="0/1",
        help="this worker's share of the sites, e.g. 0/4 ... 3/4 (default 0/1)",
    )  # fmt: skip
    cluster.add_argument(
        "--writer", action="store_true",
        help="send articles to the run's `newscrawl writer` (SQLite) instead of --db",
    )  # fmt: skip
    add_crawl_options(
        crawl, "INFO",
        db_help="also upsert articles into this SQLite file or postgresql:// database"
        f" (with --sites, by default {DEFAULT_DB})",
    )  # fmt: skip
    crawl.set_defaults(handler=cmd_crawl)

    scrape = commands.add_parser(
        "scrape", help="fetch just these pages, print one JSON object per article"
    )
    scrape.add_argument("urls", nargs="*", metavar="URL")
    scrape.add_argument(
        "-i", "--input", metavar="FILE",
        help="also the URLs in FILE, one a line (- for stdin; blank lines and # comments skipped)",
    )  # fmt: skip
    add_crawl_options(scrape, "WARNING")
    scrape.set_defaults(handler=cmd_scrape)

    demo = commands.add_parser("demo", help="serve the bundled demo news site and crawl it")
    demo.add_argument(
        "--output-dir", type=Path, default=Path("output"), metavar="DIR",
        help="where articles.jsonl (and by default the store and archive) go; default: ./output",
    )  # fmt: skip
    # The demo always stores and archives: these options move them, not add them.
    add_crawl_options(
        demo, "WARNING",
        db_help="the SQLite file or postgresql:// database to store into"
        " (default: DIR/newscrawl.sqlite)",
        archive_help="the folder of the WARC files (default: DIR/archive)",
    )  # fmt: skip
    demo.set_defaults(handler=cmd_demo)


def crawl_settings(args: argparse.Namespace, feeds: dict[str, Any]) -> dict[str, Any]:
    """The settings the command's options stand for (then its -s options)."""
    overrides: dict[str, Any] = {"LOG_LEVEL": args.log_level}
    if sys.stderr.isatty() and args.command == "crawl":
        # In place on a terminal; the logs still say it all when stderr is a file.
        overrides["NEWSCRAWL_PROGRESS"] = True
        overrides["LOG_LEVEL"] = "WARNING" if args.log_level == "INFO" else args.log_level
    if feeds:
        overrides["FEEDS"] = feeds
    if isinstance(args.db, str):
        overrides["NEWSCRAWL_DATABASE_URL"] = args.db
    elif args.db is not None:
        overrides["NEWSCRAWL_SQLITE_PATH"] = str(args.db)
    if args.archive is not None:
        overrides["NEWSCRAWL_ARCHIVE_DIR"] = str(args.archive)
    if getattr(args, "max_pages", None):
        overrides["NEWSCRAWL_MAX_PAGES"] = args.max_pages
    if args.workers is not None:
        overrides["NEWSCRAWL_WORKERS"] = args.workers
    overrides.update(dict(args.settings))
    return overrides


# Scrapy's FILE:FORMAT form of -o: the formats that are JSON Lines, and the others.
_JSON_LINES_SUFFIXES = ("jsonlines", "jsonl", "jl")
_OTHER_FORMATS = ("json", "csv", "xml", "marshal", "pickle")
# The URI schemes of Scrapy's feed storages (FEED_STORAGES_BASE): -O file:///x.jsonl.
_STORAGE_SCHEMES = ("", "file", "stdout", "s3", "gs", "ftp")


def jsonl_feed(path: Path | str, overwrite: bool) -> dict[str, Any]:
    """The FEEDS entry of the JSON Lines file -o or -O names: "-" is standard
    output, as for `export -o -` (it made a file named "-"). Scrapy's FILE:FORMAT
    form is read as `scrapy crawl` reads it (with a JSON Lines format: `crawl`
    writes no other), and a file name that would read as a URI ("a:b.jsonl") as a
    file: Scrapy took "out.txt:jsonlines" for a storage of the scheme "out.txt",
    logged an error, wrote nothing and the crawl exited 0."""
    text = str(path)
    option = "-O" if overwrite else "-o"
    name, colon, suffix = text.rpartition(":")
    if colon and name and suffix in _JSON_LINES_SUFFIXES:
        text = name
    elif colon and name and suffix in _OTHER_FORMATS:
        raise CommandError(f"{option} {text}: newscrawl crawl writes JSON Lines only, not {suffix}")
    elif (named := Path(urlsplit(text).path).suffix.lower().lstrip(".")) in _OTHER_FORMATS:
        # Scrapy writes the format a file's suffix names: `-o articles.csv` (or
        # .json, read with json.load) got JSON Lines under that name, without a word.
        raise CommandError(
            f"{option} {text}: newscrawl crawl writes JSON Lines only, not {named} (name the file"
            " .jsonl; `newscrawl export` writes CSV or Parquet from the store)"
        )
    scheme = urlsplit(text).scheme
    if text == "-":
        require_stdout()  # Scrapy's storage of it failed as "the crawl could not start"
        uri = "stdout:"
    elif scheme not in _STORAGE_SCHEMES and len(scheme) > 1 and text[len(scheme) :][:2] == ":/":
        # (-o is a Path, which folds "https://" into "https:/")
        raise CommandError(f"{option} {text}: not a file, nor a feed storage newscrawl can write")
    elif scheme not in _STORAGE_SCHEMES and len(scheme) > 1:
        uri = Path(text).absolute().as_uri()  # (a one-letter scheme is a Windows drive)
    else:
        uri = text
    return {uri: {"format": "jsonlines", "overwrite": overwrite, "encoding": "utf-8"}}


def run_crawl(spider: str, spider_args: dict[str, Any], overrides: dict[str, Any]) -> Any:
    """Check the spider's arguments and the settings, then crawl; expected errors
    become CommandError."""
    # Imported here so that `newscrawl extract` and `--help` do not load Scrapy.
    from newscrawl.archive import ArchiveError
    from newscrawl.config import ConfigError
    from newscrawl.runner import OutputError, load_settings, run_spider
    from newscrawl.spiders.arguments import SpiderArgumentError, check_spider_arguments
    from newscrawl.storage import StorageError

    try:
        settings = load_settings(overrides)
        check_spider_arguments(spider, spider_args, _url_limit(settings))
        return run_spider(spider, spider_args, settings)
    except (SpiderArgumentError, ConfigError, OutputError, StorageError, ArchiveError) as exc:
        raise CommandError(str(exc)) from None


def _url_limit(settings: Any) -> int:
    """URLLENGTH_LIMIT, or 0 when it is not a number (check_scrapy_values says so)."""
    try:
        return max(int(settings.getint("URLLENGTH_LIMIT")), 0)
    except (ValueError, TypeError):
        return 0


def news_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The `news` spider's arguments, as `scrapy crawl news -a` would pass them."""
    spider_args: dict[str, Any] = {"refresh": args.refresh}
    if args.since:
        spider_args["since"] = args.since
    if args.max_age:
        spider_args["max_age"] = args.max_age
    if args.sites is None:
        if not (args.urls or args.sitemap or args.feed):
            raise CommandError("give start URLs (or --sitemap, --feed), or --sites FILE")
        if args.site:
            raise CommandError("--site needs --sites FILE")
        for name, values in (("urls", args.urls), ("sitemaps", args.sitemap), ("feeds", args.feed)):
            if values:
                spider_args[name] = list(values)
        return spider_args
    if args.urls or args.sitemap or args.feed:
        raise CommandError("give start URLs (or --sitemap, --feed) or --sites FILE, not both")
    spider_args["sites"] = str(args.sites)
    if args.site:
        spider_args["site"] = args.site
    return spider_args


def summary(report: Any, stored_in: str | None, written: bool = True) -> list[str]:
    """What the run did, in the counts the run record and `newscrawl stats` use;
    `stored_in`: the store (articles count once committed), or None (JSON Lines,
    or nowhere: `written` False)."""
    from newscrawl import vocabulary as v
    from newscrawl.runlog import run_totals

    totals = run_totals(report.stats)
    fetched = totals.get(v.FETCHED, 0)
    if stored_in is not None:
        from newscrawl.storage import OTHER_SITE, SHRUNK

        kept = f"{totals.get(v.STORED, 0)} stored"
        if totals.get(v.UNCHANGED):
            kept += f", {totals[v.UNCHANGED]} unchanged"
        if totals.get(SHRUNK):
            kept += f", {totals[SHRUNK]} kept as stored (the page now gives under half its text)"
        if totals.get(OTHER_SITE):
            # Its row is another site's (a site renamed in the sites file keeps
            # its old rows): the store keeps that row, JSON Lines got the copy.
            kept += f", {totals[OTHER_SITE]} not stored (another site's row)"
    else:
        kept = f"{report.stats.get(v.ARTICLES, 0)} {'kept' if written else 'found'}"
    lines = [f"articles: {kept} from {fetched} pages fetched ({report.finish_reason})"]
    if hubs := totals.get(v.NOT_ARTICLE):
        # Said, not warned about: a crawl storing nothing of many pages fetched
        # told no one that it took them all for home and section pages.
        lines.append(f"pages read as hubs: {hubs} (home, section, tag pages: followed, not stored)")
    for title, prefix in (
        ("paragraphs dropped", v.DROPPED),
        ("pages without an article", v.PAGES_DROPPED),
        ("pages skipped", v.PAGES_SKIPPED),
        ("pages not fetched", v.FETCH_FAILED),
    ):
        counts = report.counts(prefix)
        if counts:
            detail = ", ".join(f"{name} {count}" for name, count in counts.items())
            lines.append(f"{title}: {sum(counts.values())} ({detail})")
    if totals.get(v.URL_PATTERN_TIMEOUTS):
        lines.append(
            f"URLs not followed: {totals[v.URL_PATTERN_TIMEOUTS]} (a site's allow or deny"
            " pattern ran out of time on them)"
        )
    cap = "--max-pages" if report.stats.get(v.MAX_PAGES_REACHED) else "a site's page budget"
    if line := budget_line(totals, cap):
        lines.append(line)
    return lines


def budget_line(totals: dict[str, int], cap: str) -> str | None:
    """What the page budget (`cap`) left for the next run, or None: the URLs kept
    pending, and the sitemaps, feeds and start pages not read (the next run finds
    them again)."""
    from newscrawl.vocabulary import DISCOVERY_LEFT, OVER_BUDGET

    left = []
    if totals.get(OVER_BUDGET):
        left.append(f"{totals[OVER_BUDGET]} URLs left for the next run")
    if totals.get(DISCOVERY_LEFT):
        left.append(
            f"{totals[DISCOVERY_LEFT]} sitemaps, feeds or start pages not read"
            " (asked for again by the next run)"
        )
    return f"stopped at {cap}: {', '.join(left)}" if left else None


def losses(report: Any) -> list[str]:
    """Why a crawl that finished lost work, for a person: empty when nothing was."""
    from newscrawl import vocabulary as v
    from newscrawl.runlog import failing, pages_not_fetched, site_counts
    from newscrawl.storage import OTHER_SITE
    from newscrawl.workers import EXTRACTION_SKIPPED

    found = []
    for site, counts in sorted(site_counts(report.stats).items()):
        fetched = counts.get(v.FETCHED, 0)
        if counts.get(v.UNREACHABLE) and not fetched:
            found.append(f"{site} could not be reached")
        elif counts.get(v.CIRCUIT_OPEN):
            found.append(f"{site} kept failing; its other pages were not asked for")
        elif counts.get(v.BREAKER_OPENED):
            found.append(
                f"{site} kept failing until its circuit breaker opened"
                f" ({pages_not_fetched(counts)} pages not fetched, {fetched} fetched)"
            )
        elif counts.get(v.BLOCKED) and not fetched:
            found.append(f"{site} refused every request (401, 403 or 429)")
        elif verdict := failing(counts):  # as `newscrawl stats` would say
            found.append(f"{site} is {verdict}")
        if skipped := counts.get(EXTRACTION_SKIPPED):
            # As a site that kept failing: pages fetched and not read, read next run.
            found.append(
                f"{site}: its pages kept outlasting the workers' time or memory; {skipped}"
                " more were not read (the next run reads them)"
            )
        if unreadable := counts.get(v.DISCOVERY_UNREADABLE):
            found.append(
                f"{site}: {unreadable} of its sitemaps or feeds could not be read (past the"
                " workers' time or memory, or a gzipped sitemap inflating past 50 MiB);"
                " what they list was not asked for"
            )
        if cut_short := counts.get(v.DISCOVERY_CUT_SHORT):
            found.append(
                f"{site}: {cut_short} of its sitemaps or feeds ended before their end (cut"
                " short); what they list after the cut was not asked for"
            )
        if not_fetched := counts.get(v.DISCOVERY_NOT_FETCHED):
            found.append(
                f"{site}: {not_fetched} of its sitemaps or feeds could not be fetched (a"
                " timeout, a server error, a broken connection; retries spent); what they"
                " list was not asked for (the next run asks again)"
            )
        if counts.get(OTHER_SITE):
            found.append(f"{site}: {not_stored_for_another_site(counts[OTHER_SITE])}")
        if costly := counts.get(v.ROBOTS_TOO_COSTLY):
            found.append(
                f"{site}: the robots.txt of {costly} of its hosts was past what newscrawl"
                " reads (too many wildcard rules, or too much for one site); their pages"
                " were not asked for"
            )
    # Errors no code meant (a bug, or an operator's own pipeline that failed): the
    # log has each one's traceback; the run lost those pages' articles.
    if failed := report.stats.get(v.SPIDER_ERRORS):
        found.append(f"{failed} pages failed with an unexpected error (see the log)")
    if failed := report.stats.get(v.ITEM_ERRORS):
        found.append(f"{failed} articles were lost to an error in an item pipeline (see the log)")
    if unreadable := report.stats.get(v.CLUSTER_UNREADABLE):
        found.append(
            f"{unreadable} queued requests could not be read (sent by another newscrawl"
            " version?); they are set aside in Redis, in the queue's :rejected list"
        )
    return found


def not_stored_for_another_site(count: int) -> str:
    """Articles whose rows stay another site's, so that they are never updated:
    most often a site renamed in the sites file, whose old rows keep the old name.
    Said by a crawl and by the cluster's writer."""
    return (
        f"{count} articles not stored, the store holds their canonical URLs under"
        " another site's name (a site renamed in the sites file?)"
    )


def budget_cut(report: Any) -> bool:
    """Whether the page budget ended the run with URLs left, or sitemaps or feeds
    unread (the summary says so)."""
    from newscrawl.vocabulary import DISCOVERY_LEFT, OVER_BUDGET

    totals = run_totals_of(report)
    return bool(totals.get(OVER_BUDGET) or totals.get(DISCOVERY_LEFT))


def run_totals_of(report: Any) -> dict[str, int]:
    from newscrawl.runlog import run_totals

    return run_totals(report.stats)


def exit_code(report: Any) -> int:
    """The exit code a crawl's end stands for (the README's table); prints why a
    crawl failed, as the last line."""
    code, error = ending(report)
    if error:
        print(f"newscrawl: error: {error}", file=sys.stderr)
    return code


def crawl_outcome(report: Any, cluster: bool = False) -> tuple[int, str | None]:
    """The exit code of a crawl (`ending`), and 1 for one that ran but lost work
    (`losses`, or the page budget cut it), or fetched nothing (no page, and no
    sitemap or feed that listed anything); and why it failed.
    A worker of a cluster may have nothing to do: other workers took every page."""
    from newscrawl.vocabulary import DISCOVERY_READ, KNOWN, NOT_MODIFIED, STORE_ERROR, TOO_OLD

    code, error = ending(report)
    stats, totals = report.stats, run_totals_of(report)
    fetched = (
        totals.get("pages_fetched", 0)
        or stats.get(NOT_MODIFIED)  # stored articles the site said are the same
        # Sitemaps or feeds read that listed articles stored before (or older than
        # the run wants): a quiet run; a dead link beside them is routine. One
        # whose articles all failed, or that listed none of the site's own (it
        # moved), fetched nothing.
        or (stats.get(DISCOVERY_READ) and totals.get(KNOWN, 0) + totals.get(TOO_OLD, 0) > 0)
    )
    if code == EXIT_OK and not cluster and not fetched:
        return EXIT_FAILED, "no page could be fetched"
    if code == EXIT_OK and stats.get(STORE_ERROR):  # a write of the crawl's close failed
        return EXIT_FAILED, f"the crawl's store failed as it closed: {stats[STORE_ERROR]}"
    if code == EXIT_OK and (losses(report) or budget_cut(report)):
        return EXIT_FAILED, getattr(report, "stats_error", None)
    if code == EXIT_OK and getattr(report, "stats_error", None):
        return EXIT_FAILED, report.stats_error
    return code, error


def ending(report: Any) -> tuple[int, str | None]:
    """The exit code a crawl's finish reason stands for, and why it failed."""
    from newscrawl import vocabulary as v

    reason, stats = report.finish_reason, report.stats
    if reason == v.START_FAILED:  # before any request: a setting, most likely (-s)
        return EXIT_USAGE, f"the crawl could not start: {stats.get(v.START_ERROR, '')}"
    if reason in (v.SHUTDOWN, "unknown"):  # unknown: Scrapy stopped without closing
        return EXIT_INTERRUPTED, None
    if reason == v.STORE_UNAVAILABLE:
        return EXIT_USAGE, str(stats.get(v.STORE_ERROR, ""))
    if reason == v.ARCHIVE_UNAVAILABLE:
        return EXIT_USAGE, str(stats.get(v.ARCHIVE_ERROR, ""))
    if reason == v.MEMUSAGE_EXCEEDED:
        return EXIT_MEMORY, (
            "the crawl stopped: its process passed MEMUSAGE_LIMIT_MB;"
            " what was committed stays, the rest is fetched again next run"
        )
    if reason == v.EXTRACTION_FAILED:
        return EXIT_EXTRACTION, f"the crawl stopped: {stats.get(v.EXTRACTION_ERROR, '')}"
    if reason == v.STORAGE_ERROR:
        return EXIT_FAILED, f"the crawl stopped: {stats.get(v.STORE_ERROR, '')}"
    if reason == v.OUTPUT_ERROR:
        return EXIT_FAILED, f"the crawl stopped: {stats.get(v.OUTPUT_ERROR_MESSAGE, '')}"
    if reason == v.CLUSTER_INCOMPLETE:
        return EXIT_FAILED, f"this worker stopped: {stats.get(v.CLUSTER_ERROR, '')}"
    if reason == v.CLUSTER_LOST:
        return EXIT_FAILED, (
            f"this worker stopped: {stats.get(v.CLUSTER_ERROR, '')}; its unfinished pages"
            " stay in Redis for the next worker of its shard"
        )
    if stats.get(v.OUTPUT_ERROR_MESSAGE):
        # The crawl finished, but its JSON Lines records could not be written at
        # the end: they wait in the output's spool for the next run (feeds.py).
        return (
            EXIT_FAILED,
            f"the JSON Lines output was not written: {stats[v.OUTPUT_ERROR_MESSAGE]}",
        )
    return EXIT_OK, None


def show_summary(
    args: argparse.Namespace, report: Any, stored_in: str | None, code: int, written: bool = True
) -> None:
    """The summary on stderr: on a terminal or at -L INFO and below always; at -L
    WARNING and above (cron) only when the run needs a person, so that a normal
    scheduled run prints nothing."""
    problems = losses(report)
    quiet = args.log_level in ("WARNING", "ERROR") and not sys.stderr.isatty()
    if quiet and code == EXIT_OK and not problems and written:
        return
    for line in summary(report, stored_in, written):
        print(f"newscrawl: {line}", file=sys.stderr)
    for problem in problems:
        print(f"newscrawl: warning: {problem}", file=sys.stderr)


def cmd_crawl(args: argparse.Namespace) -> int:
    feeds: dict[str, Any] = {}
    if args.output or args.overwrite_output:
        feeds = jsonl_feed(
            args.output or args.overwrite_output, overwrite=bool(args.overwrite_output)
        )
    if args.cluster is None and (args.run or args.writer or args.shard != "0/1"):
        raise CommandError("--run, --shard and --writer are options of a --cluster crawl")
    if args.cluster is None and args.sites is not None and args.db is None:
        args.db = DEFAULT_DB  # a scheduled crawl needs its memory
    overrides = crawl_settings(args, feeds)
    if args.cluster is not None:
        overrides.update(cluster_worker_settings(args))
    # A crawl without -o or --db fetches every page and keeps no article: said
    # after the crawl, whatever the log level (before it, the line would come
    # ahead of an error that stops the crawl from starting, which is one line).
    nowhere = writes_nowhere(overrides)
    report = run_crawl("news", news_arguments(args), overrides)
    code, error = crawl_outcome(report, cluster=args.cluster is not None)
    try:
        if report.finish_reason not in (STORE_UNAVAILABLE, ARCHIVE_UNAVAILABLE, START_FAILED):
            show_summary(args, report, shown_store(args), code, written=not nowhere)
        if error:
            print(f"newscrawl: error: {error}", file=sys.stderr)
        elif nowhere and report.stats.get(ARTICLES):
            print(f"newscrawl: warning: {NOWHERE}", file=sys.stderr)
    except OSError:
        # Its terminal is gone (the hangup that stopped the crawl, EIO) or its
        # reader (EPIPE): the exit code still tells how the crawl ended.
        with contextlib.suppress(OSError):
            sys.stderr.close()
    return code


# The settings that send articles somewhere: -o/-O (FEEDS), --db, --writer, or an
# operator's own item pipelines (which may store them their own way).
_DESTINATIONS = (
    "FEEDS", "NEWSCRAWL_SQLITE_PATH", "NEWSCRAWL_DATABASE_URL", "NEWSCRAWL_CLUSTER_WRITER",
    "ITEM_PIPELINES",
)  # fmt: skip
NOWHERE = "no -o, -O or --db: the articles found are written nowhere"


def writes_nowhere(overrides: dict[str, Any]) -> bool:
    """True when a crawl's settings send its articles to no output and no store
    (newscrawl's settings module sets none of these, so the command's own are all)."""
    return not any(overrides.get(name) for name in _DESTINATIONS)


def shown_store(args: argparse.Namespace) -> str | None:
    from newscrawl.cli.common import shown

    return shown(args.db) if args.db is not None else None


def cluster_worker_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings of a cluster worker, its options checked and its Redis reached."""
    require_cluster_extra("--cluster")
    from newscrawl.cluster.keys import ClusterError
    from newscrawl.cluster.run import check_cluster, cluster_settings

    if not args.run:
        raise CommandError("--cluster needs --run ID, the same for every worker of the run")
    if args.writer and args.db is not None:
        raise CommandError("--writer sends articles to `newscrawl writer`: no --db with it")
    if isinstance(args.db, Path):
        raise CommandError(
            "the workers of a cluster share one store: --db postgresql://... (not a SQLite"
            " file; for SQLite, --writer and one `newscrawl writer`)"
        )
    if args.db is None and args.sites is not None and not args.writer:
        raise CommandError(
            "a scheduled cluster crawl needs its store: --db postgresql://..., or --writer"
        )
    try:
        check_cluster(args.cluster, args.run, args.shard)
    except ClusterError as exc:
        raise CommandError(str(exc)) from None
    return cluster_settings(args.cluster, args.run, args.shard, writer=args.writer)


# The largest URL list read (-i): a million URLs of 60 characters take 61 MB.
MAX_URL_LIST_BYTES = 64 * 2**20


def urls_from_file(name: str) -> list[str]:
    """The URLs of a file (or stdin, "-"): one a line; blank lines and # comments skipped."""
    try:
        if name == "-":
            content = stdin_bytes(MAX_URL_LIST_BYTES + 1)
        else:
            with Path(name).open("rb") as file:
                content = file.read(MAX_URL_LIST_BYTES + 1)
        if len(content) > MAX_URL_LIST_BYTES:
            # Read whole, /dev/zero took 6.6 GB of memory in 5 s and no word.
            raise CommandError(
                f"cannot read {name}: larger than {MAX_URL_LIST_BYTES // 2**20} MiB"
                " (a list of URLs, one a line?)"
            )
        # UTF-8 from standard input too, whatever the locale, as from a file.
        text = content.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise CommandError(f"cannot read {name}: {reason}") from None
    # A byte-order mark (an editor's) made the first URL "not an http(s) URL".
    lines = (line.strip() for line in text.removeprefix("\ufeff").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def cmd_scrape(args: argparse.Namespace) -> int:
    urls = list(args.urls) + (urls_from_file(args.input) if args.input else [])
    if not urls:
        where = f" (none in {args.input})" if args.input else ""
        raise CommandError(f"give URLs, or -i FILE with one URL a line{where}")
    require_stdout()
    feeds = {"stdout:": {"format": "jsonlines", "encoding": "utf-8"}}
    report = run_crawl("article", {"urls": urls}, crawl_settings(args, feeds))
    missing = [url for url in report.failures if url not in report.articles]
    for url in missing:
        print(f"newscrawl: no article from {url}: {report.failures[url]}", file=sys.stderr)
    code = exit_code(report)
    if code == EXIT_OK and (missing or not report.articles):
        code = EXIT_FAILED
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from newscrawl.demo import demo_server
    from newscrawl.folders import make_parent

    output_dir: Path = args.output_dir
    jsonl = output_dir / "articles.jsonl"
    try:
        # Before the site is served: a folder that cannot be made was blamed on
        # the database in it ("cannot open database x/newscrawl.sqlite: [Errno 17]").
        make_parent(jsonl)
    except OSError as exc:
        raise CommandError(f"--output-dir {output_dir}: {exc.strerror or exc}") from None
    # The store: --db when given (it was ignored before), else one in the folder.
    args.db = args.db or output_dir / "newscrawl.sqlite"
    args.archive = args.archive or output_dir / "archive"  # the raw pages, as WARC
    with demo_server() as server:
        print(f"newscrawl: demo site at {server.url}", file=sys.stderr)
        report = run_crawl(
            "news",
            # Every run shows the whole job: fetch all, even what an earlier demo stored.
            {"urls": [server.url], "refresh": True},
            crawl_settings(args, jsonl_feed(jsonl, overwrite=True)),
        )
    print("newscrawl demo:")
    for line in summary(report, shown_store(args)):
        print(f"  {line}")
    print(f"  written: {jsonl}, {shown_store(args)} and the pages as WARC in {args.archive}/")
    return exit_code(report)
