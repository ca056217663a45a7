"""Routes to more of the article when trafilatura's text is a small part of it.

trafilatura sometimes returns a fraction of the article: a magazine feature
whose body the page splits into several containers (it keeps the first), a page
where it finds almost nothing, a page whose body only its JSON-LD holds in full,
a live blog whose posts' headings and some posts it lost.
Cleaning cannot bring text back, so extraction notices these cases here, from
the page's own structure, and takes the better route. Each route is taken only
when its text is clearly larger and (where both exist) holds what trafilatura
found; every threshold was chosen on the three dev sets and none of the routes
lowers a set (see the constants).

Works on lxml trees, returns plain strings.
"""

from __future__ import annotations

import copy
import html
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from newscrawl.cleaning.normalize import words
from newscrawl.jsonld import json_ld_documents, json_values
from newscrawl.pagetags import below, inner_text
from newscrawl.readings import DEFAULT_ROUTE

__all__ = [
    "DEFAULT",
    "JSON_LD",
    "LIVE_BLOG",
    "RECALL",
    "SPLIT_BODY",
    "json_ld_body",
    "live_blog_posts",
    "live_blog_text",
    "split_body_text",
    "take_better_route",
]

# Which route gave an extraction's text.
DEFAULT = DEFAULT_ROUTE
RECALL = "recall"  # trafilatura again, in its recall mode
SPLIT_BODY = "split_body"  # the other parts of a body split into several containers
JSON_LD = "json_ld"  # the page's JSON-LD articleBody
LIVE_BLOG = "live_blog"  # a live blog's lead, then the posts its JSON-LD lists

# Under this many words trafilatura has found next to nothing (such a page would
# be dropped as too short), and its recall mode is tried. On the dev sets: one
# page (10 words) became a 254-word article with its three wanted snippets; no
# other page is concerned.
RECALL_RETRY_MAX_WORDS = 15

# A split body: the paragraphs trafilatura kept sit in one container, and
# containers of the same tag and class hold the rest of the article. A paragraph
# is matched from this many words (shorter lines recur too easily).
SPLIT_BODY_MATCH_MIN_WORDS = 8
# The container must hold at least this many of the paragraphs kept: with one,
# it is as likely a box beside the article.
SPLIT_BODY_MIN_MATCHED = 2
# More containers alike than this (with paragraphs in them) are a page builder's
# generic blocks, teasers or comments, not the parts of one body. On the dev sets
# the bodies split this way had 2 to 13 parts; the false cases 23 to 107.
SPLIT_BODY_MAX_PARTS = 16
# A container alike inside one of these landmarks, where the article's own
# container is not, is page furniture using the body's class (a publisher's blurb
# in the footer, a sidebar's box), not a part of the body. On the dev sets: one
# page took its footer's company blurb (1 unwanted snippet of trafilatura's set);
# the only other page with such a part loses its footer's line about the
# publisher (no judged snippet). No other output changes on the three sets. A
# page whose whole body sits in an <aside> keeps its parts, and an <aside> between
# two parts of the body is the story's own box (_without_furniture).
SPLIT_BODY_FURNITURE = frozenset({"footer", "aside", "nav"})
# The text of all the parts is taken when it has this many times the words of
# the text it replaces and holds this share of that text's word shingles. On the
# dev sets: aeb recall +0.004 (a 619-word text of a 1,378-word feature became
# 1,372 words), trafilatura's set +9 wanted snippets against +2 unwanted.
SPLIT_BODY_MIN_GAIN = 1.2
MIN_KEPT_SHARE = 0.9

# The page's JSON-LD articleBody is taken when it has this many times the words
# of the text found. Measured on the dev sets: a page where trafilatura found 26
# words of a 726-word body (+3 wanted snippets); a 812-word text of a 1,968-word
# body; no other page has a body that much longer. (A live blog's posts, its
# liveBlogUpdate, are not an articleBody: see LIVE_POST_MIN_SHARE.)
JSON_LD_MIN_GAIN = 2.0

# A live blog's JSON-LD may list its posts (liveBlogUpdate: each a headline and an
# articleBody). trafilatura can lose the posts' headings and some whole posts of
# such a page (one post a box of its own: its fast mode found the lead alone, its
# fallback the posts without their headings). The text found up to the first
# paragraph the posts hold (the blog's lead), then the posts, replace that text
# when they hold MIN_KEPT_SHARE of it and have more words. Many pages list only
# their latest posts: such a list holds less of the text, and nothing changes
# (the dev sets' ground truth keeps either a live blog's lead alone or all its
# posts; the text keeps what it found). On the dev sets: one live blog of 48
# posts, whose text had lost 560 words of its 5,423, gains them (recall on the
# page 0.873 to 0.998, precision 0.973 to 0.994: fundus F1 +0.0013); three that
# list 10 to 26 of their posts keep their text.
#
# A paragraph of the text found is one of the posts when this share of its word
# shingles is in them.
LIVE_POST_MIN_SHARE = 0.5
# Posts of more words than this are not read: their shingles would take a worker's
# memory (some 200 bytes a word), and a day-long live blog of 500 posts has some
# 50,000 words.
LIVE_POSTS_MAX_WORDS = 200_000

