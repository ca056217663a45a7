"""`newscrawl search`, `export` and `reextract`: what people do with the stored
articles, through the store's API."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from newscrawl.cli.common import (
    EXIT_OK,
    CommandError,
    StdoutError,
    add_workers_option,
    check_site,
    config_with_sites,
    database_arg,
    open_store,
    positive,
    require_stdout,
    shown,
)
from newscrawl.replacing import clashing_output, not_an_output

__all__ = ["add_parsers"]


def iso_date(text: str) -> str:
    """An argparse type: a date as YYYY-MM-DD (what the store's dates start with)."""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-01: {text!r}") from None


def add_parsers(commands: Any) -> None:
    search = commands.add_parser(
        "search", help="full-text search of the stored articles, one JSON object per hit"
    )
    search.add_argument("query", metavar="QUERY", help='words, "a phrase", OR, NOT, prefix*')
    search.add_argument("--db", type=database_arg, required=True, metavar="FILE.sqlite|URL")
    search.add_argument("--site", metavar="NAME", help="only this site's articles")
    search.add_argument("--since", type=iso_date, metavar="DATE", help="published on or after DATE")
    search.add_argument("--limit", type=positive, default=20, metavar="N", help="default 20")
    search.set_defaults(handler=cmd_search)

    export = commands.add_parser(
        "export", help="write the stored articles as JSONL, CSV or Parquet"
    )
    export.add_argument("--db", type=database_arg, required=True, metavar="FILE.sqlite|URL")
    export.add_argument(
        "--format", metavar="jsonl|csv|parquet", help="default: from the file's suffix"
    )
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="- for stdout")
    export.add_argument("--site", metavar="NAME", help="only this site's articles")
    export.add_argument("--since", type=iso_date, metavar="DATE", help="published on or after DATE")
    export.add_argument(
        "--unique", action="store_true", help="one row per story: no copy of an earlier article"
    )
    export.set_defaults(handler=cmd_export)

    again = commands.add_parser(
        "reextract", help="extract stored articles again from their archived pages (WARC)"
    )
    again.add_argument("--db", type=database_arg, required=True, metavar="FILE.sqlite|URL")
    again.add_argument("--archive", type=Path, required=True, metavar="DIR")
    again.add_argument(
        "--site", action="append", metavar="NAME", help="only this site (repeatable)"
    )
    again.add_argument(
        "--sites", type=Path, metavar="FILE.toml", help="apply its sites' own boilerplate patterns"
    )
    add_workers_option(again)
    again.set_defaults(handler=cmd_reextract)


def cmd_search(args: argparse.Namespace) -> int:
    from newscrawl.search import SearchError, search
    from newscrawl.storage import StorageError

    with open_store(args.db, writes=False) as store:
        check_site(store, args.site)
        try:
            hits = search(store, args.query, args.site, args.since, args.limit)
        except (SearchError, StorageError) as exc:
            raise CommandError(str(exc)) from None
    for hit in hits:
        print(json.dumps(hit.record(), ensure_ascii=False))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from newscrawl.export import ExportError, export_articles, format_of
    from newscrawl.storage import StorageError

    try:
        fmt = format_of(args.output, args.format)
    except ExportError as exc:
        raise CommandError(str(exc)) from None
    if args.output == "-":
        require_stdout()
    if args.output != "-":
        clash = clashing_output(args.db, [("the output", Path(args.output))])
        clash = clash or not_an_output(Path(args.output), appending=False)
        if clash is not None:
            raise CommandError(clash)
    with open_store(args.db, writes=False) as store:
        check_site(store, args.site)
        try:
            count = export_articles(store, args.output, fmt, args.site, args.since, args.unique)
            if args.output == "-":  # all of it taken before "exported" is said
                sys.stdout.flush()
        except (ExportError, StorageError) as exc:
            raise CommandError(str(exc)) from None
        except BrokenPipeError as exc:  # as `-o /dev/stdout`: the export was cut
            raise StdoutError(exc.errno, exc.strerror) from None
    where = "standard output" if args.output == "-" else args.output
    what = "stories" if args.unique else "articles"
    print(f"newscrawl: exported {count} {what} to {where} ({fmt})", file=sys.stderr)
    return EXIT_OK


def cmd_reextract(args: argparse.Namespace) -> int:
    from newscrawl.reextract import reextract

    if not args.archive.is_dir():
        raise CommandError(f"no archive folder at {args.archive}")
    config = config_with_sites(args.sites)
    if args.workers is not None:
        config = dataclasses.replace(config, workers=args.workers)
    with open_store(args.db, writes=True) as store:
        for site in args.site or ():
            check_site(store, site)
        report = reextract(store, args.archive, config, args.site)
    for problem in [*report.timeout_warnings, *report.unreadable]:
        print(f"newscrawl: warning: {problem}", file=sys.stderr)
    kept = []
    if report.not_archived:
        kept.append(f"{report.not_archived} not in the archive")
    if report.no_article:
        kept.append(f"{report.no_article} no longer an article")
    if report.unreadable:
        kept.append(f"{len(report.unreadable)} unreadable")
    print(
        f"newscrawl: reextracted {shown(args.db)} from {args.archive}: {report.changed} of"
        f" {report.articles} articles changed" + (f"; kept as they were: {', '.join(kept)}"
                                                  if kept else ""),
        file=sys.stderr,
    )  # fmt: skip
    return EXIT_OK
