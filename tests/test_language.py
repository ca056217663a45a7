"""An article's language: declared tags in BCP 47 case, detected when undeclared."""

from __future__ import annotations

import subprocess
import sys

import pytest

from newscrawl.article import build_article
from newscrawl.extract import extract_article
from newscrawl.items import ArticleItem
from newscrawl.language import DECLARED, DETECTED, article_language, normalize_tag


@pytest.mark.parametrize(
    ("declared", "tag"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("en-gb", "en-GB"),
        ("en_GB", "en-GB"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("de-DE, en", "de-DE"),
        ("lang=", None),
        ("*", None),
        ("", None),
        (None, None),
    ],
)
def test_declared_tags_are_normalised(declared: str | None, tag: str | None) -> None:
    assert normalize_tag(declared) == tag


GERMAN = (
    "Der Hafen bleibt am Montag wegen des Sturms geschlossen, teilte das Hafenamt mit. "
    "Die Fähre zur Insel fährt erst am Dienstag wieder, wenn der Wind nachlässt."
)


def _page(html_tag: str) -> str:
    return f"""<html{html_tag}><head><title>Hafen geschlossen</title></head><body><article>
    <h1>Hafen geschlossen</h1><p>{GERMAN}</p></article></body></html>"""


def _article(html: str) -> ArticleItem:
    return build_article(extract_article(html), None, "2026-03-15T00:00:00Z")


def test_a_page_s_declaration_wins_and_says_so() -> None:
    assert extract_article(_page(' lang="de-de"')).language == "de-DE"
    article = _article(_page(' lang="de-de"'))
    assert (article.language, article.language_source) == ("de-DE", DECLARED)


def test_an_undeclared_language_is_detected_from_the_text() -> None:
    for tag in ("", ' lang="lang="'):  # none, or something that is no language tag
        # The worker extracting the page detects it (issue 15: the crawler's process
        # never loads the detector's model) ...
        extraction = extract_article(_page(tag))
        assert (extraction.language, extraction.language_source) == ("de", DETECTED)
        # ... and the article built from it has it.
        article = _article(_page(tag))
        assert (article.language, article.language_source) == ("de", DETECTED)


def test_too_little_text_is_no_language() -> None:
    assert article_language(None, "Hafen zu.") == (None, None)
    assert article_language(None, GERMAN) == ("de", DETECTED)


def test_the_detector_loads_without_writing_a_file():
    # A full disk (here: no file may grow past 64 KB) must not stop the detector
    # from loading, nor kill the extraction workers' fork server that loads it.
    code = (
        "import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000));"
        f"from newscrawl.language import detect_language; print(detect_language({GERMAN!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().strip() == "de"
