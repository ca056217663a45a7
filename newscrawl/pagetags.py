"""The page's <base>, <link>, <meta> and <script> elements, found in one walk.

Reading a page, the worker looks these up six times: its base URL, JSON-LD,
feeds, canonical link, declared language and the metadata's statements. Each
lookup walked the whole tree (an XPath "//meta" or an `iter("link")`, some
0.15 to 0.2 ms a page on the dev pages); while a page is read
(`reading(tree)`), one walk serves them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lxml import etree

__all__ = ["reading", "tagged"]

_TAGS = ("base", "link", "meta", "script")
# The tree being read and its elements of _TAGS (none found yet: None).
_read: list[tuple[etree._Element, list[etree._Element] | None]] = []


@contextmanager
def reading(tree: etree._Element) -> Iterator[None]:
    """Within it, `tagged(tree)` walks `tree` once. The tree must not change meanwhile."""
    _read.append((tree, None))
    try:
        yield
    finally:
        _read.pop()


def tagged(tree: etree._Element) -> list[etree._Element]:
    """The <base>, <link>, <meta> and <script> elements of the document `tree` is in,
    in page order: what "//base", "//link", "//meta" and "//script" select from it."""
    root = tree.getroottree().getroot()
    if _read and _read[-1][0] is root:
        found = _read[-1][1]
        if found is None:
            found = list(root.iter(*_TAGS))
            _read[-1] = (root, found)
        return found
    return list(root.iter(*_TAGS))
