"""The cleaning stage: paragraphs in, kept paragraphs and a record of drops out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from newscrawl.cleaning.fragments import FragmentMatcher
from newscrawl.cleaning.normalize import word_count, words
from newscrawl.cleaning.repeats import find_repeats

__all__ = ["DEFAULT_MIN_WORDS", "CleaningResult", "DroppedParagraph", "TextCleaner"]

# An article needs this many words after cleaning, or the item is dropped as
# "too_short". The shortest article body in the shared ground truth has 18 words
# (a news brief); hub pages and error pages usually leave fewer than that.
DEFAULT_MIN_WORDS = 15

FRAGMENT = "fragment"
HEADLINE = "headline"


@dataclass(frozen=True)
class DroppedParagraph:
    index: int  # position in the paragraphs given to the cleaner
    text: str
    rule: str


@dataclass(frozen=True)
class CleaningResult:
    paragraphs: list[str]
    dropped: list[DroppedParagraph] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(word_count(paragraph) for paragraph in self.paragraphs)

    def counts(self) -> dict[str, int]:
        """How many paragraphs each rule dropped, by rule name."""
        return dict(Counter(drop.rule for drop in self.dropped))


def split_paragraphs(text: str) -> list[str]:
    """Split extracted text into non-empty, stripped paragraphs."""
    return [line.strip() for line in text.split("\n") if line.strip()]


class TextCleaner:
    """Applies the cleaning rules in order: fragments, headline, repeats.

    Fragments go first so that a repeated block interrupted by "Advertisement"
    lines is still seen as one run.
    """

    def __init__(self, extra_fragment_patterns: Iterable[str] = ()) -> None:
        self.fragments = FragmentMatcher.build(extra_fragment_patterns)

    def clean(self, paragraphs: Sequence[str], title: str | None = None) -> CleaningResult:
        dropped: dict[int, str] = {}
        title_words = words(title) if title else []
        for index, paragraph in enumerate(paragraphs):
            if self.fragments.matches(paragraph):
                dropped[index] = FRAGMENT
            elif len(title_words) >= 2 and words(paragraph) == title_words:
                dropped[index] = HEADLINE
        remaining = [index for index in range(len(paragraphs)) if index not in dropped]
        repeats = find_repeats([paragraphs[index] for index in remaining])
        for position, rule in repeats.items():
            dropped[remaining[position]] = rule
        return CleaningResult(
            paragraphs=[p for index, p in enumerate(paragraphs) if index not in dropped],
            dropped=[
                DroppedParagraph(index, paragraphs[index], rule)
                for index, rule in sorted(dropped.items())
            ],
        )

    def clean_text(self, text: str, title: str | None = None) -> CleaningResult:
        return self.clean(split_paragraphs(text), title)
