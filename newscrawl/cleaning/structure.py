"""Rules that use the page's structure, not only its text: which words were links.

Plain text loses what makes a teaser list obvious: every line of it is a link.
Extraction hands over the page's anchor texts; a run of paragraphs that are each
mostly link text is a list of teasers (related stories, "most read"), not prose.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from newscrawl.cleaning.normalize import word_count, words

__all__ = [
    "LINK_DENSE_MIN_SHARE",
    "LINK_LISTS_MAX_SHARE",
    "MAX_ANCHORS",
    "MAX_ANCHOR_WORDS",
    "AnchorIndex",
    "find_link_lists",
    "link_share",
]

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
# Teaser lists are kept when they would take more than this share of a page's
# words: then they are its text. On the dev sets the most they take is 0.37 of a
# page (trafilatura-eval; aeb 0.26, fundus 0.16); a listicle whose ten items link
# to their own pages lost two thirds of its text.
LINK_LISTS_MAX_SHARE = 0.5
# A short paragraph between two linked titles is the first one's summary.
SUMMARY_MAX_WORDS = 35
# A table whose rows are all link-dense, this many or more, is a list of teasers
# set as a table (linked headline | date), not data. On trafilatura's set the
# tables kept as data have an unlinked row or a header (a download table's two
# linked rows under one: a wanted snippet).
TEASER_TABLE_MIN_ROWS = 2
# How trafilatura's text output marks list items.
_LIST_MARKS = ("- ", "• ", "* ")


# Bounds, so that a hostile page costs time in proportion to its words. On the
# shared pages a page's text holds at most 58 distinct link texts, the longest 49
# words: these are far above anything real.
MAX_ANCHORS = 5000  # link texts indexed per page; more are not read
MAX_ANCHOR_WORDS = 100  # a longer link text is not read as one

_END = ""  # a trie node's key for "a link text ends here" (no word is empty)


@dataclass
class AnchorIndex:
    """A page's link texts as a trie of words, so that finding every link text in a
    paragraph costs at most MAX_ANCHOR_WORDS steps per word of the paragraph,
    however many link texts the page has (looping over all of them for every
    paragraph made the cost links x paragraphs). `steps` counts the trie steps
    taken: the work done, which tests bound."""

    root: dict[str, Any] = field(default_factory=dict)
    count: int = 0  # link texts indexed
    skipped: int = 0  # link texts not indexed: past MAX_ANCHORS, or too long
    steps: int = 0

    @classmethod
    def build(cls, anchor_texts: Iterable[str]) -> AnchorIndex:
        """The index of the link texts of MIN_ANCHOR_WORDS to MAX_ANCHOR_WORDS words."""
        index = cls()
        for text in anchor_texts:
            tokens = words(text)
            if len(tokens) < MIN_ANCHOR_WORDS:
                continue
            if len(tokens) > MAX_ANCHOR_WORDS or index.count >= MAX_ANCHORS:
                index.skipped += 1
                continue
            node = index.root
            for token in tokens:
                node = node.setdefault(token, {})
            if _END not in node:
                node[_END] = index.count
                index.count += 1
        return index

    def __bool__(self) -> bool:
        return self.count > 0

    def starting_at(self, tokens: Sequence[str], start: int) -> Iterator[tuple[int, int]]:
        """(link text id, its length in words) of every link text that `tokens`
        holds from `start` on, shortest first."""
        node = self.root
        for position in range(start, min(len(tokens), start + MAX_ANCHOR_WORDS)):
            self.steps += 1
            child = node.get(tokens[position])
            if child is None:
                return
            node = child
            if _END in node:
                yield node[_END], position - start + 1


def link_share(paragraph: str, anchors: AnchorIndex) -> float:
    """The share of `paragraph`'s words that lie inside anchor texts (each link text
    counted at every place it occurs, without overlapping itself: a heading may print
    its linked title twice)."""
    tokens = words(paragraph)
    if not tokens or not anchors:
        return 0.0
    free_from: dict[int, int] = {}  # link text id -> where its next occurrence may start
    covered = 0
    openings = anchors.root  # most words open no link text: skip them without a generator
    for start, token in enumerate(tokens):
        if token not in openings:
            continue
        for anchor, length in anchors.starting_at(tokens, start):
            if start >= free_from.get(anchor, 0):
                covered += length
                free_from[anchor] = start + length
    return min(1.0, covered / len(tokens))


def _is_teaser_item(paragraph: str, anchors: AnchorIndex) -> bool:
    """A list item that opens with a linked headline: "- <linked title> <summary>"."""
    if not paragraph.startswith(_LIST_MARKS):
        return False
    tokens = words(paragraph)
    return any(length >= TEASER_HEADLINE_MIN_WORDS for _, length in anchors.starting_at(tokens, 0))


def _is_table_row(paragraph: str) -> bool:
    """A row of a table, as trafilatura prints it: "| cell | cell |".

    A table's rows are its records, not teasers: a row whose first cell links to
    the thing it describes (a product tested, a download, a player) is mostly link
    text, and a row without such a link between two linked ones looked like a
    teaser's summary. Rows are no part of a run of teasers (a row that is wholly
    one link still goes as such), unless every row of their table is linked
    (_data_rows). On the dev sets this keeps a product test's
    results table and a download table's row (trafilatura's set +1 wanted
    snippet, F1 0.9363 -> 0.9365); no other output changes."""
    stripped = paragraph.strip()
    return len(stripped) > 1 and stripped.startswith("|") and stripped.endswith("|")


def _data_rows(rows: Sequence[bool], dense: Sequence[bool]) -> list[bool]:
    """Which paragraphs are rows of a table of data: every table's rows (a run of
    table rows) but those of a table of teasers, whose rows are all link-dense and
    two or more: "| <linked headline> | <date> |", a related-stories box set as a
    table, which link_list dropped before rows were exempted and must still drop.
    A table with a header row or an unlinked row (a results table, a download
    table) is data."""
    data = list(rows)
    start = 0
    while start < len(rows):
        if not rows[start]:
            start += 1
            continue
        end = start
        while end < len(rows) and rows[end]:
            end += 1
        if end - start >= TEASER_TABLE_MIN_ROWS and all(dense[start:end]):
            data[start:end] = [False] * (end - start)
        start = end
    return data


# Why a paragraph is part of a teaser list (the detail of a link_list drop).
LINKED = "linked"  # link-dense, or a list item opening with a linked headline, in a run
SUMMARY = "summary"  # a short paragraph between linked titles
WHOLLY_LINKED = "wholly_linked"  # entirely a link, alone


def find_link_lists(paragraphs: Sequence[str], anchors: AnchorIndex) -> dict[int, str]:
    """Indices of teaser paragraphs, with why: lists of teasers, and wholly linked
    headlines.

    A teaser paragraph is link-dense, or a list item opening with a linked
    headline. A lone one may be a legitimate pointer in the text; two or more in
    a row (with their short summaries between them) are a list of teasers. A
    paragraph that is entirely a link of five or more words is a teaser alone.
    """
    shares = [link_share(p, anchors) for p in paragraphs]
    linked = [
        share >= LINK_DENSE_MIN_SHARE or _is_teaser_item(p, anchors)
        for p, share in zip(paragraphs, shares, strict=True)
    ]
    rows = _data_rows([_is_table_row(p) for p in paragraphs], linked)
    dense = [link and not row for link, row in zip(linked, rows, strict=True)]
    count = len(paragraphs)
    # Paragraphs' lengths, each counted once and only when a test needs it: most
    # paragraphs stand far from any link, and a page without teasers needs none
    # (find_link_lists on the shared pages: 0.57 ms a page counting every
    # paragraph up to four times, 0.35 counting each once, 0.15 so).
    sizes: dict[int, int] = {}

    def size(index: int) -> int:
        if index not in sizes:
            sizes[index] = word_count(paragraphs[index])
        return sizes[index]

    def is_dense(index: int) -> bool:
        return 0 <= index < count and dense[index]

    def is_summary(index: int) -> bool:
        return (
            0 <= index < count
            and not dense[index]
            and not rows[index]
            and size(index) <= SUMMARY_MAX_WORDS
        )

    # "Linked title, short summary, linked title, short summary": the summaries
    # belong to the teaser list too.
    teaser = list(dense)
    for index in range(count):
        if is_dense(index - 1) and is_summary(index):
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
            and size(index) >= WHOLLY_LINKED_MIN_WORDS
        ):
            drops[index] = WHOLLY_LINKED
    # Teasers are what surrounds an article; when they would be most of its text,
    # the linked items are the article (a listicle, a round-up, a gift guide whose
    # items link to their own pages).
    if drops and sum(map(size, drops)) > LINK_LISTS_MAX_SHARE * sum(map(size, range(count))):
        return {}
    return drops
