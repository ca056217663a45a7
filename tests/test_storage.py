import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from newscrawl.cleaning.siteboiler import fingerprint
from newscrawl.items import ArticleItem
from newscrawl.reclean import reclean
from newscrawl.storage import SCHEMA_VERSION, ArticleStore, StorageError, content_hash

from .servers import postgres_server  # noqa: F401  (a fixture)

ARTICLE = ArticleItem(
    url="http://n.test/a?utm_source=x",
    canonical_url="http://n.test/a",
    site="n.test",
    title="A title",
    authors=["Ana Lima", "Bo Chen"],
    published="2026-03-14",
    language="en",
    description="A description.",
    text="First paragraph.\nSecond paragraph.",
    word_count=4,
    fetched_at="2026-03-15T10:00:00Z",
    cleaning={"fragment": 1, "repeated": 0},
)


def rows(path: Path) -> list[sqlite3.Row]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    return connection.execute("SELECT * FROM articles ORDER BY canonical_url").fetchall()


def test_row_holds_every_field(tmp_path: Path):
    store = ArticleStore.open(tmp_path / "a.sqlite")
    store.upsert(ARTICLE)
    store.close()
    (row,) = rows(tmp_path / "a.sqlite")
    assert json.loads(row["authors"]) == ["Ana Lima", "Bo Chen"]
    assert json.loads(row["cleaning"]) == {"fragment": 1, "repeated": 0}
    assert row["content_hash"] == content_hash(ARTICLE.text)
    assert row["first_seen_at"] == row["fetched_at"] == row["updated_at"] == "2026-03-15T10:00:00Z"


def test_second_crawl_updates_the_row_instead_of_adding_one(tmp_path: Path):
    path = tmp_path / "a.sqlite"
    store = ArticleStore.open(path)
    store.upsert(ARTICLE)
    store.commit()
    store.upsert(replace(ARTICLE, fetched_at="2026-03-16T10:00:00Z"))  # same text
    store.upsert(replace(ARTICLE, canonical_url="http://n.test/b"))
    store.close()
    first, _ = rows(path)
    assert len(rows(path)) == 2
    assert first["fetched_at"] == "2026-03-16T10:00:00Z"
    assert first["updated_at"] == "2026-03-15T10:00:00Z"  # text unchanged
    assert first["first_seen_at"] == "2026-03-15T10:00:00Z"

    store = ArticleStore.open(path)
    store.upsert(replace(ARTICLE, text="New text.", fetched_at="2026-03-17T10:00:00Z"))
    store.close()
    assert rows(path)[0]["updated_at"] == "2026-03-17T10:00:00Z"
    assert rows(path)[0]["text"] == "New text."


def test_database_is_in_wal_mode(tmp_path: Path):
    ArticleStore.open(tmp_path / "a.sqlite").close()
    mode = sqlite3.connect(tmp_path / "a.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_uncommitted_rows_are_not_visible_to_readers_until_commit(tmp_path: Path):
    path = tmp_path / "a.sqlite"
    store = ArticleStore.open(path)
    store.upsert(ARTICLE)
    assert rows(path) == []
    store.commit()
    assert len(rows(path)) == 1
    store.close()


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path):
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StorageError, match=r"cannot open database .*notes\.sqlite"):
        ArticleStore.open(path)


def test_an_unwritable_place_gives_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot open database"):
        ArticleStore.open(blocker / "sub" / "a.sqlite")


SCHEMA_1 = """
CREATE TABLE articles (
    canonical_url TEXT PRIMARY KEY, url TEXT NOT NULL, site TEXT NOT NULL, title TEXT,
    authors TEXT NOT NULL, published TEXT, language TEXT, description TEXT, text TEXT NOT NULL,
    word_count INTEGER NOT NULL, cleaning TEXT NOT NULL, content_hash TEXT NOT NULL,
    first_seen_at TEXT NOT NULL, fetched_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
INSERT INTO articles VALUES ('http://n.test/a', 'http://n.test/a', 'n.test', 'T', '[]', NULL, NULL,
    NULL, 'Advertisement' || char(10) || 'A body paragraph.', 4, '{}', 'x', 't', 't', 't');
PRAGMA user_version = 1;
"""


