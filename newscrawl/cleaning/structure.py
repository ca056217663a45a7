"""Rules that use the page's structure, not only its text: which words were links.

Plain text loses what makes a teaser list obvious: every line of it is a link.
Extraction hands over the page's anchor texts; a run of paragraphs that are each
mostly link text is a list of teasers (related stories, "most read"), not prose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from newscrawl.cleaning.normalize import word_count, words

__all__ = ["LINK_DENSE_MIN_SHARE", "anchor_keys", "find_link_lists", "link_share"]

# A paragraph is link-dense when anchor texts cover this share of its words. Tuned
# on the shared dev sets: 0.6 to 0.8 drop the same 27 aeb and 3 fundus teaser lines
# and no ground-truth line; 0.5 starts to drop captions containing a link.
LINK_DENSE_MIN_SHARE = 0.7
# Anchors shorter than this ("Home", "More") are everywhere and say nothing.
MIN_ANCHOR_WORDS = 2
# A list item opening with a linked headline this long is a teaser ("- Coach fired
# by club <summary>"). On the aeb dev set, runs of such items dropped 16 lines, none
# from the ground truth.
TEASER_HEADLINE_MIN_WORDS = 3
# A lone paragraph is a teaser when links cover this share of it and it has this
# many words. On the dev sets: aeb F1 +0.002 (16 lines dropped, 5 of them in the
# ground truth: product names and "click for results" links), fundus +0.0016 (7, 0).
WHOLLY_LINKED_SHARE = 0.95
WHOLLY_LINKED_MIN_WORDS = 5
# A short paragraph between two linked titles is the first one's summary.
SUMMARY_MAX_WORDS = 35
# How trafilatura's text output marks list items.
_LIST_MARKS = ("- ", "• ", "* ")


def anchor_keys(anchor_texts: Iterable[str]) -> frozenset[str]:
    """Word keys (" w1 w2 ") of anchor texts long enough to be meaningful."""
    keys = set()
    for text in anchor_texts:
        tokens = words(text)
        if len(tokens) >= MIN_ANCHOR_WORDS:
            keys.add(" " + " ".join(tokens) + " ")
    return frozenset(keys)


def _occurrences(anchor: str, key: str) -> int:
    # Anchors and keys are " w1 w2 ": two occurrences in a row share a space, which
    # str.count would not see, hence counting by start positions.
    count = start = 0
    while (found := key.find(anchor, start)) != -1:
        count += 1
        start = found + len(anchor) - 1
    return count


def link_share(paragraph: str, anchors: frozenset[str]) -> float:
    """The share of `paragraph`'s words that lie inside anchor texts."""
    tokens = words(paragraph)
    if not tokens or not anchors:
        return 0.0
    key = " " + " ".join(tokens) + " "
    # Count every occurrence: a heading may print its linked title twice.
    covered = sum(
        _occurrences(anchor, key) * len(anchor.split()) for anchor in anchors if anchor in key
    )
    return min(1.0, covered / len(tokens))


def _is_teaser_item(paragraph: str, anchors: frozenset[str]) -> bool:
    """A list item that opens with a linked headline: "- <linked title> <summary>"."""
    if not paragraph.startswith(_LIST_MARKS):
        return False
    key = " " + " ".join(words(paragraph)) + " "
    return any(
        key.startswith(anchor) and len(anchor.split()) >= TEASER_HEADLINE_MIN_WORDS
        for anchor in anchors
    )


# Why a paragraph is part of a teaser list (the detail of a link_list drop).
LINKED = "linked"  # link-dense, or a list item opening with a linked headline, in a run
SUMMARY = "summary"  # a short paragraph between linked titles
WHOLLY_LINKED = "wholly_linked"  # entirely a link, alone


def find_link_lists(paragraphs: Sequence[str], anchors: frozenset[str]) -> dict[int, str]:
    """Indices of teaser paragraphs, with why: lists of teasers, and wholly linked
    headlines.

    A teaser paragraph is link-dense, or a list item opening with a linked
    headline. A lone one may be a legitimate pointer in the text; two or more in
    a row (with their short summaries between them) are a list of teasers. A
    paragraph that is entirely a link of five or more words is a teaser alone.
    """
    shares = [link_share(p, anchors) for p in paragraphs]
    dense = [
        share >= LINK_DENSE_MIN_SHARE or _is_teaser_item(p, anchors)
        for p, share in zip(paragraphs, shares, strict=True)
    ]
    count = len(paragraphs)

    def is_dense(index: int) -> bool:
        return 0 <= index < count and dense[index]

    def is_summary(index: int) -> bool:
        return (
            0 <= index < count
            and not dense[index]
            and word_count(paragraphs[index]) <= SUMMARY_MAX_WORDS
        )

    # "Linked title, short summary, linked title, short summary": the summaries
    # belong to the teaser list too.
    teaser = list(dense)
    for index in range(count):
        if is_summary(index) and is_dense(index - 1):
            follows_pattern = is_dense(index + 1) or (is_summary(index - 2) and is_dense(index - 3))
            teaser[index] = follows_pattern
    drops: dict[int, str] = {}
    index = 0
    while index < count:
        end = index
        while end < count and teaser[end]:
            end += 1
        if sum(dense[index:end]) >= 2:
            drops.update((i, LINKED if dense[i] else SUMMARY) for i in range(index, end))
        index = max(end, index + 1)
    # A paragraph that is nothing but a link, and long enough to be a headline, is a
    # teaser even on its own.
    for index, share in enumerate(shares):
        if (
            index not in drops
            and share >= WHOLLY_LINKED_SHARE
            and word_count(paragraphs[index]) >= WHOLLY_LINKED_MIN_WORDS
        ):
            drops[index] = WHOLLY_LINKED
    return drops
