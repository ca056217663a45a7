"""The same story across sites: MinHash signatures of stored texts, banded for a
bounded lookup, and each article's `duplicate_of`.

Two outlets printing one wire story give two rows whose texts differ a little: a
headline, a dateline, a sentence cut or reworded, their own furniture. Their
texts' sets of word shingles overlap far more than any two different stories
do, even two stories of the same event (see SIMILARITY_THRESHOLD). rensa
computes a MinHash signature of those sets; the signature and its bands are
kept in the store (tables `story_signatures` and `story_bands`), so that a story
printed in one run is found again in any later one, in SQLite and PostgreSQL
alike: a new text's bands name the few stored texts that may be the same story,
and their signatures say whether they are.

An article's `duplicate_of` is the canonical URL of the earliest stored article
(lowest `first_seen_at`, then canonical URL) whose text is the same story, or
NULL: a property of what is stored, not of the order pages came in. `StoryIndex`
keeps it so in the transaction of every write of a text (the store calls it).

This module runs SQL on the store's connection and raises the database's own
errors; the store turns them into StorageError.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rensa import RMinHash

__all__ = [
    "BANDS",
    "MAX_CANDIDATES",
    "MIN_SIGNED_WORDS",
    "NUM_PERM",
    "SHINGLE_WORDS",
    "SIGNATURE_SCHEME",
    "SIMILARITY_THRESHOLD",
    "Signature",
    "StoryIndex",
    "band_keys",
    "shingles",
    "signature",
    "similarity",
]

# Word n-grams as the shingles of a text. Measured on the pages built for it
# (`python -m tests.stories`, 2026-12-01) and on the articles of ../shared/data:
# with 3 words, two different articles (award nominee lists) shared 0.25 of their
# shingles, with 5 words 0.18, while a wire copy with 6 words changed and a
# paragraph cut kept 0.77 (3 words) and 0.71 (5 words) (exact sets, 128 permutations). Five keeps the gap widest;
# six loses more of the edited copies than it gains.
SHINGLE_WORDS = 5
# MinHash permutations: a similarity estimate's standard error is
# sqrt(J(1 - J) / NUM_PERM), 0.035 at J = 0.4.
NUM_PERM = 192
# LSH: BANDS bands of ROWS rows. Two texts are compared when one band of their
# signatures is equal, which for similarity J happens with probability
# 1 - (1 - J^3)^64: 0.985 at J = 0.4 (the threshold), 0.9997 at 0.5, 0.40 at 0.2,
# 0.008 at 0.05 and 5e-7 at 0.002, about what unrelated news articles share: a
# lookup in a million stored articles compares a handful.
BANDS = 64
ROWS = 3
# The estimated Jaccard similarity of shingle sets from which two texts are one
# story. Measured (`python -m tests.stories`, 2026-12-01, these parameters): the
# three outlets' copies in the crawl test score 0.73 to 0.99 against the wire
# text; the wire story (390 words) with a dateline, 6 to 12 words changed and one
# or two paragraphs cut 0.44 to 0.83; two different stories of the same event
# 0.0; different articles of ../shared/data at most 0.125 (fundus: two award
# nominee lists; aeb at most 0.094). 0.4 keeps light edits, with room for the
# estimate's error, and stays 8 standard errors above 0.125. Heavier rewrites
# (24 words changed and 2 paragraphs cut) score 0.31 to 0.36: not the same story.
SIMILARITY_THRESHOLD = 0.4
# Texts shorter than this are not signed: a few words say too little to call two
# texts one story (and a short text's few shingles make the estimate noisy).
MIN_SIGNED_WORDS = 30
# Stored texts compared at most per lookup, the earliest first (the only ones
# `duplicate_of` can name): a story printed by thousands of sites, or a site whose
# pages are all one template, stays a bounded cost a write (a few ms), not one
# that grows with the store.
MAX_CANDIDATES = 100
SEED = 20261201
# Stored beside every signature: signatures of another scheme are never compared.
SIGNATURE_SCHEME = f"rensa{RMinHash.ALGORITHM_VERSION}/p{NUM_PERM}/w{SHINGLE_WORDS}/s{SEED}"

_WORD = re.compile(r"\w+")

Signature = tuple[int, ...]


def shingles(text: str) -> set[str]:
    """The text's word n-grams (SHINGLE_WORDS words), case-folded, without punctuation."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> Signature | None:
    """The MinHash signature of `text`, or None for a text too short to sign."""
    if len(_WORD.findall(text)) < MIN_SIGNED_WORDS:
        return None
    minhash = RMinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update(sorted(shingles(text)))
    return tuple(minhash.digest())


