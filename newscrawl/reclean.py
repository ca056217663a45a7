"""Cleaning stored articles again: at the end of a crawl, by `newscrawl reclean`,
and by `newscrawl writer`.

The store keeps each article's raw text, link texts and paragraph fingerprints;
this module runs the current cleaning rules and site model over them and writes
back the rows that change. It sits above the store (which is SQL only) and
beside the pipelines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from newscrawl.article import boilerplate_used, rule_counts
from newscrawl.cleaning import TextCleaner
from newscrawl.cleaning.fragments import PatternTimeouts
from newscrawl.database import database_errors
from newscrawl.storage import (
    RECLEAN_COMMIT_EVERY,
    ArticleStore,
    StorageError,
    boilerplate_column,
    cleaning_column,
)

__all__ = ["TimedOut", "reclean", "warn_of_timeouts"]


# What a re-clean tells of a page on which a user's fragment pattern ran out of
# time: its site, its address, the patterns (its paragraphs they did not finish kept).
TimedOut = Callable[[str, str, tuple[str, ...]], None]


def warn_of_timeouts(timeouts: PatternTimeouts, warn: Callable[[str], None]) -> TimedOut:
    """A TimedOut that counts the pages in `timeouts` and gives `warn` one line per
    site and pattern, the first time."""

    def timed_out(site: str, url: str, patterns: tuple[str, ...]) -> None:
        for warning in timeouts.add(site, url, patterns):
            warn(warning)

    return timed_out


def reclean(
    store: ArticleStore,
    cleaner: TextCleaner | Callable[[str], TextCleaner],
    sites: Iterable[str] | None = None,
    stale_only: bool = False,
    timed_out: TimedOut | None = None,
) -> int:
    """Clean the stored articles of `sites` (all when None) again, from their raw
    text, with the current rules and site model. Returns how many texts changed.

    With `stale_only`, only the rows cleaned with other site boilerplate than
    their site now has: what the end of a crawl needs, since its rules did not
    change but the model did. A page's cleaning takes nothing else from other
    pages, so the result is the same as re-cleaning every row, at a cost that
    grows with the rows the run touched, not with the whole history.

    The result depends only on what is stored, not on the order it came in.
    Articles left too short keep their row (their text is stored cleaned).

    Commits every RECLEAN_COMMIT_EVERY rows written, so a stop during it keeps
    what was done and running it again does the rest. For the end-of-run
    re-clean that is the next run's: the rows not reached are still stale.

    A page on which a user's fragment pattern runs out of time (a pattern that
    backtracks: see cleaning/fragments.py) keeps the paragraphs it did not
    finish, as in a crawl, and is told to `timed_out`.
    """
    try:
        return _reclean(store, cleaner, sites, stale_only, timed_out)
    except database_errors() as exc:
        raise StorageError(f"cannot write to {store.path}: {exc}") from None


def _reclean(
    store: ArticleStore,
    cleaner: TextCleaner | Callable[[str], TextCleaner],
    sites: Iterable[str] | None,
    stale_only: bool,
    timed_out: TimedOut | None,
) -> int:
    changed = 0
    for site in sorted(sites) if sites is not None else store.sites():
        site_cleaner = cleaner if isinstance(cleaner, TextCleaner) else cleaner(site)
        boilerplate = store.site_boilerplate(site)
        for row in store.rows_to_clean(site, boilerplate if stale_only else None):
            # Rows stored before raw text was kept (schema 1) start from their text.
            source = row.raw_text or row.text
            result = site_cleaner.clean_text(
                source,
                row.title,
                json.loads(row.anchor_texts),
                boilerplate,
                authors=json.loads(row.authors),
            )
            if result.timed_out and timed_out is not None:
                timed_out(site, row.canonical_url, result.timed_out)
            cleaning = cleaning_column(rule_counts(result))
            used = boilerplate_column(boilerplate_used(source, boilerplate))
            if (
                result.text == row.text
                and cleaning == row.cleaning
                and used == row.boilerplate_used
                # Counted otherwise before: Chinese and Japanese text (98e61e3).
                and result.word_count == row.word_count
            ):
                continue  # most rows: nothing to write
            changed += result.text != row.text
            store.update_cleaned(row.canonical_url, result.text, result.word_count, cleaning, used)
            if store.pending >= RECLEAN_COMMIT_EVERY:
                store.commit()
        # Rows stored before story signatures were kept: signed once, here.
        store.sign_unsigned(site)
    # Copies whose first copy left the story meanwhile: each worked out once, here.
    store.settle_stories()
    store.commit()
    return changed
