"""An article's metadata, read with trafilatura's own readers.

trafilatura's `extract_metadata` also collects categories, tags, a licence and an
image, which newscrawl does not store; those readers scan the whole page and cost
about a tenth of a page's extraction time. This reads only the fields an article
keeps, with the same readers in the same order of precedence (meta tags, then
JSON-LD, then the page's markup; the date from htmldate), so the values are the
same as trafilatura's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import set_date_params

__all__ = ["PageMetadata", "read_metadata"]


@dataclass(frozen=True)
class PageMetadata:
    title: str | None = None
    author: str | None = None  # several names joined by "; ", as trafilatura does
    date: str | None = None  # YYYY-MM-DD
    description: str | None = None
    sitename: str | None = None


def read_metadata(tree: HtmlElement, url: str | None) -> PageMetadata:
    """The metadata of the page `tree` (not modified) fetched from `url`."""
    found = examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # a one-word "author" meta is usually a handle or a site
    found = extract_meta_json(tree, found)
    found.title = found.title or extract_title(tree)
    found.author = found.author or extract_author(tree)
    found.url = found.url or extract_url(tree, url)
    date_params: dict[str, Any] = {**set_date_params(True), "url": found.url}
    found.date = find_date(tree, **date_params)
    found.sitename = found.sitename or extract_sitename(tree)
    if found.sitename:
        found.sitename = found.sitename.lstrip("@")
        if "." not in found.sitename and not found.sitename[:1].isupper():
            found.sitename = found.sitename.title()
    elif found.url:
        match = META_URL.match(found.url)
        found.sitename = match[1] if match else None
    found.clean_and_trim()
    return PageMetadata(
        title=found.title or None,
        author=found.author or None,
        date=found.date or None,
        description=found.description or None,
        sitename=found.sitename or None,
    )
