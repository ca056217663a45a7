from __future__ import annotations

import lxml.html
import pytest

from newscrawl.pagetags import below, inner_text, reading, tagged

PAGE = (
    "<html><head><base href='/b/'><meta name='a' content='1'><link rel='x' href='/l'>"
    "<script type='application/ld+json'>{}</script></head><body><p>text"
    "<meta property='og:url' content='/u'></p><link rel='y'><!-- c -->"
    "<h2><a href='/1'>one</a></h2><p><a href='/2'>two</a><area href='/3'></p></body></html>"
)
LOOKUPS = [("meta",), ("link", "meta"), ("base",), ("script",), ("a", "area"), ("h1", "h2"), ("p",)]


def test_the_tagged_elements_are_what_the_xpaths_select_in_page_order() -> None:
    tree = lxml.html.document_fromstring(PAGE)
    body = tree.find("body")
    assert body is not None
    for tags in LOOKUPS:
        expected = tree.xpath("|".join(f"//{tag}" for tag in tags))
        assert tagged(tree, *tags) == expected
        assert tagged(body, *tags) == expected  # "//" reads the whole document
        with reading(tree):
            assert tagged(tree, *tags) == expected
            assert tagged(body, *tags) == expected
            assert tagged(tree, *tags) is tagged(tree, *tags)  # one walk while read


def test_the_elements_below_are_what_iter_gives() -> None:
    tree = lxml.html.document_fromstring(PAGE)
    body = tree.find("body")
    assert body is not None
    for tags in LOOKUPS:
        with reading(tree):
            assert below(tree, *tags) == list(tree.iter(*tags))
            assert below(body, *tags) == list(body.iter(*tags))  # not the whole page's


def test_a_tree_is_walked_anew_outside_its_reading() -> None:
    tree = lxml.html.document_fromstring(PAGE)
    with reading(tree):
        before = tagged(tree, "meta")
    head = tree.find("head")
    assert head is not None
    head.append(lxml.html.Element("meta"))
    assert len(tagged(tree, "meta")) == len(before) + 1


@pytest.mark.parametrize(
    "markup",
    ["<a>one two</a>", "<a></a>", "<a>a<!-- c -->b</a>", "<a>x<b>y</b>z</a>", "<a><b>y</b></a>"],
)
def test_an_elements_inner_text_is_its_texts_joined(markup: str) -> None:
    element = lxml.html.fragment_fromstring(markup)
    assert inner_text(element) == " ".join(element.itertext())