_SHINGLE = 4
_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|h[1-6]|li|div|blockquote)>")
# A tag holds no "<": with "<[^>]+>" a body of many "<" after its last ">" cost quadratic
# time (40,000 of them took 1.3 s of CPU, a million would outlast the page limit).
_TAG = re.compile(r"<[^<>]+>")


def _shingles(text: str) -> set[tuple[str, ...]]:
    return _token_shingles(words(text))


def _token_shingles(tokens: Sequence[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + _SHINGLE]) for i in range(max(len(tokens) - _SHINGLE + 1, 1))}


def _holds(text: str, candidate: str) -> bool:
    """True if `candidate` holds at least MIN_KEPT_SHARE of `text`'s shingles."""
    kept = _shingles(text)
    return not kept or len(kept & _shingles(candidate)) >= MIN_KEPT_SHARE * len(kept)


def _word_count(text: str) -> int:
    return len(words(text))


def _recall_text(tree: etree._Element, url: str | None) -> str:
    document = trafilatura.bare_extraction(tree, url=url, include_comments=False, favor_recall=True)
    return (document.text or "") if isinstance(document, Document) else ""


def _paragraph_key(element: etree._Element) -> str:
    return " ".join(words(inner_text(element)))


def split_body_text(tree: etree._Element, text: str, min_words: float = 0) -> str | None:
    """The text of every part of a body split into containers alike, or None when
    the paragraphs of `text` do not sit in such a split body, or when its parts
    hold fewer than `min_words` words."""
    kept = {
        " ".join(tokens)
        for line in text.split("\n")
        if len(tokens := words(line)) >= SPLIT_BODY_MATCH_MIN_WORDS
    }
    if not kept:
        return None
    holders: Counter[etree._Element] = Counter()
    for paragraph in below(tree, "p"):
        parent = paragraph.getparent()
        if parent is not None and _paragraph_key(paragraph) in kept:
            holders[parent] += 1
    if not holders:
        return None
    container, matched = holders.most_common(1)[0]
    kind = container.get("class")
    if matched < SPLIT_BODY_MIN_MATCHED or not kind:
        return None
    parts = [
        element
        for element in tree.iter(container.tag)
        # (".//p": a <p> below it, found without ElementPath)
        if element.get("class") == kind and next(element.iterdescendants("p"), None) is not None
    ]
    # A part inside another part is already in it.
    inside = set(parts)
    parts = [part for part in parts if not any(a in inside for a in part.iterancestors())]
    # Counted before the furniture goes: containers alike in the footer too are
    # more evidence of a page builder's generic blocks, not less.
    if len(parts) > SPLIT_BODY_MAX_PARTS:
        return None
    parts = _without_furniture(parts, container)
    if len(parts) < 2 or _has_fewer_words(parts, min_words):
        return None
    document = lxml.html.fromstring("<html><body><article></article></body></html>")
    article = document.find(".//article")
    for part in parts:
        article.append(copy.deepcopy(part))
    extracted = trafilatura.bare_extraction(document, include_comments=False)
    return (extracted.text or "") if isinstance(extracted, Document) else None


def _without_furniture(
    parts: list[etree._Element], container: etree._Element
) -> list[etree._Element]:
    """`parts` (in the page's order) but those in a footer, aside or nav that
    `container` is not in. An <aside> between two kept parts stays: inside the
    article's flow it is the story's own box (key facts, a timeline), where a
    sidebar's box comes before or after the story."""
    own = set(_furniture_landmarks(container))
    foreign = [
        [landmark for landmark in _furniture_landmarks(part) if landmark not in own]
        for part in parts
    ]
    kept = [index for index, landmarks in enumerate(foreign) if not landmarks]
    if not kept:
        return []
    first, last = kept[0], kept[-1]
    return [
        part
        for index, (part, landmarks) in enumerate(zip(parts, foreign, strict=True))
        if not landmarks
        or (first < index < last and all(landmark.tag == "aside" for landmark in landmarks))
    ]


def _furniture_landmarks(element: etree._Element) -> list[etree._Element]:
    """The footer, aside and nav elements `element` sits in."""
    return [a for a in element.iterancestors() if a.tag in SPLIT_BODY_FURNITURE]


def _has_fewer_words(parts: list[etree._Element], count: float) -> bool:
    """True if `parts` (their tails too) hold fewer than `count` words, and so does
    trafilatura's text of them: each word of it is a word of theirs, or several
    joined (they are counted split at every element). On the dev pages this spares
    134 of the 169 extractions of parts whose text was then too short to be taken
    (6 ms each, 0.7 ms a page); none of the 169 texts had more words than counted."""
    total = 0
    for part in parts:
        if total >= count:
            return False
        total += len(words(" ".join(part.itertext()))) + len(words(part.tail or ""))
    return total < count