def similarity(one: Sequence[int], other: Sequence[int]) -> float:
    """The estimated Jaccard similarity of two texts' shingles, from their signatures."""
    return sum(a == b for a, b in zip(one, other, strict=True)) / len(one)


def band_keys(sig: Signature) -> list[int]:
    """One key per band: a signed 64-bit hash of the scheme, the band's number and
    its rows (fits SQLite's INTEGER and PostgreSQL's BIGINT)."""
    keys = []
    for band in range(BANDS):
        rows = struct.pack(f"<{ROWS}I", *sig[band * ROWS : (band + 1) * ROWS])
        digest = hashlib.blake2b(
            f"{SIGNATURE_SCHEME}#{band}".encode() + rows, digest_size=8
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def encode(sig: Signature) -> str:
    return struct.pack(f"<{NUM_PERM}I", *sig).hex()


def decode(text: str) -> Signature:
    return struct.unpack(f"<{NUM_PERM}I", bytes.fromhex(text))


@dataclass(frozen=True)
class _Copy:
    canonical_url: str
    first_seen_at: str
    duplicate_of: str | None
    signature: Signature

    @property
    def order(self) -> tuple[str, str]:
        return (self.first_seen_at, self.canonical_url)


class StoryIndex:
    """Signatures, bands and `duplicate_of` on an open store's connection."""

    def __init__(self, connection: Any) -> None:
        self.db = connection

    def update(self, page: str, text: str) -> None:
        """`page`'s text was written (new, or changed): sign it again and settle the
        `duplicate_of` of every article this can change. Call after the row is
        written, in the same transaction."""
        sig = signature(text)
        pointing = [
            url
            for (url,) in self.db.execute(
                "SELECT canonical_url FROM articles WHERE duplicate_of = ?", (page,)
            )
        ]
        # A text too short to sign gets an empty signature: known, never compared.
        (story,) = self.db.execute(
            "INSERT INTO story_signatures (canonical_url, scheme, signature) VALUES (?, ?, ?)"
            " ON CONFLICT (canonical_url) DO UPDATE SET scheme = excluded.scheme,"
            " signature = excluded.signature RETURNING id",
            (page, SIGNATURE_SCHEME, encode(sig) if sig is not None else ""),
        ).fetchone()
        self.db.execute("DELETE FROM story_bands WHERE story = ?", (story,))
        if sig is None:
            self._set(page, None)
            for url in pointing:
                self._settle(url)
            return
        keys = band_keys(sig)
        self.db.executemany(
            "INSERT INTO story_bands (band_key, story) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(key, story) for key in sorted(set(keys))],
        )
        this = self._copy(page, sig)
        candidates = self._candidates(keys, page)  # the earliest first
        self._set(page, _first_earlier(this, candidates))
        # Later copies of the story may now have an earlier first copy: this one.
        for later in (c for c in candidates if c.order > this.order):
            if not _same_story(this, later):
                continue
            if later.duplicate_of is None or this.order < self._order_of(later.duplicate_of):
                self._set(later.canonical_url, page)
        # Those that named this page and no longer match it: settled afresh.
        for url, other in self._signatures(pointing):
            if not other or not _same_story(this, _Copy(url, "", None, decode(other))):
                self._settle(url)

    def unsigned(self, site: str | None = None) -> list[str]:
        """Articles (of `site`) with no signature of this scheme (stored before
        signatures were kept, or under another scheme), the earliest first."""
        query = (
            "SELECT a.canonical_url FROM articles a LEFT JOIN story_signatures s"
            " ON s.canonical_url = a.canonical_url"
            " WHERE (s.scheme IS NULL OR s.scheme != ?)"
        )
        params: tuple[str, ...] = (SIGNATURE_SCHEME,)
        if site is not None:
            query, params = query + " AND a.site = ?", (*params, site)
        rows = self.db.execute(query + " ORDER BY a.first_seen_at, a.canonical_url", params)
        return [url for (url,) in rows.fetchall()]

    def sign(self, page: str) -> None:
        """Sign a stored article from its stored text (see `unsigned`)."""
        row = self.db.execute(
            "SELECT text FROM articles WHERE canonical_url = ?", (page,)
        ).fetchone()
        if row is not None:
            self.update(page, row[0])

    # -- helpers ---------------------------------------------------------------------

    def _settle(self, page: str) -> None:
        """Work out `page`'s duplicate_of again from its stored signature."""
        row = self.db.execute(
            "SELECT signature FROM story_signatures WHERE canonical_url = ? AND scheme = ?",
            (page, SIGNATURE_SCHEME),
        ).fetchone()
        if row is None or not row[0]:
            self._set(page, None)
            return
        sig = decode(row[0])
        this = self._copy(page, sig)
        self._set(page, _first_earlier(this, self._candidates(band_keys(sig), page)))

    def _signatures(self, pages: list[str]) -> list[tuple[str, str]]:
        """The stored signatures (of this scheme; "" for an unsigned text) of `pages`."""
        found: list[tuple[str, str]] = []
        for start in range(0, len(pages), 500):  # within SQLite's parameter limit
            chunk = pages[start : start + 500]
            found += self.db.execute(
                "SELECT canonical_url, signature FROM story_signatures WHERE scheme = ?"
                f" AND canonical_url IN ({','.join('?' * len(chunk))})",
                (SIGNATURE_SCHEME, *chunk),
            ).fetchall()
        known = {url for url, _ in found}
        return found + [(url, "") for url in pages if url not in known]

    def _copy(self, page: str, sig: Signature) -> _Copy:
        first_seen, duplicate_of = self.db.execute(
            "SELECT first_seen_at, duplicate_of FROM articles WHERE canonical_url = ?", (page,)
        ).fetchone()
        return _Copy(page, first_seen, duplicate_of, sig)

    def _order_of(self, page: str) -> tuple[str, str]:
        row = self.db.execute(
            "SELECT first_seen_at FROM articles WHERE canonical_url = ?", (page,)
        ).fetchone()
        return (row[0] if row else "", page)

    def _candidates(self, keys: list[int], page: str) -> list[_Copy]:
        """The stored texts sharing a band with `keys`, the earliest first."""
        rows = self.db.execute(
            "SELECT a.canonical_url, a.first_seen_at, a.duplicate_of, s.signature"
            " FROM story_signatures s JOIN articles a ON a.canonical_url = s.canonical_url"
            " WHERE s.scheme = ? AND s.signature != '' AND s.canonical_url != ? AND s.id IN ("
            "   SELECT story FROM story_bands"
            f"  WHERE band_key IN ({','.join('?' * len(keys))}))"
            " ORDER BY a.first_seen_at, a.canonical_url LIMIT ?",
            (SIGNATURE_SCHEME, page, *keys, MAX_CANDIDATES),
        ).fetchall()
        return [_Copy(url, seen, dup, decode(sig)) for url, seen, dup, sig in rows]

    def _set(self, page: str, duplicate_of: str | None) -> None:
        self.db.execute(
            "UPDATE articles SET duplicate_of = ? WHERE canonical_url = ?", (duplicate_of, page)
        )


def _same_story(one: _Copy, other: _Copy) -> bool:
    return similarity(one.signature, other.signature) >= SIMILARITY_THRESHOLD


def _first_earlier(this: _Copy, candidates: list[_Copy]) -> str | None:
    """The earliest of `candidates` (sorted earliest first) stored before `this` and
    of the same story: the first found, so a new text usually costs one comparison."""
    for candidate in candidates:
        if candidate.order >= this.order:
            return None
        if _same_story(this, candidate):
            return candidate.canonical_url
    return None
