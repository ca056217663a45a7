"""Pages of one site share furniture no pattern knows; crawls in any order drop it."""

import json
import sqlite3
from pathlib import Path

import pytest

from .conftest import FAST, SITE, run

PAGES = sorted((SITE / "harbour").glob("*.html"))
FURNITURE = [
    "Penmorrow Tidings, read on every quay since 1887",
    "Our reporters walk the harbour every morning so that you do not have to get wet.",
    "Tidings Club members get the tide tables a week early with their weekly post.",
]


def crawl_in_order(site_url: str, pages: list[Path], db: Path) -> list[tuple[str, str]]:
    urls = [site_url + "harbour/" + page.name for page in pages]
    # One request at a time, so the pages reach the pipelines in the order given.
    result = run(
        "scrapy", "crawl", "article", "-a", "urls=" + ",".join(urls), "-s", f"NEWSCRAWL_SQLITE_PATH={db}",
        "-s", "CONCURRENT_REQUESTS=1", *FAST,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    return stored_texts(db)


@pytest.fixture(scope="module")
def forward_db(site_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pages crawled once in their order, for the tests that read that store
    (each copies it before changing anything): one crawl, not one a test."""
    db = tmp_path_factory.mktemp("forward") / "forward.sqlite"
    crawl_in_order(site_url, PAGES, db)
    return db


def stored_texts(db: Path) -> list[tuple[str, str]]:
    return (
        sqlite3.connect(db)
        .execute("SELECT canonical_url, text FROM articles ORDER BY 1")
        .fetchall()
    )


def test_furniture_shared_by_pages_is_dropped_whatever_the_order(
    site_url: str, forward_db: Path, tmp_path: Path
):
    forward = stored_texts(forward_db)
    backward = crawl_in_order(site_url, PAGES[::-1], tmp_path / "backward.sqlite")
    assert len(forward) == len(PAGES)
    assert forward == backward
    for _, text in forward:
        paragraphs = text.split("\n")
        assert len(paragraphs) == 2  # the two paragraphs of each story
        assert not set(paragraphs) & set(FURNITURE)
    counts = sqlite3.connect(forward_db).execute("SELECT cleaning FROM articles").fetchall()
    assert all(json.loads(c)["site_boilerplate"] == 3 for (c,) in counts)


def test_extract_learns_site_furniture_across_files():
    result = run("newscrawl", "extract", *map(str, PAGES))
    assert result.returncode == 0, result.stderr.decode()
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(rows) == len(PAGES)
    for row in rows:
        assert not set(row["text"].split("\n")) & set(FURNITURE)
    # One page alone has nothing to learn from: its furniture stays.
    (alone,) = [
        json.loads(line)
        for line in run("newscrawl", "extract", str(PAGES[0])).stdout.decode().splitlines()
    ]
    assert FURNITURE[1] in alone["text"].split("\n")


def test_reclean_gives_the_same_text_and_is_idempotent(forward_db: Path, tmp_path: Path):
    db = tmp_path / "a.sqlite"
    source, copy = sqlite3.connect(forward_db), sqlite3.connect(db)
    source.backup(copy)  # the shared store stays as the crawl left it
    source.close()
    copy.close()
    before = stored_texts(db)
    assert len(before) == len(PAGES)
    first = run("newscrawl", "reclean", "--db", str(db))
    assert first.returncode == 0, first.stderr.decode()
    assert "0 of 4 articles changed" in first.stderr.decode()
    assert stored_texts(db) == before


def test_reclean_of_a_missing_database_is_a_one_line_error(tmp_path: Path):
    result = run("newscrawl", "reclean", "--db", str(tmp_path / "none.sqlite"))
    assert result.returncode == 2
    assert (
        result.stderr.decode() == f"newscrawl: error: no database at {tmp_path / 'none.sqlite'}\n"
    )


def test_extract_cleans_the_same_in_workers_as_in_its_own_process(seed_dir: Path):
    # With workers, `newscrawl extract` cleans in them too; the site furniture
    # they learn from the other files, and every drop, must be the same.
    files = [*map(str, PAGES), str(seed_dir / "seed-article.html")]
    outputs = {}
    for workers in ("0", "2"):
        result = run("newscrawl", "extract", "--workers", workers, *files)
        assert result.returncode == 0, result.stderr.decode()
        explained = run("newscrawl", "extract", "--explain", "--workers", workers, *files)
        outputs[workers] = (result.stdout.decode(), explained.stdout.decode())
    assert outputs["0"] == outputs["2"]
    rows = [json.loads(line) for line in outputs["2"][0].splitlines()]
    assert len(rows) == len(files)
    assert all(row["cleaning"]["site_boilerplate"] == 3 for row in rows[:-1])
    assert "More From This Section" not in rows[-1]["text"]
    assert "site_boilerplate" in outputs["2"][1]