def test_a_schema_1_database_is_migrated_and_keeps_its_rows(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    sqlite3.connect(path).executescript(SCHEMA_1)
    store = ArticleStore.open(path)
    assert store.connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    # Its rows can be re-cleaned from their stored text.
    from newscrawl.cleaning import TextCleaner

    assert reclean(store, TextCleaner()) == 1
    store.close()
    (row,) = rows(path)
    assert row["text"] == "A body paragraph."
    assert row["raw_text"] == ""


def test_a_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "new.sqlite"
    sqlite3.connect(path).execute("PRAGMA user_version = 99")
    with pytest.raises(StorageError, match="newer than this newscrawl"):
        ArticleStore.open(path)


def test_reclean_reads_a_site_in_batches_and_rewrites_only_changed_rows(tmp_path: Path):
    from newscrawl.cleaning import TextCleaner

    store = ArticleStore.open(tmp_path / "a.sqlite")
    for number in range(7):
        raw = f"Story {number} opens the harbour report.\nAdvertisement\nIt closes with the tide tables."
        store.upsert(
            replace(ARTICLE, canonical_url=f"http://n.test/{number}", raw_text=raw, text=raw)
        )
    store.commit()
    keys = [row[0] for row in store._rows_of("n.test", batch=3)]
    assert keys == sorted(f"http://n.test/{n}" for n in range(7))  # all seven, each once
    assert reclean(store, TextCleaner()) == 7  # "Advertisement" goes from every text
    before = store.connection.total_changes
    assert reclean(store, TextCleaner()) == 0
    assert store.connection.total_changes == before  # nothing written the second time
    store.close()


def test_the_http_and_https_addresses_of_an_article_are_one_row(tmp_path: Path):
    store = ArticleStore.open(tmp_path / "a.sqlite")
    assert store.upsert(replace(ARTICLE, canonical_url="http://n.test/a")) == "new"
    assert store.upsert(replace(ARTICLE, canonical_url="https://n.test/a")) == "unchanged"
    assert store.upsert(replace(ARTICLE, canonical_url="https://n.test/b")) == "new"
    store.close()
    assert [row["canonical_url"] for row in rows(tmp_path / "a.sqlite")] == [
        "http://n.test/a",  # kept under the address it was first stored at
        "https://n.test/b",
    ]


def test_the_end_of_a_run_re_cleans_only_rows_cleaned_with_other_boilerplate(tmp_path: Path):
    from newscrawl.article import clean_article
    from newscrawl.cleaning import TextCleaner

    store = ArticleStore.open(tmp_path / "a.sqlite")
    furniture = "Sign up for the harbour newsletter and never miss a tide table again."
    for number in range(5):
        # (Long enough that the site's boilerplate is not all that keeps it an article.)
        raw = (
            f"Story {number} opens the harbour report with the berth repairs, which the"
            f" board finished a week early this spring.\n{furniture}"
        )
        article = replace(ARTICLE, canonical_url=f"http://n.test/{number}", raw_text=raw, text=raw)
        # Cleaned as the first page of a crawl is: no site boilerplate known yet.
        clean_article(article, TextCleaner(), 0)
        store.upsert(article)
    store.commit()
    # Row 4's text is then damaged behind the store's back; it was cleaned with the
    # boilerplate it has, so an end-of-run re-clean does not read it again.
    store.connection.execute("UPDATE articles SET text = 'damaged' WHERE canonical_url LIKE '%/4'")
    store.connection.execute("UPDATE articles SET boilerplate_used = ? WHERE canonical_url LIKE '%/4'",
                             (",".join(store.site_boilerplate("n.test")),))  # fmt: skip
    assert reclean(store, TextCleaner(), stale_only=True) == 4  # the furniture goes from 0-3
    texts = {r["canonical_url"][-1]: r["text"] for r in rows(tmp_path / "a.sqlite")}
    assert furniture not in "".join(texts.values()) and texts["4"] == "damaged"
    assert reclean(store, TextCleaner(), stale_only=True) == 0
    assert reclean(store, TextCleaner()) == 1  # a full re-clean reads every row
    store.close()


def test_an_older_store_gains_the_language_source_column(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    sqlite3.connect(path).executescript(SCHEMA_1)
    store = ArticleStore.open(path)  # migrated step by step, 4 -> 5 last
    store.upsert(replace(ARTICLE, language="de", language_source="detected"))
    store.close()
    row = next(r for r in rows(path) if r["canonical_url"] == ARTICLE.canonical_url)
    assert (row["language"], row["language_source"]) == ("de", "detected")


def test_a_sites_boilerplate_is_counted_by_the_database(tmp_path: Path):
    """Only the fingerprints over the threshold come back to Python, not the counts
    of every distinct paragraph the site ever showed (the end of every crawl asks)."""
    import tracemalloc

    store = ArticleStore.open(tmp_path / "a.sqlite")
    pages = 20
    for number in range(pages):
        store.upsert(replace(ARTICLE, canonical_url=f"http://n.test/{number}"))
    store.connection.execute("DELETE FROM site_paragraphs")
    rows_in = [("n.test", f"{n:016x}", f"http://n.test/{n % pages}") for n in range(60_000)]
    furniture = [("n.test", "f" * 16, f"http://n.test/{n}") for n in range(4)]  # 4 of 20
    rare = [("n.test", "e" * 16, f"http://n.test/{n}") for n in range(3)]  # under 20%
    store.connection.executemany(
        "INSERT INTO site_paragraphs VALUES (?, ?, ?)", rows_in + furniture + rare
    )
    store.commit()
    tracemalloc.start()
    try:
        boilerplate = store.site_boilerplate("n.test")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert boilerplate == frozenset({"f" * 16})
    # Reading 60,000 counts into Python took 10.6 MB.
    assert peak < 1_000_000, f"{peak} bytes"
    store.close()


def store_a_redesigned_site(store: ArticleStore) -> tuple[str, str]:
    """100 pages of an old template over four days, then 15 of a new one on a later
    day, stored; the two templates' footers."""
    old_footer, new_footer = "Read the Valley Post daily.", "The Valley Post, now redesigned."

    def story(n: int, footer: str, day: str) -> ArticleItem:
        body = f"Story {n} tells of boat number {n} and the crew of {n + 2} on the tide."
        return replace(
            ARTICLE, canonical_url=f"http://n.test/{n}", text=body, raw_text=f"{body}\n{footer}",
            fetched_at=f"{day}T10:00:00Z",
        )  # fmt: skip

    for n in range(100):
        store.upsert(story(n, old_footer, f"2026-11-{1 + n // 25:02d}"))
    for n in range(100, 115):
        store.upsert(story(n, new_footer, "2026-11-20"))
    store.commit()
    return old_footer, new_footer


def test_a_redesigns_furniture_is_the_sites_boilerplate_before_it_is_a_fifth_of_the_store(
    tmp_path: Path,
):
    """Found by an attack on scheduled crawls: a site redesigned after 100 stored
    pages put its new template's paragraph on the 15 pages fetched since; the model
    needed it on a fifth of every page ever stored (23), and each new article kept
    it. A paragraph on 80% of the pages fetched since the day it first appeared
    (and on 10 at least) is boilerplate; the old template's stays so by its share."""
    store = ArticleStore.open(tmp_path / "a.sqlite")
    footers = store_a_redesigned_site(store)
    assert store.site_boilerplate("n.test") == {fingerprint(f) for f in footers}
    store.close()


def test_unchanged_is_the_same_text_headline_and_byline_from_any_address(tmp_path: Path):
    """A refresh found an article 'changed' when it was fetched from its other
    address (a print copy naming it canonical), so the -o file got its record
    again every run (the review of 63e7bdb); a corrected headline is a change."""
    store = ArticleStore.open(tmp_path / "a.sqlite")
    assert store.upsert(ARTICLE) == "new"
    store.commit()
    printed = replace(ARTICLE, url="http://n.test/a?print=1", fetched_at="2026-03-16T10:00:00Z")
    assert store.upsert(printed) == "unchanged"
    assert store.upsert(ARTICLE) == "unchanged"
    assert store.upsert(replace(ARTICLE, title="A corrected headline")) == "changed"
    store.close()


def test_reclean_corrects_word_counts_of_chinese_text_counted_the_old_way(tmp_path: Path):
    """A Chinese article stored when each run of letters was a word (98e61e3
    changed the count) kept its old count: its text and cleaning were the same,
    so reclean skipped the row (the second review's finding)."""
    from newscrawl.cleaning import TextCleaner
    from newscrawl.cleaning.normalize import word_count

    text = "河口镇议会星期四批准在南河上修建一座步行桥。工程将于明年春天开始，费用为八百万元。"
    store = ArticleStore.open(tmp_path / "a.sqlite")
    store.upsert(replace(ARTICLE, text=text, raw_text=text))
    store.commit()
    reclean(store, TextCleaner())
    # As a store of the old count has it: the same text and cleaning record.
    store.connection.execute("UPDATE articles SET word_count = 3")
    store.commit()
    assert reclean(store, TextCleaner()) == 0  # the text is the same
    (count,) = store.connection.execute("SELECT word_count FROM articles").fetchone()
    store.close()
    assert count == word_count(text) > 3


def test_a_shrunk_fetch_leaves_the_urls_state_of_the_text_stored(tmp_path: Path):
    """A teaser fetched in place of the article is not stored (SHRUNK); its URL's
    state got the teaser's fetch time, text hash and validators all the same, so
    the next run judged a sitemap's lastmod and its conditional GET against the
    teaser, and a correction published meanwhile was never fetched."""
    from newscrawl.frontier import Frontier
    from newscrawl.storage import SHRUNK

    store = ArticleStore.open(tmp_path / "s.sqlite")
    frontier = Frontier(store)
    text = " ".join(f"word{n}" for n in range(200))
    full = replace(ARTICLE, text=text, raw_text=text, word_count=200,
                   hints={"etag": '"v1-full"', "last_modified": "Sun, 15 Mar 2026 09:00:00 GMT"})  # fmt: skip
    frontier.store_article(full)
    store.commit()
    select = "SELECT url, fetched_at, content_hash, etag, last_modified, last_error FROM urls"
    before = store.connection.execute(select).fetchall()
    # An address a sitemap lists, not fetched yet: the teaser's fetch settles it as
    # any fetch would (kept pending-like, with no fetch time, no lastmod would ever
    # bring it back).
    frontier.add_pending("n.test", "http://n.test/a?from=feed", None, None)
    teaser = replace(full, text="word0 word1 word2", raw_text="word0 word1 word2", word_count=3,
                     fetched_at="2026-03-20T10:00:00Z",
                     hints={"etag": '"v2-teaser"', "last_modified": "Fri, 20 Mar 2026 09:00:00 GMT",
                            "requested_url": "http://n.test/a?from=feed"})  # fmt: skip
    assert frontier.store_article(teaser) == SHRUNK
    store.commit()
    after = {row[0]: row[1:] for row in store.connection.execute(select).fetchall()}
    for url, *state in before:
        assert after[url] == (*state[:-1], "shrunk"), url
    assert after["http://n.test/a?from=feed"][0] == "2026-03-20T10:00:00Z"
    assert after["http://n.test/a?from=feed"][2:] == (
        '"v2-teaser"',
        "Fri, 20 Mar 2026 09:00:00 GMT",
        None,
    )
    # A real new version still moves the state on.
    longer = " ".join(f"word{n}" for n in range(300))
    frontier.store_article(replace(teaser, text=longer, raw_text=longer, word_count=300))
    store.commit()
    after = {row[0]: row[1:] for row in store.connection.execute(select).fetchall()}
    assert after["http://n.test/a"][2:] == ('"v2-teaser"', "Fri, 20 Mar 2026 09:00:00 GMT", None)
    store.close()


def test_the_redesign_check_reads_the_pages_of_widespread_paragraphs_only(tmp_path: Path):
    """The fetch day is read (substr of fetched_at, counted here) only for the
    pages of a paragraph on RECENT_MIN_PAGES pages, beside one per page for the
    site's pages by day. Before: every paragraph of the site was joined to its
    article, a site's whole store of paragraphs (0.73 s for 10,000 pages of 30
    paragraphs, 6.4 s for 40,000, against 0.10 s and 0.55 s for the rest of the
    model: measured on 2 busy cores)."""
    store = ArticleStore.open(tmp_path / "a.sqlite")
    store_a_redesigned_site(store)
    for n in range(115):  # more paragraphs of each page's own, as articles have
        store.connection.executemany(
            "INSERT INTO site_paragraphs VALUES (?, ?, ?)",
            [("n.test", f"own-{n}-{k}", f"http://n.test/{n}") for k in range(10)],
        )
    store.commit()
    read: list[str] = []

    def substr(text: str, start: int, length: int) -> str:
        read.append(text)
        return text[start - 1 : start - 1 + length]

    store.connection.create_function("substr", 3, substr)
    footers = store.site_boilerplate("n.test")
    store.close()
    assert len(footers) == 2
    by_day = 115  # the pages by day: each page's row once
    on_footer_pages = 115  # the two footers' pages, 100 and 15
    assert len(read) <= 2 * by_day + on_footer_pages, len(read)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_pending_urls_depth_is_its_shallowest_and_a_listing_clears_it(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
):
    """A link found again nearer the start pages is kept at the nearer depth; a URL
    a sitemap or feed lists is a listed one (no depth), however else it is found."""
    from newscrawl.frontier import Frontier

    if database == "postgres":
        store = ArticleStore.open(request.getfixturevalue("postgres_server").new_database())
    else:
        store = ArticleStore.open(tmp_path / "d.sqlite")
    frontier = Frontier(store)
    frontier.add_pending("n.test", "http://n.test/deep", None, None, 3)
    frontier.add_pending("n.test", "http://n.test/deep", None, None, 2)
    frontier.add_pending("n.test", "http://n.test/deep", None, None, 3)
    frontier.add_pending("n.test", "http://n.test/listed", "2026-11-29", None, 2)
    frontier.add_pending("n.test", "http://n.test/listed", "2026-11-29", "Listed", None)
    frontier.add_pending("n.test", "http://n.test/listed", None, None, 1)
    store.commit()
    depths = {row.url: row.depth for row in frontier.pending("n.test")}
    assert depths == {"http://n.test/deep": 2, "http://n.test/listed": None}
    # Listed first, whatever the dates: the budget's backlog room goes to them.
    frontier.add_pending("n.test", "http://n.test/older", "2020-01-01", None, None)
    store.commit()
    assert [row.url for row in frontier.pending("n.test")] == [
        "http://n.test/listed",
        "http://n.test/older",
        "http://n.test/deep",
    ]
    store.close()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_pages_links_kept_in_one_statement_follow_the_depth_rule(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
):
    """add_pending_links (a page's links, one statement) keeps each link as
    add_pending does: the least depth, a listed URL's none, a settled URL's state,
    a link given twice in one batch once, under its canonical URL."""
    from newscrawl.frontier import Frontier

    if database == "postgres":
        store = ArticleStore.open(request.getfixturevalue("postgres_server").new_database())
    else:
        store = ArticleStore.open(tmp_path / "d.sqlite")
    frontier = Frontier(store)
    frontier.add_pending("n.test", "http://n.test/listed", "2026-11-29", "Listed", None)
    frontier.add_pending("n.test", "http://n.test/deep", None, None, 3)
    frontier.mark_not_article("n.test", "http://n.test/hub", "not_article")
    frontier.add_pending_links(
        "n.test",
        [
            ("http://n.test/deep", 2),
            ("http://n.test/listed", 1),
            ("http://n.test/new?utm_source=x", 4),
            ("http://n.test/new", 3),
            ("http://n.test/hub", 1),
        ],
    )
    store.commit()
    depths = {row.url: row.depth for row in frontier.pending("n.test")}
    assert depths == {
        "http://n.test/listed": None,
        "http://n.test/deep": 2,
        "http://n.test/new": 3,
    }
    store.close()


def test_a_page_taking_its_url_back_is_stored_unless_it_is_a_cut_down_copy(tmp_path: Path):
    """A page taking its URL back from another page's story (TAKES_BACK_URL) is
    stored however much longer that story is (helper-116 #3), but a paywall's
    teaser at the URL its AMP copy's full text was stored under is still a cut-down
    copy of it (SHRUNK): the hint alone let the teaser replace the full text."""
    from newscrawl.storage import SHRUNK, TAKES_BACK_URL

    story = " ".join(f"harbour{n} dredging{n} channel{n}" for n in range(100))
    other = " ".join(f"bakery{n} prize{n}" for n in range(20))
    teaser = " ".join(story.split()[:40]) + " subscribe to read the rest"
    store = ArticleStore.open(tmp_path / "s.sqlite")
    full = replace(ARTICLE, text=story, raw_text=story, word_count=300, url="http://n.test/amp/a")
    assert store.upsert(full) == "new"
    taking = {TAKES_BACK_URL: True}
    cut = replace(ARTICLE, text=teaser, raw_text=teaser, word_count=45, hints=taking)
    assert store.upsert(cut) == SHRUNK
    assert store.upsert(replace(cut, hints={})) == SHRUNK
    another = replace(ARTICLE, text=other, raw_text=other, word_count=40, hints=taking)
    assert store.upsert(another) == "changed"
    (text,) = store.connection.execute("SELECT text FROM articles").fetchone()
    store.close()
    assert text == other
