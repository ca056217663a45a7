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
keeps it so: in the transaction of every write of a text for that text and the
copies it becomes the first of, and with `StoryIndex.settle` (at the end of a
crawl, a re-clean, a re-extraction) for the copies whose first copy left the
story; until then they are marked in `story_unsettled`, committed with the write.

This module runs SQL on the store's connection and raises the database's own
errors; the store turns them into StorageError.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re
import struct
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from rensa import RMinHash

__all__ = [
    "BANDS",
    "FIRST_LOOK",
    "MAX_CANDIDATES",
    "MIN_SIGNED_WORDS",
    "NUM_PERM",
    "SHINGLE_WORDS",
    "SIGNATURE_SCHEME",
    "SIMILARITY_THRESHOLD",
    "Signature",
    "SignedText",
    "StoryIndex",
    "band_keys",
    "shingle_words",
    "shingles",
    "sign_text",
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
# pages are all one template, stays a bounded cost a write, not one that grows
# with the store. A lookup reads each band's entries in (first seen, URL) order
# from the story_bands key, at most this many a band (see StoryIndex._band_sharing),
# FIRST_LOOK a band first: the earliest copy is usually the same story, so a write
# usually compares one signature. The copies whose first copy left the story are
# settled later, once each (StoryIndex). Measured (SQLite, one template's texts,
# all one story, 2026-11-30, shared 2-core machine): a write 2.5 ms a row with 600
# stored copies, 2.4 ms with 6,000; re-cleaning them all (each text changed, still
# the story) 4.0 ms a row for 600, 4.9 ms for 6,000, when each re-settled its copies
# before: more than 120 s for 1,200. tests/test_duplicates.py bounds the work.
MAX_CANDIDATES = 100
FIRST_LOOK = 4
SEED = 20261201
# Stored beside every signature: signatures of another scheme are never compared.
SIGNATURE_SCHEME = f"rensa{RMinHash.ALGORITHM_VERSION}/p{NUM_PERM}/w{SHINGLE_WORDS}/s{SEED}"

_WORD = re.compile(r"\w+")
# What each band's key hashes before its rows (band_keys).
_BAND_PREFIXES = tuple(f"{SIGNATURE_SCHEME}#{band}".encode() for band in range(BANDS))

Signature = tuple[int, ...]


def shingles(text: str) -> set[str]:
    """The text's word n-grams (SHINGLE_WORDS words), case-folded, without punctuation."""
    return set(_shingles(shingle_words(text)))


def shingle_words(text: str) -> list[str]:
    """The words of `text` its shingles are made of: case-folded, without punctuation.
    Those of paragraphs joined by "\n" are theirs one after the other: neither
    NFKC nor case folding joins a character to a line break, which is no word's."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _shingles(words: Sequence[str]) -> Iterator[str]:
    """The shingles of `words` in order, a repeated one as often as it occurs: made
    in C (zip, map, join), where a set comprehension was Python's."""
    if len(words) <= SHINGLE_WORDS:
        return iter([" ".join(words)] if words else [])
    return map(" ".join, zip(*[words[at:] for at in range(SHINGLE_WORDS)], strict=False))


def signature(text: str, words: Sequence[str] | None = None) -> Signature | None:
    """The MinHash signature of `text`, or None for a text too short to sign.
    `words`: shingle_words(text), if the caller has them already."""
    # Counted up to the minimum, not split whole (0.14 against 0.01 ms a page).
    if sum(1 for _ in islice(_WORD.finditer(text), MIN_SIGNED_WORDS)) < MIN_SIGNED_WORDS:
        return None
    minhash = RMinHash(num_perm=NUM_PERM, seed=SEED)
    # A MinHash keeps the least hash of its items under each permutation: neither
    # their order nor a repeated one changes it. The shingles go to rensa as they
    # are made, not as a sorted set (0.37 against 0.18 ms a page on the 1,165
    # shared pages; the same signatures there).
    minhash.update(_shingles(shingle_words(text) if words is None else words))
    return tuple(minhash.digest())


def similarity(one: Sequence[int], other: Sequence[int]) -> float:
    """The estimated Jaccard similarity of two texts' shingles, from their signatures."""
    if len(one) != len(other):
        raise ValueError(f"signatures of {len(one)} and {len(other)} values")
    # map(operator.eq): the values compared in C (a write compares up to
    # MAX_CANDIDATES signatures; a generator took a third of the lookup's CPU).
    matches: int = sum(map(operator.eq, one, other))
    return matches / len(one)


def band_keys(sig: Signature) -> list[int]:
    """One key per band: a signed 64-bit hash of the scheme, the band's number and
    its rows (fits SQLite's INTEGER and PostgreSQL's BIGINT)."""
    keys = []
    # The rows of every band packed at once (each band's, little-endian, in a row).
    packed = struct.pack(f"<{BANDS * ROWS}I", *sig[: BANDS * ROWS])
    size = 4 * ROWS
    for band, prefix in enumerate(_BAND_PREFIXES):
        rows = packed[band * size : (band + 1) * size]
        digest = hashlib.blake2b(prefix + rows, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


@dataclass(frozen=True)
class SignedText:
    """A text with its signature and sorted band keys, worked out where the text
    was made: a page worker signs the text its page's rules leave, so that the
    crawler's process, which stores it on the one event loop of every download,
    does not (the shingles, the MinHash and the keys were 12% of its CPU in a
    profile of a sitemap crawl). Good only for that very text: `StoryIndex.update`
    signs again a text the site's boilerplate changed since."""

    text: str
    signature: Signature | None  # None: too short to sign
    keys: tuple[int, ...] = ()


def sign_text(text: str, words: Sequence[str] | None = None) -> SignedText:
    """`text` signed; `words`: shingle_words(text), if the caller has them already."""
    sig = signature(text, words)
    return SignedText(text, sig, tuple(sorted(set(band_keys(sig)))) if sig is not None else ())


def encode(sig: Signature) -> str:
    return struct.pack(f"<{NUM_PERM}I", *sig).hex()


def decode(text: str) -> Signature:
    return struct.unpack(f"<{NUM_PERM}I", bytes.fromhex(text))


@dataclass(frozen=True)
class _Copy:
    canonical_url: str
    first_seen_at: str
    signature: Signature

    @property
    def order(self) -> tuple[str, str]:
        return (self.first_seen_at, self.canonical_url)


class StoryIndex:
    """Signatures, bands and `duplicate_of` on an open store's connection.

    A write of a text settles at once what it can in bounded work: its own
    `duplicate_of` (at most MAX_CANDIDATES earlier copies compared) and that of
    later copies that now have it as their first copy (at most MAX_CANDIDATES).
    The copies that named it and are no longer the same story are only marked
    (table `story_unsettled`, in the same transaction) and worked out again by
    `settle`, once each however many of their first copies changed meanwhile:
    the end of a re-clean, a re-extraction or a crawl calls it. Re-cleaning a
    site whose thousands of pages are one story then settles each row once,
    not once for every earlier copy that left the story before it. Counters
    `compared`, `looked_up` and `settled` tell the work done (the tests bound
    them).
    """

    def __init__(self, connection: Any) -> None:
        self.db = connection
        self.compared = 0  # signatures compared with another
        self.looked_up = 0  # band lookups made (_band_sharing)
        self.settled = 0  # rows whose duplicate_of `settle` worked out again

    def update(
        self, page: str, text: str, signed: SignedText | None = None,
        first_seen: str | None = None,
    ) -> None:  # fmt: skip
        """`page`'s text was written (new, or changed): sign it again (unless
        `signed` is that very text, signed already) and settle the `duplicate_of`
        of every article this can change, or mark it for `settle`. Call after the
        row is written, in the same transaction; `first_seen`: the row's
        first_seen_at, if the caller has it (else it is read)."""
        if signed is None or signed.text != text:
            signed = sign_text(text)
        sig = signed.signature
        if first_seen is None:
            (first_seen,) = self.db.execute(
                "SELECT first_seen_at FROM articles WHERE canonical_url = ?", (page,)
            ).fetchone()
        old = self.db.execute(
            "SELECT signature FROM story_signatures WHERE canonical_url = ? AND scheme = ?",
            (page, SIGNATURE_SCHEME),
        ).fetchone()
        if old is not None and old[0]:
            self.db.executemany(
                "DELETE FROM story_bands"
                " WHERE band_key = ? AND first_seen_at = ? AND canonical_url = ?",
                [(key, first_seen, page) for key in sorted(set(band_keys(decode(old[0]))))],
            )
        # A text too short to sign gets an empty signature: known, never compared.
        self.db.execute(
            "INSERT INTO story_signatures (canonical_url, scheme, signature) VALUES (?, ?, ?)"
            " ON CONFLICT (canonical_url) DO UPDATE SET scheme = excluded.scheme,"
            " signature = excluded.signature",
            (page, SIGNATURE_SCHEME, encode(sig) if sig is not None else ""),
        )
        self.db.execute("DELETE FROM story_unsettled WHERE canonical_url = ?", (page,))
        if sig is None:
            self._set(page, None)
            self._release(page, None)
            return
        keys = list(signed.keys)
        self.db.executemany(
            "INSERT INTO story_bands (band_key, first_seen_at, canonical_url) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [(key, first_seen, page) for key in keys],
        )
        this = _Copy(page, first_seen, sig)
        # Only the bands that hold another copy can name one: most texts share
        # none, and one probe of the bands then stands for both lookups.
        shared = self._shared_bands(keys, this)
        self._set(page, self._first_earlier(this, shared) if shared else None)
        self._release(page, sig)
        if shared:
            self._claim(this, shared)

    def settle(self, limit: int) -> int:
        """Work out again the `duplicate_of` of at most `limit` rows marked by
        `update`; returns how many (0: none is left)."""
        pages = [
            url
            for (url,) in self.db.execute(
                "SELECT canonical_url FROM story_unsettled ORDER BY canonical_url LIMIT ?",
                (limit,),
            ).fetchall()
        ]
        for page in pages:
            row = self.db.execute(
                "SELECT a.first_seen_at, s.signature FROM articles a JOIN story_signatures s"
                " ON s.canonical_url = a.canonical_url AND s.scheme = ?"
                " WHERE a.canonical_url = ?",
                (SIGNATURE_SCHEME, page),
            ).fetchone()
            if row is None or not row[1]:
                self._set(page, None)
            else:
                self._set(page, self._first_earlier(_Copy(page, row[0], decode(row[1]))))
            self.db.execute("DELETE FROM story_unsettled WHERE canonical_url = ?", (page,))
        self.settled += len(pages)
        return len(pages)

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

    def _first_earlier(self, this: _Copy, keys: list[int] | None = None) -> str | None:
        """The earliest copy stored before `this` that is the same story, among its
        MAX_CANDIDATES earliest band-sharing copies; usually the first compared.
        Reads FIRST_LOOK copies, then four times as many, ... (see _band_sharing)."""
        keys = keys or sorted(set(band_keys(this.signature)))
        compared: set[str] = set()
        wanted = FIRST_LOOK
        while True:
            rows = self._band_sharing(keys, this, later=False, per_band=wanted)
            for url, _, sig in rows:
                if url in compared:
                    continue
                compared.add(url)
                self.compared += 1
                if similarity(this.signature, decode(sig)) >= SIMILARITY_THRESHOLD:
                    return str(url)
            if len(rows) < wanted or wanted >= MAX_CANDIDATES:
                return None
            wanted = min(4 * wanted, MAX_CANDIDATES)

    def _release(self, page: str, sig: Signature | None) -> None:
        """Mark the copies that named `page` as their first copy and are no longer
        its story (all of them when it has no signature); those that still are
        keep it: its place in time did not change."""
        for url, other in self.db.execute(
            "SELECT a.canonical_url, s.signature FROM articles a LEFT JOIN story_signatures s"
            " ON s.canonical_url = a.canonical_url AND s.scheme = ?"
            " WHERE a.duplicate_of = ?",
            (SIGNATURE_SCHEME, page),
        ).fetchall():
            if sig is not None and other:
                self.compared += 1
                if similarity(sig, decode(other)) >= SIMILARITY_THRESHOLD:
                    continue
            self.db.execute(
                "INSERT INTO story_unsettled (canonical_url) VALUES (?) ON CONFLICT DO NOTHING",
                (url,),
            )

    def _claim(self, this: _Copy, keys: list[int]) -> None:
        """Later copies of this story whose first copy is later than `this`, or that
        have none, now have `this` (at most MAX_CANDIDATES of the earliest later
        band-sharing copies are compared)."""
        for url, _, sig in self._band_sharing(keys, this, later=True, per_band=MAX_CANDIDATES):
            self.compared += 1
            if similarity(this.signature, decode(sig)) >= SIMILARITY_THRESHOLD:
                self._set(url, this.canonical_url)

    def _shared_bands(self, keys: list[int], this: _Copy) -> list[int]:
        """Those of `keys` whose band holds an entry other than `this`'s own: the
        only bands `_band_sharing` can find a copy in, before or after `this`. One
        index probe a band, each reading at most two entries: about half the cost
        of one lookup, where a write made two (measured on the 1,165 shared pages,
        2026-12-02)."""
        if not keys:
            return []
        row = (this.first_seen_at, this.canonical_url)
        return [
            key
            for (key,) in self.db.execute(_shared_bands_sql(len(keys)), [*keys, *row]).fetchall()
        ]

    def _band_sharing(
        self, keys: list[int], this: _Copy, later: bool, per_band: int
    ) -> list[tuple[str, str, str]]:
        """(canonical URL, first seen, signature) of the `per_band` earliest stored
        copies sharing a band with `keys` and stored before `this` (`later`: after
        it, and whose first copy is later than `this` or none), the earliest first.

        Each band gives at most its `per_band` earliest entries (one range of the
        story_bands key): their union holds the `per_band` earliest of all that
        share a band, since each of those has fewer than `per_band` earlier ones
        in any band it is in. So a lookup reads at most BANDS * per_band index
        entries, however many copies a story has."""
        params: list[Any] = [SIGNATURE_SCHEME]
        if later:
            params += [this.first_seen_at, this.first_seen_at, this.canonical_url]
        # A power of two of bands, the last repeated (the union takes it once): a
        # few statements, however many bands a lookup has (see _shared_bands).
        bands = 1 << (len(keys) - 1).bit_length()
        bound = (this.first_seen_at, this.canonical_url, per_band)
        padded = [*keys, *[keys[-1]] * (bands - len(keys))]
        params += [value for key in padded for value in (key, *bound)]
        params.append(per_band)
        rows = self.db.execute(_band_sharing_sql(bands, later), params).fetchall()
        self.looked_up += 1
        return [(str(url), str(seen), str(sig)) for url, seen, sig in rows]

    def _set(self, page: str, duplicate_of: str | None) -> None:
        self.db.execute(
            "UPDATE articles SET duplicate_of = ? WHERE canonical_url = ?", (duplicate_of, page)
        )


@functools.lru_cache(maxsize=BANDS + 1)
def _shared_bands_sql(bands: int) -> str:
    """StoryIndex._shared_bands' query for `bands` band keys: its parameters the
    keys, then the first seen and URL of the copy whose own entries do not count.
    EXISTS stops at the first other entry of a band, past at most its own."""
    keys = ", ".join(["(?)"] * bands)
    return (
        f"SELECT k.column1 FROM (VALUES {keys}) AS k WHERE EXISTS (SELECT 1 FROM story_bands b"
        " WHERE b.band_key = k.column1 AND NOT (b.first_seen_at = ? AND b.canonical_url = ?))"
    )


@functools.lru_cache(maxsize=32)
def _band_sharing_sql(bands: int, later: bool) -> str:
    """StoryIndex._band_sharing's query for `bands` band keys: its parameters the
    scheme, (`later`) this copy's first seen, first seen and URL, then first seen,
    URL and per_band limit after each band's key, and the limit of all. Made once:
    written out per lookup (64 subqueries, two lookups a write), it cost 0.1 ms,
    and a new string of 20 kB is hashed again by the statement cache."""
    side = ">" if later else "<"
    band = (
        "SELECT canonical_url FROM (SELECT first_seen_at, canonical_url FROM story_bands"
        f" WHERE band_key = ? AND (first_seen_at, canonical_url) {side} (?, ?)"
        " ORDER BY first_seen_at, canonical_url LIMIT ?) AS b{}"
    )
    union = " UNION ".join(band.format(i) for i in range(bands))
    query = (
        "SELECT a.canonical_url, a.first_seen_at, s.signature FROM articles a"
        " JOIN story_signatures s ON s.canonical_url = a.canonical_url"
    )
    where = " WHERE s.scheme = ? AND s.signature != ''"
    if later:
        # Only those whose first copy is later than `this`, or that have none.
        query += " LEFT JOIN articles d ON d.canonical_url = a.duplicate_of"
        where += (
            " AND (a.duplicate_of IS NULL OR d.first_seen_at > ?"
            " OR (d.first_seen_at = ? AND d.canonical_url > ?))"
        )
    return (
        f"{query}{where} AND a.canonical_url IN ({union})"
        " ORDER BY a.first_seen_at, a.canonical_url LIMIT ?"
    )
