import pytest

from newscrawl.pagetype import ARTICLE, HUB, classify_page


@pytest.mark.parametrize(
    ("url", "og_type", "ld_types", "expected"),
    [
        ("https://n.test/", None, [], HUB),
        ("https://n.test/world/", None, [], HUB),
        ("https://n.test/tag/elections/", None, [], HUB),
        ("https://n.test/author/jane-doe/", None, [], HUB),
        ("https://n.test/section/business/page/2", None, [], HUB),
        ("https://n.test/2026/03/14/ferry-times.html", None, [], ARTICLE),
        ("https://n.test/world/council-approves-new-river-footbridge", None, [], ARTICLE),
        ("https://n.test/story/12345678", None, [], ARTICLE),
        # What the page says about itself wins over its URL.
        ("https://n.test/tag/x", "article", [], ARTICLE),
        ("https://n.test/news", None, ["NewsArticle"], ARTICLE),
        ("https://n.test/2026/03/14/all-stories-today", "website", [], HUB),
        ("https://n.test/2026/03/14/all-stories-today", None, ["CollectionPage"], HUB),
    ],
)
def test_classify_page(url, og_type, ld_types, expected):
    assert classify_page(url, og_type, ld_types) == expected
