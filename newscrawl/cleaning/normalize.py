"""Text normalisation used to compare paragraphs.

Two paragraphs count as the same when they differ only in case, Unicode form,
whitespace, the style of quotes or the style of dashes. The word-level key goes
further and ignores punctuation altogether; it is what near-repeat rules compare.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "comparison_key",
    "fingerprint_key",
    "fingerprint_key_of_words",
    "strip_ellipsis",
    "word_count",
    "word_size",
    "words",
]

# Typographic quotes and dashes map onto their ASCII forms, so that a paragraph
# copied by a CMS with "smart quotes" still equals its plain twin.
_QUOTES_AND_DASHES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u00b4": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"', "\u2039": '"', "\u203a": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\ufe58": "-", "\ufe63": "-", "\uff0d": "-",
    }
)  # fmt: skip

# The characters _QUOTES_AND_DASHES replaces. str.translate looks every character
# of a non-ASCII text up in the table, one by one (11 us a paragraph, a third of
# a fragment test's time); a search proves most paragraphs hold none, and the
# few that do are rewritten where they do (comparison_key: 0.49 against 0.13 ms
# a page on the 1,165 shared pages).
_QUOTE_OR_DASH = re.compile("[" + re.escape("".join(map(chr, _QUOTES_AND_DASHES))) + "]")
_PLAIN_QUOTE_OR_DASH = {chr(char): plain for char, plain in _QUOTES_AND_DASHES.items()}
# Chinese and Japanese write no spaces between words, so a run of letters there is
# a whole clause or sentence: a three-sentence Japanese brief counted 9 words, under
# any article's minimum, and its repeated teasers were too "short" to be compared.
# Each character of those scripts (kana, CJK ideographs) is a word of its own to
# the rules that compare words, and counts as half a word where a length in words
# is measured (word_count, word_size): a Chinese or Japanese word is one to two
# characters, so the thresholds in words keep their meaning. Korean writes
# spaces, and Thai's words are several letters long.
_UNSPACED = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
_WORD = re.compile(rf"[^\W{_UNSPACED}]+|[{_UNSPACED}]")
_UNSPACED_CHAR = re.compile(rf"[{_UNSPACED}]")
# Runs of letters, as words were split before that: the key of stored paragraph
# fingerprints (fingerprint_key), which must not change under a store.
_LETTER_RUN = re.compile(r"\w+")
# "...", "…" or ". . ." at the end of a teaser, with any trailing brackets or spaces.
_TRAILING_ELLIPSIS = re.compile(r"\s*(?:\.\s*){2,}\.?[\s\])]*$|\s*\u2026[\s\])]*$")


def comparison_key(text: str) -> str:
    """Return `text` in the form used to decide whether two paragraphs are equal."""
    text = unicodedata.normalize("NFKC", text)
    if _QUOTE_OR_DASH.search(text) is not None:
        text = _QUOTE_OR_DASH.sub(_plain_quote_or_dash, text)
    # Runs of white space as one space, none at the ends: str.split's white space
    # is re's \s (both Py_UNICODE_ISSPACE), and split and join run in C where a
    # substitution of every space by a space did not.
    return " ".join(text.split()).casefold()


def _plain_quote_or_dash(found: re.Match[str]) -> str:
    return _PLAIN_QUOTE_OR_DASH[found.group()]


@lru_cache(maxsize=8192)
def words(text: str) -> tuple[str, ...]:
    """Return the words of `text`, case-folded, without punctuation.

    Cached: every rule looks at the words of the same paragraphs."""
    return tuple(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def fingerprint_key(text: str) -> str:
    """The words of `text` as site paragraph fingerprints are made from: case-folded,
    without punctuation, a run of Chinese or Japanese characters kept as one."""
    return " ".join(_LETTER_RUN.findall(unicodedata.normalize("NFKC", text).casefold()))


def fingerprint_key_of_words(text: str) -> str:
    """fingerprint_key(text) from `words(text)` (cached: a page's cleaning has asked
    for the words of its paragraphs already). Both split the same case-folded text,
    `words` a Chinese or Japanese run into its characters: the words joined are the
    key where the text holds none of those (0.28 against 0.08 ms a page in a
    worker, on the shared pages)."""
    key = " ".join(words(text))
    return key if _UNSPACED_CHAR.search(key) is None else fingerprint_key(text)


def word_count(text: str) -> int:
    """Count the words in `text` the way `words` splits them, a Chinese or Japanese
    character as half a word (rounded up)."""
    if _UNSPACED_CHAR.search(text) is None:
        # Without such characters the words are runs of letters, which the plain
        # expression finds faster (0.20 against 0.17 ms for a page's paragraphs).
        return len(_LETTER_RUN.findall(text))
    tokens = _WORD.findall(text)
    unspaced = len(_UNSPACED_CHAR.findall(text))
    return len(tokens) - unspaced // 2


def word_size(tokens: tuple[str, ...]) -> float:
    """The length in words of `tokens` (as `words` gives them), a Chinese or
    Japanese character as half a word."""
    if _UNSPACED_CHAR.search("".join(tokens)) is None:
        # None at all (most texts): one search in C, not a test of every token.
        return float(len(tokens))
    unspaced = sum(1 for token in tokens if len(token) == 1 and _UNSPACED_CHAR.match(token))
    return len(tokens) - unspaced / 2


def strip_ellipsis(text: str) -> tuple[str, bool]:
    """Remove a trailing ellipsis; also say whether there was one."""
    end = text.rstrip(" \t\n)]")
    if not end.endswith((".", "\u2026")):
        return text, False  # the common case, without running the expression
    if end.endswith(".") and not end[:-1].rstrip().endswith("."):
        # One full stop, a sentence's end: the expression needs two dots with only
        # white space between them, and tried every place of the paragraph for
        # them (0.24 against 0.015 ms a page on the shared pages).
        return text, False
    stripped = _TRAILING_ELLIPSIS.sub("", text)
    return stripped, stripped != text
