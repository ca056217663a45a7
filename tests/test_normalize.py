from newscrawl.cleaning.normalize import comparison_key, strip_ellipsis, word_count, words


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
