"""The `newscrawl` command: a thin front over the same crawler `scrapy crawl` runs.

Expected errors (a malformed URL, a missing file, an unwritable output, a bad
setting) end with one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newscrawl import __version__

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran, but some input gave no result
EXIT_USAGE = 2  # bad input: nothing was done
EXIT_INTERRUPTED = 130
# (3: a stop cut short by the stop watchdog, newscrawl/stopwatch.py, which exits itself.)

# Where scheduled crawls (--sites), `state` and `stats` keep their store by default.
DEFAULT_DB = Path("output/newscrawl.sqlite")


class CommandError(Exception):
    """An expected error: printed as one line, exit code EXIT_USAGE."""


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more: {text!r}")
        return number

    return parse


_positive = _whole_number(1)
_workers = _whole_number(0)


def _add_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers", type=_workers, metavar="N",
        help="extraction processes (default: one per core; 0: in this process)",
    )  # fmt: skip


def _database(text: str) -> Path | str:
    """A SQLite file (a path) or a PostgreSQL database (a postgresql:// URL, kept as
    written: a Path would fold its "//")."""
    from newscrawl.database import is_postgres_url

    return text if is_postgres_url(text) else Path(text)


def _shown(database: Path | str) -> str:
    """The database as messages may name it: never with its password."""
    from newscrawl.urls import without_password

    return without_password(database) if isinstance(database, str) else str(database)


def _add_crawl_options(parser: argparse.ArgumentParser, default_log_level: str) -> None:
    parser.add_argument(
        "--db",
        metavar="FILE.sqlite|URL",
        type=_database,
        help="also upsert articles into this SQLite file or postgresql:// database",
    )
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        type=_setting,
        help="override a Scrapy or newscrawl setting (repeatable)",
    )
    _add_workers_option(parser)
    parser.add_argument(
        "-L", "--log-level", default=default_log_level,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help=f"default {default_log_level}",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newscrawl",
        description="Crawl news sites, extract clean article text, store it as JSON Lines or SQLite.",
    )
    parser.add_argument("--version", action="version", version=f"newscrawl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    crawl = commands.add_parser(
        "crawl", help="crawl sites (start URLs or a sites file): sitemaps, feeds, links"
    )
    crawl.add_argument("urls", nargs="*", metavar="URL")
    crawl.add_argument("--sites", type=Path, metavar="FILE.toml", help="the sites to crawl")
    crawl.add_argument(
        "--sitemap",
        action="append",
        default=[],
        metavar="URL",
        help="a sitemap to read (repeatable)",
    )
    crawl.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="a feed to read (repeatable)"
    )
    crawl.add_argument("--site", metavar="NAME", help="only this site of the sites file")
    window = crawl.add_mutually_exclusive_group()
    window.add_argument("--since", metavar="DATE", help="skip entries dated before DATE")
    window.add_argument("--max-age", metavar="AGE", help="skip entries older than AGE (12h, 2d)")
    crawl.add_argument(
        "--refresh",
        action="store_true",
        help="fetch stored articles again (default: only new ones)",
    )
    output = crawl.add_mutually_exclusive_group()
    output.add_argument(
        "-o", "--output", type=Path, metavar="FILE.jsonl", help="append articles as JSON Lines"
    )
    output.add_argument(
        "-O", "--overwrite-output", type=Path, metavar="FILE.jsonl", help="same, replacing the file"
    )
    crawl.add_argument("--max-pages", type=_positive, metavar="N", help="request at most N pages")
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
    _add_crawl_options(crawl, "INFO")

    scrape = commands.add_parser(
        "scrape", help="fetch just these pages, print one JSON object per article"
    )
    scrape.add_argument("urls", nargs="+", metavar="URL")
    _add_crawl_options(scrape, "WARNING")

    extract = commands.add_parser("extract", help="extract saved HTML files offline (- for stdin)")
    extract.add_argument("files", nargs="+", metavar="FILE")
    _add_workers_option(extract)
    extract_mode = extract.add_mutually_exclusive_group()
    extract_mode.add_argument(
        "--no-clean", action="store_true", help="print trafilatura's text untouched"
    )
    extract_mode.add_argument(
        "--explain",
        action="store_true",
        help="list every dropped paragraph and the rule that dropped it",
    )

    reclean = commands.add_parser(
        "reclean", help="clean stored articles again with the current rules"
    )
    reclean.add_argument("--db", type=_database, required=True, metavar="FILE.sqlite|URL")
    reclean.add_argument(
        "--site", action="append", metavar="SITE", help="only this site (repeatable)"
    )
    reclean.add_argument(
        "--sites", type=Path, metavar="FILE.toml", help="apply its sites' own boilerplate patterns"
    )

    evaluate = commands.add_parser(
        "eval", help="score newscrawl and plain trafilatura on folders of pages with ground truth"
    )
    evaluate.add_argument(
        "folders",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="html/*.html + ground-truth.json (or judgments.json)",
    )
    evaluate.add_argument(
        "--rules",
        action="store_true",
        help="also report, per cleaning rule, the words it dropped and the share that was wanted",
    )

    state = commands.add_parser("state", help="what the store remembers of a site's URLs")
    state.add_argument("--db", type=_database, default=DEFAULT_DB, metavar="FILE.sqlite|URL")
    state.add_argument("--site", required=True, metavar="NAME")
    state.add_argument(
        "--reset", action="store_true", help="forget the site's URLs (articles stay)"
    )

    stats = commands.add_parser(
        "stats", help="per-site results of the last runs; with --cluster, a cluster run's progress"
    )
    stats.add_argument("--db", type=_database, default=DEFAULT_DB, metavar="FILE.sqlite|URL")
    stats.add_argument("--site", metavar="NAME")
    stats.add_argument("--cluster", metavar="redis://...", help="the cluster's Redis")
    stats.add_argument("--run", metavar="ID", help="the cluster run to show (with --cluster)")

    writer = commands.add_parser(
        "writer", help="store a cluster run's articles (workers with --writer) into SQLite"
    )
    writer.add_argument("--cluster", required=True, metavar="redis://...", help="the run's Redis")
    writer.add_argument("--run", required=True, metavar="ID", help="the run's id")
    writer.add_argument("--db", type=Path, default=DEFAULT_DB, metavar="FILE.sqlite")
    writer.add_argument(
        "--sites", type=Path, metavar="FILE.toml", help="its sites' own boilerplate patterns"
    )

    demo = commands.add_parser("demo", help="serve the bundled demo news site and crawl it")
    demo.add_argument("--output-dir", type=Path, default=Path("output"), help="default: ./output")
    _add_crawl_options(demo, "WARNING")
    return parser


def _crawl_settings(args: argparse.Namespace, feeds: dict[str, Any]) -> dict[str, Any]:
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
    if getattr(args, "max_pages", None):
        overrides["NEWSCRAWL_MAX_PAGES"] = args.max_pages
    if args.workers is not None:
        overrides["NEWSCRAWL_WORKERS"] = args.workers
    overrides.update(dict(args.settings))
    return overrides


def _jsonl_feed(path: Path, overwrite: bool) -> dict[str, Any]:
    return {str(path): {"format": "jsonlines", "overwrite": overwrite, "encoding": "utf-8"}}


def _run(spider: str, spider_args: dict[str, Any], overrides: dict[str, Any]) -> Any:
    # Imported here so that `newscrawl extract` and `--help` do not load Scrapy.
    from newscrawl.config import ConfigError
    from newscrawl.runner import OutputError, load_settings, run_spider
    from newscrawl.storage import StorageError
    from newscrawl.urls import InvalidURLError, parse_url_list

    try:
        if spider_args.get("urls"):
            spider_args = {**spider_args, "urls": parse_url_list(spider_args["urls"])}
        return run_spider(spider, spider_args, load_settings(overrides))
    except (InvalidURLError, ConfigError, OutputError, StorageError) as exc:
        raise CommandError(str(exc)) from None


def _news_args(args: argparse.Namespace, overrides: dict[str, Any]) -> dict[str, Any]:
    """The `news` spider's arguments from the command line, and the settings a sites
    file implies (per-site delay and concurrency, extra boilerplate patterns)."""
    from newscrawl.sites import SitesFileError, load_sites, parse_age

    spider_args: dict[str, Any] = {"refresh": args.refresh}
    if args.since:
        from newscrawl.discovery import parse_date

        if parse_date(args.since) is None:
            raise CommandError(f"--since: not a date: {args.since!r} (e.g. 2026-11-01)")
        spider_args["since"] = args.since
    if args.max_age:
        try:
            spider_args["max_age"] = parse_age(args.max_age)
        except ValueError as exc:
            raise CommandError(f"--max-age: {exc}") from None
    if args.sites is None:
        if not (args.urls or args.sitemap or args.feed):
            raise CommandError("give start URLs (or --sitemap, --feed), or --sites FILE")
        if args.site:
            raise CommandError("--site needs --sites FILE")
        from newscrawl.urls import InvalidURLError, parse_url_list

        try:
            extra = {
                k: parse_url_list(v)
                for k, v in (("sitemaps", args.sitemap), ("feeds", args.feed))
                if v
            }
        except InvalidURLError as exc:
            raise CommandError(str(exc)) from None
        return (
            {**spider_args, "urls": args.urls, **extra} if args.urls else {**spider_args, **extra}
        )
    if args.urls or args.sitemap or args.feed:
        raise CommandError("give start URLs (or --sitemap, --feed) or --sites FILE, not both")
    try:
        sites = load_sites(args.sites)
    except SitesFileError as exc:
        raise CommandError(str(exc)) from None
    if args.site:
        sites = [s for s in sites if s.name == args.site]
        if not sites:
            raise CommandError(f"{args.sites}: no site named {args.site!r}")
    slots = {}
    for site in sites:
        polite = {k: v for k, v in (("delay", site.delay), ("concurrency", site.concurrency)) if v}
        for url in site.entry_urls:
            if polite:
                slots[urlsplit(url).hostname or ""] = polite
    if slots:
        overrides["DOWNLOAD_SLOTS"] = slots
    patterns = {site.name: list(site.boilerplate) for site in sites if site.boilerplate}
    if patterns:
        overrides["NEWSCRAWL_SITE_FRAGMENT_PATTERNS"] = patterns
    return {**spider_args, "sites": sites}


def _summary(report: Any) -> list[str]:
    stored = report.stats.get("newscrawl/articles", 0)
    pages = report.stats.get("response_received_count", 0)
    lines = [f"articles: {stored} stored from {pages} pages fetched ({report.finish_reason})"]
    for title, prefix in (
        ("paragraphs dropped", "newscrawl/dropped/"),
        ("pages without an article", "newscrawl/pages_dropped/"),
        ("pages skipped", "newscrawl/pages_skipped/"),
        ("pages not fetched", "newscrawl/fetch_failed/"),
    ):
        counts = report.counts(prefix)
        if counts:
            detail = ", ".join(f"{name} {count}" for name, count in counts.items())
            lines.append(f"{title}: {sum(counts.values())} ({detail})")
    return lines


def _exit_code(report: Any) -> int:
    if report.finish_reason == "shutdown":
        return EXIT_INTERRUPTED
    if report.finish_reason == "storage_error":
        error = report.stats.get("newscrawl/sqlite/error", "")
        print(f"newscrawl: error: the crawl stopped: {error}", file=sys.stderr)
        return EXIT_FAILED
    if report.finish_reason == "cluster_incomplete":
        error = report.stats.get("newscrawl/cluster/error", "")
        print(f"newscrawl: error: this worker stopped: {error}", file=sys.stderr)
        return EXIT_FAILED
    if report.finish_reason == "cluster_unreachable":
        error = report.stats.get("newscrawl/cluster/error", "")
        print(
            f"newscrawl: error: this worker stopped: {error}; its unfinished pages stay"
            " in Redis for the next worker of its shard",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def cmd_crawl(args: argparse.Namespace) -> int:
    feeds: dict[str, Any] = {}
    if args.output or args.overwrite_output:
        feeds = _jsonl_feed(
            args.output or args.overwrite_output, overwrite=bool(args.overwrite_output)
        )
    if args.cluster is None and (args.run or args.writer or args.shard != "0/1"):
        raise CommandError("--run, --shard and --writer are options of a --cluster crawl")
    if args.cluster is None and args.sites is not None and args.db is None:
        args.db = DEFAULT_DB  # a scheduled crawl needs its memory
    overrides = _crawl_settings(args, feeds)
    if args.cluster is not None:
        overrides.update(_cluster_settings(args))
    report = _run("news", _news_args(args, overrides), overrides)
    for line in _summary(report):
        print(f"newscrawl: {line}", file=sys.stderr)
    code = _exit_code(report)
    # A worker of a cluster may have nothing to do: other workers took every page.
    if code == EXIT_OK and not report.stats.get("response_received_count") and not args.cluster:
        print("newscrawl: no page could be fetched", file=sys.stderr)
        code = EXIT_FAILED
    return code


def _require_cluster_extra(what: str) -> None:
    """One line, not a traceback, when the cluster extra is not installed."""
    from importlib.util import find_spec

    if any(find_spec(module) is None for module in ("scrapy_redis", "redis")):
        raise CommandError(f"{what} needs its extra: pip install 'newscrawl[cluster]'")


def _cluster_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings of a cluster worker, its options checked and its Redis reached."""
    _require_cluster_extra("--cluster")
    from newscrawl.cluster import ClusterError, check_cluster, cluster_settings

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


