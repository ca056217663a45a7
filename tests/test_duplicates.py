"""The same story across sites (newscrawl/duplicates.py): what counts as one
story, and `duplicate_of` as the store keeps it across runs."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from newscrawl.article import clean_article
from newscrawl.cleaning import TextCleaner
from newscrawl.cleaning.normalize import fingerprint_key
from newscrawl.duplicates import (
    SIGNATURE_SCHEME,
    SIMILARITY_THRESHOLD,
    SignedText,
    decode,
    shingle_words,
    sign_text,
    signature,
    similarity,
)
from newscrawl.items import ArticleItem
from newscrawl.reclean import reclean
from newscrawl.storage import ArticleStore

from .servers import postgres_server  # noqa: F401  (a fixture)
from .stories import (
    OUTLETS,
    SAME_EVENT_STORIES,
    WIRE_PARAGRAPHS,
    edited_copy,
    outlet_wire_copy,
)

WIRE = "\n".join(WIRE_PARAGRAPHS)
# Copies of one story per site in the re-clean test: enough that settling each
# row again for every first copy that leaves (COPIES ** 2 lookups) would show.
COPIES = 400


def score(one: str, other: str) -> float:
    a, b = signature(one), signature(other)
    assert a is not None and b is not None
    return similarity(a, b)


def test_a_texts_shingle_words_are_its_paragraphs_fingerprint_words_in_turn() -> None:
    # A page worker signs a text with the words of its paragraphs' fingerprint keys
    # (pageworker._clean): the same words, so the same signature, as the text's own.
    paragraphs = [
        *WIRE_PARAGRAPHS[:3], "\u0301Akzent am Anfang, ÉCOLE, ﬁnal ﬂow, Ⅻ, ①",
        "İstanbul'da ΟΔΟΣ σοφός ς, Straße, \u1100\u1161 jamo", "日本語の記事です。",
        "-- , --", "DŽungla ǅ x\u0308", "end\u0301", "\u0327start", *WIRE_PARAGRAPHS[3:],
    ]  # fmt: skip
    text = "\n".join(paragraphs)
    words = " ".join(fingerprint_key(p) for p in paragraphs).split()
    assert shingle_words(text) == words
    assert sign_text(text, words) == sign_text(text)
    assert signature(text, words) == signature(text) is not None


def test_light_edits_match_and_other_stories_of_the_same_event_do_not():
    rng = random.Random(3)
    for _ in range(5):  # a dateline, six words changed, a paragraph cut
        assert score(WIRE, edited_copy(rng, 6, 1, dateline=True)) >= SIMILARITY_THRESHOLD
    for outlet in OUTLETS:  # its own headline, dateline, edits and furniture
        assert score(WIRE, "\n".join(outlet_wire_copy(outlet))) >= SIMILARITY_THRESHOLD
    for _, paragraphs in SAME_EVENT_STORIES.values():
        assert score(WIRE, "\n".join(paragraphs)) < SIMILARITY_THRESHOLD / 4
    assert signature("Too short to call anything the same story.") is None


def article(url: str, text: str, fetched_at: str) -> ArticleItem:
    return ArticleItem(
        url=url, canonical_url=url, site=url.split("/")[2], title="t", authors=[],
        published=None, language="en", description=None, text=text,
        word_count=len(text.split()), fetched_at=fetched_at,
    )  # fmt: skip


def duplicates(db: Path) -> dict[str, str | None]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT canonical_url, duplicate_of FROM articles"))


def store_one(db: Path, item: ArticleItem) -> None:
    """One run: open, store, commit, close (what survives is what is in the file)."""
    store = ArticleStore.open(db)
    store.upsert(item)
    store.commit()
    store.close()


def test_duplicate_of_names_the_earliest_copy_across_runs_and_follows_changes(tmp_path: Path):
    db = tmp_path / "n.sqlite"
    first, later = "https://a.test/wire", "https://b.test/wire"
    store_one(db, article(first, WIRE, "2026-11-24T08:00:00Z"))
    copy = "\n".join(outlet_wire_copy(OUTLETS[1]))
    store_one(db, article(later, copy, "2026-11-24T09:00:00Z"))
    other = "\n".join(next(iter(SAME_EVENT_STORIES.values()))[1])
    store_one(db, article("https://c.test/other", other, "2026-11-24T10:00:00Z"))
    assert duplicates(db) == {first: None, later: first, "https://c.test/other": None}
    # The first copy's text becomes another story: the later one is its own story now.
    store_one(db, article(first, other + "\nA correction was added.", "2026-11-25T08:00:00Z"))
    found = duplicates(db)
    assert found[later] is None
    assert found["https://c.test/other"] == first  # now the same story as the first
    # Rows stored before signatures were kept are signed once, by re-cleaning.
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM story_signatures")
        connection.execute("DELETE FROM story_bands")
        connection.execute("UPDATE articles SET duplicate_of = NULL")
    store = ArticleStore.open(db)
    for site in store.sites():
        store.sign_unsigned(site)
    store.commit()
    store.close()
    assert duplicates(db) == found


def test_a_text_that_shares_no_band_with_a_stored_one_looks_up_no_copy(database: str):
    """Most texts a crawl stores are no other's copy: one probe of their bands says
    so, and no lookup of earlier or later copies is made. A copy is looked up, and
    named, as before."""
    store = ArticleStore.open(database)
    stories = [" ".join(paragraphs) for _, paragraphs in SAME_EVENT_STORIES.values()]
    for number, text in enumerate([WIRE, *stories]):
        store.upsert(article(f"https://a.test/{number}", text, "2026-12-02T08:00:00Z"))
    assert store.stories.looked_up == 0
    copy = "\n".join(outlet_wire_copy(OUTLETS[1]))
    store.upsert(article("https://b.test/wire", copy, "2026-12-02T09:00:00Z"))
    assert store.stories.looked_up >= 1
    store.commit()
    found = dict(store.connection.execute("SELECT canonical_url, duplicate_of FROM articles"))
    store.close()
    assert found["https://b.test/wire"] == "https://a.test/0"
    assert set(found.values()) == {None, "https://a.test/0"}


def stored_signature(db: Path, url: str) -> tuple[int, ...] | None:
    with sqlite3.connect(db) as connection:
        (text,) = connection.execute(
            "SELECT signature FROM story_signatures WHERE canonical_url = ? AND scheme = ?",
            (url, SIGNATURE_SCHEME),
        ).fetchone()
    return decode(text) if text else None


def test_the_store_takes_a_workers_signature_only_for_the_very_text_it_signed(tmp_path: Path):
    """A crawl's worker signs the text its page's rules left (the crawler's process
    then need not); the site's boilerplate may change the text after, and the store
    must sign what it writes. To tell which signature the store kept, the worker's
    here is another text's."""
    db = tmp_path / "n.sqlite"
    other = "\n".join(next(iter(SAME_EVENT_STORIES.values()))[1])
    borrowed = sign_text(other)
    as_signed = article("https://a.test/wire", WIRE, "2026-11-24T08:00:00Z")
    as_signed.signed = SignedText(WIRE, borrowed.signature, borrowed.keys)
    store_one(db, as_signed)
    assert stored_signature(db, "https://a.test/wire") == borrowed.signature
    changed = article(
        "https://b.test/wire", WIRE + "\nA correction was added.", "2026-11-24T09:00:00Z"
    )
    changed.signed = SignedText(WIRE, borrowed.signature, borrowed.keys)  # before the change
    store_one(db, changed)
    assert stored_signature(db, "https://b.test/wire") == signature(changed.text)
    assert signature(changed.text) != borrowed.signature


