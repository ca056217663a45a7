"""An article's language: declared tags in BCP 47 case, detected when undeclared."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from newscrawl import language
from newscrawl.article import build_article
from newscrawl.extract import extract_article
from newscrawl.items import ArticleItem
from newscrawl.language import (
    ABANDONED_AFTER_SECONDS,
    DECLARED,
    DETECTED,
    MODEL_CACHE_ENV,
    UNUSED_AFTER_SECONDS,
    _identifier,
    article_language,
    detect_language,
    model_cache_dir,
    normalize_tag,
)


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


def test_the_detector_loads_where_no_file_may_be_written(tmp_path: Path) -> None:
    # A full disk (here: no file may grow past 64 KB) must not stop the detector
    # from loading, nor kill the extraction workers' fork server that loads it;
    # the unpacked copy it could not keep leaves no partial file behind.
    code = (
        "import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000));"
        f"from newscrawl.language import detect_language; print(detect_language({GERMAN!r}))"
    )
    env = {**os.environ, MODEL_CACHE_ENV: str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().strip() == "de"
    assert [p.name for p in (tmp_path / "newscrawl").iterdir()] == []


@pytest.fixture
def fresh_detector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The detector loaded anew, its cache in `tmp_path`/newscrawl."""
    monkeypatch.setenv(MODEL_CACHE_ENV, str(tmp_path))
    _identifier.cache_clear()
    yield tmp_path / "newscrawl"
    _identifier.cache_clear()


def _cached_models(folder: Path) -> list[Path]:
    return sorted(folder.glob("py3langid-*.npz")) if folder.is_dir() else []


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_model_is_unpacked_once_then_read_from_the_cache(
    fresh_detector: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert detect_language(GERMAN) == "de"
    [cached] = _cached_models(fresh_detector)
    # Copies of other models: one no process has read for long goes, one that
    # another installation reads stays.
    unused, in_use = fresh_detector / "py3langid-0.npz", fresh_detector / "py3langid-1.npz"
    for other in (unused, in_use):
        other.write_bytes(b"another model")
    _age(unused, UNUSED_AFTER_SECONDS + 60)
    _age(in_use, UNUSED_AFTER_SECONDS - 60)
    _identifier.cache_clear()
    cached.unlink()
    assert detect_language(GERMAN) == "de"
    assert _cached_models(fresh_detector) == sorted([cached, in_use])
    # The next process reads the copy: it does not unpack the model again.
    _identifier.cache_clear()

    def no_unpacking(*args: object, **kwargs: object) -> None:
        raise AssertionError("unpacked again")

    monkeypatch.setattr(language.lzma, "decompress", no_unpacking)
    _age(cached, 3600)
    assert detect_language(GERMAN) == "de"
    assert time.time() - cached.stat().st_mtime < 600  # marked as in use


def test_files_left_by_killed_writers_are_removed_once_abandoned(fresh_detector: Path) -> None:
    fresh_detector.mkdir()
    abandoned = fresh_detector / ".unpacking-killed"
    being_written = fresh_detector / ".unpacking-now"
    for path in (abandoned, being_written):
        path.write_bytes(b"half a model")
    long_ago = time.time() - ABANDONED_AFTER_SECONDS - 60
    os.utime(abandoned, (long_ago, long_ago))
    assert detect_language(GERMAN) == "de"
    assert not abandoned.exists()
    assert being_written.exists()


def _npz(**arrays: object) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)  # type: ignore[arg-type]
    return out.getvalue()


def test_a_damaged_copy_is_unpacked_again_and_replaced(fresh_detector: Path) -> None:
    assert detect_language(GERMAN) == "de"
    [cached] = _cached_models(fresh_detector)
    model = cached.read_bytes()
    with np.load(io.BytesIO(model)) as arrays:
        emptied = {name: arrays[name][:0] for name in arrays.files}
    for damage in (
        b"",
        b"PK\x03\x04 not a model",
        model[: len(model) // 2],
        _npz(ptc=np.zeros(3)),  # an .npz, not of the model
        _npz(**emptied),  # the model's arrays, wrong
    ):
        cached.write_bytes(damage)
        _identifier.cache_clear()
        assert detect_language(GERMAN) == "de"
        assert cached.read_bytes() == model


def test_a_named_pipe_in_place_of_the_copy_does_not_block(fresh_detector: Path) -> None:
    assert detect_language(GERMAN) == "de"
    [cached] = _cached_models(fresh_detector)
    cached.unlink()
    os.mkfifo(cached)
    _identifier.cache_clear()
    assert detect_language(GERMAN) == "de"  # without the check, open() waits for a writer
    assert cached.is_file()


@pytest.mark.parametrize(
    ("xdg", "home", "folder"),
    [
        ("/x/cache", "/home/a", "/x/cache/newscrawl"),
        ("", "/home/a", "/home/a/.cache/newscrawl"),
        ("cache", "/home/a", "/home/a/.cache/newscrawl"),  # relative: ignored (XDG)
        ("", "", None),  # no home: no cache
        ("", "home", None),
    ],
)
def test_the_cache_folder(
    xdg: str, home: str, folder: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_CACHE_ENV, xdg)
    monkeypatch.setenv("HOME", home)
    assert model_cache_dir() == (Path(folder) if folder else None)


def test_a_home_that_does_not_exist_is_not_made_for_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HOME=/nonexistent is how Debian gives a daemon's user no home; a crawl run
    as root with it made /nonexistent/.cache/newscrawl, a home for every process
    that expects none there. The cache goes without: the model is unpacked each
    time, as for a user without a home."""
    home = tmp_path / "nonexistent"
    monkeypatch.setenv(MODEL_CACHE_ENV, "")
    monkeypatch.setenv("HOME", str(home))
    _identifier.cache_clear()
    try:
        assert detect_language(GERMAN) == "de"
    finally:
        _identifier.cache_clear()
    assert not home.exists()


def test_a_cache_that_cannot_be_written_changes_nothing_but_the_time(
    fresh_detector: Path,
) -> None:
    fresh_detector.write_text("a file where the cache folder would be")
    assert detect_language(GERMAN) == "de"
    assert fresh_detector.read_text() == "a file where the cache folder would be"
