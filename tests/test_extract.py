from pathlib import Path

from newscrawl.article import TOO_SHORT, build_article, clean_article
from newscrawl.cleaning import TextCleaner
from newscrawl.extract import NO_HTML, NO_TEXT, extract_article

from .conftest import SITE

FERRY = SITE / "news/2026/03/ferry-timetable-changes-for-spring.html"
COTTAGE = SITE / "news/2026/03/lighthouse-keepers-cottage-restored.html"
PAGE_URL = (
    "http://127.0.0.1:8000/news/2026/03/ferry-timetable-changes-for-spring.html?utm_source=x#top"
)


def test_metadata_is_mapped_to_plain_fields():
    extraction = extract_article(FERRY.read_bytes(), PAGE_URL)
    assert extraction.failure is None
    assert extraction.title == "Ferry timetable changes for spring"
    assert extraction.authors == ["Hazel Tremayne"]
    assert extraction.published == "2026-03-14"
    assert extraction.language == "en"
    assert (
        extraction.description
        == "Two extra crossings a day from April, and a later last boat on Fridays."
    )
    # The relative canonical link is resolved against the page's URL.
    assert extraction.canonical_url == (
        "http://127.0.0.1:8000/news/2026/03/ferry-timetable-changes-for-spring.html"
    )
    assert all(isinstance(value, (str, list, type(None))) for value in vars(extraction).values())


def test_several_authors_and_a_regional_language_tag():
    extraction = extract_article(
        COTTAGE.read_text(encoding="utf-8"), "http://127.0.0.1:8000/c.html"
    )
    assert extraction.authors == ["Jory Penhale", "Tamsin Roskilly"]
    assert extraction.language == "pt-BR"


def test_article_item_is_built_and_cleaned():
    extraction = extract_article(FERRY.read_bytes(), PAGE_URL)
    item = build_article(extraction, PAGE_URL, "2026-03-15T00:00:00Z")
    assert item.site == "127.0.0.1:8000"
    assert item.url == PAGE_URL
    assert clean_article(item, TextCleaner(), min_words=15) is None
    paragraphs = item.text.split("\n")
    assert paragraphs[0].startswith("The Lowmoor island ferry")
    assert "Advertisement" not in paragraphs and "More From This Section" not in paragraphs
    assert item.cleaning["fragment"] == 3 and item.cleaning["headline"] == 1
    assert item.word_count == sum(len(p.split()) for p in paragraphs)


def test_too_short_article_is_reported():
    page = SITE / "news/2026/03/short-notice-road-closure-on-quay-street.html"
    extraction = extract_article(page.read_bytes(), "http://127.0.0.1:8000/q.html")
    item = build_article(extraction, "http://127.0.0.1:8000/q.html", "2026-03-15T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) == TOO_SHORT
    assert clean_article(item, TextCleaner(), min_words=3) is None


def test_pages_without_text_fail_with_a_reason():
    assert extract_article(b"").failure == NO_HTML
    assert extract_article("   ").failure == NO_HTML
    assert extract_article("<html><body><div></div></body></html>").failure == NO_TEXT


def test_seed_page_extracts_to_the_expected_body(seed_dir: Path):
    extraction = extract_article((seed_dir / "seed-article.html").read_bytes())
    item = build_article(extraction, None, "2026-01-01T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) is None
    expected = (seed_dir / "expected-body.txt").read_text(encoding="utf-8").split("\n")
    expected = [line for line in expected if line.strip()]
    paragraphs = item.text.split("\n")
    assert paragraphs[: len(expected)] == expected
    assert len(paragraphs) <= len(expected) + 1


def test_a_page_of_nothing_but_furniture_is_cleaned_away():
    from newscrawl.article import CLEANED_AWAY
    from newscrawl.extract import Extraction

    extraction = Extraction(text="Advertisement\nShare this article\nRead more", title="A page")
    item = build_article(extraction, "http://127.0.0.1:8000/x.html", "2026-03-15T00:00:00Z")
    assert clean_article(item, TextCleaner(), min_words=15) == CLEANED_AWAY
    assert item.text == "" and item.cleaning["fragment"] == 3
