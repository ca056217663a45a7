"""The page's JSON-LD: what its `application/ld+json` scripts say, read safely."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml import etree

__all__ = ["json_ld_documents", "json_values"]

# JSON-LD is read this deep at most (pages nest @graph inside @graph).
_MAX_DEPTH = 12


def json_ld_documents(tree: etree._Element) -> list[Any]:
    """Every JSON-LD document of the page that parses, in page order."""
    documents = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            documents.append(json.loads(script))
        except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
            continue
    return documents


def json_values(value: Any, key: str, depth: int = 0, skip: str | None = None) -> Iterator[Any]:
    """Every value of `key` in a JSON document, in document order, to _MAX_DEPTH
    levels; a value is not searched for further `key`s inside itself, nor is the
    value of `skip`."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if name == key:
                yield item
            elif name != skip:
                yield from json_values(item, key, depth + 1, skip)
    elif isinstance(value, list):
        for item in value:
            yield from json_values(item, key, depth + 1, skip)
