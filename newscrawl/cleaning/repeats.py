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
from functools import cached_property
from itertools import compress, count
from typing import Any

from newscrawl.cleaning.normalize import strip_ellipsis, word_size, words

__all__ = [
    "ALIGNMENT_WORK",
    "CONTAINED_MIN_WORDS",
    "LONG_REPEAT_MIN_WORDS",
    "MAX_ALIGNMENTS",
    "MAX_CANDIDATES",
    "NEAR_IDENTICAL_MIN_RATIO",
    "NEAR_IDENTICAL_MIN_WORDS",
    "RUN_MIN_MEAN_WORDS",
    "TEASER_MIN_WORDS",
    "find_repeats",
    "find_repeats_counted",
]

# A repeat this long is dropped even when it stands alone, if the page has it
# exactly twice (a standfirst or pull quote printed again). Measured on the shared
# dev sets (trafilatura 2.3.1 output): legitimate lone repeats in the ground truth
# are headings and names under a dozen words, or questions asked many times.
LONG_REPEAT_MIN_WORDS = 14
# ... and if the copy follows its original directly (a standfirst printed again
# comes right after it), or is the lede printed again to close the text (the
# seed's fault in its smallest form, under "More From This Section"): the lede
# is one of the text's first LEDE_PARAGRAPHS, and nothing but repeats follows
# the copy; or the lede is the text's first paragraph, and the copy stands among
# its last LEDE_PARAGRAPHS (the section goes on with other stories' teasers).
# Elsewhere a lone copy is meant: a meal plan's repeated dish on the
# aeb dev set (85 words of its ground truth), an FAQ's answer given to two
# questions, a question put to two people, a chant read out and repeated, a
# motto from the middle said again as the last line. With text of its own
# between them, a copy two or three paragraphs on was dropped as a standfirst
# (pages written for the purpose); on the dev sets this keeps one line more,
# a school page's menu entry that no judgment names. (A speech's opening line
# said again as its last still goes: the seed's form is the commoner.)
LEDE_PARAGRAPHS = 3
# A run of two or more repeated paragraphs is a repeated block of prose, and is
# dropped, when its paragraphs average this many words. Runs of short lines are
# structure (day-by-day plans, nominee lists): on the dev sets their mean is
# under 8 words, while the seed's repeated block averages 30.
RUN_MIN_MEAN_WORDS = 12
# A paragraph found word for word inside another is dropped from this length on;
# below it, a short sentence ("He declined.") may legitimately recur.
CONTAINED_MIN_WORDS = 8
# A contained paragraph the page prints this many times on its own is a listing's
# recurring line (the details under each entry), judged with its copies; printed
# twice, it is a pull quote's copies (the layout's and the mobile layout's) as
# often, and the first goes as contained. The fundus listing's line recurs 6
# times, trafilatura's timeline entry 4; a results page there whose two
# non-starters' lines recur twice loses their first copies again (as before
# recurring lines were kept: no judged snippet changes).
RECURRING_MIN_COPIES = 3
# A teaser must keep at least this many words before its ellipsis to be matched.
TEASER_MIN_WORDS = 4
# Paragraphs this long whose word sequences are at least this similar (difflib's
# ratio), and whose differences are respellings (a typo fixed: _respelled) holding
# no digit, count as the same paragraph. On the dev sets every 10-14 word pair
# this matched was a list of events differing in their dates, hence 15 and digits.
# A word added or replaced by another is no trivial edit: with it, this rule
# dropped 58 paragraphs of the trafilatura-eval pages, the rows of tables and FAQs
# that differ in one word ("- CPU" after "- User", one bus operator's answer after
# another's), and no ground-truth text was ever its to drop.
NEAR_IDENTICAL_MIN_WORDS = 15
NEAR_IDENTICAL_MIN_RATIO = 0.9

