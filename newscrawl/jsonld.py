"""The page's JSON-LD: what its `application/ld+json` scripts say, read safely."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from newscrawl.pagetags import tagged

__all__ = ["json_ld_documents", "json_values", "loads_text", "storable"]

# JSON-LD is read this deep at most (pages nest @graph inside @graph).
_MAX_DEPTH = 12


# A JSON escape of a UTF-16 surrogate: json.loads makes a lone one ("\ud800", valid
# JSON) a str that no UTF-8 encoder takes. One in a hostile page's author name
# lost the article with a traceback at the store (SQLite, PostgreSQL, Redis).
# And of NUL ("\u0000", valid JSON too), which no PostgreSQL text column takes:
# one in a page's JSON-LD author stopped a crawl into PostgreSQL, every site's.
# (An HTML parser makes the page's own "&#0;" U+FFFD.)
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` as every store takes it: each lone surrogate replaced by U+FFFD (a
    pair written as two JSON escapes was joined into its character by json.loads
    already), without NUL characters."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _SURROGATE.sub("\ufffd", text)


def loads_text(document: str | bytes) -> Any:
    """json.loads, every str of the result storable (see `storable`) (ValueError and
    RecursionError as json.loads raises them)."""
    value = json.loads(document)
    probe = document if isinstance(document, str) else document.decode("utf-8", "replace")
    if _UNSTORABLE_ESCAPE.search(probe):
        value = _cleaned(value)
    return value


def _cleaned(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return storable(value)
    if depth > _MAX_CLEAN_DEPTH:
        return None
    if isinstance(value, dict):
        return {_cleaned(k, depth + 1): _cleaned(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(item, depth + 1) for item in value]
    return value


# Deeper than this, a document with a lone surrogate loses what is nested below
# (json.loads itself stops at about 1,000 levels).
_MAX_CLEAN_DEPTH = 100


def json_ld_documents(tree: etree._Element) -> list[Any]:
    """Every JSON-LD document of the page that parses, in page order."""
    documents = []
    scripts = [
        text
        for element in tagged(tree, "script")
        if element.get("type") == "application/ld+json"
        for text in element.xpath("text()")
    ]  # what "//script[@type='application/ld+json']/text()" selects
    for script in scripts:
        try:
            documents.append(loads_text(script))
        except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
            continue
    return documents


def json_values(value: Any, key: str, depth: int = 0, skip: str | None = None) -> Iterator[Any]:
    """Every value of `key` in a JSON document, in document order, to _MAX_DEPTH
    levels; a value is not searched for further `key`s inside itself, nor is the
    value of `skip`. (Collected by plain recursion into the objects and arrays
    alone: a generator at each level of each value, strings included, took 30
    calls a search.)"""
    found: list[Any] = []
    _collect_values(value, key, depth, skip, found)
    return iter(found)


def _collect_values(value: Any, key: str, depth: int, skip: str | None, found: list[Any]) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if name == key:
                found.append(item)
            elif name != skip and isinstance(item, (dict, list)):
                _collect_values(item, key, depth + 1, skip, found)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                _collect_values(item, key, depth + 1, skip, found)
