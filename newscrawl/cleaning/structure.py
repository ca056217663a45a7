"""Rules that use the page's structure, not only its text: which words were links.

Plain text loses what makes a teaser list obvious: every line of it is a link.
Extraction hands over the page's anchor texts; a run of paragraphs that are each
mostly link text is a list of teasers (related stories, "most read"), not prose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from newscrawl.cleaning.normalize import words

__all__ = ["LINK_DENSE_MIN_SHARE", "anchor_keys", "find_link_lists", "link_share"]

# A paragraph is link-dense when anchor texts cover this share of its words. Tuned
# on the shared dev sets: 0.6 to 0.8 drop the same 27 aeb and 3 fundus teaser lines
# and no ground-truth line; 0.5 starts to drop captions containing a link.
LINK_DENSE_MIN_SHARE = 0.7
# Anchors shorter than this ("Home", "More") are everywhere and say nothing.
MIN_ANCHOR_WORDS = 2


def anchor_keys(anchor_texts: Iterable[str]) -> frozenset[str]:
    """Word keys (" w1 w2 ") of anchor texts long enough to be meaningful."""
    keys = set()
    for text in anchor_texts:
        tokens = words(text)
        if len(tokens) >= MIN_ANCHOR_WORDS:
            keys.add(" " + " ".join(tokens) + " ")
    return frozenset(keys)


def link_share(paragraph: str, anchors: frozenset[str]) -> float:
    """The share of `paragraph`'s words that lie inside anchor texts."""
    tokens = words(paragraph)
    if not tokens or not anchors:
        return 0.0
    key = " " + " ".join(tokens) + " "
    covered = sum(len(anchor.split()) for anchor in anchors if anchor in key)
    return min(1.0, covered / len(tokens))


def find_link_lists(paragraphs: Sequence[str], anchors: frozenset[str]) -> set[int]:
    """Indices of link-dense paragraphs that stand next to another link-dense one.

    A lone linked paragraph may be a legitimate pointer in the text; two or more
    in a row are a list of teasers.
    """
    dense = [link_share(p, anchors) >= LINK_DENSE_MIN_SHARE for p in paragraphs]
    return {
        index
        for index, is_dense in enumerate(dense)
        if is_dense
        and ((index > 0 and dense[index - 1]) or (index + 1 < len(dense) and dense[index + 1]))
    }
