"""A user's fragment pattern that backtracks catastrophically never hangs a command
nor loses a page: it runs with a CPU time bound, the paragraphs it did not finish
are kept, and it is warned of once a site and pattern (cleaning/fragments.py)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import FAST, FolderSite, run

# What an operator writes for "Readers love our free ... newsletter": with `re`,
# 17 s of CPU on a paragraph of 40 characters of plain words, for ever on a page.
REPORTED = r"(\w+\s?)+ newsletter"
# One that backtracks with `regex` too, on a paragraph of plain words: it runs out
# of time on every page.
BACKTRACKS = r"(?:\w|\w\w|\s)+[.!]"
NEWSLETTER = "Readers love the free Quayside newsletter"
PARAGRAPHS = {
    "boats": [
        "The harbour master counted forty boats at anchor on the first calm morning of spring",
        "Fishermen said the early season had brought more crab than anyone could remember",
        "The new pontoon will open to visitors once the council has checked its moorings",
        "Local cafes along the quay reported their busiest weekend since the summer began",
        "Volunteers repainted the old lifeboat station in its original blue and white colours",
        "The ferry timetable changes next week with an extra crossing on Saturday evenings",
    ],
    "market": [
        "The weekly fish market moved into the old net loft after sixty years on the quay",
        "Stallholders said the move would let them open earlier on cold winter mornings",
        "Customers queued from dawn to buy mackerel landed by the two small trawlers",
        "The council will review the lease of the loft at its meeting in the autumn",
        "A bakery beside the loft now sells bread to the traders before the market opens",
        "Parking on the harbour road is free for market shoppers until nine each morning",
    ],
}


def page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta property="og:type" content="article"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


@pytest.fixture(scope="module")
def quay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FolderSite]:
    """Two articles of plain words and spaces, each with a newsletter line."""
    root = tmp_path_factory.mktemp("quay")
    for name, paragraphs in PARAGRAPHS.items():
        (root / f"{name}.html").write_text(page(f"Quay {name}", [*paragraphs, NEWSLETTER]))
    site = FolderSite(root)
    yield site
    site.close()


def sites_file(folder: Path, site: FolderSite, *patterns: str) -> Path:
    sites = folder / "sites.toml"
    urls = ", ".join(f'"{site.url}{name}.html"' for name in PARAGRAPHS)
    # TOML literal strings: the patterns as written.
    boilerplate = ", ".join(f"'{p}'" for p in patterns)
    sites.write_text(
        f'[[site]]\nname = "quay"\nstart_urls = [{urls}]\nboilerplate = [{boilerplate}]\n'
    )
    return sites


@pytest.fixture(scope="module")
def crawled(quay: FolderSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two articles crawled into a store, with no pattern of the user's."""
    folder = tmp_path_factory.mktemp("crawled")
    db = folder / "c.sqlite"
    result = run("newscrawl", "crawl", "--sites", str(sites_file(folder, quay)),
                 "--db", str(db), *FAST, timeout=90)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    return db


def texts(db: Path) -> list[list[str]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT text FROM articles ORDER BY canonical_url").fetchall()
    return [text.split("\n") for (text,) in rows]


def warnings_of(stderr: str, pattern: str) -> list[str]:
    return [line for line in stderr.splitlines() if f"fragment pattern {pattern!r}" in line]


def test_reclean_with_the_reported_pattern_ends_and_applies_it(
    crawled: Path, quay: FolderSite, tmp_path: Path
):
    """Before: `reclean --sites` with `(\\w+\\s?)+ newsletter` ran for ever (killed
    here after 60 s), printing nothing."""
    db = tmp_path / "r.sqlite"
    shutil.copy(crawled, db)
    assert all(NEWSLETTER in text for text in texts(db))  # no pattern of the user's yet
    sites = sites_file(tmp_path, quay, REPORTED)
    result = run("newscrawl", "reclean", "--db", str(db), "--sites", str(sites), timeout=60)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert err == f"newscrawl: recleaned {db}: 2 of 2 articles changed\n"
    assert texts(db) == [PARAGRAPHS["boats"], PARAGRAPHS["market"]]


def test_reclean_with_a_pattern_out_of_time_keeps_the_text_and_warns_once(
    crawled: Path, quay: FolderSite, tmp_path: Path
):
    """Before: it ran for ever (killed here after 60 s). Now the pattern gives up on
    each page after 0.05 s of CPU, the paragraphs it did not finish are kept, the
    other pattern still applies, and one line names the site and the pattern."""
    db = tmp_path / "r.sqlite"
    shutil.copy(crawled, db)
    sites = sites_file(tmp_path, quay, BACKTRACKS, REPORTED)
    result = run("newscrawl", "reclean", "--db", str(db), "--sites", str(sites), timeout=60)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "Traceback" not in err
    (warning,) = warnings_of(err, BACKTRACKS)
    assert warning.startswith("newscrawl: warning: site quay: fragment pattern ")
    assert "ran out of time on http://127.0.0.1:" in warning
    assert err.count("\n") == 2, err  # the warning and the summary
    assert err.endswith(
        f"newscrawl: recleaned {db}: 2 of 2 articles changed;"
        " a fragment pattern ran out of time on 2 (their paragraphs kept)\n"
    )
    assert texts(db) == [PARAGRAPHS["boats"], PARAGRAPHS["market"]]


def test_a_crawl_keeps_pages_a_pattern_runs_out_of_time_on(quay: FolderSite, tmp_path: Path):
    """Before: each page took the worker's whole NEWSCRAWL_EXTRACT_TIMEOUT (8 s of
    CPU) on the reported pattern and was lost as `extraction_timeout`."""
    db = tmp_path / "c.sqlite"
    sites = sites_file(tmp_path, quay, BACKTRACKS, REPORTED)
    result = run("newscrawl", "crawl", "--sites", str(sites), "--db", str(db), *FAST, timeout=90)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "extraction_timeout" not in err
    assert len(warnings_of(err, BACKTRACKS)) == 1, err  # once, for both pages
    assert "site quay: fragment pattern" in warnings_of(err, BACKTRACKS)[0]
    assert texts(db) == [PARAGRAPHS["boats"], PARAGRAPHS["market"]]
    with sqlite3.connect(db) as connection:
        counted = connection.execute(
            "SELECT value FROM run_counts WHERE site = 'quay' AND counter = 'pattern_timeouts'"
        ).fetchall()
    assert counted == [(2,)]
