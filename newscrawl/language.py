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
import re
from functools import lru_cache
from typing import Any

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


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The detector, its model read into memory; None if it cannot be loaded.

    py3langid's own loader unpacks the model (68 MB) into a temporary file: on a
    full disk, or under a file-size limit, that kills the process loading it (the
    extraction workers' fork server). Unpacked in memory instead, the worst a
    failure does is leave pages without a detected language."""
    try:
        import numpy as np
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
        from py3langid.modelio import _to_array

        with lzma.open(MODEL_DIR / MODEL_FILE) as packed:
            unpacked = io.BytesIO(packed.read())
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
    except (ImportError, OSError, MemoryError, ValueError, KeyError, lzma.LZMAError) as exc:
        logger.warning("language detection is off: its model did not load: %s", exc)
        return None


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