# Words that turn a sentence into its opposite, in the languages of the dev sets
# and other large news languages (case-folded, as `words` gives them).
NEGATIONS = frozenset({
    "not", "no", "never", "nor", "neither", "none", "nobody", "nothing", "cannot",
    "nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals",  # German
    "ne", "pas", "jamais", "ni", "non", "nunca", "nada", "nem", "não", "nao",  # Romance
    "mai", "nessuno", "niet", "geen", "nooit",  # Italian, Dutch
    "не", "нет", "ни", "никогда", "değil", "hayır",  # Russian, Turkish
    "tidak", "bukan", "belum", "không", "chẳng",  # Indonesian, Vietnamese
})  # fmt: skip

# The marks a paragraph ends on when its sentence goes on in the next one.
_OPEN = frozenset(",;:、，；：")

REPEATED = "repeated"
TEASER = "teaser"
CONTAINED = "contained"
NEAR_IDENTICAL = "near_identical"


@dataclass(frozen=True)
class _Paragraph:
    words: tuple[str, ...]
    teaser_stem: tuple[str, ...] | None  # the words before a trailing ellipsis, if any
    size: float  # its length in words (word_size: a Chinese character is half a word)
    # It ends on a letter or a digit, as a copy cut at so many characters does (a
    # sentence ends on a stop, a quote mark, a bracket): its last word may be a piece.
    open_ended: bool

    # Made when first asked for: only a pair that passes the cheap tests of
    # near-identity asks, and few do (made for every paragraph: 0.14 ms a page).
    @cached_property
    def counts(self) -> Counter[str]:
        """Word -> occurrences."""
        return Counter(self.words)

    @cached_property
    def numbers(self) -> tuple[str, ...]:
        """Its words with a digit in them, sorted."""
        # Most words are letters only (isalpha, in C): only the others may hold a digit.
        return tuple(
            sorted(
                word
                for word in self.words
                if not word.isalpha() and any(ch.isdigit() for ch in word)
            )
        )


def _prepare(text: str) -> _Paragraph:
    tokens = words(text)
    stem, had_ellipsis = strip_ellipsis(text.rstrip())
    return _Paragraph(
        tokens,
        words(stem) if had_ellipsis else None,
        word_size(tokens),
        text.rstrip()[-1:].isalnum(),
    )


def _looks_up_contained(paragraph: _Paragraph) -> bool:
    """Whether `paragraph` is looked up as found inside an earlier one (_classify)."""
    return len(paragraph.words) >= CONTAINED_MIN_WORDS and paragraph.size >= CONTAINED_MIN_WORDS


