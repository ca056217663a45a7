"""Is a page an article or a hub (home, section, tag, author page)?

Decided cheaply, before extraction, from what the page says about itself and
the shape of its URL. Hubs are followed for links but not stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["ARTICLE", "HUB", "classify_page"]

ARTICLE = "article"
HUB = "hub"

# schema.org types that mean "this page is one article".
_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "blogposting",
    "liveblogposting", "report", "techarticle", "scholarlyarticle",
}  # fmt: skip
_HUB_TYPES = {"collectionpage", "website", "searchresultspage", "profilepage", "itemlist"}
_HUB_PATH = re.compile(
    r"/(?:tags?|topics?|authors?|category|categories|sections?|search|archives?|page"
    r"|about|contact|newsletters?|subscribe|login|account|feeds?)(?:/|$)",
    re.IGNORECASE,
)
_DATE_PATH = re.compile(
    r"/(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-](?:0?[1-9]|[12]\d|3[01]))?(?:/|-)"
)
_LONG_ID = re.compile(r"\d{6,}")


def _slug_words(segment: str) -> int:
    stem = re.sub(r"\.(?:s?html?|php|aspx?)$", "", segment, flags=re.IGNORECASE)
    return len([part for part in re.split(r"[-_]", stem) if part])


def classify_page(url: str, og_type: str | None = None, ld_types: Iterable[str] = ()) -> str:
    """Return ARTICLE or HUB for the page at `url` with the given metadata."""
    types = {t.strip().casefold() for t in ld_types}
    if types & _ARTICLE_TYPES:
        return ARTICLE
    og = (og_type or "").strip().casefold()
    if og == "article" or og.startswith("article:"):
        return ARTICLE
    if types & _HUB_TYPES or og == "website":
        return HUB
    path = urlsplit(url).path
    if _HUB_PATH.search(path):
        return HUB
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if _DATE_PATH.search(path + "/") or _LONG_ID.search(last) or _slug_words(last) >= 4:
        return ARTICLE
    return HUB
