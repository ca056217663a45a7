import json
import sqlite3
from pathlib import Path

import pytest

from newscrawl.feeds import repair_torn_tail

from .conftest import FAST, run


def test_a_torn_last_line_is_cut_and_complete_lines_kept(tmp_path: Path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": 3, "tor')
    assert repair_torn_tail(path) == len(b'{"c": 3, "tor')
    assert path.read_bytes() == b'{"a": 1}\n{"b": 2}\n'
    assert repair_torn_tail(path) == 0  # a sound file is left alone
    empty = tmp_path / "b.jsonl"
    empty.write_bytes(b'{"only": "torn')
    assert repair_torn_tail(empty) == 14 and empty.read_bytes() == b""
    assert repair_torn_tail(tmp_path / "missing.jsonl") == 0


def test_a_whole_last_record_without_its_newline_is_kept(tmp_path: Path):
    """Written by another tool (pandas' to_json(lines=True) ends so), the last
    record lacks only its newline: it was cut as a killed run's torn line."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": "precious"}')
    assert repair_torn_tail(path) == 0
    assert path.read_bytes() == b'{"a": 1}\n{"b": "precious"}\n'
    only = tmp_path / "b.jsonl"
    only.write_bytes(b'{"only": [1, 2]}  ')
    assert repair_torn_tail(only) == 0 and only.read_bytes() == b'{"only": [1, 2]}  \n'
    torn = tmp_path / "c.jsonl"
    torn.write_bytes(b'{"a": 1}\n{"b": "prec')  # a prefix of a record: still cut
    assert repair_torn_tail(torn) == len(b'{"b": "prec')


def test_appending_to_a_file_a_killed_run_tore(site_url: str, tmp_path: Path):
    out = tmp_path / "articles.jsonl"
    out.write_bytes(b'{"url": "http://earlier.test/1", "text": "kept"}\n{"url": "http://earlier.te')
    result = run("newscrawl", "crawl", site_url, "-o", str(out), *FAST)
    assert result.returncode == 0, result.stderr.decode()
    assert "ended in a torn line" in result.stderr.decode()
    rows = [json.loads(line) for line in out.read_text().splitlines()]  # every line parses
    assert rows[0] == {"url": "http://earlier.test/1", "text": "kept"}
    assert len(rows) == 1 + 3


def test_a_spool_whose_output_cannot_be_written_keeps_its_records(tmp_path: Path):
    """The end of a run cannot write the output (here a folder stands in its way):
    the records stay in the spool, and the next flush writes each once, with the
    site's boilerplate of every spooled page removed."""
    from newscrawl.cleaning.siteboiler import fingerprint
    from newscrawl.feeds import FeedSpool, PageState, spool_path

    out = tmp_path / "out.jsonl"
    shared = "The Gullhaven Lantern has lit the way for readers of the north shore since 1911."
    spool = FeedSpool(out, fresh=False, fields=None, encoding="utf-8")
    for n in range(4):
        own = f"Story {n} of the north shore, told by the neighbours who saw it happen there."
        paragraphs = [shared, own]
        page = PageState("\n".join(paragraphs), 30, {"site_boilerplate": 0},
                         [fingerprint(p) for p in paragraphs])  # fmt: skip
        record = {"canonical_url": f"http://lantern.test/{n}", "text": page.text,
                  "word_count": 30, "cleaning": {"site_boilerplate": 0}}  # fmt: skip
        spool.add(record, "lantern.test", record["canonical_url"], page, page.kept)
    out.mkdir()
    with pytest.raises(OSError):
        spool.flush(None, min_words=5)
    assert len(spool) == 4
    out.rmdir()
    assert spool.flush(None, min_words=5) == 4
    spool.close(remove=True)
    assert not spool_path(out).exists()
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [line["canonical_url"] for line in lines] == [
        f"http://lantern.test/{n}" for n in range(4)
    ]
    for line in lines:
        assert shared not in line["text"] and line["cleaning"] == {"site_boilerplate": 1}


def test_overwrite_drops_a_killed_runs_records_only_when_it_writes_its_own(tmp_path: Path):
    """-O replaces the file and the records a killed run left in its spool, but only
    as it writes its own: a run that stops before (its store held by another run)
    takes nothing from the spool."""
    from newscrawl.feeds import FeedSpool

    out = tmp_path / "out.jsonl"
    left = FeedSpool(out, fresh=False, fields=None, encoding="utf-8")
    left.add({"url": "http://a.test/left", "text": "left"}, "a.test", "http://a.test/left",
             None, ["aa"])  # fmt: skip
    left.close(remove=False)
    stopped = FeedSpool(out, fresh=True, fields=None, encoding="utf-8")
    stopped.close(remove=False)  # never flushed
    again = FeedSpool(out, fresh=True, fields=None, encoding="utf-8")
    assert len(again) == 1
    again.add({"url": "http://a.test/new", "text": "new"}, "a.test", "http://a.test/new",
              None, ["bb"])  # fmt: skip
    assert again.flush(None, min_words=1) == 1
    again.close(remove=True)
    assert [json.loads(line)["url"] for line in out.read_text().splitlines()] == [
        "http://a.test/new"
    ]


def test_a_spools_site_model_has_the_crawls_thresholds(tmp_path: Path):
    """Without a store the spooled pages are the site model: a paragraph is
    boilerplate on at least 3 pages and 20% of them (counted by SQLite, not in
    Python: 60,000 distinct paragraphs are 20 pages of a big site)."""
    import tracemalloc

    from newscrawl.feeds import FeedSpool

    spool = FeedSpool(tmp_path / "out.jsonl", fresh=False, fields=None, encoding="utf-8")
    for n in range(20):
        fingerprints = [f"own-{n}-{k}" for k in range(3_000)]
        fingerprints += ["on-four"] * (n < 4) + ["on-three"] * (n < 3)
        fingerprints += ["twice-on-two"] * 2 * (n < 2)  # repeated on a page: counted once
        url = f"http://lantern.test/{n}"
        spool.add({"canonical_url": url}, "lantern.test", url, None, fingerprints)
    spool.add({"canonical_url": "http://other.test/1"}, "other.test", "http://other.test/1",
              None, ["on-four"])  # fmt: skip
    tracemalloc.start()
    try:
        assert spool.boilerplate("lantern.test") == frozenset({"on-four"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"{peak} bytes"  # counting 60,000 in Python: 5.6 MB
    assert spool.boilerplate("other.test") == frozenset()  # 1 page: under the minimum
    spool.close(remove=True)


def test_with_a_store_records_wait_for_its_commit_and_without_one_they_do_not(tmp_path: Path):
    """With a store, a spooled record is committed with the store's next commit
    (`commit`, which the store pipeline calls before committing its rows), not on
    its own; without one, each is committed as it comes. Read from another
    connection, as the next run would after a kill."""
    import sqlite3

    from newscrawl.feeds import FeedSpool, spool_path

    def durable(out: Path) -> int:
        with sqlite3.connect(spool_path(out)) as other:
            return int(other.execute("SELECT count(*) FROM records").fetchone()[0])

    def add(spool: FeedSpool, n: int) -> None:
        url = f"http://a.test/{n}"
        spool.add({"url": url, "text": "t"}, "a.test", url, None, [f"f{n}"])

    stored = FeedSpool(tmp_path / "s.jsonl", fresh=False, fields=None, encoding="utf-8",
                       with_store=True)  # fmt: skip
    add(stored, 1)
    add(stored, 2)
    assert durable(tmp_path / "s.jsonl") == 0 and len(stored) == 2
    stored.commit()
    assert durable(tmp_path / "s.jsonl") == 2
    add(stored, 3)
    stored.close(remove=False)  # a closing spool keeps what it holds
    assert durable(tmp_path / "s.jsonl") == 3

    alone = FeedSpool(tmp_path / "a.jsonl", fresh=False, fields=None, encoding="utf-8")
    add(alone, 1)
    assert durable(tmp_path / "a.jsonl") == 1
    alone.close(remove=False)


def test_pages_declaring_one_canonical_url_get_one_record_the_last(tmp_path: Path):
    """Five pages naming one canonical URL are one article (the store keeps one
    row, the last page's); each got a record, with its own URL and title and the
    row's text."""
    from newscrawl.feeds import FeedSpool

    out = tmp_path / "out.jsonl"
    spool = FeedSpool(out, fresh=False, fields=None, encoding="utf-8")
    key = "http://a.test/a/1.html"
    for n in (5, 4, 3, 2, 1):
        spool.add({"url": f"http://a.test/a/{n}.html", "title": f"report {n}"}, "a.test", key,
                  None, [])  # fmt: skip
    spool.add({"url": "http://b.test/x.html"}, "b.test", key, None, [])  # another site's copy
    spool.add({"note": "not an article"}, None, None, None, [])
    spool.add({"note": "not an article"}, None, None, None, [])
    assert spool.flush(None, min_words=1) == 4
    spool.close(remove=True)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("url") for r in records if "url" in r] == [
        "http://a.test/a/1.html",
        "http://b.test/x.html",
    ]
    assert [r.get("note") for r in records].count("not an article") == 2


def test_a_batch_the_spool_cannot_let_go_of_is_taken_out_of_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A batch is written and fsynced, then deleted from the spool; when that delete
    fails (a full disk: the spool's log cannot grow; here another connection takes
    its write lock while the batch is written), the batch stays in the spool for
    the next run, so it must not stay in the output too: the next run wrote each
    of its records a second time (a crawl of 300 articles that filled the disk,
    then a second run: 404 lines)."""
    import threading
    import time

    from newscrawl import feeds
    from newscrawl.feeds import FeedSpool, spool_path

    out = tmp_path / "out.jsonl"
    earlier = b'{"url": "http://earlier.test/1", "text": "kept"}\n'
    out.write_bytes(earlier)
    spool = FeedSpool(out, fresh=False, fields=None, encoding="utf-8")
    for n in range(3):
        url = f"http://a.test/{n}"
        spool.add({"url": url, "text": f"story {n}"}, "a.test", url, None, [f"own-{n}"])
    spool.db.execute("PRAGMA busy_timeout = 100")  # fail soon, not in 10 s
    # The flush pauses half-way through writing its batch (feeds._pause_for_tests).
    marker = tmp_path / "paused"
    monkeypatch.setenv(feeds.TEST_FLUSH_PAUSE, str(marker))
    monkeypatch.setattr(feeds, "_paused_once", False)
    failed: list[BaseException] = []

    def flush() -> None:
        try:
            spool.flush(None, min_words=1)
        except BaseException as exc:  # noqa: BLE001  (judged below)
            failed.append(exc)

    flushing = threading.Thread(target=flush)
    flushing.start()
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    holder = sqlite3.connect(spool_path(out), timeout=0.1)
    holder.execute("BEGIN IMMEDIATE")  # the spool's write lock, until rolled back
    try:
        marker.unlink()
        flushing.join(30)
    finally:
        holder.rollback()
        holder.close()
    assert len(failed) == 1 and isinstance(failed[0], sqlite3.Error), failed
    assert out.read_bytes() == earlier  # the batch is not in the output...
    assert len(spool) == 3  # ...but in the spool, written by the next flush
    assert spool.flush(None, min_words=1) == 3
    spool.close(remove=True)
    lines = [json.loads(line)["url"] for line in out.read_text().splitlines()]
    assert lines == ["http://earlier.test/1"] + [f"http://a.test/{n}" for n in range(3)]
