"""Repeated and near-repeated paragraphs.

Broken layouts print the body twice (the seed article: paragraphs 2-8 again
after "More From This Section"), teasers repeat the start of a paragraph, pull
quotes repeat a sentence. But real articles repeat short paragraphs on purpose:
a recipe's step headings, a name in an award list, the same interview question
put to each contestant. So a short paragraph is only dropped as a repeat when it
is part of a repeated *run*; a long one is dropped on its own.

Everything here works on word lists (case-folded, punctuation removed), which is
what makes "differs only trivially" concrete: the same words in the same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from newscrawl.cleaning.normalize import strip_ellipsis, words

__all__ = [
    "CONTAINED_MIN_WORDS",
    "LONG_REPEAT_MIN_WORDS",
    "NEAR_IDENTICAL_MIN_RATIO",
    "NEAR_IDENTICAL_MIN_WORDS",
    "RUN_MIN_MEAN_WORDS",
    "TEASER_MIN_WORDS",
    "find_repeats",
]

# A repeat this long is dropped even when it stands alone, if the page has it
# exactly twice (a standfirst or pull quote printed again). Measured on the shared
# dev sets (trafilatura 2.3.1 output): legitimate lone repeats in the ground truth
# are headings and names under a dozen words, or questions asked many times.
LONG_REPEAT_MIN_WORDS = 14
# A run of two or more repeated paragraphs is a repeated block of prose, and is
# dropped, when its paragraphs average this many words. Runs of short lines are
# structure (day-by-day plans, nominee lists): on the dev sets their mean is
# under 8 words, while the seed's repeated block averages 30.
RUN_MIN_MEAN_WORDS = 12
# A paragraph found word for word inside another is dropped from this length on;
# below it, a short sentence ("He declined.") may legitimately recur.
CONTAINED_MIN_WORDS = 8
# A teaser must keep at least this many words before its ellipsis to be matched.
TEASER_MIN_WORDS = 4
# Paragraphs this long whose word sequences are at least this similar (difflib's
# ratio), and whose differences hold no digit, count as the same paragraph with a
# trivial edit (a typo fixed, a word added). On the dev sets every 10-14 word pair
# this matched was a list of events differing in their dates, hence 15 and digits.
NEAR_IDENTICAL_MIN_WORDS = 15
NEAR_IDENTICAL_MIN_RATIO = 0.9

REPEATED = "repeated"
TEASER = "teaser"
CONTAINED = "contained"
NEAR_IDENTICAL = "near_identical"


@dataclass(frozen=True)
class _Paragraph:
    words: tuple[str, ...]
    joined: str  # " w1 w2 ... " with sentinels, for whole-word substring tests
    counts: Counter[str]  # word -> occurrences
    teaser_stem: tuple[str, ...] | None  # the words before a trailing ellipsis, if any


def _prepare(text: str) -> _Paragraph:
    tokens = words(text)
    stem, had_ellipsis = strip_ellipsis(text.rstrip())
    return _Paragraph(
        tokens, " " + " ".join(tokens) + " ", Counter(tokens), words(stem) if had_ellipsis else None
    )


def _is_teaser_of(current: _Paragraph, earlier: _Paragraph) -> bool:
    """True if `current` ends in an ellipsis and what precedes it starts `earlier`."""
    stem_words = current.teaser_stem
    if stem_words is None:
        return False
    if len(stem_words) < TEASER_MIN_WORDS or len(stem_words) > len(earlier.words):
        return False
    *whole, last = stem_words
    # The last word may be cut mid-word: "... the Kremlin has rep…"
    return list(earlier.words[: len(whole)]) == whole and earlier.words[len(whole)].startswith(last)


def _is_near_identical(a: _Paragraph, b: _Paragraph) -> bool:
    shorter, longer = sorted((len(a.words), len(b.words)))
    # 2*shorter/(shorter+longer) bounds the ratio: skip building a matcher that cannot pass.
    if shorter < NEAR_IDENTICAL_MIN_WORDS or 2 * shorter < NEAR_IDENTICAL_MIN_RATIO * (
        shorter + longer
    ):
        return False
    # The words the two share bound the ratio from above (difflib's quick_ratio, here
    # from counts made once per paragraph): most pairs fail this cheap test.
    common = sum((a.counts & b.counts).values())
    if 2 * common < NEAR_IDENTICAL_MIN_RATIO * (shorter + longer):
        return False
    matcher = SequenceMatcher(None, a.words, b.words, autojunk=False)
    if matcher.ratio() < NEAR_IDENTICAL_MIN_RATIO:
        return False
    # A changed number is not a trivial edit: "23 March" and "28 March" are two events.
    changed = [
        word
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
        for word in a.words[i1:i2] + b.words[j1:j2]
    ]
    return not any(ch.isdigit() for word in changed for ch in word)


def _similar_candidates(prepared: Sequence[_Paragraph]) -> list[set[int]]:
    """For each paragraph, the earlier ones that open or close with the same three
    words: a trivial edit leaves one end alone, and comparing only these keeps the
    near-identical test linear in the number of paragraphs."""
    by_end: dict[tuple[str, ...], list[int]] = {}
    candidates: list[set[int]] = []
    for index, paragraph in enumerate(prepared):
        ends = {("^", *paragraph.words[:3]), ("$", *paragraph.words[-3:])}
        candidates.append({other for end in ends for other in by_end.get(end, ())})
        for end in ends:
            by_end.setdefault(end, []).append(index)
    return candidates


def _classify(
    index: int,
    prepared: Sequence[_Paragraph],
    similar: set[int],
    first_seen: dict[tuple[str, ...], int],
) -> str | None:
    """Say which earlier paragraph this one repeats (`first_seen`: where each word
    sequence first occurs)."""
    current = prepared[index]
    if not current.words:
        return None
    earlier = prepared[:index]
    if first_seen[current.words] < index:
        return REPEATED
    if current.teaser_stem is not None and any(_is_teaser_of(current, other) for other in earlier):
        return TEASER
    if len(current.words) >= CONTAINED_MIN_WORDS and any(
        len(other.words) > len(current.words) and current.joined in other.joined
        for other in earlier
    ):
        return CONTAINED
    if any(_is_near_identical(current, prepared[other]) for other in sorted(similar)):
        return NEAR_IDENTICAL
    return None


def _runs(indices: Sequence[int]) -> list[list[int]]:
    """Group sorted indices into maximal runs of consecutive numbers."""
    runs: list[list[int]] = []
    for index in indices:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def find_repeats(texts: Sequence[str]) -> dict[int, str]:
    """Map the index of each paragraph to drop to the rule that drops it.

    The first occurrence of a paragraph is kept. Exact repeats are dropped when
    they form a block of prose (a run of repeats whose paragraphs average
    RUN_MIN_MEAN_WORDS or more), or when a long paragraph occurs exactly twice.
    Runs of short lines (a weekly plan whose days share headings, a list of
    nominees repeated as winners) and a question put to every interviewee are
    structure, and are kept.
    """
    prepared = [_prepare(text) for text in texts]
    similar = _similar_candidates(prepared)
    first_seen: dict[tuple[str, ...], int] = {}
    for index, paragraph in enumerate(prepared):
        first_seen.setdefault(paragraph.words, index)
    candidates = {
        i: rule
        for i in range(len(texts))
        if (rule := _classify(i, prepared, similar[i], first_seen))
    }
    occurrences = Counter(paragraph.words for paragraph in prepared)
    drops: dict[int, str] = {}
    for run in _runs(sorted(candidates)):
        sizes = [len(prepared[index].words) for index in run]
        prose_block = len(run) >= 2 and sum(sizes) >= RUN_MIN_MEAN_WORDS * len(run)
        for index, size in zip(run, sizes, strict=True):
            rule = candidates[index]
            lone_long_copy = (
                size >= LONG_REPEAT_MIN_WORDS and occurrences[prepared[index].words] == 2
            )
            if rule != REPEATED or prose_block or lone_long_copy:
                drops[index] = rule
    return drops
