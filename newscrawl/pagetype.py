"""Is a page an article or a hub (home, section, tag, author page)?

Decided cheaply, before extraction, from what the page says about itself, the
shape of its URL and, where neither tells, the shape of its text. Hubs are
followed for links but not stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

__all__ = ["ARTICLE", "HUB", "PROSE_RUN", "classify_page"]

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


# A page that states no type and whose address is no article's (a short slug,
# "/news/ferry-fees.html", a small number, "/story/4512") is an article when it
# holds at least this many paragraphs of prose side by side (see
# pageworker.prose_run): a site with no og:type or JSON-LD and such addresses had
# none of its articles stored ("0 stored from 21 pages fetched"). A hub's teasers
# stand each in its own card, or between the linked headlines they go with.
PROSE_RUN = 3


def classify_page(
    url: str,
    og_type: str | None = None,
    ld_types: Iterable[str] = (),
    prose_run: Callable[[], int] | None = None,
) -> str:
    """Return ARTICLE or HUB for the page at `url` with the given metadata;
    `prose_run`, where they do not tell, gives the page's longest run of prose
    paragraphs (see PROSE_RUN)."""
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
    if prose_run is not None and path.strip("/") and prose_run() >= PROSE_RUN:
        return ARTICLE  # (a home page is a hub, whatever it shows: a blog's shows posts)
    return HUB
