"""newscrawl reads only the metadata it stores, and reads it as trafilatura does."""

from __future__ import annotations

import pytest
import trafilatura
from trafilatura.metadata import extract_metadata

from newscrawl.metadata import read_metadata

FIELDS = ("title", "author", "date", "description", "sitename")

WITH_META = """<html><head><title>Harbour crane fails | Coastline Courier</title>
<meta name="description" content="A crane at the north pier stopped mid-lift.">
<meta property="og:site_name" content="coastline courier">
<meta property="article:published_time" content="2026-10-14T08:30:00Z">
<script type="application/ld+json">{"@context": "https://schema.org",
 "@type": "NewsArticle", "headline": "Harbour crane fails during a night lift",
 "author": [{"@type": "Person", "name": "Ines Marlow"},
            {"@type": "Person", "name": "Tomas Reyes"}]}</script>
</head><body><article><h1>Harbour crane fails during a night lift</h1>
<p>The crane at the north pier stopped halfway through lifting a container.</p>
</article></body></html>"""

BARE = """<html><head><title>Council delays the vote on the new bridge</title></head>
<body><div class="byline">By Ada Quinn</div><p>Posted 3 March 2025</p>
<p>The council postponed the bridge vote to its next session.</p></body></html>"""


@pytest.mark.parametrize("page", [WITH_META, BARE], ids=["with-meta", "bare"])
def test_the_fields_newscrawl_keeps_are_those_trafilatura_finds(page: str) -> None:
    url = "https://www.coastline.test/news/crane.html"
    ours = read_metadata(trafilatura.load_html(page), url)
    theirs = extract_metadata(trafilatura.load_html(page), url)
    assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(theirs, f) or None for f in FIELDS}


def test_metadata_of_a_page_with_meta_tags_and_json_ld() -> None:
    meta = read_metadata(trafilatura.load_html(WITH_META), "https://coastline.test/n/1")
    assert meta.title == "Harbour crane fails during a night lift"
    assert meta.author == "Ines Marlow; Tomas Reyes"
    assert meta.date == "2026-10-14"
    assert meta.description == "A crane at the north pier stopped mid-lift."
    assert meta.sitename == "Coastline Courier"


def test_a_page_without_a_site_name_is_named_after_its_host() -> None:
    meta = read_metadata(trafilatura.load_html(BARE), "https://www.coastline.test/n/2")
    assert meta.title == "Council delays the vote on the new bridge"
    assert meta.sitename == "coastline.test"
