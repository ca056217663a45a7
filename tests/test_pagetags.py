from __future__ import annotations

import lxml.html

from newscrawl.pagetags import reading, tagged

PAGE = (
    "<html><head><base href='/b/'><meta name='a' content='1'><link rel='x' href='/l'>"
    "<script type='application/ld+json'>{}</script></head><body><p>text"
    "<meta property='og:url' content='/u'></p><link rel='y'><!-- c --></body></html>"
)


def test_the_tagged_elements_are_what_the_xpaths_select_in_page_order() -> None:
    tree = lxml.html.document_fromstring(PAGE)
    expected = tree.xpath("//base|//link|//meta|//script")
    assert tagged(tree) == expected
    body = tree.find("body")
    assert body is not None
    assert tagged(body) == expected  # "//" reads the whole document from any element
    with reading(tree):
        assert tagged(tree) == expected
        assert tagged(tree) is tagged(tree)  # one walk while the page is read


def test_a_tree_is_walked_anew_outside_its_reading() -> None:
    tree = lxml.html.document_fromstring(PAGE)
    with reading(tree):
        before = tagged(tree)
    head = tree.find("head")
    assert head is not None
    head.append(lxml.html.Element("meta"))
    assert len(tagged(tree)) == len(before) + 1
