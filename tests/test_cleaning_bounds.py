"""Cleaning is near-linear in the number of paragraphs, and every step is bounded.

The checks count work (CleaningResult.comparisons: link-text trie steps and
paragraph pairs compared), not seconds: the machines the tests run on are shared.
"""

from __future__ import annotations

import random
import time

from newscrawl.cleaning import TextCleaner
from newscrawl.cleaning.cleaner import MAX_PARAGRAPHS
from newscrawl.cleaning.repeats import (
    ALIGNMENT_WORK,
    MAX_CANDIDATES,
    _classify,
    _Earlier,
    _openings,
    _prepare,
)
from newscrawl.cleaning.structure import MAX_ANCHOR_WORDS, MAX_ANCHORS, AnchorIndex, link_share

# Per paragraph, the repeat rules compare it with at most this many others: the
# near-identical candidates of its two ends, the teaser and the contained candidates.
PAIRS_PER_PARAGRAPH = 4 * MAX_CANDIDATES


def _words_of(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def test_a_page_of_50000_short_paragraphs_is_cut_at_the_limit_and_counted():
    paragraphs = [f"Berth {n} is free on the north quay." for n in range(50_000)]
    result = TextCleaner().clean(paragraphs)
    assert result.paragraphs == paragraphs[:MAX_PARAGRAPHS]
    assert result.counts() == {"paragraph_limit": 50_000 - MAX_PARAGRAPHS}
    assert result.dropped[0].index == MAX_PARAGRAPHS
    assert result.comparisons <= PAIRS_PER_PARAGRAPH * MAX_PARAGRAPHS


def test_paragraphs_sharing_their_first_and_last_words_cost_linear_work():
    # Every paragraph opens and closes like every other, so each is a near-identical
    # candidate of all before it; the numbers make them different paragraphs.
    paragraphs = [
        f"The harbour master said that {n} boats and {n + 1} dinghies came in on the tide "
        "before the storm, as the log shows."
        for n in range(4000)
    ]
    repeated = paragraphs[10]  # printed again right after (a lone copy farther off is kept)
    result = TextCleaner().clean([*paragraphs[:11], repeated, *paragraphs[11:]])
    assert result.paragraphs == paragraphs  # the repeat of a long paragraph goes
    assert result.counts() == {"repeated": 1}
    assert result.comparisons <= PAIRS_PER_PARAGRAPH * len(paragraphs)


def test_many_teasers_and_contained_lines_cost_linear_work():
    story = (
        "The harbour board met on Thursday and voted to rebuild the north quay wall "
        "before the winter storms at a cost of two million pounds from the reserve"
    )
    # Thousands of paragraphs open like the story and hold its words: each is a
    # teaser and a contained candidate of every teaser and quote that follows.
    other = [
        f"The harbour board met on day {n} and voted to rebuild the north quay wall "
        f"before the winter storms, said the keeper of berth {n}."
        for n in range(3000)
    ]
    tokens = story.split()
    teasers = [" ".join(tokens[:cut]) + "…" for cut in range(4, len(tokens))]
    quotes = [" ".join(tokens[start : start + size]) for start in range(1, 12) for size in (8, 9)]
    paragraphs = [story, *other, *teasers, *quotes]
    result = TextCleaner().clean(paragraphs)
    assert result.paragraphs == [story, *other]
    assert result.counts() == {"teaser": len(teasers), "contained": len(quotes)}
    assert result.comparisons <= PAIRS_PER_PARAGRAPH * len(paragraphs)


def test_link_texts_are_found_in_bounded_steps_however_many_the_page_has():
    # 300,000 link texts sharing their first words, and paragraphs made of those words.
    anchors = [f"harbour news story number {n}" for n in range(300_000)]
    index = AnchorIndex.build(anchors)
    assert index.count == MAX_ANCHORS and index.skipped == 300_000 - MAX_ANCHORS
    paragraphs = ["harbour news story number 7 harbour news story number 8 and more"] * 2000
    shares = [link_share(p, index) for p in paragraphs]
    assert shares[0] == 10 / 12
    assert index.steps <= MAX_ANCHOR_WORDS * _words_of(paragraphs)
    # A link text longer than the bound is not read as one (and is counted).
    long = AnchorIndex.build([" ".join(["tide"] * (MAX_ANCHOR_WORDS + 1))])
    assert long.count == 0 and long.skipped == 1


def test_the_cleaner_s_work_on_a_page_with_many_links_is_bounded_by_its_words():
    anchors = [f"harbour news story number {n}" for n in range(300_000)]
    # A long report (teasers that would be most of a page's words are its text),
    # then the linked headlines of 3,000 stories: a teaser list.
    report = [
        f"Paragraph {n} of the harbour board's report on the north quay sets out what the"
        f" repairs will cost, who will pay and when the work starts, section {n} of it."
        for n in range(1000)
    ]
    teasers = [f"harbour news story number {n} today" for n in range(3000)]
    paragraphs = report + teasers
    result = TextCleaner().clean(paragraphs, anchor_texts=anchors)
    assert result.counts() == {"link_list": len(teasers)}
    assert result.comparisons <= (
        MAX_ANCHOR_WORDS * _words_of(paragraphs) + PAIRS_PER_PARAGRAPH * len(paragraphs)
    )


def test_paragraphs_of_the_same_words_in_other_orders_cost_bounded_work():
    # They pass every cheap test of near-identity, so only difflib could tell them
    # apart: a page gets MAX_ALIGNMENTS of those, the rest are taken as different.
    words = [
        "the",
        "harbour",
        "master",
        "said",
        "that",
        "boats",
        "and",
        "dinghies",
        "came",
        "in",
        "on",
        "the",
        "tide",
        "before",
    ]
    paragraphs = [
        " ".join(words[n % len(words) :] + words[: n % len(words)]) + f" storm {'x' * (n % 7)}"
        for n in range(3000)
    ]
    paragraphs = list(dict.fromkeys(paragraphs))  # distinct paragraphs only
    result = TextCleaner().clean(paragraphs)
    assert result.paragraphs == paragraphs
    assert result.comparisons <= PAIRS_PER_PARAGRAPH * len(paragraphs)


def test_long_paragraphs_of_few_distinct_words_cost_bounded_alignment_work():
    # A roll call: long paragraphs drawn from three words pass every cheap test of
    # near-identity, and difflib's alignment of two of them is quadratic and worse.
    # 22 paragraphs of 1,950 such words took 74 s of CPU to clean when only the
    # number of alignments was bounded.
    votes = ("aye", "no", "abstain")

    def roll_call(n: int) -> str:
        rng = random.Random(n)
        return " ".join(
            ["The", "roll", "call", "read", *rng.choices(votes, k=1950), "and", "so", "it", "ended"]
        )

    paragraphs = [roll_call(n) for n in range(22)]
    started = time.process_time()
    result = TextCleaner().clean(paragraphs)
    cpu = time.process_time() - started
    assert result.paragraphs == paragraphs
    prepared = [_prepare(p) for p in paragraphs]
    earlier = _Earlier(_openings(prepared))
    for position, paragraph in enumerate(prepared):
        _classify(position, prepared, earlier)
        earlier.add(position, paragraph)
    assert earlier.aligned_work <= ALIGNMENT_WORK
    # Work, not seconds, is the bound; the CPU figure is a guard with a wide margin
    # (0.06 s here, 61 s before).
    assert cpu < 5