def cmd_scrape(args: argparse.Namespace) -> int:
    feeds = {"stdout:": {"format": "jsonlines", "encoding": "utf-8"}}
    report = _run("article", {"urls": args.urls}, _crawl_settings(args, feeds))
    missing = [url for url in report.failures if url not in report.articles]
    for url in missing:
        print(f"newscrawl: no article from {url}: {report.failures[url]}", file=sys.stderr)
    code = _exit_code(report)
    if code == EXIT_OK and (missing or not report.articles):
        code = EXIT_FAILED
    return code


def _read_source(name: str) -> tuple[bytes, str]:
    """The bytes of a file (or stdin for "-") and when they were saved (UTC ISO 8601)."""
    if name == "-":
        return sys.stdin.buffer.read(), _utc(datetime.now(UTC))
    path = Path(name)
    data = path.read_bytes()
    return data, _utc(datetime.fromtimestamp(path.stat().st_mtime, UTC))


def _utc(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _read_sources(names: Sequence[str]) -> list[Any]:
    from newscrawl.batch import SourcePage

    sources = []
    for name in names:
        try:
            html, saved_at = _read_source(name)
        except OSError as exc:
            reason = f"unreadable: {exc.strerror or exc}"
            print(f"newscrawl: {name}: {reason}", file=sys.stderr)
            sources.append(SourcePage(name, None, _utc(datetime.now(UTC)), reason))
        else:
            sources.append(SourcePage(name, html, saved_at))
    return sources


def cmd_extract(args: argparse.Namespace) -> int:
    from newscrawl.batch import extract_pages
    from newscrawl.config import NewscrawlConfig
    from newscrawl.items import article_record

    sources = _read_sources(args.files)
    config = NewscrawlConfig() if args.workers is None else NewscrawlConfig(workers=args.workers)
    results = extract_pages(sources, config, clean=not args.no_clean)
    for result in results:
        article = result.article
        if args.explain and article is not None:
            _explain(result.name, article, result.reason, result.dropped)
            continue
        row: dict[str, Any] = {"source": result.name}
        if article is None:
            row.update(text="", reason=result.reason)
        else:
            if result.reason:
                article.text = ""
            row.update(article_record(article), reason=result.reason)
        print(json.dumps(row, ensure_ascii=False))
    sys.stdout.flush()
    return EXIT_FAILED if any(source.html is None for source in sources) else EXIT_OK


def _explain(name: str, article: Any, reason: str | None, dropped: list[Any]) -> None:
    """Print, for people, what cleaning kept and dropped from one page, and why."""
    kept = len(article.text.split("\n")) if article.text else 0
    verdict = f"no article ({reason})" if reason else f"{article.word_count} words"
    print(f"== {name}: {verdict}; {kept} paragraphs kept, {len(dropped)} dropped")
    for drop in dropped:
        rule = f"{drop.rule}:{drop.detail}" if drop.detail else drop.rule
        text = drop.text if len(drop.text) <= 100 else drop.text[:99] + "…"
        print(f"  #{drop.index:<3} {rule:<24} {text}")


def _config_with_sites(sites: Path | None) -> Any:
    """Cleaning configuration with the sites file's per-site boilerplate patterns."""
    from newscrawl.config import NewscrawlConfig

    if sites is None:
        return NewscrawlConfig()
    from newscrawl.sites import SitesFileError, load_sites

    try:
        patterns = {s.name: s.boilerplate for s in load_sites(sites) if s.boilerplate}
    except SitesFileError as exc:
        raise CommandError(str(exc)) from None
    return NewscrawlConfig(site_fragment_patterns=patterns)


def cmd_reclean(args: argparse.Namespace) -> int:
    from newscrawl.storage import ArticleStore, StorageError

    if isinstance(args.db, Path) and not args.db.is_file():
        raise CommandError(f"no database at {args.db}")
    config = _config_with_sites(args.sites)
    try:
        store = ArticleStore.open(args.db)
        try:
            sites = args.site or None
            changed = store.reclean(config.cleaners(), sites)
            total = store.connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            store.close()
    except StorageError as exc:
        raise CommandError(str(exc)) from None
    print(
        f"newscrawl: recleaned {_shown(args.db)}: {changed} of {total} articles changed",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from newscrawl.evaluate import EvaluationError, evaluate_folder, format_rules, format_table

    rows, rules = [], []
    for folder in args.folders:
        try:
            scores, drops = evaluate_folder(folder, rules=args.rules)
        except EvaluationError as exc:
            raise CommandError(str(exc)) from None
        rows.extend(scores)
        rules.extend(drops)
    print(format_table(rows))
    if args.rules:
        print()
        print(format_rules(rules))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from newscrawl.demo import demo_server

    output_dir: Path = args.output_dir
    jsonl, sqlite = output_dir / "articles.jsonl", output_dir / "newscrawl.sqlite"
    with demo_server() as server:
        print(f"newscrawl: demo site at {server.url}", file=sys.stderr)
        args.db = sqlite
        report = _run(
            "news",
            # Every run shows the whole job: fetch all, even what an earlier demo stored.
            {"urls": [server.url], "refresh": True},
            _crawl_settings(args, _jsonl_feed(jsonl, overwrite=True)),
        )
    print("newscrawl demo:")
    for line in _summary(report):
        print(f"  {line}")
    print(f"  written: {jsonl} and {sqlite}")
    return _exit_code(report)


def _open_store(database: Path | str) -> Any:
    from newscrawl.storage import ArticleStore, StorageError

    if isinstance(database, Path) and not database.is_file():
        raise CommandError(f"no database at {database}")
    try:
        return ArticleStore.open(database)
    except StorageError as exc:
        raise CommandError(str(exc)) from None


def cmd_state(args: argparse.Namespace) -> int:
    from newscrawl.frontier import Frontier

    store = _open_store(args.db)
    try:
        if args.reset:
            forgotten = Frontier(store).forget_site(args.site)
            print(
                f"newscrawl: {args.site}: forgot {forgotten} URLs;"
                f" its articles stay in {_shown(args.db)}"
            )
            return EXIT_OK
        rows = store.connection.execute(
            "SELECT state, count(*) FROM urls WHERE site = ? GROUP BY state ORDER BY state",
            (args.site,),
        ).fetchall()
    finally:
        store.close()
    if not rows:
        print(f"newscrawl: {args.site}: no URLs remembered")
    for state, count in rows:
        print(f"{state:8} {count:7}")
    return EXIT_OK


# Columns of `newscrawl stats`: run-record counter -> heading.
STATS_COLUMNS = {
    "pages_fetched": "fetched",
    "stored": "stored",
    "unchanged": "unchanged",
    "already_stored": "known",
    "not_article": "not article",
    "too_short": "too short",
    "cleaned_away": "cleaned",
    "no_text": "empty",
    "http_error": "http err",
    "network_error": "net err",
    "robots_txt": "robots",
    "blocked": "blocked",
}


def _why_nothing(counts: dict[str, int]) -> str:
    if counts.get("blocked"):
        return f"blocked: {counts['blocked']} responses 401/403/429"
    if counts.get("robots_txt") and not counts.get("pages_fetched"):
        return "robots.txt forbids the pages"
    if counts.get("network_error") or counts.get("http_error"):
        return "fetch errors"
    if counts.get("already_stored"):
        return "nothing new (every article already stored)"
    if any(counts.get(k) for k in ("not_article", "too_short", "no_text", "cleaned_away")):
        return "pages fetched, none an article"
    return "no page found"


def _cluster_run_stats(url: str, run: str | None) -> int:
    _require_cluster_extra("--cluster")
    from redis import RedisError

    from newscrawl.cluster import ClusterError, connect, parse_run_id, run_prefix, run_progress

    if not run:
        raise CommandError("stats --cluster needs --run ID")
    try:
        progress = run_progress(connect(url), run_prefix(parse_run_id(run), "news"))
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


def cmd_stats(args: argparse.Namespace) -> int:
    from newscrawl.frontier import Frontier

    if args.cluster is not None:
        return _cluster_run_stats(args.cluster, args.run)
    if args.run:
        raise CommandError("stats --run shows a cluster run: give its --cluster redis://...")

    store = _open_store(args.db)
    try:
        rows = Frontier(store).last_run_counts(args.site)
    finally:
        store.close()
    if not rows:
        print(
            f"newscrawl: no runs recorded in {_shown(args.db)}"
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
        if not counts.get("stored") and not counts.get("unchanged"):
            warnings.append(
                f"newscrawl: warning: {site} stored nothing in run {run_id}: {_why_nothing(counts)}"
            )
    for warning in warnings:
        print(warning, file=sys.stderr)
    return EXIT_OK


def cmd_writer(args: argparse.Namespace) -> int:
    _require_cluster_extra("writer")
    from redis import RedisError

    from newscrawl.cluster import ClusterError, connect, parse_run_id
    from newscrawl.crawlstore import StoreLock
    from newscrawl.storage import ArticleStore, StorageError
    from newscrawl.writer import write_run

    config = _config_with_sites(args.sites)
    try:
        run = parse_run_id(args.run)
        server = connect(args.cluster)
    except ClusterError as exc:
        raise CommandError(str(exc)) from None
    lock = StoreLock(args.db)
    try:
        lock.acquire()
        store = ArticleStore.open(args.db)
    except StorageError as exc:
        lock.release()
        raise CommandError(str(exc)) from None
    print(f"newscrawl: writer: storing run {run} into {args.db}", file=sys.stderr)
    try:
        report = write_run(server, run, store, config.cleaners())
    except RedisError as exc:
        print(
            f"newscrawl: error: lost the cluster's Redis: {exc}; what was committed stays in"
            f" {args.db}, the rest waits in Redis for the next writer",
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
    return EXIT_OK


COMMANDS = {
    "writer": cmd_writer,
    "crawl": cmd_crawl,
    "scrape": cmd_scrape,
    "extract": cmd_extract,
    "reclean": cmd_reclean,
    "state": cmd_state,
    "stats": cmd_stats,
    "eval": cmd_eval,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CommandError as exc:
        print(f"newscrawl: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("newscrawl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `newscrawl extract ... | head`: the reader left; that is not an error.
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
