from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from newscrawl.jsonld import _MAX_DEPTH, json_values


def _reference(value: Any, key: str, depth: int = 0, skip: str | None = None) -> Iterator[Any]:
    """The search as first written: a generator at each level."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if name == key:
                yield item
            elif name != skip:
                yield from _reference(item, key, depth + 1, skip)
    elif isinstance(value, list):
        for item in value:
            yield from _reference(item, key, depth + 1, skip)


def _nested(levels: int) -> Any:
    document: Any = {"articleBody": f"level {levels}"}
    for level in range(levels):
        document = {"@graph": [document, "x", 3, None], "articleBody": {"n": level}}
    return document


DOCUMENTS = [
    {"articleBody": "a", "x": [{"articleBody": "b"}, {"liveBlogUpdate": [{"articleBody": "c"}]}]},
    [{"articleBody": {"articleBody": "inside"}}, "articleBody", ["articleBody"]],
    _nested(5),
    _nested(20),  # past _MAX_DEPTH
    "articleBody",
    None,
    [],
]


def test_json_values_are_those_of_the_search_in_document_order() -> None:
    for document in DOCUMENTS:
        for skip in (None, "liveBlogUpdate", "@graph"):
            assert list(json_values(document, "articleBody", skip=skip)) == list(
                _reference(document, "articleBody", skip=skip)
            )
        assert list(json_values(document, "liveBlogUpdate")) == list(
            _reference(document, "liveBlogUpdate")
        )


def test_a_nul_in_json_is_read_out_of_every_string() -> None:
    """JSON allows "\\u0000", which no PostgreSQL text column takes (see
    test_postgres.py's crawl): loads_text leaves none in keys or values."""
    from newscrawl.jsonld import loads_text, storable

    value = loads_text('{"a\\u0000b": ["Ann\\u0000 Lee", {"x": "\\u0000"}], "n": 1}')
    assert value == {"ab": ["Ann Lee", {"x": ""}], "n": 1}
    assert storable("A\x00B\ud800") == "AB\ufffd"
