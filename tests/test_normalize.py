from newscrawl.cleaning.normalize import (
    comparison_key,
    fingerprint_key,
    fingerprint_key_of_words,
    strip_ellipsis,
    word_count,
    words,
)


def test_comparison_key_folds_case_quotes_dashes_and_spaces():
    fancy = "\u201cIt\u2019s   over\u201d \u2014 she SAID\u00a0today"
    plain = '"it\'s over" - she said today'
    assert comparison_key(fancy) == plain


def test_comparison_key_applies_unicode_compatibility_form():
    assert comparison_key("ｆｕｌｌ ｗｉｄｔｈ") == "full width"


def test_words_drop_punctuation_and_keep_other_scripts():
    # Chinese and Japanese write no spaces: each of their characters is a word.
    assert words("Hello, world! Привет — 世界") == ("hello", "world", "привет", "世", "界")
    assert word_count("one, two; three") == 3


def test_strip_ellipsis_recognises_both_forms():
    assert strip_ellipsis("A teaser that stops...") == ("A teaser that stops", True)
    assert strip_ellipsis("A teaser that stops …") == ("A teaser that stops", True)
    assert strip_ellipsis("A full sentence.") == ("A full sentence.", False)


def test_a_fingerprint_key_made_from_words_is_the_key():
    for text in [
        "Hello, world! Привет — ÉCOLE ﬁnal", "İstanbul'da ΟΔΟΣ, Straße", "日本語の記事です。",
        "News 中文 report", "ｶﾀｶﾅ text", "snake_case and 3.5%", "-- , --", "",
    ]:  # fmt: skip
        assert fingerprint_key_of_words(text) == fingerprint_key(text), text


def test_comparison_key_is_the_same_without_quotes_dashes_or_odd_spaces():
    for text in ["plain words here", "  tabs\tand\nlines\r\n  ", "\u2009thin\u00a0spaces\u3000"]:
        assert comparison_key(text) == " ".join(text.split()).casefold()
    assert comparison_key("`a` \u2018b\u2019 \u2013 \u00abc\u00bb") == "'a' 'b' - \"c\""
