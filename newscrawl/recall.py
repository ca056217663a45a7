"""Routes to more of the article when trafilatura's text is a small part of it.

trafilatura sometimes returns a fraction of the article: a magazine feature
whose body the page splits into several containers (it keeps the first), a page
where it finds almost nothing, a page whose body only its JSON-LD holds in full.
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
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from newscrawl.cleaning.normalize import words
from newscrawl.jsonld import json_ld_documents, json_values
from newscrawl.readings import DEFAULT_ROUTE

__all__ = [
    "DEFAULT",
    "JSON_LD",
    "RECALL",
    "SPLIT_BODY",
    "json_ld_body",
    "split_body_text",
    "take_better_route",
]

# Which route gave an extraction's text.
DEFAULT = DEFAULT_ROUTE
RECALL = "recall"  # trafilatura again, in its recall mode
SPLIT_BODY = "split_body"  # the other parts of a body split into several containers
JSON_LD = "json_ld"  # the page's JSON-LD articleBody

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
# The text of all the parts is taken when it has this many times the words of
# the text it replaces and holds this share of that text's word shingles. On the
# dev sets: aeb recall +0.004 (a 619-word text of a 1,378-word feature became
# 1,372 words), trafilatura's set +9 wanted snippets against +2 unwanted.
SPLIT_BODY_MIN_GAIN = 1.2
MIN_KEPT_SHARE = 0.9

# The page's JSON-LD articleBody is taken when it has this many times the words
# of the text found. Measured on the dev sets: a page where trafilatura found 26
# words of a 726-word body (+3 wanted snippets); a 812-word text of a 1,968-word
# body; no other page has a body that much longer. (A liveBlogUpdate is not
# taken: one dev set's ground truth keeps only a live blog's summary, another's
# every post, and the posts are in the extracted text already.)
JSON_LD_MIN_GAIN = 2.0

_SHINGLE = 4
_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|h[1-6]|li|div|blockquote)>")
_TAG = re.compile(r"<[^>]+>")


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
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
    return " ".join(words(" ".join(element.itertext())))


def split_body_text(tree: etree._Element, text: str) -> str | None:
    """The text of every part of a body split into containers alike, or None when
    the paragraphs of `text` do not sit in such a split body."""
    kept = {
        " ".join(tokens)
        for line in text.split("\n")
        if len(tokens := words(line)) >= SPLIT_BODY_MATCH_MIN_WORDS
    }
    if not kept:
        return None
    holders: Counter[etree._Element] = Counter()
    for paragraph in tree.iter("p"):
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
        if element.get("class") == kind and element.find(".//p") is not None
    ]
    # A part inside another part is already in it.
    inside = set(parts)
    parts = [part for part in parts if not any(a in inside for a in part.iterancestors())]
    if not 2 <= len(parts) <= SPLIT_BODY_MAX_PARTS:
        return None
    document = lxml.html.fromstring("<html><body><article></article></body></html>")
    article = document.find(".//article")
    for part in parts:
        article.append(copy.deepcopy(part))
    extracted = trafilatura.bare_extraction(document, include_comments=False)
    return (extracted.text or "") if isinstance(extracted, Document) else None


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
    not given) gives, as plain text ("" if none)."""
    bodies = [
        _body_text(body)
        for document in (json_ld_documents(tree) if documents is None else documents)
        for body in json_values(document, "articleBody")
        if isinstance(body, str)
    ]
    return max(bodies, key=len, default="")


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
        split = split_body_text(tree, text)
        if (
            split
            and _word_count(split) >= SPLIT_BODY_MIN_GAIN * _word_count(text)
            and _holds(text, split)
        ):
            text, route = split, SPLIT_BODY
    body = json_ld_body(tree, documents)
    if body and _word_count(body) >= JSON_LD_MIN_GAIN * max(_word_count(text), 1):
        text, route = body, JSON_LD
    return text, route
