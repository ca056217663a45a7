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

import io
import logging
import lzma
import os
import re
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

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


def model_cache_dir() -> Path | None:
    """newscrawl's cache folder; None for a user without a home (no cache then)."""
    base = os.environ.get(MODEL_CACHE_ENV)
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no $HOME, and no entry in the password file
            return None
    return Path(base) / "newscrawl"


def _cached_copy(packed: Path) -> Path | None:
    """Where the unpacked copy of `packed` is kept: named by the packed file's size
    and time, so that another version of py3langid gets its own."""
    folder = model_cache_dir()
    stat = packed.stat()
    return folder / f"{_CACHED_PREFIX}{stat.st_size}-{stat.st_mtime_ns}.npz" if folder else None


def _keep(cached: Path, unpacked: bytes) -> None:
    """Write `unpacked` to `cached` whole or not at all (a temporary file renamed),
    and remove the copies of other versions of the model. The cache is only a
    saving: one that cannot be written (a read-only home, a full disk, a file-size
    limit) costs the next process the time to unpack the model, nothing else."""
    temporary: Path | None = None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=cached.parent, prefix=".unpacking-")
        temporary = Path(name)
        with os.fdopen(handle, "wb") as out:
            out.write(unpacked)
        temporary.replace(cached)
        temporary = None
        for old in cached.parent.glob(f"{_CACHED_PREFIX}*.npz"):
            if old != cached:
                old.unlink(missing_ok=True)
    except OSError as exc:
        logger.debug("the language model is not cached: %s", exc)
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The detector, its model read into memory; None if it cannot be loaded.

    py3langid's own loader unpacks the model (68 MB) into a temporary file: on a
    full disk, or under a file-size limit, that kills the process loading it (the
    extraction workers' fork server). Read from the cached copy, or else unpacked
    in memory, the worst a failure does is leave pages without a detected
    language."""
    try:
        from py3langid.langid import MODEL_DIR, MODEL_FILE

        packed = Path(MODEL_DIR) / MODEL_FILE
        cached = _cached_copy(packed)
        if cached is not None:
            try:
                with cached.open("rb") as copy:
                    return _load_identifier(copy)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                pass  # no copy yet, or a file there that is not the model: replaced below
        with lzma.open(packed) as source:
            unpacked = source.read()
        identifier = _load_identifier(io.BytesIO(unpacked))
        if cached is not None:
            _keep(cached, unpacked)
        return identifier
    except (ImportError, OSError, MemoryError, ValueError, KeyError, EOFError,
            zipfile.BadZipFile, lzma.LZMAError) as exc:  # fmt: skip
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