def test_a_workers_signed_text_is_its_articles_text_and_signature():
    from newscrawl.pageworker import read_page

    page = "".join(f"<p>{paragraph}</p>" for paragraph in WIRE_PARAGRAPHS)
    body = f"<html><body><article><h1>Harbour</h1>{page}</article></body></html>".encode()
    url = "http://news.test/wire.html"
    facts = read_page(body, url, "text/html", declared_article=True, sign_story=True).article
    assert facts is not None and facts.signed is not None
    assert facts.signed.text is facts.text
    assert facts.signed == sign_text(facts.text) and facts.signed.signature is not None
    unsigned = read_page(body, url, "text/html", declared_article=True).article
    assert unsigned is not None and unsigned.signed is None


FURNITURE = "Sign up for the harbour newsletter and never miss a tide table again."


def harbour_story(number: int) -> str:
    """One template's text: every two of them are one story (shingles shared)."""
    return (
        f"Story {number} opens the harbour report with the berth repairs, the dredging"
        f" of the channel and the new crane on the quay. {FURNITURE}"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "news.sqlite")
    return str(request.getfixturevalue("postgres_server").new_database())


def test_a_reclean_that_takes_thousands_of_first_copies_out_of_a_story_settles_each_row_once(
    database: str,
):
    """COPIES pages of one template on a.test, stored first, and as many on b.test:
    all one story, every row naming a.test's first page. Re-cleaning a.test drops
    its furniture paragraph, which leaves each of its texts too short to sign: one
    after another, every first copy of the story leaves it. b.test's copies must
    end naming b.test's first page, each worked out once (not once for every
    a.test page that left before it: COPIES * COPIES lookups), and no write may
    compare more than a bounded number of signatures."""
    store = ArticleStore.open(database)
    for site, number in [("a.test", n) for n in range(COPIES)] + [
        ("b.test", n) for n in range(COPIES)
    ]:
        raw = harbour_story(number)
        if site == "a.test":  # furniture a paragraph of its own: a.test's boilerplate
            raw = raw.replace(f" {FURNITURE}", f"\n{FURNITURE}")
        item = article(f"https://{site}/{number:05}", raw, "2026-12-01T08:00:00Z")
        item.raw_text = raw
        clean_article(item, TextCleaner(), 0)  # before the site model knew the furniture
        store.upsert(item)
    store.commit()
    firsts = dict(store.connection.execute("SELECT canonical_url, duplicate_of FROM articles"))
    assert set(firsts.values()) == {None, "https://a.test/00000"}
    writes = 2 * COPIES
    assert store.stories.compared <= 2 * writes  # a new copy: one comparison, usually

    compared = store.stories.compared
    assert reclean(store, TextCleaner(), stale_only=True) == COPIES  # a.test's texts
    after = dict(store.connection.execute("SELECT canonical_url, duplicate_of FROM articles"))
    store.close()
    assert after == {
        **{f"https://a.test/{n:05}": None for n in range(COPIES)},
        "https://b.test/00000": None,
        **{f"https://b.test/{n:05}": "https://b.test/00000" for n in range(1, COPIES)},
    }
    assert store.stories.settled == COPIES  # b.test's rows, once each
    assert store.stories.compared - compared <= 2 * writes
