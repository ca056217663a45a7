"""Pure-Python text cleaning: no Scrapy here, so every rule is testable on strings."""

from __future__ import annotations

from newscrawl.cleaning.cleaner import (
    DEFAULT_MIN_WORDS,
    CleaningResult,
    DroppedParagraph,
    TextCleaner,
    split_paragraphs,
)
from newscrawl.cleaning.fragments import FragmentMatcher, InvalidPatternError

__all__ = [
    "DEFAULT_MIN_WORDS",
    "CleaningResult",
    "DroppedParagraph",
    "FragmentMatcher",
    "InvalidPatternError",
    "TextCleaner",
    "split_paragraphs",
]
