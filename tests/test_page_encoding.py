"""A page is read in the encoding its bytes are in, whatever its labels get wrong
(newscrawl.pageworker.decode_body)."""

from __future__ import annotations

import pytest

from newscrawl.pageworker import decode_body, read_page

PAGE = (
    "<!DOCTYPE html><html lang='de'><head><title>Fähre fährt länger</title>"
    "<meta property='og:type' content='article'></head><body><article>"
    "<h1>Fähre fährt länger</h1>"
    + "".join(
        f"<p>Absatz {n}: Die Fähre zur Insel fährt ab Montag eine Stunde länger, sagte das"
        f" Hafenamt, und am Wochenende kommen {n} Überfahrten hinzu.</p>"
        for n in range(6)
    )
    + "</article></body></html>"
)
URL = "http://127.0.0.1:8000/news/faehre.html"


@pytest.mark.parametrize(
    ("codec", "label"),
    [
        # Windows saves "Unicode" so, and browsers read the label "utf-16" so (the
        # WHATWG Encoding Standard): w3lib took it for big-endian, every letter
        # one of another script, and the page had "no_html".
        ("utf-16-le", "utf-16"),
        ("utf-16-be", "utf-16"),  # RFC 2781's reading of the label: kept
        ("utf-16-le", "utf-16be"),  # a label that names the wrong order
        ("utf-16-be", "utf-16le"),
    ],
)
def test_a_utf_16_page_without_a_byte_order_mark_is_read_in_its_bytes_order(
    codec: str, label: str
) -> None:
    body = PAGE.encode(codec)
    content_type = f"text/html; charset={label}"
    assert decode_body(body, content_type) == PAGE
    reading = read_page(body, URL, content_type, declared_article=True)
    assert reading.article is not None, reading.failure
    assert "Die Fähre zur Insel fährt ab Montag" in reading.article.text


@pytest.mark.parametrize(
    ("codec", "header", "meta"),
    [
        ("utf-8", "utf-16", None),
        ("utf-8", None, "utf-16"),
        ("utf-8", "utf-32", None),
        ("utf-8", "utf-16le", None),
        ("utf-16-le", "utf-32", None),
        ("utf-16-be", "utf-32", None),
    ],
)
def test_bytes_that_cannot_be_what_a_wide_label_says_are_read_as_what_they_are(
    codec: str, header: str | None, meta: str | None
) -> None:
    """A UTF-8 page labelled UTF-16 or UTF-32 (in its header or its meta), and a
    UTF-16 page labelled UTF-32, were read as labelled, every character one of
    another script: "no_html", the article lost, exit 0 (helper-111, helper-113)."""
    page = PAGE.replace("<head>", f"<head><meta charset='{meta}'>") if meta else PAGE
    body = page.encode(codec)
    content_type = f"text/html; charset={header}" if header else "text/html"
    assert decode_body(body, content_type) == page
    reading = read_page(body, URL, content_type, declared_article=True)
    assert reading.article is not None, reading.failure
    assert "Die Fähre zur Insel fährt ab Montag" in reading.article.text


def test_utf_16_with_a_byte_order_mark_and_other_encodings_are_read_as_before() -> None:
    assert decode_body(PAGE.encode("utf-16"), "text/html") == PAGE  # its mark says the order
    assert decode_body(PAGE.encode("utf-32"), "text/html; charset=utf-32") == PAGE
    assert decode_body(PAGE.encode("utf-32-le"), "text/html; charset=utf-32le") == PAGE
    assert decode_body(PAGE.encode("utf-8"), "text/html; charset=utf-8") == PAGE
    # A Latin-1 page labelled UTF-8 is read as Windows-1252.
    assert decode_body(PAGE.encode("cp1252"), "text/html; charset=utf-8") == PAGE


@pytest.mark.parametrize("label", ["iso-8859-1", "windows-1252", "latin1", "iso-8859-15"])
def test_a_utf_8_page_labelled_latin_1_is_read_as_utf_8(label: str) -> None:
    """A UTF-8 page behind a server that labels every page ISO-8859-1 (Apache's old
    AddDefaultCharset) was read as what the label said: "Fähre" stored as "FÃ¤hre"
    in every word with an accent (found by a hostile-site session). Bytes that
    are valid UTF-8 and not ASCII are UTF-8: a Latin-1 text almost never is."""
    body = PAGE.encode("utf-8")
    content_type = f"text/html; charset={label}"
    assert decode_body(body, content_type) == PAGE
    reading = read_page(body, URL, content_type, declared_article=True)
    assert reading.article is not None, reading.failure
    assert "Die Fähre zur Insel fährt ab Montag" in reading.article.text
    # A Latin-1 page so labelled is read as before.
    assert decode_body(PAGE.encode("cp1252"), content_type) == PAGE
