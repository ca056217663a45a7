"""An article's language: the tag the page declares, in BCP 47 case, or else the
language of its text as a detector reads it.

The detector is py3langid (langid.py's maintained fork): its model ships in the
wheel, it works offline, and it classifies a page's text in about a millisecond
once the model is loaded. It runs in the extraction workers, as part of reading
a page (extract.py). The model and numpy take some 100 MB: the workers' fork
server loads them once (preload.py) and every worker shares those pages instead
of holding its own copy. Elsewhere both are imported on first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import lzma
import os
import re
import stat
import time
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from newscrawl.replacing import replacing

__all__ = [
    "DECLARED",
    "DETECTED",
    "article_language",
    "detect_language",
    "language_model",
    "normalize_tag",
]

logger = logging.getLogger(__name__)

# How the language was found (an item's `language_source`).
DECLARED = "declared"
DETECTED = "detected"

# The detector answers only when it gives its language at least this probability.
# On the dev sets' 1,076 pages that declare a language, it agreed with the
# declaration on 1,050 at 0.9 or more (abstaining on 4), and most of the 26
# disagreements were pages declaring "en" over German or Spanish text.
DETECT_MIN_CONFIDENCE = 0.9
# Less text than this (characters) is too little to tell a language by.
DETECT_MIN_CHARS = 40
# The detector reads this much of the text at most: enough to be sure, and it
# keeps the cost of a very long page bounded.
DETECT_MAX_CHARS = 4000

# language[-script][-region][-variant...]: the subtags a page declares in practice.
_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*", re.IGNORECASE)


def normalize_tag(value: str | None) -> str | None:
    """A declared language as a BCP 47 tag in its conventional case ("en-gb" ->
    "en-GB", "zh-hant-tw" -> "zh-Hant-TW", "pt_BR" -> "pt-BR"), or None when it is
    no language tag ("lang=", "*"). Of a list ("de-DE, en"), the first."""
    if not value:
        return None
    first = value.replace("_", "-").split(",")[0].split(";")[0].strip()
    if not _TAG.fullmatch(first):
        return None
    language, *rest = first.split("-")
    subtags = [language.lower()]
    for subtag in rest:
        if len(subtag) == 4 and subtag.isalpha():
            subtags.append(subtag.title())  # script: Hant, Latn
        elif (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit()):
            subtags.append(subtag.upper())  # region: GB, 419
        else:
            subtags.append(subtag.lower())
    return "-".join(subtags)


# Where an unpacked copy of the detector's model is kept ($XDG_CACHE_HOME, or
# ~/.cache, then newscrawl/). py3langid ships the model LZMA-packed (4.6 MB);
# unpacking it took 0.5 s of CPU, every crawl's fork server paid it, and reading
# the unpacked copy takes about a tenth of that.
MODEL_CACHE_ENV = "XDG_CACHE_HOME"
_CACHED_PREFIX = "py3langid-"
_UNPACKING_PREFIX = ".unpacking-"
# A temporary file this old was left by a process that did not finish writing it.
ABANDONED_AFTER_SECONDS = 600
# A copy that no process has read for this long is of a model no longer installed.
UNUSED_AFTER_SECONDS = 30 * 24 * 3600
# What a copy of the model must read correctly before it is used.
_PROOF = ("Der Hafen bleibt am Montag wegen des Sturms geschlossen, teilte das Amt mit.", "de")
_COPY_FAILURES = (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile)


def model_cache_dir() -> Path | None:
    """newscrawl's cache folder: $XDG_CACHE_HOME/newscrawl, else ~/.cache/newscrawl.
    A relative $XDG_CACHE_HOME is ignored (as the XDG specification says); None,
    and no cache, for a user without a home."""
    base = Path(os.environ.get(MODEL_CACHE_ENV, ""))
    if not base.is_absolute():
        try:
            home = Path.home()
        except (RuntimeError, KeyError):  # no $HOME, and no entry in the password file
            return None
        if not home.is_absolute() or home == Path("/"):  # a relative HOME, or HOME=""
            return None
        base = home / ".cache"
    return base / "newscrawl"


def _read_copy(cached: Path) -> Any:
    """The detector from the copy `cached`, or None: no copy, or one that is not a
    regular file (a named pipe there would block), not an .npz of the model, or
    does not read a known sentence right. A copy that is used has its time set:
    it is in use (see _tidy)."""
    try:
        handle = os.open(cached, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(handle, "rb") as copy:
            if not stat.S_ISREG(os.fstat(copy.fileno()).st_mode):
                return None
            identifier = _load_identifier(copy)
        sentence, language = _PROOF
        if identifier.classify(sentence)[0] != language:
            return None
    except _COPY_FAILURES:
        return None
    with contextlib.suppress(OSError):
        os.utime(cached)
    return identifier


def _keep(cached: Path, unpacked: bytes) -> None:
    """Write `unpacked` to `cached` whole or not at all (a temporary file renamed).
    The cache is only a saving: one that cannot be written (a read-only home, a
    nearly full disk, a file-size limit) costs the next process the time to
    unpack the model, nothing else."""
    try:
        # The cache folder (~/.cache, $XDG_CACHE_HOME) and newscrawl's in it, never
        # what they are in: a home that does not exist (HOME=/nonexistent, Debian's
        # for a user that must have none) is not made, not even by root.
        cached.parent.parent.mkdir(exist_ok=True)
        cached.parent.mkdir(exist_ok=True)
        disk = os.statvfs(cached.parent)
        if disk.f_bavail * disk.f_frsize < 2 * len(unpacked):
            logger.debug("the language model is not cached: its disk is nearly full")
            return
        with replacing(cached, prefix=_UNPACKING_PREFIX) as partial:
            partial.write_bytes(unpacked)
    except OSError as exc:
        logger.debug("the language model is not cached: %s", exc)


def _tidy(cached: Path) -> None:
    """Remove from the cache folder the copies of other models that no process has
    read for UNUSED_AFTER_SECONDS (two installations of different py3langid
    versions each keep theirs), and the temporary files of processes killed while
    they wrote a copy (once too old to be one that is being written now)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in cached.parent.iterdir():
            if entry == cached:
                continue
            if entry.name.startswith(_CACHED_PREFIX):
                unused_after = UNUSED_AFTER_SECONDS
            elif entry.name.startswith(_UNPACKING_PREFIX):
                unused_after = ABANDONED_AFTER_SECONDS
            else:
                continue
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > unused_after:
                    entry.unlink()


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The detector, its model read into memory; None if it cannot be loaded.

    py3langid's own loader unpacks the model (68 MB) into a temporary file: on a
    full disk, or under a file-size limit, that kills the process loading it (the
    extraction workers' fork server). Read from the cached copy, or else unpacked
    in memory, the worst a failure does is leave pages without a detected
    language. The copy is named by the packed model's digest: installations of
    the same py3langid share one."""
    try:
        from py3langid.langid import MODEL_DIR, MODEL_FILE

        packed = (Path(MODEL_DIR) / MODEL_FILE).read_bytes()
        folder = model_cache_dir()
        cached = None
        if folder is not None:
            digest = hashlib.sha256(packed).hexdigest()[:16]
            cached = folder / f"{_CACHED_PREFIX}{digest}.npz"
            _tidy(cached)
            identifier = _read_copy(cached)
            if identifier is not None:
                return identifier
        unpacked = lzma.decompress(packed)
        identifier = _load_identifier(io.BytesIO(unpacked))
        if cached is not None:
            _keep(cached, unpacked)
        return identifier
    except (ImportError, MemoryError, lzma.LZMAError, *_COPY_FAILURES) as exc:
        logger.warning("language detection is off: its model did not load: %s", exc)
        return None


def _load_identifier(unpacked: BinaryIO) -> Any:
    """py3langid's detector from its model's unpacked .npz file."""
    import numpy as np
    from py3langid.langid import LanguageIdentifier
    from py3langid.modelio import _to_array

    with np.load(unpacked, allow_pickle=False) as model:
        return LanguageIdentifier(
            np.asarray(model["ptc"]),
            np.asarray(model["pc"]),
            model["classes"].tolist(),
            _to_array(model["nextmove"]),
            model["out_feat"].tolist(),
            norm_probs=True,
            min_confidence=DETECT_MIN_CONFIDENCE,
            tk_row=_to_array(model["nextmove_row"]),
        )


def language_model() -> bool:
    """Load the detector's model now (the fork server does, for its workers);
    whether it loaded."""
    return _identifier() is not None


def detect_language(text: str) -> str | None:
    """The language of `text` (an ISO 639-1 code such as "de"), or None when the
    text is too short or the detector is not sure enough."""
    sample = text[:DETECT_MAX_CHARS]
    if len(sample.strip()) < DETECT_MIN_CHARS:
        return None
    identifier = _identifier()
    if identifier is None:
        return None
    language, _ = identifier.classify(sample)
    return None if language == "und" else str(language)


def article_language(declared: str | None, text: str) -> tuple[str | None, str | None]:
    """(language, how it was found) for a page that declares `declared` and whose
    text is `text`: the declaration when it is a language tag, else the detector's
    reading, else (None, None)."""
    tag = normalize_tag(declared)
    if tag:
        return tag, DECLARED
    detected = detect_language(text)
    return (detected, DETECTED) if detected else (None, None)