def _openings(prepared: Sequence[_Paragraph]) -> frozenset[int]:
    """The hashes of the CONTAINED_MIN_WORDS-word openings that `prepared` looks up:
    the only sequences an _Earlier of these paragraphs needs to index."""
    return frozenset(
        hash(paragraph.words[:CONTAINED_MIN_WORDS])
        for paragraph in prepared
        if _looks_up_contained(paragraph)
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


def _is_inside(current: _Paragraph, longer: Sequence[str], start: int) -> bool:
    """Whether `current`'s words are those of `longer` from `start` on, all but its
    last word, which is the same or, in a copy cut mid-word with no ellipsis (a
    teaser card cut at so many characters), the start of that word, and `longer`
    goes on after it: a line ending on a shorter form of its original's last
    word is a variant of it (a song's "harbour light" after "harbour lights")."""
    tokens = current.words
    end = start + len(tokens)
    if end > len(longer) or tuple(longer[start : end - 1]) != tokens[:-1]:
        return False
    if longer[end - 1] == tokens[-1]:
        return len(longer) > len(tokens)
    return current.open_ended and end < len(longer) and longer[end - 1].startswith(tokens[-1])


def _is_near_identical(a: _Paragraph, b: _Paragraph, earlier: _Earlier) -> bool:
    shorter, longer = sorted((len(a.words), len(b.words)))
    # 2*shorter/(shorter+longer) bounds the ratio: skip building a matcher that cannot pass.
    if min(a.size, b.size) < NEAR_IDENTICAL_MIN_WORDS or 2 * shorter < NEAR_IDENTICAL_MIN_RATIO * (
        shorter + longer
    ):
        return False
    # A number in one and not the other is a changed number (see below): no need to
    # align the two to know it. This settles most list-like pairs without difflib.
    if a.numbers != b.numbers or earlier.alignments >= MAX_ALIGNMENTS:
        return False
    # difflib's work grows with the product of the two lengths, and more than that
    # on paragraphs of few distinct words (a roll call of "aye" and "no"): 200
    # alignments of two 2,000-word paragraphs took 74 s. The page's budget bounds
    # the sum of those products instead of their count alone.
    work = len(a.words) * len(b.words)
    if earlier.aligned_work + work > ALIGNMENT_WORK:
        return False
    # The words the two share bound the ratio from above (difflib's quick_ratio, here
    # from counts made once per paragraph): most pairs fail this cheap test.
    common = sum((a.counts & b.counts).values())
    if 2 * common < NEAR_IDENTICAL_MIN_RATIO * (shorter + longer):
        return False
    earlier.alignments += 1
    earlier.aligned_work += work
    matcher = SequenceMatcher(None, a.words, b.words, autojunk=False)
    if matcher.ratio() < NEAR_IDENTICAL_MIN_RATIO:
        return False
    # A changed number is not a trivial edit: "23 March" and "28 March" are two events.
    # Nor is a negation: "the minister had not misled parliament" answers "the
    # minister had misled parliament", it does not repeat it.
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for tokens, start, end in ((a.words, i1, i2), (b.words, j1, j2)):
            for at in range(start, end):
                word = tokens[at]
                if word in NEGATIONS or any(ch.isdigit() for ch in word):
                    return False
                # English "n't": `words` makes "won't" the words "won" and "t"
                # (but "AT&T" and "T-shirt" hold a "t" too).
                if word == "t" and at > 0 and tokens[at - 1].endswith("n"):
                    return False
        if not _respelled(a.words[i1:i2], b.words[j1:j2]):
            return False
    return True


# A word respelled (a typo fixed, "colour" for "color") keeps this much of its
# letters (difflib's ratio); "CPU" for "User" or one school's name for another's
# does not.
RESPELLED_MIN_RATIO = 0.75


def _respelled(old: Sequence[str], new: Sequence[str]) -> bool:
    """Whether `new` is `old` respelled: the same letters split or joined ("e mail",
    "email"), or word for word a close spelling. A word added or taken away is
    no trivial edit: the short words that turn a sentence into its opposite are
    many and in every language ("not", "δεν", "לא", "नहीं"), and the words that
    tell one list item from the next (a name, a place) are what it says."""
    if "".join(old) == "".join(new):
        return True
    return len(old) == len(new) and all(
        _close_spelling(one, other) for one, other in zip(old, new, strict=True)
    )


def _close_spelling(one: str, other: str) -> bool:
    """Whether `other` is `one` spelt another way. Letters put before a word make
    another word, however close the two look: a negation ("illegal", "unlikely",
    "impossible", "unbekannt"), another person ("she", "women"). A typo fixed
    changes letters within a word or at its end ("leaflett")."""
    if one != other and (one.endswith(other) or other.endswith(one)):
        return False
    return SequenceMatcher(None, one, other, autojunk=False).ratio() >= RESPELLED_MIN_RATIO


# Bounds: each earlier-paragraph index keeps at most this many paragraphs per key
# (a teaser's opening words, an 8-word sequence, the latest ones sharing an end),
# so that a paragraph is compared with at most that many others, however many
# share the key. On the shared pages a key is shared by up to 307 paragraphs
# (ends: list items), 49 (openings) and 34 (8-word sequences); keeping 16 changes
# no drop on any of the 1,165 pages (keeping 4 ends lost one near-identical drop).
MAX_CANDIDATES = 16
# difflib's alignment of two paragraphs costs far more than the other tests; a page
# gets this many at most (the rest of its pairs are not near-identical). The most
# any of the 1,165 shared pages needs is 22.
MAX_ALIGNMENTS = 200
# Paragraphs longer than this (words) are not compared for near-identity: difflib's
# matching is quadratic in the worst case, and the near-identical pairs of the
# shared pages are under 200 words.
NEAR_IDENTICAL_MAX_WORDS = 2000
# The sum over a page's alignments of the product of the two paragraphs' lengths
# in words. The 1,165 shared pages need at most 47,084 (22 alignments); at this
# budget the worst page (paragraphs of 1,000 words drawn from 2) costs 0.4 s.
ALIGNMENT_WORK = 2_000_000


class _Earlier:
    """The paragraphs seen so far, indexed by what each rule looks up. `comparisons`
    counts the candidate pairs compared: the work done, which tests bound.
    `openings` are the hashes of the sequences the contained rule will look up
    (_openings of the page's paragraphs): only those are indexed."""

    def __init__(self, openings: frozenset[int] = frozenset()) -> None:
        self.first_seen: dict[tuple[str, ...], int] = {}
        self.by_end: dict[tuple[str, ...], list[int]] = {}  # "^"/"$" + 3 words -> paragraphs
        self.by_opening: dict[tuple[str, ...], list[int]] = {}  # first words -> paragraphs
        # The hash of a CONTAINED_MIN_WORDS-word sequence -> (paragraph, where it starts
        # there); a hash, not the words, to keep the index small (every match is checked).
        self.by_sequence: dict[int, list[tuple[int, int]]] = {}
        self.openings = openings
        self.comparisons = 0
        self.alignments = 0  # of them, aligned with difflib
        self.aligned_work = 0  # the sum of len(a) * len(b) of those alignments

    @staticmethod
    def _add(index: dict[Any, list[Any]], key: Any, value: Any) -> None:
        bucket = index.setdefault(key, [])
        if len(bucket) < MAX_CANDIDATES:
            bucket.append(value)

    def add(self, position: int, paragraph: _Paragraph) -> None:
        tokens = paragraph.words
        self.first_seen.setdefault(tokens, position)
        for end in _ends(paragraph):
            bucket = self.by_end.setdefault(end, [])
            bucket.append(position)
            if len(bucket) > MAX_CANDIDATES:  # the latest ones: a repeat follows its model
                del bucket[0]
        if len(tokens) >= TEASER_MIN_WORDS:
            self._add(self.by_opening, tokens[: TEASER_MIN_WORDS - 1], position)
        # Every sequence of the paragraph is hashed, in C (zip, map), and only those that
        # open a paragraph, a few, are indexed in Python: indexing each sequence in a
        # loop of Python took 0.75 ms a page on the shared pages, this 0.3.
        # (The sequences end with the shortest of the shifted copies, the last one.)
        sequences = zip(*[tokens[at:] for at in range(CONTAINED_MIN_WORDS)], strict=False)
        looked_up = map(self.openings.__contains__, map(hash, sequences))
        by_sequence = self.by_sequence  # _add inlined
        for start in compress(count(), looked_up):
            places = by_sequence.setdefault(hash(tokens[start : start + CONTAINED_MIN_WORDS]), [])
            if len(places) < MAX_CANDIDATES:
                places.append((position, start))

    def similar(self, paragraph: _Paragraph) -> list[int]:
        """Earlier paragraphs that open or close with the same three words: a trivial
        edit leaves one end alone."""
        found = {other for end in _ends(paragraph) for other in self.by_end.get(end, ())}
        return sorted(found)


def _ends(paragraph: _Paragraph) -> set[tuple[str, ...]]:
    return {("^", *paragraph.words[:3]), ("$", *paragraph.words[-3:])}


def _classify(position: int, prepared: Sequence[_Paragraph], earlier: _Earlier) -> str | None:
    """Say which earlier paragraph this one repeats, if any."""
    current = prepared[position]
    tokens = current.words
    if not tokens:
        return None
    if earlier.first_seen.get(tokens, position) < position:
        return REPEATED
    stem = current.teaser_stem
    if stem is not None and len(stem) >= TEASER_MIN_WORDS:
        for other in earlier.by_opening.get(stem[: TEASER_MIN_WORDS - 1], ()):
            earlier.comparisons += 1
            if _is_teaser_of(current, prepared[other]):
                return TEASER
    if _looks_up_contained(current):
        for other, start in earlier.by_sequence.get(hash(tokens[:CONTAINED_MIN_WORDS]), ()):
            earlier.comparisons += 1
            if _is_inside(current, prepared[other].words, start):
                return CONTAINED
    if len(tokens) <= NEAR_IDENTICAL_MAX_WORDS:
        for other in earlier.similar(current):
            earlier.comparisons += 1
            if len(prepared[other].words) <= NEAR_IDENTICAL_MAX_WORDS and _is_near_identical(
                current, prepared[other], earlier
            ):
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
    return find_repeats_counted(texts)[0]


def find_repeats_counted(texts: Sequence[str]) -> tuple[dict[int, str], int]:
    """`find_repeats`, and how many candidate pairs of paragraphs it compared."""
    prepared = [_prepare(text) for text in texts]
    earlier = _Earlier(_openings(prepared))
    candidates: dict[int, str] = {}
    for position, paragraph in enumerate(prepared):
        if rule := _classify(position, prepared, earlier):
            candidates[position] = rule
        earlier.add(position, paragraph)
    occurrences = Counter(paragraph.words for paragraph in prepared)
    first_at: dict[tuple[str, ...], int] = {}
    for position, paragraph in enumerate(prepared):
        first_at.setdefault(paragraph.words, position)
    # The last paragraph that repeats nothing: what follows it only repeats the text.
    last_text = max((i for i in range(len(prepared)) if i not in candidates), default=-1)
    drops: dict[int, str] = {}
    for run in _runs(sorted(candidates)):
        sizes = [prepared[index].size for index in run]
        prose_block = len(run) >= 2 and sum(sizes) >= RUN_MIN_MEAN_WORDS * len(run)
        for index, size in zip(run, sizes, strict=True):
            rule = candidates[index]
            original = first_at[prepared[index].words]
            follows = index - original == 1
            closing = (original < LEDE_PARAGRAPHS and index > last_text) or (
                original == 0 and index >= len(prepared) - LEDE_PARAGRAPHS
            )
            lone_long_copy = (
                size >= LONG_REPEAT_MIN_WORDS
                and occurrences[prepared[index].words] == 2
                and (follows or closing)
            )
            # A paragraph found inside an earlier one that the page also prints
            # again as a paragraph of its own is a recurring line (a listing's
            # details under each entry), not a pull quote: its exact copies are
            # judged as repeats, and it stands or falls with them. On the dev sets
            # this keeps one line of an 18-entry listing whose copies stayed (that
            # fundus page's recall 0.989 -> 0.993) and, on trafilatura's set, the
            # first of a result table's recurring rows and a timeline's recurring
            # entry; no other output changes.
            copies = occurrences[prepared[index].words]
            recurring = rule == CONTAINED and copies >= RECURRING_MIN_COPIES
            # The end of a sentence the paragraph before left open (a list's items,
            # then the verb they share: "... か、" / "or," / "such as:") is that
            # sentence's, not a pull quote, which stands between whole paragraphs.
            # On the aeb set a legal explainer's closing clause, found in an
            # earlier sentence, went as contained.
            continued = rule == CONTAINED and index > 0 and texts[index - 1].rstrip()[-1:] in _OPEN
            if (
                (rule != REPEATED and not recurring and not continued)
                or prose_block
                or lone_long_copy
            ):
                drops[index] = rule
    return drops, earlier.comparisons