def _body_text(body: str) -> str:
    """An articleBody as paragraphs of plain text: some pages put HTML in it, some
    escape that HTML once more."""
    text = html.unescape(body)
    if "<" in text and ">" in text:
        text = html.unescape(_TAG.sub(" ", _BLOCK_END.sub("\n", text)))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def json_ld_body(tree: etree._Element, documents: list[Any] | None = None) -> str:
    """The longest articleBody the page's JSON-LD (`documents`, read from `tree` when
    not given) gives, as plain text ("" if none). The bodies of a live blog's posts
    are not the article's (live_blog_text reads them)."""
    bodies = [
        _body_text(body)
        for document in (json_ld_documents(tree) if documents is None else documents)
        for body in json_values(document, "articleBody", skip="liveBlogUpdate")
        if isinstance(body, str)
    ]
    return max(bodies, key=len, default="")


def live_blog_posts(documents: list[Any]) -> list[str]:
    """The posts a live blog's JSON-LD (`documents`) lists, as paragraphs of plain
    text: each post's headline, then its articleBody (a post without a body is
    left out). The longest list when there are several; [] when there is none."""
    best: list[str] = []
    best_size = 0
    for document in documents:
        for updates in json_values(document, "liveBlogUpdate"):
            posts = [updates] if isinstance(updates, dict) else updates
            if not isinstance(posts, list):
                continue
            lines: list[str] = []
            for post in posts:
                body = post.get("articleBody") if isinstance(post, dict) else None
                if not isinstance(body, str) or not (body := _body_text(body)):
                    continue
                headline = post.get("headline")
                if isinstance(headline, str) and (headline := " ".join(headline.split())):
                    lines.append(headline)
                lines.append(body)
            size = sum(len(line) for line in lines)
            if size > best_size:
                best, best_size = lines, size
    return best


def live_blog_text(text: str, documents: list[Any]) -> str | None:
    """The live blog's text, when it is better than `text` (found by trafilatura):
    the paragraphs of `text` before the first one its posts hold (the lead), then
    the posts its JSON-LD (`documents`) lists. Better means more words, and
    MIN_KEPT_SHARE of the shingles of `text`'s lines (in whatever order they come).
    None when the page lists no posts (or more than LIVE_POSTS_MAX_WORDS of them),
    when `text` holds none of them, or when that text is no better."""
    posts = live_blog_posts(documents)
    if not posts:
        return None
    in_posts: set[tuple[str, ...]] = set()
    post_words = 0
    for post in posts:
        for line in post.split("\n"):
            if tokens := words(line):
                post_words += len(tokens)
                if post_words > LIVE_POSTS_MAX_WORDS:
                    return None
                in_posts |= _token_shingles(tokens)
    paragraphs = [(line, tokens) for line in text.split("\n") if (tokens := words(line))]
    shingles = [_token_shingles(tokens) for _, tokens in paragraphs]
    held = [len(found & in_posts) >= LIVE_POST_MIN_SHARE * len(found) for found in shingles]
    lead = next(
        (
            index
            for index, (_, tokens) in enumerate(paragraphs)
            if held[index] and len(tokens) >= SPLIT_BODY_MATCH_MIN_WORDS
        ),
        None,
    )
    if lead is None:
        # The text holds none of the posts: they are not what it lost (a ticker of
        # another story, excerpts cut short, a lead whose posts the page shows in a
        # form the list does not give). Only a text that is the live blog is replaced.
        return None
    # A short line the posts hold just before the first post is that post's heading.
    while lead and held[lead - 1]:
        lead -= 1
    lead_words = sum(len(tokens) for _, tokens in paragraphs[:lead])
    text_words = sum(len(tokens) for _, tokens in paragraphs)
    everything: set[tuple[str, ...]] = set().union(*shingles)
    kept = (everything & in_posts).union(*shingles[:lead])
    if lead_words + post_words <= text_words or len(kept) < MIN_KEPT_SHARE * len(everything):
        return None
    return "\n".join([line for line, _ in paragraphs[:lead]] + posts)


def take_better_route(
    tree: etree._Element, url: str | None, text: str, documents: list[Any] | None = None
) -> tuple[str, str]:
    """The best text for the page `tree` whose trafilatura text is `text`, and the
    route it came by."""
    route = DEFAULT
    if _word_count(text) < RECALL_RETRY_MAX_WORDS:
        fuller = _recall_text(tree, url)
        if _word_count(fuller) > _word_count(text):
            text, route = fuller, RECALL
    if text:
        # A text of the parts is only taken with SPLIT_BODY_MIN_GAIN times the words.
        split = split_body_text(tree, text, SPLIT_BODY_MIN_GAIN * _word_count(text))
        if (
            split
            and _word_count(split) >= SPLIT_BODY_MIN_GAIN * _word_count(text)
            and _holds(text, split)
        ):
            text, route = split, SPLIT_BODY
    if documents is None:
        documents = json_ld_documents(tree)
    live = live_blog_text(text, documents)
    if live:
        text, route = live, LIVE_BLOG
    body = json_ld_body(tree, documents)
    if body and _word_count(body) >= JSON_LD_MIN_GAIN * max(_word_count(text), 1):
        text, route = body, JSON_LD
    return text, route
