"""Issue 17, item 4: the same text in every sink.

A site whose pages share furniture lines no pattern knows (invented for this
test: the Gullhaven Lantern's). Its first pages reach the crawl before the site
model has seen the lines often enough; the JSON Lines record of every article
must still equal its SQLite row and hold none of them, whatever the order.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawl.feeds import TEST_FLUSH_PAUSE, spool_path
from newscrawl.vocabulary import LOOP_MAX_HELD_MS

from .conftest import BIN, FAST, REPO, FolderSite, run
from .gatedsite import Gate

FURNITURE = [
    "The Gullhaven Lantern has lit the way for readers of the north shore since 1911.",
    "Lantern Circle friends hear about the ferry strikes a day before anyone else does.",
    "Every letter to the Lantern is read aloud at the Thursday meeting of the editors.",
]
STORIES = [
    ("ferry-pier-gets-new-gangway", "Ferry pier gets a new gangway"),
    ("lighthouse-keeper-retires", "Lighthouse keeper retires after forty years"),
    ("school-choir-wins-regional-prize", "School choir wins the regional prize"),
    ("seal-pups-counted-on-sandbank", "Seal pups counted on the sandbank"),
    ("bakery-opens-on-quay-street", "Bakery opens on Quay Street"),
    ("storm-drains-cleared-before-winter", "Storm drains cleared before winter"),
]
NS = '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


def story_page(slug: str, title: str, number: int) -> str:
    body = [
        f"<p>{FURNITURE[0]}</p>",
        (
            f"<p>The story of the {title.lower()} began on a grey morning in week {number},"
            " when neighbours on the north shore gathered to see what the council had promised.</p>"
        ),
        f"<p>{FURNITURE[1]}</p>",
        (
            f"<p>By the afternoon of day {number + 2} the work on the {slug.split('-')[0]} was"
            " finished, and the harbour master thanked the volunteers who had helped.</p>"
        ),
        f"<p>{FURNITURE[2]}</p>",
    ]
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:type' content='article'></head>"
        f"<body><article><h1>{title}</h1>{''.join(body)}</article></body></html>"
    )


@pytest.fixture()
def lantern(tmp_path: Path) -> Iterator[FolderSite]:
    root = tmp_path / "lantern"
    (root / "news").mkdir(parents=True)
    site = FolderSite(root)
    (root / "index.html").write_text(
        "<!DOCTYPE html><html lang='en'><head><title>Gullhaven Lantern</title></head>"
        "<body><h1>Gullhaven Lantern</h1><p>News of the north shore.</p></body></html>"
    )
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n")
    for number, (slug, title) in enumerate(STORIES, start=1):
        (root / "news" / f"{slug}.html").write_text(story_page(slug, title, number))
    for name, order in (("forward", STORIES), ("backward", STORIES[::-1])):
        entries = "".join(f"<url><loc>{site.url}news/{slug}.html</loc></url>" for slug, _ in order)
        (root / f"sitemap-{name}.xml").write_text(f"{NS}{entries}</urlset>")
    yield site
    site.close()


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def rows(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT canonical_url, text FROM articles"))


def assert_no_furniture(texts: list[str]) -> None:
    for text in texts:
        assert not set(text.split("\n")) & set(FURNITURE), text


# Seconds the test holds the writing of the records at the end of a run.
HOLD = 3.0

# One request at a time, so the pages reach the pipelines in the sitemap's order.
ONE_AT_A_TIME = ["-s", "CONCURRENT_REQUESTS=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]


def test_jsonl_text_equals_its_row_and_holds_no_furniture_in_either_order(
    lantern: FolderSite, tmp_path: Path
):
    texts = {}
    for order in ("forward", "backward"):
        out, db = tmp_path / f"{order}.jsonl", tmp_path / f"{order}.sqlite"
        result = run("newscrawl", "crawl", lantern.url, "--sitemap",
                     f"{lantern.url}sitemap-{order}.xml", "-o", str(out), "--db", str(db),
                     *ONE_AT_A_TIME, *FAST)  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        lines, stored = records(out), rows(db)
        assert len(lines) == len(STORIES) == len(stored)
        for line in lines:
            assert line["text"] == stored[line["canonical_url"]], line["canonical_url"]
        assert_no_furniture([line["text"] for line in lines])
        texts[order] = {line["canonical_url"]: line["text"] for line in lines}
    assert texts["forward"] == texts["backward"]


def test_without_a_store_the_jsonl_holds_no_furniture_in_either_order(
    lantern: FolderSite, tmp_path: Path
):
    texts = {}
    for order in ("forward", "backward"):
        out = tmp_path / f"{order}.jsonl"
        result = run("newscrawl", "crawl", lantern.url, "--sitemap",
                     f"{lantern.url}sitemap-{order}.xml", "-o", str(out),
                     *ONE_AT_A_TIME, *FAST)  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        lines = records(out)
        assert len(lines) == len(STORIES)
        assert_no_furniture([line["text"] for line in lines])
        assert all(line["cleaning"]["site_boilerplate"] == 3 for line in lines)
        texts[order] = {line["canonical_url"]: line["text"] for line in lines}
    assert texts["forward"] == texts["backward"]
    # Nothing is left beside the output once it is written.
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "backward.jsonl",
        "forward.jsonl",
    ]


def test_scrapy_crawl_with_o_and_a_store_writes_the_rows_text(lantern: FolderSite, tmp_path: Path):
    out, db = tmp_path / "scrapy.jsonl", tmp_path / "scrapy.sqlite"
    urls = ",".join(f"{lantern.url}news/{slug}.html" for slug, _ in STORIES)
    result = run("scrapy", "crawl", "article", "-a", f"urls={urls}", "-O", str(out),
                 "-s", f"NEWSCRAWL_SQLITE_PATH={db}", *ONE_AT_A_TIME, *FAST)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    lines, stored = records(out), rows(db)
    assert len(lines) == len(STORIES) == len(stored)
    for line in lines:
        assert line["text"] == stored[line["canonical_url"]]
    assert_no_furniture([line["text"] for line in lines])


def test_a_killed_runs_articles_reach_the_jsonl_with_the_next_run(
    lantern: FolderSite, tmp_path: Path
):
    """SIGKILL once the first articles are stored: nothing is in the JSON Lines
    file yet. The same command again writes every stored article, once it has its
    final text, and each record equals its row."""
    out, db = tmp_path / "a.jsonl", tmp_path / "a.sqlite"
    # Two stories, the others held back until the kill: it comes mid-crawl.
    command = _killed_once_two_are_stored(lantern, "-o", out, db)
    killed_with = stored_rows(db)
    assert 2 <= len(killed_with) < len(STORIES)

    lantern.gate.open()

    again = subprocess.run(command, cwd=REPO, capture_output=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr.decode()
    lines, stored = records(out), rows(db)
    assert len(stored) == len(STORIES)
    # Every article, those the killed run stored included; a page the killed run
    # had in hand but not committed is fetched again, and may be written twice.
    assert {line["canonical_url"] for line in lines} == set(stored)
    for line in lines:
        assert line["text"] == stored[line["canonical_url"]]
    assert_no_furniture([line["text"] for line in lines])


def test_capital_o_without_a_spool_leaves_the_file_it_would_replace(
    lantern: FolderSite, tmp_path: Path
):
    """-O whose spool cannot be made (a disk full as the crawl starts; here a
    folder at its name) fell back to writing records as they came: Scrapy
    emptied the last run's file as the crawl opened, and on a full disk the run
    left a torn line and neither run's records (reproduced on an 8 KB tmpfs).
    The crawl is refused in one line, exit 1, the file as it was."""
    out = tmp_path / "latest.jsonl"
    earlier = b'{"title": "an earlier run\'s article"}\n'
    out.write_bytes(earlier)
    spool_path(out).mkdir()
    result = run("newscrawl", "crawl", lantern.url, "-O", str(out), *FAST)
    assert result.returncode == 1, result.stderr.decode()
    assert f"cannot write {out}: its spool" in result.stderr.decode()
    assert out.read_bytes() == earlier


def test_a_killed_run_with_capital_o_leaves_the_file_it_would_replace(
    lantern: FolderSite, tmp_path: Path
):
    """-O replaces the file with the run's records once they are all written: a
    run killed before (a cron job's timeout, the OOM killer) leaves the last
    run's file as it was. Scrapy truncated it at the run's first article, and the
    kill left it empty until the next run that finished."""
    out, db = tmp_path / "latest.jsonl", tmp_path / "a.sqlite"
    earlier = b'{"title": "an earlier run\'s article"}\n'
    out.write_bytes(earlier)
    # The second article stored: the first has been through the feeds.
    command = _killed_once_two_are_stored(lantern, "-O", out, db)
    assert out.read_bytes() == earlier

    lantern.gate.open()
    again = subprocess.run(command, cwd=REPO, capture_output=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr.decode()
    lines, stored = records(out), rows(db)
    assert len(stored) == len(STORIES)
    # This run's articles only (-O), the killed run's earlier file gone.
    assert lines and {line["canonical_url"] for line in lines} <= set(stored)
    assert all("canonical_url" in line for line in lines)
    assert not spool_path(out).exists()


def test_a_kill_while_the_records_are_written_loses_none_and_tears_no_line(
    lantern: FolderSite, tmp_path: Path
):
    """SIGKILL in the middle of writing the records at the end of the run (half of
    a batch written, a line torn): the next run cuts the torn line and writes the
    whole batch again, each record with its row's text; every line parses."""
    out, db, marker = tmp_path / "a.jsonl", tmp_path / "a.sqlite", tmp_path / "paused"
    command = [str(BIN / "newscrawl"), "crawl", lantern.url, "--sitemap",
               f"{lantern.url}sitemap-forward.xml", "-o", str(out), "--db", str(db),
               *ONE_AT_A_TIME, *FAST]  # fmt: skip
    env = {**os.environ, TEST_FLUSH_PAUSE: str(marker)}
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 90
    while not (marker.exists() and marker.read_text().strip()):
        assert process.poll() is None and time.monotonic() < deadline, "no pause"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    torn = out.read_bytes()
    assert torn and not torn.endswith(b"\n")  # killed in the middle of a line
    assert spool_path(out).exists()

    again = subprocess.run(command, cwd=REPO, capture_output=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr.decode()
    assert "ended in a torn line" in again.stderr.decode()
    lines, stored = records(out), rows(db)  # every line parses
    assert len(stored) == len(STORIES)
    assert {line["canonical_url"] for line in lines} == set(stored)
    for line in lines:
        assert line["text"] == stored[line["canonical_url"]]
    assert_no_furniture([line["text"] for line in lines])
    assert not spool_path(out).exists()


def test_the_event_loop_turns_while_the_records_are_written(lantern: FolderSite, tmp_path: Path):
    """The end of a big run (re-clean, then thousands of records written) takes
    seconds: it runs on a thread, so that the event loop keeps turning meanwhile.
    The test holds the writing for HOLD seconds; the crawler's loop must not have
    been held for even half of it (newscrawl/looplag.py's max_held: the loop's
    own work, less the time its thread waited for a CPU)."""
    out, db, marker = tmp_path / "a.jsonl", tmp_path / "a.sqlite", tmp_path / "paused"
    stats_file = tmp_path / "stats.json"
    process = subprocess.Popen(
        [str(BIN / "newscrawl"), "crawl", lantern.url, "--sitemap",
         f"{lantern.url}sitemap-forward.xml", "-o", str(out), "--db", str(db),
         "-s", f"NEWSCRAWL_STATS_FILE={stats_file}", *FAST],
        cwd=REPO, env={**os.environ, TEST_FLUSH_PAUSE: str(marker)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while not (marker.exists() and marker.read_text().strip()):
        assert process.poll() is None and time.monotonic() < deadline, "no pause"
        time.sleep(0.05)
    time.sleep(HOLD)
    marker.unlink()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr.decode()
    stats = json.loads(stats_file.read_text("utf-8"))["stats"]
    # Held the whole pause before (1,930 ms of a 2 s pause, less its CPU waits).
    assert stats[LOOP_MAX_HELD_MS] < 1000 * HOLD / 2
    assert {line["canonical_url"] for line in records(out)} == set(rows(db))


def stored_rows(db: Path) -> set[str]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            return {u for (u,) in connection.execute("SELECT canonical_url FROM articles")}
    except sqlite3.Error:
        return set()


def _killed_once_two_are_stored(lantern: FolderSite, flag: str, out: Path, db: Path) -> list[str]:
    """Crawl the lantern site's stories into `db` and, with `flag` (-o or -O),
    `out`; SIGKILL the crawl once two are stored, the others held back until then
    (the test opens the gate after): a kill mid-crawl. Returns the command, for
    the run that follows."""
    lantern.gate = Gate("/news/", 2)
    command = [str(BIN / "newscrawl"), "crawl", lantern.url, "--sitemap",
               f"{lantern.url}sitemap-forward.xml", flag, str(out), "--db", str(db),
               "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=1", *ONE_AT_A_TIME, *FAST]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while len(stored_rows(db)) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "2 stories not stored"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return command


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user takes root")
def test_capital_o_keeps_the_user_and_group_of_the_file_it_replaces(
    lantern: FolderSite, tmp_path: Path
) -> None:
    """-O replaces its file with a new one (cb60b32), which was its writer's: a
    root cron job's output in a service's group (0640) became root's, and the
    service could no longer read it. Scrapy's own open kept the file."""
    out = tmp_path / "latest.jsonl"
    out.write_bytes(b'{"title": "an earlier run\'s article"}\n')
    os.chown(out, 4321, 4322)
    out.chmod(0o640)
    result = run("newscrawl", "crawl", lantern.url, "--sitemap",
                 f"{lantern.url}sitemap-forward.xml", "-O", str(out), *FAST)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert len(records(out)) == len(STORIES)
    found = out.stat()
    assert (found.st_uid, found.st_gid, found.st_mode & 0o777) == (4321, 4322, 0o640)
