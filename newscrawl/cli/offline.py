"""`newscrawl extract` and `eval`: saved pages, offline, no Scrapy."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    add_workers_option,
    stdin_bytes,
)

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    extract = commands.add_parser(
        "extract", help="extract saved HTML files offline (- for stdin, a folder for its .html)"
    )
    extract.add_argument("files", nargs="+", metavar="FILE|DIR")
    extract.add_argument(
        "--url", metavar="URL",
        help="the address the (one) saved page was fetched from: its links, canonical URL, site",
    )  # fmt: skip
    add_workers_option(extract)
    extract_mode = extract.add_mutually_exclusive_group()
    extract_mode.add_argument(
        "--no-clean", action="store_true", help="print trafilatura's text untouched"
    )
    extract_mode.add_argument(
        "--explain",
        action="store_true",
        help="list every dropped paragraph and the rule that dropped it",
    )
    extract.set_defaults(handler=cmd_extract)

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
    evaluate.set_defaults(handler=cmd_eval)


# A saved page is read up to the crawl's download cap (DOWNLOAD_MAXSIZE): a file of
# 1.5 GB took 4.6 GB of memory, and `extract /dev/zero` grew until it was killed.
MAX_SOURCE_BYTES = 32 * 1024 * 1024


class SourceTooLarge(OSError):
    """A saved page past MAX_SOURCE_BYTES."""


def _read_source(name: str) -> tuple[bytes, str]:
    """The bytes of a file (or stdin for "-") and when they were saved (UTC ISO
    8601). SourceTooLarge past MAX_SOURCE_BYTES, having read no more."""
    if name == "-":
        data, saved = stdin_bytes(MAX_SOURCE_BYTES + 1), datetime.now(UTC)
    else:
        path = Path(name)
        with path.open("rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
            saved = datetime.fromtimestamp(os.fstat(handle.fileno()).st_mtime, UTC)
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceTooLarge(f"more than {MAX_SOURCE_BYTES // (1024 * 1024)} MB")
    return data, _utc(saved)


def _utc(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


# What `extract DIR` reads: saved pages, under the folder at any depth.
HTML_SUFFIXES = (".html", ".htm")


def _expand(names: Sequence[str]) -> list[str]:
    """The inputs, each folder replaced by its HTML files (sorted, at any depth)."""
    found: list[str] = []
    for name in names:
        path = Path(name)
        if name != "-" and path.is_dir():
            pages = sorted(
                str(p) for p in path.rglob("*") if p.suffix.lower() in HTML_SUFFIXES and p.is_file()
            )
            if not pages:
                raise CommandError(f"no .html files under {name}")
            found.extend(pages)
        else:
            found.append(name)
    return found


def _read_sources(names: Sequence[str], url: str | None = None) -> list[Any]:
    from newscrawl.batch import SourcePage

    sources = []
    for name in names:
        try:
            html, saved_at = _read_source(name)
        except SourceTooLarge as exc:
            reason = f"too_large: {exc}"
            print(f"newscrawl: {name}: {reason}", file=sys.stderr)
            sources.append(SourcePage(name, None, _utc(datetime.now(UTC)), reason))
        except OSError as exc:
            reason = f"unreadable: {exc.strerror or exc}"
            print(f"newscrawl: {name}: {reason}", file=sys.stderr)
            sources.append(SourcePage(name, None, _utc(datetime.now(UTC)), reason))
        else:
            sources.append(SourcePage(name, html, saved_at, url=url))
    return sources


def cmd_extract(args: argparse.Namespace) -> int:
    from newscrawl.batch import extract_pages
    from newscrawl.config import NewscrawlConfig
    from newscrawl.items import article_record

    names = _expand(args.files)
    if args.url is not None:
        from newscrawl.urls import InvalidURLError, parse_url

        if len(names) != 1:
            raise CommandError(f"--url is the address of one saved page, not of {len(names)}")
        try:
            args.url = parse_url(args.url)
        except InvalidURLError as exc:
            raise CommandError(str(exc)) from None
    sources = _read_sources(names, args.url)
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
            if result.reason:  # no article: its text is not one, and counts no words
                article.text, article.word_count = "", 0
            row.update(article_record(article), reason=result.reason)
        print(json.dumps(row, ensure_ascii=False))
    if sys.stdout is not None:  # None: closed (`>&-`), and print() wrote nothing
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
